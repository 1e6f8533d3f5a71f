//! Field choices the pySigma differential found wrong (issue #6): ASIM columns
//! a parser lacks, Sysmon's `Hashes` and `Initiated`, field references. The
//! expected columns come from the ASIM schema reference (process, registry,
//! network session schemas) and Winlogbeat's Sysmon field mapping.

use ruledex_convert::{Conversion, Fidelity, Target, convert};
mod fixture;

use fixture::{query, sigma};

const PROCESS: &str = "    product: windows\n    category: process_creation\n";
const REGISTRY: &str = "    product: windows\n    category: registry_set\n";
const NETWORK: &str = "    product: windows\n    category: network_connection\n";
const FILE: &str = "    product: windows\n    category: file_event\n";

const LOGON: &str = "    product: windows\n    service: security\n";
const WEB: &str = "    category: webserver\n";

fn reasons(c: &Conversion) -> Vec<String> {
    match &c.fidelity {
        Fidelity::Approximate { reasons } => reasons.clone(),
        other => panic!("expected approximate, got {other:?}"),
    }
}

/// The `where` clause of a one-table query.
fn condition(c: &Conversion) -> &str {
    query(c).split_once("| where ").map_or("", |(_, w)| w)
}

#[test]
fn image_in_network_events_is_the_source_or_destination_process() {
    // The ASIM network-session parsers put the host's process in
    // SrcProcessName (outbound) or DstProcessName (inbound); the other is empty.
    let rule = sigma(
        NETWORK,
        "sel:\n    Image|endswith: '\\rundll32.exe'\ncondition: sel",
    );
    let c = convert(&rule, Target::KustoAsim);
    assert_eq!(
        condition(&c),
        r#"SrcProcessName endswith "\\rundll32.exe" or DstProcessName endswith "\\rundll32.exe""#
    );
    assert!(query(&c).starts_with("imNetworkSession\n"), "{}", query(&c));
    assert!(
        reasons(&c)
            .iter()
            .any(|r| r.contains("SrcProcessName on outbound")),
        "{c:?}"
    );
}

#[test]
fn an_empty_image_test_must_hold_on_both_process_columns() {
    // `Image: null` / `Image: ''` pass on the empty column, so they are and'ed;
    // an `or` would hold on every event.
    let rule = sigma(
        NETWORK,
        "sel:\n    DestinationPort: 443\nfilter_null:\n    Image: null\nfilter_empty:\n    Image: ''\ncondition: sel and not 1 of filter_*",
    );
    let c = convert(&rule, Target::KustoAsim);
    let w = condition(&c);
    assert!(
        w.contains("isempty(SrcProcessName) and isempty(DstProcessName)"),
        "{w}"
    );
    assert!(
        w.contains(r#"SrcProcessName =~ "" and DstProcessName =~ """#),
        "{w}"
    );
    assert!(!w.contains("isempty(SrcProcessName) or"), "{w}");
}

#[test]
fn an_image_test_on_both_columns_that_cannot_be_split_is_refused() {
    let rule = sigma(
        NETWORK,
        "sel:\n    Image|fieldref: CommandLine\ncondition: sel",
    );
    let c = convert(&rule, Target::KustoAsim);
    assert!(
        matches!(&c.fidelity, Fidelity::Unsupported { reason } if reason.contains("SrcProcessName and DstProcessName")),
        "{c:?}"
    );
}

#[test]
fn windows_logon_columns_the_parser_keeps_are_written_and_declared() {
    let rule = sigma(
        LOGON,
        "sel:\n    EventID: 4624\n    LogonType: 10\n    SubjectUserSid: 'S-1-5-18'\ncondition: sel",
    );
    let c = convert(&rule, Target::KustoAsim);
    assert!(query(&c).starts_with("imAuthentication\n"), "{}", query(&c));
    let w = condition(&c);
    assert!(w.contains("LogonType == 10"), "{w}");
    // A column the parser renames is the ASIM name, without a reason.
    assert!(w.contains(r#"ActorUserId =~ "S-1-5-18""#), "{w}");
    let r = reasons(&c);
    assert!(r.iter().any(|r| r.contains("`LogonType`")), "{r:?}");
    assert!(!r.iter().any(|r| r.contains("SubjectUserSid")), "{r:?}");
}

#[test]
fn a_query_string_is_searched_in_the_url_only_by_substring_or_suffix() {
    let rule = sigma(WEB, "sel:\n    cs-uri-query|contains: '~1'\ncondition: sel");
    let c = convert(&rule, Target::KustoAsim);
    assert_eq!(condition(&c), r#"Url contains "~1""#);
    // Equality with the query string cannot be said of the whole URL.
    let rule = sigma(WEB, "sel:\n    cs-uri-query: '?id=1'\ncondition: sel");
    let c = convert(&rule, Target::KustoAsim);
    assert!(
        matches!(&c.fidelity, Fidelity::Unsupported { reason } if reason.contains("`cs-uri-query` has no column in imWebSession")),
        "{c:?}"
    );
}

#[test]
fn parent_image_in_file_events_is_the_defender_parent_file_name() {
    let rule = sigma(
        FILE,
        "sel:\n    ParentImage|endswith: '\\cmd.exe'\ncondition: sel",
    );
    let c = convert(&rule, Target::KustoAsim);
    assert_eq!(
        condition(&c),
        r#"ActingProcessParentFileName endswith "\\cmd.exe""#
    );
    assert!(
        reasons(&c).iter().any(|r| r.contains("file name only")),
        "{c:?}"
    );
}

#[test]
fn a_field_no_parser_fills_is_still_refused() {
    let rule = sigma(FILE, "sel:\n    ObjectType: 'File'\ncondition: sel");
    let c = convert(&rule, Target::KustoAsim);
    assert!(!c.fidelity.is_converted(), "{c:?}");
}

#[test]
fn hashes_contains_splits_by_algorithm() {
    let md5 = "0123456789abcdef0123456789abcdef";
    let sha256 = "ab".repeat(32);
    let rule = sigma(
        PROCESS,
        &format!(
            "sel:\n    Hashes|contains:\n        - 'MD5={md5}'\n        - 'SHA256={sha256}'\ncondition: sel"
        ),
    );
    let c = convert(&rule, Target::KustoAsim);
    assert!(matches!(c.fidelity, Fidelity::Exact), "{c:?}");
    let q = query(&c);
    assert!(q.contains(&format!("TargetProcessMD5 =~ \"{md5}\"")), "{q}");
    assert!(
        q.contains(&format!("TargetProcessSHA256 =~ \"{sha256}\"")),
        "{q}"
    );
    assert!(!q.contains("Hashes"), "{q}");
}

#[test]
fn hashes_with_a_partial_hash_is_not_converted() {
    let rule = sigma(
        PROCESS,
        "sel:\n    Hashes|contains: 'MD5=0123'\ncondition: sel",
    );
    let c = convert(&rule, Target::KustoAsim);
    assert!(!c.fidelity.is_converted(), "{c:?}");
}

#[test]
fn user_in_process_events_is_target_username() {
    let rule = sigma(PROCESS, "sel:\n    User|contains: 'SYSTEM'\ncondition: sel");
    let c = convert(&rule, Target::KustoAsim);
    assert!(
        query(&c).contains("TargetUsername contains"),
        "{}",
        query(&c)
    );
}

#[test]
fn sysmon_initiated_is_network_direction_egress() {
    let rule = sigma(
        NETWORK,
        "sel:\n    Initiated: 'true'\n    DestinationPort: 9389\ncondition: sel",
    );
    for target in [Target::Lucene, Target::Eql, Target::Esql] {
        let c = convert(&rule, target);
        let q = query(&c);
        assert!(q.contains("egress"), "{target}: {q}");
        assert!(!q.contains("true"), "{target}: {q}");
    }
    let inbound = sigma(NETWORK, "sel:\n    Initiated: 'false'\ncondition: sel");
    assert!(query(&convert(&inbound, Target::Eql)).contains("ingress"));
}

#[test]
fn sysmon_initiated_is_asim_network_direction_outbound() {
    let rule = sigma(
        NETWORK,
        "sel:\n    Initiated: 'true'\n    DestinationPort: 9389\ncondition: sel",
    );
    let c = convert(&rule, Target::KustoAsim);
    let q = query(&c);
    assert!(q.contains("NetworkDirection"), "{q}");
    assert!(q.contains("\"Outbound\""), "{q}");
    assert!(!q.contains("true"), "{q}");
    let inbound = sigma(NETWORK, "sel:\n    Initiated: 'false'\ncondition: sel");
    let q = query(&convert(&inbound, Target::KustoAsim)).to_owned();
    assert!(q.contains("\"Inbound\""), "{q}");
    // A test Sysmon's booleans cannot state as a direction is refused, with the reason.
    let odd = sigma(
        NETWORK,
        "sel:\n    Initiated|contains: 'ru'\ncondition: sel",
    );
    let c = convert(&odd, Target::KustoAsim);
    assert!(
        matches!(&c.fidelity, Fidelity::Unsupported { reason } if reason.contains("ASIM NetworkDirection")),
        "{c:?}"
    );
}

#[test]
fn fieldref_is_written_as_the_ecs_field() {
    let rule = sigma(
        FILE,
        "sel:\n    TargetFilename|fieldref: Image\ncondition: sel",
    );
    let c = convert(&rule, Target::Esql);
    let q = query(&c);
    assert!(q.contains("process.executable"), "{q}");
    assert!(!q.contains("winlog.event_data.Image"), "{q}");
}

#[test]
fn security_events_no_parser_reads_go_to_the_native_table_with_its_names() {
    // 4656 has no ASIM parser and 4663 an unrelated one: a union of the two
    // would name each field as only one side does. SecurityEvent holds both.
    let rule = sigma(
        LOGON,
        "sel:\n    EventID:\n        - 4656\n        - 4663\n    ObjectName|endswith: '\\lsa\\JD'\nfilter:\n    ProcessName|endswith: '\\lsass.exe'\ncondition: sel and not filter",
    );
    let c = convert(&rule, Target::KustoAsim);
    let q = query(&c);
    assert!(q.starts_with("SecurityEvent\n"), "{q}");
    assert!(q.contains("(EventID in (4656, 4663))"), "{q}");
    assert!(q.contains(r#"ObjectName endswith "\\lsa\\JD""#), "{q}");
    assert!(q.contains(r#"ProcessName endswith "\\lsass.exe""#), "{q}");
    assert!(!q.contains("NewProcessName") && !q.contains("union"), "{q}");
    assert!(
        reasons(&c)
            .iter()
            .any(|r| r.contains("no ASIM parser covers windows/security/4656")),
        "{c:?}"
    );
}

#[test]
fn target_object_is_the_asim_key_and_value_name_joined() {
    // Sysmon's TargetObject is the key and the value name; ASIM parsers split
    // it into RegistryKey and RegistryValue, with hives spelled out.
    let rule = sigma(
        REGISTRY,
        "sel:\n    TargetObject|contains: '\\CurrentVersion\\Run\\'\n    EventType: SetValue\ncondition: sel",
    );
    let c = convert(&rule, Target::KustoAsim);
    assert!(matches!(c.fidelity, Fidelity::Exact), "{c:?}");
    let q = query(&c);
    assert!(
        q.contains(r#"| extend RegistryPath = strcat(RegistryKey, iff(isempty(RegistryValue), "", strcat("\\", RegistryValue)))"#),
        "{q}"
    );
    assert!(
        q.contains(r#"RegistryPath contains "\\CurrentVersion\\Run\\""#),
        "{q}"
    );
    assert!(q.contains(r#"EventType =~ "RegistryValueSet""#), "{q}");
    let rule = sigma(
        REGISTRY,
        "sel:\n    TargetObject|startswith: 'HKLM\\SOFTWARE\\Classes\\'\ncondition: sel",
    );
    assert!(
        query(&convert(&rule, Target::KustoAsim))
            .contains(r#"RegistryPath startswith "HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\""#)
    );
    // Sysmon never writes HKCU: such a test is declared.
    let rule = sigma(
        REGISTRY,
        "sel:\n    TargetObject|startswith: 'HKCU\\Software\\'\ncondition: sel",
    );
    let c = convert(&rule, Target::KustoAsim);
    assert!(
        reasons(&c).iter().any(|r| r.contains("HKU\\<SID>")),
        "{c:?}"
    );
}

#[test]
fn esql_negations_guard_missing_fields_and_are_exact() {
    // ES|QL's `not` of a test on a missing field is null and drops the event;
    // guarded by the field's presence the test is false there, and the
    // negation keeps the event as the rule does.
    let rule = sigma(
        PROCESS,
        "sel:\n    Image|endswith: '\\cmd.exe'\nfilter:\n    ParentImage|endswith: '\\explorer.exe'\ncondition: sel and not filter",
    );
    let c = convert(&rule, Target::Esql);
    assert!(matches!(c.fidelity, Fidelity::Exact), "{c:?}");
    let q = query(&c);
    assert!(
        q.contains(r#"not (process.parent.executable IS NOT NULL and TO_LOWER(process.parent.executable) LIKE "*\\\\explorer.exe")"#),
        "{q}"
    );
    // A presence test under `not` needs no guard.
    let rule = sigma(
        PROCESS,
        "sel:\n    Image|endswith: '\\cmd.exe'\nfilter:\n    ParentImage: null\ncondition: sel and not filter",
    );
    let q = query(&convert(&rule, Target::Esql)).to_owned();
    assert!(!q.contains("IS NOT NULL and"), "{q}");
}

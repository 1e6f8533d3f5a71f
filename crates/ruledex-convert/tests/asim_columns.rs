//! Field choices the pySigma differential found wrong (issue #6): ASIM columns
//! a parser lacks, Sysmon's `Hashes` and `Initiated`, field references. The
//! expected columns come from the ASIM schema reference (process, registry,
//! network session schemas) and Winlogbeat's Sysmon field mapping.

use ruledex_convert::{Conversion, Fidelity, Target, convert};
use ruledex_model::Rule;

/// One self-written Sigma rule, read and enriched.
fn sigma(logsource: &str, detection: &str) -> Rule {
    let mut yaml = format!("title: Fixture\nlogsource:\n{logsource}detection:\n");
    for line in detection.lines() {
        yaml.push_str("    ");
        yaml.push_str(line);
        yaml.push('\n');
    }
    let parsed = ruledex_sigma::parse_sigma("fixture.yml", &yaml);
    assert!(parsed.errors.is_empty(), "{:?}\n{yaml}", parsed.errors);
    let mut rule = parsed.rules.into_iter().next().expect("one rule");
    ruledex_taxonomy::enrich::enrich(&mut rule);
    rule
}

const PROCESS: &str = "    product: windows\n    category: process_creation\n";
const REGISTRY: &str = "    product: windows\n    category: registry_set\n";
const NETWORK: &str = "    product: windows\n    category: network_connection\n";
const FILE: &str = "    product: windows\n    category: file_event\n";

fn query(c: &Conversion) -> &str {
    c.query.as_deref().unwrap_or_default()
}

#[test]
fn image_in_network_events_has_no_asim_column() {
    let rule = sigma(
        NETWORK,
        "sel:\n    Image|endswith: '\\rundll32.exe'\ncondition: sel",
    );
    let c = convert(&rule, Target::KustoAsim);
    assert!(
        matches!(&c.fidelity, Fidelity::Unsupported { reason } if reason.contains("`Image` has no column in imNetworkSession")),
        "{c:?}"
    );
}

#[test]
fn parent_image_in_file_events_has_no_asim_column() {
    let rule = sigma(
        FILE,
        "sel:\n    ParentImage|endswith: '\\cmd.exe'\ncondition: sel",
    );
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
fn target_object_is_registry_key_and_approximate() {
    let rule = sigma(
        REGISTRY,
        "sel:\n    TargetObject|contains: '\\CurrentVersion\\Run'\ncondition: sel",
    );
    let c = convert(&rule, Target::KustoAsim);
    assert!(matches!(c.fidelity, Fidelity::Approximate { .. }), "{c:?}");
    assert!(query(&c).contains("RegistryKey contains"), "{}", query(&c));
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

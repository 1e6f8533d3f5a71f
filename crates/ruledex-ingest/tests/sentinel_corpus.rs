//! Conformance of the Sentinel front-end on the pinned Azure-Sentinel corpus
//! in `../shared/corpora/sentinel` (August 2022: 1,063 analytic-rule and
//! 1,228 hunting-query YAML files; the 147 ASIM parser files under `asim/`
//! are not rules and are left out by discovery). Thresholds only move up.
//!
//! In CI (`CI=true`) a missing corpus fails the test; on a developer's fresh
//! checkout without `../shared` the test says it is skipping.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use ruledex_ingest::{Report, ingest_dir, rule_files};
use ruledex_model::{Rule, Vendor};

/// Rule files found (analytic + hunting; ASIM parsers excluded).
const EXPECTED_FILES: usize = 2291;
/// Queries that fail to parse: each is invalid Kusto upstream (listed in
/// `crates/ruledex-sentinel/tests/kusto_corpus.rs` with the reason).
const EXPECTED_QUERY_FAILURES: usize = 15;
/// Analytic rules whose logic has no opaque part.
const EXPECTED_ANALYTIC_FULLY_PARSED_AT_LEAST: usize = 618;
/// Hunting queries whose logic has no opaque part.
const EXPECTED_HUNTING_FULLY_PARSED_AT_LEAST: usize = 830;
/// Field references resolved to a canonical field, in per mille.
const EXPECTED_RESOLVED_PER_MILLE_AT_LEAST: usize = 590;
/// Rules with at least one catalog event.
const EXPECTED_WITH_EVENTS_AT_LEAST: usize = 1842;

fn corpus() -> Option<PathBuf> {
    ruledex_testkit::shared("corpora/sentinel")
}

fn report() -> Option<&'static Report> {
    static REPORT: OnceLock<Option<Report>> = OnceLock::new();
    REPORT
        .get_or_init(|| corpus().map(|dir| ingest_dir(Vendor::Sentinel, &dir)))
        .as_ref()
}

fn is_analytic(r: &Rule) -> bool {
    r.extra.get("sentinel_type").and_then(|v| v.as_str()) == Some("analytic")
}

#[test]
fn corpus_summary() {
    let Some(r) = report() else { return };
    let analytic: Vec<&Rule> = r.rules.iter().filter(|x| is_analytic(x)).collect();
    let hunting: Vec<&Rule> = r.rules.iter().filter(|x| !is_analytic(x)).collect();
    let full = |v: &[&Rule]| v.iter().filter(|x| x.logic.is_fully_parsed()).count();
    let query_failures = r
        .failures
        .iter()
        .filter(|f| f.code.starts_with("kusto-"))
        .count();
    let per_mille = r.resolved_fields() * 1000 / r.field_occurrences.max(1);
    println!(
        "sentinel: files {} rules {} failed {} failures {} (kusto {query_failures}) warnings {} with_logic {} with_events {}",
        r.files,
        r.rules.len(),
        r.failed_files,
        r.failures.len(),
        r.warnings.len(),
        r.with_logic(),
        r.with_events(),
    );
    println!(
        "  analytic {} fully parsed {} | hunting {} fully parsed {}",
        analytic.len(),
        full(&analytic),
        hunting.len(),
        full(&hunting)
    );
    println!(
        "  fields {} resolved {} ({per_mille}‰)",
        r.field_occurrences,
        r.resolved_fields()
    );
    for (reason, n) in r.opaque_reasons().iter().take(25) {
        println!("  opaque {n:>4} {reason}");
    }
    for (name, n) in r.unresolved_ranked().iter().take(40) {
        println!("  unresolved {n:>4} {name}");
    }
    for f in r
        .failures
        .iter()
        .filter(|f| !f.code.starts_with("kusto-"))
        .take(20)
    {
        println!(
            "  failure {}:{}:{} {} {}",
            f.path, f.line, f.column, f.code, f.reason
        );
    }
    let mut codes: BTreeMap<&str, usize> = BTreeMap::new();
    for w in &r.warnings {
        *codes.entry(&w.code).or_default() += 1;
    }
    println!("  warnings by code {codes:?}");
    assert_eq!(r.files, EXPECTED_FILES);
    assert_eq!(r.failed_files, 0, "every file gives a rule");
    assert_eq!(query_failures, EXPECTED_QUERY_FAILURES);
    assert!(full(&analytic) >= EXPECTED_ANALYTIC_FULLY_PARSED_AT_LEAST);
    assert!(full(&hunting) >= EXPECTED_HUNTING_FULLY_PARSED_AT_LEAST);
    assert!(per_mille >= EXPECTED_RESOLVED_PER_MILLE_AT_LEAST);
    assert!(r.with_events() >= EXPECTED_WITH_EVENTS_AT_LEAST);
}

#[test]
fn asim_parsers_are_not_rule_files() {
    let Some(dir) = corpus() else { return };
    let files = rule_files(Vendor::Sentinel, &dir);
    assert!(!files.is_empty());
    assert!(
        files
            .iter()
            .all(|p| !p.strip_prefix(&dir).unwrap().starts_with("asim"))
    );
    // The file named `… . yaml` is found.
    assert!(
        files
            .iter()
            .any(|p| p.to_string_lossy().ends_with("Incidents. yaml"))
    );
}

fn rule(path_suffix: &str) -> &'static Rule {
    let r = report().expect("corpus present");
    r.rules
        .iter()
        .find(|rule| rule.source.path.ends_with(path_suffix))
        .unwrap_or_else(|| panic!("no rule at {path_suffix}"))
}

fn group_by(r: &Rule) -> Vec<&str> {
    r.logic
        .aggregation
        .as_ref()
        .map(|a| a.group_by.iter().map(|f| f.raw.as_str()).collect())
        .unwrap_or_default()
}

// Each expected logic below is written by hand from the rule's YAML.

/// SecurityEvent, event id and `endswith`, summarize without a threshold.
#[test]
fn spot_security_event_fake_computer_account() {
    if report().is_none() {
        return;
    }
    let r = rule("Detections/SecurityEvent/FakeComputerAccountCreated.yaml");
    assert_eq!(r.uid, "sentinel:c1faf5e8-6958-11ec-90d6-0242ac120003");
    assert_eq!(
        r.logic.expr.to_string(),
        r#"EventID eq 4720 and TargetUserName ends_with "$""#
    );
    assert_eq!(
        group_by(r),
        [
            "Computer",
            "SubjectUserName",
            "SubjectUserSid",
            "SubjectLogonId",
            "TargetUserName",
            "TargetSid"
        ]
    );
    assert!(r.logic.aggregation.as_ref().unwrap().condition.is_empty());
    assert_eq!(r.data_sources[0], "SecurityEvent");
    assert!(
        r.events.iter().any(|e| e.contains("4720")),
        "{:?}",
        r.events
    );
    assert!(r.logic.is_fully_parsed());
}

/// Defender XDR DeviceProcessEvents: `let` lists with `in` and `has_any`.
#[test]
fn spot_device_process_events_adfind() {
    if report().is_none() {
        return;
    }
    let r = rule("Detections/DeviceProcessEvents/AdFind_Usage.yaml");
    let args = r#"["objectcategory", "domainlist", "dcmodes", "adinfo", "trustdmp", "computers_pwdnotreqd", "Domain Admins", "objectcategory=person", "objectcategory=computer", "objectcategory=*", "dclist"]"#;
    assert_eq!(
        r.logic.expr.to_string(),
        format!(
            r#"InitiatingProcessFileName in:cased any["pwsh.exe", "powershell.exe", "cmd.exe"] and (FileName eq "AdFind.exe" or SHA256 eq:cased "c92c158d7c37fea795114fa6491fe5f145ad2f8c08776b18ae79db811e8e36a3" or ProcessCommandLine contains any{args})"#
        )
    );
    assert_eq!(r.data_sources, ["DeviceProcessEvents"]);
    // Defender's FileName is the process name, in the same row as Sigma's Image basename.
    let preds = r.logic.expr.preds();
    let file_name = preds.iter().find(|p| p.field.raw == "FileName").unwrap();
    assert_eq!(file_name.field.canonical.as_deref(), Some("process.name"));
    assert_eq!(r.extra["kusto_approximations"][0], "has_any");
}

/// ASIM imProcessCreate: `has`, `has_any` with a `let` list; a column
/// computed by `split` is opaque.
#[test]
fn spot_asim_process_recycle_bin() {
    if report().is_none() {
        return;
    }
    let r = rule("Detections/ASimProcess/imProcess_malware_in_recyclebin.yaml");
    let procs = r#"["cmd.exe", "ftp.exe", "schtasks.exe", "powershell.exe", "rundll32.exe", "regsvr32.exe", "msiexec.exe"]"#;
    let preds = r.logic.expr.preds();
    assert_eq!(preds[0].to_string(), r#"CommandLine contains "recycler""#);
    assert_eq!(preds[1].to_string(), format!("Process contains any{procs}"));
    assert_eq!(preds.len(), 2);
    let opaques = r.logic.expr.opaques();
    assert_eq!(opaques.len(), 1);
    assert_eq!(opaques[0].reason, "filter on a parsed column");
    assert_eq!(r.data_sources, ["imProcessCreate"]);
    assert_eq!(
        preds[1].field.canonical.as_deref(),
        Some("process.executable")
    );
}

/// SigninLogs: a column extended from `tostring(Status.additionalDetails)` is traced back.
#[test]
fn spot_signin_mfa_rejected() {
    if report().is_none() {
        return;
    }
    let r = rule("Detections/SigninLogs/MFARejectedbyUser.yaml");
    assert_eq!(
        r.logic.expr.to_string(),
        r#"ResultType eq 500121 and Status.additionalDetails eq "MFA denied; user declined the authentication""#
    );
    assert!(r.logic.is_fully_parsed());
}

/// `summarize count() by … | where count_ > threshold` with a `let` threshold.
#[test]
fn spot_threshold_proofpoint_archives() {
    if report().is_none() {
        return;
    }
    let r = rule(
        "Detections/ProofpointPOD/ProofpointPODMultipleArchivedAttachmentsToSameRecipient.yaml",
    );
    assert_eq!(
        r.logic.expr.to_string(),
        r#"EventType eq:cased "message" and NetworkDirection eq:cased "outbound" and MsgParts[0].detectedMime eq:cased "application/zip""#
    );
    let agg = r.logic.aggregation.as_ref().unwrap();
    assert_eq!(group_by(r), ["SrcUserUpn", "DstUserUpn"]);
    assert_eq!(agg.condition.len(), 1);
    assert_eq!(agg.condition[0].op, ruledex_model::Op::Gt);
    assert!((agg.condition[0].value - 3.0).abs() < f64::EPSILON);
    assert_eq!(
        r.extra["kusto_time_filters"][0],
        "TimeGenerated > ago(lbtime)"
    );
    assert!(r.logic.is_fully_parsed());
}

/// `dcount(x) > N` is a cardinality bound; `bin(TimeGenerated, 5m)` the window.
#[test]
fn spot_asim_port_scan_cardinality() {
    if report().is_none() {
        return;
    }
    let r = rule("Detections/ASimNetworkSession/PortScan.yaml");
    let agg = r.logic.aggregation.as_ref().unwrap();
    assert_eq!(group_by(r), ["SrcIpAddr"]);
    assert_eq!(agg.window.as_ref().unwrap().seconds, Some(300));
    match &agg.kind {
        ruledex_model::AggregationKind::Threshold { cardinality } => {
            assert_eq!(cardinality.len(), 1);
            assert_eq!(cardinality[0].0.raw, "DstPortNumber");
            assert_eq!(cardinality[0].1, 51);
        }
        other => panic!("{other:?}"),
    }
    // `ipv4_is_private(SrcIpAddr) == False`: not in a private range.
    assert_eq!(
        r.logic.expr.to_string(),
        r#"not SrcIpAddr cidr any["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]"#
    );
    assert!(r.logic.is_fully_parsed());
}

/// A `let` list with `has_any` after a `project`.
#[test]
fn spot_let_list_creepy_snail() {
    if report().is_none() {
        return;
    }
    let r = rule("Detections/CommonSecurityLog/CreepySnailURLParameters.yaml");
    assert_eq!(
        r.logic.expr.to_string(),
        r#"RequestMethod eq:cased "GET" and RequestURL contains any["/ui/chk", "mactok=", "UsRnMe=", "IlocalP=", "kMnD="]"#
    );
    assert_eq!(r.data_sources[0], "CommonSecurityLog");
}

/// A union of one `let` function called with two table names (`table(tableName)`).
#[test]
fn spot_union_explicit_mfa_deny() {
    if report().is_none() {
        return;
    }
    let r = rule("Detections/SigninLogs/ExplicitMFADeny.yaml");
    let branch = r#"ResultType eq 500121 and (Status contains "MFA Denied; user declined the authentication" or Status contains "MFA denied; Phone App Reported Fraud")"#;
    assert_eq!(
        r.logic.expr.to_string(),
        format!("({branch}) or ({branch})")
    );
    assert_eq!(
        r.data_sources[..2],
        ["SigninLogs", "AADNonInteractiveUserSignInLogs"]
    );
    assert!(r.logic.is_fully_parsed());
}

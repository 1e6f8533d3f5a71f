//! The Sentinel YAML reader: metadata into `Rule`, errors located in the file.

use ruledex_diag::line_col;
use ruledex_model::{Language, Severity, Vendor};
use ruledex_sentinel::parse_sentinel;
use ruledex_sentinel::rule::ErrorKind;

const ANALYTIC: &str = "\
id: 11111111-2222-4333-8444-555555555555
name: Many failed sign-ins
description: |
  Burst of failures.
severity: High
status: Available
requiredDataConnectors:
  - connectorId: AzureActiveDirectory
    datatypes:
      - SigninLogs
  - connectorId: SecurityEvents
    dataTypes:
      - SecurityEvent
queryFrequency: 1h
queryPeriod: 1d
triggerOperator: gt
triggerThreshold: 0
tactics:
  - CredentialAccess
relevantTechniques:
  - T1110.003
query: |
  let threshold = 20;
  SigninLogs
  | where ResultType == \"50126\"
  | summarize count() by UserPrincipalName, bin(TimeGenerated, 1h)
  | where count_ > threshold
entityMappings:
  - entityType: Account
    fieldMappings:
      - identifier: FullName
        columnName: UserPrincipalName
version: 1.0.2
kind: Scheduled
";

#[test]
fn analytic_rule_metadata() {
    let parsed = parse_sentinel("Detections/SigninLogs/x.yaml", ANALYTIC);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let r = &parsed.rules[0];
    assert_eq!(r.vendor, Vendor::Sentinel);
    assert_eq!(r.uid, "sentinel:11111111-2222-4333-8444-555555555555");
    assert_eq!(r.title, "Many failed sign-ins");
    assert_eq!(r.description, "Burst of failures.");
    assert_eq!(r.severity, Some(Severity::High));
    assert_eq!(r.status.as_deref(), Some("Available"));
    assert_eq!(r.tactics, ["credential-access"]);
    assert_eq!(r.techniques, ["T1110.003"]);
    assert_eq!(r.language, Language::Kusto);
    // Query tables first, then connector data types (`datatypes` spelling too).
    assert_eq!(r.data_sources, ["SigninLogs", "SecurityEvent"]);
    assert_eq!(r.platforms, ["azure", "windows"]);
    assert_eq!(r.extra["sentinel_type"], "analytic");
    assert_eq!(r.extra["kind"], "Scheduled");
    assert_eq!(r.extra["queryFrequency"], "1h");
    assert_eq!(r.extra["triggerThreshold"], 0);
    assert_eq!(r.extra["entityMappings"][0]["entityType"], "Account");
    assert_eq!(r.extra["version"], "1.0.2");
    assert_eq!(r.text, ANALYTIC);
    let agg = r.logic.aggregation.as_ref().unwrap();
    assert_eq!(agg.condition[0].value as i64, 20);
    // The predicate's span indexes the file.
    let p = r.logic.expr.preds()[0];
    let span = p.span.unwrap();
    assert_eq!(span.slice(ANALYTIC), Some("ResultType == \"50126\""));
}

#[test]
fn hunting_query_has_no_kind() {
    let text = "id: a\nname: Hunt\ndescription: d\nquery: |\n  T | where A == 1\n";
    let parsed = parse_sentinel("Hunting Queries/T/h.yaml", text);
    assert_eq!(parsed.rules[0].extra["sentinel_type"], "hunting");
}

#[test]
fn query_syntax_error_is_located_in_the_file() {
    let text = "id: a\nname: Broken\nquery: |\n  T\n  | where A == 'x\n";
    let parsed = parse_sentinel("x.yaml", text);
    assert_eq!(parsed.rules.len(), 1, "the rule is kept");
    let e = &parsed.errors[0];
    assert!(matches!(e.kind, ErrorKind::Query { .. }), "{:?}", e.kind);
    assert_eq!(e.kind.code(), "kusto-unterminated");
    let at = line_col(text, e.span.start as usize);
    // Line 5, column 16: the opening quote of `'x`.
    assert_eq!((at.line, at.column), (5, 16));
    assert!(!parsed.rules[0].logic.is_fully_parsed());
}

#[test]
fn no_name_is_no_rule_and_bad_yaml_is_an_error() {
    let parsed = parse_sentinel("x.yaml", "id: a\nquery: T\n");
    assert!(parsed.rules.is_empty());
    assert_eq!(parsed.errors[0].kind, ErrorKind::MissingKey { key: "name" });
    let parsed = parse_sentinel("x.yaml", "name: [unclosed\n");
    assert!(parsed.rules.is_empty());
    assert_eq!(parsed.errors[0].kind.code(), "yaml");
}

#[test]
fn missing_id_and_unknown_severity_are_warnings() {
    let parsed = parse_sentinel("dir/x.yaml", "name: N\nseverity: Huge\nquery: T\n");
    let r = &parsed.rules[0];
    assert_eq!(r.uid, "sentinel:dir/x.yaml");
    assert_eq!(r.severity, None);
    assert_eq!(r.extra["severity"], "Huge");
    let codes: Vec<&str> = parsed.warnings.iter().map(|w| w.kind.code()).collect();
    assert_eq!(codes, ["missing-key", "unknown-severity"]);
}

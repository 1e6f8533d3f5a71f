//! Reading detection files: metadata, logic, and located errors.

use ruledex_diag::line_col;
use ruledex_model::{Language, RuleKind, Severity};
use ruledex_splunk::{ErrorKind, QueryErrorKind, parse_splunk};

const DETECTION: &str = r#"name: Suspicious Cmd Child
id: 0f0e0d0c-0000-4000-8000-000000000001
version: 3
date: '2024-05-02'
author: Ada Example, Bob Example, Splunk
status: production
type: TTP
description: A test detection.
data_source:
- Sysmon EventID 1
search: '`sysmon` EventCode=1 ParentImage="*\\winword.exe" Desc="it''s" Image IN (*\\cmd.exe,
  *\\powershell.exe) | stats count by dest | where count > 2'
how_to_implement: Install Sysmon.
known_false_positives: Macros in documents.
references:
- https://example.invalid/a
tags:
  analytic_story:
  - Office Abuse
  asset_type: Endpoint
  mitre_attack_id:
  - T1566.001
  - t1204
  risk_score: 81
  security_domain: endpoint
"#;

#[test]
fn metadata_is_read() {
    let parsed = parse_splunk("detections/endpoint/suspicious_cmd_child.yml", DETECTION);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let r = &parsed.rules[0];
    assert_eq!(r.uid, "splunk:0f0e0d0c-0000-4000-8000-000000000001");
    assert_eq!(r.title, "Suspicious Cmd Child");
    assert_eq!(r.language, Language::Spl);
    assert_eq!(r.authors, ["Ada Example", "Bob Example", "Splunk"]);
    assert_eq!(r.modified.as_deref(), Some("2024-05-02"));
    assert_eq!(r.status.as_deref(), Some("production"));
    assert_eq!(r.techniques, ["T1566.001", "T1204"]);
    assert_eq!(r.tags, ["Office Abuse"]);
    assert_eq!(r.domains, ["endpoint"]);
    assert_eq!(r.platforms, ["windows"]);
    assert_eq!(r.data_sources, ["Sysmon EventID 1"]);
    assert_eq!(r.false_positives, ["Macros in documents."]);
    assert_eq!(r.references, ["https://example.invalid/a"]);
    assert_eq!(r.severity, Some(Severity::Critical));
    assert_eq!(r.kind, RuleKind::Detection);
    assert!(!r.deprecated);
    assert_eq!(r.extra["how_to_implement"], "Install Sysmon.");
    assert_eq!(r.extra["version"], 3);
    assert_eq!(r.extra["type"], "TTP");
    assert_eq!(r.extra["risk_score"], 81);
    assert_eq!(r.text, DETECTION);
}

#[test]
fn logic_spans_point_into_the_file() {
    let parsed = parse_splunk("x.yml", DETECTION);
    let r = &parsed.rules[0];
    // No macros known: `sysmon` is opaque, the rest is read.
    assert_eq!(
        r.logic.expr.to_string(),
        r#"opaque("macro is not defined (`sysmon`)": `sysmon`) and EventCode eq 1 and ParentImage ends_with "\\winword.exe" and Desc eq "it's" and Image ends_with any["\\cmd.exe", "\\powershell.exe"]"#
    );
    let preds = r.logic.expr.preds();
    assert_eq!(
        preds[1].span.unwrap().slice(DETECTION),
        Some(r#"ParentImage="*\\winword.exe""#)
    );
    // Through YAML's doubled quotes …
    assert_eq!(
        preds[2].span.unwrap().slice(DETECTION),
        Some(r#"Desc="it''s""#)
    );
    // … and across a folded line.
    assert_eq!(
        preds[3].span.unwrap().slice(DETECTION),
        Some("Image IN (*\\\\cmd.exe,\n  *\\\\powershell.exe)")
    );
    let agg = r.logic.aggregation.as_ref().unwrap();
    assert_eq!(agg.condition.len(), 1);
}

#[test]
fn a_search_that_does_not_parse_keeps_the_rule_and_points_inside_it() {
    let text = DETECTION.replace("EventCode=1 Parent", "EventCode=\"1 Parent");
    let parsed = parse_splunk("x.yml", &text);
    assert_eq!(parsed.rules.len(), 1);
    assert!(!parsed.rules[0].logic.is_fully_parsed());
    assert_eq!(parsed.errors.len(), 1);
    let e = &parsed.errors[0];
    assert!(matches!(
        e.kind,
        ErrorKind::Query {
            error: QueryErrorKind::Unterminated { what: "string" }
        }
    ));
    // Quotes pair up to the one after `it''s`, on line 11, column 72, which
    // is left open.
    let at = line_col(&text, e.span.start as usize);
    assert_eq!((at.line, at.column), (11, 72));
    assert_eq!(&text[e.span.start as usize..][..1], "\"");
}

#[test]
fn missing_id_gives_no_rule() {
    let text = DETECTION.replace("id: 0f0e0d0c-0000-4000-8000-000000000001\n", "");
    let parsed = parse_splunk("x.yml", &text);
    assert!(parsed.rules.is_empty());
    assert!(matches!(
        parsed.errors[0].kind,
        ErrorKind::MissingKey { key: "id" }
    ));
}

#[test]
fn invalid_yaml_is_an_error_with_a_position() {
    let parsed = parse_splunk("x.yml", "name: [unclosed\nid: x\n");
    assert!(parsed.rules.is_empty());
    assert!(matches!(parsed.errors[0].kind, ErrorKind::Yaml { .. }));
}

#[test]
fn bad_date_and_technique_are_warnings() {
    let text = DETECTION
        .replace("date: '2024-05-02'", "date: 'May 2nd'")
        .replace("  - t1204\n", "  - T12\n");
    let parsed = parse_splunk("x.yml", &text);
    let codes: Vec<&str> = parsed.warnings.iter().map(|w| w.kind.code()).collect();
    assert_eq!(codes, ["invalid-date", "invalid-attack-ref"]);
    let r = &parsed.rules[0];
    assert_eq!(r.techniques, ["T1566.001"]);
    assert_eq!(r.extra["invalid_mitre_attack_id"][0], "T12");
}

#[test]
fn deprecated_folder_and_correlation_type() {
    let text = DETECTION.replace("type: TTP", "type: Correlation");
    let parsed = parse_splunk("detections/deprecated/x.yml", &text);
    let r = &parsed.rules[0];
    assert!(r.deprecated);
    assert_eq!(r.kind, RuleKind::Correlation);
    // The folder is not a domain.
    assert_eq!(r.domains, ["endpoint"]);
}

#[test]
fn severity_without_a_score_follows_the_type() {
    let text = DETECTION
        .replace("  risk_score: 81\n", "")
        .replace("type: TTP", "type: Hunting");
    let r = &parse_splunk("x.yml", &text).rules[0];
    assert_eq!(r.severity, Some(Severity::Informational));
}

#[test]
fn column_zero_continuation_lines_are_accepted() {
    // security_content writes some searches this way; strict YAML refuses it.
    let text = "name: N\nid: i\nsearch: 'a=1\n| where b=\"c\"'\ntype: TTP\n";
    let parsed = parse_splunk("x.yml", text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let r = &parsed.rules[0];
    assert_eq!(r.logic.expr.to_string(), r#"a eq 1 and b eq:cased "c""#);
    let p = &r.logic.expr.preds()[1];
    assert_eq!(p.span.unwrap().slice(text), Some("b=\"c\""));
}

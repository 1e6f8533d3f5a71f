//! The valid rule fixtures (`tests/fixtures/valid/`, written for these tests,
//! one per rule type and feature) read into the model.
//!
//! They check what the rule reader decides (metadata, aggregations, opaque
//! parts, filters, spans) and that every query parses fully.

use std::fs;
use std::path::{Path, PathBuf};

use ruledex_elastic::rule::{Parsed, parse_elastic};
use ruledex_model::{AggregationKind, Expr, Language, Op, Rule, Severity, Value};

/// Fewest valid fixtures the folder must hold.
const MIN_VALID_FIXTURES: usize = 12;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid")
}

struct Read {
    text: String,
    parsed: Parsed,
}

impl Read {
    fn rule(&self) -> &Rule {
        assert_eq!(self.parsed.rules.len(), 1, "one rule per file");
        &self.parsed.rules[0]
    }

    /// The file text a span covers.
    fn at(&self, span: Option<ruledex_diag::Span>) -> &str {
        span.and_then(|s| s.slice(&self.text)).unwrap_or("<none>")
    }

    /// The byte range of the query's text in the file.
    fn query_region(&self) -> std::ops::Range<usize> {
        let start = self.text.find("\nquery = ").expect("a query") + 9;
        let rest = &self.text[start..];
        let end = if let Some(body) = rest.strip_prefix("'''") {
            start + 3 + body.find("'''").expect("closed")
        } else {
            start + rest.find('\n').unwrap_or(rest.len())
        };
        start..end
    }
}

fn read(name: &str) -> Read {
    let path = dir().join(name);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let parsed = parse_elastic(name, &text);
    Read { text, parsed }
}

fn all() -> Vec<(String, Read)> {
    let mut names: Vec<String> = fs::read_dir(dir())
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let r = read(&n);
            (n, r)
        })
        .collect()
}

fn strs(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

fn reasons(rule: &Rule) -> Vec<&str> {
    rule.logic
        .expr
        .opaques()
        .into_iter()
        .map(|o| o.reason.as_str())
        .collect()
}

#[test]
fn every_fixture_gives_one_rule_without_other_problems() {
    let fixtures = all();
    assert!(fixtures.len() >= MIN_VALID_FIXTURES, "{}", fixtures.len());
    for (name, r) in &fixtures {
        assert_eq!(r.parsed.rules.len(), 1, "{name}");
        assert!(
            r.parsed.warnings.is_empty(),
            "{name}: {:?}",
            r.parsed.warnings
        );
        assert!(r.parsed.errors.is_empty(), "{name}: {:?}", r.parsed.errors);
        let rule = r.rule();
        assert!(rule.uid.starts_with("elastic:6a1d0e4e-"), "{name}");
        assert_eq!(rule.text, r.text, "{name}");
        assert_eq!(rule.source.path, *name);
        assert!(rule.created.is_some() && rule.modified.is_some(), "{name}");
    }
}

#[test]
fn kql_query_rule_metadata() {
    let r = read("query_kql_windows.toml");
    let rule = r.rule();
    assert_eq!(rule.uid, "elastic:6a1d0e4e-5a7b-4c1e-9d2a-000000000101");
    assert_eq!(rule.native_id, "6a1d0e4e-5a7b-4c1e-9d2a-000000000101");
    assert_eq!(rule.title, "Certificate Utility Downloading a File");
    assert!(
        rule.description
            .starts_with("Finds the Windows certificate utility")
    );
    assert!(rule.description.ends_with("administration."));
    assert_eq!(rule.severity, Some(Severity::Medium));
    assert_eq!(rule.status.as_deref(), Some("production"));
    assert!(!rule.deprecated);
    assert_eq!(strs(&rule.authors), ["ruledex authors"]);
    assert_eq!(rule.license.as_deref(), Some("Apache-2.0"));
    assert_eq!(
        strs(&rule.references),
        ["https://example.invalid/certutil-download"]
    );
    assert_eq!(rule.false_positives.len(), 1);
    assert_eq!(strs(&rule.techniques), ["T1105", "T1218", "T1218.011"]);
    assert_eq!(
        strs(&rule.tactics),
        ["command-and-control", "defense-evasion"]
    );
    assert_eq!(strs(&rule.platforms), ["windows"]);
    assert_eq!(strs(&rule.domains), ["endpoint"]);
    assert_eq!(rule.tags.len(), 6);
    assert_eq!(rule.created.as_deref(), Some("2024-02-12"));
    assert_eq!(rule.modified.as_deref(), Some("2025-01-20"));
    assert_eq!(rule.language, Language::Kql);
    assert_eq!(
        strs(&rule.data_sources),
        ["logs-endpoint.events.process-*", "winlogbeat-*"]
    );
    assert!(rule.events.iter().any(|e| e == "windows/process_creation"));
    for key in [
        "from",
        "integration",
        "interval",
        "max_signals",
        "note",
        "related_integrations",
        "required_fields",
        "risk_score",
        "setup",
        "timestamp_override",
        "type",
    ] {
        assert!(rule.extra.contains_key(key), "extra lacks {key}");
    }
    assert_eq!(rule.extra["risk_score"], 47);
    assert_eq!(rule.extra["type"], "query");
    assert_eq!(rule.extra["required_fields"][0]["name"], "process.name");
    assert!(
        rule.extra["note"]
            .as_str()
            .unwrap()
            .starts_with("## Triage")
    );
}

#[test]
fn lucene_query_rule() {
    let r = read("query_lucene.toml");
    let rule = r.rule();
    assert_eq!(rule.language, Language::Lucene);
    assert_eq!(strs(&rule.domains), ["web"]);
    assert!(rule.platforms.is_empty());
    assert_eq!(strs(&rule.techniques), ["T1190"]);
}

#[test]
fn eql_rules() {
    let r = read("eql_process.toml");
    let rule = r.rule();
    assert_eq!(rule.language, Language::Eql);
    assert_eq!(strs(&rule.platforms), ["linux"]);
    assert_eq!(strs(&rule.techniques), ["T1505", "T1505.003"]);
    assert_eq!(rule.severity, Some(Severity::High));

    let r = read("eql_sequence.toml");
    let rule = r.rule();
    assert_eq!(rule.language, Language::Eql);
    assert_eq!(strs(&rule.platforms), ["macos"]);
    assert_eq!(strs(&rule.tactics), ["execution"]);
}

#[test]
fn esql_rule() {
    let r = read("esql_stats.toml");
    let rule = r.rule();
    assert_eq!(rule.language, Language::Esql);
    assert_eq!(strs(&rule.domains), ["identity"]);
    assert_eq!(strs(&rule.platforms), ["okta"]);
    assert_eq!(strs(&rule.techniques), ["T1110", "T1110.003"]);
    assert_eq!(rule.extra["interval"], "10m");
}

/// Seed 001 shape: a threshold over a KQL query with group-by and cardinality.
#[test]
fn threshold_rule() {
    let r = read("threshold_port_probe.toml");
    let rule = r.rule();
    assert_eq!(rule.extra["type"], "threshold");
    let agg = rule.logic.aggregation.as_ref().expect("aggregation");
    let group: Vec<&str> = agg.group_by.iter().map(|f| f.raw.as_str()).collect();
    assert_eq!(group, ["host.id", "user.name", "process.parent.executable"]);
    assert_eq!(agg.condition.len(), 1);
    assert_eq!(agg.condition[0].op, Op::Gte);
    assert!((agg.condition[0].value - 5.0).abs() < f64::EPSILON);
    let AggregationKind::Threshold { cardinality } = &agg.kind else {
        panic!("{:?}", agg.kind)
    };
    assert_eq!(cardinality.len(), 1);
    assert_eq!(cardinality[0].0.raw, "process.args");
    assert_eq!(cardinality[0].1, 40);
    let window = agg.window.as_ref().expect("look-back window");
    assert_eq!(
        (window.text.as_str(), window.seconds),
        ("now-9m", Some(540))
    );
    assert_eq!(strs(&rule.techniques), ["T1046"]);
    assert_eq!(strs(&rule.tactics), ["discovery"]);
    assert!(
        rule.events.iter().any(|e| e == "linux/process_creation"),
        "{:?}",
        rule.events
    );
}

#[test]
fn new_terms_rule() {
    let r = read("new_terms_login.toml");
    let rule = r.rule();
    let agg = rule.logic.aggregation.as_ref().expect("aggregation");
    let AggregationKind::NewTerms { fields, history } = &agg.kind else {
        panic!("{:?}", agg.kind)
    };
    let fields: Vec<&str> = fields.iter().map(|f| f.raw.as_str()).collect();
    assert_eq!(fields, ["user.name", "source.ip"]);
    let history = history.as_ref().expect("history");
    assert_eq!(
        (history.text.as_str(), history.seconds),
        ("now-10d", Some(864_000))
    );
    assert_eq!(agg.window.as_ref().and_then(|w| w.seconds), Some(540));
    assert!(agg.group_by.is_empty() && agg.condition.is_empty());
}

#[test]
fn indicator_match_rule() {
    let r = read("threat_match_hash.toml");
    let rule = r.rule();
    assert_eq!(rule.language, Language::Other);
    assert_eq!(rule.severity, Some(Severity::Critical));
    let reasons = reasons(rule);
    assert!(
        reasons.contains(&"indicator match against threat indices"),
        "{reasons:?}"
    );
    let opaque = rule
        .logic
        .expr
        .opaques()
        .into_iter()
        .find(|o| o.reason.starts_with("indicator match"))
        .unwrap();
    assert!(r.at(opaque.span).starts_with("[[rule.threat_mapping]]"));
    for key in [
        "threat_index",
        "threat_query",
        "threat_mapping",
        "threat_filters",
        "threat_indicator_path",
        "threat_language",
        "language",
    ] {
        assert!(rule.extra.contains_key(key), "extra lacks {key}");
    }
    assert_eq!(rule.extra["language"], "kuery");
}

#[test]
fn machine_learning_rule() {
    let r = read("machine_learning_rare.toml");
    assert!(r.parsed.errors.is_empty(), "{:?}", r.parsed.errors);
    let rule = r.rule();
    assert_eq!(rule.language, Language::Other);
    let Expr::Opaque(o) = &rule.logic.expr else {
        panic!("{}", rule.logic.expr)
    };
    // The reason is the same for every such rule; the jobs are the opaque text.
    assert_eq!(o.reason, "machine learning job: no query to lower");
    assert!(
        o.text.contains("rare_process_by_host_windows")
            && o.text.contains("rare_process_by_host_linux")
    );
    assert_eq!(
        r.at(o.span),
        r#"["rare_process_by_host_windows", "rare_process_by_host_linux"]"#
    );
    assert_eq!(strs(&rule.platforms), ["windows", "linux"]);
    assert_eq!(strs(&rule.techniques), ["T1036"]);
    assert_eq!(rule.extra["anomaly_threshold"], 75);
    assert!(rule.data_sources.is_empty());
}

#[test]
fn deprecated_rule_is_read_and_flagged() {
    let r = read("deprecated_query.toml");
    let rule = r.rule();
    assert!(rule.deprecated);
    assert_eq!(rule.status.as_deref(), Some("deprecated"));
    assert_eq!(rule.extra["deprecation_date"], "2023/04/11");
    assert_eq!(strs(&rule.domains), ["network"]);
}

#[test]
fn building_block_rule() {
    let r = read("building_block.toml");
    let rule = r.rule();
    assert_eq!(rule.extra["building_block_type"], "default");
    assert_eq!(rule.extra["bypass_bbr_timing"], true);
    assert_eq!(strs(&rule.techniques), ["T1053", "T1053.005"]);
}

#[test]
fn filters_become_exclusions_and_conditions() {
    let r = read("filters_exclusions.toml");
    let rule = r.rule();
    let Expr::And(parts) = &rule.logic.expr else {
        panic!("{}", rule.logic.expr)
    };
    // The query's part(s), then the enabled filters in order; the disabled one is gone.
    let [.., wildcard, exists] = parts.as_slice() else {
        panic!("{}", rule.logic.expr)
    };
    let Expr::Not(negated) = wildcard else {
        panic!("{wildcard}")
    };
    let Expr::Pred(p) = negated.as_ref() else {
        panic!()
    };
    assert_eq!(p.field.raw, "file.path");
    assert_eq!(p.op, Op::Wildcard);
    assert!(!p.case_sensitive);
    assert_eq!(
        p.values,
        [Value::from(
            "?:\\\\Program Files\\\\WindowsPowerShell\\\\Modules\\\\*"
        )]
    );
    assert!(r.at(p.span).contains("value = \"?:"));
    let Expr::Pred(exists) = exists else {
        panic!("{exists}")
    };
    assert_eq!(
        (exists.field.raw.as_str(), exists.op),
        ("powershell.file.script_block_id", Op::Exists)
    );
    assert!(!rule.logic.expr.to_string().contains("backup-svc"));
    let exclusions = rule.logic.exclusions();
    assert_eq!(exclusions.len(), 1);
    assert_eq!(strs(&rule.techniques), ["T1620"]);
    assert_eq!(rule.extra["filters"].as_array().map(Vec::len), Some(3));
}

#[test]
fn suppression_exceptions_and_data_view() {
    let r = read("suppression_data_view.toml");
    let rule = r.rule();
    assert_eq!(strs(&rule.data_sources), ["security-solution-default"]);
    assert_eq!(strs(&rule.platforms), ["aws"]);
    assert_eq!(strs(&rule.domains), ["cloud"]);
    assert_eq!(rule.extra["alert_suppression"]["duration"]["unit"], "m");
    assert_eq!(
        rule.extra["alert_suppression"]["group_by"][0],
        "cloud.account.id"
    );
    assert_eq!(rule.extra["exceptions_list"][0]["type"], "endpoint");
    assert_eq!(strs(&rule.techniques), ["T1562", "T1562.008"]);
}

#[test]
fn basic_string_query_maps_back_through_escapes() {
    let r = read("basic_string_query.toml");
    let rule = r.rule();
    assert_eq!(rule.status.as_deref(), Some("development"));
    // With any parser outcome, the query's whole span is the raw string body.
    let region = r.query_region();
    let raw = &r.text[region.start + 1..region.end - 1];
    for o in rule.logic.expr.opaques() {
        assert_eq!(r.at(o.span), raw);
        assert!(
            o.text.contains("*\\\\CurrentVersion\\\\Run\\\\*"),
            "{}",
            o.text
        );
    }
}

#[test]
fn crlf_file_reads_the_same() {
    let r = read("query_kql_windows.toml");
    let crlf = r.text.replace('\n', "\r\n");
    let p = parse_elastic("crlf.toml", &crlf);
    let (a, b) = (r.rule(), &p.rules[0]);
    assert_eq!(a.title, b.title);
    assert_eq!(a.techniques, b.techniques);
    assert_eq!(a.description, b.description.replace("\r\n", "\n"));
    assert_eq!(r.parsed.errors.len(), p.errors.len());
    for (x, y) in r.parsed.errors.iter().zip(&p.errors) {
        let lx = ruledex_diag::line_col(&r.text, x.span.start as usize);
        let ly = ruledex_diag::line_col(&crlf, y.span.start as usize);
        assert_eq!(lx, ly);
    }
    for o in b.logic.expr.opaques() {
        let text = o.span.and_then(|s| s.slice(&crlf)).unwrap();
        assert_eq!(text.replace("\r\n", "\n"), o.text);
    }
}

// ---------------------------------------------------------------------------
// With the parsers: every predicate span points into the query, the logic is
// complete, and the query hints pick the catalog events.

/// Read a fixture that must now be fully parsed, and check its spans.
fn fully(name: &str) -> Read {
    let r = read(name);
    assert!(r.parsed.errors.is_empty(), "{name}: {:?}", r.parsed.errors);
    let rule = r.rule();
    if rule.language != Language::Other {
        assert!(rule.logic.is_fully_parsed(), "{name}: {}", rule.logic.expr);
    }
    let region = r.query_region();
    let filters = r.text.find("[[rule.filters]]");
    let mut preds = rule.logic.expr.preds();
    if let Some(AggregationKind::Sequence { steps, .. }) =
        rule.logic.aggregation.as_ref().map(|a| &a.kind)
    {
        preds.extend(steps.iter().flat_map(|s| s.expr.preds()));
    }
    assert!(!preds.is_empty(), "{name}: no predicate");
    for p in preds {
        let span = p.span.unwrap_or_else(|| panic!("{name}: {p} has no span"));
        if rule.language == Language::Kql || rule.language == Language::Lucene {
            assert!(
                r.at(Some(span)).contains(&p.field.raw),
                "{name}: {p} spans {:?}",
                r.at(Some(span))
            );
        }
        // Inside the query, or inside the Kibana filters that follow it.
        let in_query = region.contains(&(span.start as usize)) && span.end as usize <= region.end;
        let in_filters = filters.is_some_and(|f| span.start as usize >= f);
        assert!(
            in_query || in_filters,
            "{name}: {p} at {span:?} is outside the query {region:?}"
        );
    }
    r
}

#[test]
fn kql_fixtures_parse_fully() {
    for name in [
        "query_kql_windows.toml",
        "threshold_port_probe.toml",
        "new_terms_login.toml",
        "threat_match_hash.toml",
        "deprecated_query.toml",
        "filters_exclusions.toml",
        "suppression_data_view.toml",
        "basic_string_query.toml",
    ] {
        fully(name);
    }
    let events = |name: &str| read(name).rule().events.clone();
    assert_eq!(
        events("query_kql_windows.toml"),
        ["windows/process_creation"]
    );
    assert_eq!(
        events("threshold_port_probe.toml"),
        ["linux/process_creation"]
    );
    // `windows/powershell_script` when the parser passes the script-block
    // field on as a hint; `windows/process_creation` from the category alone.
    let powershell = events("filters_exclusions.toml");
    assert!(
        !powershell.is_empty() && powershell.iter().all(|e| e.starts_with("windows/")),
        "{powershell:?}"
    );
    assert_eq!(events("suppression_data_view.toml"), ["aws/cloudtrail"]);
    // The threat_match query (`file.hash.sha256:*`) is KQL too.
    let r = read("threat_match_hash.toml");
    assert_eq!(r.rule().logic.expr.opaques().len(), 1);
}

#[test]
fn lucene_fixture_parses_fully() {
    fully("query_lucene.toml");
}

#[test]
fn eql_fixtures_parse_fully() {
    let r = fully("eql_process.toml");
    assert_eq!(r.rule().events, ["linux/process_creation"]);
    fully("building_block.toml");
    let r = fully("eql_sequence.toml");
    let rule = r.rule();
    let agg = rule.logic.aggregation.as_ref().expect("a sequence");
    let AggregationKind::Sequence { steps, .. } = &agg.kind else {
        panic!("{:?}", agg.kind)
    };
    assert_eq!(steps.len(), 3);
    assert_eq!(agg.group_by[0].raw, "host.id");
    assert_eq!(agg.window.as_ref().and_then(|w| w.seconds), Some(60));
    assert!(
        rule.events.iter().any(|e| e == "macos/process_creation"),
        "{:?}",
        rule.events
    );
}

#[test]
fn esql_fixture_parses_fully() {
    let r = fully("esql_stats.toml");
    let rule = r.rule();
    assert_eq!(strs(&rule.data_sources), ["logs-okta.system-*"]);
    assert_eq!(rule.events, ["okta/system"]);
    assert!(rule.logic.aggregation.is_some());
}

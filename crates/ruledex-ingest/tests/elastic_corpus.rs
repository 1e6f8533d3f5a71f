//! Conformance of the Elastic front-end on the pinned elastic/detection-rules
//! corpus in `../shared/corpora/elastic` (2,192 TOML rules). Thresholds only
//! move up.
//!
//! In CI (`CI=true`) a missing corpus fails the test; on a developer's fresh
//! checkout without `../shared` the test says it is skipping.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use ruledex_ingest::{Report, ingest_dir};
use ruledex_model::{AggregationKind, Field, Language, Op, Rule, Vendor};

/// Rules whose logic has no opaque part (at most 2,192 − 106 machine-learning
/// − 9 indicator-match = 2,077). Measured: KQL 776, EQL 1,059, ES|QL 104,
/// Lucene 1. Most of the rest are ES|QL filters on values the model cannot
/// state exactly: transformed fields (`URL_DECODE`, `REPLACE`, `LENGTH`),
/// `GROK`/`DISSECT` columns, values computed from aggregates (`DATE_DIFF`,
/// ratios) and aggregates of a second `STATS`.
const EXPECTED_FULLY_PARSED_AT_LEAST: usize = 1940;
/// Queries that fail to parse (each is one failure).
const EXPECTED_QUERY_FAILURES: usize = 0;
/// Rules with at least one catalog event.
const EXPECTED_WITH_EVENTS_AT_LEAST: usize = 2038;

fn corpus() -> Option<PathBuf> {
    ruledex_testkit::shared("corpora/elastic")
}

fn report() -> Option<&'static Report> {
    static REPORT: OnceLock<Option<Report>> = OnceLock::new();
    REPORT
        .get_or_init(|| corpus().map(|dir| ingest_dir(Vendor::Elastic, &dir)))
        .as_ref()
}

fn rule(path_suffix: &str) -> &'static Rule {
    let r = report().expect("corpus present");
    r.rules
        .iter()
        .find(|rule| rule.source.path.ends_with(path_suffix))
        .unwrap_or_else(|| panic!("no rule at {path_suffix}"))
}

fn count<K: Ord>(items: impl Iterator<Item = K>) -> BTreeMap<K, usize> {
    let mut map = BTreeMap::new();
    for k in items {
        *map.entry(k).or_default() += 1;
    }
    map
}

/// An opaque reason without its particulars: the job, index or parser message.
fn reason_class(reason: &str) -> String {
    for prefix in [
        "machine learning job",
        "indicator match",
        "Kibana filter clause",
    ] {
        if reason.starts_with(prefix) {
            return format!("{prefix} …");
        }
    }
    reason.to_owned()
}

#[test]
fn every_file_gives_a_rule() {
    let Some(r) = report() else { return };
    println!(
        "elastic: files {} rules {} with_logic {} fully_parsed {} failed {} failures {} warnings {} with_events {}",
        r.files,
        r.rules.len(),
        r.with_logic(),
        r.fully_parsed(),
        r.failed_files,
        r.failures.len(),
        r.warnings.len(),
        r.with_events(),
    );
    let by_type = count(r.rules.iter().map(|rule| {
        let t = rule
            .extra
            .get("type")
            .and_then(|t| t.as_str())
            .unwrap_or("?");
        format!("{t}/{:?}", rule.language)
    }));
    println!("by type/language: {by_type:?}");
    let fully = count(
        r.rules
            .iter()
            .filter(|rule| rule.logic.is_fully_parsed())
            .map(|rule| format!("{:?}", rule.language)),
    );
    println!("fully parsed by language: {fully:?}");
    // Per language, measured; thresholds only move up. Every query parses
    // (no failure), so what is not fully parsed is opaque with a reason.
    for (language, at_least) in [("Kql", 776), ("Eql", 1059), ("Lucene", 1), ("Esql", 104)] {
        let n = fully.get(language).copied().unwrap_or(0);
        assert!(
            n >= at_least,
            "{language}: {n} fully parsed, expected at least {at_least}"
        );
    }
    println!(
        "failures by code: {:?}",
        count(r.failures.iter().map(|f| f.code.as_str()))
    );
    for f in r.failures.iter().take(10) {
        println!(
            "  {}:{}:{}: [{}] {}",
            f.path, f.line, f.column, f.code, f.reason
        );
    }
    for w in r.warnings.iter().take(10) {
        println!(
            "  warning {}:{}:{}: [{}] {}",
            w.path, w.line, w.column, w.code, w.reason
        );
    }

    assert_eq!(r.files, 2192);
    assert_eq!(r.rules.len(), 2192);
    assert_eq!(r.failed_files, 0);
    assert!(
        r.warnings.is_empty(),
        "{:?}",
        &r.warnings[..r.warnings.len().min(5)]
    );
    // Corpus facts (PROVENANCE.md): types and languages.
    let expected: BTreeMap<String, usize> = [
        ("eql/Eql", 1081),
        ("esql/Esql", 212),
        ("machine_learning/Other", 106),
        ("new_terms/Kql", 245),
        ("query/Kql", 507),
        ("query/Lucene", 1),
        ("threat_match/Other", 9),
        ("threshold/Kql", 31),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(by_type, expected);
    // Every query of every file parses: no failure at all.
    assert_eq!(
        r.failures.len(),
        EXPECTED_QUERY_FAILURES,
        "{:?}",
        &r.failures[..r.failures.len().min(5)]
    );
    assert!(
        r.fully_parsed() >= EXPECTED_FULLY_PARSED_AT_LEAST,
        "{} fully parsed",
        r.fully_parsed()
    );
    assert!(
        r.with_events() >= EXPECTED_WITH_EVENTS_AT_LEAST,
        "{} rules with events",
        r.with_events()
    );
}

#[test]
fn opaque_reasons() {
    let Some(r) = report() else { return };
    let reasons = count(r.rules.iter().flat_map(|rule| {
        rule.logic
            .expr
            .opaques()
            .into_iter()
            .map(|o| reason_class(&o.reason))
            .collect::<Vec<_>>()
    }));
    let mut ranked: Vec<_> = reasons.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!("opaque reasons:");
    for (reason, n) in &ranked {
        println!("  {n:>5}  {reason}");
    }
    // Permanent: these rule types have no query logic to lower.
    assert_eq!(reasons.get("machine learning job …"), Some(&106));
    assert_eq!(reasons.get("indicator match …"), Some(&9));
    // Every Kibana filter in the corpus lowers.
    assert_eq!(reasons.get("Kibana filter clause …"), None);
    let parse_failures: usize = reasons
        .iter()
        .filter(|(k, _)| k.ends_with("query does not parse"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(parse_failures, r.failures.len());
}

#[test]
fn uids_are_unique_and_prefixed() {
    let Some(r) = report() else { return };
    let mut uids: Vec<&str> = r.rules.iter().map(|r| r.uid.as_str()).collect();
    assert!(uids.iter().all(|u| u.starts_with("elastic:")));
    uids.sort_unstable();
    let before = uids.len();
    uids.dedup();
    assert_eq!(before, uids.len(), "duplicate rule ids in the corpus");
}

#[test]
fn metadata_over_the_corpus() {
    let Some(r) = report() else { return };
    let deprecated = r.rules.iter().filter(|r| r.deprecated).count();
    let building_blocks = r
        .rules
        .iter()
        .filter(|r| r.extra.contains_key("building_block_type"))
        .count();
    let with_techniques = r.rules.iter().filter(|r| !r.techniques.is_empty()).count();
    let with_platform = r.rules.iter().filter(|r| !r.platforms.is_empty()).count();
    let with_filters = r
        .rules
        .iter()
        .filter(|r| r.extra.contains_key("filters"))
        .count();
    println!(
        "deprecated {deprecated} building blocks {building_blocks} with techniques {with_techniques} with platform {with_platform} with filters {with_filters}"
    );
    assert_eq!(deprecated, 124);
    assert_eq!(building_blocks, 133);
    assert_eq!(with_filters, 21);
    // Every rule has ISO dates and a severity.
    assert!(r.rules.iter().all(|r| {
        r.created
            .as_deref()
            .is_some_and(|d| d.len() == 10 && d.as_bytes()[4] == b'-')
    }));
    assert!(
        r.rules
            .iter()
            .all(|r| r.modified.is_some() && r.severity.is_some())
    );
    // Measured: 2,114 rules have [[rule.threat]] blocks; a few cite only a tactic.
    assert!(with_techniques >= 2000, "{with_techniques}");
    assert!(with_platform >= 1900, "{with_platform}");
}

#[test]
fn seed_threshold_rule_network_scan() {
    if report().is_none() {
        return;
    }
    // Seed 001: "Potential Network Scan Executed From Host".
    let r = rule("rules/linux/discovery_ping_sweep_detected.toml");
    assert_eq!(r.title, "Potential Network Scan Executed From Host");
    assert_eq!(r.extra["type"], "threshold");
    assert_eq!(r.language, Language::Kql);
    let agg = r.logic.aggregation.as_ref().expect("threshold aggregation");
    let group: Vec<&str> = agg.group_by.iter().map(|f| f.raw.as_str()).collect();
    assert_eq!(
        group,
        ["host.id", "process.parent.entity_id", "process.executable"]
    );
    assert_eq!(agg.condition.len(), 1);
    assert_eq!(agg.condition[0].op, Op::Gte);
    assert!((agg.condition[0].value - 1.0).abs() < f64::EPSILON);
    let AggregationKind::Threshold { cardinality } = &agg.kind else {
        panic!("{:?}", agg.kind);
    };
    assert_eq!(cardinality.len(), 1);
    assert_eq!(cardinality[0].0.raw, Field::raw("process.args").raw);
    assert_eq!(cardinality[0].1, 100);
    assert_eq!(agg.window.as_ref().and_then(|w| w.seconds), Some(540));
    assert!(r.techniques.iter().any(|t| t == "T1046"));
    assert_eq!(r.tactics, ["discovery"]);
    assert_eq!(r.platforms, ["linux"]);
    assert_eq!(r.domains, ["endpoint"]);
    assert_eq!(r.created.as_deref(), Some("2023-09-04"));
    assert!(
        r.events.iter().any(|e| e == "linux/process_creation"),
        "{:?}",
        r.events
    );
}

#[test]
fn query_failures_point_inside_the_query() {
    let Some(r) = report() else { return };
    // Each failure's line is inside its file's `query = '''…'''` block.
    let mut checked = 0;
    for f in r.failures.iter().take(200) {
        let rule = r
            .rules
            .iter()
            .find(|rule| f.path.ends_with(&rule.source.path))
            .expect("a failure's rule is kept");
        let start = rule.text.find("\nquery = ").expect("query key") + 1;
        let query_line = rule.text[..start].lines().count() as u32 + 1;
        assert!(
            f.line >= query_line,
            "{}:{} before the query",
            f.path,
            f.line
        );
        checked += 1;
    }
    println!("checked {checked} failure positions");
}

/// Every predicate span — in the expression, sequence steps, metric filters
/// and the having condition — is a range of the rule file that covers the
/// field it tests (its last name segment) or, for a value list grouped under
/// one field, its first value (ES|QL conditions traced through `EVAL`
/// columns excepted: they point at the condition on the column).
#[test]
fn predicate_spans_point_into_the_file() {
    fn alnum(s: &str) -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    }
    let Some(r) = report() else { return };
    let mut checked = 0;
    let mut misplaced = Vec::new();
    for rule in &r.rules {
        let mut exprs: Vec<&ruledex_model::Expr> = vec![&rule.logic.expr];
        if let Some(agg) = &rule.logic.aggregation {
            if let AggregationKind::Sequence { steps, until } = &agg.kind {
                exprs.extend(steps.iter().map(|s| &s.expr));
                exprs.extend(until.as_deref());
            }
            exprs.extend(agg.metrics.iter().filter_map(|m| m.filter.as_ref()));
            exprs.extend(agg.having.as_ref());
        }
        for e in exprs {
            for p in e.preds() {
                checked += 1;
                let Some(span) = p.span else {
                    misplaced.push(format!("{}: `{p}` has no span", rule.source.path));
                    continue;
                };
                let text = alnum(span.slice(&rule.text).unwrap_or_default());
                let field = alnum(p.field.raw.rsplit('.').next().unwrap_or_default());
                let value: String = alnum(
                    p.values
                        .first()
                        .and_then(|v| v.as_str())
                        .unwrap_or_default(),
                )
                .chars()
                .take(4)
                .collect();
                // ES|QL conditions on EVAL columns are traced back to the
                // fields they compute from: their span is the condition on the column.
                let traced = rule.language == Language::Esql;
                if !(traced
                    || text.contains(&field)
                    || (!value.is_empty() && text.contains(&value)))
                {
                    misplaced.push(format!("{}: {span:?} for `{p}`", rule.source.path));
                }
            }
        }
    }
    println!(
        "checked {checked} predicate spans; {} misplaced",
        misplaced.len()
    );
    for m in misplaced.iter().take(15) {
        println!("  {m}");
    }
    assert!(checked > 20_000, "{checked}");
    assert!(
        misplaced.is_empty(),
        "{} spans do not cover their predicate",
        misplaced.len()
    );
}

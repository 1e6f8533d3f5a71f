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
use ruledex_model::{
    AggregationKind, Field, Language, MetricFunction, Op, Rule, TimeUnit, Transform, Value, Vendor,
};

/// Rules whose logic has no opaque part (at most 2,192 − 106 machine-learning
/// − 9 indicator-match = 2,077; 2,026 is 97.5 %). Measured: KQL 783, EQL
/// 1,072, ES|QL 170, Lucene 1. The rest are mostly ES|QL: aggregates of a
/// second `STATS` or `INLINE STATS`, columns an LLM `COMPLETION` wrote,
/// full-text `:` matches, and values computed from aggregates the model
/// cannot state (`ROUND`, `LOCATE`, `MV_INTERSECTION`, integer division).
const EXPECTED_FULLY_PARSED: usize = 2026;
/// Rules of each language whose logic has no opaque part.
const EXPECTED_FULLY_PARSED_BY_LANGUAGE: [(&str, usize); 4] =
    [("Kql", 783), ("Eql", 1072), ("Lucene", 1), ("Esql", 170)];
/// Every opaque reason with the number of rules that have it
/// ([`Report::opaque_reasons`]), as `ruledex ingest --json` lists them.
const EXPECTED_OPAQUE_REASONS: &[(&str, usize)] = &[
    ("machine learning job: no query to lower", 106),
    ("indicator match against threat indices", 9),
    ("WHERE on an aggregate of a second STATS", 8),
    ("WHERE on a column computed by EVAL (TO_UPPER)", 7),
    ("WHERE on a column extracted by DISSECT", 7),
    ("EQL function `substring`", 6),
    ("WHERE on a column computed by EVAL (COALESCE)", 6),
    ("WHERE on an INLINE STATS aggregate", 6),
    ("full-text search", 5),
    ("WHERE on a column computed by EVAL (REPLACE)", 4),
    (
        "post-STATS filter on a value computed from aggregates (arithmetic)",
        4,
    ),
    ("post-STATS filter on an aggregate (COUNT_DISTINCT)", 4),
    ("comparison with a computed value", 3),
    (
        "post-STATS filter on a value computed from aggregates (ROUND)",
        3,
    ),
    ("EQL function `concat`", 2),
    ("EQL missing-event term `![…]`", 2),
    (
        "post-STATS filter on a value computed from aggregates (CASE)",
        2,
    ),
    (
        "post-STATS filter on a value computed from aggregates (LOCATE)",
        2,
    ),
    (
        "post-STATS filter on a value computed from aggregates (MV_INTERSECTION)",
        2,
    ),
    ("post-STATS filter on an aggregate with an opaque WHERE", 2),
    ("EQL function `indexOf`", 1),
    ("RLIKE pattern uses Lucene intersection `&`", 1),
    ("WHERE on a column computed by EVAL (CASE)", 1),
    ("WHERE on a column computed by EVAL (FROM_BASE64)", 1),
    ("WHERE on a column computed by EVAL (JSON_EXTRACT)", 1),
    ("WHERE on a column computed by EVAL (TO_LOWER)", 1),
    (
        "post-STATS filter on a value computed from aggregates (DATE_DIFF)",
        1,
    ),
    (
        "post-STATS filter on a value computed from aggregates (MV_FIRST)",
        1,
    ),
    ("post-STATS filter on an aggregate (MIN)", 1),
];
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
    // Per language, measured. Every query parses (no failure), so what is
    // not fully parsed is opaque with a reason.
    for (language, expected) in EXPECTED_FULLY_PARSED_BY_LANGUAGE {
        let n = fully.get(language).copied().unwrap_or(0);
        assert_eq!(n, expected, "{language}: fully parsed");
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
    assert_eq!(r.fully_parsed(), EXPECTED_FULLY_PARSED, "fully parsed");
    // The acceptance bar: 97 % of the rules that have a query to lower.
    let lowerable = r.rules.len() - 106 - 9;
    assert!(
        r.fully_parsed() * 100 >= lowerable * 97,
        "{} of {lowerable} fully parsed",
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
    // The report's own list (rules per reason), exactly.
    let listed = r.opaque_reasons();
    let listed: Vec<(&str, usize)> = listed.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    assert_eq!(
        listed, EXPECTED_OPAQUE_REASONS,
        "opaque reasons (rules each)"
    );
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

// Spot checks of rules whose logic became fully parsed with field transforms,
// field globs and values computed from metrics; each expectation is written
// from the rule's TOML.

/// The predicate on `field` in the rule's expression (the only one).
fn pred_on<'a>(rule: &'a Rule, field: &str) -> &'a ruledex_model::Pred {
    let preds: Vec<_> = rule
        .logic
        .expr
        .preds()
        .into_iter()
        .filter(|p| p.field.raw == field)
        .collect();
    assert_eq!(preds.len(), 1, "{field} in {}", rule.logic.expr);
    preds[0]
}

#[test]
fn kql_wildcard_field_is_a_glob() {
    if report().is_none() {
        return;
    }
    // `azure.auditlogs.properties.target_resources.*.type: "User"`
    let r = rule("rules/integrations/azure/initial_access_entra_id_user_reported_risk.toml");
    assert!(r.logic.is_fully_parsed(), "{}", r.logic.expr);
    let ruledex_model::Expr::And(terms) = &r.logic.expr else {
        panic!("{}", r.logic.expr);
    };
    assert_eq!(terms.len(), 5);
    let p = pred_on(r, "azure.auditlogs.properties.target_resources.*.type");
    assert!(p.field.is_glob());
    assert!(
        p.field
            .matches("azure.auditlogs.properties.target_resources.0.type")
    );
    assert_eq!(p.field.canonical, None);
    assert_eq!((p.op, p.case_sensitive), (Op::Eq, true));
    assert_eq!(p.values, vec![Value::from("User")]);
    let p = pred_on(r, "azure.auditlogs.operation_name");
    assert_eq!(p.values, vec![Value::from("Suspicious activity reported")]);
}

#[test]
fn eql_length_is_a_transform() {
    if report().is_none() {
        return;
    }
    // `not length(file.name) > 30`
    let r = rule("rules/windows/command_and_control_ingress_transfer_bits.toml");
    assert!(r.logic.is_fully_parsed(), "{}", r.logic.expr);
    let negated = r.logic.expr.any(&mut |e| {
        matches!(e, ruledex_model::Expr::Not(inner) if matches!(&**inner,
            ruledex_model::Expr::Pred(p) if p.field.raw == "file.name"
                && p.transforms == [Transform::Length]
                && p.op == Op::Gt
                && p.values == [Value::Int(30)]))
    });
    assert!(negated, "{}", r.logic.expr);
}

#[test]
fn esql_grok_column_and_date_diff_until_now() {
    if report().is_none() {
        return;
    }
    // | grok process.command_line """e=Access&y=Guest&h=(?<Esql.screenconnect_server>[^&]+)&p"""
    // | where Esql.screenconnect_server is not null and not Esql.screenconnect_server like "*.screenconnect.com"
    // | stats Esql.count_distinct_host_id = count_distinct(host.id), Esql.first_time_seen = min(@timestamp), … by Esql.screenconnect_server
    // | eval Esql.recent = date_diff("minute", Esql.first_time_seen, now())
    // | where Esql.recent <= 6 and Esql.count_distinct_host_id == 1
    let r = rule("rules/windows/command_and_control_newly_observed_screenconnect_host_server.toml");
    assert!(r.logic.is_fully_parsed(), "{}", r.logic.expr);
    let grok = Transform::Grok {
        pattern: "e=Access&y=Guest&h=(?<Esql.screenconnect_server>[^&]+)&p".into(),
        key: "Esql.screenconnect_server".into(),
    };
    let on_server: Vec<_> = r
        .logic
        .expr
        .preds()
        .into_iter()
        .filter(|p| p.field.raw == "process.command_line" && p.transforms == [grok.clone()])
        .map(|p| (p.op, p.values.clone()))
        .collect();
    assert_eq!(
        on_server,
        [
            (Op::IsNotNull, vec![]),
            (Op::EndsWith, vec![Value::from(".screenconnect.com")])
        ]
    );
    let agg = r.logic.aggregation.as_ref().expect("aggregation");
    let by: Vec<&str> = agg.group_by.iter().map(|f| f.raw.as_str()).collect();
    assert_eq!(by, ["Esql.screenconnect_server"]);
    let having = agg.having.as_ref().expect("having");
    let preds = having.preds();
    assert_eq!(preds.len(), 2, "{having}");
    assert_eq!(preds[0].field.raw, "Esql.first_time_seen");
    assert_eq!(
        preds[0].transforms,
        [Transform::DateDiff {
            unit: TimeUnit::Minute,
            until: None
        }]
    );
    assert_eq!(
        (preds[0].op, &preds[0].values),
        (Op::Lte, &vec![Value::Int(6)])
    );
    assert_eq!(preds[1].field.raw, "Esql.count_distinct_host_id");
    assert_eq!(
        (preds[1].op, &preds[1].values),
        (Op::Eq, &vec![Value::Int(1)])
    );
    let first_seen = agg
        .metrics
        .iter()
        .find(|m| m.name == "Esql.first_time_seen")
        .expect("metric");
    assert_eq!(first_seen.function, MetricFunction::Min);
    assert_eq!(
        first_seen.field.as_ref().map(|f| f.raw.as_str()),
        Some("@timestamp")
    );
}

#[test]
fn esql_url_decoded_then_lower_cased() {
    if report().is_none() {
        return;
    }
    // | eval Esql.url_original_url_decoded_to_lower = to_lower(URL_DECODE(url.original))
    // | where Esql.url_original_url_decoded_to_lower like "*=http://*" or … rlike """.*=.*[0-9]{1,3}…"""
    let r = rule("rules/cross-platform/discovery_web_server_remote_file_inclusion_activity.toml");
    assert!(r.logic.is_fully_parsed(), "{}", r.logic.expr);
    let decoded: Vec<_> = r
        .logic
        .expr
        .preds()
        .into_iter()
        .filter(|p| p.transforms == [Transform::UrlDecode, Transform::Lower])
        .collect();
    assert!(
        decoded
            .iter()
            .all(|p| p.field.raw == "url.original" && p.case_sensitive)
    );
    let contains: Vec<&str> = decoded
        .iter()
        .filter(|p| p.op == Op::Contains)
        .flat_map(|p| p.values.iter().filter_map(Value::as_str))
        .collect();
    assert_eq!(
        contains,
        ["=http://", "=https://", "=ftp://", "=smb://", "=file://"]
    );
    assert_eq!(decoded.iter().filter(|p| p.op == Op::Regex).count(), 1);
    // The plain filter before the EVAL is untouched: `url.original like "*=*"`.
    assert!(
        r.logic
            .expr
            .preds()
            .iter()
            .any(|p| p.field.raw == "url.original"
                && p.transforms.is_empty()
                && p.op == Op::Contains
                && p.values == [Value::from("=")])
    );
}

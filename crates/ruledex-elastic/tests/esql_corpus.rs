//! ES|QL conformance on the Elastic prebuilt rules corpus (`../shared/corpora/elastic`):
//! every `type = "esql"` query parses, prints back to an equal tree, and lowers;
//! the figures are asserted so that they can only get better.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ruledex_elastic::esql;
use ruledex_model::AggregationKind;

fn corpus_dir() -> Option<PathBuf> {
    ruledex_testkit::shared("corpora/elastic")
}

/// `(file, query)` of every ES|QL rule that has a query.
fn queries(dir: &Path) -> Vec<(String, String)> {
    ruledex_testkit::elastic_queries(dir, |ty, _| ty == Some("esql"))
}

#[test]
fn every_esql_query_parses_and_round_trips() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let qs = queries(&dir);
    let mut failures = Vec::new();
    let mut round_trip_failures = Vec::new();
    let started = Instant::now();
    for (file, q) in &qs {
        match esql::parse(q) {
            Ok(ast) => {
                let printed = ast.to_string();
                match esql::parse(&printed) {
                    Ok(again) if again == ast => {}
                    Ok(_) => round_trip_failures.push(format!("{file}: reparsed tree differs")),
                    Err(e) => round_trip_failures
                        .push(format!("{file}: printed query fails: {e}\n{printed}")),
                }
            }
            Err(e) => {
                let at = e.span.start as usize;
                let ctx: String = q.get(at..).unwrap_or("").chars().take(60).collect();
                failures.push(format!("{file}: {e} at {at}: {ctx:?}"));
            }
        }
    }
    let elapsed = started.elapsed();
    let started = Instant::now();
    for (_, q) in &qs {
        let _ = esql::parse(q);
    }
    let parse_only = started.elapsed();
    println!(
        "esql corpus: {} queries, {} parsed, {} failed, {} round-trip failures \
         (parsing {parse_only:?}; parsing, printing and reparsing {elapsed:?})",
        qs.len(),
        qs.len() - failures.len(),
        failures.len(),
        round_trip_failures.len()
    );
    for f in failures.iter().chain(&round_trip_failures).take(40) {
        println!("  {f}");
    }
    assert_eq!(qs.len(), 212);
    assert!(
        failures.is_empty(),
        "{} queries fail to parse",
        failures.len()
    );
    assert!(round_trip_failures.is_empty());
}

/// Opaque nodes per reason over the corpus; they may only go down. Reasons
/// from inside `KQL()` strings depend on the KQL front-end and are checked apart.
const OPAQUE_REASONS: &[(&str, usize)] = &[
    ("RLIKE pattern uses Lucene intersection `&`", 1),
    ("WHERE on a column computed by EVAL (CASE)", 2),
    ("WHERE on a column computed by EVAL (COALESCE)", 7),
    ("WHERE on a column computed by EVAL (FROM_BASE64)", 3),
    ("WHERE on a column computed by EVAL (JSON_EXTRACT)", 1),
    ("WHERE on a column computed by EVAL (REPLACE)", 4),
    ("WHERE on a column computed by EVAL (TO_LOWER)", 1),
    ("WHERE on a column computed by EVAL (TO_UPPER)", 8),
    ("WHERE on a column extracted by DISSECT", 11),
    ("WHERE on an INLINE STATS aggregate", 6),
    ("WHERE on an aggregate of a second STATS", 21),
    ("comparison with a computed value", 3),
    ("full-text search", 5),
    (
        "post-STATS filter on a value computed from aggregates (CASE)",
        2,
    ),
    (
        "post-STATS filter on a value computed from aggregates (DATE_DIFF)",
        1,
    ),
    (
        "post-STATS filter on a value computed from aggregates (LOCATE)",
        2,
    ),
    (
        "post-STATS filter on a value computed from aggregates (MV_FIRST)",
        3,
    ),
    (
        "post-STATS filter on a value computed from aggregates (MV_INTERSECTION)",
        2,
    ),
    (
        "post-STATS filter on a value computed from aggregates (ROUND)",
        3,
    ),
    (
        "post-STATS filter on a value computed from aggregates (arithmetic)",
        5,
    ),
    ("post-STATS filter on an aggregate (COUNT_DISTINCT)", 5),
    ("post-STATS filter on an aggregate (MIN)", 1),
    ("post-STATS filter on an aggregate with an opaque WHERE", 3),
];

/// `KQL("…")` calls the KQL front-end could not read (all 37 while it is a placeholder).
const KQL_NOT_LOWERED: usize = 37;

/// Queries that lower with no opaque node at all. (69 before post-`STATS`
/// conditions became metrics and `having`; two of those were approximations:
/// `COUNT_DISTINCT` of a lower-cased column taken as the field's. 104 before
/// field transforms, `GROK`/`DISSECT` columns and values computed from
/// metrics.)
const FULLY_LOWERED: usize = 170;

/// Aggregations in threshold form (`condition`/`cardinality`, `having` empty)
/// and in `having` form; the other aggregations (164 in all) have no
/// condition on their aggregates, or only opaque ones.
/// (76 and 59 before values computed from metrics joined `having`: a
/// threshold beside an opaque condition became one `having` with it.)
const THRESHOLD_FORM: usize = 57;
const HAVING_FORM: usize = 89;

#[test]
fn esql_lowering_figures() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let qs = queries(&dir);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let (mut full, mut only_kql, mut with_agg, mut with_preds) = (0, 0, 0, 0);
    let (mut threshold_form, mut having_form) = (0, 0);
    let started = Instant::now();
    for (file, q) in &qs {
        let l = esql::parse_and_lower(q).unwrap_or_else(|e| panic!("{file}: {e}"));
        let ops = l.expr.opaques();
        if ops.is_empty() {
            full += 1;
        } else if ops.iter().all(|o| o.reason.starts_with("KQL()")) {
            only_kql += 1;
        }
        if std::env::var("ESQL_SHOW_OPAQUE").is_ok() && !ops.is_empty() {
            println!("--- {file}");
            for o in &ops {
                let text: String = o.text.chars().take(150).collect();
                println!("   [{}] {text}", o.reason);
            }
        }
        if std::env::var("ESQL_SHOW_AGGREGATION").is_ok()
            && let Some(a) = &l.aggregation
        {
            println!("--- {file}\n   {a}");
        }
        if let Some(a) = &l.aggregation {
            assert!(
                a.having.as_ref().is_none_or(|h| !h.has_opaque()),
                "{file}: opaque in having"
            );
            assert!(
                a.having.is_none() || a.condition.is_empty(),
                "{file}: both a threshold and having"
            );
            if a.having.is_some() {
                having_form += 1;
            } else if !a.condition.is_empty()
                || matches!(&a.kind, AggregationKind::Threshold { cardinality } if !cardinality.is_empty())
            {
                threshold_form += 1;
            }
        }
        with_agg += usize::from(l.aggregation.is_some());
        with_preds += usize::from(l.expr.has_predicate());
        for o in ops {
            *reasons.entry(o.reason.clone()).or_default() += 1;
        }
    }
    let elapsed = started.elapsed();
    println!(
        "esql lowering: {} queries, {full} with no opaque node ({:.1}%), {only_kql} more with \
         opaque KQL() strings only, {with_preds} with predicates, {with_agg} with an aggregation \
         ({threshold_form} as a threshold, {having_form} with having) ({elapsed:?} incl. parsing)",
        qs.len(),
        100.0 * full as f64 / qs.len() as f64,
    );
    for (r, n) in &reasons {
        println!("  {n:4}  {r}");
    }
    let kql_not_lowered = reasons
        .iter()
        .filter(|(r, _)| r.starts_with(esql::reason::KQL))
        .map(|(_, n)| n)
        .sum::<usize>();
    assert!(
        kql_not_lowered <= KQL_NOT_LOWERED,
        "{kql_not_lowered} KQL() strings not lowered"
    );
    let own: BTreeMap<&str, usize> = reasons
        .iter()
        .filter(|(r, _)| !r.starts_with("KQL()"))
        .map(|(r, n)| (r.as_str(), *n))
        .collect();
    let expected: BTreeMap<&str, usize> = OPAQUE_REASONS.iter().copied().collect();
    assert_eq!(own, expected, "opaque reasons and counts");
    assert!(
        full >= FULLY_LOWERED,
        "{full} fully lowered, expected at least {FULLY_LOWERED}"
    );
    assert_eq!(
        (threshold_form, having_form),
        (THRESHOLD_FORM, HAVING_FORM),
        "aggregations as a threshold and with having"
    );
}

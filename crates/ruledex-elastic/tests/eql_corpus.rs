//! Conformance over the Elastic corpus: every EQL query parses, prints back to
//! an equal tree, lowers with spans on every predicate, and the opaque parts
//! are exactly the ones listed here (counts may only go down).
//!
//! The queries are read from `../shared/corpora/elastic` (not shipped with
//! the project). Without it the test is skipped, unless `CI=true`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ruledex_elastic::eql;
use ruledex_model::{AggregationKind, Expr, Logic};

/// EQL rules in the corpus at its pinned commit.
const EQL_RULES: usize = 1081;

/// Opaque reasons, with the number of rules that have each (a rule counts
/// once per reason). These can only go down.
const OPAQUE_REASONS: &[(&str, usize)] = &[
    ("EQL function `concat`", 2),
    ("EQL function `indexOf`", 1),
    ("EQL function `substring`", 6),
    ("EQL missing-event term `![…]`", 2),
];

fn corpus_dir() -> Option<PathBuf> {
    ruledex_testkit::shared("corpora/elastic")
}

/// `(relative path, query)` of every EQL rule.
fn eql_queries(dir: &Path) -> Vec<(String, String)> {
    ruledex_testkit::elastic_queries(dir, |ty, language| {
        ty != Some("machine_learning") && (ty == Some("eql") || language == Some("eql"))
    })
}

/// Every expression of the lowered logic: the main one, sequence steps, `until`.
fn all_exprs(logic: &Logic) -> Vec<&Expr> {
    let mut out = vec![&logic.expr];
    if let Some(agg) = &logic.aggregation
        && let AggregationKind::Sequence { steps, until } = &agg.kind
    {
        out.extend(steps.iter().map(|s| &s.expr));
        out.extend(until.as_deref());
    }
    out
}

#[test]
fn every_eql_query_parses_round_trips_and_lowers() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let queries = eql_queries(&dir);
    let mut parse_failures = Vec::new();
    let mut round_trip_failures = Vec::new();
    let mut span_failures = Vec::new();
    let mut fully_lowered = 0;
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut elapsed = Duration::ZERO;

    for (path, query) in &queries {
        let start = Instant::now();
        let parsed = eql::parse(query);
        let lowered = parsed.as_ref().ok().map(eql::lower);
        elapsed += start.elapsed();
        let ast = match parsed {
            Ok(ast) => ast,
            Err(e) => {
                let at = e.span.start as usize;
                let line = query[..at.min(query.len())].matches('\n').count() + 1;
                parse_failures.push(format!("{path}:{line}: {e}"));
                continue;
            }
        };
        let printed = ast.to_string();
        match eql::parse(&printed) {
            Ok(back) if back == ast => {}
            Ok(_) => round_trip_failures.push(format!("{path}: reparsed tree differs\n{printed}")),
            Err(e) => {
                round_trip_failures.push(format!("{path}: printed form fails: {e}\n{printed}"));
            }
        }
        let lowered = lowered.expect("lowered with the parse");
        let logic = Logic {
            expr: lowered.expr,
            aggregation: lowered.aggregation,
        };
        if logic.is_fully_parsed() {
            fully_lowered += 1;
        }
        let mut seen = Vec::new();
        for e in all_exprs(&logic) {
            for o in e.opaques() {
                if !seen.contains(&o.reason) {
                    seen.push(o.reason.clone());
                }
            }
            for p in e.preds() {
                let ok = p
                    .span
                    .and_then(|s| s.slice(query))
                    .is_some_and(|t| !t.trim().is_empty());
                if !ok {
                    span_failures.push(format!("{path}: predicate `{p}` has no usable span"));
                }
            }
        }
        for r in seen {
            *reasons.entry(r).or_default() += 1;
        }
    }

    let parsed = queries.len() - parse_failures.len();
    println!("EQL rules: {}", queries.len());
    println!("parsed: {parsed}, failed: {}", parse_failures.len());
    println!(
        "lowered with no opaque node: {fully_lowered} ({:.1}%)",
        100.0 * fully_lowered as f64 / queries.len().max(1) as f64
    );
    println!("parse + lower time: {elapsed:?}");
    println!("opaque reasons (rules):");
    for (r, n) in &reasons {
        println!("  {n:>4}  {r}");
    }
    for f in parse_failures.iter().take(20) {
        println!("parse failure: {f}");
    }
    for f in round_trip_failures.iter().take(5) {
        println!("round-trip failure: {f}");
    }
    for f in span_failures.iter().take(5) {
        println!("span failure: {f}");
    }

    assert_eq!(
        queries.len(),
        EQL_RULES,
        "number of EQL rules in the corpus"
    );
    assert!(
        parse_failures.is_empty(),
        "{} queries failed to parse",
        parse_failures.len()
    );
    assert!(
        round_trip_failures.is_empty(),
        "{} queries failed to round-trip",
        round_trip_failures.len()
    );
    assert!(
        span_failures.is_empty(),
        "{} predicates without a span",
        span_failures.len()
    );
    assert!(
        fully_lowered * 100 >= queries.len() * 97,
        "only {fully_lowered} of {} queries lowered fully",
        queries.len()
    );
    let want: BTreeMap<String, usize> = OPAQUE_REASONS
        .iter()
        .map(|(r, n)| ((*r).to_owned(), *n))
        .collect();
    assert_eq!(
        reasons, want,
        "opaque reasons changed; update OPAQUE_REASONS if they went down"
    );
}

//! Conformance on the real Elastic corpus (`../shared/corpora/elastic`): every
//! KQL query (`language = "kuery"`, machine-learning rules excepted) parses,
//! prints back to a query that parses to the same tree, and lowers; the
//! opaque reasons are counted and pinned, so that they can only go down.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ruledex_elastic::kql;

fn corpus_dir() -> Option<PathBuf> {
    ruledex_testkit::shared("corpora/elastic")
}

/// `(path relative to the corpus, query)` of every KQL rule with a query.
fn kql_queries(dir: &Path) -> Vec<(String, String)> {
    ruledex_testkit::elastic_queries(dir, |ty, language| {
        language == Some("kuery") && ty != Some("machine_learning")
    })
}

/// What the current corpus gives; change only when the corpus or the parser
/// improves (reasons may only lose rules).
const QUERIES: usize = 792;
/// (11 rules had a field name with a wildcard, opaque before field globs.)
const OPAQUE_REASONS: &[(&str, usize)] = &[];
const FULLY_LOWERED: usize = 792;

#[test]
fn every_kql_query_parses_round_trips_and_lowers() {
    let Some(dir) = corpus_dir() else { return };
    let queries = kql_queries(&dir);

    let started = Instant::now();
    let mut parsed = Vec::with_capacity(queries.len());
    let mut failures = String::new();
    for (path, q) in &queries {
        match kql::parse(q) {
            Ok(ast) => parsed.push((path, q, ast)),
            Err(e) => {
                let at = e.span.slice(q).unwrap_or("");
                let _ = writeln!(failures, "  {path}: {e} at {:?} `{at}`", e.span);
            }
        }
    }
    let lowered: Vec<_> = parsed.iter().map(|(_, _, ast)| kql::lower(ast)).collect();
    let elapsed = started.elapsed();

    let mut round_trip_failures = String::new();
    for (path, _, ast) in &parsed {
        let printed = ast.to_string();
        match kql::parse(&printed) {
            Ok(again) if &again == ast => {}
            Ok(_) => {
                let _ = writeln!(round_trip_failures, "  {path}: reprint differs: {printed}");
            }
            Err(e) => {
                let _ = writeln!(
                    round_trip_failures,
                    "  {path}: reprint fails ({e}): {printed}"
                );
            }
        }
    }

    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut fully = 0;
    let mut span_failures = String::new();
    for ((path, q, _), l) in parsed.iter().zip(&lowered) {
        if l.expr.has_opaque() {
            let mut seen: Vec<&str> = l.expr.opaques().iter().map(|o| o.reason.as_str()).collect();
            seen.sort_unstable();
            seen.dedup();
            for r in seen {
                *reasons.entry(r.to_owned()).or_default() += 1;
            }
        } else {
            fully += 1;
        }
        // Each predicate points at text that names its field (the last part
        // of it: inside `a:{ b:x }` the predicate on `a.b` points at `b:x`).
        for p in l.expr.preds() {
            let last = p.field.raw.rsplit('.').next().unwrap_or_default();
            let ok = p
                .span
                .and_then(|s| s.slice(q))
                .is_some_and(|t| !last.is_empty() && t.contains(last));
            if !ok {
                let _ = writeln!(span_failures, "  {path}: {p} has span {:?}", p.span);
            }
        }
    }

    eprintln!(
        "kql corpus: {} queries, {} parsed, {} failed, {} fully lowered, parse+lower {:.1} ms",
        queries.len(),
        parsed.len(),
        queries.len() - parsed.len(),
        fully,
        elapsed.as_secs_f64() * 1e3
    );
    for (r, n) in &reasons {
        eprintln!("  opaque {n:4}  {r}");
    }
    assert!(failures.is_empty(), "parse failures:\n{failures}");
    assert!(
        round_trip_failures.is_empty(),
        "round trip failures:\n{round_trip_failures}"
    );
    assert!(span_failures.is_empty(), "bad spans:\n{span_failures}");
    assert_eq!(
        queries.len(),
        QUERIES,
        "number of KQL queries in the corpus"
    );
    let want: BTreeMap<String, usize> = OPAQUE_REASONS
        .iter()
        .map(|(r, n)| ((*r).to_owned(), *n))
        .collect();
    assert_eq!(reasons, want, "opaque reasons (rules per reason)");
    assert_eq!(fully, FULLY_LOWERED, "queries lowered with no opaque node");
}

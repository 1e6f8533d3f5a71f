//! Conformance on Elastic's prebuilt rules (`../shared/corpora/elastic`): every
//! Lucene query parses, prints back to an equal AST and lowers; the counts are
//! asserted exactly so that they can only be moved on purpose.
//!
//! The corpus has a single Lucene rule, so the same checks also run the
//! Lucene parser over the corpus's Kibana (KQL) queries, which are largely
//! valid Lucene too: whatever parses there must print back to an equal AST,
//! and nothing may panic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ruledex_elastic::lucene;

fn corpus_dir() -> Option<PathBuf> {
    ruledex_testkit::shared("corpora/elastic")
}

/// `(file, query)` for every rule whose `rule.language` is `language`
/// (machine-learning rules and rules without a query skipped).
fn queries(dir: &Path, language: &str) -> Vec<(String, String)> {
    ruledex_testkit::elastic_queries(dir, |ty, lang| {
        lang == Some(language) && ty != Some("machine_learning")
    })
}

#[test]
fn every_lucene_query_parses_round_trips_and_lowers() {
    let Some(dir) = corpus_dir() else { return };
    let rules = queries(&dir, "lucene");

    let started = Instant::now();
    let results: Vec<_> = rules.iter().map(|(_, q)| lucene::parse(q)).collect();
    let parse_time = started.elapsed();

    let mut failures = Vec::new();
    let mut fully_lowered = 0;
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for ((file, query), result) in rules.iter().zip(&results) {
        let ast = match result {
            Ok(ast) => ast,
            Err(e) => {
                failures.push(format!(
                    "{file}: {e} at {}..{}: {:?}",
                    e.span.start,
                    e.span.end,
                    e.span.slice(query)
                ));
                continue;
            }
        };
        let printed = ast.to_string();
        match lucene::parse(&printed) {
            Ok(again) => assert_eq!(&again, ast, "{file}: round trip via {printed}"),
            Err(e) => panic!("{file}: printed query does not parse: {e}\n{printed}"),
        }
        let lowered = lucene::lower(ast);
        println!("{file}: {}", lowered.expr);
        let opaques = lowered.expr.opaques();
        if opaques.is_empty() {
            fully_lowered += 1;
        }
        for o in opaques {
            *reasons.entry(o.reason.clone()).or_default() += 1;
        }
    }

    println!("lucene rules:   {}", rules.len());
    println!("parsed:         {}", rules.len() - failures.len());
    println!("fully lowered:  {fully_lowered}");
    println!("opaque reasons: {reasons:?}");
    println!("parse time:     {parse_time:?}");
    for f in failures.iter().take(20) {
        println!("  {f}");
    }

    assert_eq!(rules.len(), 1, "Lucene rules in the corpus");
    assert!(failures.is_empty(), "parse failures: {failures:#?}");
    assert_eq!(fully_lowered, 1);
    assert_eq!(reasons, BTreeMap::new());
}

/// The corpus's Lucene rule names `event.type:(start or process_started)`:
/// Elasticsearch reads the group as the one value `start or process_started`.
#[test]
fn the_corpus_rule_has_a_whitespace_run() {
    let Some(dir) = corpus_dir() else { return };
    let rules = queries(&dir, "lucene");
    let runs: usize = rules
        .iter()
        .map(|(_, q)| {
            let ast = lucene::parse(q).expect("parses");
            lucene::pitfalls(&ast)
                .iter()
                .filter(|p| p.kind == lucene::PitfallKind::WhitespaceRun)
                .count()
        })
        .sum();
    assert_eq!(runs, 1);
}

#[test]
fn kql_queries_read_as_lucene_never_panic_and_round_trip() {
    let Some(dir) = corpus_dir() else { return };
    let rules = queries(&dir, "kuery");
    let started = Instant::now();
    let bytes: usize = rules.iter().map(|(_, q)| q.len()).sum();
    for (_, query) in &rules {
        let _ = lucene::parse_and_lower(query);
    }
    let parse_and_lower_time = started.elapsed();
    let mut parsed = 0;
    let mut fully_lowered = 0;
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for (file, query) in &rules {
        let Ok(ast) = lucene::parse(query) else {
            continue;
        };
        parsed += 1;
        let printed = ast.to_string();
        let again = lucene::parse(&printed).unwrap_or_else(|e| panic!("{file}: {e}\n{printed}"));
        assert_eq!(again, ast, "{file}: round trip via {printed}");
        let lowered = lucene::lower(&ast);
        if !lowered.expr.has_opaque() {
            fully_lowered += 1;
        }
        for o in lowered.expr.opaques() {
            *reasons.entry(o.reason.clone()).or_default() += 1;
        }
    }
    println!(
        "kuery queries read as Lucene: {} rules ({bytes} bytes), {parsed} parse, \
         {fully_lowered} lower fully; parse+lower {parse_and_lower_time:?}; opaque: {reasons:?}",
        rules.len(),
    );
    assert!(!rules.is_empty());
}

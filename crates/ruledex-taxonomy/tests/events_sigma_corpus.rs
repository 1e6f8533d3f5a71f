//! Corpus conformance: every logsource of the real SigmaHQ corpus maps to catalog events.
//!
//! Reads `../shared/corpora/sigma` (outside the repository; skipped when absent,
//! an error under CI). Only each rule's `logsource:` block is read, with a small
//! line-based reader: this test is about the event catalog, not about Sigma parsing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use ruledex_model::LogSource;
use ruledex_taxonomy::events::CatalogEvents;

/// Share of rules that must map to at least one event.
const MIN_MAPPED_SHARE: f64 = 0.99;

fn corpus() -> Option<PathBuf> {
    ruledex_testkit::shared("corpora/sigma")
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    out.extend(ruledex_testkit::files(dir, &["yml", "yaml"]));
}

/// A scalar value as YAML would read it: comment removed, quotes stripped.
fn scalar(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let value = if let Some(quoted) = raw.strip_prefix('\'').or_else(|| raw.strip_prefix('"')) {
        quoted.trim_end_matches(['\'', '"'])
    } else {
        raw.split(" #").next().unwrap_or(raw).trim()
    };
    (!value.is_empty()).then(|| value.to_owned())
}

/// The logsources of a file's documents: the direct children of each top-level
/// `logsource:` mapping.
fn logsources(text: &str) -> Vec<LogSource> {
    let mut found = Vec::new();
    let mut current: Option<(LogSource, Option<usize>)> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let content = line.trim();
        if let Some((logsource, child_indent)) = current.as_mut() {
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            if indent == 0 {
                found.push(current.take().expect("open logsource").0);
            } else {
                let child = *child_indent.get_or_insert(indent);
                if indent == child {
                    if let Some((key, value)) = content.split_once(':') {
                        let value = scalar(value);
                        match key.trim() {
                            "product" => logsource.product = value,
                            "category" => logsource.category = value,
                            "service" => logsource.service = value,
                            _ => {}
                        }
                    }
                }
                continue;
            }
        }
        if indent == 0 && content.trim_end() == "logsource:" {
            current = Some((LogSource::default(), None));
        }
    }
    found.extend(current.map(|(logsource, _)| logsource));
    found
}

#[test]
fn logsource_reader() {
    let text = "title: t\nlogsource:\n    product: windows\n    category: webserver # IIS logs\n    \
                definition: 'service: x'\ndetection:\n    service: not-this\n";
    let found = logsources(text);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].product.as_deref(), Some("windows"));
    assert_eq!(found[0].category.as_deref(), Some("webserver"));
    assert_eq!(found[0].service, None);
}

#[test]
fn every_sigma_logsource_maps_to_an_event() {
    let Some(dir) = corpus() else { return };
    let mut files = Vec::new();
    yaml_files(&dir, &mut files);
    let catalog = CatalogEvents::global();

    let mut rules = 0usize;
    let mut unmapped: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_event: BTreeMap<&str, usize> = BTreeMap::new();
    for path in &files {
        let text =
            fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        for logsource in logsources(&text) {
            rules += 1;
            let events = catalog.for_sigma(&logsource, &[]);
            if events.is_empty() {
                *unmapped.entry(logsource.to_string()).or_default() += 1;
            }
            for event in events {
                *per_event.entry(event).or_default() += 1;
            }
        }
    }
    let unmapped_rules: usize = unmapped.values().sum();
    let mapped_share = (rules - unmapped_rules) as f64 / rules as f64;
    eprintln!(
        "sigma: {} files, {rules} rules, {} mapped ({:.2}%), {unmapped_rules} unmapped, {} events used",
        files.len(),
        rules - unmapped_rules,
        mapped_share * 100.0,
        per_event.len()
    );
    for (logsource, count) in &unmapped {
        eprintln!("  unmapped: {logsource} ({count} rules)");
    }
    assert!(
        rules > 3000,
        "expected the whole Sigma corpus, read {rules} rules"
    );
    assert!(
        mapped_share >= MIN_MAPPED_SHARE,
        "only {:.2}% of rules map",
        mapped_share * 100.0
    );
    // Measured: every logsource maps. A new logsource in the corpus must get an
    // event in data/events.toml (or a reason here) before this passes again.
    assert_eq!(unmapped_rules, 0, "rules map to no event: {unmapped:?}");
}

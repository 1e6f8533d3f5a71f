//! Corpus coverage: Elastic prebuilt rules map to catalog events.
//!
//! Reads `../shared/corpora/elastic` (outside the repository; skipped when absent,
//! an error under CI). The query hints `for_elastic` takes are pulled out of each
//! query with a crude scanner (`event.category : "process"`, `process where …`,
//! `OS: Windows` tags): the Elastic front-end passes exact ones from its parsed
//! queries; this test measures the catalog, not query parsing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use ruledex_taxonomy::events::CatalogEvents;

/// Rules with an index (or ES|QL `FROM`) that map to at least one event, as measured.
const MAPPED_RULES: usize = 2035;

/// Fields whose values the scanner collects.
const HINT_FIELDS: [&str; 9] = [
    "event.category",
    "event.type",
    "event.action",
    "event.code",
    "event.dataset",
    "data_stream.dataset",
    "host.os.type",
    "winlog.channel",
    "winlog.event_id",
];

/// Fields whose mere presence is a hint.
const PRESENCE_FIELDS: [&str; 2] = ["dns.question.name", "powershell.file.script_block_text"];

fn corpus() -> Option<PathBuf> {
    ruledex_testkit::shared("corpora/elastic")
}

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    out.extend(ruledex_testkit::files(dir, &["toml"]));
}

/// Values compared to `field` in a KQL, EQL or ES|QL query: `field : "x"`,
/// `field == "x"`, `field : ("x" or "y")`, `field in ("x", "y")`.
fn values_of(query: &str, field: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut rest = query;
    while let Some(at) = rest.find(field) {
        let after = &rest[at + field.len()..];
        rest = after;
        let after = after.trim_start();
        let after = if let Some(a) = after.strip_prefix("==") {
            a
        } else if let Some(a) = after.strip_prefix(':') {
            a
        } else if let Some(a) = after
            .strip_prefix("in ")
            .or_else(|| after.strip_prefix("in~ "))
        {
            a
        } else if let Some(a) = after.strip_prefix("==~") {
            a
        } else {
            continue;
        };
        let after = after.trim_start();
        let list = if let Some(inner) = after.strip_prefix('(') {
            inner.split(')').next().unwrap_or_default()
        } else {
            after
                .split(|c: char| c.is_whitespace() || c == ')')
                .next()
                .unwrap_or_default()
        };
        for value in list.split([',', ' ']) {
            let value = value.trim().trim_matches('"');
            if !value.is_empty() && value != "or" && value != "and" {
                values.push(value.to_owned());
            }
        }
    }
    values
}

/// EQL event categories: `process where …`, `[network where …]`.
fn eql_categories(query: &str) -> Vec<String> {
    let words: Vec<&str> = query
        .split(|c: char| c.is_whitespace() || c == '[')
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .filter(|pair| {
            pair[1] == "where" && pair[0].chars().all(|c| c.is_ascii_lowercase() || c == '_')
        })
        .map(|pair| pair[0])
        .filter(|category| *category != "any")
        .map(str::to_owned)
        .collect()
}

/// Index patterns of an ES|QL query's `FROM` command.
fn esql_indices(query: &str) -> Vec<String> {
    let query = query.trim_start();
    if !query
        .get(..5)
        .is_some_and(|head| head.eq_ignore_ascii_case("from "))
    {
        return Vec::new();
    }
    query[5..]
        .split(['|', '\n'])
        .next()
        .unwrap_or_default()
        .split(" metadata")
        .next()
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn scanner() {
    assert_eq!(
        values_of(
            r#"event.category:process and event.type:("start" or "process_started")"#,
            "event.type"
        ),
        ["start", "process_started"]
    );
    assert_eq!(
        values_of(r#"event.code in ("4624", "4625")"#, "event.code"),
        ["4624", "4625"]
    );
    assert_eq!(
        values_of(r#"host.os.type == "windows" and"#, "host.os.type"),
        ["windows"]
    );
    assert_eq!(
        eql_categories("sequence by x [process where true] [network where y]"),
        ["process", "network"]
    );
    assert_eq!(
        esql_indices("from logs-aws.cloudtrail-* metadata _id\n| where x"),
        ["logs-aws.cloudtrail-*"]
    );
}

#[test]
fn elastic_rules_map_to_events() {
    let Some(dir) = corpus() else { return };
    let mut files = Vec::new();
    for sub in ["rules", "rules_building_block"] {
        toml_files(&dir.join(sub), &mut files);
    }
    let catalog = CatalogEvents::global();
    let mut with_sources = 0usize;
    let mut mapped = 0usize;
    let mut per_event: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unmapped: BTreeMap<String, usize> = BTreeMap::new();
    for path in &files {
        let text =
            fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let doc: toml::Table = text
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let Some(rule) = doc.get("rule").and_then(toml::Value::as_table) else {
            continue;
        };
        let strings = |key: &str| -> Vec<String> {
            rule.get(key)
                .and_then(toml::Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let query = rule
            .get("query")
            .and_then(toml::Value::as_str)
            .unwrap_or_default();
        let mut indices = strings("index");
        if indices.is_empty() {
            indices = esql_indices(query);
        }
        if indices.is_empty() {
            continue;
        }
        with_sources += 1;
        let mut hints: Vec<(String, String)> = Vec::new();
        for field in HINT_FIELDS {
            hints.extend(
                values_of(query, field)
                    .into_iter()
                    .map(|v| (field.to_owned(), v)),
            );
        }
        if rule.get("language").and_then(toml::Value::as_str) == Some("eql") {
            hints.extend(
                eql_categories(query)
                    .into_iter()
                    .map(|c| ("event.category".to_owned(), c)),
            );
        }
        for field in PRESENCE_FIELDS {
            if query.contains(field) {
                hints.push((field.to_owned(), String::new()));
            }
        }
        for tag in strings("tags")
            .into_iter()
            .filter(|t| t.starts_with("OS: "))
        {
            hints.push(("tags".to_owned(), tag));
        }
        let events = catalog.for_elastic(&indices, &hints);
        if events.is_empty() {
            *unmapped.entry(indices.join(", ")).or_default() += 1;
        } else {
            mapped += 1;
        }
        for event in events {
            *per_event.entry(event).or_default() += 1;
        }
    }
    eprintln!(
        "elastic: {} rule files, {with_sources} with indices, {mapped} map ({:.1}%), {} events used",
        files.len(),
        mapped as f64 * 100.0 / with_sources.max(1) as f64,
        per_event.len()
    );
    let mut top: Vec<(&&str, &usize)> = per_event.iter().collect();
    top.sort_by_key(|(_, count)| std::cmp::Reverse(**count));
    for (event, count) in top.iter().take(25) {
        eprintln!("  {event}: {count}");
    }
    let mut unmapped: Vec<(String, usize)> = unmapped.into_iter().collect();
    unmapped.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    for (indices, count) in unmapped.iter().take(30) {
        eprintln!("  unmapped: [{indices}] ({count} rules)");
    }
    assert!(
        with_sources > 1500,
        "expected the whole Elastic corpus, read {with_sources} rules"
    );
    assert!(
        mapped >= MAPPED_RULES,
        "fewer Elastic rules map than before ({mapped} < {MAPPED_RULES})"
    );
}

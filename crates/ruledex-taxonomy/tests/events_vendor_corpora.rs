//! Corpus coverage: the data sources named by Splunk detections, Panther rules and
//! Sentinel rules map to catalog events.
//!
//! Reads `../shared/corpora/{splunk,panther,sentinel}` (outside the repository;
//! skipped when absent, an error under CI). Each file's list of data sources is read
//! with a small line-based reader. Figures are printed; the asserted floors are the
//! measured values, so coverage may only go up.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use ruledex_taxonomy::events::CatalogEvents;

/// Splunk: distinct `data_source` names that map, as measured.
const SPLUNK_MAPPED_NAMES: usize = 232;
/// Splunk: detections with data sources all of which map, as measured.
const SPLUNK_MAPPED_RULES: usize = 1469;
/// Panther: distinct LogTypes that map, as measured.
const PANTHER_MAPPED_LOG_TYPES: usize = 95;
/// Panther: rules with LogTypes all of which map, as measured.
const PANTHER_MAPPED_RULES: usize = 864;
/// Sentinel: distinct connector data types that map, as measured.
const SENTINEL_MAPPED_TABLES: usize = 109;
/// Sentinel: rules with data types of which at least one maps, as measured.
const SENTINEL_MAPPED_RULES: usize = 1771;

fn corpus(name: &str) -> Option<PathBuf> {
    ruledex_testkit::shared(&format!("corpora/{name}"))
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    out.extend(ruledex_testkit::files(dir, &["yml", "yaml"]));
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches(['\'', '"']).trim().to_owned()
}

/// The items of every block list under a `key:` line (at any indentation), and of
/// inline lists `key: [a, b]`.
fn list_items(text: &str, key: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let indent = line.len() - line.trim_start().len();
        let Some(rest) = line
            .trim_start()
            .strip_prefix(key)
            .and_then(|r| r.strip_prefix(':'))
        else {
            continue;
        };
        let rest = rest.trim();
        if let Some(inline) = rest.strip_prefix('[') {
            items.extend(
                inline
                    .trim_end_matches(']')
                    .split(',')
                    .map(unquote)
                    .filter(|s| !s.is_empty()),
            );
            continue;
        }
        if !rest.is_empty() {
            items.push(unquote(rest));
            continue;
        }
        // Items sit at the key's indentation or deeper; a shallower `- ` belongs to
        // an enclosing list.
        while let Some(next) = lines.peek() {
            let item_indent = next.len() - next.trim_start().len();
            match next
                .trim_start()
                .strip_prefix("- ")
                .filter(|_| item_indent >= indent)
            {
                Some(item) => {
                    items.push(unquote(item));
                    lines.next();
                }
                None if next.trim().is_empty() => {
                    lines.next();
                }
                None => break,
            }
        }
    }
    items
}

/// Coverage of one vendor: per distinct source and per rule.
#[derive(Default)]
struct Coverage {
    rules: usize,
    rules_all_mapped: usize,
    rules_any_mapped: usize,
    names: BTreeMap<String, (usize, bool)>,
}

impl Coverage {
    fn add_rule(&mut self, sources: &[String], maps: impl Fn(&str) -> bool) {
        if sources.is_empty() {
            return;
        }
        self.rules += 1;
        let mapped: Vec<bool> = sources.iter().map(|s| maps(s)).collect();
        self.rules_all_mapped += usize::from(mapped.iter().all(|&m| m));
        self.rules_any_mapped += usize::from(mapped.iter().any(|&m| m));
        for (source, mapped) in sources.iter().zip(mapped) {
            self.names.entry(source.clone()).or_insert((0, mapped)).0 += 1;
        }
    }

    fn mapped_names(&self) -> usize {
        self.names.values().filter(|(_, mapped)| *mapped).count()
    }

    fn report(&self, vendor: &str, what: &str) {
        let pct = |n: usize, of: usize| n as f64 * 100.0 / of.max(1) as f64;
        eprintln!(
            "{vendor}: {} distinct {what}, {} map ({:.1}%); {} rules with {what}: {} all mapped ({:.1}%), {} any mapped ({:.1}%)",
            self.names.len(),
            self.mapped_names(),
            pct(self.mapped_names(), self.names.len()),
            self.rules,
            self.rules_all_mapped,
            pct(self.rules_all_mapped, self.rules),
            self.rules_any_mapped,
            pct(self.rules_any_mapped, self.rules),
        );
        let mut unmapped: Vec<(&String, usize)> = self
            .names
            .iter()
            .filter(|(_, (_, m))| !m)
            .map(|(n, (c, _))| (n, *c))
            .collect();
        unmapped.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for (name, count) in unmapped {
            eprintln!("  unmapped: {name} ({count} rules)");
        }
    }
}

#[test]
fn list_reader() {
    let text = "name: x\ndata_source:\n- Sysmon EventID 1\n- 'Windows Event Log Security 4688'\nsearch: y\n\
                tags:\n  LogTypes: [A.B, \"C.D\"]\nrequiredDataConnectors:\n  - connectorId: A\n    dataTypes:\n\
                \x20     - SecurityEvent\n  - connectorId: B\n    dataTypes:\n      - Event\n";
    assert_eq!(
        list_items(text, "data_source"),
        ["Sysmon EventID 1", "Windows Event Log Security 4688"]
    );
    assert_eq!(list_items(text, "LogTypes"), ["A.B", "C.D"]);
    assert_eq!(list_items(text, "dataTypes"), ["SecurityEvent", "Event"]);
}

#[test]
fn splunk_data_sources_map_to_events() {
    let Some(dir) = corpus("splunk") else { return };
    let mut files = Vec::new();
    yaml_files(&dir.join("detections"), &mut files);
    let catalog = CatalogEvents::global();
    let mut coverage = Coverage::default();
    for path in &files {
        let text =
            fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        coverage.add_rule(&list_items(&text, "data_source"), |name| {
            !catalog.for_splunk(name).is_empty()
        });
    }
    coverage.report("splunk", "data_source names");
    assert!(
        coverage.mapped_names() >= SPLUNK_MAPPED_NAMES,
        "fewer Splunk names map than before"
    );
    assert!(
        coverage.rules_all_mapped >= SPLUNK_MAPPED_RULES,
        "fewer Splunk detections map than before"
    );
}

#[test]
fn panther_log_types_map_to_events() {
    let Some(dir) = corpus("panther") else { return };
    let mut files = Vec::new();
    yaml_files(&dir.join("rules"), &mut files);
    let catalog = CatalogEvents::global();
    let mut coverage = Coverage::default();
    for path in &files {
        let text =
            fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        coverage.add_rule(&list_items(&text, "LogTypes"), |log_type| {
            !catalog.for_panther(log_type).is_empty()
        });
    }
    coverage.report("panther", "LogTypes");
    assert!(
        coverage.mapped_names() >= PANTHER_MAPPED_LOG_TYPES,
        "fewer Panther LogTypes map than before"
    );
    assert!(
        coverage.rules_all_mapped >= PANTHER_MAPPED_RULES,
        "fewer Panther rules map than before"
    );
}

#[test]
fn sentinel_data_types_map_to_events() {
    let Some(dir) = corpus("sentinel") else {
        return;
    };
    let mut files = Vec::new();
    for sub in ["Detections", "Hunting Queries", "Solutions"] {
        yaml_files(&dir.join(sub), &mut files);
    }
    let catalog = CatalogEvents::global();
    let mut coverage = Coverage::default();
    for path in &files {
        let text =
            fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        if !text.lines().any(|l| l.starts_with("query:")) {
            continue;
        }
        let tables: BTreeSet<String> = list_items(&text, "dataTypes").into_iter().collect();
        let tables: Vec<String> = tables.into_iter().collect();
        coverage.add_rule(&tables, |table| {
            !catalog.for_sentinel(table, &[]).is_empty()
        });
    }
    coverage.report("sentinel", "connector data types");
    assert!(
        coverage.mapped_names() >= SENTINEL_MAPPED_TABLES,
        "fewer Sentinel tables map than before"
    );
    assert!(
        coverage.rules_any_mapped >= SENTINEL_MAPPED_RULES,
        "fewer Sentinel rules map than before"
    );
}

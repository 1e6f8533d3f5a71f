//! Where each target reads a catalog event from: ASIM parsers, Defender XDR and
//! Sentinel tables, Splunk CIM data models, Windows event-log channel names.
//!
//! The mapping is the data file `data/tables.toml` (its header documents the
//! format), embedded and parsed once. The catalog's own event data
//! (`ruledex_taxonomy::events`) is the fallback: an event with ASIM schemas there
//! reads from `im<Schema>`, one with Sentinel tables from the first listed.

use std::sync::OnceLock;

use ruledex_model::Op;
use ruledex_taxonomy::events::CatalogEvents;
use ruledex_taxonomy::fields::EventPattern;
use serde::Deserialize;

const DATA: &str = include_str!("../data/tables.toml");

/// One family of events and the table each target reads it from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TableEntry {
    events: Vec<String>,
    #[serde(skip)]
    patterns: Vec<EventPattern>,
    /// ASIM parser.
    pub(crate) asim: Option<String>,
    /// Defender XDR table.
    pub(crate) xdr: Option<String>,
    /// Sentinel native table.
    pub(crate) security_event: Option<String>,
    /// `EventID` values selecting the event in `security_event`.
    #[serde(default)]
    pub(crate) event_ids: Vec<i64>,
    /// Splunk CIM `Model.Dataset`.
    pub(crate) cim: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Channel {
    service: String,
    name: Vec<String>,
}

/// A field an ASIM parser fills although no ASIM alias names it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AsimColumn {
    parser: String,
    field: String,
    /// The column(s); with several, the test is written on each, joined by `or`.
    pub(crate) columns: Vec<String>,
    /// The only operators (model names) written this way; empty is all.
    #[serde(default)]
    ops: Vec<String>,
    /// Why the column only approximates the field (`{field}`: the raw name).
    pub(crate) note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Data {
    table: Vec<TableEntry>,
    channel: Vec<Channel>,
    asim_column: Vec<AsimColumn>,
}

fn data() -> &'static Data {
    static DATA_ONCE: OnceLock<Data> = OnceLock::new();
    DATA_ONCE.get_or_init(|| {
        let mut d: Data = toml::from_str(DATA).expect("data/tables.toml is valid (tested)");
        for t in &mut d.table {
            t.patterns = t
                .events
                .iter()
                .map(|p| EventPattern::new(p).expect("event patterns are valid (tested)"))
                .collect();
        }
        d
    })
}

/// The first table entry whose patterns match `event` (remembered per thread).
pub(crate) fn entry(event: &str) -> Option<&'static TableEntry> {
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<String, Option<usize>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    let tables = &data().table;
    let at = CACHE.with(|c| {
        if let Some(hit) = c.borrow().get(event) {
            return *hit;
        }
        let found = tables
            .iter()
            .position(|t| t.patterns.iter().any(|p| p.matches(event)));
        c.borrow_mut().insert(event.to_owned(), found);
        found
    });
    at.map(|i| &tables[i])
}

/// The ASIM parser for `event`: from the table data, else the catalog's ASIM schema.
pub(crate) fn asim(event: &str) -> Option<String> {
    if let Some(t) = entry(event).and_then(|t| t.asim.clone()) {
        return Some(t);
    }
    let ev = CatalogEvents::global().get(event)?;
    ev.asim.first().map(|s| format!("im{s}"))
}

/// A Sentinel native table the catalog lists for `event` (or its parent).
pub(crate) fn sentinel_table(event: &str) -> Option<String> {
    let events = CatalogEvents::global();
    let mut id = Some(event.to_owned());
    while let Some(cur) = id {
        let ev = events.get(&cur)?;
        if let Some(p) = ev.sentinel.first() {
            return Some(p.table.clone());
        }
        id = ev.parent.clone();
    }
    None
}

/// The column(s) `parser` fills for the canonical `field`, when an
/// `[[asim_column]]` entry names them for the operator `op`.
pub(crate) fn asim_column(parser: &str, field: &str, op: Op) -> Option<&'static AsimColumn> {
    data().asim_column.iter().find(|c| {
        c.parser == parser
            && c.field == field
            && (c.ops.is_empty() || c.ops.iter().any(|o| o == op.as_str()))
    })
}

/// The Windows event-log channel names of a Sigma logsource service.
pub(crate) fn channels(service: &str) -> Option<&'static [String]> {
    data()
        .channel
        .iter()
        .find(|c| c.service.eq_ignore_ascii_case(service))
        .map(|c| c.name.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_file_loads_and_every_pattern_matches_a_catalog_event() {
        let events = CatalogEvents::global();
        let unmatched: Vec<&str> = data()
            .table
            .iter()
            .flat_map(|t| &t.patterns)
            .filter(|p| !events.all().iter().any(|e| p.matches(&e.id)))
            .map(EventPattern::as_str)
            .collect();
        assert!(
            unmatched.is_empty(),
            "patterns matching no catalog event: {unmatched:?}"
        );
        assert!(channels("security").is_some());
    }

    #[test]
    fn asim_columns_name_known_fields_operators_and_parsers() {
        let fields = ruledex_taxonomy::fields::Fields::global();
        let parsers: Vec<&str> = data()
            .table
            .iter()
            .filter_map(|t| t.asim.as_deref())
            .collect();
        for c in &data().asim_column {
            assert!(
                parsers.contains(&c.parser.as_str()),
                "{}: unknown parser",
                c.parser
            );
            assert!(
                fields.canonical(&c.field).is_some(),
                "{}: not a canonical field",
                c.field
            );
            assert!(!c.columns.is_empty(), "{}: no column", c.field);
            for o in &c.ops {
                assert!(
                    Op::ALL.iter().any(|k| k.as_str() == o),
                    "{}: unknown operator {o}",
                    c.field
                );
            }
        }
        assert_eq!(
            asim_column("imNetworkSession", "process.executable", Op::EndsWith)
                .map(|c| c.columns.clone()),
            Some(vec![
                "SrcProcessName".to_owned(),
                "DstProcessName".to_owned()
            ])
        );
        assert!(asim_column("imWebSession", "url.query", Op::Contains).is_some());
        assert!(asim_column("imWebSession", "url.query", Op::Eq).is_none());
        assert!(asim_column("imProcessCreate", "process.executable", Op::Eq).is_none());
    }

    #[test]
    fn specific_entries_win() {
        assert_eq!(
            asim("windows/process_creation").as_deref(),
            Some("imProcessCreate")
        );
        assert_eq!(
            asim("linux/process_creation").as_deref(),
            Some("imProcessCreate")
        );
        assert_eq!(
            entry("windows/process_creation").and_then(|t| t.cim.as_deref()),
            Some("Endpoint.Processes")
        );
        assert_eq!(asim("windows/registry_set").as_deref(), Some("imRegistry"));
    }
}

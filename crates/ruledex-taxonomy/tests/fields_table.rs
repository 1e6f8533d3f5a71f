//! Invariants of the embedded field table that need the whole file, or the event
//! catalog, to check. (Per-entry invariants — unique aliases per schema and
//! event pattern, well-formed patterns, known schema names — are enforced by the
//! loader and tested in `src/fields.rs`; loading the embedded table here proves
//! the file meets them.)

use std::collections::{BTreeMap, BTreeSet};

use ruledex_taxonomy::events::CatalogEvents;
use ruledex_taxonomy::fields::{EventPattern, Fields, Schema};

/// Every event id a rule can be about: the catalog's, and the qualifiers' own.
fn event_ids(fields: &Fields) -> BTreeSet<String> {
    let mut ids: BTreeSet<String> = CatalogEvents::global()
        .all()
        .iter()
        .map(|e| e.id.clone())
        .collect();
    for schema in Schema::ALL {
        ids.extend(fields.qualifiers(schema).map(|q| q.event().to_owned()));
    }
    ids
}

/// One alias occurrence: (canonical field, alias name as written, event pattern or none).
type Entry<'a> = (&'a str, &'a str, Option<&'a EventPattern>);

/// Every alias of every field, keyed by (schema, name as the schema compares it).
fn alias_index(fields: &Fields) -> BTreeMap<(Schema, String), Vec<Entry<'_>>> {
    let mut index: BTreeMap<(Schema, String), Vec<Entry<'_>>> = BTreeMap::new();
    for field in fields.iter() {
        for schema in Schema::ALL {
            for alias in fields.aliases(field.name(), schema) {
                let key = if schema.case_insensitive() {
                    alias.name().to_lowercase()
                } else {
                    alias.name().to_owned()
                };
                let entries = index.entry((schema, key)).or_default();
                if alias.events().is_empty() {
                    entries.push((field.name(), alias.name(), None));
                }
                entries.extend(
                    alias
                        .events()
                        .iter()
                        .map(|p| (field.name(), alias.name(), Some(p))),
                );
            }
        }
    }
    index
}

#[test]
fn embedded_table_loads_and_is_not_trivial() {
    let fields = Fields::global();
    assert!(fields.iter().count() > 300);
    for schema in Schema::ALL {
        let with_alias = fields
            .iter()
            .filter(|f| !fields.aliases(f.name(), schema).is_empty())
            .count();
        assert!(
            schema == Schema::Ecs || with_alias > 20,
            "{schema}: only {with_alias} fields have an alias"
        );
    }
}

#[test]
fn every_event_pattern_matches_a_catalog_event() {
    // A pattern that matches nothing is a typo (`windows/firewall-as` for
    // `windows/firewall_as`) or names an event the catalog does not have yet.
    let fields = Fields::global();
    let ids = event_ids(fields);
    let mut dead = BTreeSet::new();
    for entries in alias_index(fields).values() {
        for (field, alias, pattern) in entries {
            if let Some(p) = pattern {
                if !ids.iter().any(|id| p.matches(id)) {
                    dead.insert(format!("{field} <- {alias} @ {p}"));
                }
            }
        }
    }
    assert!(
        dead.is_empty(),
        "event patterns matching no catalog event:\n{dead:#?}"
    );
}

#[test]
fn no_event_makes_an_alias_ambiguous() {
    // Within one event, the most specific patterns of an alias must agree on the
    // field; otherwise the answer would depend on the order of the file.
    let fields = Fields::global();
    let ids = event_ids(fields);
    let mut ties = BTreeSet::new();
    for ((schema, name), entries) in alias_index(fields) {
        for id in &ids {
            let matching: Vec<(usize, &str)> = entries
                .iter()
                .filter_map(|(field, _, p)| {
                    p.filter(|p| p.matches(id))
                        .map(|p| (p.specificity(), *field))
                })
                .collect();
            let Some(best) = matching.iter().map(|(s, _)| *s).max() else {
                continue;
            };
            let at_best: BTreeSet<&str> = matching
                .iter()
                .filter(|(s, _)| *s == best)
                .map(|(_, f)| *f)
                .collect();
            if at_best.len() > 1 {
                ties.insert(format!("{schema} `{name}` in {id}: {at_best:?}"));
            }
        }
    }
    assert!(
        ties.is_empty(),
        "aliases with two meanings in one event:\n{ties:#?}"
    );
}

#[test]
fn every_alias_resolves_to_its_field_somewhere() {
    // An alias that always loses to another (a context-free one shadowed by a
    // canonical name, a pattern always beaten by a more specific one) is dead data.
    let fields = Fields::global();
    let ids = event_ids(fields);
    let mut dead = BTreeSet::new();
    for field in fields.iter() {
        for schema in Schema::ALL {
            for alias in fields.aliases(field.name(), schema) {
                let stem = alias.stem();
                let reached = if alias.events().is_empty() {
                    fields.resolve(schema, None, stem) == Some(field.name())
                } else {
                    ids.iter()
                        .filter(|id| alias.events().iter().any(|p| p.matches(id)))
                        .any(|id| fields.resolve(schema, Some(id), stem) == Some(field.name()))
                };
                let sub_path = !alias.is_prefix()
                    || ids.iter().any(|id| {
                        fields.resolve(schema, Some(id), &format!("{stem}.x.y"))
                            == Some(field.name())
                    });
                if !reached || !sub_path {
                    dead.insert(format!("{schema} {} -> {}", alias.name(), field.name()));
                }
            }
        }
    }
    assert!(
        dead.is_empty(),
        "aliases that never resolve to their field:\n{dead:#?}"
    );
}

#[test]
fn converters_get_a_name_that_reads_back() {
    // For every field, schema and event where alias_for answers, the answer
    // resolves back to the field in that event.
    let fields = Fields::global();
    let ids = event_ids(fields);
    for field in fields.iter() {
        for schema in Schema::ALL {
            for id in &ids {
                if let Some(name) = fields.alias_for(field.name(), schema, Some(id)) {
                    assert_eq!(
                        fields.resolve(schema, Some(id), name),
                        Some(field.name()),
                        "{schema} {name} in {id}"
                    );
                }
            }
        }
    }
}

#[test]
fn basenames_are_keyword_fields_of_the_same_object() {
    // process.executable -> process.name, dll.path -> dll.name: same parent object.
    let fields = Fields::global();
    for field in fields.iter() {
        if let Some(base) = field.basename() {
            let parent = |n: &str| n.rsplit_once('.').map(|(p, _)| p.to_owned());
            assert_eq!(
                parent(field.name()),
                parent(base),
                "{} -> {base}",
                field.name()
            );
            assert!(fields.canonical(base).is_some(), "{base}");
        }
    }
}

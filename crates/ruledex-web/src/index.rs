//! The in-memory index the pages are answered from.
//!
//! It is built once at start from normalized rules (the embedded samples, rule
//! directories, or a catalog), the ATT&CK release and the Atomic Red Team
//! tests, and is read-only afterwards. It holds the catalog (a catalog file
//! opened read-only, or one built in memory from the same rules) behind a
//! mutex: the technique guide is the catalog's own query, answered in
//! `spawn_blocking` and cached, so the site and `ruledex guide` agree.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use ruledex_attack::{Attack, TechniqueId};
use ruledex_catalog::{Catalog, SourceBatch};
use ruledex_model::{Expr, Rule, Vendor};
use ruledex_taxonomy::values::{Indicator, indicators};

use crate::atomics::{AtomicTest, Atomics};

/// One rule with what the pages need precomputed.
#[derive(Debug)]
pub struct Entry {
    /// The rule.
    pub rule: Rule,
    /// Indicators the rule looks for (not under a `not`), deduplicated.
    pub positive: Vec<Indicator>,
    /// Indicators the rule excludes (under a `not`), deduplicated.
    pub excluded: Vec<Indicator>,
    /// Technique ids, parents included, uppercase.
    pub techniques: BTreeSet<String>,
    /// The rule's own date (modified, else created), for the feed order.
    pub date: String,
}

/// The read-only index behind every page.
#[derive(Debug)]
pub struct Index {
    attack: Attack,
    entries: Vec<Entry>,
    by_uid: HashMap<String, usize>,
    by_technique: BTreeMap<String, Vec<usize>>,
    reach: HashMap<Indicator, u32>,
    atomics: Atomics,
    catalog: Mutex<Catalog>,
    /// Why the in-memory catalog could not be built, when it could not (its
    /// pages then answer with this error).
    pub catalog_error: Option<String>,
    /// Where the rules came from (shown in the footer).
    pub origin: String,
    /// Documents that could not be read while building (counted, never dropped silently).
    pub failures: usize,
}

/// Whether a dialect compares this vendor's values ignoring case by default.
fn folds_case(vendor: Vendor) -> bool {
    !matches!(vendor, Vendor::Elastic)
}

/// Positive and negated indicators of an expression.
fn split_indicators(
    expr: &Expr,
    negated: bool,
    fold: bool,
    pos: &mut Vec<Indicator>,
    neg: &mut Vec<Indicator>,
) {
    match expr {
        Expr::And(c) | Expr::Or(c) => {
            for e in c {
                split_indicators(e, negated, fold, pos, neg);
            }
        }
        Expr::Not(c) => split_indicators(c, !negated, fold, pos, neg),
        Expr::Pred(p) => {
            let target = if negated { &mut *neg } else { &mut *pos };
            for ind in indicators(p, fold) {
                if !target.contains(&ind) {
                    target.push(ind);
                }
            }
        }
        Expr::Keyword(_) | Expr::Opaque(_) => {}
    }
}

/// Parent and self ids of a rule's techniques, uppercase and validated.
fn technique_ids(rule: &Rule) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in &rule.techniques {
        if let Ok(id) = t.parse::<TechniqueId>() {
            out.insert(id.to_string());
            if let Some(parent) = id.parent() {
                out.insert(parent.to_string());
            }
        }
    }
    out
}

impl Entry {
    fn new(rule: Rule) -> Entry {
        let fold = folds_case(rule.vendor);
        let mut positive = Vec::new();
        let mut excluded = Vec::new();
        split_indicators(&rule.logic.expr, false, fold, &mut positive, &mut excluded);
        if let Some(agg) = &rule.logic.aggregation {
            if let ruledex_model::AggregationKind::Sequence { steps, .. } = &agg.kind {
                for s in steps {
                    split_indicators(&s.expr, false, fold, &mut positive, &mut excluded);
                }
            }
        }
        let techniques = technique_ids(&rule);
        let date = rule
            .modified
            .clone()
            .or_else(|| rule.created.clone())
            .unwrap_or_default();
        Entry {
            rule,
            positive,
            excluded,
            techniques,
            date,
        }
    }
}

/// An in-memory catalog of `rules` (one source per vendor), built by the
/// catalog's own ingest so its queries answer exactly as `ruledex` does.
fn memory_catalog(rules: &[Rule], attack: &Attack) -> Result<Catalog, ruledex_catalog::Error> {
    let mut by_vendor: BTreeMap<Vendor, Vec<Rule>> = BTreeMap::new();
    for r in rules {
        by_vendor.entry(r.vendor).or_default().push(r.clone());
    }
    let batches: Vec<SourceBatch> = by_vendor
        .into_iter()
        .map(|(vendor, rules)| {
            SourceBatch::local(ruledex_ingest::Report {
                vendor,
                root: format!("memory:{vendor}"),
                files: rules.len(),
                unsupported: false,
                rules,
                failed_files: 0,
                failures: Vec::new(),
                warnings: Vec::new(),
                field_occurrences: 0,
                unresolved_fields: BTreeMap::new(),
            })
        })
        .collect();
    let mut catalog = Catalog::open_in_memory()?;
    catalog.ingest(&batches, attack)?;
    Ok(catalog)
}

impl Index {
    /// Builds the index from rules, an ATT&CK release and Atomic Red Team
    /// tests, with an in-memory catalog of the same rules.
    pub fn build(
        rules: Vec<Rule>,
        attack: Attack,
        atomics: Atomics,
        origin: impl Into<String>,
    ) -> Index {
        let (catalog, error) = match memory_catalog(&rules, &attack) {
            Ok(c) => (c, None),
            Err(e) => (
                Catalog::open_in_memory().expect("an empty in-memory SQLite database opens"),
                Some(format!("building the in-memory catalog: {e}")),
            ),
        };
        let mut index = Index::build_on(rules, attack, atomics, origin, catalog);
        index.catalog_error = error;
        index
    }

    /// Builds the index over an open catalog holding the same `rules` (a
    /// catalog file opened read-only, or the sample catalog).
    pub fn build_on(
        rules: Vec<Rule>,
        attack: Attack,
        atomics: Atomics,
        origin: impl Into<String>,
        catalog: Catalog,
    ) -> Index {
        let mut entries: Vec<Entry> = rules.into_iter().map(Entry::new).collect();
        // Newest first: the rule's own date, then retrieval time, then uid for stability.
        entries.sort_by(|a, b| {
            b.date
                .cmp(&a.date)
                .then_with(|| b.rule.source.retrieved_at.cmp(&a.rule.source.retrieved_at))
                .then_with(|| a.rule.uid.cmp(&b.rule.uid))
        });
        let mut by_uid = HashMap::new();
        let mut by_technique: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut reach: HashMap<Indicator, u32> = HashMap::new();
        let mut duplicates = 0;
        for (i, e) in entries.iter().enumerate() {
            if by_uid.insert(e.rule.uid.clone(), i).is_some() {
                duplicates += 1;
            }
            for t in &e.techniques {
                by_technique.entry(t.clone()).or_default().push(i);
            }
            for ind in &e.positive {
                *reach.entry(ind.clone()).or_default() += 1;
            }
        }
        let _ = duplicates;
        Index {
            attack,
            entries,
            by_uid,
            by_technique,
            reach,
            atomics,
            catalog: Mutex::new(catalog),
            catalog_error: None,
            origin: origin.into(),
            failures: 0,
        }
    }

    /// The catalog the guide, feed, search and coverage are answered from.
    /// Hold the guard only inside blocking code (`spawn_blocking`).
    pub fn catalog(&self) -> MutexGuard<'_, Catalog> {
        self.catalog.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The ATT&CK release.
    pub fn attack(&self) -> &Attack {
        &self.attack
    }

    /// Every entry, newest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry of a rule uid.
    pub fn rule(&self, uid: &str) -> Option<&Entry> {
        self.by_uid.get(uid).map(|&i| &self.entries[i])
    }

    /// Entries tagged with a technique (sub-techniques roll up into their parent).
    pub fn technique_rules(&self, id: &str) -> impl Iterator<Item = &Entry> {
        self.by_technique
            .get(id)
            .into_iter()
            .flatten()
            .map(|&i| &self.entries[i])
    }

    /// Technique ids with at least one rule, and their rule counts.
    pub fn technique_counts(&self) -> impl Iterator<Item = (&str, usize)> {
        self.by_technique.iter().map(|(k, v)| (k.as_str(), v.len()))
    }

    /// How many rules anywhere look for this indicator.
    pub fn reach(&self, ind: &Indicator) -> u32 {
        self.reach.get(ind).copied().unwrap_or(0)
    }

    /// Atomic Red Team tests of a technique.
    pub fn atomics(&self, technique: &str) -> &[AtomicTest] {
        self.atomics.tests(technique)
    }

    /// Whether an Atomic Red Team corpus was loaded.
    pub fn has_atomics(&self) -> bool {
        self.atomics.loaded()
    }
}

//! The server's read-only state: the catalog every page is answered from,
//! the ATT&CK release and the Atomic Red Team tests.
//!
//! The catalog is a catalog file opened read-only, or one built in memory from
//! rules (rule directories, the embedded samples, test fixtures) by the
//! catalog's own ingest, so its queries answer exactly as `ruledex` does. It
//! sits behind a mutex: pages query it in `spawn_blocking`, and the response
//! cache keeps what they rendered. No rule is held in memory here.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use ruledex_attack::Attack;
use ruledex_catalog::{Catalog, SourceBatch};
use ruledex_model::{Rule, Vendor};

use crate::atomics::{AtomicTest, Atomics};

/// The read-only state behind every page.
#[derive(Debug)]
pub struct Backend {
    attack: Attack,
    atomics: Atomics,
    catalog: Mutex<Catalog>,
    rules: usize,
    /// Why the in-memory catalog could not be built, when it could not (its
    /// pages then answer with this error).
    pub catalog_error: Option<String>,
    /// Where the rules came from (shown in the footer).
    pub origin: String,
    /// Documents that could not be read while building (counted, never dropped silently).
    pub failures: usize,
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

impl Backend {
    /// Builds the state over an in-memory catalog of `rules`, an ATT&CK
    /// release and Atomic Red Team tests.
    pub fn build(
        rules: Vec<Rule>,
        attack: Attack,
        atomics: Atomics,
        origin: impl Into<String>,
    ) -> Backend {
        let (catalog, error) = match memory_catalog(&rules, &attack) {
            Ok(c) => (c, None),
            Err(e) => (
                Catalog::open_in_memory().expect("an empty in-memory SQLite database opens"),
                Some(format!("building the in-memory catalog: {e}")),
            ),
        };
        let mut backend = Backend::build_on(catalog, attack, atomics, origin);
        backend.catalog_error = backend.catalog_error.or(error);
        backend
    }

    /// Builds the state over an open catalog (a catalog file opened
    /// read-only, or the sample catalog). Reads nothing but its rule count.
    pub fn build_on(
        catalog: Catalog,
        attack: Attack,
        atomics: Atomics,
        origin: impl Into<String>,
    ) -> Backend {
        let (rules, error) = match catalog.rule_count() {
            Ok(n) => (n, None),
            Err(e) => (0, Some(format!("counting the catalog's rules: {e}"))),
        };
        Backend {
            attack,
            atomics,
            catalog: Mutex::new(catalog),
            rules,
            catalog_error: error,
            origin: origin.into(),
            failures: 0,
        }
    }

    /// The catalog every page is answered from. Hold the guard only inside
    /// blocking code (`spawn_blocking`).
    pub fn catalog(&self) -> MutexGuard<'_, Catalog> {
        self.catalog.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The ATT&CK release.
    pub fn attack(&self) -> &Attack {
        &self.attack
    }

    /// How many rules the catalog holds.
    pub fn rule_count(&self) -> usize {
        self.rules
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

//! The ATT&CK v19 → v18.1 remapping table (`data/v19-to-v18.1.json`).
//!
//! Rule repositories moved to ATT&CK v19 ids (`T1685`, `attack.stealth`)
//! before the ATT&CK data available to ruledex did (v18.1). The table says,
//! for each v19 id v18.1 does not know, which v18.1 id holds the same
//! behaviour, and where that answer comes from. It is consulted only for ids
//! the loaded data lacks, so loading v19 data later makes it inert.

use serde::{Deserialize, Serialize};

use crate::error::{Document, Error};
use crate::id::{TacticId, TechniqueId};

/// The table as shipped, embedded at build time.
const BUILTIN: &str = include_str!("../data/v19-to-v18.1.json");

/// Where a remapping entry comes from (see the `sources` of the data file).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RemapSource {
    /// Atomic Red Team's v19 migration, matched test by test.
    Atomics,
    /// ATT&CK v19 release notes: the v18.1 id revoked into the v19 id.
    V19Changelog,
    /// No published entry: the v18.1 technique covering the same behaviour.
    Inferred,
    /// The Sigma specification's tactic tags.
    SigmaSpec,
}

/// A v19 technique id and the v18.1 id it maps to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TechniqueRemap {
    /// The v19 id.
    #[serde(rename = "v19")]
    pub from: TechniqueId,
    /// The v19 name.
    pub name: String,
    /// The v18.1 id that rules using `from` are catalogued under.
    pub to: TechniqueId,
    /// Further v18.1 ids v19 merged into `from` (informational).
    #[serde(default)]
    pub also: Vec<TechniqueId>,
    /// Where the entry comes from.
    pub source: RemapSource,
}

/// A v19 tactic and the v18.1 tactic it maps to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TacticRemap {
    /// The v19 shortname (`defense-impairment`).
    #[serde(rename = "v19")]
    pub from: String,
    /// The v19 tactic id.
    pub id: TacticId,
    /// The v19 display name.
    pub name: String,
    /// The v18.1 shortname it maps to (`defense-evasion`).
    pub to: String,
    /// Where the entry comes from.
    pub source: RemapSource,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RemapTable {
    pub(crate) techniques: Vec<TechniqueRemap>,
    pub(crate) tactics: Vec<TacticRemap>,
}

impl RemapTable {
    /// The table embedded in the crate.
    pub(crate) fn builtin() -> Result<RemapTable, Error> {
        serde_json::from_str(BUILTIN).map_err(|source| Error::Json {
            document: Document::RemapTable,
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_loads_and_has_no_duplicates() {
        let table = RemapTable::builtin().expect("built-in remap table parses");
        let mut froms: Vec<_> = table.techniques.iter().map(|r| r.from).collect();
        froms.sort_unstable();
        froms.dedup();
        assert_eq!(
            froms.len(),
            table.techniques.len(),
            "duplicate v19 technique id"
        );
        assert!(table.techniques.iter().all(|r| r.from != r.to));
        let tactics: Vec<_> = table.tactics.iter().map(|t| t.from.as_str()).collect();
        assert_eq!(tactics, ["stealth", "defense-impairment"]);
    }
}

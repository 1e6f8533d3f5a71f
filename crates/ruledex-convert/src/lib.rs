//! Conversion of a normalized [`Rule`] into the query language of a target SIEM.
//!
//! Every conversion carries its [`Fidelity`]: the query means exactly what the
//! rule means ([`Fidelity::Exact`]), means it with stated differences
//! ([`Fidelity::Approximate`]), or could not be written ([`Fidelity::Unsupported`],
//! with the reason and no query). A backend never returns a silently different
//! query: whatever it cannot express exactly becomes a reason.
//!
//! Field names come from the taxonomy: a predicate's canonical field is written
//! as the target schema's alias for the rule's catalog event
//! ([`ruledex_taxonomy::fields::Fields::alias_for`]); the table (ASIM parser,
//! Defender XDR or Sentinel table, CIM data model, SQL event table) comes from
//! the rule's catalog event through the data file `data/tables.toml`.
//!
//! Backends, one module each: `kusto` (`kusto-asim`, `kusto-xdr`,
//! `kusto-securityevent`), `spl` (`spl`, `spl-cim`), `lucene`, `kql`, `eql`,
//! `esql`, `sql` (`sql-sqlite`, `sql-spark`; its module documents the event
//! table layout) and `sigma`. They write through a small output AST (`common`)
//! whose printers know each language's precedence.
//!
//! ```
//! use ruledex_convert::{Fidelity, Target, convert};
//!
//! let report = ruledex_ingest::ingest_samples();
//! let rule = &report.rules[0];
//! let c = convert(rule, Target::Sigma);
//! assert_eq!(c.fidelity, Fidelity::Exact);
//! assert!(c.query.unwrap().contains("detection:"));
//! ```
#![deny(missing_docs)]

mod common;
mod eql;
mod esql;
mod kql;
mod kusto;
mod lucene;
mod sigma;
mod spl;
mod sql;
mod tables;
mod target;

pub use target::{Target, UnknownTarget};

use ruledex_model::Rule;
use serde::{Deserialize, Serialize};

/// How faithfully a converted query expresses the rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fidelity", rename_all = "snake_case")]
pub enum Fidelity {
    /// The query matches exactly the events the rule matches.
    Exact,
    /// The query was written, with the listed differences from the rule.
    Approximate {
        /// Each difference, in words a detection engineer can act on.
        reasons: Vec<String>,
    },
    /// No query could be written.
    Unsupported {
        /// Why not.
        reason: String,
    },
}

impl Fidelity {
    /// The stable lowercase name: `exact`, `approximate` or `unsupported`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Fidelity::Exact => "exact",
            Fidelity::Approximate { .. } => "approximate",
            Fidelity::Unsupported { .. } => "unsupported",
        }
    }

    /// Whether a query was written (exact or approximate).
    pub fn is_converted(&self) -> bool {
        !matches!(self, Fidelity::Unsupported { .. })
    }
}

/// One rule converted to one target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conversion {
    /// The target written.
    pub target: Target,
    /// The query, unless the conversion is unsupported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// How faithful the query is.
    #[serde(flatten)]
    pub fidelity: Fidelity,
}

impl Conversion {
    /// A conversion that could not be written.
    pub fn unsupported(target: Target, reason: impl Into<String>) -> Conversion {
        Conversion {
            target,
            query: None,
            fidelity: Fidelity::Unsupported {
                reason: reason.into(),
            },
        }
    }

    /// A written query, exact when `reasons` is empty, approximate otherwise.
    /// Duplicate reasons are removed, keeping the first occurrence's order.
    pub fn written(target: Target, query: String, reasons: Vec<String>) -> Conversion {
        let mut seen = std::collections::HashSet::new();
        let reasons: Vec<String> = reasons
            .into_iter()
            .filter(|r| seen.insert(r.clone()))
            .collect();
        let fidelity = if reasons.is_empty() {
            Fidelity::Exact
        } else {
            Fidelity::Approximate { reasons }
        };
        Conversion {
            target,
            query: Some(query),
            fidelity,
        }
    }
}

/// Convert `rule` to `target`.
pub fn convert(rule: &Rule, target: Target) -> Conversion {
    match target {
        Target::KustoAsim | Target::KustoXdr | Target::KustoSecurityEvent => {
            kusto::convert(rule, target)
        }
        Target::Spl | Target::SplCim => spl::convert(rule, target),
        Target::Lucene => lucene::convert(rule),
        Target::Kql => kql::convert(rule),
        Target::Eql => eql::convert(rule),
        Target::Esql => esql::convert(rule),
        Target::SqlSqlite | Target::SqlSpark => sql::convert(rule, target),
        Target::Sigma => sigma::convert(rule),
    }
}

/// Convert `rule` to every target, in [`Target::ALL`] order.
pub fn convert_all(rule: &Rule) -> Vec<Conversion> {
    Target::ALL.iter().map(|&t| convert(rule, t)).collect()
}

//! Elastic detection rule files (TOML) read into the ruledex model.
//!
//! Elastic's prebuilt rules ([elastic/detection-rules]) are TOML files with a
//! `[metadata]` table (dates, maturity, integrations) and a `[rule]` table
//! whose keys are those of Kibana's [detection rule API]. [`parse_elastic`]
//! reads one file into one [`Rule`]:
//!
//! | TOML | `Rule` |
//! |---|---|
//! | `rule.rule_id` | `native_id`, uid `elastic:<rule_id>` |
//! | `rule.name`, `description`, `severity`, `author`, `license`, `references`, `false_positives` | same-named fields |
//! | `metadata.creation_date`, `updated_date` (`2023/09/04`) | `created`, `modified` as `2023-09-04` |
//! | `metadata.maturity` | `status`; `deprecated` rules are read and flagged, never hidden |
//! | `rule.tags` | `tags` (all); `OS:` → `platforms`, `Domain:` → `domains`, `Tactic:` → `tactics` |
//! | `metadata.integration` (aws, azure, gcp, o365, okta, …) | `platforms` too |
//! | `[[rule.threat]]` | `techniques` (sub-techniques kept), `tactics` as short names (`defense-evasion`) |
//! | `rule.index`, `data_view_id`, ES\|QL `FROM` | `data_sources`; indices and query hints → `events` |
//! | `rule.type`, `language`, `query`, `filters`, `threshold`, `new_terms`, … | `logic` |
//! | everything else (`risk_score`, `interval`, `from`, `note`, `setup`, `building_block_type`, `required_fields`, `related_integrations`, `exceptions_list`, `alert_suppression`, `[transform]`, …) | `extra`, as JSON under its own key |
//!
//! # Logic
//!
//! The type and language pick the parser: `kuery` → [`crate::kql`], `lucene` →
//! [`crate::lucene`], `eql` → [`crate::eql`], `esql` → [`crate::esql`] (a
//! missing `language` means `kuery`, or the type's own language). Then:
//!
//! - `threshold`: an [`AggregationKind::Threshold`](ruledex_model::AggregationKind::Threshold) over the query, grouped by
//!   `threshold.field`, condition `count >= threshold.value`, with the
//!   `cardinality` bounds;
//! - `new_terms`: [`AggregationKind::NewTerms`](ruledex_model::AggregationKind::NewTerms) over `new_terms.value`, history
//!   from `history_window_start`;
//! - `threat_match` (indicator match): an `Opaque` node `indicator match
//!   against <threat_index>` ANDed with the query's expression;
//! - `machine_learning`: an `Opaque` node `machine learning job <id>` — the
//!   rule is still in the catalog with all its metadata;
//! - `filters` (Kibana query DSL filters): lowered and ANDed with the query
//!   (`match_phrase`, `term`, `terms`, `wildcard`, `prefix`, `exists`, `range`,
//!   `bool`, `query_string`; `negate` gives an exclusion, disabled filters are
//!   skipped, other clauses are opaque);
//! - threshold, new-terms and ES|QL aggregations without a window of their own
//!   get the rule's look-back (`from = "now-9m"`) as their window.
//!
//! Every predicate span is moved from the query text into the file (through
//! TOML escapes and `\r\n` line breaks), so spans index [`Rule::text`], the
//! whole file.
//!
//! # Errors and warnings
//!
//! [`Parsed::errors`] hold what lost part of what a rule detects or who it
//! is; [`Parsed::warnings`] what lost only descriptive metadata (a bad date, an
//! unknown severity, a malformed ATT&CK id). A value that does not fit is
//! kept verbatim in `extra`, so nothing is dropped silently.
//!
//! - No rule at all: the file is not TOML, or has no `[rule]`, `rule_id` or
//!   `name` — the rule cannot be identified.
//! - A rule **and** an error: its query does not parse, its type or language is
//!   unknown, its query or threshold is missing or malformed. The rule keeps
//!   its metadata (ATT&CK coverage counts it) and its logic is an `Opaque`
//!   node whose reason is the error, so it is never counted as fully parsed;
//!   the error (with the position inside the query, moved into the file) is
//!   what an ingest report lists as a failure. Each problem is counted once:
//!   as a failure, and as the rule's opaque logic.
//!
//! [elastic/detection-rules]: https://github.com/elastic/detection-rules
//! [detection rule API]: https://www.elastic.co/guide/en/security/current/rules-api-create.html
//!
//! ```
//! use ruledex_elastic::rule::parse_elastic;
//! use ruledex_model::AggregationKind;
//!
//! let text = r#"
//! [metadata]
//! creation_date = "2024/05/01"
//! maturity = "production"
//! updated_date = "2024/06/11"
//!
//! [rule]
//! rule_id = "5d2c2c0e-0000-4000-8000-00000000a001"
//! name = "Burst of Port Probes From One Process"
//! description = "Many distinct destination ports from one process."
//! type = "threshold"
//! language = "kuery"
//! index = ["logs-endpoint.events.network-*"]
//! severity = "low"
//! risk_score = 21
//! tags = ["OS: Linux", "Domain: Endpoint"]
//! query = '''
//! event.category:network and event.type:start
//! '''
//!
//! [rule.threshold]
//! field = ["host.id", "process.entity_id"]
//! value = 1
//! [[rule.threshold.cardinality]]
//! field = "destination.port"
//! value = 50
//!
//! [[rule.threat]]
//! framework = "MITRE ATT&CK"
//! [[rule.threat.technique]]
//! id = "T1046"
//! [rule.threat.tactic]
//! id = "TA0007"
//! name = "Discovery"
//! "#;
//! let parsed = parse_elastic("probe.toml", text);
//! let rule = &parsed.rules[0];
//! assert_eq!(rule.uid, "elastic:5d2c2c0e-0000-4000-8000-00000000a001");
//! assert_eq!(rule.techniques, ["T1046"]);
//! assert_eq!(rule.tactics, ["discovery"]);
//! assert_eq!(rule.platforms, ["linux"]);
//! assert_eq!(rule.created.as_deref(), Some("2024-05-01"));
//! assert_eq!(rule.extra["risk_score"], 21);
//! let agg = rule.logic.aggregation.as_ref().unwrap();
//! assert!(matches!(&agg.kind, AggregationKind::Threshold { cardinality } if cardinality[0].1 == 50));
//! ```

mod document;
mod embedded;
mod error;
mod filters;
mod logic;
mod node;
mod reader;

use ruledex_diag::Span;
use ruledex_model::Rule;

pub use error::{Error, ErrorKind, QueryLanguage};

use crate::error::QueryError;
use crate::lowered::Lowered;
use node::Node;
use reader::Cx;

/// Largest rule file accepted (4 MiB); Elastic's largest is about 40 KiB.
pub const MAX_FILE_SIZE: usize = 4 << 20;

/// What reading one file gave: its rule (none when the rule cannot be
/// identified), the errors that lost part of what it detects, and warnings
/// about descriptive metadata.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The rule read (at most one: an Elastic file holds one rule).
    pub rules: Vec<Rule>,
    /// What kept the rule, or part of its logic, from being read.
    pub errors: Vec<Error>,
    /// Problems in metadata of a rule that was read.
    pub warnings: Vec<Error>,
}

/// The signature of a query parser, so that tests can stand in for the real ones.
pub(crate) type QueryParser<'p> = &'p dyn Fn(QueryLanguage, &str) -> Result<Lowered, QueryError>;

/// Read one Elastic rule file. `path` is recorded as the rule's source path.
pub fn parse_elastic(path: &str, text: &str) -> Parsed {
    parse_with(path, text, &parse_query)
}

/// Parse and lower a query of the given language, with the parser
/// [`parse_elastic`] uses for it. Spans are into `text`.
pub fn parse_query(language: QueryLanguage, text: &str) -> Result<Lowered, QueryError> {
    match language {
        QueryLanguage::Kql => crate::kql::parse_and_lower(text),
        QueryLanguage::Lucene => crate::lucene::parse_and_lower(text),
        QueryLanguage::Eql => crate::eql::parse_and_lower(text),
        QueryLanguage::Esql => crate::esql::parse_and_lower(text),
    }
}

pub(crate) fn parse_with(path: &str, text: &str, parser: QueryParser<'_>) -> Parsed {
    let mut out = Parsed::default();
    if text.len() > MAX_FILE_SIZE {
        out.errors.push(Error::new(
            ErrorKind::FileTooLarge {
                size: text.len(),
                limit: MAX_FILE_SIZE,
            },
            Span::default(),
        ));
        return out;
    }
    let doc = match Node::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let span = e
                .span()
                .map_or(Span::default(), |r| Span::new(r.start, r.end));
            out.errors.push(Error::new(
                ErrorKind::Toml {
                    message: e.message().to_owned(),
                },
                span,
            ));
            return out;
        }
    };
    let mut cx = Cx::new(text);
    if let Some(rule) = document::read_document(&mut cx, path, &doc, parser) {
        out.rules.push(rule);
    }
    cx.errors.sort_by_key(|e| e.span.start);
    cx.warnings.sort_by_key(|e| e.span.start);
    out.errors = cx.errors;
    out.warnings = cx.warnings;
    out
}

#[cfg(test)]
mod tests;

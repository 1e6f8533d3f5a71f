//! ES|QL, the Elasticsearch piped query language (`type = "esql"` rules).
//!
//! An ES|QL query is a source command followed by processing commands joined
//! with pipes:
//!
//! ```text
//! FROM logs-endpoint.events.process-* METADATA _id, _index
//! | WHERE host.os.type == "linux" AND process.name LIKE "python*"
//! | STATS hosts = COUNT_DISTINCT(host.id) BY process.executable
//! | WHERE hosts >= 5
//! ```
//!
//! Reference: the [ES|QL syntax reference] (commands, functions and
//! operators), the [`RLIKE` regular expression syntax], and Elasticsearch's
//! ANTLR grammar (`x-pack/plugin/esql/src/main/antlr`), whose lexer modes the
//! tokenizer follows.
//!
//! The pipeline is [`parse`] (tokenizer → parser → [`Query`]) then [`lower`]
//! ([`Query`] → [`Lowered`]); [`parse_and_lower`] does both. Every AST node
//! prints back (`Display`) to ES|QL that parses to an equal tree; positions are
//! kept in [`Loc`] fields that equality ignores.
//!
//! # Syntax covered
//!
//! Source commands `FROM` (index patterns, remote `cluster:index`, `::selector`,
//! quoted names, `METADATA`), `ROW`, `SHOW INFO`; processing commands `WHERE`,
//! `EVAL`, `STATS … [WHERE …] BY …`, `INLINE STATS` / `INLINESTATS`, `KEEP`,
//! `DROP`, `RENAME a AS b` (and `b = a`), `SORT … ASC|DESC NULLS FIRST|LAST`,
//! `LIMIT`, `MV_EXPAND`, `DISSECT`, `GROK`, `ENRICH`, `LOOKUP JOIN`,
//! `COMPLETION`, `SAMPLE`. Expressions: `AND`/`OR`/`NOT`, comparisons
//! (`==`, `!=`, `<`, `<=`, `>`, `>=`, `=~`), `[NOT] LIKE`/`RLIKE` with one
//! pattern or a list, `[NOT] IN (…)`, `IS [NOT] NULL`, the match operator
//! `field : "query"`, arithmetic, casts `x::type`, function calls (with `*` and
//! a trailing `{ "option": value }` map), literals (`null`, booleans, numbers,
//! `"…"` strings with `\t \n \r \" \\` escapes, `"""…"""` raw strings, time
//! spans `15 minutes`, arrays `[1, 2]`), parameters `?name`, backquoted
//! identifiers, `//` and nested `/* */` comments. Keywords and function names
//! are case-insensitive (function names are kept in upper case). `FORK`,
//! `CHANGE_POINT`, `RERANK`, `FUSE` and the `TS` source are refused as
//! [`QueryErrorKind::Unsupported`](crate::QueryErrorKind::Unsupported).
//!
//! # Semantic decisions
//!
//! - Only what decides which events (or groups) a rule reports is lowered,
//!   and only exactly: what the model cannot state is an
//!   [`Expr::Opaque`](ruledex_model::Expr::Opaque) in the event condition,
//!   with a reason from [`reason`]; nothing that filters is dropped or
//!   approximated. `WHERE` before the first `STATS` is the event condition;
//!   after it, filters on the group keys stay event conditions.
//! - The first `STATS` is the [`Aggregation`](ruledex_model::Aggregation): its
//!   keys are `group_by` (a time bucket is the window) and each aggregate is a
//!   named [`Metric`](ruledex_model::Metric). Conditions on the aggregates
//!   take one of two forms, never both: the **threshold form**
//!   (`condition`, `cardinality`, `ValueCount`) when they are all bounds on one
//!   count that an Elastic threshold rule could state, so that such rules
//!   compare with threshold rules; else the **`having` form**, an `Expr` over
//!   metric names (and keys) as fields, with `field_ref` for a comparison of
//!   two metrics. [`lower`] lists what each aggregate and condition becomes.
//! - Case: ES|QL compares strings exactly, so `==`, `IN`, `LIKE`, `RLIKE`,
//!   `STARTS_WITH`, … give case-sensitive predicates; wrapping the field in
//!   `TO_LOWER`/`TO_UPPER` (directly or through an `EVAL` column) or using `=~`
//!   makes them case-insensitive on the underlying field.
//! - `LIKE` wildcards (`*`, `?`, `\` escapes) reduce to
//!   `eq`/`contains`/`starts_with`/`ends_with` when that means the same, else
//!   `wildcard`. `RLIKE` patterns are whole-value Lucene regular expressions:
//!   they are translated to the model's search syntax (anchors added, `@` as
//!   `.*`, dot-all flag) and reduced to the plain operators when literal.
//! - `NOT x` lowers to `Expr::not` and `a != b` to `not (a eq b)`: ES|QL's
//!   three-valued logic (a comparison with a missing field is null, and so is
//!   its negation) is not modelled.
//! - `EVAL` columns are traced back to the fields they are computed from where
//!   that is exact (see [`lower`]'s rules); a function that transforms the
//!   value (`URL_DECODE`, `REPLACE`, `LENGTH`, arithmetic, a `GROK` or
//!   `DISSECT` column, `DATE_DIFF` of metrics) is a predicate on the field
//!   with [`Transform`](ruledex_model::Transform)s, and what the model cannot
//!   state is opaque. `MV_EXPAND` is ignored, since a predicate on a
//!   multi-valued field already holds when one value does; likewise a
//!   predicate on a `VALUES` metric holds when one of its values does.
//!
//! [ES|QL syntax reference]: https://www.elastic.co/docs/reference/query-languages/esql/esql-syntax-reference
//! [`RLIKE` regular expression syntax]: https://www.elastic.co/docs/reference/query-languages/query-dsl/regexp-syntax

pub mod ast;
mod lower;
mod parser;
mod pattern;
mod tokenizer;

pub use ast::{
    AggField, ArithOp, Assign, Call, CmpOp, Command, CommandKind, Expr, ExprKind, Literal, Loc,
    Order, Query, Rename, Source, Stats,
};
pub use lower::{lower, reason};
pub use parser::{MAX_DEPTH, parse};

use crate::error::QueryError;
use crate::lowered::Lowered;

/// Parse a query and lower it into the model.
pub fn parse_and_lower(text: &str) -> Result<Lowered, QueryError> {
    Ok(lower(&parse(text)?))
}

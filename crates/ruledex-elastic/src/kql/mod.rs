//! Kibana Query Language (KQL, `language = "kuery"` in a rule).
//!
//! KQL is Kibana's filter language: `field:value` tests joined by `and`, `or`,
//! `not` and parentheses, with value lists (`process.name:(bash or sh)`),
//! ranges (`score >= 21`), exists tests (`host.name:*`), nested-object queries
//! (`field:{ a:x and b:y }`) and free text (a value with no field). Reference:
//! <https://www.elastic.co/docs/reference/query-languages/kql>; the grammar
//! followed here is Kibana's own, `src/platform/packages/shared/kbn-es-query/src/kuery/grammar/grammar.peggy`
//! in <https://github.com/elastic/kibana>.
//!
//! The pipeline is tokenizer → [`parse`] → [`Query`] (which prints itself back
//! as KQL) → [`lower`]:
//!
//! ```
//! use ruledex_elastic::kql;
//!
//! let q = kql::parse("event.category:process and process.name:(nc or ncat)").unwrap();
//! assert_eq!(q.to_string(), "event.category:process and process.name:(nc or ncat)");
//! let lowered = kql::lower(&q);
//! assert_eq!(
//!     lowered.expr.to_string(),
//!     r#"event.category eq:cased "process" and process.name in:cased any["nc", "ncat"]"#
//! );
//! assert_eq!(lowered.hints, [("event.category".to_string(), "process".to_string())]);
//! ```
//!
//! # Syntax notes
//!
//! - `not` binds tighter than `and`, which binds tighter than `or`; the three
//!   keywords are case-insensitive.
//! - An unquoted value may hold spaces (`process.name: foo bar` is the value
//!   `foo bar`); it ends at a special character `\ ( ) : < > " { }` or before
//!   whitespace followed by a keyword. `*` in it is a wildcard; `?` is not.
//!   Whitespace is space, tab, CR, LF and no-break space.
//! - Escapes in an unquoted value: `\t` `\r` `\n`, a backslash before a
//!   special character (`C\:\\Windows`), `\uXXXX`, and `\and` `\or` `\Not`
//!   for the words (lowercase `\not` is a newline then `ot`: `\n` is read
//!   first, as in Kibana). A backslash before anything else is an error, as
//!   in Kibana.
//! - A quoted value is a phrase: `*` inside quotes is a plain character. Its
//!   escapes are `\"` `\\` `\t` `\r` `\n` `\uXXXX`; any other backslash is
//!   itself (`"C:\Windows"`).
//! - `and`/`or` are keywords only between operands (`x: and` is the value
//!   `and`), as in Kibana. Beyond Kibana, this parser also reads `not not x`,
//!   `field: not x` and a keyword directly before `(` or `"` (`not(x)`); Kibana
//!   rejects these, so accepting them changes no query Kibana accepts.
//! - Nesting (parentheses, braces, `not`) is limited to [`MAX_DEPTH`] levels.
//!
//! # Lowering decisions
//!
//! - `field:value` is `eq`, **case-sensitive**: on `keyword` fields (most ECS
//!   fields the rules test) Kibana sends a `term` or `wildcard` query, which
//!   compare exactly. `text` fields are analyzed by Elasticsearch (usually
//!   lowercased and split into words); the model cannot know a field's mapping,
//!   so the keyword reading is kept.
//! - Unquoted values with `*` reduce as Sigma's do: `*x*` → `contains`, `x*` →
//!   `starts_with`, `*x` → `ends_with`, anything else → `wildcard` with the
//!   canonical pattern (`*` wildcard; a literal `*`, `?` or `\` escaped with `\`).
//! - `field:*` → `exists true`.
//! - Unquoted `true`/`false` are booleans and canonical integers are `Int`;
//!   everything else, quoted values included, is a string. Unquoted `null` is
//!   opaque (Elasticsearch rejects the null term Kibana would send).
//! - `field:(a or b or *c)`: one predicate per operator, values pooled
//!   (`in any[a, b]`, `ends_with c`), joined by `or`; `field:(a and b)` pools
//!   into one predicate with `all` set; sub-lists and `not` inside a list lower
//!   recursively (`field:(* and not x)` → `exists and not eq x`).
//! - `not q` → `Expr::not`, with no rewriting: `not field:x` also matches events
//!   without the field, as in Elasticsearch.
//! - Ranges → `gt`/`gte`/`lt`/`lte`, the bound an `Int` or `Float` when it is a
//!   number (quoted or not), else a string (dates); a `*` in a bound is opaque.
//! - `a:{ b:x and c:y }` → predicates on `a.b` and `a.c`; that both must hold
//!   in the *same* nested object is not kept.
//! - A `*` in an unquoted field name (`file.hash.*:*`,
//!   `azure.…target_resources.*.type:"User"`) makes it a field glob
//!   ([`ruledex_model::Field::is_glob`]): the predicate holds when it holds
//!   for some matching field, as Kibana expands the pattern to every mapped
//!   field it matches. A literal `*` (in a quoted name) is written `\*`.
//! - Free text → [`ruledex_model::Keyword`], case-insensitive, as a substring
//!   (`contains`, or `wildcard` when the value has an inner `*`): Kibana
//!   searches it in every field with a `multi_match`, analyzed on text fields.
//! - Every predicate's span covers the field and the values it holds.
//! - [`Lowered::hints`]: positive (not under an odd number of `not`) `eq`/`in`
//!   values of `event.category`, `event.type`, `event.action`,
//!   `data_stream.dataset`, `event.code`, `host.os.type` and the other fields of
//!   `crate::lowered::HINT_FIELDS`, in order, deduplicated.

mod ast;
mod lower;
mod parser;
mod tokenizer;

pub use ast::{
    FieldMatch, Literal, LiteralKind, NestedMatch, Piece, Query, RangeMatch, RangeOp, ValueList,
};
pub use parser::MAX_DEPTH;

use crate::error::QueryError;
use crate::lowered::Lowered;

/// Parse a KQL query into its syntax tree.
pub fn parse(text: &str) -> Result<Query, QueryError> {
    parser::parse(text)
}

/// Lower a parsed query into the model. Never fails: what the model cannot
/// say becomes an `Expr::Opaque` with the reason.
pub fn lower(query: &Query) -> Lowered {
    lower::lower(query)
}

/// Parse and lower a query.
pub fn parse_and_lower(text: &str) -> Result<Lowered, QueryError> {
    parse(text).map(|q| lower(&q))
}

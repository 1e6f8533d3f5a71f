//! Lucene query syntax (`language = "lucene"`), as Elasticsearch's
//! `query_string` query reads it.
//!
//! Elastic rules written in Lucene syntax run as a `query_string` query: the
//! classic Lucene query parser ([Lucene reference]) with Elasticsearch's
//! additions ([Elasticsearch reference]): `_exists_:field`, one-sided ranges
//! `field:>=5`, field name patterns `book.\*:x`. The pipeline is
//! tokenizer → parser ([`parse`]) → AST ([`Query`], which prints itself back
//! as valid Lucene) → [`lower`], the only place that knows what a clause
//! means in the model; [`pitfalls`] lists what a query says that its author
//! probably did not mean.
//!
//! ```
//! use ruledex_elastic::lucene;
//!
//! let q = lucene::parse("process.name:(bash OR sh) AND NOT user.name:root").unwrap();
//! assert_eq!(lucene::parse(&q.to_string()).unwrap(), q);
//! let lowered = lucene::lower(&q);
//! assert_eq!(
//!     lowered.expr.to_string(),
//!     r#"process.name in any["bash", "sh"] and not user.name eq "root""#
//! );
//! ```
//!
//! # Syntax
//!
//! Terms (`chmod`), phrases (`"a b"`, `"a b"~2`), `field:value` (with
//! `field : value` allowed, dots and escaped characters in field names),
//! `field:(a OR b)`, wildcards `*` and `?`, regular expressions `/…/`,
//! ranges `[a TO b]`, `{a TO b}`, `[a TO b}` with `*` for an open end,
//! `field:>5`, `>=`, `<`, `<=`, `AND`/`&&`, `OR`/`||`, `NOT`/`!`, the `+`
//! and `-` prefixes, parentheses, boosts `^2` and `~` (fuzziness on terms,
//! proximity on phrases). Operators are uppercase only: `and` is a term.
//! `\` escapes any character (`\uXXXX` too); the characters to escape are
//! `+ - = && || > < ! ( ) { } [ ] ^ " ~ * ? : \ /` and whitespace.
//! Groups nest at most [`MAX_DEPTH`] deep.
//!
//! # Meaning (what [`lower`] decides)
//!
//! - **No precedence, occurrences instead.** As in Lucene's `addClause`, with
//!   the default operator `OR` (Elasticsearch's default): a clause is
//!   *required* when written `+x` or introduced by `AND` (which also makes
//!   the clause before it required), *prohibited* when written `-x`,
//!   `NOT x` or `!x`, and *optional* otherwise. A group lowers to
//!   `and(required…, or(optional…), not prohibited…)`. With a required clause
//!   present, optional clauses only change the score, never which events
//!   match, so they are **dropped** (and reported by [`pitfalls`] as
//!   [`PitfallKind::ScoringOnly`]): `a AND b OR c` is `a and b`, and
//!   `a OR b AND c` is `b and c`. A group of prohibited clauses only matches
//!   everything else (Elasticsearch adds a match-all): `NOT a` is `not a`.
//! - **Whitespace is not an operator.** Since Elasticsearch 6, bare terms side
//!   by side (`f:(a b)`, `a b`) reach the field's analyzer as one text
//!   (elastic/elasticsearch#28719). On the keyword fields that detection
//!   rules query that is one value, so the run lowers to `f eq "a b"`
//!   (reported as [`PitfallKind::WhitespaceRun`]); a text field would split
//!   it into words again. Separate the terms with `OR` to mean "any of".
//! - **Values.** A term without wildcards is `eq`; an unquoted integer or
//!   decimal in canonical form becomes a number, phrases stay strings.
//!   Wildcard terms reduce as Sigma's do: `*x*` contains, `x*` starts_with,
//!   `*x` ends_with, anything else wildcard in the model's canonical form
//!   (`*`, `?`, with `\*`, `\?`, `\\` literal). `f:*`, `f:[* TO *]` and
//!   `_exists_:f` are `f exists true`. Alternatives on one field with one
//!   operator merge: `f:(a OR b)` is `f in ["a", "b"]`.
//! - **Case.** Keyword fields compare exactly in Elasticsearch, text fields
//!   compare analyzed (usually lowercased) words. Lowering does not know
//!   the mapping; it marks terms, phrases and wildcards case-insensitive (the
//!   model's default), so it may match case variants a keyword field would
//!   not. Regular expressions are
//!   marked case-sensitive: Lucene's regex engine has no case folding.
//! - **Regular expressions** are translated from Lucene's syntax to the
//!   model's (the `regex` crate's), anchored at both ends since Lucene
//!   matches whole values; see the `regexp` module. Complement, intersection,
//!   numeric intervals and `#` stay opaque.
//! - **No field** (or `*:`) searches every field: terms and phrases become
//!   `Expr::Keyword` with the same operators; a lone `*` matches every event
//!   (dropped inside `and`, absorbing inside `or`; a whole query that matches
//!   every event, or none, is opaque). A range with no field, a
//!   field name pattern (`book.\*:x`) and `_exists_` with a range or regex
//!   are opaque.
//! - **Ranges** become `gte`/`gt` and `lte`/`lt` predicates (`and` of the two;
//!   an open end is dropped). `f:>5` is `f gt 5`.
//! - **Scoring.** Boosts are kept in the AST and ignored by lowering. Fuzzy
//!   terms (`a~`, `a~1`) are opaque (`~0` is exact, and Lucene ignores `~` on
//!   wildcard terms and regexes); phrases with a proximity (`"a b"~2`) are
//!   opaque, except for one-word phrases, where it changes nothing.
//! - **Hints**: positive `eq`/`in` predicates (outside any `not`) on
//!   `event.category`, `event.type`, `event.action`, `event.dataset`,
//!   `event.code` and `host.os.type`.
//! - **Spans**: every predicate, keyword and opaque node carries the span of
//!   its clause (`field:value^boost`, without the modifier; inside
//!   `field:( … )`, the inner clause); predicates merged from `f:(a OR b)`
//!   cover `a OR b`.
//!
//! [Lucene reference]: https://lucene.apache.org/core/9_0_0/queryparser/org/apache/lucene/queryparser/classic/package-summary.html
//! [Elasticsearch reference]: https://www.elastic.co/guide/en/elasticsearch/reference/current/query-dsl-query-string-query.html#query-string-syntax

mod ast;
mod lexer;
mod lower;
mod parser;
mod regexp;

pub use ast::{
    Bound, Clause, Compare, CompareOp, Conj, Modifier, Node, Phrase, Query, Range, Regex, Slop,
    Term,
};
pub use lower::{Pitfall, PitfallKind, lower, pitfalls};
pub use parser::parse;

use crate::error::QueryError;
use crate::lowered::Lowered;

/// How deep parenthesized groups may nest.
pub const MAX_DEPTH: usize = 100;

/// Parse and lower a query.
pub fn parse_and_lower(text: &str) -> Result<Lowered, QueryError> {
    parse(text).map(|q| lower(&q))
}

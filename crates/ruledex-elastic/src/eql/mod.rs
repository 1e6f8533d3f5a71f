//! EQL, Elastic's event query language (`type = "eql"` rules).
//!
//! EQL matches single events (`process where process.name == "nmap"`),
//! ordered sequences of events joined by fields
//! (`sequence by host.id with maxspan=5m [..] [..] until [..]`) and unordered
//! samples (`sample by host.id [..] [..]`). References: the
//! [syntax](https://www.elastic.co/guide/en/elasticsearch/reference/current/eql-syntax.html)
//! and the [functions](https://www.elastic.co/guide/en/elasticsearch/reference/current/eql-function-ref.html).
//!
//! The pipeline is tokenizer → parser → [`ast`] → lowering:
//! [`parse`] gives a [`Query`] that prints itself back (`Display`), [`lower`]
//! turns it into the model, and [`parse_and_lower`] does both.
//!
//! ```
//! use ruledex_elastic::eql;
//!
//! let q = eql::parse(r#"process where process.name : ("nmap*", "masscan.exe")"#).unwrap();
//! let lowered = eql::lower(&q);
//! assert_eq!(lowered.hints, vec![("event.category".to_owned(), "process".to_owned())]);
//! assert_eq!(
//!     lowered.expr.to_string(),
//!     r#"process.name starts_with "nmap" or process.name eq "masscan.exe""#
//! );
//! ```
//!
//! # What the syntax covers
//!
//! Everything the Elastic corpus uses: `category where`, `any where`,
//! sequences with `by` (sequence-wide and per term), `with maxspan=…`,
//! `with runs=N`, missing-event terms `![..]` and `until`; samples; the
//! operators `==  !=  <  <=  >  >=  :  like  like~  regex  regex~  in  in~
//! not in  not in~`; `and`, `or`, `not`; arithmetic; function calls, also
//! in their `name~(…)` form; optional fields `?field`; field names with
//! backtick-quoted segments; strings `"…"` (escapes `\n \r \t \" \' \\
//! \u{XXXX}`), `'…'`, raw `"""…"""` and `?"…"`; numbers, `true`, `false`,
//! `null`; pipes (`| head 5`, `| filter …`, any name); `//` and `/* */`
//! comments. Keywords are lower case. `join` and `descendant of` are not
//! supported (Elasticsearch does not run them either).
//!
//! # How EQL lowers into the model
//!
//! - `==` compares case-sensitively (Elasticsearch ≥ 7.10); `!=` is
//!   `not(eq)`. `field == null` is `is_null`, `field != null` is `is_not_null`.
//!   `<`, `<=`, `>`, `>=` are `lt`, `lte`, `gt`, `gte`; a literal on the left
//!   flips the operator.
//! - `:` compares case-insensitively and reads `*` and `?` as wildcards; each
//!   pattern is reduced like Sigma's: no wildcard → `eq`, `*x*` → `contains`,
//!   `x*` → `starts_with`, `*x` → `ends_with`, anything else → `wildcard`.
//!   EQL has no escape for `*` and `?`, so a backslash is a literal one (the
//!   model's `wildcard` value writes it `\\`). A list `field : ("a", "b*")`
//!   gives one predicate per reduced operator (`eq a or starts_with b`).
//! - `like` / `like~` reduce the same way, case-sensitive / case-insensitive.
//! - `regex` / `regex~` are `regex`, case-sensitive / case-insensitive.
//!   Elasticsearch uses Lucene's syntax, which must match the whole value; the
//!   model's regexes are searched for, so the pattern is anchored (`^…$`),
//!   except that a leading or trailing `.*` is dropped instead of anchoring
//!   that end, and `.` matches line breaks (`dotall`). Lucene's optional
//!   operators (`@ & ~ < > #`) are not translated. A pattern the model's
//!   regex syntax cannot read is opaque.
//! - `in` / `in~` are `in`, case-sensitive / case-insensitive; `not in` is
//!   `not(in)`. A `null` in the list adds `is_null`.
//! - `startsWith`, `endsWith`, `stringContains` are `starts_with`,
//!   `ends_with`, `contains` (case-sensitive; `~` makes them insensitive);
//!   `cidrMatch(f, "10.0.0.0/8", …)` is `cidr`; `wildcard(f, "a*", …)` is a
//!   reduced wildcard. Function names are case-insensitive (`cidrmatch`).
//! - A field compared with a field (`a == b`, `a : b`, `startsWith(a, b)`)
//!   is `field_ref` (with `within` for the string functions).
//! - `length(f)` and `substring(f, start[, end])` compared with a value
//!   (`==`, `!=`, `<`, …) are predicates on `f` with a
//!   [`Transform`](ruledex_model::Transform): `length(f) > 30` is `f` with
//!   `[Length]`, `gt 30`; `substring(f, 1, 4)` is `Substring { start: 1,
//!   len: 3 }`, and with a negative position (`substring(f, 0, -1)`, all but
//!   the last character) `Slice { start: 0, end: -1 }`; an `end` written
//!   `length(f) - k` is position `-k`. They nest (`length(substring(f,
//!   2))`), and `string(f)` is `f` itself. The first argument of
//!   `startsWith`, `endsWith` and `stringContains` may be such a function
//!   (`startsWith~(substring(b, 0, -1), a)` is `slice(b, 0, -1)
//!   field_ref(starts_with) a`); a transformed *second* argument stays
//!   opaque, since `field_ref` names the other field's own value. Used in a
//!   pattern match (`:`, `like`) or a list they stay opaque.
//! - Any other function, arithmetic, and comparisons no predicate can hold
//!   are `Expr::Opaque`, with a reason naming the function
//!   (`EQL function \`number\``) or the construct.
//! - `not` is `Expr::not`, where it stands: an EQL `not` inside a branch of
//!   an `or` stays there, so the model reports it as an exclusion scoped to
//!   that branch, not to the rule.
//! - `?field` lowers like `field` (the `?` only says the field may be missing
//!   from the index mapping). A bare field used as a condition is `eq true`;
//!   `true` is the empty `and`, `false` the empty `or`.
//! - The event category is **not** a predicate: `process where …` gives the
//!   hint `("event.category", "process")` ([`Lowered::hints`]) and no
//!   condition; `any where` gives none. Positive (not negated) `eq` / `in`
//!   tests on the fields the taxonomy reads to pick events are hints too:
//!   `event.category`, `event.type`, `event.action`, `event.dataset`,
//!   `data_stream.dataset`, `event.code`, `winlog.event_id`,
//!   `winlog.channel`, `host.os.type`, `host.os.family`, `host.os.platform`,
//!   `os.type` (those under an `or` included: each names events the rule may read).
//! - A sequence is an [`Aggregation`](ruledex_model::Aggregation) of kind
//!   `Sequence`: one step per term (a term `with runs=N` is N steps), step
//!   `by` fields, the sequence-wide `by` as `group_by`, `maxspan` as the
//!   window, `until` as the cancelling expression. [`Lowered::expr`] is the
//!   `or` of the terms' conditions, each once, so that a catalog sees every
//!   predicate of the rule; the `until` condition is left out of it (it
//!   cancels matches, it does not select events). A missing-event term `![..]`
//!   has no model equivalent and is an opaque step.
//! - A sample is lowered like a sequence without window or `until`; its steps
//!   are in no particular order (the model has no unordered join).
//! - Pipes: `head` and `tail` limit how many results are returned, not which
//!   events match, and are dropped; `filter` conditions are and-ed to the
//!   expression; any other pipe (`unique`, `unique_count`, `count`, …) is
//!   and-ed as an opaque node.
//!
//! # Limits
//!
//! Parsing is linear in the query length; nesting (parentheses, `not`,
//! function calls, arithmetic chains) deeper than [`MAX_DEPTH`] is refused with
//! `TooDeep`, so that no input can overflow the stack; a sequence may have at
//! most [`MAX_SEQUENCE_STEPS`] steps once `runs` are counted, so that lowering
//! (which repeats a term `runs` times) stays proportional to the query.

pub mod ast;
mod lower;
mod parser;
mod tokenizer;

pub use ast::{
    ArithOp, Call, Category, CompareOp, EventQuery, Expr, ExprKind, FieldPath, Literal, MAX_RUNS,
    MAX_SEQUENCE_STEPS, MatchOp, NodeSpan, Patterns, Pipe, Query, QueryBody, Sample, SampleTerm,
    Sequence, SequenceTerm, TimeSpan,
};
pub use parser::MAX_DEPTH;

use crate::error::QueryError;
use crate::lowered::Lowered;

/// Parse an EQL query into its syntax tree.
pub fn parse(text: &str) -> Result<Query, QueryError> {
    parser::parse(text)
}

/// Parse one EQL condition (what follows `where`).
pub fn parse_condition(text: &str) -> Result<Expr, QueryError> {
    parser::parse_expr(text)
}

/// Lower a parsed query into the model. Never fails: what the model cannot
/// hold becomes `Expr::Opaque` with the reason.
pub fn lower(query: &Query) -> Lowered {
    lower::lower(query)
}

/// Lower one condition into a model expression.
pub fn lower_condition(condition: &Expr) -> ruledex_model::Expr {
    lower::condition(condition)
}

/// Parse and lower a query.
pub fn parse_and_lower(text: &str) -> Result<Lowered, QueryError> {
    parse(text).map(|q| lower(&q))
}

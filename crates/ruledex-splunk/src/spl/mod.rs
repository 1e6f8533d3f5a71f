//! Splunk's search processing language (SPL), as the detections of
//! security_content write it.
//!
//! A search is a pipeline of commands separated by `|`
//! (<https://help.splunk.com/splunk-enterprise/spl-search-reference>). The
//! pipeline is tokenizer ([`tokenizer`](self)) → [`parse`] → [`Pipeline`]
//! (which prints itself back as SPL) → [`lower`]:
//!
//! ```
//! use ruledex_splunk::spl;
//! use ruledex_splunk::Context;
//!
//! let q = spl::parse(r#"index=win EventCode=4625 (user=admin* OR user=root) | stats count by src | where count > 10"#).unwrap();
//! assert_eq!(q.to_string(), "index=win EventCode=4625 (user=admin* OR user=root) | stats count by src | where count > 10");
//! let lowered = spl::lower(&q, &Context::new());
//! assert_eq!(
//!     lowered.logic.expr.to_string(),
//!     r#"index eq "win" and EventCode eq 4625 and (user starts_with "admin" or user eq "root")"#
//! );
//! let agg = lowered.logic.aggregation.unwrap();
//! assert_eq!(agg.to_string(), "threshold: count > 10; by src; count = count()");
//! ```
//!
//! # Syntax notes
//!
//! - The first command is an implicit `search` unless the pipeline starts
//!   with `|` (a generating command: `| tstats …`, `| inputlookup …`).
//! - Search expressions: `NOT` binds tightest, then `OR`, then `AND`, which
//!   is also implied between terms (`a b OR c` is `a AND (b OR c)`); the three
//!   keywords, and `IN`, are uppercase only. Terms are `field=value`,
//!   `field!=value`, `<`, `<=`, `>`, `>=`, `field IN (a, b)`, bare terms,
//!   macros and `[subsearches]`. A value is quoted and unquoted pieces glued
//!   together; `\\` and `\"` are escapes.
//! - Eval expressions (`where`, `eval`, aggregate arguments): `OR`/`XOR` <
//!   `AND` < `NOT` < comparisons (`=`, `==`, `!=`, `<`, …, `LIKE`, `IN`) <
//!   `+ - .` < `* / %`; keywords fold case; `'quoted'` names are fields,
//!   `"quoted"` text is a string.
//! - ```` ```comments``` ```` are skipped.
//! - `search`, `where`, `eval`, `rename`, `stats`/`eventstats`/`streamstats`
//!   and `tstats` are read structurally; `table`, `fields`, `lookup`,
//!   `inputlookup`, `rex`, `regex`, `spath`, `bin`/`bucket`, `join`, `append`,
//!   `dedup`, `sort`, `head`, `transaction`, `fillnull` and a few more as
//!   options and words ([`CommandKind::Args`]); any other command is kept
//!   as written ([`CommandKind::Generic`]), so that a valid pipeline always
//!   parses.
//! - Nesting is limited to [`MAX_DEPTH`] levels.

mod ast;
mod lower;
mod parser;
mod tokenizer;

pub use ast::{
    Agg, Arg, Assign, BinOp, CmpOp, Command, CommandKind, Compare, EvalExpr, MacroCall, Opt,
    Pipeline, SearchExpr, Stats, Tstats, TstatsItem, Word,
};
pub use lower::{Lowered, MAX_MACRO_DEPTH, lower, reason};
pub use parser::{MAX_DEPTH, parse, parse_command_position};

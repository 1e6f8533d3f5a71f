//! Microsoft Sentinel analytic rules and hunting queries lowered into the
//! ruledex model.
//!
//! Sentinel's community content is YAML ([`rule`]) whose logic is a Kusto
//! query ([`kusto`]): tokenizer → parser → AST that prints itself back →
//! `lower` into the model's `Logic`. Parsers return a typed
//! [`QueryError`] with a span instead of panicking; lowering never fails:
//! what cannot be reduced to the model becomes an `Expr::Opaque` with a
//! stable reason ([`kusto::reason`]).
#![deny(missing_docs)]

pub mod error;
pub mod kusto;
pub mod rule;

pub use error::{QueryError, QueryErrorKind};
pub use rule::{Parsed, parse_sentinel};

//! Splunk security_content detections lowered into the ruledex model.
//!
//! A detection is a YAML file ([`rule`]) whose logic is an SPL search
//! ([`spl`]): tokenizer → parser → AST that prints itself back → `lower`
//! into the model's [`Logic`](ruledex_model::Logic). Searches call macros
//! and lookups defined beside the detections; a [`Context`] holds them and
//! lowering expands macros where they filter events.
//!
//! Parsing returns a typed [`QueryError`] with a span instead of panicking;
//! lowering never fails: what cannot be reduced to the model becomes an
//! `Expr::Opaque` with a stable reason ([`spl::reason`]).
#![deny(missing_docs)]

pub mod context;
pub mod error;
pub mod rule;
pub mod spl;
mod yaml_repair;

pub use context::{Context, LookupDef, MacroDef};
pub use error::{Error, ErrorKind, QueryError, QueryErrorKind};
pub use rule::{Parsed, parse_splunk, parse_splunk_with};

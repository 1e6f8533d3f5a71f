//! Elastic detection rules lowered into the ruledex model.
//!
//! Elastic's prebuilt rules are TOML files ([`rule`]) whose logic is a query in
//! one of four languages, each with its own tokenizer → parser → AST → lower
//! pipeline:
//!
//! - [`kql`]: Kibana query language (`language = "kuery"`);
//! - [`lucene`]: Lucene query syntax (`language = "lucene"`);
//! - [`eql`]: event query language (`type = "eql"`), sequences included;
//! - [`esql`]: ES|QL (`type = "esql"`), a pipeline of commands.
//!
//! Every AST prints itself back (`Display`), and every parser returns a typed
//! [`QueryError`] with a span into the query text instead of panicking.
//! Lowering never fails: what cannot be reduced to the model becomes an
//! `Expr::Opaque` with the reason.
#![deny(missing_docs)]

pub mod eql;
pub mod error;
pub mod esql;
pub mod kql;
mod lowered;
pub mod lucene;
pub mod rule;

pub use error::{QueryError, QueryErrorKind};
pub use lowered::Lowered;
pub use rule::{Parsed, parse_elastic};

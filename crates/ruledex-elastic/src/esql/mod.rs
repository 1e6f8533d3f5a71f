//! ES|QL (WIP).

pub mod ast;
mod lower;
mod parser;
mod tokenizer;

pub use ast::*;
pub use lower::lower;
pub use parser::{MAX_DEPTH, parse};

use crate::error::QueryError;
use crate::lowered::Lowered;

/// Parse and lower a query.
pub fn parse_and_lower(text: &str) -> Result<Lowered, QueryError> {
    Ok(lower(&parse(text)?))
}

//! Placeholder for the esql parser (being written).

use crate::error::{QueryError, QueryErrorKind};
use crate::lowered::Lowered;
use ruledex_diag::Span;

/// Parse and lower a query.
pub fn parse_and_lower(text: &str) -> Result<Lowered, QueryError> {
    let _ = text;
    Err(QueryError::new(
        QueryErrorKind::Unsupported {
            what: "esql".into(),
        },
        Span::default(),
    ))
}

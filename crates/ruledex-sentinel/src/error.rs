//! Errors of the Kusto parser.

use std::fmt;

use ruledex_diag::Span;

/// Why a Kusto query could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryErrorKind {
    /// A token that does not fit the grammar here.
    Unexpected {
        /// What the parser expected, for a person (`an expression`, `)`).
        expected: &'static str,
        /// What it found (`end of query` at the end).
        found: String,
    },
    /// A string literal or bracket with no closing delimiter.
    Unterminated {
        /// What was left open (`string`, `(`).
        what: &'static str,
    },
    /// A malformed number or literal.
    InvalidLiteral {
        /// What kind of literal.
        what: &'static str,
        /// The text.
        text: String,
    },
    /// Parentheses, function calls or sub-queries nested deeper than the parser allows.
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// A query longer than the parser accepts.
    TooLong {
        /// Length in bytes.
        len: usize,
        /// The limit in bytes.
        limit: usize,
    },
}

impl fmt::Display for QueryErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryErrorKind::Unexpected { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            QueryErrorKind::Unterminated { what } => write!(f, "unterminated {what}"),
            QueryErrorKind::InvalidLiteral { what, text } => write!(f, "invalid {what} `{text}`"),
            QueryErrorKind::TooDeep { limit } => {
                write!(f, "query nests deeper than {limit} levels")
            }
            QueryErrorKind::TooLong { len, limit } => {
                write!(f, "query of {len} bytes is longer than {limit}")
            }
        }
    }
}

impl QueryErrorKind {
    /// A stable kebab-case code.
    pub fn code(&self) -> &'static str {
        match self {
            QueryErrorKind::Unexpected { .. } => "kusto-syntax",
            QueryErrorKind::Unterminated { .. } => "kusto-unterminated",
            QueryErrorKind::InvalidLiteral { .. } => "kusto-invalid-literal",
            QueryErrorKind::TooDeep { .. } => "kusto-too-deep",
            QueryErrorKind::TooLong { .. } => "kusto-too-long",
        }
    }
}

/// A located query error: the span is a byte range into the query text (the
/// rule reader moves it into the YAML file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    /// What went wrong.
    pub kind: QueryErrorKind,
    /// Where, in the query text.
    pub span: Span,
}

impl QueryError {
    /// A new error.
    pub fn new(kind: QueryErrorKind, span: Span) -> QueryError {
        QueryError { kind, span }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl std::error::Error for QueryError {}

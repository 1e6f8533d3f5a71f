//! Errors shared by the four query parsers.

use std::fmt;

use ruledex_diag::Span;

/// Why a query could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryErrorKind {
    /// A token that does not fit the grammar here.
    Unexpected {
        /// What the parser expected, for a person (`a field name`, `)`).
        expected: &'static str,
        /// What it found (`end of query` at the end).
        found: String,
    },
    /// A quoted string or regular expression with no closing delimiter.
    Unterminated {
        /// What was left open (`string`, `regex`, `comment`).
        what: &'static str,
    },
    /// A malformed number, escape or literal.
    InvalidLiteral {
        /// What kind of literal.
        what: &'static str,
        /// The text.
        text: String,
    },
    /// Parentheses, functions or pipes nested deeper than the parser allows.
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// Syntax the language has but this parser does not support yet.
    Unsupported {
        /// What.
        what: String,
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
            QueryErrorKind::Unsupported { what } => write!(f, "not supported yet: {what}"),
        }
    }
}

impl QueryErrorKind {
    /// Stable kebab-case code.
    pub fn code(&self) -> &'static str {
        match self {
            QueryErrorKind::Unexpected { .. } => "query-syntax",
            QueryErrorKind::Unterminated { .. } => "query-unterminated",
            QueryErrorKind::InvalidLiteral { .. } => "query-invalid-literal",
            QueryErrorKind::TooDeep { .. } => "query-too-deep",
            QueryErrorKind::Unsupported { .. } => "query-unsupported",
        }
    }
}

/// A located query error. The span is a byte range into the query text; the
/// rule reader shifts it into the TOML file.
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

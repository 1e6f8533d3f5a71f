//! Errors of the SPL parser and of the detection reader.

use std::fmt;

use ruledex_diag::{Diagnostic, Severity, Span};

/// Why an SPL search could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryErrorKind {
    /// A token that does not fit the grammar here.
    Unexpected {
        /// What the parser expected, for a person (`a value`, `)`).
        expected: &'static str,
        /// What it found (`end of command` at the end).
        found: String,
    },
    /// A quoted string, macro call or subsearch with no closing delimiter.
    Unterminated {
        /// What was left open (`string`, `macro`, `subsearch`).
        what: &'static str,
    },
    /// Parentheses, subsearches or macros nested deeper than the parser allows.
    TooDeep {
        /// The limit.
        limit: usize,
    },
}

impl QueryErrorKind {
    /// Stable kebab-case code.
    pub fn code(&self) -> &'static str {
        match self {
            QueryErrorKind::Unexpected { .. } => "query-syntax",
            QueryErrorKind::Unterminated { .. } => "query-unterminated",
            QueryErrorKind::TooDeep { .. } => "query-too-deep",
        }
    }
}

impl fmt::Display for QueryErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryErrorKind::Unexpected { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            QueryErrorKind::Unterminated { what } => write!(f, "unterminated {what}"),
            QueryErrorKind::TooDeep { limit } => {
                write!(f, "search nests deeper than {limit} levels")
            }
        }
    }
}

/// A located SPL error; the span is a byte range into the search text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    /// What went wrong.
    pub kind: QueryErrorKind,
    /// Where, in the search text.
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

/// Why a detection file (or part of one) could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text is not valid YAML.
    Yaml {
        /// The YAML parser's message.
        message: String,
    },
    /// The file is larger than the reader accepts.
    FileTooLarge {
        /// Size in bytes.
        size: usize,
        /// Limit in bytes.
        limit: usize,
    },
    /// The document is not a mapping.
    NotAMapping,
    /// A required key is missing (`id`, `name`, `search`).
    MissingKey {
        /// The key.
        key: &'static str,
    },
    /// A key holds the wrong kind of YAML value.
    WrongType {
        /// The dotted key.
        key: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The search does not parse.
    Query {
        /// The parser's error.
        error: QueryErrorKind,
    },
    /// A date that is not `YYYY-MM-DD`.
    InvalidDate {
        /// The value as written.
        found: String,
    },
    /// A `tags.mitre_attack_id` entry that is not an ATT&CK technique id.
    InvalidTechnique {
        /// The value as written.
        found: String,
    },
}

impl ErrorKind {
    /// Stable kebab-case code; a query error has the parser's code.
    pub fn code(&self) -> &'static str {
        match self {
            ErrorKind::Yaml { .. } => "yaml-syntax",
            ErrorKind::FileTooLarge { .. } => "file-too-large",
            ErrorKind::NotAMapping => "not-a-mapping",
            ErrorKind::MissingKey { .. } => "missing-key",
            ErrorKind::WrongType { .. } => "wrong-type",
            ErrorKind::Query { error } => error.code(),
            ErrorKind::InvalidDate { .. } => "invalid-date",
            ErrorKind::InvalidTechnique { .. } => "invalid-attack-ref",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Yaml { message } => write!(f, "invalid YAML: {message}"),
            ErrorKind::FileTooLarge { size, limit } => write!(
                f,
                "file is {size} bytes, more than the {limit}-byte limit for one detection"
            ),
            ErrorKind::NotAMapping => f.write_str("the document is not a YAML mapping"),
            ErrorKind::MissingKey { key } => write!(f, "missing required key `{key}`"),
            ErrorKind::WrongType { key, expected } => write!(f, "`{key}` must be {expected}"),
            ErrorKind::Query { error } => write!(f, "SPL search: {error}"),
            ErrorKind::InvalidDate { found } => {
                write!(f, "`date` is not a date like 2024-01-31: `{found}`")
            }
            ErrorKind::InvalidTechnique { found } => {
                write!(f, "`tags.mitre_attack_id`: `{found}` is not a technique id")
            }
        }
    }
}

/// A located error or warning in a detection file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
    /// Where, as a byte range into the file.
    pub span: Span,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, span: Span) -> Error {
        Error { kind, span }
    }

    /// This error as a diagnostic of the given severity.
    pub fn to_diagnostic(&self, severity: Severity) -> Diagnostic {
        Diagnostic::new(self.kind.code(), severity, self.span, self.kind.to_string())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl std::error::Error for Error {}

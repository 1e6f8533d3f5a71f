//! Errors and warnings produced while reading Elastic rule files.

use std::fmt;

use ruledex_attack::RefError;
use ruledex_diag::{Diagnostic, Severity, Span};

use crate::error::QueryErrorKind;

/// The query languages an Elastic rule can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueryLanguage {
    /// Kibana query language, `language = "kuery"`.
    Kql,
    /// Lucene query syntax, `language = "lucene"`.
    Lucene,
    /// Event query language, `language = "eql"`.
    Eql,
    /// ES|QL, `language = "esql"`.
    Esql,
}

impl QueryLanguage {
    /// The language for a rule file's `language` value.
    pub fn from_rule(language: &str) -> Option<QueryLanguage> {
        match language {
            "kuery" => Some(QueryLanguage::Kql),
            "lucene" => Some(QueryLanguage::Lucene),
            "eql" => Some(QueryLanguage::Eql),
            "esql" => Some(QueryLanguage::Esql),
            _ => None,
        }
    }

    /// The name people use for it.
    pub fn name(self) -> &'static str {
        match self {
            QueryLanguage::Kql => "KQL",
            QueryLanguage::Lucene => "Lucene",
            QueryLanguage::Eql => "EQL",
            QueryLanguage::Esql => "ES|QL",
        }
    }

    /// The model's name for it.
    pub fn model(self) -> ruledex_model::Language {
        match self {
            QueryLanguage::Kql => ruledex_model::Language::Kql,
            QueryLanguage::Lucene => ruledex_model::Language::Lucene,
            QueryLanguage::Eql => ruledex_model::Language::Eql,
            QueryLanguage::Esql => ruledex_model::Language::Esql,
        }
    }
}

impl fmt::Display for QueryLanguage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an Elastic rule file (or part of one) could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text is not valid TOML.
    Toml {
        /// The TOML parser's message.
        message: String,
    },
    /// The file is larger than the reader accepts.
    FileTooLarge {
        /// Size of the file in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A required key is missing (`rule.rule_id`, `rule.query`).
    MissingKey {
        /// The dotted path of the key.
        key: &'static str,
    },
    /// A key holds the wrong kind of TOML value.
    WrongType {
        /// The dotted path of the key.
        key: String,
        /// What was expected, e.g. `a string`.
        expected: &'static str,
        /// What was found, e.g. `an integer`.
        found: &'static str,
    },
    /// A `type` Elastic does not define.
    UnknownRuleType {
        /// The type as written.
        found: String,
    },
    /// A `language` that the rule's type cannot be written in.
    InvalidLanguage {
        /// The rule's type.
        rule_type: String,
        /// The language as written.
        found: String,
    },
    /// A value of the right kind that is out of range or malformed.
    InvalidValue {
        /// The dotted path of the key.
        key: String,
        /// What is accepted.
        expected: &'static str,
        /// The value as written.
        found: String,
    },
    /// The rule's query does not parse.
    Query {
        /// Its language.
        language: QueryLanguage,
        /// The parser's error.
        error: QueryErrorKind,
    },
    /// A date that is not `YYYY/MM/DD` (or `YYYY-MM-DD`).
    InvalidDate {
        /// The dotted path of the key.
        key: &'static str,
        /// The value as written.
        found: String,
    },
    /// A `severity` other than low, medium, high or critical.
    InvalidSeverity {
        /// The value as written.
        found: String,
    },
    /// A `maturity` other than development, experimental, beta, production or deprecated.
    UnknownMaturity {
        /// The value as written.
        found: String,
    },
    /// An ATT&CK reference in a `[[rule.threat]]` block that is not a valid id.
    InvalidAttackRef {
        /// The reader's error.
        error: RefError,
    },
}

impl ErrorKind {
    /// Stable kebab-case code, used in reports and tests. A query error has
    /// the query parser's code (`query-syntax`, `query-unterminated`, …).
    pub fn code(&self) -> &'static str {
        match self {
            ErrorKind::Toml { .. } => "toml-syntax",
            ErrorKind::FileTooLarge { .. } => "file-too-large",
            ErrorKind::MissingKey { .. } => "missing-key",
            ErrorKind::WrongType { .. } => "wrong-type",
            ErrorKind::UnknownRuleType { .. } => "unknown-rule-type",
            ErrorKind::InvalidLanguage { .. } => "invalid-language",
            ErrorKind::InvalidValue { .. } => "invalid-value",
            ErrorKind::Query { error, .. } => error.code(),
            ErrorKind::InvalidDate { .. } => "invalid-date",
            ErrorKind::InvalidSeverity { .. } => "invalid-severity",
            ErrorKind::UnknownMaturity { .. } => "unknown-maturity",
            ErrorKind::InvalidAttackRef { .. } => "invalid-attack-ref",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Toml { message } => write!(f, "invalid TOML: {}", message.trim_end()),
            ErrorKind::FileTooLarge { size, limit } => write!(
                f,
                "file is {size} bytes, more than the {limit}-byte limit for one rule file"
            ),
            ErrorKind::MissingKey { key } => write!(f, "missing required key `{key}`"),
            ErrorKind::WrongType {
                key,
                expected,
                found,
            } => write!(f, "`{key}` must be {expected}, not {found}"),
            ErrorKind::UnknownRuleType { found } => write!(
                f,
                "unknown rule type `{found}` (expected query, eql, esql, threshold, new_terms, threat_match or machine_learning)"
            ),
            ErrorKind::InvalidLanguage { rule_type, found } => {
                write!(f, "language `{found}` does not apply to {rule_type} rules")
            }
            ErrorKind::InvalidValue {
                key,
                expected,
                found,
            } => write!(f, "`{key}` must be {expected}, found `{found}`"),
            ErrorKind::Query { language, error } => write!(f, "{language} query: {error}"),
            ErrorKind::InvalidDate { key, found } => {
                write!(f, "`{key}` is not a date like 2024/01/31: `{found}`")
            }
            ErrorKind::InvalidSeverity { found } => write!(
                f,
                "unknown severity `{found}` (expected low, medium, high or critical)"
            ),
            ErrorKind::UnknownMaturity { found } => write!(
                f,
                "unknown maturity `{found}` (expected development, experimental, beta, production or deprecated)"
            ),
            ErrorKind::InvalidAttackRef { error } => write!(f, "rule.threat: {error}"),
        }
    }
}

/// A located error or warning in an Elastic rule file.
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

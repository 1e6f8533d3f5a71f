//! Errors and warnings produced while reading Sigma rules.

use std::fmt;

use ruledex_diag::{Diagnostic, Severity, Span};

/// Why a Sigma document (or part of one) could not be read.
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
        /// Size of the file in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The document is not a YAML mapping.
    NotAMapping,
    /// A required key is missing.
    MissingKey {
        /// The key, e.g. `detection`.
        key: &'static str,
    },
    /// A key holds the wrong kind of YAML node.
    WrongType {
        /// The key (or path) whose value is wrong.
        key: String,
        /// What was expected, e.g. `a string`.
        expected: &'static str,
    },
    /// A value modifier that Sigma does not define.
    UnknownModifier {
        /// The modifier as written.
        modifier: String,
    },
    /// Two modifiers that cannot be used together.
    ConflictingModifiers {
        /// The first modifier.
        first: String,
        /// The one that conflicts with it.
        second: String,
    },
    /// A modifier applied to a value it cannot take.
    InvalidModifierValue {
        /// The modifier.
        modifier: String,
        /// What it needs, e.g. `a number`.
        expected: &'static str,
        /// The value given.
        found: String,
    },
    /// A regular expression that does not compile.
    InvalidRegex {
        /// The pattern.
        pattern: String,
        /// The regex engine's message.
        message: String,
    },
    /// A CIDR network that does not parse.
    InvalidCidr {
        /// The value.
        value: String,
    },
    /// A selection with nothing in it.
    EmptySelection {
        /// The selection's name.
        name: String,
    },
    /// A field given an empty list of values.
    EmptyValueList {
        /// The field.
        field: String,
    },
    /// The condition is not valid condition syntax.
    ConditionSyntax {
        /// What was expected.
        expected: &'static str,
        /// What was found (`end of condition` at the end).
        found: String,
    },
    /// The condition names a selection the detection does not define.
    UnknownSelection {
        /// The name.
        name: String,
    },
    /// `1 of x*` / `all of x*` matched no selection.
    NoSelectionMatches {
        /// The pattern.
        pattern: String,
    },
    /// The condition nests deeper than the reader allows.
    ConditionTooDeep {
        /// The limit.
        limit: usize,
    },
    /// The condition expands to more expression nodes than the reader allows.
    ConditionTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The YAML nests deeper than the reader allows.
    NestingTooDeep {
        /// The limit, in columns of indentation.
        limit: usize,
    },
    /// A modifier that only works after another one.
    ModifierNeedsAnother {
        /// The modifier.
        modifier: String,
        /// What must come with it.
        needs: &'static str,
    },
    /// An unknown correlation type.
    UnknownCorrelationType {
        /// The type as written.
        found: String,
    },
    /// A malformed time span (`5m`, `1h`).
    InvalidTimespan {
        /// The value.
        value: String,
    },
    /// An `action:` value that multi-document collections do not define.
    UnknownAction {
        /// The value.
        found: String,
    },
    /// A tag in the `attack.` namespace that is not a valid technique, tactic, group or software id.
    InvalidTag {
        /// The tag.
        tag: String,
    },
    /// A `level` that Sigma does not define.
    InvalidLevel {
        /// The value.
        found: String,
    },
    /// A `status` that Sigma does not define.
    InvalidStatus {
        /// The value.
        found: String,
    },
    /// A regular expression that is valid but uses features (look-around,
    /// back-references) the local engine cannot run.
    RegexUnsupportedByEngine {
        /// The pattern.
        pattern: String,
    },
}

impl ErrorKind {
    /// Stable kebab-case code, used in reports and tests.
    pub fn code(&self) -> &'static str {
        match self {
            ErrorKind::Yaml { .. } => "yaml-syntax",
            ErrorKind::FileTooLarge { .. } => "file-too-large",
            ErrorKind::NotAMapping => "not-a-mapping",
            ErrorKind::MissingKey { .. } => "missing-key",
            ErrorKind::WrongType { .. } => "wrong-type",
            ErrorKind::UnknownModifier { .. } => "unknown-modifier",
            ErrorKind::ConflictingModifiers { .. } => "conflicting-modifiers",
            ErrorKind::InvalidModifierValue { .. } => "invalid-modifier-value",
            ErrorKind::InvalidRegex { .. } => "invalid-regex",
            ErrorKind::InvalidCidr { .. } => "invalid-cidr",
            ErrorKind::EmptySelection { .. } => "empty-selection",
            ErrorKind::EmptyValueList { .. } => "empty-value-list",
            ErrorKind::ConditionSyntax { .. } => "condition-syntax",
            ErrorKind::UnknownSelection { .. } => "unknown-selection",
            ErrorKind::NoSelectionMatches { .. } => "no-selection-matches",
            ErrorKind::ConditionTooDeep { .. } => "condition-too-deep",
            ErrorKind::ConditionTooLarge { .. } => "condition-too-large",
            ErrorKind::NestingTooDeep { .. } => "yaml-too-deep",
            ErrorKind::ModifierNeedsAnother { .. } => "modifier-needs-another",
            ErrorKind::UnknownCorrelationType { .. } => "unknown-correlation-type",
            ErrorKind::InvalidTimespan { .. } => "invalid-timespan",
            ErrorKind::UnknownAction { .. } => "unknown-action",
            ErrorKind::InvalidTag { .. } => "invalid-tag",
            ErrorKind::InvalidLevel { .. } => "invalid-level",
            ErrorKind::InvalidStatus { .. } => "invalid-status",
            ErrorKind::RegexUnsupportedByEngine { .. } => "regex-unsupported-by-engine",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Yaml { message } => write!(f, "invalid YAML: {message}"),
            ErrorKind::FileTooLarge { size, limit } => {
                write!(
                    f,
                    "file is {size} bytes, more than the {limit}-byte limit for one rule file"
                )
            }
            ErrorKind::NotAMapping => f.write_str("a Sigma document must be a YAML mapping"),
            ErrorKind::MissingKey { key } => write!(f, "missing required key `{key}`"),
            ErrorKind::WrongType { key, expected } => write!(f, "`{key}` must be {expected}"),
            ErrorKind::UnknownModifier { modifier } => {
                write!(f, "unknown value modifier `{modifier}`")
            }
            ErrorKind::ConflictingModifiers { first, second } => {
                write!(f, "modifier `{second}` cannot be combined with `{first}`")
            }
            ErrorKind::InvalidModifierValue {
                modifier,
                expected,
                found,
            } => write!(f, "modifier `{modifier}` needs {expected}, found `{found}`"),
            ErrorKind::InvalidRegex { pattern, message } => {
                let first = message.lines().last().unwrap_or(message).trim();
                write!(f, "invalid regular expression `{pattern}`: {first}")
            }
            ErrorKind::InvalidCidr { value } => write!(f, "invalid CIDR network `{value}`"),
            ErrorKind::EmptySelection { name } => write!(f, "selection `{name}` is empty"),
            ErrorKind::EmptyValueList { field } => {
                write!(f, "field `{field}` has an empty list of values")
            }
            ErrorKind::ConditionSyntax { expected, found } => {
                write!(f, "condition syntax: expected {expected}, found {found}")
            }
            ErrorKind::UnknownSelection { name } => {
                write!(
                    f,
                    "condition names `{name}`, which the detection does not define"
                )
            }
            ErrorKind::NoSelectionMatches { pattern } => {
                write!(f, "`{pattern}` matches no selection of the detection")
            }
            ErrorKind::ConditionTooDeep { limit } => {
                write!(f, "condition nests deeper than {limit} levels")
            }
            ErrorKind::ConditionTooLarge { limit } => write!(
                f,
                "condition expands to more than {limit} expression nodes (selections are copied at each mention)"
            ),
            ErrorKind::NestingTooDeep { limit } => {
                write!(f, "YAML nests deeper than {limit} levels of indentation")
            }
            ErrorKind::ModifierNeedsAnother { modifier, needs } => {
                write!(f, "modifier `{modifier}` needs {needs}")
            }
            ErrorKind::UnknownCorrelationType { found } => write!(
                f,
                "unknown correlation type `{found}` (expected event_count, value_count, temporal or temporal_ordered)"
            ),
            ErrorKind::InvalidTimespan { value } => {
                write!(
                    f,
                    "invalid time span `{value}` (expected a number and a unit: 30s, 5m, 1h, 7d)"
                )
            }
            ErrorKind::UnknownAction { found } => {
                write!(
                    f,
                    "unknown action `{found}` (expected global, reset or repeat)"
                )
            }
            ErrorKind::InvalidTag { tag } => write!(
                f,
                "tag `{tag}` is not a valid ATT&CK reference (attack.tNNNN[.NNN], attack.<tactic>, attack.gNNNN, attack.sNNNN)"
            ),
            ErrorKind::InvalidLevel { found } => write!(
                f,
                "unknown level `{found}` (expected informational, low, medium, high or critical)"
            ),
            ErrorKind::InvalidStatus { found } => write!(
                f,
                "unknown status `{found}` (expected stable, test, experimental, deprecated or unsupported)"
            ),
            ErrorKind::RegexUnsupportedByEngine { pattern } => write!(
                f,
                "regular expression `{pattern}` uses look-around or back-references: valid for SIEMs, but the local engine cannot evaluate it"
            ),
        }
    }
}

/// A located error or warning in a Sigma file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
    /// Where, as a byte range into the file.
    pub span: Span,
    /// Which YAML document of the file (0 for the first).
    pub document: usize,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, span: Span) -> Error {
        Error {
            kind,
            span,
            document: 0,
        }
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

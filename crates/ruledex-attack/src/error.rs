//! Errors of this crate: [`Error`] for loading ATT&CK data, [`RefError`] for
//! reading one id or vendor reference.
//!
//! The two are apart on purpose: a reference error is an ordinary, expected
//! finding about a rule (a typo in a tag), cheap to clone and compare, while a
//! load error is about the ATT&CK data file itself and wraps I/O and JSON errors.

use std::path::PathBuf;

use crate::id::TechniqueId;

/// An error while loading or validating ATT&CK data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is gzip-compressed (the STIX bundle); this crate reads only
    /// uncompressed compact JSON.
    #[error("{} is gzip-compressed; decompress it or use the compact enterprise-attack.json", path.display())]
    Compressed {
        /// The file.
        path: PathBuf,
    },
    /// The document is not valid JSON, or not of the expected shape.
    #[error("invalid {document} JSON at line {}, column {}: {source}", source.line(), source.column())]
    Json {
        /// Which document failed.
        document: Document,
        /// The underlying error; it carries line and column.
        source: serde_json::Error,
    },
    /// One record of the data is invalid or contradicts another.
    #[error("{section} record `{id}`: {problem}")]
    Record {
        /// The section of the document (`tactics`, `techniques`, `retired`, …).
        section: &'static str,
        /// The record's id as written.
        id: String,
        /// What is wrong with it.
        problem: RecordProblem,
    },
    /// An error while reading the file at `path`.
    #[error("{}: {source}", path.display())]
    WithPath {
        /// The file.
        path: PathBuf,
        /// The error.
        source: Box<Error>,
    },
}

/// The JSON document an [`Error::Json`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Document {
    /// The compact ATT&CK catalog (`enterprise-attack.json` shape).
    CompactAttack,
    /// The built-in ATT&CK v19 → v18.1 remapping table.
    RemapTable,
}

impl std::fmt::Display for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Document::CompactAttack => "compact ATT&CK",
            Document::RemapTable => "remap table",
        })
    }
}

/// What is wrong with one record of the ATT&CK data.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordProblem {
    /// The record's own id, or an id it refers to, is malformed.
    #[error("{0}")]
    BadId(RefError),
    /// Another record of the same section has the same id.
    #[error("duplicate id")]
    Duplicate,
    /// A technique names a tactic shortname that no tactic has.
    #[error("unknown tactic `{0}`")]
    UnknownTactic(String),
    /// A sub-technique's parent is not among the techniques.
    #[error("parent {0} is not a technique of this data")]
    MissingParent(TechniqueId),
    /// The `parent` / `is_subtechnique` fields disagree with the id's form.
    #[error("parent {found:?} does not match the id (expected {expected:?})")]
    ParentMismatch {
        /// The parent the id implies.
        expected: Option<TechniqueId>,
        /// The parent the record gives.
        found: Option<TechniqueId>,
    },
    /// A listed sub-technique is not among the techniques.
    #[error("sub-technique {0} is not a technique of this data")]
    MissingSubtechnique(TechniqueId),
}

/// An error reading one ATT&CK id or vendor reference.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefError {
    /// The text is not an id of the expected kind.
    #[error("`{input}` is not a valid {expected} ({problem})")]
    Malformed {
        /// The text as written.
        input: String,
        /// What was expected there.
        expected: Expected,
        /// Why it was rejected.
        problem: IdProblem,
    },
    /// An Elastic `threat` block of a framework other than MITRE ATT&CK.
    #[error("unsupported threat framework `{framework}`")]
    UnknownFramework {
        /// The framework as written.
        framework: String,
    },
}

/// The kind of reference a parser expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// A technique or sub-technique id (`T1059`, `T1059.001`).
    Technique,
    /// A tactic id (`TA0007`).
    TacticId,
    /// A tactic id or name (`TA0007`, `discovery`, `DefenseEvasion`).
    Tactic,
    /// A software, group, campaign, mitigation or data source id (`S0029`).
    Other,
    /// Any ATT&CK reference.
    Any,
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Expected::Technique => "ATT&CK technique id (TNNNN or TNNNN.NNN)",
            Expected::TacticId => "ATT&CK tactic id (TANNNN)",
            Expected::Tactic => "ATT&CK tactic (TANNNN or a tactic name)",
            Expected::Other => "ATT&CK object id (SNNNN, GNNNN, CNNNN, MNNNN, DSNNNN, DCNNNN)",
            Expected::Any => "ATT&CK reference",
        })
    }
}

/// Why an id was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdProblem {
    /// Nothing but whitespace.
    Empty,
    /// It does not start with the expected letters.
    Prefix,
    /// The number has the wrong count of digits (or non-digits).
    Digits {
        /// The digit count required.
        expected: u8,
    },
    /// A sub-technique number `.000`; ATT&CK numbers them from `.001`.
    ZeroSubtechnique,
    /// Characters after a complete id.
    Trailing,
    /// Characters that no id or tactic name contains.
    Characters,
}

impl std::fmt::Display for IdProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdProblem::Empty => f.write_str("empty"),
            IdProblem::Prefix => f.write_str("wrong prefix"),
            IdProblem::Digits { expected } => write!(f, "expected {expected} digits"),
            IdProblem::ZeroSubtechnique => f.write_str("sub-technique numbers start at .001"),
            IdProblem::Trailing => f.write_str("unexpected characters after the id"),
            IdProblem::Characters => f.write_str("unexpected characters"),
        }
    }
}

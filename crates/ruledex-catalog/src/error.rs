//! The catalog's error type.

use std::path::PathBuf;

/// What can go wrong with a catalog.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SQLite refused an operation.
    #[error("catalog database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The catalog file could not be opened.
    #[error("cannot open catalog `{path}`: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// The file was written by a newer ruledex.
    #[error(
        "catalog schema version {found} is newer than this ruledex knows ({known}); upgrade ruledex"
    )]
    SchemaTooNew {
        /// Version in the file.
        found: i64,
        /// Newest version this build knows.
        known: i64,
    },
    /// A read-only catalog is not of this build's schema version (it cannot
    /// be migrated without writing).
    #[error(
        "catalog schema version {found} differs from this ruledex's ({known}); open it writable once (e.g. `ruledex sync`) to migrate"
    )]
    SchemaMismatch {
        /// Version in the file.
        found: i64,
        /// Version this build writes.
        known: i64,
    },
    /// A stored rule's normalized JSON could not be read back.
    #[error("stored rule `{uid}` has unreadable JSON: {source}")]
    Json {
        /// The rule.
        uid: String,
        /// Why.
        source: serde_json::Error,
    },
    /// A technique id is malformed.
    #[error("`{0}` is not an ATT&CK technique id (expected T1234 or T1234.001)")]
    BadTechnique(String),
    /// No rule with this uid in the catalog.
    #[error("no rule `{0}` in the catalog")]
    UnknownRule(String),
    /// A remote source could not be fetched.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// What was asked for.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// A fetched archive is malformed or hostile.
    #[error("archive from {url} rejected: {reason}")]
    Archive {
        /// Where it came from.
        url: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A file-system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The catalog's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

//! The ruledex catalog: every rule read, normalized, in one SQLite file, and
//! the questions a detection engineer asks of it.
//!
//! # Design
//!
//! One SQLite file per catalog ([`schema`] lists its tables and migrations).
//! A sync ([`Catalog::ingest`]) is **one transaction**: it adds, changes and
//! removes rules per source and writes each of those events to the *feed*; a
//! sync that fails or is killed leaves the previous catalog intact. Each rule
//! is stored three ways: its original text, its normalized model as JSON, and
//! one row per normalized predicate ([`predicates`]) — (canonical field, op,
//! normalized value) with its polarity (looked for, excluded rule-wide,
//! excluded in one branch) and the authoring-guide row it belongs to. The
//! queries read those rows:
//!
//! - [`Catalog::guide`]: the authoring guide of a technique ([`guide`]);
//! - [`Catalog::coverage`]: rules per tactic and technique, and an ATT&CK
//!   Navigator layer ([`coverage`]);
//! - [`Catalog::feed`]: what syncs added, changed and removed ([`feed`]);
//! - [`Catalog::search`]: full text over titles, descriptions, fields and
//!   values (FTS5, bm25);
//! - [`Catalog::rule`], [`Catalog::rules_for_value`], [`Catalog::events`],
//!   [`Catalog::event`], [`Catalog::stats`]: browsing ([`browse`]);
//! - [`Catalog::rule_heads`], [`Catalog::technique_rules`], [`Catalog::reach`],
//!   [`Catalog::rule_reach`],
//!   [`Catalog::technique_exclusions`], [`Catalog::neighbour_exclusions`],
//!   [`Catalog::facets`]: what the web pages list beside those ([`browse`]);
//! - [`Catalog::technique_counts`]: rules per technique, sub-techniques also
//!   counted under their parent, for a matrix ([`coverage`]);
//! - [`Catalog::lint`]: a draft rule checked against the catalog ([`lint`]);
//! - [`Catalog::similar`]: rules of other vendors with overlapping logic ([`similar`]).
//!
//! Every result type is `Serialize`, so the CLI's `--json` and the web API
//! print them as they are.
//!
//! ```
//! use ruledex_catalog::{Catalog, GuideQuery};
//!
//! let catalog = Catalog::from_samples()?;
//! let guide = catalog.guide(&GuideQuery::new("T1046"))?;
//! assert!(guide.rules > 0);
//! assert!(guide.fields.iter().any(|row| row.field == "process.name"));
//! # Ok::<(), ruledex_catalog::Error>(())
//! ```
#![deny(missing_docs)]

pub mod browse;
pub mod coverage;
mod error;
pub mod feed;
pub mod fetch;
pub mod guide;
pub mod lint;
pub mod predicates;
pub mod schema;
pub mod search;
pub mod similar;
pub mod store;
pub mod util;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use browse::{
    EventDetail, EventSummary, Facets, RuleHead, RuleSummary, SourceInfo, Stats, StoredRule,
    SyncInfo,
};
pub use coverage::{Coverage, CoverageQuery, TacticCoverage, TechniqueCounts, TechniqueCoverage};
pub use error::{Error, Result};
pub use feed::{ChangeKind, FeedItem, FeedQuery, Page};
pub use guide::{Guide, GuideQuery};
pub use lint::{Finding, Level, LintOptions, LintRule};
pub use predicates::{Polarity, PredicateRow};
pub use search::SearchHit;
pub use similar::{Indicator, Similar, SimilarTo};
pub use store::{SourceBatch, SourceMeta, SourceSummary, SyncReport};

/// A catalog: one SQLite database.
pub struct Catalog {
    conn: Connection,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("path", &self.conn.path())
            .finish()
    }
}

impl Catalog {
    /// Open (or create) the catalog file at `path`, migrating it to the
    /// current schema. A catalog left by a killed sync is rolled back to its
    /// last committed state here, by SQLite.
    pub fn open(path: impl AsRef<Path>) -> Result<Catalog> {
        let path = path.as_ref();
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                path: dir.to_owned(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| Error::Open {
            path: path.to_owned(),
            source,
        })?;
        Catalog::setup(conn)
    }

    /// Open an existing catalog file read-only (for servers): nothing can be
    /// written through it, and a file of another schema version is refused.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Catalog> {
        use rusqlite::OpenFlags;
        let path = path.as_ref();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| Error::Open {
            path: path.to_owned(),
            source,
        })?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch("PRAGMA mmap_size = 268435456;")?;
        let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let known = schema::current_version();
        if found != known {
            return Err(Error::SchemaMismatch { found, known });
        }
        Ok(Catalog { conn })
    }

    /// An empty catalog in memory.
    pub fn open_in_memory() -> Result<Catalog> {
        Catalog::setup(Connection::open_in_memory()?)
    }

    /// A catalog in memory holding the embedded sample corpus, with the
    /// ATT&CK fixture of `ruledex_attack`.
    pub fn from_samples() -> Result<Catalog> {
        let mut c = Catalog::open_in_memory()?;
        let report = ruledex_ingest::ingest_samples();
        let mut batch = SourceBatch::local(report);
        batch.meta.location = "sample:sigma".into();
        batch.meta.name = "ruledex samples".into();
        c.ingest(&[batch], &ruledex_attack::Attack::fixture())?;
        Ok(c)
    }

    fn setup(mut conn: Connection) -> Result<Catalog> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(
            "PRAGMA journal_mode = DELETE;
             PRAGMA synchronous = FULL;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -65536;
             PRAGMA mmap_size = 268435456;",
        )?;
        schema::migrate(&mut conn)?;
        Ok(Catalog { conn })
    }

    /// The schema version of the file.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// SQLite's own check of the file: `["ok"]` when sound.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let mut st = self.conn.prepare("PRAGMA integrity_check")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
    }

    /// The underlying connection, for read-only queries this API lacks.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Where the catalog lives when no path is given: `$RULEDEX_CATALOG`, else
/// `ruledex/catalog.db` under the user's data directory (`$XDG_DATA_HOME`, else
/// `~/.local/share` on Linux; `~/Library/Application Support` on macOS;
/// `%APPDATA%` on Windows), else `./ruledex-catalog.db`.
pub fn default_catalog_path() -> PathBuf {
    if let Some(p) = std::env::var_os("RULEDEX_CATALOG").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let data_dir = if cfg!(windows) {
        std::env::var_os("APPDATA").map(PathBuf::from)
    } else if cfg!(target_os = "macos") {
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join("Library/Application Support"))
    } else {
        std::env::var_os("XDG_DATA_HOME")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
    };
    match data_dir {
        Some(d) => d.join("ruledex").join("catalog.db"),
        None => PathBuf::from("ruledex-catalog.db"),
    }
}

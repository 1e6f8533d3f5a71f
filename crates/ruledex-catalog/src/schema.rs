//! The SQLite schema and its migrations.
//!
//! The file's `PRAGMA user_version` is the number of migrations applied;
//! [`MIGRATIONS`] is the ordered list, each applied in its own transaction.
//! A file written by a newer ruledex (a higher version) is refused rather than
//! guessed at.

use rusqlite::Connection;

use crate::error::{Error, Result};

/// Every migration, in order. Never edit one that has shipped: append.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE sources (
    id           INTEGER PRIMARY KEY,
    location     TEXT NOT NULL UNIQUE,   -- directory path or URL
    name         TEXT NOT NULL,          -- e.g. SigmaHQ/sigma, or the directory name
    vendor       TEXT NOT NULL,
    commit_id    TEXT,
    etag         TEXT,
    retrieved_at TEXT NOT NULL
);

CREATE TABLE syncs (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    added       INTEGER NOT NULL,
    changed     INTEGER NOT NULL,
    removed     INTEGER NOT NULL
);

CREATE TABLE sync_sources (
    sync_id     INTEGER NOT NULL REFERENCES syncs(id),
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    files       INTEGER NOT NULL,
    rules       INTEGER NOT NULL,
    added       INTEGER NOT NULL,
    changed     INTEGER NOT NULL,
    removed     INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    failures    INTEGER NOT NULL,
    unsupported INTEGER NOT NULL,        -- 1: no front-end for the vendor yet
    PRIMARY KEY (sync_id, source_id)
);

CREATE TABLE rules (
    id           INTEGER PRIMARY KEY,
    uid          TEXT NOT NULL UNIQUE,
    source_id    INTEGER NOT NULL REFERENCES sources(id),
    vendor       TEXT NOT NULL,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL,
    severity     TEXT,
    severity_rank INTEGER,               -- 0 informational .. 4 critical
    status       TEXT,
    deprecated   INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    language     TEXT NOT NULL,
    techniques   TEXT NOT NULL,          -- JSON array, as resolved
    platforms    TEXT NOT NULL,          -- JSON array
    domains      TEXT NOT NULL,          -- JSON array
    events       TEXT NOT NULL,          -- JSON array
    path         TEXT NOT NULL,
    repo         TEXT,
    commit_id    TEXT,
    url          TEXT,
    retrieved_at TEXT NOT NULL,
    created      TEXT,                   -- YYYY-MM-DD when the rule gives it
    modified     TEXT,
    rule_date    TEXT,                   -- modified, else created
    text         TEXT NOT NULL,          -- the original document
    normalized   TEXT NOT NULL,          -- the normalized Rule as JSON
    content_hash TEXT NOT NULL,          -- of the original text
    model_hash   TEXT NOT NULL,          -- of the normalized JSON
    fully_parsed INTEGER NOT NULL
);
CREATE INDEX rules_source ON rules(source_id);
CREATE INDEX rules_vendor ON rules(vendor);

CREATE TABLE rule_techniques (
    rule_id   INTEGER NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
    technique TEXT NOT NULL,             -- resolved id (T1059.001)
    parent    TEXT NOT NULL,             -- its top-level technique (T1059)
    cited     TEXT NOT NULL,             -- as the rule wrote it
    PRIMARY KEY (rule_id, technique)
) WITHOUT ROWID;
CREATE INDEX rule_techniques_parent ON rule_techniques(parent, rule_id);
CREATE INDEX rule_techniques_technique ON rule_techniques(technique, rule_id);

CREATE TABLE rule_platforms (
    rule_id  INTEGER NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    PRIMARY KEY (rule_id, platform)
) WITHOUT ROWID;
CREATE INDEX rule_platforms_platform ON rule_platforms(platform);

CREATE TABLE rule_domains (
    rule_id INTEGER NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
    domain  TEXT NOT NULL,
    PRIMARY KEY (rule_id, domain)
) WITHOUT ROWID;

CREATE TABLE rule_events (
    rule_id INTEGER NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
    event   TEXT NOT NULL,
    PRIMARY KEY (rule_id, event)
) WITHOUT ROWID;
CREATE INDEX rule_events_event ON rule_events(event);

-- One row per (rule, canonical field, op, normalized value, polarity).
-- polarity: pos (a condition the rule looks for), excl (a rule-level
-- exclusion), excl_branch (an exclusion scoped to one branch of an `or`),
-- neg (negated but not an exclusion, e.g. `a or not b`).
-- row_key: the authoring guide's row; a path field and its basename field
-- (process.executable, process.name) share one.
-- derived: 1 for the basename indicator a path match also yields.
CREATE TABLE predicates (
    rule_id   INTEGER NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
    field     TEXT NOT NULL,
    row_key   TEXT NOT NULL,
    raw_field TEXT NOT NULL,
    op        TEXT NOT NULL,
    value     TEXT NOT NULL,
    polarity  TEXT NOT NULL,
    derived   INTEGER NOT NULL
);
CREATE INDEX predicates_rule ON predicates(rule_id);
CREATE INDEX predicates_indicator ON predicates(field, op, value);

-- Corpus reach of each positive indicator, recomputed by every sync.
CREATE TABLE reach (
    field TEXT NOT NULL,
    op    TEXT NOT NULL,
    value TEXT NOT NULL,
    rules INTEGER NOT NULL,
    PRIMARY KEY (field, op, value)
) WITHOUT ROWID;

CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    platform    TEXT NOT NULL,
    parent      TEXT
);

CREATE TABLE tactics (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    shortname TEXT NOT NULL,
    ord       INTEGER NOT NULL
);

CREATE TABLE techniques (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    tactics     TEXT NOT NULL,           -- JSON array of tactic shortnames
    platforms   TEXT NOT NULL,           -- JSON array
    description TEXT NOT NULL,
    url         TEXT NOT NULL,
    parent      TEXT
);

-- The feed: what each sync added, changed or removed.
CREATE TABLE changes (
    id         INTEGER PRIMARY KEY,
    sync_id    INTEGER NOT NULL REFERENCES syncs(id),
    uid        TEXT NOT NULL,
    kind       TEXT NOT NULL,            -- added | changed | removed
    at         TEXT NOT NULL,            -- retrieved_at of the source
    rule_date  TEXT,
    vendor     TEXT NOT NULL,
    title      TEXT NOT NULL,
    severity   TEXT,
    techniques TEXT NOT NULL,            -- ' T1046 T1059.001 ' for filtering
    platforms  TEXT NOT NULL,            -- ' windows linux '
    source     TEXT NOT NULL
);
CREATE INDEX changes_order ON changes(sync_id DESC, rule_date DESC);
CREATE INDEX changes_uid ON changes(uid);

CREATE VIRTUAL TABLE rules_fts USING fts5(
    title, description, fields, vals, tokenize = 'unicode61'
);
",
];

/// The schema version this build writes.
pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Bring `conn` up to the current schema.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = current_version();
    if found > known {
        return Err(Error::SchemaTooNew { found, known });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

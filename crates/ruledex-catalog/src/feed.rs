//! The feed: what each sync added, changed and removed, newest first.
//!
//! Entries are ordered by sync (newest first) and, within a sync, by the
//! rule's own date (Sigma `modified`/`date`, Elastic `updated_date`, …),
//! newest first, so even the first sync of a corpus reads as a feed.

use ruledex_model::{Severity, Vendor};
use std::fmt::Write as _;

use rusqlite::ToSql;
use serde::Serialize;

use crate::Catalog;
use crate::error::Result;

/// What happened to a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// New in the catalog.
    Added,
    /// Its original text changed.
    Changed,
    /// No longer in its source.
    Removed,
}

impl ChangeKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Changed => "changed",
            ChangeKind::Removed => "removed",
        }
    }

    fn parse(s: &str) -> ChangeKind {
        match s {
            "changed" => ChangeKind::Changed,
            "removed" => ChangeKind::Removed,
            _ => ChangeKind::Added,
        }
    }
}

/// Which feed entries to list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedQuery {
    /// Only this vendor.
    pub vendor: Option<Vendor>,
    /// Only rules of at least this severity.
    pub min_severity: Option<Severity>,
    /// Only rules tagged with this technique (a parent matches its sub-techniques).
    pub technique: Option<String>,
    /// Only rules for this platform.
    pub platform: Option<String>,
    /// Only this kind of change.
    pub kind: Option<ChangeKind>,
    /// Only this sync.
    pub sync: Option<i64>,
    /// Entries to skip.
    pub offset: usize,
    /// Entries per page (at most 500).
    pub limit: usize,
}

impl Default for FeedQuery {
    fn default() -> FeedQuery {
        FeedQuery {
            vendor: None,
            min_severity: None,
            technique: None,
            platform: None,
            kind: None,
            sync: None,
            offset: 0,
            limit: 50,
        }
    }
}

/// One page of results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    /// The entries.
    pub items: Vec<T>,
    /// Entries matching, over all pages.
    pub total: usize,
    /// Entries skipped.
    pub offset: usize,
    /// Page size.
    pub limit: usize,
}

/// One feed entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FeedItem {
    /// Entry id.
    pub id: i64,
    /// The sync that made it.
    pub sync_id: i64,
    /// What happened.
    pub kind: ChangeKind,
    /// Rule uid.
    pub uid: String,
    /// Vendor.
    pub vendor: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: Option<String>,
    /// Techniques.
    pub techniques: Vec<String>,
    /// Platforms.
    pub platforms: Vec<String>,
    /// When the source was retrieved (RFC 3339).
    pub retrieved_at: String,
    /// The rule's own date (`YYYY-MM-DD`), when it has one.
    pub rule_date: Option<String>,
    /// Source name.
    pub source: String,
    /// The rule is in the catalog now (false once removed).
    pub present: bool,
}

impl Catalog {
    /// A page of the feed, newest first.
    pub fn feed(&self, q: &FeedQuery) -> Result<Page<FeedItem>> {
        let mut filter = String::from(" WHERE 1 = 1");
        let mut args: Vec<Box<dyn ToSql>> = Vec::new();
        if let Some(v) = q.vendor {
            filter.push_str(" AND c.vendor = ?");
            args.push(Box::new(v.as_str().to_owned()));
        }
        if let Some(s) = q.min_severity {
            let names: Vec<String> = [
                Severity::Informational,
                Severity::Low,
                Severity::Medium,
                Severity::High,
                Severity::Critical,
            ]
            .into_iter()
            .filter(|x| *x >= s)
            .map(|x| format!("'{}'", x.as_str()))
            .collect();
            let _ = write!(filter, " AND c.severity IN ({})", names.join(", "));
        }
        if let Some(t) = &q.technique {
            let t = t.trim().to_uppercase();
            // ' T1059 ' and ' T1059.' both match a parent's page.
            filter.push_str(" AND (instr(c.techniques, ?) > 0 OR instr(c.techniques, ?) > 0)");
            args.push(Box::new(format!(" {t} ")));
            args.push(Box::new(format!(" {t}.")));
        }
        if let Some(p) = &q.platform {
            filter.push_str(" AND instr(c.platforms, ?) > 0");
            args.push(Box::new(format!(" {} ", p.to_lowercase())));
        }
        if let Some(k) = q.kind {
            filter.push_str(" AND c.kind = ?");
            args.push(Box::new(k.as_str().to_owned()));
        }
        if let Some(s) = q.sync {
            filter.push_str(" AND c.sync_id = ?");
            args.push(Box::new(s));
        }
        let params: Vec<&dyn ToSql> = args.iter().map(AsRef::as_ref).collect();
        let total: i64 = self.conn.query_row(
            &format!("SELECT COUNT(*) FROM changes c{filter}"),
            params.as_slice(),
            |r| r.get(0),
        )?;
        let limit = q.limit.clamp(1, 500);
        let sql = format!(
            "SELECT c.id, c.sync_id, c.kind, c.uid, c.vendor, c.title, c.severity, c.techniques, c.platforms,
                    c.at, c.rule_date, c.source, EXISTS (SELECT 1 FROM rules r WHERE r.uid = c.uid)
             FROM changes c{filter}
             ORDER BY c.sync_id DESC, c.rule_date IS NULL, c.rule_date DESC, c.id DESC
             LIMIT {limit} OFFSET {}",
            q.offset
        );
        let mut st = self.conn.prepare(&sql)?;
        let words =
            |s: String| -> Vec<String> { s.split_whitespace().map(str::to_owned).collect() };
        let items = st
            .query_map(params.as_slice(), |r| {
                Ok(FeedItem {
                    id: r.get(0)?,
                    sync_id: r.get(1)?,
                    kind: ChangeKind::parse(&r.get::<_, String>(2)?),
                    uid: r.get(3)?,
                    vendor: r.get(4)?,
                    title: r.get(5)?,
                    severity: r.get(6)?,
                    techniques: words(r.get(7)?),
                    platforms: words(r.get(8)?),
                    retrieved_at: r.get(9)?,
                    rule_date: r.get(10)?,
                    source: r.get(11)?,
                    present: r.get(12)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Page {
            items,
            total: total as usize,
            offset: q.offset,
            limit,
        })
    }
}

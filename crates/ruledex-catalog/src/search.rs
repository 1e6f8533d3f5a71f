//! Full-text search over titles, descriptions, fields and values (SQLite
//! FTS5, ranked by bm25 with the title weighted most).
//!
//! User input never reaches FTS5's query syntax: it is split into words, each
//! quoted as a string, so `"`, `*`, `:`, `-`, `AND` and parentheses cannot
//! make a syntax error. All words must match; the last one also matches as a
//! prefix (`mimik` finds `mimikatz`).

use rusqlite::params;
use serde::Serialize;

use crate::Catalog;
use crate::error::Result;

/// One search result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchHit {
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
    /// bm25 score (lower is better, as SQLite reports it).
    pub score: f64,
    /// Where the words were found, with matches in `[` `]`.
    pub snippet: String,
}

/// The FTS5 query for free text: each word quoted, the last also as a prefix.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '"')
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    let (last, rest) = words.split_last()?;
    let mut q = rest.join(" ");
    if !q.is_empty() {
        q.push(' ');
    }
    q.push_str(last);
    q.push('*');
    Some(q)
}

impl Catalog {
    /// Rules matching `text`, best first, at most `limit`.
    pub fn search(&self, text: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let Some(q) = fts_query(text) else {
            return Ok(Vec::new());
        };
        let mut st = self.conn.prepare_cached(
            "SELECT r.uid, r.vendor, r.title, r.severity, r.techniques,
                    bm25(rules_fts, 10.0, 3.0, 2.0, 1.0) AS score,
                    snippet(rules_fts, -1, '[', ']', '…', 12)
             FROM rules_fts JOIN rules r ON r.id = rules_fts.rowid
             WHERE rules_fts MATCH ?1
             ORDER BY score, r.uid LIMIT ?2",
        )?;
        let hits = st
            .query_map(params![q, limit.max(1) as i64], |r| {
                let techniques: String = r.get(4)?;
                Ok(SearchHit {
                    uid: r.get(0)?,
                    vendor: r.get(1)?,
                    title: r.get(2)?,
                    severity: r.get(3)?,
                    techniques: serde_json::from_str(&techniques).unwrap_or_default(),
                    score: r.get(5)?,
                    snippet: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn user_syntax_is_quoted() {
        assert_eq!(fts_query("nmap").as_deref(), Some("\"nmap\"*"));
        assert_eq!(
            fts_query("a\"b OR (c) -d").as_deref(),
            Some("\"a\" \"b\" \"OR\" \"(c)\" \"-d\"*")
        );
        assert_eq!(fts_query("  * : ").as_deref(), None);
    }
}

//! Reading every rule back out of a catalog file.
//!
//! `ruledex serve --catalog FILE` alone serves the file itself and reads no
//! rule at start. Only when rule directories are served beside it does the
//! server need the catalog's rules: it reads them here (each stored rule's
//! normalized model and original text, with the source facts the catalog
//! recorded) and builds one in-memory catalog of both.

use std::path::Path;

use anyhow::{Context, Result};
use ruledex_catalog::Catalog;
use ruledex_model::Rule;

/// Rules read from a catalog, and the stored rules that could not be decoded
/// (uid and reason: counted and reported, never dropped silently).
#[derive(Debug)]
pub struct Loaded {
    /// The rules.
    pub rules: Vec<Rule>,
    /// `(uid, reason)` of each stored rule that could not be read back.
    pub failures: Vec<(String, String)>,
}

/// Reads every rule of a catalog file.
pub fn from_catalog(path: &Path) -> Result<Loaded> {
    if !path.is_file() {
        anyhow::bail!("no catalog file at {}", path.display());
    }
    let catalog =
        Catalog::open(path).with_context(|| format!("opening catalog {}", path.display()))?;
    from_open_catalog(&catalog)
}

/// Reads every rule of an open catalog.
pub fn from_open_catalog(catalog: &Catalog) -> Result<Loaded> {
    let conn = catalog.connection();
    let mut stmt = conn
        .prepare(
            "SELECT r.uid, r.normalized, r.repo, r.commit_id, r.url, r.retrieved_at, s.name, r.text
             FROM rules r JOIN sources s ON s.id = r.source_id ORDER BY r.id",
        )
        .context("reading the catalog's rules")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ))
        })
        .context("reading the catalog's rules")?;
    let mut rules = Vec::new();
    let mut failures = Vec::new();
    for row in rows {
        let (uid, json, repo, commit, url, retrieved_at, source_name, text) =
            row.context("reading a catalog row")?;
        match serde_json::from_str::<Rule>(&json) {
            Ok(mut rule) => {
                // The catalog keeps the original text in its own column, not
                // in the normalized JSON: put it back for the rule page.
                rule.text = text;
                rule.source.repo = repo.or(rule.source.repo).or(Some(source_name));
                rule.source.commit = commit.or(rule.source.commit);
                rule.source.url = url.or(rule.source.url);
                rule.source.retrieved_at = Some(retrieved_at);
                rules.push(rule);
            }
            Err(e) => failures.push((uid, e.to_string())),
        }
    }
    Ok(Loaded { rules, failures })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_catalog_reads_back_every_rule() {
        let catalog = Catalog::from_samples().expect("sample catalog");
        let loaded = from_open_catalog(&catalog).expect("rules");
        let ingested = ruledex_ingest::ingest_samples().rules.len();
        assert_eq!(loaded.rules.len(), ingested);
        assert!(loaded.failures.is_empty(), "{:?}", loaded.failures);
        assert!(loaded.rules.iter().all(|r| r.source.retrieved_at.is_some()));
        // The original text comes back too (the rule page shows it).
        let samples = ruledex_ingest::ingest_samples();
        for rule in &loaded.rules {
            let original = samples
                .rules
                .iter()
                .find(|r| r.uid == rule.uid)
                .expect("every catalog rule is a sample");
            assert!(!rule.text.is_empty(), "{} lost its text", rule.uid);
            assert_eq!(rule.text, original.text, "{}", rule.uid);
        }
    }

    #[test]
    fn a_missing_file_is_an_error_not_an_empty_catalog() {
        let err = from_catalog(Path::new("/nonexistent/ruledex.db")).unwrap_err();
        assert!(err.to_string().contains("no catalog file"), "{err}");
    }
}

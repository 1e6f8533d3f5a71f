//! Writing to the catalog: one sync, one transaction.
//!
//! [`Catalog::ingest`] takes the reports of one or more sources (as read by
//! `ruledex_ingest`) and brings the catalog in line with them inside a single
//! SQLite transaction: a sync that fails or is killed leaves the previous
//! catalog as it was (SQLite rolls the journal back on the next open).
//!
//! Per source, each rule read is *added* (new uid), *changed* (its original
//! text's hash differs), or unchanged; rules the catalog holds for the source
//! that were not read again are *removed*. Every addition, change and removal
//! is a row of the feed (`changes`), written in the order of the rules' own
//! dates, so the first sync of a corpus already reads as a feed. A source
//! whose vendor has no front-end yet is recorded, and its rules (none) left
//! alone; once a front-end lands, the next sync adds them.

use std::collections::{HashMap, HashSet};

use ruledex_attack::{Attack, TechniqueId};
use ruledex_ingest::Report;
use ruledex_model::{Rule, Severity, Vendor};
use ruledex_taxonomy::events::CatalogEvents;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::Catalog;
use crate::error::Result;
use crate::predicates::{PredicateRow, rule_predicates};
use crate::util::{content_hash, normalize_date, now_rfc3339};

/// Where a batch of rules came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceMeta {
    /// Directory path or URL: the source's identity in the catalog.
    pub location: String,
    /// Display name (`SigmaHQ/sigma`, or the directory's name).
    pub name: String,
    /// The vendor.
    pub vendor: Vendor,
    /// Repository (`SigmaHQ/sigma`), when known.
    pub repo: Option<String>,
    /// Commit of the content, when known.
    pub commit: Option<String>,
    /// HTTP etag of a fetched archive.
    pub etag: Option<String>,
    /// Prefix that a rule's relative path completes into a link to the original.
    pub link_base: Option<String>,
    /// When it was retrieved (RFC 3339).
    pub retrieved_at: String,
}

impl SourceMeta {
    /// Metadata for a local directory read now.
    pub fn local(report: &Report) -> SourceMeta {
        let location = std::path::Path::new(&report.root)
            .canonicalize()
            .map_or_else(|_| report.root.clone(), |p| p.display().to_string());
        let name = std::path::Path::new(&location)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(&report.root)
            .to_owned();
        SourceMeta {
            location,
            name,
            vendor: report.vendor,
            repo: None,
            commit: None,
            etag: None,
            link_base: None,
            retrieved_at: now_rfc3339(),
        }
    }
}

/// One source's rules, ready to write.
#[derive(Debug)]
pub struct SourceBatch {
    /// Where they came from.
    pub meta: SourceMeta,
    /// What reading them gave.
    pub report: Report,
}

impl SourceBatch {
    /// A batch from a report of a local directory (or the embedded samples).
    pub fn local(report: Report) -> SourceBatch {
        SourceBatch {
            meta: SourceMeta::local(&report),
            report,
        }
    }
}

/// What a sync did to one source.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SourceSummary {
    /// Directory or URL.
    pub location: String,
    /// Display name.
    pub name: String,
    /// Vendor (snake_case).
    pub vendor: String,
    /// Rule files found.
    pub files: usize,
    /// Rules read.
    pub rules: usize,
    /// New rules.
    pub added: usize,
    /// Rules whose original text changed.
    pub changed: usize,
    /// Rules no longer in the source.
    pub removed: usize,
    /// Rules as they were.
    pub unchanged: usize,
    /// Documents that could not be read (listed by `ruledex ingest`).
    pub failures: usize,
    /// Rules that share a uid with an earlier rule of the same sync; stored
    /// under `uid@path` so that nothing is lost.
    pub duplicates: usize,
    /// The vendor has no front-end yet: files were found but not read.
    pub unsupported: bool,
}

/// What a sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// The sync's id (its feed entries carry it).
    pub sync_id: i64,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// When it committed.
    pub finished_at: String,
    /// Rules added, over all sources.
    pub added: usize,
    /// Rules changed.
    pub changed: usize,
    /// Rules removed.
    pub removed: usize,
    /// Per source.
    pub sources: Vec<SourceSummary>,
}

/// A rule ready to insert: the model plus everything derived from it.
struct Prepared<'r> {
    rule: &'r Rule,
    uid: String,
    json: String,
    content_hash: String,
    model_hash: String,
    techniques: Vec<(String, String, String)>,
    predicates: Vec<PredicateRow>,
    date: Option<String>,
}

impl Catalog {
    /// Bring the catalog in line with `batches` in one transaction, resolving
    /// technique ids against `attack` (whose tactics and techniques replace
    /// the catalog's). See the [module docs](self).
    pub fn ingest(&mut self, batches: &[SourceBatch], attack: &Attack) -> Result<SyncReport> {
        let started_at = now_rfc3339();
        // Work that needs no database is done before the transaction opens.
        let prepared: Vec<Vec<Prepared<'_>>> = batches
            .iter()
            .map(|b| prepare(&b.report.rules, attack))
            .collect();
        let tx = self.conn.transaction()?;
        write_reference_data(&tx, attack)?;
        tx.execute(
            "INSERT INTO syncs (started_at, finished_at, added, changed, removed) VALUES (?1, ?1, 0, 0, 0)",
            params![started_at],
        )?;
        let sync_id = tx.last_insert_rowid();
        let mut report = SyncReport {
            sync_id,
            started_at,
            ..SyncReport::default()
        };
        let mut seen_uids: HashSet<String> = HashSet::new();
        for (batch, rules) in batches.iter().zip(prepared) {
            let summary = sync_source(&tx, sync_id, batch, rules, &mut seen_uids)?;
            report.added += summary.added;
            report.changed += summary.changed;
            report.removed += summary.removed;
            report.sources.push(summary);
        }
        tx.execute_batch(
            "DELETE FROM reach;
             INSERT INTO reach (field, op, value, rules)
               SELECT field, op, value, COUNT(DISTINCT rule_id) FROM predicates
               WHERE polarity = 'pos' GROUP BY field, op, value;",
        )?;
        report.finished_at = now_rfc3339();
        tx.execute(
            "UPDATE syncs SET finished_at = ?2, added = ?3, changed = ?4, removed = ?5 WHERE id = ?1",
            params![
                sync_id,
                report.finished_at,
                report.added as i64,
                report.changed as i64,
                report.removed as i64
            ],
        )?;
        tx.commit()?;
        Ok(report)
    }
}

/// Serialize, hash and derive the rows of each rule, in parallel-friendly
/// isolation from the database.
fn prepare<'r>(rules: &'r [Rule], attack: &Attack) -> Vec<Prepared<'r>> {
    let mut out: Vec<Prepared<'r>> = rules
        .iter()
        .map(|rule| {
            let json = serde_json::to_string(rule).unwrap_or_else(|e| {
                // Serializing the model cannot fail for well-formed data; keep
                // the rule with its error rather than drop it.
                format!("{{\"error\":{:?}}}", e.to_string())
            });
            let date = rule
                .modified
                .as_deref()
                .or(rule.created.as_deref())
                .map(normalize_date);
            Prepared {
                rule,
                uid: rule.uid.clone(),
                content_hash: content_hash(&[rule.text.as_bytes(), rule.source.path.as_bytes()]),
                model_hash: content_hash(&[json.as_bytes()]),
                json,
                techniques: techniques(rule, attack),
                predicates: rule_predicates(rule),
                date,
            }
        })
        .collect();
    // Oldest first, so that feed ids grow with the rules' own dates.
    out.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.uid.cmp(&b.uid)));
    out
}

/// (resolved id, parent id, as cited) for each technique the rule cites.
fn techniques(rule: &Rule, attack: &Attack) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = Vec::new();
    for cited in &rule.techniques {
        let (id, parent) = match cited.parse::<TechniqueId>() {
            Ok(tid) => {
                let resolved = attack.resolve(tid).technique().map_or(tid, |t| t.id);
                (resolved.to_string(), resolved.technique().to_string())
            }
            Err(_) => (cited.to_uppercase(), cited.to_uppercase()),
        };
        if !out.iter().any(|(x, _, _)| *x == id) {
            out.push((id, parent, cited.clone()));
        }
    }
    out
}

/// Replace tactics, techniques and catalog events with the current data.
fn write_reference_data(tx: &Transaction<'_>, attack: &Attack) -> Result<()> {
    tx.execute_batch("DELETE FROM tactics; DELETE FROM techniques; DELETE FROM events;")?;
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('attack_version', ?1)",
        params![attack.version()],
    )?;
    {
        let mut st =
            tx.prepare("INSERT INTO tactics (id, name, shortname, ord) VALUES (?1, ?2, ?3, ?4)")?;
        for (i, t) in attack.tactics().iter().enumerate() {
            st.execute(params![t.id.to_string(), t.name, t.shortname, i as i64])?;
        }
        let mut st = tx.prepare(
            "INSERT OR REPLACE INTO techniques (id, name, tactics, platforms, description, url, parent)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for t in attack.techniques() {
            st.execute(params![
                t.id.to_string(),
                t.name,
                serde_json::to_string(&t.tactics).unwrap_or_default(),
                serde_json::to_string(&t.platforms).unwrap_or_default(),
                t.description,
                t.url,
                t.parent.map(|p| p.to_string()),
            ])?;
        }
        let mut st = tx.prepare(
            "INSERT OR REPLACE INTO events (id, title, description, platform, parent) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for e in CatalogEvents::global().all() {
            st.execute(params![e.id, e.title, e.description, e.platform, e.parent])?;
        }
    }
    Ok(())
}

/// The catalog's view of one stored rule, for comparison.
#[derive(Clone)]
struct Existing {
    id: i64,
    content_hash: String,
    model_hash: String,
    source_id: i64,
}

fn sync_source(
    tx: &Transaction<'_>,
    sync_id: i64,
    batch: &SourceBatch,
    rules: Vec<Prepared<'_>>,
    seen_uids: &mut HashSet<String>,
) -> Result<SourceSummary> {
    let meta = &batch.meta;
    let report = &batch.report;
    let mut summary = SourceSummary {
        location: meta.location.clone(),
        name: meta.name.clone(),
        vendor: meta.vendor.as_str().to_owned(),
        files: report.files,
        rules: report.rules.len(),
        failures: report.failures.len(),
        unsupported: report.unsupported,
        ..SourceSummary::default()
    };
    tx.execute(
        "INSERT INTO sources (location, name, vendor, commit_id, etag, retrieved_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(location) DO UPDATE SET name = ?2, vendor = ?3, commit_id = ?4, etag = ?5, retrieved_at = ?6",
        params![meta.location, meta.name, meta.vendor.as_str(), meta.commit, meta.etag, meta.retrieved_at],
    )?;
    let source_id: i64 = tx.query_row(
        "SELECT id FROM sources WHERE location = ?1",
        params![meta.location],
        |r| r.get(0),
    )?;
    let mut existing: HashMap<String, Existing> = HashMap::new();
    {
        let mut st = tx.prepare(
            "SELECT uid, id, content_hash, model_hash, source_id FROM rules WHERE source_id = ?1",
        )?;
        let rows = st.query_map(params![source_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Existing {
                    id: r.get(1)?,
                    content_hash: r.get(2)?,
                    model_hash: r.get(3)?,
                    source_id: r.get(4)?,
                },
            ))
        })?;
        for row in rows {
            let (uid, e) = row?;
            existing.insert(uid, e);
        }
    }
    let writer = Writer::new(tx, sync_id, source_id, meta);
    let mut kept: HashSet<String> = HashSet::new();
    for mut p in rules {
        if !seen_uids.insert(p.uid.clone()) {
            summary.duplicates += 1;
            p.uid = format!("{}@{}", p.uid, p.rule.source.path);
            seen_uids.insert(p.uid.clone());
        }
        let old = match existing.get(&p.uid) {
            Some(e) => Some(e.clone()),
            None => writer.find(&p.uid)?,
        };
        kept.insert(p.uid.clone());
        match old {
            None => {
                writer.insert(&p)?;
                writer.change(&p, "added")?;
                summary.added += 1;
            }
            Some(old) if old.content_hash != p.content_hash => {
                writer.delete(old.id)?;
                writer.insert(&p)?;
                writer.change(&p, "changed")?;
                summary.changed += 1;
            }
            Some(old) if old.model_hash != p.model_hash || old.source_id != source_id => {
                // Same text, read differently (a newer ruledex) or moved
                // between sources: refresh quietly, it is not news.
                writer.delete(old.id)?;
                writer.insert(&p)?;
                summary.unchanged += 1;
            }
            Some(_) => summary.unchanged += 1,
        }
    }
    if !report.unsupported {
        let mut gone: Vec<(&String, &Existing)> = existing
            .iter()
            .filter(|(uid, _)| !kept.contains(*uid))
            .collect();
        gone.sort_by(|a, b| a.0.cmp(b.0));
        for (_, e) in gone {
            writer.remove(e.id)?;
            summary.removed += 1;
        }
    }
    tx.execute(
        "INSERT INTO sync_sources (sync_id, source_id, files, rules, added, changed, removed, unchanged, failures, unsupported)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            sync_id,
            source_id,
            summary.files as i64,
            summary.rules as i64,
            summary.added as i64,
            summary.changed as i64,
            summary.removed as i64,
            summary.unchanged as i64,
            summary.failures as i64,
            summary.unsupported
        ],
    )?;
    Ok(summary)
}

/// Prepared statements for one source's writes.
struct Writer<'t> {
    tx: &'t Transaction<'t>,
    sync_id: i64,
    source_id: i64,
    meta: &'t SourceMeta,
}

impl<'t> Writer<'t> {
    fn new(
        tx: &'t Transaction<'t>,
        sync_id: i64,
        source_id: i64,
        meta: &'t SourceMeta,
    ) -> Writer<'t> {
        Writer {
            tx,
            sync_id,
            source_id,
            meta,
        }
    }

    fn find(&self, uid: &str) -> Result<Option<Existing>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT id, content_hash, model_hash, source_id FROM rules WHERE uid = ?1",
            )?
            .query_row(params![uid], |r| {
                Ok(Existing {
                    id: r.get(0)?,
                    content_hash: r.get(1)?,
                    model_hash: r.get(2)?,
                    source_id: r.get(3)?,
                })
            })
            .optional()?)
    }

    fn insert(&self, p: &Prepared<'_>) -> Result<()> {
        let r = p.rule;
        let tx = self.tx;
        let json = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        let resolved: Vec<String> = p.techniques.iter().map(|t| t.0.clone()).collect();
        let url = r.source.url.clone().or_else(|| {
            self.meta
                .link_base
                .as_ref()
                .map(|b| format!("{b}{}", r.source.path))
        });
        tx.prepare_cached(
            "INSERT INTO rules (uid, source_id, vendor, title, description, severity, severity_rank, status,
                deprecated, kind, language, techniques, platforms, domains, events, path, repo, commit_id, url,
                retrieved_at, created, modified, rule_date, text, normalized, content_hash, model_hash, fully_parsed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
                ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)",
        )?
        .execute(params![
            p.uid,
            self.source_id,
            r.vendor.as_str(),
            r.title,
            r.description,
            r.severity.map(Severity::as_str),
            r.severity.map(|s| s as i64),
            r.status,
            r.deprecated,
            serde_json::to_value(r.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            serde_json::to_value(r.language).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            json(&resolved),
            json(&r.platforms),
            json(&r.domains),
            json(&r.events),
            r.source.path,
            r.source.repo.clone().or_else(|| self.meta.repo.clone()),
            r.source.commit.clone().or_else(|| self.meta.commit.clone()),
            url,
            r.source.retrieved_at.clone().unwrap_or_else(|| self.meta.retrieved_at.clone()),
            r.created.as_deref().map(normalize_date),
            r.modified.as_deref().map(normalize_date),
            p.date,
            r.text,
            p.json,
            p.content_hash,
            p.model_hash,
            r.logic.is_fully_parsed(),
        ])?;
        let id = tx.last_insert_rowid();
        let mut st = tx.prepare_cached(
            "INSERT OR IGNORE INTO rule_techniques (rule_id, technique, parent, cited) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (t, parent, cited) in &p.techniques {
            st.execute(params![id, t, parent, cited])?;
        }
        let mut st = tx.prepare_cached(
            "INSERT OR IGNORE INTO rule_platforms (rule_id, platform) VALUES (?1, ?2)",
        )?;
        for x in &r.platforms {
            st.execute(params![id, x.to_lowercase()])?;
        }
        let mut st = tx.prepare_cached(
            "INSERT OR IGNORE INTO rule_domains (rule_id, domain) VALUES (?1, ?2)",
        )?;
        for x in &r.domains {
            st.execute(params![id, x.to_lowercase()])?;
        }
        let mut st = tx
            .prepare_cached("INSERT OR IGNORE INTO rule_events (rule_id, event) VALUES (?1, ?2)")?;
        for x in &r.events {
            st.execute(params![id, x])?;
        }
        let mut st = tx.prepare_cached(
            "INSERT INTO predicates (rule_id, field, row_key, raw_field, op, value, polarity, derived)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut fields: Vec<&str> = Vec::new();
        let mut values: Vec<&str> = Vec::new();
        for row in &p.predicates {
            st.execute(params![
                id,
                row.field,
                row.row_key,
                row.raw_field,
                row.op,
                row.value,
                row.polarity.as_str(),
                row.derived
            ])?;
            for f in [row.field.as_str(), row.raw_field.as_str()] {
                if !fields.contains(&f) {
                    fields.push(f);
                }
            }
            if !row.value.is_empty() && !values.contains(&row.value.as_str()) {
                values.push(&row.value);
            }
        }
        tx.prepare_cached("INSERT INTO rules_fts (rowid, title, description, fields, vals) VALUES (?1, ?2, ?3, ?4, ?5)")?
            .execute(params![id, r.title, r.description, fields.join(" "), values.join(" ")])?;
        Ok(())
    }

    fn delete(&self, id: i64) -> Result<()> {
        for sql in [
            "DELETE FROM predicates WHERE rule_id = ?1",
            "DELETE FROM rule_techniques WHERE rule_id = ?1",
            "DELETE FROM rule_platforms WHERE rule_id = ?1",
            "DELETE FROM rule_domains WHERE rule_id = ?1",
            "DELETE FROM rule_events WHERE rule_id = ?1",
            "DELETE FROM rules_fts WHERE rowid = ?1",
            "DELETE FROM rules WHERE id = ?1",
        ] {
            self.tx.prepare_cached(sql)?.execute(params![id])?;
        }
        Ok(())
    }

    fn change(&self, p: &Prepared<'_>, kind: &str) -> Result<()> {
        let techniques = spaced(p.techniques.iter().map(|t| t.0.clone()));
        let platforms = spaced(p.rule.platforms.iter().map(|x| x.to_lowercase()));
        self.tx
            .prepare_cached(
                "INSERT INTO changes (sync_id, uid, kind, at, rule_date, vendor, title, severity, techniques, platforms, source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                self.sync_id,
                p.uid,
                kind,
                p.rule.source.retrieved_at.clone().unwrap_or_else(|| self.meta.retrieved_at.clone()),
                p.date,
                p.rule.vendor.as_str(),
                p.rule.title,
                p.rule.severity.map(Severity::as_str),
                techniques,
                platforms,
                self.meta.name,
            ])?;
        Ok(())
    }

    fn remove(&self, id: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO changes (sync_id, uid, kind, at, rule_date, vendor, title, severity, techniques, platforms, source)
                 SELECT ?1, uid, 'removed', ?2, rule_date, vendor, title, severity,
                        ' ' || COALESCE((SELECT group_concat(technique, ' ') FROM rule_techniques WHERE rule_id = ?3), '') || ' ',
                        ' ' || COALESCE((SELECT group_concat(platform, ' ') FROM rule_platforms WHERE rule_id = ?3), '') || ' ',
                        ?4
                 FROM rules WHERE id = ?3",
            )?
            .execute(params![self.sync_id, self.meta.retrieved_at, id, self.meta.name])?;
        self.delete(id)
    }
}

/// Words as ` a b c ` (a leading and trailing space), for `instr` filtering.
fn spaced(words: impl Iterator<Item = String>) -> String {
    let mut out = String::from(" ");
    for w in words {
        out.push_str(&w);
        out.push(' ');
    }
    out
}

//! Browsing: one rule, the rules behind a guide value, catalog events, sync
//! history and overall figures; and what a page lists beside them (rule
//! heads, a technique's rules, corpus reach, exclusions near a rule, the
//! platforms and events rules use).

use std::collections::HashMap;

use ruledex_model::Rule;
use rusqlite::{OptionalExtension, ToSql, params};
use serde::Serialize;

use crate::Catalog;
use crate::error::{Error, Result};
use crate::feed::FeedItem;
use crate::guide::{rule_selection, technique_id};
use crate::predicates::{Polarity, PredicateRow};
use crate::similar::Indicator;

/// A rule as listed (feed, guide values, events).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleSummary {
    /// Uid.
    pub uid: String,
    /// Vendor.
    pub vendor: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: Option<String>,
    /// Techniques.
    pub techniques: Vec<String>,
    /// Link to the original.
    pub url: Option<String>,
    /// For [`Catalog::rules_for_value`]: the rule excludes the value rather than looks for it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub excluded: bool,
}

/// A stored rule with everything the catalog knows of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredRule {
    /// Uid.
    pub uid: String,
    /// Source name.
    pub source: String,
    /// Path in the source.
    pub path: String,
    /// Repository.
    pub repo: Option<String>,
    /// Commit.
    pub commit: Option<String>,
    /// Link to the original.
    pub url: Option<String>,
    /// When retrieved (RFC 3339).
    pub retrieved_at: String,
    /// Hash of the original text.
    pub content_hash: String,
    /// Nothing in the logic is opaque.
    pub fully_parsed: bool,
    /// Techniques as resolved against ATT&CK.
    pub techniques: Vec<String>,
    /// The normalized rule (original text in `rule.text`).
    pub rule: Rule,
    /// Its normalized predicates.
    pub predicates: Vec<PredicateRow>,
    /// Its feed entries, newest first.
    pub history: Vec<FeedItem>,
}

/// A catalog event with its rule count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventSummary {
    /// `windows/process_creation`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Platform.
    pub platform: String,
    /// Rules reading it.
    pub rules: usize,
}

/// One catalog event in detail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventDetail {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Platform.
    pub platform: String,
    /// Broader event.
    pub parent: Option<String>,
    /// Rules per vendor.
    pub vendors: Vec<(String, usize)>,
    /// Techniques of its rules: (id, name, rules), most rules first.
    pub techniques: Vec<(String, Option<String>, usize)>,
    /// Its rules, by vendor then title.
    pub rules: Vec<RuleSummary>,
}

/// One sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SyncInfo {
    /// Id.
    pub id: i64,
    /// Start (RFC 3339).
    pub started_at: String,
    /// Commit (RFC 3339).
    pub finished_at: String,
    /// Added.
    pub added: usize,
    /// Changed.
    pub changed: usize,
    /// Removed.
    pub removed: usize,
}

/// A source of the catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceInfo {
    /// Name.
    pub name: String,
    /// Directory or URL.
    pub location: String,
    /// Vendor.
    pub vendor: String,
    /// Commit.
    pub commit: Option<String>,
    /// Last retrieved (RFC 3339).
    pub retrieved_at: String,
    /// Rules from it.
    pub rules: usize,
}

/// Figures of the whole catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Schema version of the file.
    pub schema_version: i64,
    /// ATT&CK version of its technique data.
    pub attack_version: Option<String>,
    /// Rules.
    pub rules: usize,
    /// Rules with no opaque part.
    pub fully_parsed: usize,
    /// Rules per vendor.
    pub by_vendor: Vec<(String, usize)>,
    /// Predicate rows.
    pub predicates: usize,
    /// Distinct techniques with at least one rule.
    pub techniques_covered: usize,
    /// Distinct catalog events with at least one rule.
    pub events_covered: usize,
    /// Sources.
    pub sources: Vec<SourceInfo>,
    /// Syncs recorded.
    pub syncs: usize,
    /// The last sync.
    pub last_sync: Option<SyncInfo>,
}

fn summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<RuleSummary> {
    let techniques: String = r.get(4)?;
    Ok(RuleSummary {
        uid: r.get(0)?,
        vendor: r.get(1)?,
        title: r.get(2)?,
        severity: r.get(3)?,
        techniques: serde_json::from_str(&techniques).unwrap_or_default(),
        url: r.get(5)?,
        excluded: false,
    })
}

fn count(conn: &rusqlite::Connection, sql: &str) -> Result<usize> {
    Ok(conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as usize)
}

impl Catalog {
    /// One rule by uid.
    pub fn rule(&self, uid: &str) -> Result<Option<StoredRule>> {
        let conn = &self.conn;
        let row = conn
            .prepare_cached(
                "SELECT r.id, r.uid, s.name, r.path, r.repo, r.commit_id, r.url, r.retrieved_at, r.content_hash,
                        r.fully_parsed, r.techniques, r.normalized, r.text
                 FROM rules r JOIN sources s ON s.id = r.source_id WHERE r.uid = ?1",
            )?
            .query_row(params![uid], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, bool>(9)?,
                    r.get::<_, String>(10)?,
                    r.get::<_, String>(11)?,
                    r.get::<_, String>(12)?,
                ))
            })
            .optional()?;
        let Some((
            id,
            uid,
            source,
            path,
            repo,
            commit,
            url,
            retrieved_at,
            content_hash,
            fully_parsed,
            techniques,
            json,
            text,
        )) = row
        else {
            return Ok(None);
        };
        let mut rule: Rule = serde_json::from_str(&json).map_err(|source| Error::Json {
            uid: uid.clone(),
            source,
        })?;
        rule.text = text;
        let predicates = conn
            .prepare_cached(
                "SELECT field, row_key, raw_field, op, value, polarity, derived FROM predicates
                 WHERE rule_id = ?1 ORDER BY ord",
            )?
            .query_map(params![id], |r| {
                Ok(PredicateRow {
                    field: r.get(0)?,
                    row_key: r.get(1)?,
                    raw_field: r.get(2)?,
                    op: r.get(3)?,
                    value: r.get(4)?,
                    polarity: Polarity::parse(r.get_ref(5)?.as_str()?).unwrap_or(Polarity::Pos),
                    derived: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let history = self.history(&uid)?;
        Ok(Some(StoredRule {
            uid,
            source,
            path,
            repo,
            commit,
            url,
            retrieved_at,
            content_hash,
            fully_parsed,
            techniques: serde_json::from_str(&techniques).unwrap_or_default(),
            rule,
            predicates,
            history,
        }))
    }

    fn history(&self, uid: &str) -> Result<Vec<FeedItem>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, sync_id, kind, vendor, title, severity, techniques, platforms, at, rule_date, source
             FROM changes WHERE uid = ?1 ORDER BY id DESC",
        )?;
        let words =
            |s: String| -> Vec<String> { s.split_whitespace().map(str::to_owned).collect() };
        let items = st
            .query_map(params![uid], |r| {
                let kind: String = r.get(2)?;
                Ok(FeedItem {
                    id: r.get(0)?,
                    sync_id: r.get(1)?,
                    kind: match kind.as_str() {
                        "changed" => crate::ChangeKind::Changed,
                        "removed" => crate::ChangeKind::Removed,
                        _ => crate::ChangeKind::Added,
                    },
                    uid: uid.to_owned(),
                    vendor: r.get(3)?,
                    title: r.get(4)?,
                    severity: r.get(5)?,
                    techniques: words(r.get(6)?),
                    platforms: words(r.get(7)?),
                    retrieved_at: r.get(8)?,
                    rule_date: r.get(9)?,
                    source: r.get(10)?,
                    present: true,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(items)
    }

    /// The rules under `technique` (sub-techniques rolled up) that test
    /// (`field`, `op`, `value`) — looking for it or excluding it — for "click a
    /// value to expand the rules". `field` may also be a guide row key.
    pub fn rules_for_value(
        &self,
        technique: &str,
        field: &str,
        op: &str,
        value: &str,
    ) -> Result<Vec<RuleSummary>> {
        let technique = technique_id(technique)?;
        let (sel, args) = rule_selection(&technique, None, None, None);
        let sql = format!(
            "SELECT r.uid, r.vendor, r.title, r.severity, r.techniques, r.url,
                    MIN(p.polarity IN ('excl', 'excl_branch'))
             FROM rules r JOIN predicates p ON p.rule_id = r.id
             WHERE r.id IN ({sel}) AND (p.field = ? OR p.row_key = ?) AND p.op = ? AND p.value = ?
             GROUP BY r.id ORDER BY r.vendor, r.title"
        );
        let field = field.to_owned();
        let (op, value) = (op.to_owned(), value.to_owned());
        let mut params: Vec<&dyn ToSql> = args.iter().map(AsRef::as_ref).collect();
        params.extend([&field as &dyn ToSql, &field, &op, &value]);
        let mut st = self.conn.prepare(&sql)?;
        let rows = st
            .query_map(params.as_slice(), |r| {
                let mut s = summary(r)?;
                s.excluded = r.get(6)?;
                Ok(s)
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Every catalog event, with the rules reading it.
    pub fn events(&self) -> Result<Vec<EventSummary>> {
        let mut st = self.conn.prepare_cached(
            "SELECT e.id, e.title, e.platform, (SELECT COUNT(*) FROM rule_events x WHERE x.event = e.id)
             FROM events e ORDER BY e.id",
        )?;
        let rows = st
            .query_map([], |r| {
                Ok(EventSummary {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    platform: r.get(2)?,
                    rules: r.get::<_, i64>(3)? as usize,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// One catalog event with its rules and techniques.
    pub fn event(&self, id: &str) -> Result<Option<EventDetail>> {
        let conn = &self.conn;
        let Some((id, title, description, platform, parent)) = conn
            .prepare_cached(
                "SELECT id, title, description, platform, parent FROM events WHERE id = ?1",
            )?
            .query_row(params![id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .optional()?
        else {
            return Ok(None);
        };
        let rules = conn
            .prepare_cached(
                "SELECT r.uid, r.vendor, r.title, r.severity, r.techniques, r.url FROM rules r
                 JOIN rule_events e ON e.rule_id = r.id WHERE e.event = ?1 ORDER BY r.vendor, r.title",
            )?
            .query_map(params![id], summary)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let vendors = conn
            .prepare_cached(
                "SELECT r.vendor, COUNT(*) FROM rules r JOIN rule_events e ON e.rule_id = r.id
                 WHERE e.event = ?1 GROUP BY r.vendor ORDER BY COUNT(*) DESC, r.vendor",
            )?
            .query_map(params![id], |r| {
                Ok((r.get(0)?, r.get::<_, i64>(1)? as usize))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let techniques = conn
            .prepare_cached(
                "SELECT t.technique, (SELECT name FROM techniques k WHERE k.id = t.technique), COUNT(*)
                 FROM rule_techniques t JOIN rule_events e ON e.rule_id = t.rule_id
                 WHERE e.event = ?1 GROUP BY t.technique ORDER BY COUNT(*) DESC, t.technique",
            )?
            .query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as usize)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Some(EventDetail {
            id,
            title,
            description,
            platform,
            parent,
            vendors,
            techniques,
            rules,
        }))
    }

    /// The most recent syncs, newest first.
    pub fn syncs(&self, limit: usize) -> Result<Vec<SyncInfo>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, started_at, finished_at, added, changed, removed FROM syncs ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = st
            .query_map(params![limit as i64], |r| {
                Ok(SyncInfo {
                    id: r.get(0)?,
                    started_at: r.get(1)?,
                    finished_at: r.get(2)?,
                    added: r.get::<_, i64>(3)? as usize,
                    changed: r.get::<_, i64>(4)? as usize,
                    removed: r.get::<_, i64>(5)? as usize,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Figures of the whole catalog.
    pub fn stats(&self) -> Result<Stats> {
        let conn = &self.conn;
        let by_vendor = conn
            .prepare_cached(
                "SELECT vendor, COUNT(*) FROM rules GROUP BY vendor ORDER BY COUNT(*) DESC, vendor",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let sources = conn
            .prepare_cached(
                "SELECT s.name, s.location, s.vendor, s.commit_id, s.retrieved_at,
                        (SELECT COUNT(*) FROM rules r WHERE r.source_id = s.id)
                 FROM sources s ORDER BY s.name",
            )?
            .query_map([], |r| {
                Ok(SourceInfo {
                    name: r.get(0)?,
                    location: r.get(1)?,
                    vendor: r.get(2)?,
                    commit: r.get(3)?,
                    retrieved_at: r.get(4)?,
                    rules: r.get::<_, i64>(5)? as usize,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Stats {
            schema_version: self.schema_version()?,
            attack_version: conn
                .query_row(
                    "SELECT value FROM meta WHERE key = 'attack_version'",
                    [],
                    |r| r.get(0),
                )
                .optional()?,
            rules: count(conn, "SELECT COUNT(*) FROM rules")?,
            fully_parsed: count(conn, "SELECT COUNT(*) FROM rules WHERE fully_parsed")?,
            by_vendor,
            predicates: count(conn, "SELECT COUNT(*) FROM predicates")?,
            techniques_covered: count(
                conn,
                "SELECT COUNT(DISTINCT technique) FROM rule_techniques",
            )?,
            events_covered: count(conn, "SELECT COUNT(DISTINCT event) FROM rule_events")?,
            sources,
            syncs: count(conn, "SELECT COUNT(*) FROM syncs")?,
            last_sync: self.syncs(1)?.into_iter().next(),
        })
    }
}

/// A rule as a row of a list: what the pages show beside its title.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleHead {
    /// Uid.
    pub uid: String,
    /// Vendor.
    pub vendor: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: Option<String>,
    /// The rule's own date (modified, else created), `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Technique ids, as resolved.
    pub techniques: Vec<String>,
    /// Platforms, as the rule gives them.
    pub platforms: Vec<String>,
}

/// The platforms and catalog events the stored rules name, for filter forms.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// Platforms, lowercase, sorted.
    pub platforms: Vec<String>,
    /// Catalog event ids, sorted.
    pub events: Vec<String>,
}

fn json_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

/// The exclusion polarities, as stored.
const EXCLUSION: &str = "p.polarity IN ('excl', 'excl_branch')";

impl Catalog {
    /// How many rules the catalog holds.
    pub fn rule_count(&self) -> Result<usize> {
        count(&self.conn, "SELECT COUNT(*) FROM rules")
    }

    /// The list rows of `uids`, keyed by uid; unknown uids are left out.
    pub fn rule_heads(&self, uids: &[&str]) -> Result<HashMap<String, RuleHead>> {
        let mut st = self.conn.prepare_cached(
            "SELECT uid, vendor, title, severity, rule_date, techniques, platforms
             FROM rules WHERE uid = ?1",
        )?;
        let mut out = HashMap::with_capacity(uids.len());
        for uid in uids {
            if out.contains_key(*uid) {
                continue;
            }
            let head = st
                .query_row(params![uid], |r| {
                    Ok(RuleHead {
                        uid: r.get(0)?,
                        vendor: r.get(1)?,
                        title: r.get(2)?,
                        severity: r.get(3)?,
                        date: r.get(4)?,
                        techniques: json_list(&r.get::<_, String>(5)?),
                        platforms: json_list(&r.get::<_, String>(6)?),
                    })
                })
                .optional()?;
            if let Some(h) = head {
                out.insert(h.uid.clone(), h);
            }
        }
        Ok(out)
    }

    /// Whether any rule is tagged with `technique` (a parent also counts the
    /// rules of its sub-techniques).
    pub fn has_technique(&self, technique: &str) -> Result<bool> {
        let technique = technique_id(technique)?;
        Ok(self
            .conn
            .prepare_cached(
                "SELECT 1 FROM rule_techniques WHERE technique = ?1 OR parent = ?1 LIMIT 1",
            )?
            .query_row(params![technique], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Every rule tagged with `technique` (sub-techniques roll up into their
    /// parent), decoded with its original text, newest first: the rule's own
    /// date, then retrieval time, then uid.
    pub fn technique_rules(&self, technique: &str) -> Result<Vec<Rule>> {
        let technique = technique_id(technique)?;
        let (sel, args) = rule_selection(&technique, None, None, None);
        let sql = format!(
            "SELECT r.uid, r.normalized, r.text FROM rules r WHERE r.id IN ({sel})
             ORDER BY r.rule_date DESC, r.retrieved_at DESC, r.uid"
        );
        let params: Vec<&dyn ToSql> = args.iter().map(AsRef::as_ref).collect();
        let mut st = self.conn.prepare(&sql)?;
        let rows = st
            .query_map(params.as_slice(), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(uid, json, text)| {
                let mut rule: Rule =
                    serde_json::from_str(&json).map_err(|source| Error::Json { uid, source })?;
                rule.text = text;
                Ok(rule)
            })
            .collect()
    }

    /// How many rules catalog-wide look for (field, op, value): the corpus
    /// reach of an indicator, as computed by the last sync.
    pub fn reach(&self, field: &str, op: &str, value: &str) -> Result<usize> {
        let n: Option<i64> = self
            .conn
            .prepare_cached("SELECT rules FROM reach WHERE field = ?1 AND op = ?2 AND value = ?3")?
            .query_row(params![field, op, value], |r| r.get(0))
            .optional()?;
        Ok(n.unwrap_or(0).max(0) as usize)
    }

    /// The indicators rule `uid` looks for (its positive rows, in rule order,
    /// each once), each with its corpus reach; empty for an unknown uid.
    pub fn rule_reach(&self, uid: &str) -> Result<Vec<(Indicator, usize)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT p.field, p.op, p.value, COALESCE(x.rules, 0) FROM predicates p
             LEFT JOIN reach x ON x.field = p.field AND x.op = p.op AND x.value = p.value
             WHERE p.rule_id = (SELECT id FROM rules WHERE uid = ?1) AND p.polarity = 'pos'
             ORDER BY p.ord",
        )?;
        let rows = st.query_map(params![uid], |r| {
            Ok((
                Indicator {
                    field: r.get(0)?,
                    op: r.get(1)?,
                    value: r.get(2)?,
                },
                r.get::<_, i64>(3)?.max(0) as usize,
            ))
        })?;
        let mut out: Vec<(Indicator, usize)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for row in rows {
            let (ind, n) = row?;
            if seen.insert(ind.clone()) {
                out.push((ind, n));
            }
        }
        Ok(out)
    }

    /// The exclusions (rule-wide or branch-scoped) of the rules tagged with
    /// `technique` (sub-techniques roll up into their parent), with how many
    /// of those rules make each, most rules first; at most `limit` (0: all).
    pub fn technique_exclusions(
        &self,
        technique: &str,
        limit: usize,
    ) -> Result<Vec<(Indicator, usize)>> {
        let technique = technique_id(technique)?;
        let (sel, args) = rule_selection(&technique, None, None, None);
        let sql = format!(
            "SELECT p.field, p.op, p.value, COUNT(DISTINCT p.rule_id) FROM predicates p
             WHERE p.rule_id IN ({sel}) AND {EXCLUSION}
             GROUP BY p.field, p.op, p.value ORDER BY 4 DESC, 1, 2, 3"
        );
        let params: Vec<&dyn ToSql> = args.iter().map(AsRef::as_ref).collect();
        let mut rows = self.counted_indicators(&sql, params.as_slice())?;
        if limit > 0 {
            rows.truncate(limit);
        }
        Ok(rows)
    }

    /// The exclusions that the *other* rules sharing a technique with rule
    /// `uid` make (its techniques and their parents, each parent with all its
    /// sub-techniques), with how many of them make each, most rules first.
    pub fn neighbour_exclusions(&self, uid: &str) -> Result<Vec<(Indicator, usize)>> {
        let sql = format!(
            "WITH me AS (SELECT id FROM rules WHERE uid = ?1),
                  mine AS (SELECT technique AS t FROM rule_techniques WHERE rule_id IN me
                           UNION SELECT parent FROM rule_techniques WHERE rule_id IN me),
                  others AS (SELECT DISTINCT x.rule_id FROM rule_techniques x
                             WHERE (x.technique IN mine OR x.parent IN mine)
                               AND x.rule_id NOT IN me)
             SELECT p.field, p.op, p.value, COUNT(DISTINCT p.rule_id) FROM predicates p
             WHERE p.rule_id IN others AND {EXCLUSION}
             GROUP BY p.field, p.op, p.value ORDER BY 4 DESC, 1, 2, 3"
        );
        self.counted_indicators(&sql, &[&uid as &dyn ToSql])
    }

    fn counted_indicators(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
    ) -> Result<Vec<(Indicator, usize)>> {
        let mut st = self.conn.prepare_cached(sql)?;
        let rows = st
            .query_map(params, |r| {
                Ok((
                    Indicator {
                        field: r.get(0)?,
                        op: r.get(1)?,
                        value: r.get(2)?,
                    },
                    r.get::<_, i64>(3)?.max(0) as usize,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The platforms and catalog events the stored rules name.
    pub fn facets(&self) -> Result<Facets> {
        let list = |sql: &str| -> Result<Vec<String>> {
            Ok(self
                .conn
                .prepare_cached(sql)?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?)
        };
        Ok(Facets {
            platforms: list("SELECT DISTINCT platform FROM rule_platforms ORDER BY platform")?,
            events: list("SELECT DISTINCT event FROM rule_events ORDER BY event")?,
        })
    }
}

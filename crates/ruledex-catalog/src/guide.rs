//! The authoring guide of a technique: what every rule tagged with it looks
//! at, looks for and excludes.
//!
//! Sections (as on the technique page):
//!
//! - the technique: name, tactics, description (ATT&CK);
//! - **events covered**: catalog events of the rules;
//! - **fields filtered most**: one row per [row key](crate::predicates::row_key)
//!   (a path field and its basename field share one), with the rules that
//!   test it — each rule once per row —, How (operators, by rules using each,
//!   as the authors wrote them), sample values (most rules first) and a
//!   per-vendor breakdown naming the fields each vendor writes;
//! - **top indicator values**: (field, op, value) looked for, with the rules
//!   here and the *corpus reach* (rules anywhere in the catalog looking for the
//!   same combination);
//! - **exclusions**: (field, op, value) excluded, with the rules excluding,
//!   rule-level and branch-scoped counted apart;
//! - **rules by vendor**, with sub-technique rules marked.
//!
//! A top-level technique's page includes the rules of its sub-techniques.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use ruledex_attack::TechniqueId;
use ruledex_model::Vendor;
use rusqlite::{ToSql, params};
use serde::Serialize;

use crate::Catalog;
use crate::error::{Error, Result};
use crate::predicates::Polarity;

/// What to build a guide for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GuideQuery {
    /// `T1046` or `T1059.001`.
    pub technique: String,
    /// Only rules for this platform (`windows`, `linux`, …).
    pub platform: Option<String>,
    /// Only rules of this domain (`endpoint`, `cloud`, …).
    pub domain: Option<String>,
    /// Only this vendor's rules.
    pub vendor: Option<Vendor>,
    /// Rows per section (fields, indicators, exclusions); 0 means all.
    pub limit: usize,
    /// Sample values per field row.
    pub samples: usize,
}

impl GuideQuery {
    /// A query for `technique` with no filters, 25 rows per section and 5
    /// samples per field.
    pub fn new(technique: impl Into<String>) -> GuideQuery {
        GuideQuery {
            technique: technique.into(),
            limit: 25,
            samples: 5,
            ..GuideQuery::default()
        }
    }
}

/// A tactic a technique belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TacticName {
    /// `TA0007`.
    pub id: String,
    /// `Discovery`.
    pub name: String,
    /// `discovery`.
    pub shortname: String,
}

/// One rule under the technique.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GuideRule {
    /// Catalog uid (the rule's link: `/rules/{uid}`).
    pub uid: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: Option<String>,
    /// Link to the original, when known.
    pub url: Option<String>,
    /// The sub-techniques of the page's technique the rule is tagged with
    /// (empty when it is tagged with the technique itself).
    pub subtechniques: Vec<String>,
    /// Deprecated by its vendor.
    pub deprecated: bool,
}

/// A vendor's rules under the technique.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VendorRules {
    /// Vendor.
    pub vendor: String,
    /// How many.
    pub count: usize,
    /// The rules, by title.
    pub rules: Vec<GuideRule>,
}

/// A catalog event the rules read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventCount {
    /// `windows/process_creation`.
    pub id: String,
    /// Display title.
    pub title: Option<String>,
    /// Rules reading it.
    pub rules: usize,
}

/// An operator and the rules using it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OpCount {
    /// Operator (`eq`, `ends_with`, …).
    pub op: String,
    /// Rules using it in the row.
    pub rules: usize,
}

/// A value and the rules using it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ValueCount {
    /// The normalized value.
    pub value: String,
    /// Rules using it in the row.
    pub rules: usize,
}

/// One vendor's part of a field row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VendorField {
    /// Vendor.
    pub vendor: String,
    /// That vendor's rules in the row.
    pub rules: usize,
    /// The field names that vendor's rules write (`Image`, `process.name`, …).
    pub fields: Vec<String>,
}

/// A row of "fields filtered most".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldRow {
    /// The row: a canonical field (the basename field for a path/name pair).
    pub field: String,
    /// The canonical fields merged into the row (`process.executable`, `process.name`).
    pub members: Vec<String>,
    /// Rules testing the row, each once.
    pub rules: usize,
    /// Operators as written, by rules using each, most first.
    pub how: Vec<OpCount>,
    /// Values, most rules first.
    pub samples: Vec<ValueCount>,
    /// Per vendor.
    pub by_vendor: Vec<VendorField>,
}

/// A row of "top indicator values".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IndicatorRow {
    /// Canonical field.
    pub field: String,
    /// Operator.
    pub op: String,
    /// Normalized value.
    pub value: String,
    /// Rules here looking for it.
    pub rules: usize,
    /// Rules anywhere in the catalog looking for it.
    pub corpus_reach: usize,
}

/// A row of "exclusions".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExclusionRow {
    /// Canonical field.
    pub field: String,
    /// Operator.
    pub op: String,
    /// Normalized value.
    pub value: String,
    /// Rules excluding it (either scope).
    pub rules: usize,
    /// Of which as a rule-level exclusion.
    pub rule_level: usize,
    /// Of which only in one branch of an `or` (scoped).
    pub branch_scoped: usize,
}

/// The filters the guide was built with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GuideFilters {
    /// Platform.
    pub platform: Option<String>,
    /// Domain.
    pub domain: Option<String>,
    /// Vendor.
    pub vendor: Option<String>,
}

/// The authoring guide of a technique.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Guide {
    /// The technique asked for.
    pub technique: String,
    /// Its name (ATT&CK), when the catalog's ATT&CK data knows it.
    pub name: Option<String>,
    /// Its tactics.
    pub tactics: Vec<TacticName>,
    /// Its description (ATT&CK, markdown).
    pub description: Option<String>,
    /// Its ATT&CK page.
    pub url: Option<String>,
    /// The parent technique, for a sub-technique.
    pub parent: Option<String>,
    /// Filters applied.
    pub filters: GuideFilters,
    /// Rules under the technique (after filters).
    pub rules: usize,
    /// Of which tagged with a sub-technique only.
    pub subtechnique_rules: usize,
    /// Rules per vendor.
    pub rules_by_vendor: Vec<VendorRules>,
    /// Catalog events the rules read, most rules first.
    pub events: Vec<EventCount>,
    /// Platforms of the rules (for filter choices), most rules first.
    pub platforms: Vec<ValueCount>,
    /// Domains of the rules, most rules first.
    pub domains: Vec<ValueCount>,
    /// Distinct field rows.
    pub fields_total: usize,
    /// Fields filtered most.
    pub fields: Vec<FieldRow>,
    /// Distinct indicators.
    pub indicators_total: usize,
    /// Top indicator values.
    pub indicators: Vec<IndicatorRow>,
    /// Distinct exclusions.
    pub exclusions_total: usize,
    /// Exclusions, most rules first.
    pub exclusions: Vec<ExclusionRow>,
}

/// (field, op, value).
type Indicator = (String, String, String);

/// A rule selected for the guide.
struct Selected {
    vendor: String,
    rule: GuideRule,
}

/// SQL selecting the ids of the rules under a technique, with filters, and
/// its parameters.
pub(crate) fn rule_selection(
    technique: &str,
    platform: Option<&str>,
    domain: Option<&str>,
    vendor: Option<Vendor>,
) -> (String, Vec<Box<dyn ToSql>>) {
    let is_sub = technique.contains('.');
    let column = if is_sub { "technique" } else { "parent" };
    let mut sql = format!(
        "SELECT DISTINCT t.rule_id FROM rule_techniques t JOIN rules r ON r.id = t.rule_id WHERE t.{column} = ?"
    );
    let mut args: Vec<Box<dyn ToSql>> = vec![Box::new(technique.to_owned())];
    if let Some(v) = vendor {
        sql.push_str(" AND r.vendor = ?");
        args.push(Box::new(v.as_str().to_owned()));
    }
    if let Some(p) = platform {
        sql.push_str(" AND EXISTS (SELECT 1 FROM rule_platforms x WHERE x.rule_id = r.id AND x.platform = ?)");
        args.push(Box::new(p.to_lowercase()));
    }
    if let Some(d) = domain {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM rule_domains x WHERE x.rule_id = r.id AND x.domain = ?)",
        );
        args.push(Box::new(d.to_lowercase()));
    }
    (sql, args)
}

/// The canonical spelling of a technique id (`t1046` → `T1046`).
pub(crate) fn technique_id(s: &str) -> Result<String> {
    s.trim()
        .parse::<TechniqueId>()
        .map(|t| t.to_string())
        .map_err(|_| Error::BadTechnique(s.to_owned()))
}

fn take<T>(mut v: Vec<T>, limit: usize) -> Vec<T> {
    if limit > 0 {
        v.truncate(limit);
    }
    v
}

impl Catalog {
    /// The authoring guide of `q.technique`; see the [module docs](self).
    pub fn guide(&self, q: &GuideQuery) -> Result<Guide> {
        let technique = technique_id(&q.technique)?;
        let conn = &self.conn;
        let mut guide = Guide {
            technique: technique.clone(),
            name: None,
            tactics: Vec::new(),
            description: None,
            url: None,
            parent: None,
            filters: GuideFilters {
                platform: q.platform.clone(),
                domain: q.domain.clone(),
                vendor: q.vendor.map(|v| v.as_str().to_owned()),
            },
            rules: 0,
            subtechnique_rules: 0,
            rules_by_vendor: Vec::new(),
            events: Vec::new(),
            platforms: Vec::new(),
            domains: Vec::new(),
            fields_total: 0,
            fields: Vec::new(),
            indicators_total: 0,
            indicators: Vec::new(),
            exclusions_total: 0,
            exclusions: Vec::new(),
        };
        if let Some((name, tactics, description, url, parent)) = conn
            .prepare_cached(
                "SELECT name, tactics, description, url, parent FROM techniques WHERE id = ?1",
            )?
            .query_map(params![technique], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })?
            .next()
            .transpose()?
        {
            guide.name = Some(name);
            guide.description = Some(description);
            guide.url = Some(url);
            guide.parent = parent;
            let shortnames: Vec<String> = serde_json::from_str(&tactics).unwrap_or_default();
            let mut st =
                conn.prepare_cached("SELECT id, name FROM tactics WHERE shortname = ?1")?;
            for s in shortnames {
                let found = st
                    .query_map(params![s], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                    })?
                    .next()
                    .transpose()?;
                let (id, name) = found.unwrap_or_else(|| (String::new(), s.clone()));
                guide.tactics.push(TacticName {
                    id,
                    name,
                    shortname: s,
                });
            }
        }

        let (sel, args) = rule_selection(
            &technique,
            q.platform.as_deref(),
            q.domain.as_deref(),
            q.vendor,
        );
        let params_ref: Vec<&dyn ToSql> = args.iter().map(AsRef::as_ref).collect();

        // The rules, with the technique ids they carry under this page.
        let mut rules: HashMap<i64, Selected> = HashMap::new();
        {
            let sql = format!(
                "SELECT r.id, r.uid, r.vendor, r.title, r.severity, r.url, r.deprecated,
                        (SELECT group_concat(technique, ' ') FROM rule_techniques x
                          WHERE x.rule_id = r.id AND (x.parent = ?1 OR x.technique = ?1))
                 FROM rules r WHERE r.id IN ({sel})"
            );
            let mut all: Vec<&dyn ToSql> = vec![&technique];
            all.extend(params_ref.iter().copied());
            let mut st = conn.prepare(&sql)?;
            let rows = st.query_map(all.as_slice(), |r| {
                let techs: Option<String> = r.get(7)?;
                Ok((
                    r.get::<_, i64>(0)?,
                    Selected {
                        vendor: r.get(2)?,
                        rule: GuideRule {
                            uid: r.get(1)?,
                            title: r.get(3)?,
                            severity: r.get(4)?,
                            url: r.get(5)?,
                            deprecated: r.get(6)?,
                            subtechniques: techs
                                .unwrap_or_default()
                                .split(' ')
                                .filter(|t| !t.is_empty())
                                .map(str::to_owned)
                                .collect(),
                        },
                    },
                ))
            })?;
            for row in rows {
                let (id, mut s) = row?;
                let tagged_itself = s.rule.subtechniques.contains(&technique);
                s.rule.subtechniques.retain(|t| *t != technique);
                if tagged_itself {
                    s.rule.subtechniques.clear();
                } else if !s.rule.subtechniques.is_empty() {
                    guide.subtechnique_rules += 1;
                }
                rules.insert(id, s);
            }
        }
        guide.rules = rules.len();
        let mut by_vendor: BTreeMap<usize, (String, Vec<GuideRule>)> = BTreeMap::new();
        for s in rules.values() {
            let order = Vendor::ALL
                .iter()
                .position(|v| v.as_str() == s.vendor)
                .unwrap_or(Vendor::ALL.len());
            by_vendor
                .entry(order)
                .or_insert_with(|| (s.vendor.clone(), Vec::new()))
                .1
                .push(s.rule.clone());
        }
        guide.rules_by_vendor = by_vendor
            .into_values()
            .map(|(vendor, mut rs)| {
                rs.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.uid.cmp(&b.uid)));
                VendorRules {
                    vendor,
                    count: rs.len(),
                    rules: rs,
                }
            })
            .collect();

        // Events, platforms, domains.
        let count_sql = |table: &str, col: &str, join: &str| {
            format!(
                "SELECT x.{col}, {join}, COUNT(*) AS n FROM {table} x WHERE x.rule_id IN ({sel})
                 GROUP BY x.{col} ORDER BY n DESC, x.{col}"
            )
        };
        let mut st = conn.prepare(&count_sql(
            "rule_events",
            "event",
            "(SELECT title FROM events e WHERE e.id = x.event)",
        ))?;
        guide.events = st
            .query_map(params_ref.as_slice(), |r| {
                Ok(EventCount {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    rules: r.get::<_, i64>(2)? as usize,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (table, col, out) in [
            ("rule_platforms", "platform", &mut guide.platforms),
            ("rule_domains", "domain", &mut guide.domains),
        ] {
            let mut st = conn.prepare(&count_sql(table, col, "NULL"))?;
            *out = st
                .query_map(params_ref.as_slice(), |r| {
                    Ok(ValueCount {
                        value: r.get(0)?,
                        rules: r.get::<_, i64>(2)? as usize,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
        }

        // Predicates of the selected rules, aggregated here.
        #[derive(Default)]
        struct Row {
            rules: HashSet<i64>,
            members: BTreeSet<String>,
            ops: HashMap<String, HashSet<i64>>,
            values: HashMap<String, HashSet<i64>>,
            vendors: HashMap<String, (HashSet<i64>, BTreeSet<String>)>,
        }
        let mut rows: HashMap<String, Row> = HashMap::new();
        let mut indicators: HashMap<(String, String, String), HashSet<i64>> = HashMap::new();
        let mut exclusions: HashMap<Indicator, (HashSet<i64>, HashSet<i64>)> = HashMap::new();
        let sql = format!(
            "SELECT rule_id, field, row_key, raw_field, op, value, polarity, derived
             FROM predicates WHERE rule_id IN ({sel})"
        );
        let mut st = conn.prepare(&sql)?;
        let mut cursor = st.query(params_ref.as_slice())?;
        while let Some(r) = cursor.next()? {
            let rule_id: i64 = r.get(0)?;
            let field: String = r.get(1)?;
            let row_key: String = r.get(2)?;
            let raw: String = r.get(3)?;
            let op: String = r.get(4)?;
            let value: String = r.get(5)?;
            let polarity = Polarity::parse(&r.get::<_, String>(6)?).unwrap_or(Polarity::Pos);
            let derived: bool = r.get(7)?;
            let vendor = rules
                .get(&rule_id)
                .map(|s| s.vendor.clone())
                .unwrap_or_default();
            let row = rows.entry(row_key).or_default();
            row.rules.insert(rule_id);
            row.members.insert(field.clone());
            let v = row.vendors.entry(vendor).or_default();
            v.0.insert(rule_id);
            if !derived {
                v.1.insert(raw);
                row.ops.entry(op.clone()).or_default().insert(rule_id);
            }
            if polarity == Polarity::Pos && !value.is_empty() {
                row.values.entry(value.clone()).or_default().insert(rule_id);
            }
            match polarity {
                Polarity::Pos => {
                    indicators
                        .entry((field, op, value))
                        .or_default()
                        .insert(rule_id);
                }
                Polarity::Excl | Polarity::ExclBranch if !derived => {
                    let e = exclusions.entry((field, op, value)).or_default();
                    if polarity == Polarity::Excl {
                        e.0.insert(rule_id);
                    } else {
                        e.1.insert(rule_id);
                    }
                }
                _ => {}
            }
        }
        drop(cursor);

        let ranked = |m: HashMap<String, HashSet<i64>>| {
            let mut v: Vec<(String, usize)> = m.into_iter().map(|(k, s)| (k, s.len())).collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v
        };
        let mut fields: Vec<FieldRow> = rows
            .into_iter()
            .map(|(key, row)| {
                let mut by_vendor: Vec<VendorField> = row
                    .vendors
                    .into_iter()
                    .map(|(vendor, (ids, names))| VendorField {
                        vendor,
                        rules: ids.len(),
                        fields: names.into_iter().collect(),
                    })
                    .collect();
                by_vendor
                    .sort_by(|a, b| b.rules.cmp(&a.rules).then_with(|| a.vendor.cmp(&b.vendor)));
                FieldRow {
                    field: key,
                    members: row.members.into_iter().collect(),
                    rules: row.rules.len(),
                    how: ranked(row.ops)
                        .into_iter()
                        .map(|(op, rules)| OpCount { op, rules })
                        .collect(),
                    samples: take(
                        ranked(row.values)
                            .into_iter()
                            .map(|(value, rules)| ValueCount { value, rules })
                            .collect(),
                        q.samples,
                    ),
                    by_vendor,
                }
            })
            .collect();
        fields.sort_by(|a, b| b.rules.cmp(&a.rules).then_with(|| a.field.cmp(&b.field)));
        guide.fields_total = fields.len();
        guide.fields = take(fields, q.limit);

        let mut reach = conn.prepare_cached(
            "SELECT rules FROM reach WHERE field = ?1 AND op = ?2 AND value = ?3",
        )?;
        let mut inds: Vec<((String, String, String), usize)> =
            indicators.into_iter().map(|(k, s)| (k, s.len())).collect();
        inds.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        guide.indicators_total = inds.len();
        // Rank by rules here, then by corpus reach among equals: look reach up
        // for every candidate that could make the cut.
        let cut = if q.limit == 0 { inds.len() } else { q.limit };
        let threshold = inds.get(cut.saturating_sub(1)).map_or(0, |x| x.1);
        let mut top: Vec<IndicatorRow> = Vec::new();
        for ((field, op, value), n) in inds {
            if n < threshold {
                break;
            }
            let corpus_reach = reach
                .query_map(params![field, op, value], |r| r.get::<_, i64>(0))?
                .next()
                .transpose()?
                .unwrap_or(0) as usize;
            top.push(IndicatorRow {
                field,
                op,
                value,
                rules: n,
                corpus_reach,
            });
        }
        top.sort_by(|a, b| {
            b.rules
                .cmp(&a.rules)
                .then_with(|| b.corpus_reach.cmp(&a.corpus_reach))
                .then_with(|| (&a.field, &a.op, &a.value).cmp(&(&b.field, &b.op, &b.value)))
        });
        guide.indicators = take(top, q.limit);

        let mut excl: Vec<ExclusionRow> = exclusions
            .into_iter()
            .map(|((field, op, value), (rule_level, branch))| ExclusionRow {
                field,
                op,
                value,
                rules: rule_level.union(&branch).count(),
                rule_level: rule_level.len(),
                branch_scoped: branch.difference(&rule_level).count(),
            })
            .collect();
        excl.sort_by(|a, b| {
            b.rules
                .cmp(&a.rules)
                .then_with(|| (&a.field, &a.op, &a.value).cmp(&(&b.field, &b.op, &b.value)))
        });
        guide.exclusions_total = excl.len();
        guide.exclusions = take(excl, q.limit);
        Ok(guide)
    }
}

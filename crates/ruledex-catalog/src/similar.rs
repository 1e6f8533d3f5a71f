//! Rules of other vendors that detect the same thing.
//!
//! A rule's *indicators* are its positive normalized predicates as
//! (guide row, op, value) — the row merges a path field with its basename
//! field, so Sigma's `Image|endswith: \nmap.exe` (which also yields the
//! basename `nmap.exe`) meets Elastic's `process.name : "nmap.exe"`. Two rules
//! are as similar as the Jaccard index of their indicator sets: shared
//! indicators over all indicators of either.

use std::collections::{BTreeSet, HashMap};

use ruledex_model::Rule;
use rusqlite::params;
use serde::Serialize;

use crate::Catalog;
use crate::error::Result;
use crate::predicates::{Polarity, rule_predicates};

/// Fields that say which events a rule reads rather than what it looks for
/// (Sigma says that in its log source): left out of indicator sets, or every
/// Elastic rule would share `event.type: start` with every other.
pub const CONTEXT_FIELDS: &[&str] = &[
    "event.category",
    "event.type",
    "event.kind",
    "event.dataset",
    "event.module",
    "data_stream.dataset",
    "host.os.type",
    "host.os.family",
    "host.os.platform",
];

/// One indicator: (guide row, op, normalized value).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Indicator {
    /// The guide row (canonical field, or its basename field).
    pub field: String,
    /// The operator.
    pub op: String,
    /// The normalized value.
    pub value: String,
}

/// A rule of another vendor and how much of its logic it shares.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Similar {
    /// Its catalog uid.
    pub uid: String,
    /// Its vendor (snake_case).
    pub vendor: String,
    /// Its title.
    pub title: String,
    /// Jaccard index of the two indicator sets, 0..=1.
    pub score: f64,
    /// The indicators both rules have, sorted.
    pub shared: Vec<Indicator>,
    /// How many indicators it has.
    pub indicators: usize,
}

/// What to compare against: a catalog rule, or a rule read from a file.
#[derive(Clone, Copy, Debug)]
pub enum SimilarTo<'a> {
    /// A rule of the catalog, by uid.
    Uid(&'a str),
    /// A rule that need not be in the catalog.
    Rule(&'a Rule),
}

impl<'a> From<&'a str> for SimilarTo<'a> {
    fn from(uid: &'a str) -> SimilarTo<'a> {
        SimilarTo::Uid(uid)
    }
}

impl<'a> From<&'a Rule> for SimilarTo<'a> {
    fn from(rule: &'a Rule) -> SimilarTo<'a> {
        SimilarTo::Rule(rule)
    }
}

/// The indicator set of a rule.
pub fn rule_indicators(rule: &Rule) -> BTreeSet<Indicator> {
    rule_predicates(rule)
        .into_iter()
        .filter(|p| p.polarity == Polarity::Pos && !CONTEXT_FIELDS.contains(&p.row_key.as_str()))
        .map(|p| Indicator {
            field: p.row_key,
            op: p.op,
            value: p.value,
        })
        .collect()
}

impl Catalog {
    /// Rules of other vendors than `target`'s whose indicators overlap
    /// `target`'s most, best first (ties by uid), at most `limit` (0: all).
    /// An unknown uid is [`crate::Error::UnknownRule`].
    pub fn similar<'a>(
        &self,
        target: impl Into<SimilarTo<'a>>,
        limit: usize,
    ) -> Result<Vec<Similar>> {
        self.similar_among(target.into(), limit, false)
    }

    /// As [`Catalog::similar`], but rules of `target`'s own vendor are
    /// candidates too (a stored rule given by uid is never its own match):
    /// near-duplicates within one vendor's repository show up beside the
    /// other vendors' rules.
    pub fn similar_any_vendor<'a>(
        &self,
        target: impl Into<SimilarTo<'a>>,
        limit: usize,
    ) -> Result<Vec<Similar>> {
        self.similar_among(target.into(), limit, true)
    }

    fn similar_among(
        &self,
        target: SimilarTo<'_>,
        limit: usize,
        own_vendor: bool,
    ) -> Result<Vec<Similar>> {
        let (own_id, vendor, mine) = match target {
            SimilarTo::Uid(uid) => {
                let (id, vendor): (i64, String) = self
                    .conn
                    .query_row(
                        "SELECT id, vendor FROM rules WHERE uid = ?1",
                        params![uid],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .map_err(|e| match e {
                        rusqlite::Error::QueryReturnedNoRows => {
                            crate::Error::UnknownRule(uid.to_owned())
                        }
                        e => e.into(),
                    })?;
                (Some(id), vendor, self.stored_rows(id)?)
            }
            SimilarTo::Rule(rule) => (
                None,
                rule.vendor.as_str().to_owned(),
                rule_predicates(rule)
                    .into_iter()
                    .filter(|p| {
                        p.polarity == Polarity::Pos && !CONTEXT_FIELDS.contains(&p.row_key.as_str())
                    })
                    .map(|p| {
                        (
                            p.field,
                            Indicator {
                                field: p.row_key,
                                op: p.op,
                                value: p.value,
                            },
                        )
                    })
                    .collect(),
            ),
        };
        // Each indicator with the fields it is written with (the index
        // finds candidates by field).
        let mine_set: BTreeSet<&Indicator> = mine.iter().map(|(_, i)| i).collect();
        if mine.is_empty() {
            return Ok(Vec::new());
        }
        // Candidates: rules of other vendors sharing at least one indicator.
        let mut shared: HashMap<i64, Vec<&Indicator>> = HashMap::new();
        {
            let mut st = self.conn.prepare_cached(
                "SELECT DISTINCT p.rule_id FROM predicates p JOIN rules r ON r.id = p.rule_id
                 WHERE p.field = ?1 AND p.op = ?2 AND p.value = ?3 AND p.polarity = 'pos'
                   AND p.row_key = ?4 AND (?6 OR r.vendor <> ?5)",
            )?;
            for (field, ind) in &mine {
                let ids = st.query_map(
                    params![field, ind.op, ind.value, ind.field, vendor, own_vendor],
                    |r| r.get::<_, i64>(0),
                )?;
                for id in ids {
                    let id = id?;
                    if Some(id) != own_id && !shared.get(&id).is_some_and(|v| v.contains(&ind)) {
                        shared.entry(id).or_default().push(ind);
                    }
                }
            }
        }
        let mut out = Vec::with_capacity(shared.len());
        for (id, common) in shared {
            let theirs = self.stored_indicators(id)?;
            let inter = common.len();
            let union = mine_set.len() + theirs.len() - inter;
            let (uid, vendor, title): (String, String, String) = self.conn.query_row(
                "SELECT uid, vendor, title FROM rules WHERE id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let mut common: Vec<Indicator> = common.into_iter().cloned().collect();
            common.sort();
            out.push(Similar {
                uid,
                vendor,
                title,
                score: inter as f64 / union.max(1) as f64,
                shared: common,
                indicators: theirs.len(),
            });
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.uid.cmp(&b.uid)));
        if limit > 0 {
            out.truncate(limit);
        }
        Ok(out)
    }

    /// (field, indicator) of each positive row of a stored rule.
    fn stored_rows(&self, rule_id: i64) -> Result<BTreeSet<(String, Indicator)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT field, row_key, op, value FROM predicates WHERE rule_id = ?1 AND polarity = 'pos'",
        )?;
        let rows = st.query_map(params![rule_id], |r| {
            Ok((
                r.get(0)?,
                Indicator {
                    field: r.get(1)?,
                    op: r.get(2)?,
                    value: r.get(3)?,
                },
            ))
        })?;
        let mut out = BTreeSet::new();
        for row in rows {
            let (field, ind) = row?;
            if !CONTEXT_FIELDS.contains(&ind.field.as_str()) {
                out.insert((field, ind));
            }
        }
        Ok(out)
    }

    /// The indicator set of a stored rule.
    fn stored_indicators(&self, rule_id: i64) -> Result<BTreeSet<Indicator>> {
        let mut st = self.conn.prepare_cached(
            "SELECT row_key, op, value FROM predicates WHERE rule_id = ?1 AND polarity = 'pos'",
        )?;
        let rows = st.query_map(params![rule_id], |r| {
            Ok(Indicator {
                field: r.get(0)?,
                op: r.get(1)?,
                value: r.get(2)?,
            })
        })?;
        let mut out = BTreeSet::new();
        for ind in rows {
            let ind = ind?;
            if !CONTEXT_FIELDS.contains(&ind.field.as_str()) {
                out.insert(ind);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use ruledex_model::{Expr, Field, Language, Logic, Op, Pred, Value, Vendor};

    use super::*;

    fn pred(raw: &str, canonical: &str, op: Op, v: &str) -> Expr {
        let mut f = Field::raw(raw);
        f.canonical = Some(canonical.into());
        Expr::Pred(Pred::new(f, op, vec![Value::from(v)]))
    }

    #[test]
    fn context_fields_and_exclusions_are_not_indicators() {
        let expr = Expr::and(vec![
            pred("host.os.type", "host.os.type", Op::Eq, "windows"),
            pred("event.type", "event.type", Op::Eq, "start"),
            pred("process.name", "process.name", Op::Eq, "whoami.exe"),
            Expr::not(pred("user.id", "user.id", Op::Eq, "S-1-5-18")),
        ]);
        let rule = Rule::new(Vendor::Elastic, "a", "a", Language::Kql, Logic::new(expr));
        let got: Vec<String> = rule_indicators(&rule)
            .into_iter()
            .map(|i| format!("{} {} {}", i.field, i.op, i.value))
            .collect();
        assert_eq!(got, vec!["process.name eq whoami.exe".to_owned()]);
    }
}

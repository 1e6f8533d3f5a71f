//! Coverage: how many rules detect each ATT&CK technique and tactic, from
//! which vendors and on which events, and the ATT&CK Navigator layer of it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use ruledex_model::Vendor;
use rusqlite::ToSql;
use serde::Serialize;
use serde_json::{Value, json};

use crate::Catalog;
use crate::error::Result;

/// Which rules to count.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoverageQuery {
    /// Only this vendor's rules.
    pub vendor: Option<Vendor>,
    /// Only rules for this platform.
    pub platform: Option<String>,
    /// Only rules that read this catalog event (`windows/process_creation`).
    pub event: Option<String>,
}

impl CoverageQuery {
    /// The SQL condition on `r` (a `rules` row) and its arguments.
    fn filter(&self) -> (String, Vec<Box<dyn ToSql>>) {
        let mut filter = String::new();
        let mut args: Vec<Box<dyn ToSql>> = Vec::new();
        if let Some(v) = self.vendor {
            filter.push_str(" AND r.vendor = ?");
            args.push(Box::new(v.as_str().to_owned()));
        }
        if let Some(p) = &self.platform {
            filter.push_str(" AND EXISTS (SELECT 1 FROM rule_platforms x WHERE x.rule_id = r.id AND x.platform = ?)");
            args.push(Box::new(p.to_lowercase()));
        }
        if let Some(e) = &self.event {
            filter.push_str(
                " AND EXISTS (SELECT 1 FROM rule_events x WHERE x.rule_id = r.id AND x.event = ?)",
            );
            args.push(Box::new(e.clone()));
        }
        (filter, args)
    }
}

/// Rules per technique for a matrix: each technique a rule is tagged with
/// counts the rule, and so does the parent of a sub-technique (once per rule).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TechniqueCounts {
    /// Rules matching the query (tagged with a technique or not).
    pub rules: usize,
    /// Technique id → rules, sub-techniques and parents alike.
    pub techniques: BTreeMap<String, usize>,
}

/// One technique's coverage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TechniqueCoverage {
    /// `T1046` or `T1059.001` (sub-techniques have their own row).
    pub id: String,
    /// Name, when the ATT&CK data knows the id.
    pub name: Option<String>,
    /// Tactic shortnames.
    pub tactics: Vec<String>,
    /// Rules tagged with it.
    pub rules: usize,
    /// Rules per vendor.
    pub vendors: BTreeMap<String, usize>,
    /// Catalog events of those rules, most rules first.
    pub events: Vec<String>,
    /// A sub-technique.
    pub is_subtechnique: bool,
}

/// One tactic's coverage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TacticCoverage {
    /// `TA0007`.
    pub id: String,
    /// `Discovery`.
    pub name: String,
    /// `discovery`.
    pub shortname: String,
    /// Techniques (and sub-techniques) of the tactic in the ATT&CK data.
    pub techniques_total: usize,
    /// Of which at least one rule covers.
    pub techniques_covered: usize,
    /// Rules tagged with a technique of the tactic.
    pub rules: usize,
    /// Rules per vendor.
    pub vendors: BTreeMap<String, usize>,
    /// The covered techniques, most rules first.
    pub techniques: Vec<TechniqueCoverage>,
}

/// Coverage of the catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// ATT&CK version of the catalog's data.
    pub attack_version: Option<String>,
    /// Filters applied.
    pub vendor: Option<String>,
    /// Filters applied.
    pub platform: Option<String>,
    /// The event filter, when given.
    pub event: Option<String>,
    /// Rules tagged with at least one technique.
    pub rules: usize,
    /// Distinct techniques covered.
    pub techniques_covered: usize,
    /// Per tactic, in matrix order.
    pub tactics: Vec<TacticCoverage>,
    /// Covered ids the ATT&CK data does not know (or knows without tactic).
    pub unknown: Vec<TechniqueCoverage>,
}

impl Catalog {
    /// Coverage by tactic and technique.
    pub fn coverage(&self, q: &CoverageQuery) -> Result<Coverage> {
        let conn = &self.conn;
        let (filter, args) = q.filter();
        let params: Vec<&dyn ToSql> = args.iter().map(AsRef::as_ref).collect();
        // technique -> vendor -> rule ids.
        let mut per: HashMap<String, BTreeMap<String, BTreeSet<i64>>> = HashMap::new();
        let sql = format!(
            "SELECT t.technique, r.vendor, r.id FROM rule_techniques t JOIN rules r ON r.id = t.rule_id WHERE 1 = 1{filter}"
        );
        let mut st = conn.prepare(&sql)?;
        let mut rows = st.query(params.as_slice())?;
        let mut all_rules = BTreeSet::new();
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(2)?;
            all_rules.insert(id);
            per.entry(r.get(0)?)
                .or_default()
                .entry(r.get(1)?)
                .or_default()
                .insert(id);
        }
        drop(rows);
        // technique -> event -> rules.
        let sql = format!(
            "SELECT t.technique, e.event, COUNT(*) FROM rule_techniques t JOIN rules r ON r.id = t.rule_id
             JOIN rule_events e ON e.rule_id = r.id WHERE 1 = 1{filter} GROUP BY t.technique, e.event"
        );
        let mut events: HashMap<String, Vec<(String, i64)>> = HashMap::new();
        let mut st = conn.prepare(&sql)?;
        let mut rows = st.query(params.as_slice())?;
        while let Some(r) = rows.next()? {
            events
                .entry(r.get(0)?)
                .or_default()
                .push((r.get(1)?, r.get(2)?));
        }
        drop(rows);
        let mut known: HashMap<String, (String, Vec<String>, bool)> = HashMap::new();
        let mut st = conn.prepare("SELECT id, name, tactics, parent FROM techniques")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let tactics: String = r.get(2)?;
            known.insert(
                r.get(0)?,
                (
                    r.get(1)?,
                    serde_json::from_str(&tactics).unwrap_or_default(),
                    r.get::<_, Option<String>>(3)?.is_some(),
                ),
            );
        }
        drop(rows);
        let mut totals: HashMap<String, usize> = HashMap::new();
        for (_, tactics, _) in known.values() {
            for t in tactics {
                *totals.entry(t.clone()).or_default() += 1;
            }
        }
        let make = |id: &str, vendors: &BTreeMap<String, BTreeSet<i64>>| {
            let k = known.get(id);
            let mut ev = events.get(id).cloned().unwrap_or_default();
            ev.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let rules: BTreeSet<i64> = vendors.values().flatten().copied().collect();
            TechniqueCoverage {
                id: id.to_owned(),
                name: k.map(|k| k.0.clone()),
                tactics: k.map(|k| k.1.clone()).unwrap_or_default(),
                rules: rules.len(),
                vendors: vendors.iter().map(|(v, s)| (v.clone(), s.len())).collect(),
                events: ev.into_iter().map(|e| e.0).collect(),
                is_subtechnique: k.map_or(id.contains('.'), |k| k.2),
            }
        };
        let mut tactics = Vec::new();
        let mut st = conn.prepare("SELECT id, name, shortname FROM tactics ORDER BY ord")?;
        let tactic_rows: Vec<(String, String, String)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut placed = BTreeSet::new();
        for (id, name, shortname) in tactic_rows {
            let mut techniques = Vec::new();
            let mut rules = BTreeSet::new();
            let mut vendors: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
            for (tid, by_vendor) in &per {
                let Some((_, tt, _)) = known.get(tid) else {
                    continue;
                };
                if !tt.contains(&shortname) {
                    continue;
                }
                placed.insert(tid.clone());
                for (v, ids) in by_vendor {
                    rules.extend(ids.iter().copied());
                    vendors
                        .entry(v.clone())
                        .or_default()
                        .extend(ids.iter().copied());
                }
                techniques.push(make(tid, by_vendor));
            }
            techniques.sort_by(|a, b| b.rules.cmp(&a.rules).then_with(|| a.id.cmp(&b.id)));
            tactics.push(TacticCoverage {
                id,
                name,
                techniques_total: totals.get(&shortname).copied().unwrap_or(0),
                shortname,
                techniques_covered: techniques.len(),
                rules: rules.len(),
                vendors: vendors.into_iter().map(|(v, s)| (v, s.len())).collect(),
                techniques,
            });
        }
        let mut unknown: Vec<TechniqueCoverage> = per
            .iter()
            .filter(|(id, _)| !placed.contains(*id))
            .map(|(id, v)| make(id, v))
            .collect();
        unknown.sort_by(|a, b| b.rules.cmp(&a.rules).then_with(|| a.id.cmp(&b.id)));
        let attack_version = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'attack_version'",
                [],
                |r| r.get(0),
            )
            .ok();
        Ok(Coverage {
            attack_version,
            vendor: q.vendor.map(|v| v.as_str().to_owned()),
            platform: q.platform.clone(),
            event: q.event.clone(),
            rules: all_rules.len(),
            techniques_covered: per.len(),
            tactics,
            unknown,
        })
    }
}

impl Catalog {
    /// Rules per technique under `q`'s filters, sub-techniques also counted
    /// under their parent (the numbers of an ATT&CK matrix cell).
    pub fn technique_counts(&self, q: &CoverageQuery) -> Result<TechniqueCounts> {
        let (filter, args) = q.filter();
        let params: Vec<&dyn ToSql> = args.iter().map(AsRef::as_ref).collect();
        let rules = self.conn.query_row(
            &format!("SELECT COUNT(*) FROM rules r WHERE 1 = 1{filter}"),
            params.as_slice(),
            |r| r.get::<_, i64>(0),
        )?;
        // A top-level technique's rows carry it as their own parent, so the
        // parent column counts a technique with its sub-techniques; a
        // sub-technique counts its own rows. The filter selects rule ids once
        // (joining each row to the wide `rules` rows costs more than the count).
        let only = if filter.is_empty() {
            String::new()
        } else {
            format!(" AND t.rule_id IN (SELECT r.id FROM rules r WHERE 1 = 1{filter})")
        };
        let mut techniques = BTreeMap::new();
        for sql in [
            format!(
                "SELECT t.parent, COUNT(DISTINCT t.rule_id) FROM rule_techniques t
                 WHERE 1 = 1{only} GROUP BY t.parent"
            ),
            format!(
                "SELECT t.technique, COUNT(*) FROM rule_techniques t
                 WHERE t.technique <> t.parent{only} GROUP BY t.technique"
            ),
        ] {
            let mut st = self.conn.prepare(&sql)?;
            let rows = st.query_map(params.as_slice(), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as usize))
            })?;
            for row in rows {
                let (id, n) = row?;
                techniques.insert(id, n);
            }
        }
        Ok(TechniqueCounts {
            rules: rules.max(0) as usize,
            techniques,
        })
    }
}

impl Coverage {
    /// The coverage as an ATT&CK Navigator layer (layer format 4.5, Navigator
    /// 5.x, domain `enterprise-attack`): one entry per (technique, tactic)
    /// with score = rules and a comment naming the vendors.
    pub fn navigator_layer(&self, name: &str) -> Value {
        let mut techniques = Vec::new();
        let mut max = 1;
        for tactic in &self.tactics {
            for t in &tactic.techniques {
                max = max.max(t.rules);
                let vendors: Vec<String> =
                    t.vendors.iter().map(|(v, n)| format!("{v} {n}")).collect();
                techniques.push(json!({
                    "techniqueID": t.id,
                    "tactic": tactic.shortname,
                    "score": t.rules,
                    "comment": format!("{} rules: {}", t.rules, vendors.join(", ")),
                    "enabled": true,
                    "showSubtechniques": false,
                }));
            }
        }
        let attack = self.attack_version.clone().unwrap_or_else(|| "18".into());
        let attack_major = attack.split('.').next().unwrap_or("18").to_owned();
        let mut description = String::from("Rules per technique in the ruledex catalog");
        if let Some(v) = &self.vendor {
            let _ = write!(description, ", vendor {v}");
        }
        if let Some(p) = &self.platform {
            let _ = write!(description, ", platform {p}");
        }
        if let Some(e) = &self.event {
            let _ = write!(description, ", event {e}");
        }
        json!({
            "name": name,
            "versions": {"attack": attack_major, "navigator": "5.1.0", "layer": "4.5"},
            "domain": "enterprise-attack",
            "description": description,
            "sorting": 3,
            "layout": {"layout": "side", "aggregateFunction": "average", "showID": true, "showName": true, "showAggregateScores": false, "countUnscored": false, "expandedSubtechniques": "annotated"},
            "hideDisabled": false,
            "techniques": techniques,
            "gradient": {"colors": ["#ffffff", "#66b1ff", "#0d4a8f"], "minValue": 0, "maxValue": max},
            "legendItems": [
                {"label": "no rule", "color": "#ffffff"},
                {"label": format!("{max} rules"), "color": "#0d4a8f"}
            ],
            "metadata": [],
            "links": [],
            "showTacticRowBackground": false,
            "tacticRowBackground": "#dddddd",
            "selectTechniquesAcrossTactics": true,
            "selectSubtechniquesWithParent": false,
            "selectVisibleTechniques": false
        })
    }
}

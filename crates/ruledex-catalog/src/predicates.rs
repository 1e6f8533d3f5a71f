//! A rule's normalized predicates: the rows of the `predicates` table.
//!
//! Each field test of a rule becomes one or more (field, op, value)
//! *indicators* ([`ruledex_taxonomy::values::indicators`]: one per value,
//! values normalized, a path match also yielding its basename), each tagged
//! with its [`Polarity`]:
//!
//! - `pos`: something the rule looks for;
//! - `excl`: inside a rule-level exclusion ([`ruledex_model::exclusion`]);
//! - `excl_branch`: inside an exclusion scoped to one branch of an `or`;
//! - `neg`: negated, but not an exclusion (`a or not b`, a sequence's `until`).
//!
//! The *row key* is the authoring guide's row: a path field and its basename
//! field share one (`process.executable` and `process.name` both have row key
//! `process.name`, from [`ruledex_taxonomy::fields::CanonicalField::basename`]),
//! so Sigma's `Image`, Elastic's `process.name` and Splunk's `process_name`
//! land in the same row. Rows are unique per rule, so set operations over
//! them (near-duplicates, Jaccard similarity) need no further work.

use std::collections::HashSet;

use ruledex_model::{AggregationKind, Expr, Field, Pred, Rule};
use ruledex_taxonomy::fields::{CanonicalField, Fields};
use ruledex_taxonomy::values::indicators;
use serde::Serialize;

/// The pseudo-field of field-less keyword searches.
pub const KEYWORD_FIELD: &str = "(keyword)";

/// How a predicate takes part in its rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    /// Something the rule looks for.
    Pos,
    /// A rule-level exclusion.
    Excl,
    /// An exclusion scoped to one branch of a disjunction.
    ExclBranch,
    /// Negated, but not an exclusion.
    Neg,
}

impl Polarity {
    /// The stable name stored in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Polarity::Pos => "pos",
            Polarity::Excl => "excl",
            Polarity::ExclBranch => "excl_branch",
            Polarity::Neg => "neg",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Polarity> {
        Some(match s {
            "pos" => Polarity::Pos,
            "excl" => Polarity::Excl,
            "excl_branch" => Polarity::ExclBranch,
            "neg" => Polarity::Neg,
            _ => return None,
        })
    }

    /// Whether this is an exclusion of either scope.
    pub fn is_exclusion(self) -> bool {
        matches!(self, Polarity::Excl | Polarity::ExclBranch)
    }
}

/// One normalized predicate row.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct PredicateRow {
    /// Canonical field (or the raw name when unresolved).
    pub field: String,
    /// The authoring-guide row this field belongs to.
    pub row_key: String,
    /// The field as the rule wrote it.
    pub raw_field: String,
    /// The operator (snake_case, never `in`).
    pub op: String,
    /// The normalized value (empty for `exists`-style tests).
    pub value: String,
    /// How the predicate takes part in the rule.
    pub polarity: Polarity,
    /// A basename indicator derived from a path match, not written by the author.
    pub derived: bool,
}

/// The authoring-guide row of a canonical field: its basename field when it
/// has one, else itself.
pub fn row_key(fields: &Fields, field: &str) -> String {
    fields
        .canonical(field)
        .and_then(CanonicalField::basename)
        .unwrap_or(field)
        .to_owned()
}

/// Every normalized predicate of `rule`, unique, in rule order.
pub fn rule_predicates(rule: &Rule) -> Vec<PredicateRow> {
    let fields = Fields::global();
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut exprs: Vec<(&Expr, bool)> = vec![(&rule.logic.expr, false)];
    if let Some(agg) = &rule.logic.aggregation {
        if let AggregationKind::Sequence { steps, until } = &agg.kind {
            exprs.extend(steps.iter().map(|s| (&s.expr, false)));
            if let Some(u) = until {
                exprs.push((u, true));
            }
        }
        for m in &agg.metrics {
            if let Some(f) = &m.filter {
                exprs.push((f, false));
            }
        }
    }
    for (expr, negated) in exprs {
        for (pred, polarity) in classify(expr) {
            let polarity = if negated { Polarity::Neg } else { polarity };
            for ind in indicators(&pred, true) {
                let derived = ind.field != pred.field.name();
                let row = PredicateRow {
                    row_key: row_key(fields, &ind.field),
                    field: ind.field,
                    raw_field: pred.field.raw.clone(),
                    op: ind.op.as_str().to_owned(),
                    value: ind.value,
                    polarity,
                    derived,
                };
                if seen.insert((
                    row.field.clone(),
                    row.op.clone(),
                    row.value.clone(),
                    polarity,
                )) {
                    out.push(row);
                }
            }
        }
    }
    out
}

/// Every predicate (keywords as predicates on [`KEYWORD_FIELD`]) of `expr`
/// with its polarity.
fn classify(expr: &Expr) -> Vec<(Pred, Polarity)> {
    let logic = ruledex_model::Logic::new(expr.clone());
    // Leaves inside exclusions, with their scope; consumed as they are matched.
    let mut excluded: Vec<(Expr, Polarity)> = Vec::new();
    for ex in logic.exclusions() {
        let p = if ex.scope.is_rule() {
            Polarity::Excl
        } else {
            Polarity::ExclBranch
        };
        ex.expr.visit(&mut |e| {
            if matches!(e, Expr::Pred(_) | Expr::Keyword(_)) {
                excluded.push((e.clone(), p));
            }
        });
    }
    let mut out = Vec::new();
    walk(expr, false, &mut excluded, &mut out);
    out
}

fn walk(
    e: &Expr,
    negated: bool,
    excluded: &mut Vec<(Expr, Polarity)>,
    out: &mut Vec<(Pred, Polarity)>,
) {
    match e {
        Expr::And(c) | Expr::Or(c) => c.iter().for_each(|x| walk(x, negated, excluded, out)),
        Expr::Not(c) => walk(c, !negated, excluded, out),
        Expr::Pred(_) | Expr::Keyword(_) => {
            let polarity = match excluded.iter().position(|(x, _)| x == e) {
                Some(i) => excluded.swap_remove(i).1,
                None if negated => Polarity::Neg,
                None => Polarity::Pos,
            };
            let pred = match e {
                Expr::Pred(p) => p.clone(),
                Expr::Keyword(k) => {
                    let mut p = Pred::new(Field::raw(KEYWORD_FIELD), k.op, k.values.clone());
                    p.case_sensitive = k.case_sensitive;
                    p
                }
                _ => unreachable!("matched above"),
            };
            out.push((pred, polarity));
        }
        Expr::Opaque(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use ruledex_model::{Language, Logic, Op, Value, Vendor};

    use super::*;

    fn pred(raw: &str, canonical: &str, op: Op, v: &str) -> Expr {
        let mut f = Field::raw(raw);
        f.canonical = Some(canonical.into());
        Expr::Pred(Pred::new(f, op, vec![Value::from(v)]))
    }

    #[test]
    fn path_match_shares_a_row_with_its_basename() {
        let expr = Expr::and(vec![
            pred("Image", "process.executable", Op::EndsWith, "\\NMAP.exe"),
            Expr::not(pred(
                "CommandLine",
                "process.command_line",
                Op::Contains,
                " -l ",
            )),
        ]);
        let rule = Rule::new(Vendor::Sigma, "a", "a", Language::Sigma, Logic::new(expr));
        let rows = rule_predicates(&rule);
        let keys: Vec<(&str, &str, &str, Polarity, bool)> = rows
            .iter()
            .map(|r| {
                (
                    r.field.as_str(),
                    r.row_key.as_str(),
                    r.value.as_str(),
                    r.polarity,
                    r.derived,
                )
            })
            .collect();
        assert_eq!(
            keys,
            vec![
                (
                    "process.executable",
                    "process.name",
                    "\\nmap.exe",
                    Polarity::Pos,
                    false
                ),
                (
                    "process.name",
                    "process.name",
                    "nmap.exe",
                    Polarity::Pos,
                    true
                ),
                (
                    "process.command_line",
                    "process.command_line",
                    " -l ",
                    Polarity::Excl,
                    false
                ),
            ]
        );
    }

    #[test]
    fn branch_scoped_and_plain_negations_are_told_apart() {
        // (netcat and not listen) or (scanner or not other)
        let expr = Expr::or(vec![
            Expr::and(vec![
                pred("Image", "process.executable", Op::EndsWith, "/nc"),
                Expr::not(pred(
                    "CommandLine",
                    "process.command_line",
                    Op::Contains,
                    "-l",
                )),
            ]),
            pred("Image", "process.executable", Op::EndsWith, "/nmap"),
            Expr::not(pred("User", "user.name", Op::Eq, "root")),
        ]);
        let rule = Rule::new(Vendor::Sigma, "a", "a", Language::Sigma, Logic::new(expr));
        let rows = rule_predicates(&rule);
        let pol = |v: &str| rows.iter().find(|r| r.value == v).map(|r| r.polarity);
        assert_eq!(pol("-l"), Some(Polarity::ExclBranch));
        assert_eq!(pol("root"), Some(Polarity::Neg));
        assert_eq!(pol("/nmap"), Some(Polarity::Pos));
    }
}

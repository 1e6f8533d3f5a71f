//! A rule's exclusions: what its authors filter out.
//!
//! **Definition.** The logic is first put in negation normal form *at the top
//! level only*: `not (a or b)` directly under a conjunction becomes `not a and
//! not b` (De Morgan), so each filter of `selection and not 1 of filter_*`
//! counts as its own exclusion. Then:
//!
//! - every `Not` directly under the top-level `And` (or the top-level `Not`
//!   itself) is an exclusion with scope [`ExclusionScope::Rule`];
//! - a `Not` under an `And` that is itself a branch of an `Or` (at any depth)
//!   is a *scoped* exclusion ([`ExclusionScope::Branch`]): it only removes
//!   events from that branch. Sigma's
//!   `(selection_netcat and not filter_listen) or selection_scanners` has one
//!   scoped exclusion, `filter_listen`, which applies to `selection_netcat` only.
//! - a `Not` directly under an `Or` (`a or not b`) is an alternative, not an
//!   exclusion, and is not reported.
//!
//! Catalog statistics count rule-scoped exclusions by default and show scoped
//! ones marked as such.

use serde::Serialize;

use crate::expr::Expr;
use crate::rule::Logic;

/// Where an exclusion applies.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "scope")]
pub enum ExclusionScope {
    /// It removes events from everything the rule matches.
    Rule,
    /// It removes events from one branch of a disjunction only.
    Branch {
        /// Child indices from the root to the `And` node the exclusion sits in.
        path: Vec<usize>,
        /// The positive conditions of that branch (its non-negated siblings),
        /// that is, what the exclusion is scoped to.
        scoped_to: Vec<Expr>,
    },
}

impl ExclusionScope {
    /// Whether the exclusion applies to the whole rule.
    pub fn is_rule(&self) -> bool {
        matches!(self, ExclusionScope::Rule)
    }
}

/// One excluded condition.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Exclusion {
    /// The condition that is excluded (the inside of the `Not`).
    pub expr: Expr,
    /// Where it applies.
    #[serde(flatten)]
    pub scope: ExclusionScope,
}

impl Logic {
    /// The rule's exclusions; see the [module documentation](self) for the definition.
    pub fn exclusions(&self) -> Vec<Exclusion> {
        let mut out = Vec::new();
        match &self.expr {
            Expr::Not(inner) => push_negated(inner, &ExclusionScope::Rule, &mut out),
            Expr::And(children) => {
                for (i, c) in children.iter().enumerate() {
                    match c {
                        Expr::Not(inner) => push_negated(inner, &ExclusionScope::Rule, &mut out),
                        other => scoped(other, &mut vec![i], false, &mut out),
                    }
                }
            }
            other => scoped(other, &mut vec![], false, &mut out),
        }
        out
    }
}

/// Push `not inner` as exclusions, splitting `not (a or b)` into `not a`, `not b`.
fn push_negated(inner: &Expr, scope: &ExclusionScope, out: &mut Vec<Exclusion>) {
    match inner {
        Expr::Or(children) => {
            for c in children {
                push_negated(c, scope, out);
            }
        }
        other => out.push(Exclusion {
            expr: other.clone(),
            scope: scope.clone(),
        }),
    }
}

/// Look for scoped exclusions below `e`, at `path`. `under_or` says whether an
/// `Or` has been passed on the way down (only then is an exclusion scoped).
fn scoped(e: &Expr, path: &mut Vec<usize>, under_or: bool, out: &mut Vec<Exclusion>) {
    match e {
        Expr::Or(children) => {
            for (i, c) in children.iter().enumerate() {
                path.push(i);
                scoped(c, path, true, out);
                path.pop();
            }
        }
        Expr::And(children) => {
            if under_or {
                let positives: Vec<Expr> = children
                    .iter()
                    .filter(|c| !matches!(c, Expr::Not(_)))
                    .cloned()
                    .collect();
                let scope = ExclusionScope::Branch {
                    path: path.clone(),
                    scoped_to: positives,
                };
                for c in children {
                    if let Expr::Not(inner) = c {
                        push_negated(inner, &scope, out);
                    }
                }
            }
            for (i, c) in children.iter().enumerate() {
                if !matches!(c, Expr::Not(_)) {
                    path.push(i);
                    scoped(c, path, under_or, out);
                    path.pop();
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{Field, Op, Pred};

    fn p(name: &str) -> Expr {
        Expr::Pred(Pred::new(Field::raw(name), Op::Eq, vec!["x".into()]))
    }

    fn names(ex: &[Exclusion]) -> Vec<String> {
        ex.iter().map(|e| e.expr.to_string()).collect()
    }

    #[test]
    fn top_level_nots_are_rule_exclusions() {
        let l = Logic::new(Expr::and(vec![
            p("sel"),
            Expr::not(p("f1")),
            Expr::not(p("f2")),
        ]));
        let ex = l.exclusions();
        assert_eq!(names(&ex), vec![r#"f1 eq "x""#, r#"f2 eq "x""#]);
        assert!(ex.iter().all(|e| e.scope.is_rule()));
    }

    #[test]
    fn not_of_or_splits_by_de_morgan() {
        let l = Logic::new(Expr::and(vec![
            p("sel"),
            Expr::not(Expr::or(vec![p("f1"), p("f2")])),
        ]));
        assert_eq!(names(&l.exclusions()), vec![r#"f1 eq "x""#, r#"f2 eq "x""#]);
    }

    #[test]
    fn not_of_and_stays_one_exclusion() {
        let l = Logic::new(Expr::and(vec![
            p("sel"),
            Expr::not(Expr::and(vec![p("f1"), p("f2")])),
        ]));
        assert_eq!(names(&l.exclusions()), vec![r#"f1 eq "x" and f2 eq "x""#]);
    }

    #[test]
    fn not_inside_or_branch_is_scoped() {
        // (netcat and not listen) or scanners
        let l = Logic::new(Expr::or(vec![
            Expr::and(vec![p("netcat"), Expr::not(p("listen"))]),
            p("scanners"),
        ]));
        let ex = l.exclusions();
        assert_eq!(names(&ex), vec![r#"listen eq "x""#]);
        assert_eq!(
            ex[0].scope,
            ExclusionScope::Branch {
                path: vec![0],
                scoped_to: vec![p("netcat")]
            }
        );
    }

    #[test]
    fn not_directly_under_or_is_not_an_exclusion() {
        let l = Logic::new(Expr::or(vec![p("a"), Expr::not(p("b"))]));
        assert!(l.exclusions().is_empty());
    }

    #[test]
    fn lone_top_level_not_is_an_exclusion() {
        let l = Logic::new(Expr::not(p("a")));
        assert_eq!(names(&l.exclusions()), vec![r#"a eq "x""#]);
    }

    #[test]
    fn nested_scoped_exclusion_keeps_path() {
        // sel and ((a and not b) or c): b is scoped to a, at path [1, 0]
        let l = Logic::new(Expr::and(vec![
            p("sel"),
            Expr::or(vec![Expr::and(vec![p("a"), Expr::not(p("b"))]), p("c")]),
        ]));
        let ex = l.exclusions();
        assert_eq!(names(&ex), vec![r#"b eq "x""#]);
        match &ex[0].scope {
            ExclusionScope::Branch { path, .. } => assert_eq!(path, &vec![1, 0]),
            ExclusionScope::Rule => panic!("expected scoped"),
        }
    }
}

//! Lowering an ES|QL query into the model: the only place that knows how
//! ES|QL maps onto [`Expr`] and [`Aggregation`]. The rules are on [`lower`].

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use ruledex_diag::Span;
use ruledex_model::{
    Aggregation, AggregationKind, Comparison, Expr, Field, Op, Pred, RegexFlags, Value, Window,
};

use super::ast::{self, CmpOp, CommandKind, ExprKind, Literal, Query, Source};
use super::pattern;
use crate::lowered::Lowered;

/// Fields whose positive equalities are passed on as [`Lowered::hints`].
const HINT_FIELDS: &[&str] = &[
    "event.category",
    "event.type",
    "event.action",
    "event.dataset",
    "event.code",
    "host.os.type",
];

/// Functions that convert a value without changing which value it is, for
/// the purpose of a comparison.
const CASTS: &[&str] = &[
    "TO_STRING",
    "TO_KEYWORD",
    "TO_TEXT",
    "TO_IP",
    "TO_LONG",
    "TO_INTEGER",
    "TO_INT",
    "TO_DOUBLE",
    "TO_DBL",
    "TO_UNSIGNED_LONG",
    "TO_VERSION",
    "TO_BOOLEAN",
    "TO_BOOL",
    "TO_DATETIME",
    "TO_DT",
];

/// Most `CASE` branches traced; a longer `CASE` is opaque to filters.
const MAX_CASE_BRANCHES: usize = 64;

/// Most `COALESCE` arguments traced.
const MAX_COALESCE: usize = 16;

/// Most model nodes that tracing `EVAL` conditions may copy for one query, so
/// that chains of columns defined from each other stay linear.
const INLINE_BUDGET: usize = 100_000;

/// Functions whose result is null exactly when an argument is.
const NULL_PROPAGATING: &[&str] = &[
    "TO_LOWER",
    "TO_UPPER",
    "TO_STRING",
    "TRIM",
    "LTRIM",
    "RTRIM",
    "REPLACE",
    "LENGTH",
    "BIT_LENGTH",
    "BYTE_LENGTH",
    "SUBSTRING",
    "LEFT",
    "RIGHT",
    "REVERSE",
    "CONCAT",
    "SPLIT",
    "LOCATE",
    "MV_CONCAT",
    "MV_FIRST",
    "MV_LAST",
    "MV_MIN",
    "MV_MAX",
    "MV_DEDUPE",
    "MV_SORT",
    "MV_COUNT",
];

/// The reasons of the opaque nodes lowering makes (some get the function or
/// command named after them, in parentheses).
pub mod reason {
    /// A `WHERE` on a column an `EVAL` computed otherwise than from fields.
    pub const EVAL_COMPUTED: &str = "WHERE on a column computed by EVAL";
    /// A `WHERE` on a column `GROK`, `DISSECT`, `COMPLETION` or `ENRICH` wrote.
    pub const EXTRACTED: &str = "WHERE on a column extracted by";
    /// A comparison of a function result (`LENGTH(x) > 5`).
    pub const FUNCTION_RESULT: &str = "comparison on a function result";
    /// A comparison with something that is not a literal (`a > NOW() - 1 hour`).
    pub const NON_LITERAL: &str = "comparison with a computed value";
    /// A boolean function with no model equivalent.
    pub const FUNCTION: &str = "boolean function";
    /// A `WHERE` on an `INLINE STATS` aggregate.
    pub const INLINE_STATS: &str = "WHERE on an INLINE STATS aggregate";
    /// A post-`STATS` filter on an aggregate other than a count.
    pub const AGGREGATE: &str = "post-STATS filter on an aggregate";
    /// A post-`STATS` filter on a column an `EVAL` computed from aggregates.
    pub const FROM_AGGREGATES: &str = "post-STATS filter on a column computed from aggregates";
    /// A post-`STATS` filter that compares aggregates with each other or joins
    /// them with `OR`/`NOT`.
    pub const MIXED: &str = "post-STATS filter that combines aggregates";
    /// A `WHERE` on an aggregate of a second `STATS`.
    pub const NESTED_STATS: &str = "WHERE on an aggregate of a second STATS";
    /// A post-`STATS` comparison on a count beside the one the aggregation holds.
    pub const EXTRA_AGGREGATE: &str = "post-STATS comparison on a second count";
    /// A threshold on a filtered count that cannot join the event condition.
    pub const FILTERED_AGGREGATE: &str = "threshold on a filtered count";
    /// A `KQL()` query string the KQL front-end could not read.
    pub const KQL: &str = "KQL() query not lowered";
    /// Full-text search: `MATCH`, `QSTR`, `:`.
    pub const FULL_TEXT: &str = "full-text search";
    /// A filter after `LOOKUP JOIN` (its columns may come from another index).
    pub const LOOKUP: &str = "WHERE after LOOKUP JOIN";
    /// Conditions traced through `EVAL` columns past the size budget.
    pub const TOO_LARGE: &str = "condition too large to trace through EVAL";
}

/// A source field a column reads, case-folded by `TO_LOWER`/`TO_UPPER` when `fold`.
#[derive(Clone, Debug, PartialEq)]
struct Src {
    name: String,
    fold: bool,
}

/// What a `CASE` branch gives.
#[derive(Clone, Debug)]
enum CaseValue {
    Lit(Literal),
    Col(Vec<Src>),
    Other,
}

/// What a column holds, as far as filters on it are concerned.
#[derive(Clone, Debug)]
enum Def {
    /// The first non-null of these source fields (one, unless `COALESCE`).
    Fields(Vec<Src>),
    /// A boolean, already lowered.
    Bool(Rc<Expr>),
    /// `CASE(c1, v1, …, default)`; conditions lowered.
    Case {
        branches: Rc<Vec<(Expr, CaseValue)>>,
        default: CaseValue,
    },
    /// `COALESCE` of columns that are not all plain fields.
    Coalesce(Vec<Def>),
    /// `DATE_TRUNC(span, @timestamp)`: a time bucket of this span.
    Bucket(String),
    /// Computed otherwise; named by the function or operation. `null_iff`:
    /// source fields such that the value is null exactly when one of them is.
    Computed {
        what: String,
        from_aggs: bool,
        null_iff: Option<Vec<Src>>,
    },
    /// Written by a command (`GROK`, …).
    Extracted(&'static str),
    /// An aggregate.
    Agg(AggDef),
}

#[derive(Clone, Debug)]
struct AggDef {
    kind: AggKind,
    /// Only events matching this are counted (shared: every comparison on
    /// the column holds a copy of its definition).
    filter: Option<Rc<Expr>>,
    /// From `INLINE STATS`.
    inline: bool,
    /// From a second (or later) `STATS`.
    nested: bool,
}

#[derive(Clone, Debug)]
enum AggKind {
    /// A count of events.
    Count,
    /// `MAX` of a 0/1 flag: whether any event matches (compared with 1 only).
    Exists,
    /// `COUNT_DISTINCT(field)`.
    CountDistinct(String),
    /// Any other aggregate, by name.
    Other(String),
}

/// A post-`STATS` comparison of a counting aggregate with a number.
struct Threshold {
    column: String,
    def: AggDef,
    op: Op,
    value: f64,
    span: Span,
    text: String,
}

struct Lowerer {
    env: HashMap<String, Def>,
    /// Nodes that tracing through `EVAL` columns may still copy.
    budget: Cell<usize>,
    conds: Vec<Expr>,
    /// Non-inline `STATS` seen so far.
    stats: usize,
    group_by: Vec<Field>,
    window: Option<Window>,
    thresholds: Vec<Threshold>,
    joined: bool,
}

/// Lower a parsed query.
///
/// The pipeline is walked in order, keeping track of what each column holds:
///
/// - `FROM` patterns become [`Lowered::indices`];
/// - every `WHERE` before the first `STATS` is a condition on each event; the
///   top-level conjuncts of all of them are ANDed into [`Lowered::expr`];
/// - `EVAL` definitions are remembered, so that a later `WHERE` on the column
///   is traced back: a source field, `TO_LOWER`/`TO_UPPER` of one (the
///   predicate then ignores case), a cast of one (`TO_STRING`, `::ip`, …) or
///   `COALESCE` of several (the first non-null one is tested) is a condition
///   on those fields; a boolean expression is that expression; a `CASE` whose
///   results are literals is the disjunction of the branches giving a matching
///   value (each branch ANDed with the negation of the earlier conditions).
///   Anything else is [`Expr::Opaque`], with the function named in the reason;
/// - columns written by `GROK`, `DISSECT`, `COMPLETION` and `ENRICH` are opaque
///   to filters; `RENAME` carries definitions over; `KEEP`, `DROP`, `SORT`,
///   `LIMIT`, `SAMPLE` and `MV_EXPAND` do not change which events match;
/// - after `STATS … BY keys`, a `WHERE` on the keys is still a condition on the
///   events (filtering groups by key is filtering events by key). Comparisons
///   of counting aggregates with numbers become [`Lowered::aggregation`], grouped
///   by the keys: `COUNT(*)` gives [`AggregationKind::Threshold`] (a
///   `COUNT_DISTINCT(f) >= n` beside it is its cardinality), `COUNT_DISTINCT(f)`
///   alone gives [`AggregationKind::ValueCount`]. Filtered counts —
///   `COUNT(*) WHERE c`, `SUM` of a 0/1 `CASE(c, 1, 0)` flag, `MAX` of one
///   compared with 1 — are counts of the events matching `c`; when such a
///   count is the only one compared and a group of zero events cannot pass, `c`
///   joins the event condition. A `DATE_TRUNC(span, @timestamp)` or
///   `BUCKET(@timestamp, span)` key is the window. Other filters on aggregates
///   (sums, maxima, ratios, comparisons of two aggregates, `OR`s of them, those
///   after a second `STATS` or on `INLINE STATS` columns) are opaque.
///
/// Predicates: `==` compares case-sensitively (ES|QL compares keywords
/// exactly) unless the field is wrapped in `TO_LOWER`/`TO_UPPER` or the
/// operator is `=~`; `!=` is `not eq`; `LIKE` and `RLIKE` reduce as the module
/// documentation of [`crate::esql`] says; `NOT x` is `Expr::not`; `STARTS_WITH`, `ENDS_WITH`,
/// `CONTAINS`, `CIDR_MATCH`, `MV_CONTAINS`, `IS [NOT] NULL` and `IN` map to
/// `starts_with`, `ends_with`, `contains`, `cidr`, `eq`, `is_null`/`is_not_null`
/// and `in`. A comparison of two fields is `field_ref`. A query with no
/// filter lowers to an empty `and` (every event). `KQL("…")` is handed
/// to the KQL front-end, and its predicates get spans in this query.
pub fn lower(query: &Query) -> Lowered {
    let mut cx = Lowerer {
        env: HashMap::new(),
        budget: Cell::new(INLINE_BUDGET),
        conds: Vec::new(),
        stats: 0,
        group_by: Vec::new(),
        window: None,
        thresholds: Vec::new(),
        joined: false,
    };
    let indices = match &query.source {
        Source::From { indices, .. } => indices.clone(),
        Source::Row { fields, .. } => {
            cx.eval(fields);
            Vec::new()
        }
        Source::Show { .. } => Vec::new(),
    };
    for cmd in &query.commands {
        cx.command(&cmd.kind);
    }
    cx.finish(indices)
}

fn field_pred(name: &str, op: Op, values: Vec<Value>, cased: bool, span: Span) -> Expr {
    let mut p = Pred::new(Field::raw(name), op, values).with_span(span);
    p.case_sensitive = cased;
    Expr::Pred(p)
}

fn opaque(reason: impl Into<String>, e: &ast::Expr) -> Expr {
    Expr::opaque(reason, e.to_string(), Some(e.span()))
}

fn literal_value(l: &Literal) -> Option<Value> {
    Some(match l {
        Literal::Null => Value::Null,
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Int(i) => Value::Int(*i),
        Literal::Float(x) => Value::Float(*x),
        Literal::Str(s) => Value::Str(s.clone()),
        Literal::Duration { .. } | Literal::Array(_) => return None,
    })
}

fn expr_literal(e: &ast::Expr) -> Option<&Literal> {
    match &e.kind {
        ExprKind::Lit(l) => Some(l),
        _ => None,
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Lte => CmpOp::Gte,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Gte => CmpOp::Lte,
        other => other,
    }
}

fn cmp_model_op(op: CmpOp) -> Op {
    match op {
        CmpOp::Eq | CmpOp::CiEq | CmpOp::Neq => Op::Eq,
        CmpOp::Lt => Op::Lt,
        CmpOp::Lte => Op::Lte,
        CmpOp::Gt => Op::Gt,
        CmpOp::Gte => Op::Gte,
    }
}

/// Whether `a op b` holds for two literals; `None` when they do not compare.
/// A comparison with null is never true, as in ES|QL.
fn literal_cmp(a: &Literal, op: CmpOp, b: &Literal) -> Option<bool> {
    use std::cmp::Ordering;
    let ord = match (a, b) {
        (Literal::Null, _) | (_, Literal::Null) => return Some(false),
        (Literal::Str(x), Literal::Str(y)) if op == CmpOp::CiEq => {
            return Some(x.to_lowercase() == y.to_lowercase());
        }
        (Literal::Str(x), Literal::Str(y)) => x.cmp(y),
        (Literal::Bool(x), Literal::Bool(y)) => x.cmp(y),
        _ => {
            let x = literal_value(a)?.as_f64()?;
            let y = literal_value(b)?.as_f64()?;
            x.partial_cmp(&y)?
        }
    };
    Some(match op {
        CmpOp::Eq | CmpOp::CiEq => ord == Ordering::Equal,
        CmpOp::Neq => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Lte => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Gte => ord != Ordering::Less,
    })
}

/// Whether a literal counts as 1 (`Some(true)`) or 0/null (`Some(false)`) in a flag.
fn flag_value(l: &Literal) -> Option<bool> {
    match l {
        Literal::Null | Literal::Bool(false) => Some(false),
        Literal::Bool(true) => Some(true),
        Literal::Int(0) => Some(false),
        Literal::Int(1) => Some(true),
        Literal::Float(x) if x.abs() < f64::EPSILON => Some(false),
        Literal::Float(x) if (x - 1.0).abs() < f64::EPSILON => Some(true),
        _ => None,
    }
}

/// A short name for what an expression computes, for reasons.
fn what(e: &ast::Expr) -> String {
    match &e.kind {
        ExprKind::Call(c) => c.name.clone(),
        ExprKind::Lit(_) => "a constant".into(),
        ExprKind::Arith { .. } | ExprKind::Neg(_) => "arithmetic".into(),
        ExprKind::Cast { expr, .. } => what(expr),
        ExprKind::Field(_) | ExprKind::Param(_) => "a column".into(),
        _ => "a condition".into(),
    }
}

/// The column names `%{…}` of a grok or dissect pattern.
fn pattern_columns(pattern: &str, grok: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(i) = rest.find("%{") {
        rest = &rest[i + 2..];
        let Some(end) = rest.find('}') else { break };
        let inner = &rest[..end];
        rest = &rest[end + 1..];
        let name = if grok {
            // %{SYNTAX:name} or %{SYNTAX:name:type}
            inner.split(':').nth(1)
        } else {
            // %{name}, %{+name}, %{?name}, %{&name}, %{*name}, %{name->}, %{+name/1}
            inner
                .trim_start_matches(['+', '?', '&', '*'])
                .trim_end_matches("->")
                .split('/')
                .next()
        };
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            out.push(n.to_owned());
        }
    }
    out
}

/// `p(first)`, `p(second) if the first is null`, … for a `COALESCE` subject.
fn over(subject: &[Src], span: Span, mut p: impl FnMut(&Src) -> Expr) -> Expr {
    let mut alts = Vec::with_capacity(subject.len());
    for (i, s) in subject.iter().enumerate() {
        let mut all: Vec<Expr> = subject[..i]
            .iter()
            .map(|earlier| field_pred(&earlier.name, Op::IsNull, Vec::new(), false, span))
            .collect();
        all.push(p(s));
        alts.push(Expr::and(all));
    }
    Expr::or(alts)
}

/// The condition that always holds (an empty `and`).
fn always() -> Expr {
    Expr::And(Vec::new())
}

/// The condition that never holds (an empty `or`).
fn never() -> Expr {
    Expr::Or(Vec::new())
}

/// The `CASE` branches whose value satisfies `test` (a condition: [`always`],
/// [`never`] or a predicate on the value's fields): each holds when its
/// condition does, no earlier one did, and the test does. `None` when a value
/// cannot be tested.
fn case_where(
    branches: &[(Expr, CaseValue)],
    default: &CaseValue,
    test: impl Fn(&CaseValue) -> Option<Expr>,
) -> Option<Expr> {
    let mut alts = Vec::new();
    let mut earlier: Vec<Expr> = Vec::new();
    let mut branch = |earlier: &[Expr], cond: Option<&Expr>, t: Expr| {
        if t == never() {
            return;
        }
        let mut all: Vec<Expr> = earlier.iter().map(|c| Expr::not(c.clone())).collect();
        all.extend(cond.cloned());
        if t != always() {
            all.push(t);
        }
        alts.push(Expr::and(all));
    };
    for (cond, value) in branches {
        branch(&earlier, Some(cond), test(value)?);
        earlier.push(cond.clone());
    }
    branch(&earlier, None, test(default)?);
    Some(Expr::or(alts))
}

/// A yes/no test as a condition.
fn yes(b: bool) -> Expr {
    if b { always() } else { never() }
}

/// Nodes in an expression, counted up to just past `limit`.
fn size_upto(e: &Expr, limit: usize) -> usize {
    let mut n = 0;
    let mut stack = vec![e];
    while let Some(x) = stack.pop() {
        n += 1;
        if n > limit {
            break;
        }
        match x {
            Expr::And(c) | Expr::Or(c) => stack.extend(c),
            Expr::Not(c) => stack.push(c),
            _ => {}
        }
    }
    n
}

/// `a and b`, or `b` alone.
fn and_filter(a: Option<Expr>, b: Expr) -> Expr {
    match a {
        Some(a) => Expr::and(vec![a, b]),
        None => b,
    }
}

impl Lowerer {
    /// A copy of an `EVAL` condition for use at `at`, if the budget allows.
    fn copy(&self, cond: &Expr, at: &ast::Expr) -> Expr {
        let left = self.budget.get();
        let n = size_upto(cond, left);
        if n > left {
            self.budget.set(0);
            return opaque(reason::TOO_LARGE, at);
        }
        self.budget.set(left - n);
        cond.clone()
    }

    /// The `CASE` branches whose value passes `test`, within the budget;
    /// `None` when a value cannot be tested or the budget is spent.
    fn case_opt(
        &self,
        branches: &[(Expr, CaseValue)],
        default: &CaseValue,
        test: impl Fn(&CaseValue) -> Option<Expr>,
    ) -> Option<Expr> {
        // Each branch repeats the conditions before it: at most branches × total.
        let left = self.budget.get();
        let mut total = 0;
        for (c, _) in branches {
            total += size_upto(c, left);
        }
        let cost = total.saturating_mul(branches.len().max(1));
        if cost > left {
            self.budget.set(0);
            return None;
        }
        self.budget.set(left - cost);
        case_where(branches, default, test)
    }

    /// [`Lowerer::case_opt`], or the opaque node for `at`.
    fn case(
        &self,
        branches: &[(Expr, CaseValue)],
        default: &CaseValue,
        at: &ast::Expr,
        test: impl Fn(&CaseValue) -> Option<Expr>,
    ) -> Expr {
        if self.budget.get() == 0 {
            return opaque(reason::TOO_LARGE, at);
        }
        self.case_opt(branches, default, test).unwrap_or_else(|| {
            let r = if self.budget.get() == 0 {
                reason::TOO_LARGE.to_owned()
            } else {
                format!("{} (CASE)", reason::EVAL_COMPUTED)
            };
            opaque(r, at)
        })
    }

    /// The events a 0/1 `CASE` flag (or a boolean) marks with 1.
    fn flag(&self, def: &Def, at: &ast::Expr) -> Option<Expr> {
        match def {
            Def::Bool(c) => Some(self.copy(c, at)),
            Def::Case { branches, default } => self.case_opt(branches, default, |v| match v {
                CaseValue::Lit(l) => flag_value(l).map(yes),
                _ => None,
            }),
            _ => None,
        }
    }

    fn command(&mut self, cmd: &CommandKind) {
        match cmd {
            CommandKind::Where(e) => self.filter(e),
            CommandKind::Eval(items) => self.eval(items),
            CommandKind::Stats(s) => self.stats(s),
            CommandKind::Rename(items) => {
                for r in items {
                    let def = self.env.remove(&r.from).unwrap_or_else(|| {
                        Def::Fields(vec![Src {
                            name: r.from.clone(),
                            fold: false,
                        }])
                    });
                    self.env.insert(r.to.clone(), def);
                }
            }
            CommandKind::Dissect { pattern, .. } => {
                for c in pattern_columns(pattern, false) {
                    self.env.insert(c, Def::Extracted("DISSECT"));
                }
            }
            CommandKind::Grok { patterns, .. } => {
                for p in patterns {
                    for c in pattern_columns(p, true) {
                        self.env.insert(c, Def::Extracted("GROK"));
                    }
                }
            }
            CommandKind::Completion { target, .. } => {
                let name = target.clone().unwrap_or_else(|| "completion".into());
                self.env.insert(name, Def::Extracted("COMPLETION"));
            }
            CommandKind::Enrich { with, .. } => {
                for (new, field) in with {
                    let name = new.clone().unwrap_or_else(|| field.clone());
                    self.env.insert(name, Def::Extracted("ENRICH"));
                }
            }
            CommandKind::LookupJoin { .. } => self.joined = true,
            CommandKind::Keep(_)
            | CommandKind::Drop(_)
            | CommandKind::Sort(_)
            | CommandKind::Limit(_)
            | CommandKind::Sample(_)
            | CommandKind::MvExpand(_) => {}
        }
    }

    /// What a column holds; a column never defined is a source field.
    fn def_of(&self, name: &str) -> Def {
        self.env.get(name).cloned().unwrap_or_else(|| {
            Def::Fields(vec![Src {
                name: name.to_owned(),
                fold: false,
            }])
        })
    }

    fn eval(&mut self, items: &[ast::Assign]) {
        for a in items {
            let def = self.classify(&a.expr);
            // An unnamed column is named by its own text.
            let name = a.name.clone().unwrap_or_else(|| a.expr.to_string());
            self.env.insert(name, def);
        }
    }

    /// What an expression computes.
    fn classify(&self, e: &ast::Expr) -> Def {
        if self.reads_agg(e) {
            return Def::Computed {
                what: what(e),
                from_aggs: true,
                null_iff: None,
            };
        }
        let computed = |w: &str| Def::Computed {
            what: w.to_owned(),
            from_aggs: false,
            null_iff: self.null_fields(e),
        };
        match &e.kind {
            ExprKind::Field(f) => self.def_of(f),
            ExprKind::Cast { expr, .. } => self.classify(expr),
            ExprKind::Call(c) => match (c.name.as_str(), c.args.as_slice()) {
                ("TO_LOWER" | "TO_UPPER", [arg]) => match self.classify(arg) {
                    Def::Fields(srcs) => Def::Fields(
                        srcs.into_iter()
                            .map(|s| Src {
                                name: s.name,
                                fold: true,
                            })
                            .collect(),
                    ),
                    _ => computed(&c.name),
                },
                (name, [arg]) if CASTS.contains(&name) => match self.classify(arg) {
                    d @ (Def::Fields(_) | Def::Bool(_)) => d,
                    _ => computed(&c.name),
                },
                ("COALESCE", args) if !args.is_empty() && args.len() <= MAX_COALESCE => {
                    // COALESCE(COALESCE(a, b), c) is COALESCE(a, b, c): flattened,
                    // so that definitions never nest, and capped.
                    let mut defs: Vec<Def> = Vec::new();
                    for a in args {
                        match self.classify(a) {
                            Def::Coalesce(inner) => defs.extend(inner),
                            Def::Fields(srcs) if srcs.len() > 1 => {
                                defs.extend(srcs.into_iter().map(|s| Def::Fields(vec![s])));
                            }
                            d => defs.push(d),
                        }
                    }
                    if defs.len() > MAX_COALESCE {
                        return computed("COALESCE");
                    }
                    if defs.iter().all(|d| matches!(d, Def::Fields(_))) {
                        let mut all = Vec::new();
                        for d in defs {
                            if let Def::Fields(srcs) = d {
                                all.extend(srcs);
                            }
                        }
                        Def::Fields(all)
                    } else {
                        Def::Coalesce(defs)
                    }
                }
                ("DATE_TRUNC", [span, ts]) if ts.as_field() == Some("@timestamp") => {
                    Self::bucket(span).unwrap_or_else(|| computed("DATE_TRUNC"))
                }
                ("BUCKET", [ts, span]) if ts.as_field() == Some("@timestamp") => {
                    Self::bucket(span).unwrap_or_else(|| computed("BUCKET"))
                }
                ("CASE", args) if args.len() >= 2 => self.classify_case(args),
                _ if Self::is_boolean(e) => Def::Bool(Rc::new(self.cond(e))),
                _ => computed(&c.name),
            },
            _ if Self::is_boolean(e) => Def::Bool(Rc::new(self.cond(e))),
            _ => computed(&what(e)),
        }
    }

    /// Source fields such that `e` is null exactly when one of them is: `e`
    /// is a field, or functions that return null only for a null argument
    /// applied to fields and non-null literals.
    fn null_fields(&self, e: &ast::Expr) -> Option<Vec<Src>> {
        match &e.kind {
            ExprKind::Field(f) => match self.def_of(f) {
                Def::Fields(srcs) if srcs.len() == 1 => Some(srcs),
                Def::Computed { null_iff, .. } => null_iff,
                _ => None,
            },
            ExprKind::Cast { expr, ty } if ty == "string" || ty == "keyword" => {
                self.null_fields(expr)
            }
            ExprKind::Lit(l) if *l != Literal::Null => Some(Vec::new()),
            ExprKind::Call(c) if NULL_PROPAGATING.contains(&c.name.as_str()) && !c.star => {
                let mut out = Vec::new();
                for a in &c.args {
                    for s in self.null_fields(a)? {
                        if !out.contains(&s) {
                            out.push(s);
                        }
                    }
                }
                Some(out)
            }
            _ => None,
        }
        .filter(|v: &Vec<Src>| !v.is_empty() || matches!(e.kind, ExprKind::Lit(_)))
    }

    /// When a column is not null, as a condition; `None` when unknown.
    fn not_null(&self, e: &ast::Expr, at: &ast::Expr) -> Option<Expr> {
        let ExprKind::Field(f) = &e.kind else {
            return None;
        };
        self.def_not_null(&self.def_of(f), e.span(), at)
    }

    fn def_not_null(&self, def: &Def, span: Span, at: &ast::Expr) -> Option<Expr> {
        let any_not_null = |srcs: &[Src]| {
            Expr::or(
                srcs.iter()
                    .map(|s| field_pred(&s.name, Op::IsNotNull, Vec::new(), false, span))
                    .collect(),
            )
        };
        match def {
            Def::Fields(srcs) => Some(any_not_null(srcs)),
            Def::Computed {
                null_iff: Some(srcs),
                ..
            } => Some(Expr::and(
                srcs.iter()
                    .map(|s| field_pred(&s.name, Op::IsNotNull, Vec::new(), false, span))
                    .collect(),
            )),
            Def::Case { branches, default } => {
                let r = self.case_opt(branches, default, |v| match v {
                    CaseValue::Lit(l) => Some(yes(*l != Literal::Null)),
                    CaseValue::Col(srcs) => Some(any_not_null(srcs)),
                    CaseValue::Other => None,
                });
                if r.is_none() && self.budget.get() == 0 {
                    return Some(opaque(reason::TOO_LARGE, at));
                }
                r
            }
            Def::Coalesce(defs) => {
                let parts: Option<Vec<Expr>> = defs
                    .iter()
                    .map(|d| self.def_not_null(d, span, at))
                    .collect();
                parts.map(Expr::or)
            }
            _ => None,
        }
    }

    fn bucket(span: &ast::Expr) -> Option<Def> {
        match expr_literal(span)? {
            Literal::Duration { value, unit } => Some(Def::Bucket(format!("{value} {unit}"))),
            Literal::Str(s) => Some(Def::Bucket(s.clone())),
            _ => None,
        }
    }

    fn case_value(&self, e: &ast::Expr) -> CaseValue {
        if let Some(l) = expr_literal(e) {
            return CaseValue::Lit(l.clone());
        }
        match self.classify(e) {
            Def::Fields(srcs) => CaseValue::Col(srcs),
            _ => CaseValue::Other,
        }
    }

    fn classify_case(&self, args: &[ast::Expr]) -> Def {
        if args.len() / 2 > MAX_CASE_BRANCHES {
            return Def::Computed {
                what: "CASE".into(),
                from_aggs: false,
                null_iff: None,
            };
        }
        let mut branches = Vec::new();
        let mut pairs = args.chunks_exact(2);
        for pair in pairs.by_ref() {
            branches.push((self.cond(&pair[0]), self.case_value(&pair[1])));
        }
        let default = match pairs.remainder() {
            [d] => self.case_value(d),
            _ => CaseValue::Lit(Literal::Null),
        };
        Def::Case {
            branches: Rc::new(branches),
            default,
        }
    }

    /// Whether an expression is a condition (rather than a value).
    fn is_boolean(e: &ast::Expr) -> bool {
        match &e.kind {
            ExprKind::And(_)
            | ExprKind::Or(_)
            | ExprKind::Not(_)
            | ExprKind::Cmp { .. }
            | ExprKind::Like { .. }
            | ExprKind::In { .. }
            | ExprKind::IsNull { .. }
            | ExprKind::Match { .. } => true,
            ExprKind::Call(c) => matches!(
                c.name.as_str(),
                "STARTS_WITH"
                    | "ENDS_WITH"
                    | "CONTAINS"
                    | "CIDR_MATCH"
                    | "KQL"
                    | "QSTR"
                    | "MATCH"
                    | "MATCH_PHRASE"
                    | "MULTI_MATCH"
                    | "MV_CONTAINS"
            ),
            _ => false,
        }
    }

    /// What an aggregate of a `STATS` counts.
    fn agg_def(&self, a: &ast::AggField, inline: bool, nested: bool) -> AggDef {
        let mut filter = a.filter.as_ref().map(|f| self.cond(f));
        let kind = match a.expr.as_call() {
            Some(c) if c.name == "COUNT" && (c.star || c.args.is_empty()) => AggKind::Count,
            Some(c) if c.name == "COUNT" && c.args.len() == 1 => {
                let arg = &c.args[0];
                match self.classify(arg) {
                    // COUNT(f) counts the events where f is not null.
                    Def::Fields(srcs) => {
                        let not_null = Expr::or(
                            srcs.iter()
                                .map(|s| {
                                    field_pred(
                                        &s.name,
                                        Op::IsNotNull,
                                        Vec::new(),
                                        false,
                                        arg.span(),
                                    )
                                })
                                .collect(),
                        );
                        filter = Some(and_filter(filter, not_null));
                        AggKind::Count
                    }
                    Def::Case { branches, default } => {
                        let non_null = self.case_opt(&branches, &default, |v| match v {
                            CaseValue::Lit(l) => Some(yes(*l != Literal::Null)),
                            _ => None,
                        });
                        match non_null {
                            Some(c) => {
                                filter = Some(and_filter(filter, c));
                                AggKind::Count
                            }
                            None => AggKind::Other(c.name.clone()),
                        }
                    }
                    _ => AggKind::Other(c.name.clone()),
                }
            }
            Some(c) if c.name == "COUNT_DISTINCT" && !c.args.is_empty() => {
                match self.classify(&c.args[0]) {
                    Def::Fields(srcs) if srcs.len() == 1 => {
                        AggKind::CountDistinct(srcs[0].name.clone())
                    }
                    // COUNT_DISTINCT(CASE(c, field, NULL)): distinct values of the
                    // field among the events matching c.
                    Def::Case { branches, default } => {
                        let mut field: Option<&Src> = None;
                        let mut ok = true;
                        for v in branches.iter().map(|(_, v)| v).chain([&default]) {
                            match v {
                                CaseValue::Lit(Literal::Null) => {}
                                CaseValue::Col(srcs) if srcs.len() == 1 => {
                                    ok &= field.is_none_or(|f| f.name == srcs[0].name);
                                    field = Some(&srcs[0]);
                                }
                                _ => ok = false,
                            }
                        }
                        let cond = self.case_opt(&branches, &default, |v| {
                            Some(yes(!matches!(v, CaseValue::Lit(Literal::Null))))
                        });
                        match (ok, field, cond) {
                            (true, Some(f), Some(cond)) => {
                                filter = Some(and_filter(filter, cond));
                                AggKind::CountDistinct(f.name.clone())
                            }
                            _ => AggKind::Other(c.name.clone()),
                        }
                    }
                    _ => AggKind::Other(c.name.clone()),
                }
            }
            // SUM of a 0/1 flag counts the flagged events; MAX of one says
            // whether there is any.
            Some(c) if matches!(c.name.as_str(), "SUM" | "MAX") && c.args.len() == 1 => {
                match self.flag(&self.classify(&c.args[0]), &a.expr) {
                    Some(f) => {
                        filter = Some(and_filter(filter, f));
                        if c.name == "SUM" {
                            AggKind::Count
                        } else {
                            AggKind::Exists
                        }
                    }
                    None => AggKind::Other(c.name.clone()),
                }
            }
            Some(c) => AggKind::Other(c.name.clone()),
            None => AggKind::Other(what(&a.expr)),
        };
        AggDef {
            kind,
            filter: filter.map(Rc::new),
            inline,
            nested,
        }
    }

    fn stats(&mut self, s: &ast::Stats) {
        let nested = !s.inline && self.stats > 0;
        if !s.inline {
            self.stats += 1;
        }
        let mut out: Vec<(String, Def)> = Vec::new();
        for a in &s.aggs {
            let def = self.agg_def(a, s.inline, nested);
            let name = a.name.clone().unwrap_or_else(|| a.expr.to_string());
            out.push((name, Def::Agg(def)));
        }
        for b in &s.by {
            let def = self.classify(&b.expr);
            let name = b.name.clone().unwrap_or_else(|| match &b.expr.kind {
                ExprKind::Field(f) => f.clone(),
                _ => b.expr.to_string(),
            });
            if !s.inline && !nested {
                match &def {
                    Def::Bucket(span) => self.window = Some(Window::parse(span)),
                    Def::Fields(srcs) if srcs.len() == 1 => {
                        self.group_by.push(Field::raw(srcs[0].name.clone()));
                    }
                    _ => self.group_by.push(Field::raw(name.clone())),
                }
            }
            out.push((name, def));
        }
        if !s.inline {
            // Only the aggregates and the keys survive a STATS.
            self.env.clear();
        }
        self.env.extend(out);
    }

    fn agg_of(&self, name: &str) -> Option<&AggDef> {
        match self.env.get(name) {
            Some(Def::Agg(a)) => Some(a),
            _ => None,
        }
    }

    /// Whether a column holds an aggregate or something computed from one.
    fn is_agg_column(&self, name: &str) -> bool {
        matches!(
            self.env.get(name),
            Some(
                Def::Agg(_)
                    | Def::Computed {
                        from_aggs: true,
                        ..
                    }
            )
        )
    }

    /// Whether an expression reads an aggregate column.
    fn reads_agg(&self, e: &ast::Expr) -> bool {
        let mut found = false;
        visit(e, &mut |x| {
            if let ExprKind::Field(f) = &x.kind {
                found |= self.is_agg_column(f);
            }
        });
        found
    }

    fn filter(&mut self, e: &ast::Expr) {
        let conjuncts: Vec<&ast::Expr> = match &e.kind {
            ExprKind::And(terms) => terms.iter().collect(),
            _ => vec![e],
        };
        for c in conjuncts {
            if self.joined {
                self.conds.push(opaque(reason::LOOKUP, c));
            } else if !self.reads_agg(c) {
                let lowered = self.cond(c);
                self.conds.push(lowered);
            } else if let Some(t) = self.threshold(c) {
                self.thresholds.push(t);
            } else {
                let r = self.agg_reason(c);
                self.conds.push(opaque(r, c));
            }
        }
    }

    /// `count_column OP number` (either way round), on a plain `STATS` count.
    fn threshold(&self, e: &ast::Expr) -> Option<Threshold> {
        let ExprKind::Cmp { op, lhs, rhs } = &e.kind else {
            return None;
        };
        let (col, op, lit) = match (lhs.as_field(), rhs.as_field()) {
            (Some(col), _) => (col, *op, expr_literal(rhs)?),
            (_, Some(col)) => (col, flip(*op), expr_literal(lhs)?),
            _ => return None,
        };
        let agg = self.agg_of(col)?;
        if agg.inline || agg.nested || matches!(op, CmpOp::Neq | CmpOp::CiEq) {
            return None;
        }
        let mut cmp = Comparison {
            op: cmp_model_op(op),
            value: literal_value(lit)?.as_f64()?,
        };
        match agg.kind {
            AggKind::Other(_) => return None,
            // `MAX(flag) == 1` (or `>= 1`, `> 0`) is "at least one event".
            AggKind::Exists if holds(1.0, &cmp) && !holds(0.0, &cmp) => {
                cmp = Comparison {
                    op: Op::Gte,
                    value: 1.0,
                };
            }
            AggKind::Exists => return None,
            AggKind::Count | AggKind::CountDistinct(_) => {}
        }
        Some(Threshold {
            column: col.to_owned(),
            def: agg.clone(),
            op: cmp.op,
            value: cmp.value,
            span: e.span(),
            text: e.to_string(),
        })
    }

    /// Why a filter that reads an aggregate is opaque.
    fn agg_reason(&self, e: &ast::Expr) -> String {
        let mut aggs: Vec<&AggDef> = Vec::new();
        let mut computed: Vec<&str> = Vec::new();
        visit(e, &mut |x| {
            if let ExprKind::Field(f) = &x.kind {
                match self.env.get(f.as_str()) {
                    Some(Def::Agg(a)) => aggs.push(a),
                    Some(Def::Computed {
                        what,
                        from_aggs: true,
                        ..
                    }) => computed.push(what),
                    _ => {}
                }
            }
        });
        if aggs.iter().any(|a| a.inline) {
            return reason::INLINE_STATS.into();
        }
        if aggs.iter().any(|a| a.nested) {
            return reason::NESTED_STATS.into();
        }
        let simple_cmp = match &e.kind {
            ExprKind::Cmp { lhs, rhs, .. } => {
                (lhs.as_field().is_some() && expr_literal(rhs).is_some())
                    || (rhs.as_field().is_some() && expr_literal(lhs).is_some())
            }
            ExprKind::IsNull { expr, .. }
            | ExprKind::Like { expr, .. }
            | ExprKind::In { expr, .. } => expr.as_field().is_some(),
            _ => false,
        };
        match (aggs.as_slice(), computed.as_slice()) {
            ([], [w]) if simple_cmp => format!("{} ({w})", reason::FROM_AGGREGATES),
            ([a], []) if simple_cmp => match &a.kind {
                AggKind::Other(name) => format!("{} ({name})", reason::AGGREGATE),
                AggKind::Exists => format!("{} (MAX)", reason::AGGREGATE),
                _ => format!("{} (not a numeric threshold)", reason::AGGREGATE),
            },
            _ => reason::MIXED.into(),
        }
    }

    /// A condition on each event.
    fn cond(&self, e: &ast::Expr) -> Expr {
        let span = e.span();
        match &e.kind {
            ExprKind::And(terms) => Expr::and(terms.iter().map(|t| self.cond(t)).collect()),
            ExprKind::Or(terms) => Expr::or(terms.iter().map(|t| self.cond(t)).collect()),
            ExprKind::Not(inner) => Expr::not(self.cond(inner)),
            ExprKind::Cmp { op, lhs, rhs } => self.compare(e, *op, lhs, rhs),
            ExprKind::Like {
                expr,
                regex,
                negated,
                patterns,
            } => {
                let subject = match self.subject(expr, e) {
                    Ok(s) => s,
                    Err(o) => return o,
                };
                let any = over(&subject, span, |s| Self::like(e, s, *regex, patterns));
                if *negated { Expr::not(any) } else { any }
            }
            ExprKind::In {
                expr,
                negated,
                list,
            } => {
                let subject = match self.subject(expr, e) {
                    Ok(s) => s,
                    Err(o) => return o,
                };
                let values: Option<Vec<Value>> = list
                    .iter()
                    .map(|v| expr_literal(v).and_then(literal_value))
                    .collect();
                let Some(values) = values else {
                    return opaque(reason::NON_LITERAL, e);
                };
                let text = values.iter().any(|v| matches!(v, Value::Str(_)));
                let p = over(&subject, span, |s| {
                    field_pred(&s.name, Op::In, values.clone(), text && !s.fold, span)
                });
                if *negated { Expr::not(p) } else { p }
            }
            ExprKind::IsNull { expr, negated } => {
                let subject = match self.subject(expr, e) {
                    Ok(s) => s,
                    Err(o) => {
                        // f(x, "lit") IS NULL exactly when x is, for functions
                        // that pass nulls through.
                        let Some(srcs) = self.null_fields(expr) else {
                            // A CASE or COALESCE column is not null when a
                            // branch (an argument) with a non-null value is taken.
                            return match self.not_null(expr, e) {
                                Some(c) if *negated => c,
                                Some(c) => Expr::not(c),
                                None => o,
                            };
                        };
                        let preds = srcs.iter().map(|s| {
                            let op = if *negated { Op::IsNotNull } else { Op::IsNull };
                            field_pred(&s.name, op, Vec::new(), false, span)
                        });
                        return if *negated {
                            Expr::and(preds.collect())
                        } else {
                            Expr::or(preds.collect())
                        };
                    }
                };
                // COALESCE(a, b) IS NULL when both are; IS NOT NULL when either is not.
                let preds = subject.iter().map(|s| {
                    let op = if *negated { Op::IsNotNull } else { Op::IsNull };
                    field_pred(&s.name, op, Vec::new(), false, span)
                });
                if *negated {
                    Expr::or(preds.collect())
                } else {
                    Expr::and(preds.collect())
                }
            }
            ExprKind::Match { .. } => opaque(reason::FULL_TEXT, e),
            ExprKind::Call(c) => self.call(e, c),
            ExprKind::Field(f) => self.truthy(f, e),
            ExprKind::Cast { expr, .. } => self.cond(expr),
            ExprKind::Lit(Literal::Bool(true)) => Expr::And(Vec::new()),
            ExprKind::Lit(Literal::Bool(false)) => Expr::Or(Vec::new()),
            _ => opaque(reason::NON_LITERAL, e),
        }
    }

    /// `s LIKE p1, p2, …` for one source field: patterns reducing to the same
    /// operator share one predicate.
    fn like(e: &ast::Expr, s: &Src, regex: bool, patterns: &[String]) -> Expr {
        let span = e.span();
        let mut alts: Vec<Expr> = Vec::new();
        for p in patterns {
            let (op, value) = if regex {
                match pattern::rlike(p) {
                    Ok(r) => (r.op, r.value),
                    Err(problem) => {
                        alts.push(opaque(problem.reason(), e));
                        continue;
                    }
                }
            } else {
                let r = pattern::like(p);
                (r.op, r.value)
            };
            if let Some(Expr::Pred(prev)) = alts.last_mut()
                && (prev.op == op || (prev.op == Op::In && op == Op::Eq))
                && matches!(op, Op::Eq | Op::Contains | Op::StartsWith | Op::EndsWith)
            {
                prev.values.push(Value::Str(value));
                if prev.op == Op::Eq {
                    prev.op = Op::In;
                }
                continue;
            }
            let mut pred =
                Pred::new(Field::raw(s.name.clone()), op, vec![Value::Str(value)]).with_span(span);
            pred.case_sensitive = !s.fold;
            if op == Op::Regex {
                // Lucene's `.` matches line breaks.
                pred.regex_flags = RegexFlags {
                    multiline: false,
                    dotall: true,
                };
            }
            alts.push(Expr::Pred(pred));
        }
        Expr::or(alts)
    }

    /// The source fields an operand reads (several for `COALESCE`); or the
    /// opaque node, for the whole predicate `whole`, that says why it is not a field.
    fn subject(&self, e: &ast::Expr, whole: &ast::Expr) -> Result<Vec<Src>, Expr> {
        match &e.kind {
            ExprKind::Field(f) => match self.def_of(f) {
                Def::Fields(srcs) => Ok(srcs),
                Def::Extracted(by) => Err(opaque(format!("{} {by}", reason::EXTRACTED), whole)),
                Def::Agg(_) => Err(opaque(reason::AGGREGATE, whole)),
                Def::Bool(_) => Err(opaque(
                    format!("{} (a condition)", reason::EVAL_COMPUTED),
                    whole,
                )),
                Def::Case { .. } => Err(opaque(format!("{} (CASE)", reason::EVAL_COMPUTED), whole)),
                Def::Bucket(_) => Err(opaque(
                    format!("{} (DATE_TRUNC)", reason::EVAL_COMPUTED),
                    whole,
                )),
                Def::Coalesce(_) => Err(opaque(
                    format!("{} (COALESCE)", reason::EVAL_COMPUTED),
                    whole,
                )),
                Def::Computed {
                    what, from_aggs, ..
                } => {
                    let r = if from_aggs {
                        reason::FROM_AGGREGATES
                    } else {
                        reason::EVAL_COMPUTED
                    };
                    Err(opaque(format!("{r} ({what})"), whole))
                }
            },
            ExprKind::Cast { expr, .. } => self.subject(expr, whole),
            ExprKind::Call(c) => match (c.name.as_str(), c.args.as_slice()) {
                ("TO_LOWER" | "TO_UPPER", [arg]) => self.subject(arg, whole).map(|srcs| {
                    srcs.into_iter()
                        .map(|s| Src {
                            name: s.name,
                            fold: true,
                        })
                        .collect()
                }),
                (name, [arg]) if CASTS.contains(&name) => self.subject(arg, whole),
                ("COALESCE", args) if !args.is_empty() && args.len() <= MAX_COALESCE => {
                    let mut all = Vec::new();
                    for a in args {
                        all.extend(self.subject(a, whole)?);
                    }
                    if all.len() > MAX_COALESCE {
                        return Err(opaque(
                            format!("{} (COALESCE)", reason::FUNCTION_RESULT),
                            whole,
                        ));
                    }
                    Ok(all)
                }
                _ => Err(opaque(
                    format!("{} ({})", reason::FUNCTION_RESULT, c.name),
                    whole,
                )),
            },
            _ => Err(opaque(reason::NON_LITERAL, whole)),
        }
    }

    fn compare(&self, e: &ast::Expr, op: CmpOp, lhs: &ast::Expr, rhs: &ast::Expr) -> Expr {
        let span = e.span();
        // Literal on the left: turn it round.
        let (op, lhs, rhs) = if expr_literal(lhs).is_some() && expr_literal(rhs).is_none() {
            (flip(op), rhs, lhs)
        } else {
            (op, lhs, rhs)
        };
        // A comparison with a CASE or boolean column is the branches that match.
        if let (Some(col), Some(lit)) = (lhs.as_field(), expr_literal(rhs)) {
            match self.def_of(col) {
                Def::Case { branches, default } => {
                    return self.case(&branches, &default, e, |v| match v {
                        CaseValue::Lit(l) => literal_cmp(l, op, lit).map(yes),
                        _ => None,
                    });
                }
                Def::Bool(cond) => {
                    return match (op, lit) {
                        (CmpOp::Eq | CmpOp::Neq, Literal::Bool(b)) if (op == CmpOp::Eq) == *b => {
                            self.copy(&cond, e)
                        }
                        (CmpOp::Eq | CmpOp::Neq, Literal::Bool(_)) => {
                            Expr::not(self.copy(&cond, e))
                        }
                        _ => opaque(format!("{} (a condition)", reason::EVAL_COMPUTED), e),
                    };
                }
                _ => {}
            }
        }
        let subject = match self.subject(lhs, e) {
            Ok(s) => s,
            Err(o) => return o,
        };
        if let Some(lit) = expr_literal(rhs) {
            let Some(value) = literal_value(lit) else {
                return opaque(reason::NON_LITERAL, e);
            };
            // Case only matters for strings.
            let text = matches!(value, Value::Str(_));
            let p = over(&subject, span, |s| {
                let cased = text && !s.fold && op != CmpOp::CiEq;
                field_pred(&s.name, cmp_model_op(op), vec![value.clone()], cased, span)
            });
            return if op == CmpOp::Neq { Expr::not(p) } else { p };
        }
        // Field against field.
        if matches!(op, CmpOp::Eq | CmpOp::Neq | CmpOp::CiEq)
            && let Ok(other) = self.subject(rhs, e)
            && let ([a], [b]) = (subject.as_slice(), other.as_slice())
        {
            let cased = !a.fold && !b.fold && op != CmpOp::CiEq;
            let p = field_pred(
                &a.name,
                Op::FieldRef,
                vec![Value::Str(b.name.clone())],
                cased,
                span,
            );
            return if op == CmpOp::Neq { Expr::not(p) } else { p };
        }
        opaque(reason::NON_LITERAL, e)
    }

    /// A column used as a condition on its own (`WHERE flag`).
    fn truthy(&self, f: &str, e: &ast::Expr) -> Expr {
        match self.def_of(f) {
            Def::Bool(cond) => self.copy(&cond, e),
            Def::Fields(srcs) => over(&srcs, e.span(), |s| {
                field_pred(&s.name, Op::Eq, vec![Value::Bool(true)], true, e.span())
            }),
            Def::Case { branches, default } => self.case(&branches, &default, e, |v| match v {
                CaseValue::Lit(l) => literal_cmp(l, CmpOp::Eq, &Literal::Bool(true)).map(yes),
                _ => None,
            }),
            _ => match self.subject(e, e) {
                Err(o) => o,
                Ok(_) => opaque(reason::NON_LITERAL, e),
            },
        }
    }

    fn call(&self, e: &ast::Expr, c: &ast::Call) -> Expr {
        let span = e.span();
        let op = match c.name.as_str() {
            "STARTS_WITH" => Op::StartsWith,
            "ENDS_WITH" => Op::EndsWith,
            "CONTAINS" => Op::Contains,
            "CIDR_MATCH" => Op::Cidr,
            "MV_CONTAINS" => Op::Eq,
            "KQL" => return Self::kql(e, c),
            "QSTR" | "MATCH" | "MATCH_PHRASE" | "MULTI_MATCH" => {
                return opaque(reason::FULL_TEXT, e);
            }
            other => return opaque(format!("{} ({other})", reason::FUNCTION), e),
        };
        let Some((first, rest)) = c.args.split_first() else {
            return opaque(format!("{} ({})", reason::FUNCTION, c.name), e);
        };
        let subject = match self.subject(first, e) {
            Ok(s) => s,
            Err(o) => return o,
        };
        let values: Option<Vec<Value>> = rest
            .iter()
            .map(|v| expr_literal(v).and_then(literal_value))
            .collect();
        match values {
            Some(values) if !values.is_empty() => over(&subject, span, |s| {
                let cased = !s.fold && op != Op::Cidr;
                field_pred(&s.name, op, values.clone(), cased, span)
            }),
            _ => opaque(reason::NON_LITERAL, e),
        }
    }

    /// `KQL("…")`: lowered by the KQL front-end, spans moved into this query.
    fn kql(e: &ast::Expr, c: &ast::Call) -> Expr {
        let [arg] = c.args.as_slice() else {
            return opaque(reason::KQL, e);
        };
        let Some(Literal::Str(text)) = expr_literal(arg) else {
            return opaque(reason::KQL, e);
        };
        // The text starts after `"""` or `"` (exactly, unless the string had escapes).
        let s = arg.span();
        let quotes = if s.len() == text.len() + 6 { 3 } else { 1 };
        let offset = s.start as usize + quotes;
        match crate::kql::parse_and_lower(text) {
            Ok(mut lowered) => {
                shift(&mut lowered.expr, offset);
                lowered.expr
            }
            Err(err) => Expr::opaque(
                format!("{}: {}", reason::KQL, err.kind.code()),
                text.clone(),
                Some(err.span.shift(offset)),
            ),
        }
    }

    fn finish(mut self, indices: Vec<String>) -> Lowered {
        let aggregation = self.aggregation();
        let expr = Expr::and(std::mem::take(&mut self.conds));
        let mut hints = Vec::new();
        collect_hints(&expr, false, &mut hints);
        Lowered {
            expr,
            aggregation,
            indices,
            hints,
        }
    }

    /// The aggregation of the post-`STATS` thresholds.
    fn aggregation(&mut self) -> Option<Aggregation> {
        // Comparisons per aggregate column, in order of appearance.
        let mut columns: Vec<(String, AggDef, Vec<Threshold>)> = Vec::new();
        for t in std::mem::take(&mut self.thresholds) {
            if let Some(entry) = columns.iter_mut().find(|(c, _, _)| *c == t.column) {
                entry.2.push(t);
            } else {
                columns.push((t.column.clone(), t.def.clone(), vec![t]));
            }
        }
        if columns.is_empty() {
            return None;
        }
        // Several `COUNT_DISTINCT(f) >= n` and no count: a threshold on
        // cardinalities alone (every group has at least one event).
        if columns.len() > 1 {
            let cardinality: Option<Vec<(Field, u64)>> = columns
                .iter()
                .map(|(_, def, ts)| match &def.kind {
                    AggKind::CountDistinct(f) if def.filter.is_none() => {
                        Some((Field::raw(f.clone()), min_bound(ts)?))
                    }
                    _ => None,
                })
                .collect();
            if let Some(cardinality) = cardinality {
                return Some(Aggregation {
                    kind: AggregationKind::Threshold { cardinality },
                    group_by: self.group_by.clone(),
                    window: self.window.clone(),
                    condition: Vec::new(),
                    metrics: Vec::new(),
                    having: None,
                });
            }
        }
        let main = columns
            .iter()
            .position(|(_, d, _)| matches!(d.kind, AggKind::Count | AggKind::Exists))
            .unwrap_or(0);
        let (_, main_def, main_ts) = &columns[main];
        let mut kind = match &main_def.kind {
            AggKind::CountDistinct(f) => AggregationKind::ValueCount {
                field: Field::raw(f.clone()),
                rules: Vec::new(),
            },
            _ => AggregationKind::Threshold {
                cardinality: Vec::new(),
            },
        };
        let condition: Vec<Comparison> = main_ts
            .iter()
            .map(|t| Comparison {
                op: t.op,
                value: t.value,
            })
            .collect();
        let mut extra = Vec::new();
        let mut opaques = Vec::new();
        if let Some(filter) = &main_def.filter {
            // Counting only the events matching the filter is filtering the
            // events, when no group of zero events passes and nothing else is counted.
            let excludes_zero = !condition.iter().all(|c| holds(0.0, c));
            if excludes_zero && columns.len() == 1 {
                extra.push(Expr::clone(filter));
            } else {
                opaques.extend(main_ts.iter().map(|t| (reason::FILTERED_AGGREGATE, t)));
            }
        }
        for (i, (_, def, ts)) in columns.iter().enumerate() {
            if i == main {
                continue;
            }
            // `COUNT_DISTINCT(f) >= n` beside an unfiltered count is its cardinality.
            if let (AggKind::CountDistinct(f), AggregationKind::Threshold { cardinality }) =
                (&def.kind, &mut kind)
                && def.filter.is_none()
                && main_def.filter.is_none()
                && let Some(n) = min_bound(ts)
            {
                cardinality.push((Field::raw(f.clone()), n));
                continue;
            }
            opaques.extend(ts.iter().map(|t| (reason::EXTRA_AGGREGATE, t)));
        }
        for (r, t) in opaques {
            self.conds
                .push(Expr::opaque(r, t.text.clone(), Some(t.span)));
        }
        self.conds.extend(extra);
        Some(Aggregation {
            kind,
            group_by: self.group_by.clone(),
            window: self.window.clone(),
            condition,
            metrics: Vec::new(),
            having: None,
        })
    }
}

/// The `n` of `COUNT_DISTINCT` comparisons that all say "at least n".
fn min_bound(ts: &[Threshold]) -> Option<u64> {
    let mut n = 0u64;
    for t in ts {
        let bound = match t.op {
            Op::Gte if t.value >= 0.0 => t.value.ceil(),
            Op::Gt if t.value >= 0.0 => t.value.floor() + 1.0,
            _ => return None,
        };
        n = n.max(bound as u64);
    }
    Some(n)
}

fn holds(x: f64, c: &Comparison) -> bool {
    match c.op {
        Op::Eq => (x - c.value).abs() < f64::EPSILON,
        Op::Gt => x > c.value,
        Op::Gte => x >= c.value,
        Op::Lt => x < c.value,
        Op::Lte => x <= c.value,
        _ => true,
    }
}

/// Move the spans of a sub-lowering into this query, and mark its opaque nodes.
fn shift(e: &mut Expr, by: usize) {
    match e {
        Expr::And(c) | Expr::Or(c) => c.iter_mut().for_each(|x| shift(x, by)),
        Expr::Not(c) => shift(c, by),
        Expr::Pred(p) => p.span = p.span.map(|s| s.shift(by)),
        Expr::Keyword(k) => k.span = k.span.map(|s| s.shift(by)),
        Expr::Opaque(o) => {
            o.span = o.span.map(|s| s.shift(by));
            o.reason = format!("KQL(): {}", o.reason);
        }
    }
}

/// Positive equalities on the hint fields, outside any `not`, each once.
fn collect_hints(e: &Expr, negated: bool, out: &mut Vec<(String, String)>) {
    match e {
        Expr::And(c) | Expr::Or(c) => c.iter().for_each(|x| collect_hints(x, negated, out)),
        Expr::Not(c) => collect_hints(c, !negated, out),
        Expr::Pred(p)
            if !negated
                && matches!(p.op, Op::Eq | Op::In)
                && HINT_FIELDS.contains(&p.field.raw.as_str()) =>
        {
            for v in &p.values {
                let text = match v {
                    Value::Str(s) => s.clone(),
                    Value::Int(i) => i.to_string(),
                    _ => continue,
                };
                let hint = (p.field.raw.clone(), text);
                if !out.contains(&hint) {
                    out.push(hint);
                }
            }
        }
        _ => {}
    }
}

/// Call `f` on every node of an expression (pre-order).
fn visit<'a>(e: &'a ast::Expr, f: &mut impl FnMut(&'a ast::Expr)) {
    f(e);
    match &e.kind {
        ExprKind::And(c) | ExprKind::Or(c) => c.iter().for_each(|x| visit(x, f)),
        ExprKind::Not(x) | ExprKind::Neg(x) => visit(x, f),
        ExprKind::Cast { expr, .. }
        | ExprKind::Like { expr, .. }
        | ExprKind::IsNull { expr, .. } => {
            visit(expr, f);
        }
        ExprKind::Match { field, .. } => visit(field, f),
        ExprKind::In { expr, list, .. } => {
            visit(expr, f);
            for x in list {
                visit(x, f);
            }
        }
        ExprKind::Arith { lhs, rhs, .. } | ExprKind::Cmp { lhs, rhs, .. } => {
            visit(lhs, f);
            visit(rhs, f);
        }
        ExprKind::Call(c) => c.args.iter().for_each(|x| visit(x, f)),
        ExprKind::Lit(_) | ExprKind::Field(_) | ExprKind::Param(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grok_and_dissect_columns() {
        assert_eq!(
            pattern_columns("%{IP:client} %{WORD:verb:keyword} %{GREEDYDATA}", true),
            ["client", "verb"]
        );
        assert_eq!(
            pattern_columns("%{a} %{+a} %{?skip} %{&v} %{*k} %{b->} %{+c/2} %{", false),
            ["a", "a", "skip", "v", "k", "b", "c"]
        );
    }

    fn t(op: Op, value: f64) -> Threshold {
        Threshold {
            column: "c".into(),
            def: AggDef {
                kind: AggKind::Count,
                filter: None,
                inline: false,
                nested: false,
            },
            op,
            value,
            span: Span::default(),
            text: String::new(),
        }
    }

    macro_rules! min_bounds {
        ($($case:ident: $ts:expr => $want:expr;)*) => {$(
            #[test]
            fn $case() {
                assert_eq!(min_bound(&$ts), $want);
            }
        )*};
    }

    min_bounds! {
        gte_is_its_value: [t(Op::Gte, 5.0)] => Some(5);
        gt_is_one_more: [t(Op::Gt, 4.0)] => Some(5);
        fractional_gte_rounds_up: [t(Op::Gte, 2.5)] => Some(3);
        largest_of_several: [t(Op::Gte, 2.0), t(Op::Gt, 6.0)] => Some(7);
        upper_bound_is_not_a_minimum: [t(Op::Lt, 5.0)] => None;
        equality_is_not_a_minimum: [t(Op::Eq, 1.0)] => None;
    }

    macro_rules! literal_cmps {
        ($($case:ident: $a:expr, $op:ident, $b:expr => $want:expr;)*) => {$(
            #[test]
            fn $case() {
                assert_eq!(literal_cmp(&$a, CmpOp::$op, &$b), $want);
            }
        )*};
    }

    literal_cmps! {
        strings_equal: Literal::Str("a".into()), Eq, Literal::Str("a".into()) => Some(true);
        strings_ci_equal: Literal::Str("A".into()), CiEq, Literal::Str("a".into()) => Some(true);
        int_and_float_compare: Literal::Int(2), Gt, Literal::Float(1.5) => Some(true);
        null_never_compares_true: Literal::Null, Eq, Literal::Null => Some(false);
        string_and_number_do_not_compare: Literal::Str("1".into()), Eq, Literal::Int(1) => None;
        booleans: Literal::Bool(true), Neq, Literal::Bool(false) => Some(true);
    }

    #[test]
    fn case_branches_exclude_earlier_conditions() {
        let c = |n: &str| Expr::Pred(Pred::new(Field::raw(n), Op::Exists, vec![true.into()]));
        let branches = [
            (c("a"), CaseValue::Lit(Literal::Int(1))),
            (c("b"), CaseValue::Lit(Literal::Int(2))),
        ];
        let default = CaseValue::Lit(Literal::Int(1));
        let got = case_where(&branches, &default, |v| match v {
            CaseValue::Lit(l) => literal_cmp(l, CmpOp::Eq, &Literal::Int(1)).map(yes),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            got.to_string(),
            "a exists true or (not a exists true and not b exists true)"
        );
    }

    #[test]
    fn size_is_counted_up_to_the_limit() {
        let leaf = || Expr::Pred(Pred::new(Field::raw("x"), Op::Exists, vec![true.into()]));
        let e = Expr::And(vec![leaf(), Expr::Not(Box::new(leaf())), leaf()]);
        assert_eq!(size_upto(&e, 100), 5);
        assert_eq!(size_upto(&e, 2), 3);
    }
}

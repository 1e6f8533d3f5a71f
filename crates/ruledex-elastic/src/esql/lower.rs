//! Lowering an ES|QL query into the model: the only place that knows how
//! ES|QL maps onto [`Expr`] and [`Aggregation`](ruledex_model::Aggregation).
//! The rules are on [`lower`]; `STATS` and what follows it are in [`stats`].

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use ruledex_diag::Span;
use ruledex_model::{
    ArithOp as MArith, Expr, Field, Metric, Op, Operand, Pred, RegexFlags, Transform, Value, Window,
};

use super::ast::{self, CmpOp, CommandKind, ExprKind, Literal, Query, Source};
use super::pattern;
use crate::lowered::Lowered;
use computed::{AggValue, Num};
use stats::{AggCond, AggDef};

mod computed;
mod stats;

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

/// Most `CASE` branches traced; a longer `CASE` is opaque to filters. (The
/// size of what tracing builds is bounded by [`INLINE_BUDGET`].)
const MAX_CASE_BRANCHES: usize = 256;

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
    /// A post-`STATS` filter on an aggregate the model cannot state: of a
    /// computed value (`COUNT_DISTINCT(CONCAT(a, b))`), with parameters
    /// (`PERCENTILE(x, 95)`), or a comparison that cannot be restated on the
    /// count the metric holds (`MAX` of a 0/1 flag `>= 0`).
    pub const AGGREGATE: &str = "post-STATS filter on an aggregate";
    /// A post-`STATS` filter on an aggregate whose own `WHERE` is opaque.
    pub const AGGREGATE_FILTER: &str = "post-STATS filter on an aggregate with an opaque WHERE";
    /// A post-`STATS` comparison of a `VALUES` list with a value: ES|QL
    /// compares a multi-valued value as null, the model as "any value".
    pub const VALUES_LIST: &str = "post-STATS comparison on a VALUES list";
    /// A post-`STATS` filter on a value computed from aggregates, by an `EVAL`
    /// or in the `WHERE` itself (`DATE_DIFF`, arithmetic, `ROUND`).
    pub const FROM_AGGREGATES: &str = "post-STATS filter on a value computed from aggregates";
    /// A `WHERE` on an aggregate of a second `STATS`.
    pub const NESTED_STATS: &str = "WHERE on an aggregate of a second STATS";
    /// A `KQL()` query string the KQL front-end could not read.
    pub const KQL: &str = "KQL() query not lowered";
    /// Full-text search: `MATCH`, `QSTR`, `:`.
    pub const FULL_TEXT: &str = "full-text search";
    /// A filter after `LOOKUP JOIN` (its columns may come from another index).
    pub const LOOKUP: &str = "WHERE after LOOKUP JOIN";
    /// Conditions traced through `EVAL` columns past the size budget.
    pub const TOO_LARGE: &str = "condition too large to trace through EVAL";
}

/// A source field a column reads, case-folded by `TO_LOWER`/`TO_UPPER` when
/// `fold` (`upper` says which), converted to another type (`TO_STRING`,
/// `::ip`) when `cast`, and passed through `transforms` (innermost first).
/// A fold of a plain field makes comparisons case-insensitive; a fold of a
/// transformed value, or a transform of a folded one, is a
/// [`Transform::Lower`] / [`Transform::Upper`] in the chain.
#[derive(Clone, Debug, PartialEq)]
struct Src {
    name: String,
    fold: bool,
    upper: bool,
    cast: bool,
    transforms: Vec<Transform>,
    /// What kind of number the value is, when known (for division).
    num: Num,
}

impl Src {
    /// A field read as it is.
    fn plain(name: impl Into<String>) -> Src {
        Src {
            name: name.into(),
            fold: false,
            upper: false,
            cast: false,
            transforms: Vec::new(),
            num: Num::Other,
        }
    }

    /// Whether the field is read as it is, or only converted.
    fn untransformed(&self) -> bool {
        !self.fold && self.transforms.is_empty()
    }

    /// The transforms, the case folding included.
    fn chain(&self) -> Vec<Transform> {
        let mut chain = self.transforms.clone();
        if self.fold {
            chain.push(if self.upper {
                Transform::Upper
            } else {
                Transform::Lower
            });
        }
        chain
    }

    /// The value as an operand of arithmetic.
    fn operand(&self) -> Operand {
        let chain = self.chain();
        if chain.is_empty() {
            Operand::Field(self.name.clone())
        } else {
            Operand::Value {
                field: self.name.clone(),
                transforms: chain,
            }
        }
    }

    /// The value passed through one more function.
    fn then(mut self, t: Transform) -> Src {
        self.num = match t {
            Transform::Length | Transform::DateDiff { .. } | Transform::ValueCount => Num::Int,
            _ => Num::Other,
        };
        if self.fold {
            self.fold = false;
            self.transforms.push(if self.upper {
                Transform::Upper
            } else {
                Transform::Lower
            });
        }
        self.transforms.push(t);
        self
    }

    /// The value lower-cased (`TO_LOWER`) or upper-cased (`TO_UPPER`).
    fn folded(self, upper: bool) -> Src {
        if self.transforms.is_empty() {
            Src {
                fold: true,
                upper,
                ..self
            }
        } else {
            self.then(if upper {
                Transform::Upper
            } else {
                Transform::Lower
            })
        }
    }
}

/// A predicate on what a source reads (its transforms included).
fn src_pred(s: &Src, op: Op, values: Vec<Value>, cased: bool, span: Span) -> Expr {
    let mut p = Pred::new(Field::raw(s.name.clone()), op, values).with_span(span);
    p.case_sensitive = cased;
    p.transforms.clone_from(&s.transforms);
    Expr::Pred(p)
}

/// The transform an ES|QL string function applies to its first argument,
/// when the other arguments are constants the model can hold:
/// `URL_DECODE`, `FROM_BASE64`, `TRIM`, `LENGTH`, `MV_COUNT`, `SUBSTRING(s, start[,
/// length])` (ES|QL counts from 1, the model from 0; a negative start counts
/// from the end in both) and `REPLACE(s, regex, text)`.
fn transform_of(c: &ast::Call) -> Option<Transform> {
    let int = |e: &ast::Expr| match &e.kind {
        ExprKind::Lit(Literal::Int(i)) => Some(*i),
        ExprKind::Neg(inner) => match expr_literal(inner)? {
            Literal::Int(i) => i.checked_neg(),
            _ => None,
        },
        _ => None,
    };
    let start = |e: &ast::Expr| match int(e)? {
        0 => None,
        i if i > 0 => Some(i - 1),
        i => Some(i),
    };
    if c.star {
        return None;
    }
    Some(match (c.name.as_str(), c.args.as_slice()) {
        ("URL_DECODE", [_]) => Transform::UrlDecode,
        ("FROM_BASE64", [_]) => Transform::Base64Decode,
        ("TRIM", [_]) => Transform::Trim,
        ("LENGTH", [_]) => Transform::Length,
        ("MV_COUNT", [_]) => Transform::ValueCount,
        ("SUBSTRING", [_, from]) => Transform::Substring {
            start: start(from)?,
            len: None,
        },
        ("SUBSTRING", [_, from, len]) => Transform::Substring {
            start: start(from)?,
            len: Some(int(len).filter(|n| *n >= 0)?),
        },
        ("REPLACE", [_, pattern, replacement]) => Transform::Replace {
            pattern: const_str(pattern)?,
            replacement: const_str(replacement)?,
        },
        _ => return None,
    })
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
    /// `LOCATE(field, "text")`: where the text starts in the field (from 1),
    /// 0 when it is not there.
    Locate { srcs: Vec<Src>, needle: String },
    /// Written by a command (`GROK`, …).
    Extracted(&'static str),
    /// An aggregate.
    Agg(AggDef),
    /// `CASE` over conditions on aggregates, lowered as `having` conditions.
    AggCase {
        branches: Rc<Vec<(Expr, CaseValue)>>,
        default: CaseValue,
    },
    /// `MV_CONCAT(values, separator)` of a `VALUES` metric: one string
    /// holding every value.
    AggConcat { metric: String, separator: String },
    /// A value computed from one metric (`DATE_DIFF`, arithmetic), stated
    /// as the metric with transforms.
    AggValue(Rc<AggValue>),
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
    /// The aggregates of the first `STATS`.
    metrics: Vec<Metric>,
    /// Post-`STATS` conditions on its aggregates.
    agg_conds: Vec<AggCond>,
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
///   `COALESCE` of several (the first non-null one is tested; `NULL`
///   arguments are skipped) is a condition on those fields; a boolean
///   expression is that expression; a `CASE` is the disjunction of the
///   branches whose result passes (a literal that matches, or a field tested
///   in its place), each ANDed with the negation of the earlier conditions
///   whose results do not always pass; a `COALESCE` of such columns tries
///   them in turn; `LOCATE(f, "x")` compared with 0 is whether `f` contains
///   `"x"`;
/// - a function of one source field that the model states as a
///   [`Transform`] — `URL_DECODE`, `FROM_BASE64`, `TRIM`, `LENGTH`,
///   `MV_COUNT`, `SUBSTRING` (from 1 in ES|QL, from 0 in the model) and
///   `REPLACE` with constant arguments — gives predicates on that field with
///   the transform chain (`TO_LOWER(URL_DECODE(url.original)) LIKE "*x*"` is
///   `url.original` with `[UrlDecode, Lower]`, `contains:cased "x"`;
///   `TO_LOWER` of a plain field stays a case-insensitive test). Arithmetic
///   `a op b` with `a` one source and `b` a number or one source is
///   [`Transform::Arith`] (a division only when one side is a floating-point
///   number, `::double`, `TO_DOUBLE` or a decimal literal: ES|QL divides
///   integers as integers). `x op NOW() - span` (a span of fixed length) is
///   `x` with `DateDiff { millisecond, until: now }` compared with the span.
///   A comparison of two fields is `field_ref` when at most one side is
///   transformed (an equality turns round so that it is the left one).
///   Anything else (a transform of a `COALESCE`, `LTRIM`, `SPLIT`, …) is
///   [`Expr::Opaque`], with the function named in the reason;
/// - columns written by `GROK` and `DISSECT` from one source field are that
///   field with a [`Transform::Grok`] / [`Transform::Dissect`] for the column
///   (also a grok named group `(?<name>…)`); with `APPEND_SEPARATOR`, several
///   grok patterns, or from a computed value they are opaque to filters, as
///   are the columns of `COMPLETION` and `ENRICH`; `RENAME` carries
///   definitions over; `KEEP`, `DROP`, `SORT`, `LIMIT`, `SAMPLE` and
///   `MV_EXPAND` do not change which events match;
/// - the first (non-inline) `STATS … BY keys` gives [`Lowered::aggregation`]:
///   the keys are its `group_by` (a case-folded or computed key keeps its
///   column name; a `DATE_TRUNC(span, @timestamp)` or `BUCKET(@timestamp,
///   span)` key is the window), and every aggregate is a
///   [`Metric`](ruledex_model::Metric) named by its column (or by its printed
///   expression when unnamed). See "Aggregates" below;
/// - after it, a `WHERE` on the keys is still a condition on the events
///   (filtering groups by key is filtering events by key); conditions on the
///   aggregates are the aggregation's, in one of two forms (never both):
///   - **threshold form**, when every conjunct is a bound on one count that an
///     Elastic threshold rule could state: bounds on a count of events are
///     [`Aggregation::condition`](ruledex_model::Aggregation::condition) of
///     [`AggregationKind::Threshold`](ruledex_model::AggregationKind::Threshold)
///     (with `COUNT_DISTINCT(f) >= n` beside an unfiltered count as its
///     cardinality), bounds on one `COUNT_DISTINCT(f)` are an
///     [`AggregationKind::ValueCount`](ruledex_model::AggregationKind::ValueCount),
///     minima on several `COUNT_DISTINCT`s are a cardinality-only threshold.
///     A count of the events matching `c` (see "Aggregates") that is the only
///     one compared, where a group of zero events cannot pass, is a count of
///     events with `c` joining the event condition;
///   - **`having` form** otherwise:
///     [`Aggregation::having`](ruledex_model::Aggregation::having) is the AND of
///     the conjuncts, over metric names (and keys) as fields: comparisons of a
///     metric with a literal, `AND`/`OR`/`NOT`, `IN`, `IS [NOT] NULL`,
///     `MV_CONTAINS(values, "x")` (some value is `"x"`), and comparisons of two
///     metrics as `field_ref` (the other metric's name as value; `within` is
///     `lt`/`lte`/`gt`/`gte` for an ordering, none for equality). A value
///     computed from one metric is that metric with transforms:
///     `DATE_DIFF(unit, m, NOW())` and `DATE_DIFF(unit, m, m2)`
///     ([`Transform::DateDiff`]), arithmetic with a number or a metric
///     ([`Transform::Arith`], with the division rule above), `MV_COUNT(m)`
///     ([`Transform::ValueCount`]), and `m op NOW() - span`. A `VALUES` list
///     compared with a value holds when it has one value and that value
///     compares: `value_count(m) eq 1 and m op v`. An `EVAL`
///     that renames an aggregate names the same metric; a `CASE` over such
///     conditions is traced like an event `CASE`; `MV_CONCAT(values, ",")
///     LIKE "*x*"` (no separator in `x`) is "some value contains `x`". The
///     kind is a `Threshold` with no cardinality and no `condition`;
///
///   a conjunct that cannot be stated exactly stays in the event condition as
///   [`Expr::Opaque`] (`having` never holds an opaque node): values computed
///   from aggregates otherwise (`ROUND`, `MV_FIRST`, integer division, …),
///   aggregates the model cannot state, and anything after a second `STATS`,
///   on `INLINE STATS` columns or after `LOOKUP JOIN`. A `STATS` with no
///   condition on its aggregates still gives its aggregation: every group is
///   kept.
///
/// # Aggregates
///
/// `COUNT(*)` is a `Count`; `COUNT(f)` a `Count` of field `f` (ES|QL counts
/// values, each value of a multi-valued field); `COUNT_DISTINCT(f)`, `SUM`,
/// `MIN`, `MAX`, `AVG`, `MEDIAN` and `VALUES` of a field are the functions of
/// that field; another function of one field (`STD_DEV(f)`) is `Other` with
/// the field. `COUNT_DISTINCT`, `VALUES`, `MIN`, `MAX`, `AVG`, `SUM` and
/// `MEDIAN` of a transformed field (`TO_LOWER(url.original)`, a `GROK`
/// column) are the metric of the field with
/// [`Metric::transforms`](ruledex_model::Metric::transforms), and of a `CASE`
/// whose results are all literals, the metric of those labels
/// ([`Metric::cases`](ruledex_model::Metric::cases)); conditions on such a
/// metric are `having` conditions, never a threshold. `… WHERE c` and an
/// argument `CASE(c, f, NULL)` make `c` the
/// metric's filter. `SUM` of a 0/1 flag (`CASE(c, 1, 0)`, or a boolean) is a
/// `Count` filtered by `c`; so is `MAX` of one, whose comparisons are restated
/// on the count (`== 1` as `>= 1`, `== 0` as `== 0`); comparisons of either
/// that would hold for a group with no flagged event are opaque when the flag
/// may be null rather than 0. An aggregate of an otherwise computed or
/// converted value, or with parameters (`PERCENTILE(f, 95)`), is `Other` with
/// no field, and conditions on it are opaque.
///
/// Predicates: `==` compares case-sensitively (ES|QL compares keywords
/// exactly) unless the field is wrapped in `TO_LOWER`/`TO_UPPER` or the
/// operator is `=~`; `!=` is `not eq`; `LIKE` and `RLIKE` reduce as the module
/// documentation of [`crate::esql`] says; `NOT x` is `Expr::not`; `STARTS_WITH`, `ENDS_WITH`,
/// `CONTAINS`, `CIDR_MATCH`, `MV_CONTAINS`, `IS [NOT] NULL` and `IN` map to
/// `starts_with`, `ends_with`, `contains`, `cidr`, `eq`, `is_null`/`is_not_null`
/// and `in`; `TRUE IN (c1, c2, …)` is `c1 or c2 or …`. A comparison of two
/// fields is `field_ref`. A query with no filter lowers to an empty `and`
/// (every event). `KQL("…")` is handed to the KQL front-end, and its
/// predicates get spans in this query.
pub fn lower(query: &Query) -> Lowered {
    let mut cx = Lowerer {
        env: HashMap::new(),
        budget: Cell::new(INLINE_BUDGET),
        conds: Vec::new(),
        stats: 0,
        group_by: Vec::new(),
        window: None,
        metrics: Vec::new(),
        agg_conds: Vec::new(),
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

/// The column names `%{…}` of a grok or dissect pattern (and a grok
/// pattern's named groups `(?<name>…)`).
fn pattern_columns(pattern: &str, grok: bool) -> Vec<String> {
    let mut out = Vec::new();
    if grok {
        let mut rest = pattern;
        while let Some(i) = rest.find("(?<") {
            rest = &rest[i + 3..];
            let Some(end) = rest.find('>') else { break };
            let name = &rest[..end];
            // `(?<=…)` and `(?<!…)` are look-behinds.
            if !name.is_empty() && !name.starts_with(['=', '!']) {
                out.push(name.to_owned());
            }
            rest = &rest[end + 1..];
        }
    }
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
            .map(|earlier| src_pred(earlier, Op::IsNull, Vec::new(), false, span))
            .collect();
        all.push(p(s));
        alts.push(Expr::and(all));
    }
    Expr::or(alts)
}

/// Whether a literal matches `LIKE`/`RLIKE` patterns, when that is plain to
/// see: null never does; a string is tested against patterns that reduce to
/// `eq`, `contains`, `starts_with` or `ends_with`.
fn like_literal(l: &Literal, regex: bool, patterns: &[String]) -> Option<bool> {
    let text = match l {
        Literal::Null => return Some(false),
        Literal::Str(s) => s,
        _ => return None,
    };
    let mut any = false;
    for p in patterns {
        let r = if regex {
            pattern::rlike(p).ok()?
        } else {
            pattern::like(p)
        };
        any |= match r.op {
            Op::Eq => *text == r.value,
            Op::Contains => text.contains(r.value.as_str()),
            Op::StartsWith => text.starts_with(r.value.as_str()),
            Op::EndsWith => text.ends_with(r.value.as_str()),
            _ => return None,
        };
    }
    Some(any)
}

/// A constant string: a literal, or `SPACE(n)`.
fn const_str(e: &ast::Expr) -> Option<String> {
    const MAX_SPACE: i64 = 10_000;
    match &e.kind {
        ExprKind::Lit(Literal::Str(s)) => Some(s.clone()),
        ExprKind::Call(c) if c.name == "SPACE" => match c.args.as_slice() {
            [n] => match expr_literal(n)? {
                Literal::Int(n) if (0..=MAX_SPACE).contains(n) => {
                    Some(" ".repeat(usize::try_from(*n).ok()?))
                }
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// What `LOCATE(…) op v` says: `Some(true)` when it holds exactly when the
/// text is found (the position is 1 or more), `Some(false)` when exactly
/// when it is not (the position is 0), `None` when it depends on where.
fn found_test(op: CmpOp, v: f64) -> Option<bool> {
    let at_zero = literal_cmp(&Literal::Int(0), op, &Literal::Float(v))?;
    // Positions are 1, 2, …: all of them pass, or none does.
    let all_pass = match op {
        CmpOp::Gt => v < 1.0,
        CmpOp::Gte => v <= 1.0,
        CmpOp::Neq => v.abs() < f64::EPSILON,
        _ => false,
    };
    let none_pass = match op {
        CmpOp::Lt => v <= 1.0,
        CmpOp::Lte => v < 1.0,
        CmpOp::Eq | CmpOp::CiEq => v < 1.0 || v.fract().abs() > 0.0,
        _ => false,
    };
    match (all_pass, none_pass, at_zero) {
        (true, _, false) => Some(true),
        (_, true, true) => Some(false),
        _ => None,
    }
}

/// The same definition, read through a type conversion.
fn converted(def: Def) -> Def {
    match def {
        Def::Fields(srcs) => {
            Def::Fields(srcs.into_iter().map(|s| Src { cast: true, ..s }).collect())
        }
        other => other,
    }
}

/// A converted number is a floating-point one after a conversion to `double`.
fn as_type(def: Def, ty: &str) -> Def {
    match def {
        Def::Fields(mut srcs) if ty == "double" => {
            for s in &mut srcs {
                if matches!(s.num, Num::Int | Num::Double | Num::Number) {
                    s.num = Num::Double;
                }
            }
            Def::Fields(srcs)
        }
        other => other,
    }
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
/// condition and its test do and no earlier condition did. `None` when a value
/// cannot be tested.
///
/// An earlier branch whose value always passes need not be excluded: when its
/// condition holds, the `CASE` passes through it anyway. So `CASE(a, "x", b,
/// "x", "y") == "x"` is `a or b`, not `a or (not a and b)`.
#[cfg(test)]
fn case_where(
    branches: &[(Expr, CaseValue)],
    default: &CaseValue,
    test: impl Fn(&CaseValue) -> Option<Expr>,
) -> Option<Expr> {
    let (tests, default_test) = case_tests(branches, default, test)?;
    Some(case_build(branches, &tests, default_test))
}

/// The test of each branch's value and of the default's.
fn case_tests(
    branches: &[(Expr, CaseValue)],
    default: &CaseValue,
    test: impl Fn(&CaseValue) -> Option<Expr>,
) -> Option<(Vec<Expr>, Expr)> {
    let tests: Option<Vec<Expr>> = branches.iter().map(|(_, v)| test(v)).collect();
    Some((tests?, test(default)?))
}

/// Nodes [`case_build`] makes, counted up to just past `limit`.
fn case_cost(
    branches: &[(Expr, CaseValue)],
    tests: &[Expr],
    default: &Expr,
    limit: usize,
) -> usize {
    let mut excluded = 0usize;
    let mut cost = 0usize;
    let all = branches
        .iter()
        .map(|(c, _)| Some(c))
        .chain([None])
        .zip(tests.iter().chain([default]));
    for (cond, t) in all {
        let size = cond.map_or(0, |c| size_upto(c, limit));
        if *t != never() {
            cost = cost.saturating_add(excluded + size + size_upto(t, limit));
        }
        if *t != always() {
            excluded = excluded.saturating_add(size);
        }
        if cost > limit {
            break;
        }
    }
    cost
}

fn case_build(branches: &[(Expr, CaseValue)], tests: &[Expr], default: Expr) -> Expr {
    let mut alts = Vec::new();
    let mut excluded: Vec<Expr> = Vec::new();
    let all = branches
        .iter()
        .map(|(c, _)| Some(c))
        .chain([None])
        .zip(tests.iter().cloned().chain([default]));
    for (cond, t) in all {
        if t != never() {
            let mut term = excluded.clone();
            term.extend(cond.cloned());
            if t != always() {
                term.push(t.clone());
            }
            alts.push(Expr::and(term));
        }
        if t != always()
            && let Some(c) = cond
        {
            excluded.push(Expr::not(c.clone()));
        }
    }
    Expr::or(alts)
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
        // Each branch repeats the conditions it excludes.
        let left = self.budget.get();
        let (tests, default_test) = case_tests(branches, default, test)?;
        let cost = case_cost(branches, &tests, &default_test, left);
        if cost > left {
            self.budget.set(0);
            return None;
        }
        self.budget.set(left - cost);
        Some(case_build(branches, &tests, default_test))
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

    fn command(&mut self, cmd: &CommandKind) {
        match cmd {
            CommandKind::Where(e) => self.filter(e),
            CommandKind::Eval(items) => self.eval(items),
            CommandKind::Stats(s) => self.stats(s),
            CommandKind::Rename(items) => {
                for r in items {
                    let def = self
                        .env
                        .remove(&r.from)
                        .unwrap_or_else(|| Def::Fields(vec![Src::plain(r.from.clone())]));
                    self.env.insert(r.to.clone(), def);
                }
            }
            // A column extracted from one source field (through transforms)
            // is that field with a `Dissect` / `Grok` transform; with options
            // (`APPEND_SEPARATOR`) or several grok patterns it is opaque.
            CommandKind::Dissect {
                input,
                pattern,
                options,
            } => {
                let src = self.single_src(input).filter(|_| options.is_empty());
                for c in pattern_columns(pattern, false) {
                    let def = match &src {
                        Some(s) => Def::Fields(vec![s.clone().then(Transform::Dissect {
                            pattern: pattern.clone(),
                            key: c.clone(),
                        })]),
                        None => Def::Extracted("DISSECT"),
                    };
                    self.env.insert(c, def);
                }
            }
            CommandKind::Grok { input, patterns } => {
                let src = self.single_src(input).filter(|_| patterns.len() == 1);
                for p in patterns {
                    for c in pattern_columns(p, true) {
                        let def = match &src {
                            Some(s) => Def::Fields(vec![s.clone().then(Transform::Grok {
                                pattern: p.clone(),
                                key: c.clone(),
                            })]),
                            None => Def::Extracted("GROK"),
                        };
                        self.env.insert(c, def);
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

    /// `lhs op rhs` on one event, as the left operand's source with an
    /// [`Transform::Arith`]: the right operand is a number or one source
    /// (through transforms). A division needs a floating-point operand, since
    /// ES|QL divides integers as integers; the left operand must read one
    /// field (a number on the left is not stated).
    fn arith(&self, op: ast::ArithOp, lhs: &ast::Expr, rhs: &ast::Expr) -> Option<Def> {
        // A number converted to another number type is the same value.
        let numeric = |e: &ast::Expr| match self.classify(e) {
            Def::Fields(mut srcs) if srcs.len() == 1 => {
                let s = srcs.remove(0);
                let number = matches!(s.num, Num::Int | Num::Double | Num::Number);
                (!s.cast || number).then_some(s)
            }
            _ => None,
        };
        let left = numeric(lhs)?;
        let (operand, right) = match expr_literal(rhs) {
            #[allow(clippy::cast_precision_loss)]
            Some(Literal::Int(i)) => (Operand::Number(*i as f64), Num::Int),
            Some(Literal::Float(x)) => (Operand::Number(*x), Num::Double),
            Some(_) => return None,
            None => {
                let r = numeric(rhs)?;
                (r.operand(), r.num)
            }
        };
        let num = match (left.num, right) {
            (Num::Int, Num::Int) => Num::Int,
            (Num::Double, _) | (_, Num::Double) => Num::Double,
            _ => Num::Number,
        };
        let op = match op {
            ast::ArithOp::Add => MArith::Add,
            ast::ArithOp::Sub => MArith::Sub,
            ast::ArithOp::Mul => MArith::Mul,
            ast::ArithOp::Mod => MArith::Rem,
            ast::ArithOp::Div if num == Num::Double => MArith::Div,
            ast::ArithOp::Div => return None,
        };
        let mut src = left.then(Transform::Arith { op, operand });
        src.num = num;
        Some(Def::Fields(vec![src]))
    }

    /// The one source field (through transforms, not a type conversion) an
    /// expression reads.
    fn single_src(&self, e: &ast::Expr) -> Option<Src> {
        match self.classify(e) {
            Def::Fields(mut srcs) if srcs.len() == 1 && !srcs[0].cast => Some(srcs.remove(0)),
            _ => None,
        }
    }

    /// What a column holds; a column never defined is a source field.
    fn def_of(&self, name: &str) -> Def {
        self.env
            .get(name)
            .cloned()
            .unwrap_or_else(|| Def::Fields(vec![Src::plain(name)]))
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
            // A plain alias of an aggregate names the same metric.
            if let ExprKind::Field(f) = &e.kind
                && let Some(d @ (Def::Agg(_) | Def::AggCase { .. } | Def::AggConcat { .. })) =
                    self.env.get(f)
            {
                return d.clone();
            }
            if let Some(d) = self.classify_on_aggs(e) {
                return d;
            }
            if let Some(v) = self.agg_value(e) {
                return Def::AggValue(Rc::new(v));
            }
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
            ExprKind::Cast { expr, ty } => as_type(converted(self.classify(expr)), ty),
            ExprKind::Arith { op, lhs, rhs } => self
                .arith(*op, lhs, rhs)
                .unwrap_or_else(|| computed("arithmetic")),
            ExprKind::Call(c) => match (c.name.as_str(), c.args.as_slice()) {
                ("TO_LOWER" | "TO_UPPER", [arg]) => match self.classify(arg) {
                    Def::Fields(srcs) => {
                        let upper = c.name == "TO_UPPER";
                        Def::Fields(srcs.into_iter().map(|s| s.folded(upper)).collect())
                    }
                    _ => computed(&c.name),
                },
                (_, [arg, ..]) if transform_of(c).is_some() => match self.classify(arg) {
                    // One source: a transform of the first non-null of several
                    // is not the first non-null of their transforms when a
                    // transform gives null (an invalid URL encoding).
                    Def::Fields(mut srcs) if srcs.len() == 1 => {
                        let t = transform_of(c).expect("checked");
                        Def::Fields(vec![srcs.remove(0).then(t)])
                    }
                    _ => computed(&c.name),
                },
                (name, [arg]) if CASTS.contains(&name) => match self.classify(arg) {
                    d @ (Def::Fields(_) | Def::Bool(_)) => {
                        let ty = if matches!(name, "TO_DOUBLE" | "TO_DBL") {
                            "double"
                        } else {
                            ""
                        };
                        as_type(converted(d), ty)
                    }
                    _ => computed(&c.name),
                },
                ("COALESCE", args) if !args.is_empty() && args.len() <= MAX_COALESCE => {
                    // COALESCE(COALESCE(a, b), c) is COALESCE(a, b, c): flattened,
                    // so that definitions never nest, and capped.
                    let mut defs: Vec<Def> = Vec::new();
                    // A NULL argument is never the first non-null one.
                    for a in args
                        .iter()
                        .filter(|a| expr_literal(a) != Some(&Literal::Null))
                    {
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
                ("LOCATE", [_, _]) => match self.locate(e) {
                    Some((srcs, needle)) => Def::Locate { srcs, needle },
                    None => computed("LOCATE"),
                },
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
                    .map(|s| src_pred(s, Op::IsNotNull, Vec::new(), false, span))
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
                    .map(|s| src_pred(s, Op::IsNotNull, Vec::new(), false, span))
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
                let any = match self.subject(expr, e) {
                    Ok(subject) => over(&subject, span, |s| Self::like(e, s, *regex, patterns)),
                    Err(o) => match self.column_def(expr) {
                        Some(d) => {
                            self.test_value(&d, e, &|s| Self::like(e, s, *regex, patterns), &|l| {
                                like_literal(l, *regex, patterns)
                            })
                        }
                        None => return o,
                    },
                };
                if *negated { Expr::not(any) } else { any }
            }
            ExprKind::In {
                expr,
                negated,
                list,
            } => {
                // `TRUE IN (c1, c2, …)`: one of the conditions holds.
                if let Some(Literal::Bool(b)) = expr_literal(expr)
                    && list.iter().all(Self::is_boolean)
                {
                    let alts = list
                        .iter()
                        .map(|x| {
                            if *b {
                                self.cond(x)
                            } else {
                                Expr::not(self.cond(x))
                            }
                        })
                        .collect();
                    let p = Expr::or(alts);
                    return if *negated { Expr::not(p) } else { p };
                }
                // The fields tested, or a CASE or COALESCE column.
                let (subject, column) = match self.subject(expr, e) {
                    Ok(s) => (s, None),
                    Err(o) => match self.column_def(expr) {
                        Some(d) => (Vec::new(), Some(d)),
                        None => return o,
                    },
                };
                let lits: Option<Vec<&Literal>> = list.iter().map(expr_literal).collect();
                let values: Option<Vec<Value>> = lits
                    .as_ref()
                    .and_then(|ls| ls.iter().map(|l| literal_value(l)).collect());
                let (Some(lits), Some(values)) = (lits, values) else {
                    return opaque(reason::NON_LITERAL, e);
                };
                let text = values.iter().any(|v| matches!(v, Value::Str(_)));
                let on_src = |s: &Src| src_pred(s, Op::In, values.clone(), text && !s.fold, span);
                let p = match column {
                    None => over(&subject, span, on_src),
                    Some(d) => self.test_value(&d, e, &on_src, &|l| {
                        let mut any = false;
                        for x in &lits {
                            any |= literal_cmp(l, CmpOp::Eq, x)?;
                        }
                        Some(any)
                    }),
                };
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
                            src_pred(s, op, Vec::new(), false, span)
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
                    src_pred(s, op, Vec::new(), false, span)
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
            pred.transforms.clone_from(&s.transforms);
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
                Def::Locate { .. } => {
                    Err(opaque(format!("{} (LOCATE)", reason::EVAL_COMPUTED), whole))
                }
                Def::Agg(_) => Err(opaque(reason::AGGREGATE, whole)),
                Def::AggCase { .. } => {
                    Err(opaque(format!("{} (CASE)", reason::FROM_AGGREGATES), whole))
                }
                Def::AggConcat { .. } => Err(opaque(
                    format!("{} (MV_CONCAT)", reason::FROM_AGGREGATES),
                    whole,
                )),
                Def::AggValue(_) => Err(opaque(
                    format!("{} (a computed value)", reason::FROM_AGGREGATES),
                    whole,
                )),
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
                ("TO_LOWER" | "TO_UPPER", [arg]) => {
                    let upper = c.name == "TO_UPPER";
                    self.subject(arg, whole)
                        .map(|srcs| srcs.into_iter().map(|s| s.folded(upper)).collect())
                }
                (_, [arg, ..]) if transform_of(c).is_some() => {
                    let t = transform_of(c).expect("checked");
                    match self.subject(arg, whole)? {
                        srcs if srcs.len() == 1 => {
                            Ok(srcs.into_iter().map(|s| s.then(t.clone())).collect())
                        }
                        _ => Err(opaque(
                            format!("{} ({})", reason::FUNCTION_RESULT, c.name),
                            whole,
                        )),
                    }
                }
                (name, [arg]) if CASTS.contains(&name) => self.subject(arg, whole),
                ("COALESCE", args) if !args.is_empty() && args.len() <= MAX_COALESCE => {
                    let mut all = Vec::new();
                    for a in args
                        .iter()
                        .filter(|a| expr_literal(a) != Some(&Literal::Null))
                    {
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

    /// `LOCATE(field, "text")` (also through an `EVAL` column): the fields
    /// searched and the text.
    fn locate(&self, e: &ast::Expr) -> Option<(Vec<Src>, String)> {
        match &e.kind {
            ExprKind::Field(f) => match self.def_of(f) {
                Def::Locate { srcs, needle } => Some((srcs, needle)),
                _ => None,
            },
            ExprKind::Call(c) if c.name == "LOCATE" => {
                let [hay, needle] = c.args.as_slice() else {
                    return None;
                };
                let needle = const_str(needle)?;
                match self.classify(hay) {
                    Def::Fields(srcs) => Some((srcs, needle)),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The definition of a `CASE` or `COALESCE` column.
    fn column_def(&self, e: &ast::Expr) -> Option<Def> {
        match self.def_of(e.as_field()?) {
            d @ (Def::Case { .. } | Def::Coalesce(_)) => Some(d),
            _ => None,
        }
    }

    /// A test on the value of a `CASE` or `COALESCE` column: each source
    /// field the value may come from is tested with `on_src`, each literal
    /// result with `on_lit`; both must fail on null (a `COALESCE` tries its
    /// arguments in turn). Opaque when a result cannot be tested.
    fn test_value(
        &self,
        def: &Def,
        at: &ast::Expr,
        on_src: &dyn Fn(&Src) -> Expr,
        on_lit: &dyn Fn(&Literal) -> Option<bool>,
    ) -> Expr {
        if self.budget.get() == 0 {
            return opaque(reason::TOO_LARGE, at);
        }
        self.try_test_value(def, at, on_src, on_lit)
            .unwrap_or_else(|| {
                let what = match def {
                    Def::Coalesce(_) => "COALESCE",
                    _ => "CASE",
                };
                let r = if self.budget.get() == 0 {
                    reason::TOO_LARGE.to_owned()
                } else {
                    format!("{} ({what})", reason::EVAL_COMPUTED)
                };
                opaque(r, at)
            })
    }

    fn try_test_value(
        &self,
        def: &Def,
        at: &ast::Expr,
        on_src: &dyn Fn(&Src) -> Expr,
        on_lit: &dyn Fn(&Literal) -> Option<bool>,
    ) -> Option<Expr> {
        let span = at.span();
        match def {
            Def::Fields(srcs) => Some(over(srcs, span, on_src)),
            Def::Case { branches, default } => self.case_opt(branches, default, |v| match v {
                CaseValue::Lit(l) => on_lit(l).map(yes),
                CaseValue::Col(srcs) => Some(over(srcs, span, on_src)),
                CaseValue::Other => None,
            }),
            // The first argument that is not null gives the value.
            Def::Coalesce(defs) => {
                let mut alts = Vec::with_capacity(defs.len());
                let mut earlier_null: Vec<Expr> = Vec::new();
                for d in defs {
                    let test = self.try_test_value(d, at, on_src, on_lit)?;
                    let mut all = earlier_null.clone();
                    all.push(test);
                    alts.push(Expr::and(all));
                    earlier_null.push(Expr::not(self.def_not_null(d, span, at)?));
                }
                let cost: usize = alts.iter().map(|a| size_upto(a, self.budget.get())).sum();
                let left = self.budget.get();
                if cost > left {
                    self.budget.set(0);
                    return None;
                }
                self.budget.set(left - cost);
                Some(Expr::or(alts))
            }
            _ => None,
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
        // `LOCATE(f, "x") > 0`: whether f contains "x".
        if let Some(lit) = expr_literal(rhs)
            && let Some((srcs, needle)) = self.locate(lhs)
        {
            let found = literal_value(lit)
                .and_then(|v| v.as_f64())
                .and_then(|v| found_test(op, v));
            let Some(found) = found else {
                return opaque(format!("{} (LOCATE)", reason::FUNCTION_RESULT), e);
            };
            let p = over(&srcs, span, |s| {
                src_pred(
                    s,
                    Op::Contains,
                    vec![Value::Str(needle.clone())],
                    !s.fold,
                    span,
                )
            });
            return if found { p } else { Expr::not(p) };
        }
        // A comparison with a CASE or boolean column is the branches that match.
        if let (Some(col), Some(lit)) = (lhs.as_field(), expr_literal(rhs)) {
            match self.def_of(col) {
                d @ (Def::Case { .. } | Def::Coalesce(_)) => {
                    let Some(value) = literal_value(lit) else {
                        return opaque(reason::NON_LITERAL, e);
                    };
                    // `!=` is `not ==`, as on fields.
                    let text = matches!(value, Value::Str(_));
                    let pos = if op == CmpOp::Neq { CmpOp::Eq } else { op };
                    let on_src = |s: &Src| {
                        let cased = text && !s.fold && op != CmpOp::CiEq;
                        src_pred(s, cmp_model_op(pos), vec![value.clone()], cased, span)
                    };
                    let p = self.test_value(&d, e, &on_src, &|l| literal_cmp(l, pos, lit));
                    return if op == CmpOp::Neq { Expr::not(p) } else { p };
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
        // `@timestamp >= NOW() - 1 hour`: the time from the field until now.
        if let Some(ms) = computed::now_minus(rhs) {
            let Some((t, op, value)) = computed::since_now(op, ms) else {
                return opaque(reason::NON_LITERAL, e);
            };
            return over(&subject, span, |s| {
                let s = s.clone().then(t.clone());
                src_pred(&s, op, vec![value.clone()], false, span)
            });
        }
        if let Some(lit) = expr_literal(rhs) {
            let Some(value) = literal_value(lit) else {
                return opaque(reason::NON_LITERAL, e);
            };
            // Case only matters for strings.
            let text = matches!(value, Value::Str(_));
            let p = over(&subject, span, |s| {
                let cased = text && !s.fold && op != CmpOp::CiEq;
                src_pred(s, cmp_model_op(op), vec![value.clone()], cased, span)
            });
            return if op == CmpOp::Neq { Expr::not(p) } else { p };
        }
        // Field against field.
        if matches!(op, CmpOp::Eq | CmpOp::Neq | CmpOp::CiEq)
            && let Ok(other) = self.subject(rhs, e)
            && let ([x], [y]) = (subject.as_slice(), other.as_slice())
            // `field_ref` names the other field's own value: an equality with
            // a transformed field on the right turns round.
            && let Some((a, b)) = if y.transforms.is_empty() {
                Some((x, y))
            } else if x.transforms.is_empty() {
                Some((y, x))
            } else {
                None
            }
        {
            let cased = !a.fold && !b.fold && op != CmpOp::CiEq;
            let p = src_pred(
                a,
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
                src_pred(s, Op::Eq, vec![Value::Bool(true)], true, e.span())
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
                src_pred(s, op, values.clone(), cased, span)
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
            pattern_columns("h=(?<server>[^&]+)(?<=x)(?<!y)&%{WORD:w}", true),
            ["server", "w"]
        );
        assert_eq!(
            pattern_columns("%{a} %{+a} %{?skip} %{&v} %{*k} %{b->} %{+c/2} %{", false),
            ["a", "a", "skip", "v", "k", "b", "c"]
        );
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
        // The default passes; only b's branch (which fails) is excluded.
        assert_eq!(got.to_string(), "a exists true or not b exists true");
    }

    #[test]
    fn size_is_counted_up_to_the_limit() {
        let leaf = || Expr::Pred(Pred::new(Field::raw("x"), Op::Exists, vec![true.into()]));
        let e = Expr::And(vec![leaf(), Expr::Not(Box::new(leaf())), leaf()]);
        assert_eq!(size_upto(&e, 100), 5);
        assert_eq!(size_upto(&e, 2), 3);
    }
}

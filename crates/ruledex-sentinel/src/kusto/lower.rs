//! Lowering a Kusto query into the model: the rows its result keeps, as an
//! [`Expr`] over the source tables' columns, and its aggregation.
//!
//! # What becomes what
//!
//! - **Sources.** Table names, ASIM parser functions (`imProcessCreate`,
//!   `_Im_Dns`) and wildcard union members (`Device*`) are collected in
//!   [`Lowered::tables`]. A `let` name that stands for a tabular expression
//!   is lowered where it is used. A `union` is the disjunction of its
//!   members' filters (no filter when a member has none).
//! - **`where`.** Each comparison of a column with literals is a predicate on
//!   the column's name as written (`Member` chains as dotted names:
//!   `parse_json(AdditionalFields).Foo` is `AdditionalFields.Foo`):
//!   - `==`, `in`, `has_cs`, `contains_cs`, `startswith_cs`, `endswith_cs`,
//!     `matches regex` compare case-sensitively; `=~`, `in~`, `has`,
//!     `contains`, `startswith`, `endswith`, `has_any`, `has_all` ignore case;
//!     `!…` forms are the negation;
//!   - **`has` is a whole-term match** (the value must be a token of the
//!     column, Kusto's term index); the model has no term operator, so `has`,
//!     `has_any`, `has_all` lower as [`Op::Contains`] and `hasprefix`,
//!     `hassuffix` as `starts_with`/`ends_with`, each recorded in
//!     [`Lowered::approximations`] — the lowered predicate matches a superset
//!     of what Kusto matches;
//!   - `between (a .. b)` is `gte a and lte b`; `isnotempty(c)` /
//!     `isempty(c)` are `exists true/false` (a Kusto column is always in the
//!     schema; empty is how a row lacks the value), `isnull` / `isnotnull`
//!     are `is_null` / `is_not_null`; `ipv4_is_in_range` is `cidr`;
//!   - `x in (list)` with a `let` list expands to its values; a `let`
//!     tabular expression or a sub-query is a `lookup` on its text;
//!   - a comparison with `ago()`, `now()` or a `datetime` (and `TimeGenerated`
//!     / `Timestamp` ranges) is the query's time range, not detection logic:
//!     recorded in [`Lowered::time_filters`], no predicate.
//! - **Computed columns.** `extend`/`project` columns that are another
//!   column renamed or cast (`tostring`, `todynamic`, …), or one of
//!   `tolower`, `toupper`, `trim`, `strlen`, `array_length`, `substring` of a
//!   column, are traced back (the functions become [`Pred::transforms`]);
//!   other computed columns make the predicate opaque
//!   ([`reason::COMPUTED`]).
//! - **`summarize`** makes the [`Aggregation`]: `by` columns are `group_by`
//!   (`bin(TimeGenerated, 1h)` is the window), aggregates are metrics
//!   (`count()` is `count_`, `dcount(x)` is `dcount_x`, …). After it, a
//!   comparison of the plain count with a number is the threshold
//!   `condition`; `dcount` bounds are `cardinality`; other comparisons of
//!   metrics are `having`; a filter on a group-by column is the same filter
//!   before the aggregation, so it joins the expression.
//! - **Joins.** An inner, semi or anti `join` (or an inner `lookup`) keeps or
//!   drops rows by another query: opaque ([`reason::JOIN`]); the other
//!   query's tables are still collected. A `leftouter` join or a default
//!   `lookup` keeps every row and only adds columns, so it changes nothing.
//! - Operators that reorder, limit, project or render (`sort`, `take`, `top`,
//!   `distinct`, `project-away`, `render`, …) do not change which events
//!   match; `parse`, `extract` and `mv-apply` columns, `make-series`, second
//!   aggregations and unknown operators are opaque with their reason.
//!
//! Lowering never fails.

use std::collections::HashMap;

use ruledex_diag::Span;
use ruledex_model::{
    Aggregation, AggregationKind, Comparison, Expr, Field, Metric, MetricFunction, Op, Pred,
    Transform, Value, Window,
};

use super::ast::{
    self, Assign, ExprKind, LetValue, Operator, Pipeline, Source, Statement, TableRef,
};

/// Stable opaque reasons.
pub mod reason {
    /// A filter on a column computed by an expression the model cannot state.
    pub const COMPUTED: &str = "filter on a computed column";
    /// A filter comparing against something that is not a literal.
    pub const NON_LITERAL: &str = "comparison with a non-literal value";
    /// A function the lowering does not model, in a condition.
    pub const FUNCTION: &str = "function in a condition";
    /// An inner / semi / anti join or inner lookup with another query.
    pub const JOIN: &str = "join with another query";
    /// A filter on the result of an aggregate the model cannot compare.
    pub const AGGREGATE: &str = "filter on a computed aggregate value";
    /// A second `summarize` (or `make-series`, `count` after an aggregation).
    pub const SECOND_AGGREGATION: &str = "second aggregation";
    /// A time-series operator (`make-series`, `series_decompose_anomalies`).
    pub const SERIES: &str = "time-series analysis";
    /// A column extracted with `parse` / `extract` / `parse-kv`.
    pub const PARSED: &str = "filter on a parsed column";
    /// A source that is not a table (`datatable`, `externaldata`, `search`, …).
    pub const SOURCE: &str = "non-table source";
    /// An operator the lowering does not model.
    pub const OPERATOR: &str = "unsupported operator";
    /// A filter on a column that may come from a joined query.
    pub const JOINED_COLUMN: &str = "filter on a column of a joined query";
    /// Parameters of an ASIM parser call, which filter its rows.
    pub const PARSER_PARAMETERS: &str = "ASIM parser parameters";
    /// A `let` or function call nested deeper than the lowering follows.
    pub const TOO_DEEP: &str = "let references nested too deep";
}

/// How deep `let` names and functions are followed.
const MAX_LET_DEPTH: usize = 16;

/// What lowering a query gives.
#[derive(Clone, Debug, PartialEq)]
pub struct Lowered {
    /// The condition on each event.
    pub expr: Expr,
    /// The aggregation (`summarize`), when there is one.
    pub aggregation: Option<Aggregation>,
    /// Tables and ASIM parsers read, in order of appearance, each once.
    pub tables: Vec<String>,
    /// Time-range filters (`TimeGenerated > ago(1d)`), as written.
    pub time_filters: Vec<String>,
    /// Operators lowered to a broader model operator (`has` as `contains`), as written.
    pub approximations: Vec<String>,
}

/// Lower a parsed query.
pub fn lower(query: &ast::Query) -> Lowered {
    let mut cx = Cx::default();
    let mut part = Part::default();
    cx.bind(&query.statements);
    if let Some(result) = query.result() {
        part = cx.pipeline(result, 0);
    }
    let mut expr = Expr::and(part.conds);
    if let Expr::And(v) = &expr
        && v.is_empty()
    {
        expr = Expr::And(Vec::new());
    }
    let aggregation = part.agg.map(AggState::finish);
    Lowered {
        expr,
        aggregation,
        tables: cx.tables,
        time_filters: cx.time_filters,
        approximations: cx.approximations,
    }
}

#[derive(Clone, Debug)]
enum Binding<'q> {
    List(Vec<Value>),
    Scalar(Value),
    Tabular(&'q Pipeline),
    Function(&'q ast::Query),
    Other,
}

/// What a column holds.
#[derive(Clone, Debug)]
enum Column {
    /// A source column with functions applied (a rename when none).
    Traced(String, Vec<Transform>),
    /// Computed otherwise; the reason.
    Computed(&'static str),
    /// A metric of the aggregation, by index.
    Metric(usize),
}

#[derive(Default)]
struct Cx<'q> {
    lets: HashMap<String, Binding<'q>>,
    /// Parameter names of `let` functions.
    params: HashMap<String, Vec<String>>,
    tables: Vec<String>,
    time_filters: Vec<String>,
    approximations: Vec<String>,
}

/// The lowering of one pipeline so far.
#[derive(Default)]
struct Part {
    conds: Vec<Expr>,
    columns: HashMap<String, Column>,
    agg: Option<AggState>,
    /// After a join whose other side's columns are unknown: a column not
    /// traced so far may be the other side's.
    joined_unknown: bool,
}

struct AggState {
    agg: Aggregation,
    group_keys: Vec<String>,
}

impl AggState {
    fn finish(self) -> Aggregation {
        self.agg
    }
}

fn opaque(reason: impl Into<String>, e: &ast::Expr) -> Expr {
    Expr::opaque(reason, e.to_string(), Some(e.span))
}

fn opaque_at(reason: impl Into<String>, text: String, span: Span) -> Expr {
    Expr::opaque(reason, text, Some(span))
}

/// The literal an expression is, if any.
fn literal(e: &ast::Expr) -> Option<Value> {
    match &e.kind {
        ExprKind::Str { value, .. } => Some(Value::Str(value.clone())),
        ExprKind::Number(n) => n
            .parse::<i64>()
            .map(Value::Int)
            .ok()
            .or_else(|| n.parse::<f64>().ok().map(Value::Float)),
        ExprKind::Timespan(t) | ExprKind::Typed(t) => Some(Value::Str(t.clone())),
        ExprKind::Name(n) if n.eq_ignore_ascii_case("true") => Some(Value::Bool(true)),
        ExprKind::Name(n) if n.eq_ignore_ascii_case("false") => Some(Value::Bool(false)),
        ExprKind::Unary { op: "-", expr } => match literal(expr)? {
            Value::Int(i) => Some(Value::Int(-i)),
            Value::Float(f) => Some(Value::Float(-f)),
            _ => None,
        },
        ExprKind::Paren(inner) => literal(inner),
        ExprKind::Call { name, args }
            if name.eq_ignore_ascii_case("dynamic") && args.len() == 1 =>
        {
            match &args[0].kind {
                ExprKind::Name(n) if n == "null" => Some(Value::Null),
                _ => literal(&args[0]),
            }
        }
        _ => None,
    }
}

/// Whether an expression is about time (`ago(1d)`, `now()`, `datetime(…)`).
fn is_time(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Typed(t) => t.starts_with("datetime"),
        ExprKind::Call { name, args } => {
            let n = name.to_ascii_lowercase();
            matches!(
                n.as_str(),
                "ago"
                    | "now"
                    | "startofday"
                    | "startofweek"
                    | "startofmonth"
                    | "endofday"
                    | "todatetime"
            ) || args.iter().any(is_time)
        }
        ExprKind::Binary { lhs, rhs, .. } => is_time(lhs) || is_time(rhs),
        ExprKind::Paren(e) => is_time(e),
        _ => false,
    }
}

fn is_time_column(name: &str) -> bool {
    [
        "TimeGenerated",
        "Timestamp",
        "TimeCreated",
        "_TimeReceived",
        "EventTime",
        "StartTime",
        "EndTime",
    ]
    .iter()
    .any(|t| t.eq_ignore_ascii_case(name))
}

/// Default column name Kusto gives an aggregate: `count_`, `dcount_User`.
fn default_metric_name(func: &str, args: &[ast::Expr]) -> String {
    let arg = args.first().map_or(String::new(), |a| match &a.kind {
        ExprKind::Name(n) => n.clone(),
        _ => String::new(),
    });
    let f = func.to_ascii_lowercase();
    match f.as_str() {
        "count" => "count_".to_owned(),
        "countif" => "countif_".to_owned(),
        "make_set" | "makeset" | "make_set_if" => format!("set_{arg}"),
        "make_list" | "makelist" | "make_list_if" => format!("list_{arg}"),
        _ => format!("{f}_{arg}"),
    }
}

impl<'q> Cx<'q> {
    fn bind(&mut self, statements: &'q [Statement]) {
        for s in statements {
            if let Statement::Let { name, value, .. } = s {
                let b = match value {
                    LetValue::Function { body, params, .. } => {
                        let names = params
                            .split(',')
                            .filter_map(|p| p.split(':').next())
                            .map(|p| p.trim().to_owned())
                            .collect();
                        self.params.insert(name.clone(), names);
                        Binding::Function(body)
                    }
                    LetValue::Pipeline(p) => match p.as_expr() {
                        Some(e) => self.scalar_binding(e).unwrap_or(Binding::Tabular(p)),
                        None => Binding::Tabular(p),
                    },
                };
                self.lets.insert(name.clone(), b);
            }
        }
    }

    fn scalar_binding(&self, e: &ast::Expr) -> Option<Binding<'q>> {
        if let Some(v) = literal(e) {
            return Some(Binding::Scalar(v));
        }
        match &e.kind {
            ExprKind::Call { name, args }
                if ["dynamic", "pack_array", "todynamic"]
                    .iter()
                    .any(|f| name.eq_ignore_ascii_case(f)) =>
            {
                let items: Vec<&ast::Expr> = match args.as_slice() {
                    [a] if matches!(a.kind, ExprKind::Array(_)) => match &a.kind {
                        ExprKind::Array(items) => items.iter().collect(),
                        _ => unreachable!("checked"),
                    },
                    _ => args.iter().collect(),
                };
                let values: Option<Vec<Value>> = items.into_iter().map(literal).collect();
                Some(values.map_or(Binding::Other, Binding::List))
            }
            ExprKind::Name(n) => match self.lets.get(n) {
                Some(b @ (Binding::List(_) | Binding::Scalar(_))) => Some(b.clone()),
                Some(_) | None => None,
            },
            ExprKind::Call { name, .. }
                if matches!(self.lets.get(name), Some(Binding::Function(_)))
                    || ["table", "materialize", "view", "_GetWatchlist"]
                        .iter()
                        .any(|f| name.eq_ignore_ascii_case(f)) =>
            {
                None
            }
            ExprKind::Call { .. } | ExprKind::Binary { .. } | ExprKind::Unary { .. } => {
                Some(Binding::Other)
            }
            _ => None,
        }
    }

    fn table(&mut self, name: &str) {
        if !self.tables.iter().any(|t| t == name) {
            self.tables.push(name.to_owned());
        }
    }

    fn approx(&mut self, op: &str) {
        if !self.approximations.iter().any(|a| a == op) {
            self.approximations.push(op.to_owned());
        }
    }

    fn pipeline(&mut self, p: &'q Pipeline, depth: usize) -> Part {
        if depth > MAX_LET_DEPTH {
            let mut part = Part::default();
            part.conds
                .push(opaque_at(reason::TOO_DEEP, p.to_string(), p.span));
            return part;
        }
        let mut part = match &p.source {
            Source::Expr(e) => self.source_expr(e, depth),
            Source::Union(u) => self.union(u, Part::default(), depth, p.span),
            Source::Generic { name, .. } => {
                let mut part = Part::default();
                part.conds.push(opaque_at(
                    format!("{} ({name})", reason::SOURCE),
                    p.source.to_string(),
                    p.span,
                ));
                part
            }
        };
        for op in &p.ops {
            self.operator(op, &mut part, depth);
        }
        part
    }

    fn source_expr(&mut self, e: &'q ast::Expr, depth: usize) -> Part {
        match &e.kind {
            ExprKind::Name(n) => match self.lets.get(n).cloned() {
                Some(Binding::Tabular(p)) => self.pipeline(p, depth + 1),
                Some(Binding::Function(body)) => self.function(body, depth),
                _ => {
                    self.table(n);
                    Part::default()
                }
            },
            ExprKind::Call { name, args } => match self.lets.get(name).cloned() {
                Some(Binding::Function(body)) => {
                    let params = self.params.get(name).cloned().unwrap_or_default();
                    let saved = self.lets.clone();
                    for (p, a) in params.iter().zip(args) {
                        if let Some(v) = self.value(a) {
                            self.lets.insert(p.clone(), Binding::Scalar(v));
                        }
                    }
                    let part = self.function(body, depth);
                    self.lets = saved;
                    part
                }
                // `table("SigninLogs")`, or `table(name)` with a bound name.
                _ if name.eq_ignore_ascii_case("table") && args.len() == 1 => {
                    match self.value(&args[0]) {
                        Some(Value::Str(t)) => self.table(&t),
                        _ => self.table(&e.to_string()),
                    }
                    Part::default()
                }
                _ => {
                    self.table(name);
                    let mut part = Part::default();
                    // ASIM parser parameters (`_Im_NetworkSession(eventresult='Failure')`)
                    // filter the parser's rows; the model does not know the parser.
                    if args
                        .iter()
                        .any(|a| matches!(a.kind, ExprKind::Named { .. }))
                    {
                        part.conds.push(opaque(reason::PARSER_PARAMETERS, e));
                    }
                    part
                }
            },
            ExprKind::Paren(inner) => self.source_expr(inner, depth + 1),
            ExprKind::Tabular(p) => self.pipeline(p, depth + 1),
            _ => {
                let mut part = Part::default();
                part.conds.push(opaque(reason::SOURCE, e));
                part
            }
        }
    }

    fn function(&mut self, body: &'q ast::Query, depth: usize) -> Part {
        let saved = self.lets.clone();
        self.bind(&body.statements);
        let part = match body.result() {
            Some(p) => self.pipeline(p, depth + 1),
            None => Part::default(),
        };
        self.lets = saved;
        part
    }

    fn union(&mut self, u: &'q ast::Union, first: Part, depth: usize, span: Span) -> Part {
        let mut branches = vec![first];
        for t in &u.tables {
            let part = match t {
                TableRef::Name(n) if n.contains('*') => {
                    self.table(n);
                    Part::default()
                }
                TableRef::Name(n) => {
                    // A name bound by `let` is lowered through its binding.
                    match self.lets.get(n).cloned() {
                        Some(Binding::Tabular(p)) => self.pipeline(p, depth + 1),
                        Some(Binding::Function(body)) => self.function(body, depth),
                        _ => {
                            self.table(n);
                            Part::default()
                        }
                    }
                }
                TableRef::Expr(e) => self.source_expr(e, depth),
            };
            branches.push(part);
        }
        let mut out = Part::default();
        // Members that each group the same way with no threshold: a group exists
        // when one event of any member matches, so the union of the summaries is
        // the summary of the union.
        let first_agg = usize::from(
            branches
                .first()
                .is_some_and(|b| b.agg.is_none() && b.conds.is_empty() && b.columns.is_empty()),
        );
        let aggs: Vec<Option<&Aggregation>> = branches[first_agg..]
            .iter()
            .map(|b| b.agg.as_ref().map(|a| &a.agg))
            .collect();
        let same_plain = aggs.first().copied().flatten().is_some_and(|a0| {
            a0.condition.is_empty()
                && a0.having.is_none()
                && matches!(&a0.kind, AggregationKind::Threshold { cardinality } if cardinality.is_empty())
                && aggs.iter().all(|a| a.is_some_and(|a| a.group_by == a0.group_by && a.metrics == a0.metrics && a.window == a0.window && a.condition.is_empty() && a.having.is_none() && a.kind == a0.kind))
        });
        if same_plain {
            let mut branches = branches;
            let keep = branches.split_off(first_agg);
            let mut alts = Vec::new();
            let mut unfiltered = false;
            let mut agg = None;
            for mut b in keep {
                if agg.is_none() {
                    agg = b.agg.take();
                }
                if b.conds.is_empty() {
                    unfiltered = true;
                } else {
                    alts.push(Expr::and(b.conds));
                }
            }
            if !unfiltered && !alts.is_empty() {
                out.conds.push(Expr::or(alts));
            }
            if let Some(a) = agg {
                // Columns after it: the group keys and metrics (by name).
                for (i, m) in a.agg.metrics.iter().enumerate() {
                    out.columns.insert(m.name.clone(), Column::Metric(i));
                }
                for k in &a.group_keys {
                    out.columns
                        .insert(k.clone(), Column::Traced(k.clone(), Vec::new()));
                }
                out.agg = Some(a);
            }
            return out;
        }
        if branches.iter().any(|b| b.agg.is_some()) {
            out.conds.push(opaque_at(
                reason::SECOND_AGGREGATION,
                format!("union of aggregated queries: {u}"),
                span,
            ));
            return out;
        }
        // The first branch is the rows before a piped `union` (empty for a source union).
        let mut alts = Vec::new();
        let mut unfiltered = false;
        for (i, b) in branches.into_iter().enumerate() {
            if i == 0 && b.conds.is_empty() && b.columns.is_empty() {
                continue;
            }
            if b.conds.is_empty() {
                unfiltered = true;
            } else {
                alts.push(Expr::and(b.conds));
            }
        }
        if !unfiltered && !alts.is_empty() {
            out.conds.push(Expr::or(alts));
        }
        out
    }

    fn operator(&mut self, op: &'q Operator, part: &mut Part, depth: usize) {
        match op {
            Operator::Where { expr, .. } => {
                if part.agg.is_some() {
                    self.where_after_agg(expr, part);
                } else {
                    let e = self.cond(expr, part);
                    if let Some(e) = e {
                        part.conds.push(e);
                    }
                }
            }
            Operator::Extend(assigns)
            | Operator::Project(assigns)
            | Operator::ProjectRename(assigns) => {
                let mut new = Vec::new();
                for a in assigns {
                    if let Some(name) = &a.name {
                        new.push((name.clone(), self.trace(&a.expr, part)));
                    }
                }
                part.columns.extend(new);
            }
            Operator::Summarize { aggs, by, span, .. } => {
                if part.agg.is_some() {
                    part.conds
                        .push(opaque_at(reason::SECOND_AGGREGATION, op.to_string(), *span));
                    return;
                }
                part.agg = Some(self.summarize(aggs, by, part));
            }
            Operator::Join {
                name,
                params,
                right,
                on,
                span,
            } => {
                let kind = params
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case("kind"))
                    .map(|p| p.value.to_ascii_lowercase());
                let lookup = name.eq_ignore_ascii_case("lookup");
                // Collect the other side's tables.
                let _ = self.pipeline(right, depth + 1);
                let keys = join_keys(on);
                // Columns the other side adds: known when it ends in `project`
                // or `summarize`, otherwise any later column may be its.
                match output_columns(right) {
                    Some(cols) => {
                        for c in cols {
                            if !keys.iter().any(|(l, _)| *l == c) {
                                part.columns
                                    .insert(c, Column::Computed(reason::JOINED_COLUMN));
                            }
                        }
                    }
                    None => part.joined_unknown = true,
                }
                for (l, _) in &keys {
                    if !part.columns.contains_key(l) && part.agg.is_none() {
                        part.columns
                            .insert(l.clone(), Column::Traced(l.clone(), Vec::new()));
                    }
                }
                let filter = match (kind.as_deref(), lookup) {
                    (Some("leftouter"), _) | (None, true) => None,
                    (None | Some("inner" | "innerunique" | "leftsemi"), _) => Some(false),
                    (Some("leftanti" | "anti" | "leftantisemi"), false) => Some(true),
                    _ => {
                        part.conds
                            .push(opaque_at(reason::JOIN, op.to_string(), *span));
                        None
                    }
                };
                // An inner, semi or anti join on one key keeps the rows whose key is
                // (or is not) among the other query's values of its key: a lookup.
                if let Some(negated) = filter {
                    match keys.as_slice() {
                        [(l, _)] if !on.is_empty() => {
                            let text = right.to_string().replace('\n', " ");
                            let pred = match self.field(
                                &ast::Expr {
                                    kind: ExprKind::Name(l.clone()),
                                    span: *span,
                                },
                                part,
                            ) {
                                Ok((f, t)) => {
                                    let mut p = Pred::new(f, Op::Lookup, vec![Value::Str(text)])
                                        .with_span(*span);
                                    // Join keys compare case-sensitively.
                                    p.case_sensitive = true;
                                    p.transforms = t;
                                    Expr::Pred(p)
                                }
                                Err(o) => o,
                            };
                            part.conds
                                .push(if negated { Expr::not(pred) } else { pred });
                        }
                        _ => part
                            .conds
                            .push(opaque_at(reason::JOIN, op.to_string(), *span)),
                    }
                }
            }
            Operator::Union(u) => {
                let first = std::mem::take(part);
                let agg = first.agg.is_some();
                let mut merged = self.union(u, first, depth, Span::default());
                if agg {
                    merged.conds.push(Expr::opaque(
                        reason::SECOND_AGGREGATION,
                        op.to_string(),
                        None,
                    ));
                }
                *part = merged;
            }
            Operator::Generic { name, raw, span } => self.generic(name, raw, *span, part),
        }
    }

    #[allow(clippy::unused_self)] // a method like the other operators'
    fn generic(&mut self, name: &str, raw: &str, span: Span, part: &mut Part) {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            // Order, limit, shape or display: the matching events are the same.
            "sort" | "order" | "take" | "limit" | "top" | "distinct" | "project-away"
            | "project-keep" | "project-reorder" | "render" | "as" | "serialize" | "sample"
            | "sample-distinct" | "top-hitters" | "getschema" | "mv-expand" | "mvexpand"
            | "fork" | "facet" | "consume" => {}
            "count" => {
                if part.agg.is_some() {
                    part.conds.push(opaque_at(
                        reason::SECOND_AGGREGATION,
                        format!("{name} {raw}"),
                        span,
                    ));
                    return;
                }
                let mut agg = Aggregation::new(AggregationKind::Threshold {
                    cardinality: Vec::new(),
                });
                agg.metrics
                    .push(Metric::new("Count", MetricFunction::Count, None));
                part.columns.insert("Count".into(), Column::Metric(0));
                part.agg = Some(AggState {
                    agg,
                    group_keys: Vec::new(),
                });
            }
            "parse" | "parse-where" | "parse-kv" | "extract" | "mv-apply" | "mvapply"
            | "evaluate" => {
                // Columns these produce are not traced; a filter on them is opaque.
                for col in produced_columns(&lower, raw) {
                    part.columns.insert(col, Column::Computed(reason::PARSED));
                }
                if lower == "parse-where" || (lower == "evaluate" && !raw.starts_with("bag_unpack"))
                {
                    part.conds.push(opaque_at(
                        format!("{} ({name})", reason::OPERATOR),
                        format!("{name} {raw}"),
                        span,
                    ));
                }
            }
            "make-series" => {
                part.conds
                    .push(opaque_at(reason::SERIES, format!("{name} {raw}"), span));
            }
            _ => part.conds.push(opaque_at(
                format!("{} ({name})", reason::OPERATOR),
                format!("{name} {raw}"),
                span,
            )),
        }
    }

    fn summarize(&mut self, aggs: &'q [Assign], by: &'q [Assign], part: &mut Part) -> AggState {
        let mut agg = Aggregation::new(AggregationKind::Threshold {
            cardinality: Vec::new(),
        });
        let mut keys = Vec::new();
        let mut columns = HashMap::new();
        for b in by {
            if let ExprKind::Call { name, args } = &b.expr.kind
                && name.eq_ignore_ascii_case("bin")
                && args.len() == 2
                && let ExprKind::Name(n) = &args[0].kind
                && is_time_column(n)
            {
                agg.window = Some(Window::parse(&args[1].to_string()));
                let col = b.name.clone().unwrap_or_else(|| n.clone());
                columns.insert(col, Column::Computed(reason::AGGREGATE));
                continue;
            }
            let traced = self.trace(&b.expr, part);
            let col = b.name.clone().or_else(|| column_name(&b.expr));
            match &traced {
                Column::Traced(f, t) if t.is_empty() => {
                    agg.group_by.push(Field::raw(f.clone()));
                }
                _ => agg.group_by.push(Field::raw(
                    col.clone().unwrap_or_else(|| b.expr.to_string()),
                )),
            }
            if let Some(c) = col {
                keys.push(c.clone());
                columns.insert(c, traced);
            }
        }
        for a in aggs {
            let (func, args) = match &a.expr.kind {
                ExprKind::Call { name, args } => (name.to_ascii_lowercase(), args.as_slice()),
                _ => (String::new(), &[][..]),
            };
            let field = args.first().and_then(|x| match self.trace(x, part) {
                Column::Traced(f, t) if t.is_empty() => Some(Field::raw(f)),
                _ => None,
            });
            if func == "arg_max" || func == "arg_min" {
                // The row of the latest (earliest) event: its columns are not the group's.
                for x in args.iter().skip(1) {
                    if let Some(c) = column_name(x) {
                        columns.insert(c, Column::Computed(reason::AGGREGATE));
                    }
                }
                if args
                    .iter()
                    .skip(1)
                    .any(|x| matches!(x.kind, ExprKind::Star))
                {
                    columns.insert("*".into(), Column::Computed(reason::AGGREGATE));
                }
                continue;
            }
            let (function, filter) = match func.as_str() {
                "count" => (MetricFunction::Count, None),
                "countif" => (
                    MetricFunction::Count,
                    args.first().and_then(|x| self.cond(x, part)),
                ),
                "dcount" | "count_distinct" => (MetricFunction::CountDistinct, None),
                "dcountif" => (
                    MetricFunction::CountDistinct,
                    args.get(1).and_then(|x| self.cond(x, part)),
                ),
                "sum" => (MetricFunction::Sum, None),
                "min" => (MetricFunction::Min, None),
                "max" => (MetricFunction::Max, None),
                "avg" => (MetricFunction::Avg, None),
                "percentile" if args.len() == 2 && args[1].to_string() == "50" => {
                    (MetricFunction::Median, None)
                }
                "make_set" | "makeset" | "make_list" | "makelist" => (MetricFunction::Values, None),
                "" => (MetricFunction::Other(a.expr.to_string()), None),
                other => (MetricFunction::Other(other.to_owned()), None),
            };
            let name = a
                .name
                .clone()
                .unwrap_or_else(|| default_metric_name(&func, args));
            let field = match function {
                MetricFunction::Count => None,
                _ => field,
            };
            columns.insert(name.clone(), Column::Metric(agg.metrics.len()));
            let mut metric = Metric::new(name, function, field);
            metric.filter = filter;
            agg.metrics.push(metric);
        }
        part.columns = columns;
        AggState {
            agg,
            group_keys: keys,
        }
    }

    /// A filter after `summarize`: on group keys it is a filter before it; on
    /// the count a threshold; on other metrics `having`.
    fn where_after_agg(&mut self, e: &'q ast::Expr, part: &mut Part) {
        let mut conjuncts = Vec::new();
        split_and(e, &mut conjuncts);
        for c in conjuncts {
            let names = referenced(c);
            let state = part.agg.as_ref().expect("aggregated");
            let on_keys = !names.is_empty()
                && names.iter().all(|n| {
                    state.group_keys.contains(n)
                        && matches!(part.columns.get(n), Some(Column::Traced(..)))
                });
            if on_keys {
                if let Some(x) = self.cond(c, part) {
                    part.conds.push(x);
                }
                continue;
            }
            if let Some((metric, op, value)) = self.metric_comparison(c, part) {
                let state = part.agg.as_mut().expect("aggregated");
                let m = &state.agg.metrics[metric];
                let plain_count =
                    m.function == MetricFunction::Count && m.filter.is_none() && m.field.is_none();
                let distinct = m.function == MetricFunction::CountDistinct && m.filter.is_none();
                if plain_count && state.agg.having.is_none() {
                    state.agg.condition.push(Comparison { op, value });
                    continue;
                }
                if distinct
                    && matches!(op, Op::Gt | Op::Gte)
                    && value >= 0.0
                    && value.fract() == 0.0
                    && let (Some(f), AggregationKind::Threshold { cardinality }) =
                        (m.field.clone(), &mut state.agg.kind)
                {
                    let bound = value as u64 + u64::from(op == Op::Gt);
                    cardinality.push((f, bound));
                    continue;
                }
                let name = m.name.clone();
                let pred = Expr::Pred(
                    Pred::new(Field::raw(name), op, vec![num_value(value)]).with_span(c.span),
                );
                state.agg.having = Some(match state.agg.having.take() {
                    Some(h) => Expr::and(vec![h, pred]),
                    None => pred,
                });
                continue;
            }
            if let Some(x) = self.cond(c, part) {
                part.conds.push(x);
            }
        }
    }

    /// `metric op number` (either way round): the metric's index, the model op and the bound.
    fn metric_comparison(&self, e: &ast::Expr, part: &Part) -> Option<(usize, Op, f64)> {
        let ExprKind::Binary { op, lhs, rhs } = &e.kind else {
            return None;
        };
        let model = match op.as_str() {
            ">" => Op::Gt,
            ">=" => Op::Gte,
            "<" => Op::Lt,
            "<=" => Op::Lte,
            "==" => Op::Eq,
            _ => return None,
        };
        let metric = |x: &ast::Expr| match &x.kind {
            ExprKind::Name(n) => match part.columns.get(n) {
                Some(Column::Metric(i)) => Some(*i),
                _ => None,
            },
            _ => None,
        };
        let number = |x: &ast::Expr| self.value(x).and_then(|v| v.as_f64());
        if let (Some(m), Some(v)) = (metric(lhs), number(rhs)) {
            return Some((m, model, v));
        }
        if let (Some(m), Some(v)) = (metric(rhs), number(lhs)) {
            return Some((m, flip(model), v));
        }
        None
    }

    /// The literal value of an expression, `let` scalars resolved.
    fn value(&self, e: &ast::Expr) -> Option<Value> {
        if let Some(v) = literal(e) {
            return Some(v);
        }
        match &e.kind {
            ExprKind::Name(n) => match self.lets.get(n) {
                Some(Binding::Scalar(v)) => Some(v.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    /// What an expression computes, as a column.
    #[allow(clippy::self_only_used_in_recursion)] // a method like `field` and `value`
    fn trace(&self, e: &ast::Expr, part: &Part) -> Column {
        match &e.kind {
            ExprKind::Name(n) => match part.columns.get(n) {
                Some(c) => c.clone(),
                None if part.columns.contains_key("*") && part.agg.is_some() => {
                    Column::Computed(reason::AGGREGATE)
                }
                None if part.joined_unknown => Column::Computed(reason::JOINED_COLUMN),
                None if part.agg.is_some() => Column::Computed(reason::AGGREGATE),
                None => Column::Traced(n.clone(), Vec::new()),
            },
            ExprKind::BracketName { value, .. } => match part.columns.get(value) {
                Some(c) => c.clone(),
                None => Column::Traced(value.clone(), Vec::new()),
            },
            ExprKind::Paren(inner) => self.trace(inner, part),
            ExprKind::Member { base, name } => match self.trace(base, part) {
                Column::Traced(f, t) if t.is_empty() => {
                    Column::Traced(format!("{f}.{}", unquote(name)), Vec::new())
                }
                other @ Column::Computed(_) => other,
                _ => Column::Computed(reason::COMPUTED),
            },
            ExprKind::Index { base, index } => match (self.trace(base, part), &index.kind) {
                (Column::Traced(f, t), ExprKind::Str { value, .. }) if t.is_empty() => {
                    Column::Traced(format!("{f}.{value}"), Vec::new())
                }
                // An array element keeps its position in the name: `TargetResources[0].id`.
                (Column::Traced(f, t), ExprKind::Number(n)) if t.is_empty() => {
                    Column::Traced(format!("{f}[{n}]"), Vec::new())
                }
                (other @ Column::Computed(_), _) => other,
                _ => Column::Computed(reason::COMPUTED),
            },
            ExprKind::Call { name, args } => {
                let n = name.to_ascii_lowercase();
                let transform = match n.as_str() {
                    "tostring" | "todynamic" | "parse_json" | "todatetime" | "tolong" | "toint"
                    | "todouble" | "toreal" | "tobool" | "toguid" | "string" => None,
                    "tolower" => Some(Transform::Lower),
                    "toupper" => Some(Transform::Upper),
                    "strlen" | "array_length" => Some(Transform::Length),
                    "column_ifexists" | "columnifexists" if args.len() == 2 => {
                        return match &args[0].kind {
                            ExprKind::Str { value, .. } => {
                                Column::Traced(value.clone(), Vec::new())
                            }
                            _ => Column::Computed(reason::COMPUTED),
                        };
                    }
                    "substring" if (2..=3).contains(&args.len()) => {
                        let num = |x: &ast::Expr| match literal(x) {
                            Some(Value::Int(i)) => Some(i),
                            _ => None,
                        };
                        let Some(start) = num(&args[1]) else {
                            return Column::Computed(reason::COMPUTED);
                        };
                        let len = match args.get(2) {
                            Some(x) => match num(x) {
                                Some(l) => Some(l),
                                None => return Column::Computed(reason::COMPUTED),
                            },
                            None => None,
                        };
                        Some(Transform::Substring { start, len })
                    }
                    "replace" | "replace_regex" if args.len() == 3 => {
                        let (Some(Value::Str(pattern)), Some(Value::Str(replacement))) =
                            (literal(&args[0]), literal(&args[1]))
                        else {
                            return Column::Computed(reason::COMPUTED);
                        };
                        return match self.trace(&args[2], part) {
                            Column::Traced(f, mut t) => {
                                t.push(Transform::Replace {
                                    pattern,
                                    replacement,
                                });
                                Column::Traced(f, t)
                            }
                            other => other,
                        };
                    }
                    "trim" if args.len() == 2 => {
                        let ws = matches!(&args[0].kind, ExprKind::Str { value, .. } if value == r"\s" || value == " ");
                        if !ws {
                            return Column::Computed(reason::COMPUTED);
                        }
                        return match self.trace(&args[1], part) {
                            Column::Traced(f, mut t) => {
                                t.push(Transform::Trim);
                                Column::Traced(f, t)
                            }
                            other => other,
                        };
                    }
                    "extract" | "extract_all" | "parse_command_line" | "split" | "parse_url"
                    | "parse_path" | "parse_xml" | "extractjson" => {
                        return Column::Computed(reason::PARSED);
                    }
                    _ => return Column::Computed(reason::COMPUTED),
                };
                let Some(arg) = args.first() else {
                    return Column::Computed(reason::COMPUTED);
                };
                if transform.is_none() && args.len() != 1 {
                    return Column::Computed(reason::COMPUTED);
                }
                match self.trace(arg, part) {
                    Column::Traced(f, mut t) => {
                        t.extend(transform);
                        Column::Traced(f, t)
                    }
                    other => other,
                }
            }
            _ => Column::Computed(reason::COMPUTED),
        }
    }

    /// The field an expression tests, or an opaque node saying why it has none.
    fn field(&self, e: &ast::Expr, part: &Part) -> Result<(Field, Vec<Transform>), Expr> {
        match self.trace(e, part) {
            Column::Traced(f, t) => Ok((Field::raw(f), t)),
            Column::Computed(r) => Err(opaque(r, e)),
            Column::Metric(_) => Err(opaque(reason::AGGREGATE, e)),
        }
    }

    /// A boolean condition; `None` when it holds no detection logic (a time range).
    fn cond(&mut self, e: &'q ast::Expr, part: &Part) -> Option<Expr> {
        match &e.kind {
            ExprKind::Binary { op, lhs, rhs } if op.eq_ignore_ascii_case("and") => {
                let l = self.cond(lhs, part);
                let r = self.cond(rhs, part);
                match (l, r) {
                    (Some(l), Some(r)) => Some(Expr::and(vec![l, r])),
                    (x, None) | (None, x) => x,
                }
            }
            ExprKind::Binary { op, lhs, rhs } if op.eq_ignore_ascii_case("or") => {
                let l = self.cond(lhs, part);
                let r = self.cond(rhs, part);
                match (l, r) {
                    (Some(l), Some(r)) => Some(Expr::or(vec![l, r])),
                    // A time range in a disjunction is a condition after all.
                    _ => Some(opaque(reason::NON_LITERAL, e)),
                }
            }
            ExprKind::Paren(inner) => self.cond(inner, part),
            ExprKind::Binary { op, lhs, rhs } => {
                if is_time(rhs) || is_time(lhs) || time_column(lhs) {
                    self.time_filters.push(e.to_string());
                    return None;
                }
                Some(self.comparison(e, op, lhs, rhs, part))
            }
            ExprKind::In { op, lhs, list, .. } => {
                Some(self.list_comparison(e, op, lhs, list, part))
            }
            ExprKind::Between {
                negated,
                lhs,
                low,
                high,
            } => {
                if is_time(low) || is_time(high) || time_column(lhs) {
                    self.time_filters.push(e.to_string());
                    return None;
                }
                let (field, transforms) = match self.field(lhs, part) {
                    Ok(x) => x,
                    Err(o) => return Some(o),
                };
                let (Some(lo), Some(hi)) = (self.value(low), self.value(high)) else {
                    return Some(opaque(reason::NON_LITERAL, e));
                };
                let mk = |op, v| {
                    let mut p = Pred::new(field.clone(), op, vec![v]).with_span(e.span);
                    p.transforms.clone_from(&transforms);
                    Expr::Pred(p)
                };
                let both = Expr::and(vec![mk(Op::Gte, lo), mk(Op::Lte, hi)]);
                Some(if *negated { Expr::not(both) } else { both })
            }
            ExprKind::Call { name, args } => Some(self.call_cond(e, name, args, part)),
            ExprKind::Name(_) | ExprKind::Member { .. } | ExprKind::BracketName { .. } => {
                match self.field(e, part) {
                    Ok((f, t)) => {
                        let mut p = Pred::new(f, Op::Eq, vec![Value::Bool(true)]).with_span(e.span);
                        p.transforms = t;
                        Some(Expr::Pred(p))
                    }
                    Err(o) => Some(o),
                }
            }
            _ => Some(opaque(reason::NON_LITERAL, e)),
        }
    }

    #[allow(clippy::many_single_char_names)] // e: the call, n: its name, as elsewhere
    fn call_cond(
        &mut self,
        e: &'q ast::Expr,
        name: &str,
        args: &'q [ast::Expr],
        part: &Part,
    ) -> Expr {
        let n = name.to_ascii_lowercase();
        let unary = |op: Op, v: Option<Value>| -> Option<(Op, Vec<Value>)> {
            Some((op, v.into_iter().collect()))
        };
        let (op, values) = match (n.as_str(), args.len()) {
            ("not", 1) => {
                return match self.cond(&args[0], part) {
                    Some(x) => Expr::not(x),
                    None => opaque(reason::NON_LITERAL, e),
                };
            }
            ("isnotempty", 1) => unary(Op::Exists, Some(Value::Bool(true))),
            ("isempty", 1) => unary(Op::Exists, Some(Value::Bool(false))),
            ("isnull", 1) => unary(Op::IsNull, None),
            ("isnotnull", 1) => unary(Op::IsNotNull, None),
            ("ipv4_is_in_range", 2) => match self.value(&args[1]) {
                Some(v @ Value::Str(_)) => unary(Op::Cidr, Some(v)),
                _ => None,
            },
            ("ipv4_is_private", 1) => Some((
                Op::Cidr,
                ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
                    .into_iter()
                    .map(Value::from)
                    .collect(),
            )),
            ("ipv4_is_in_any_range", 2) => match self.list_values(&args[1..]) {
                Ok(vs) => Some((Op::Cidr, vs)),
                Err(_) => None,
            },
            _ => return opaque(format!("{} ({n})", reason::FUNCTION), e),
        }
        .unwrap_or((Op::Eq, Vec::new()));
        if values.is_empty() && !matches!(op, Op::IsNull | Op::IsNotNull) {
            return opaque(reason::NON_LITERAL, e);
        }
        match self.field(&args[0], part) {
            Ok((f, t)) => {
                let mut p = Pred::new(f, op, values).with_span(e.span);
                p.transforms = t;
                Expr::Pred(p)
            }
            Err(o) => o,
        }
    }

    fn comparison(
        &mut self,
        e: &'q ast::Expr,
        op: &str,
        lhs: &'q ast::Expr,
        rhs: &'q ast::Expr,
        part: &Part,
    ) -> Expr {
        // `f(x) == false`: a condition compared with a boolean is the condition.
        if op == "==" || op == "!=" {
            for (cond, other) in [(lhs, rhs), (rhs, lhs)] {
                if let (Some(Value::Bool(b)), ExprKind::Call { .. }) = (literal(other), &cond.kind)
                    && let Some(c) = self.cond(cond, part)
                    && !matches!(c, Expr::Opaque(_))
                {
                    return if b == (op == "==") { c } else { Expr::not(c) };
                }
            }
        }
        let lower = op.to_ascii_lowercase();
        let (negated, base) = match lower.strip_prefix('!') {
            Some(b) if !b.starts_with('=') && !b.starts_with('~') => (true, b.to_owned()),
            _ => (false, lower.clone()),
        };
        let (negated, base) = match base.as_str() {
            "!=" | "<>" => (true, "==".to_owned()),
            "!~" => (true, "=~".to_owned()),
            "notcontains" => (true, "contains".to_owned()),
            "notcontainscs" => (true, "contains_cs".to_owned()),
            "containscs" => (negated, "contains_cs".to_owned()),
            "notlike" => (true, "like".to_owned()),
            _ => (negated, base),
        };
        let cased = base.ends_with("_cs") || base == "==" || base.starts_with("matches");
        let stem = base.trim_end_matches("_cs");
        let (model, approx) = match stem {
            "==" | "=~" => (Op::Eq, false),
            "<" => (Op::Lt, false),
            "<=" => (Op::Lte, false),
            ">" => (Op::Gt, false),
            ">=" => (Op::Gte, false),
            "has" => (Op::Contains, true),
            "hasprefix" => (Op::StartsWith, true),
            "hassuffix" => (Op::EndsWith, true),
            "contains" => (Op::Contains, false),
            "startswith" => (Op::StartsWith, false),
            "endswith" => (Op::EndsWith, false),
            "matches regex" => (Op::Regex, false),
            _ => return opaque(format!("{} ({op})", reason::FUNCTION), e),
        };
        // Field on the left, value on the right (or the other way round for orderings and equality).
        let (field_side, value_side, model) =
            if self.value(rhs).is_some() || self.value(lhs).is_none() {
                (lhs, rhs, model)
            } else if matches!(model, Op::Eq | Op::Lt | Op::Lte | Op::Gt | Op::Gte) {
                (rhs, lhs, flip(model))
            } else {
                (lhs, rhs, model)
            };
        let (field, transforms) = match self.field(field_side, part) {
            Ok(x) => x,
            Err(o) => return o,
        };
        let pred = if let Some(v) = self.value(value_side) {
            let mut p = Pred::new(field, model, vec![v]);
            p.case_sensitive = cased && matches!(p.values[0], Value::Str(_));
            p
        } else if let (Op::Eq, Ok((other, t2))) = (model, self.field(value_side, part))
            && t2.is_empty()
            && matches!(value_side.kind, ExprKind::Name(_) | ExprKind::Member { .. })
        {
            let mut p = Pred::new(field, Op::FieldRef, vec![Value::Str(other.raw)]);
            p.case_sensitive = cased;
            p
        } else {
            return opaque(reason::NON_LITERAL, e);
        };
        if approx {
            self.approx(&lower);
        }
        let mut pred = pred.with_span(e.span);
        pred.transforms = transforms;
        let out = Expr::Pred(pred);
        if negated { Expr::not(out) } else { out }
    }

    /// Values of a list: literals, `let` lists and scalars, `dynamic([…])`.
    fn list_values(&self, list: &[ast::Expr]) -> Result<Vec<Value>, String> {
        let mut out = Vec::new();
        for item in list {
            if let Some(v) = self.value(item) {
                out.push(v);
                continue;
            }
            match &item.kind {
                ExprKind::Name(n) => match self.lets.get(n) {
                    Some(Binding::List(vs)) => out.extend(vs.iter().cloned()),
                    _ => return Err(n.clone()),
                },
                ExprKind::Call { .. } => match self.scalar_binding(item) {
                    Some(Binding::List(vs)) => out.extend(vs),
                    _ => return Err(item.to_string()),
                },
                ExprKind::Paren(inner) => {
                    out.extend(self.list_values(std::slice::from_ref(inner))?);
                }
                _ => return Err(item.to_string()),
            }
        }
        Ok(out)
    }

    fn list_comparison(
        &mut self,
        e: &'q ast::Expr,
        op: &str,
        lhs: &'q ast::Expr,
        list: &'q [ast::Expr],
        part: &Part,
    ) -> Expr {
        let lower = op.to_ascii_lowercase();
        let negated = lower.starts_with('!');
        let stem = lower.trim_start_matches('!');
        let (field, transforms) = match self.field(lhs, part) {
            Ok(x) => x,
            Err(o) => return o,
        };
        let (model, cased, all, approx) = match stem {
            "in" => (Op::In, true, false, false),
            "in~" => (Op::In, false, false, false),
            "has_any" => (Op::Contains, false, false, true),
            "has_any_cs" => (Op::Contains, true, false, true),
            "has_all" => (Op::Contains, false, true, true),
            "has_all_cs" => (Op::Contains, true, true, true),
            "contains_any" => (Op::Contains, false, false, false),
            _ => return opaque(format!("{} ({op})", reason::FUNCTION), e),
        };
        let pred = match self.list_values(list) {
            Ok(values) if !values.is_empty() => {
                let mut p = Pred::new(field, model, values);
                p.case_sensitive = cased && p.values.iter().any(|v| matches!(v, Value::Str(_)));
                p.all = all && p.values.len() > 1;
                p
            }
            Ok(_) => return opaque(reason::NON_LITERAL, e),
            Err(name) => {
                // A tabular `let`, a watchlist or a sub-query: a named list.
                let mut p = Pred::new(field, Op::Lookup, vec![Value::Str(name)]);
                p.case_sensitive = cased;
                p.within = match model {
                    Op::Contains => Some(Op::Contains),
                    _ => None,
                };
                p
            }
        };
        if approx {
            self.approx(&lower);
        }
        let mut pred = pred.with_span(e.span);
        pred.transforms = transforms;
        let out = Expr::Pred(pred);
        if negated { Expr::not(out) } else { out }
    }
}

fn unquote(name: &str) -> String {
    name.trim_matches(|c| c == '\'' || c == '"').to_owned()
}

fn time_column(e: &ast::Expr) -> bool {
    matches!(&e.kind, ExprKind::Name(n) if is_time_column(n))
}

fn num_value(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Value::Int(v as i64)
    } else {
        Value::Float(v)
    }
}

fn flip(op: Op) -> Op {
    match op {
        Op::Gt => Op::Lt,
        Op::Gte => Op::Lte,
        Op::Lt => Op::Gt,
        Op::Lte => Op::Gte,
        other => other,
    }
}

/// The column an expression names, for a default column name.
fn column_name(e: &ast::Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(n.clone()),
        ExprKind::BracketName { value, .. } => Some(value.clone()),
        ExprKind::Member { name, .. } => Some(unquote(name)),
        _ => None,
    }
}

/// Join keys as (left column, right column): `on X` or `on $left.a == $right.b`.
fn join_keys(on: &[ast::Expr]) -> Vec<(String, String)> {
    let side = |e: &ast::Expr| match &e.kind {
        ExprKind::Member { base, name } => match &base.kind {
            ExprKind::Name(b) if b == "$left" => Some((true, name.clone())),
            ExprKind::Name(b) if b == "$right" => Some((false, name.clone())),
            _ => None,
        },
        _ => None,
    };
    let mut out = Vec::new();
    for c in on {
        match &c.kind {
            ExprKind::Name(n) => out.push((n.clone(), n.clone())),
            ExprKind::Binary { op, lhs, rhs } if op == "==" => match (side(lhs), side(rhs)) {
                (Some((true, l)), Some((false, r))) | (Some((false, r)), Some((true, l))) => {
                    out.push((l, r));
                }
                _ => return Vec::new(),
            },
            _ => return Vec::new(),
        }
    }
    out
}

/// The columns a pipeline outputs, when its last shaping operator says.
fn output_columns(p: &Pipeline) -> Option<Vec<String>> {
    for op in p.ops.iter().rev() {
        match op {
            Operator::Project(assigns) => {
                return assigns
                    .iter()
                    .map(|a| a.name.clone().or_else(|| column_name(&a.expr)))
                    .collect();
            }
            Operator::Summarize { aggs, by, .. } => {
                let mut out = Vec::new();
                for a in by {
                    out.push(a.name.clone().or_else(|| column_name(&a.expr))?);
                }
                for a in aggs {
                    let name = match (&a.name, &a.expr.kind) {
                        (Some(n), _) => n.clone(),
                        (None, ExprKind::Call { name, args }) if !name.starts_with("arg_") => {
                            default_metric_name(name, args)
                        }
                        _ => return None,
                    };
                    out.push(name);
                }
                return Some(out);
            }
            Operator::Extend(_) | Operator::Where { .. } => {}
            Operator::Generic { name, .. }
                if ["sort", "order", "take", "limit", "top", "distinct"]
                    .contains(&name.as_str()) => {}
            _ => return None,
        }
    }
    None
}

fn split_and<'a>(e: &'a ast::Expr, out: &mut Vec<&'a ast::Expr>) {
    match &e.kind {
        ExprKind::Binary { op, lhs, rhs } if op.eq_ignore_ascii_case("and") => {
            split_and(lhs, out);
            split_and(rhs, out);
        }
        ExprKind::Paren(inner) if matches!(&inner.kind, ExprKind::Binary { op, .. } if op.eq_ignore_ascii_case("and")) =>
        {
            split_and(inner, out);
        }
        _ => out.push(e),
    }
}

/// Column names an expression references (not function names).
fn referenced(e: &ast::Expr) -> Vec<String> {
    fn walk(e: &ast::Expr, out: &mut Vec<String>) {
        match &e.kind {
            ExprKind::Name(n) => out.push(n.clone()),
            ExprKind::BracketName { value, .. } => out.push(value.clone()),
            ExprKind::Binary { lhs, rhs, .. } => {
                walk(lhs, out);
                walk(rhs, out);
            }
            ExprKind::In { lhs, .. } => walk(lhs, out),
            ExprKind::Between { lhs, .. } | ExprKind::Member { base: lhs, .. } => walk(lhs, out),
            ExprKind::Unary { expr, .. } | ExprKind::Paren(expr) => walk(expr, out),
            ExprKind::Call { args, .. } => args.iter().for_each(|a| walk(a, out)),
            ExprKind::Index { base, .. } => walk(base, out),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(e, &mut out);
    out
}

/// Columns a `parse`, `extract`, `mv-apply` or `evaluate` writes, from its tokens.
fn produced_columns(op: &str, raw: &str) -> Vec<String> {
    let Ok(tokens) = super::tokenizer::tokenize(raw) else {
        return Vec::new();
    };
    let words: Vec<(usize, &str)> = tokens
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match &t.tok {
            super::tokenizer::Tok::Word(w) => Some((i, w.as_str())),
            _ => None,
        })
        .collect();
    let after_with = tokens
        .iter()
        .position(|t| matches!(&t.tok, super::tokenizer::Tok::Word(w) if w == "with"));
    let mut out = Vec::new();
    match op {
        "parse" | "parse-where" => {
            let from = after_with.unwrap_or(usize::MAX);
            for (i, w) in words {
                let after_colon = i > 0 && tokens[i - 1].tok == super::tokenizer::Tok::Punct(":");
                if i > from && !after_colon {
                    out.push(w.to_owned());
                }
            }
        }
        _ => {
            // `name = …` assignments.
            for (i, w) in words {
                if tokens
                    .get(i + 1)
                    .is_some_and(|t| t.tok == super::tokenizer::Tok::Punct("="))
                {
                    out.push(w.to_owned());
                }
            }
        }
    }
    out
}

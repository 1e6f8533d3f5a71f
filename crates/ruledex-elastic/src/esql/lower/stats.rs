//! `STATS` and the filters after it: what each aggregate computes (a
//! [`Metric`]) and which groups the query keeps (the [`Aggregation`]).
//!
//! The representation is described on [`super::lower`]; in short, a
//! conjunction of count thresholds that Elastic threshold rules could also
//! say stays in [`Aggregation::condition`] (and `cardinality`), and anything
//! else becomes [`Aggregation::having`] over the named metrics. The two are
//! never mixed in one aggregation.

use std::rc::Rc;

use ruledex_model::{
    Aggregation, AggregationKind, Comparison, Expr, Field, Metric, MetricCase, MetricFunction, Op,
    Pred, Transform, Value, Window,
};

use super::{
    CaseValue, Def, Lowerer, MAX_CASE_BRANCHES, Src, and_filter, cmp_model_op, expr_literal,
    field_pred, flag_value, flip, literal_cmp, literal_value, opaque, reason, visit, what, yes,
};
use crate::esql::ast::{self, CmpOp, ExprKind, Literal};
use crate::esql::pattern;

/// What an aggregate column holds.
#[derive(Clone, Debug)]
pub(super) struct AggDef {
    /// The metric's name: the column the `STATS` wrote (an `EVAL` or `RENAME`
    /// alias of the column still names this metric).
    pub(super) name: String,
    pub(super) kind: AggKind,
    /// Only events matching this are aggregated (shared: every comparison on
    /// the column holds a copy of its definition).
    pub(super) filter: Option<Rc<Expr>>,
    /// From `INLINE STATS`.
    pub(super) inline: bool,
    /// From a second (or later) `STATS`.
    pub(super) nested: bool,
    /// For a `SUM` or `MAX` of a flag: a group with no flagged event gives
    /// null rather than 0 (the flag's other value is `NULL`, or it is a
    /// comparison that is null on a missing field), so comparisons that hold
    /// at 0 are not the count's.
    pub(super) zero_is_null: bool,
    /// For [`AggKind::Computed`]: what is aggregated instead of a field's value.
    pub(super) computed: Option<Rc<ComputedArg>>,
}

/// The argument of an aggregate that is not a plain field: a field through
/// transforms, or labels given by `CASE` branches.
#[derive(Debug)]
pub(super) enum ComputedArg {
    /// `field` passed through `transforms` (case folding included).
    Transformed(String, Vec<Transform>),
    /// The label of the first case that holds, else the default (`None`: null).
    Labels(Vec<MetricCase>, Option<Value>),
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum AggKind {
    /// A count of events: `COUNT(*)`, `SUM` of a 0/1 flag, `COUNT` of a
    /// `CASE` whose results are non-null literals.
    Events,
    /// `MAX` of a 0/1 flag: whether some event is flagged.
    Any,
    /// `COUNT(f)`: the number of values of a field (each value of a
    /// multi-valued field counts).
    CountOf(String),
    /// `COUNT_DISTINCT(f)`.
    Distinct(String),
    /// Another aggregate of one field: `SUM`, `MIN`, `MAX`, `AVG`, `MEDIAN`,
    /// `VALUES`, or a function the model names only (`STD_DEV(f)`).
    Of(MetricFunction, String),
    /// `COUNT_DISTINCT`, `VALUES`, `MIN`, `MAX`, `AVG`, `SUM` or `MEDIAN` of a
    /// transformed field or of `CASE` labels ([`AggDef::computed`]).
    Computed(MetricFunction),
    /// An aggregate the model cannot state (of a computed value, or with
    /// parameters), by function name.
    Other(String),
}

impl AggDef {
    /// The model's description of the aggregate.
    fn metric(&self) -> Metric {
        let (function, field) = match &self.kind {
            AggKind::Events | AggKind::Any => (MetricFunction::Count, None),
            AggKind::CountOf(f) => (MetricFunction::Count, Some(f)),
            AggKind::Distinct(f) => (MetricFunction::CountDistinct, Some(f)),
            AggKind::Of(function, f) => (function.clone(), Some(f)),
            AggKind::Other(name) => (MetricFunction::Other(name.clone()), None),
            AggKind::Computed(function) => (function.clone(), None),
        };
        let mut m = Metric::new(
            self.name.clone(),
            function,
            field.map(|f| Field::raw(f.clone())),
        );
        m.filter = self.filter.as_deref().cloned();
        match self.computed.as_deref() {
            Some(ComputedArg::Transformed(f, transforms)) => {
                m.field = Some(Field::raw(f.clone()));
                m.transforms.clone_from(transforms);
            }
            Some(ComputedArg::Labels(cases, otherwise)) => {
                m.cases.clone_from(cases);
                m.otherwise.clone_from(otherwise);
            }
            None => {}
        }
        m
    }
}

/// A post-`STATS` comparison of a counting aggregate with a number, as an
/// Elastic threshold rule could state it.
#[derive(Debug)]
pub(super) struct Threshold {
    column: String,
    def: AggDef,
    op: Op,
    value: f64,
}

/// A post-`STATS` conjunct on aggregates, lowered for `having`.
pub(super) struct AggCond {
    expr: Expr,
    /// The same conjunct as a threshold, when it is one.
    simple: Option<Threshold>,
}

/// The aggregation's conditions in threshold form: its kind, the bounds on
/// the count, and a filter that joins the event condition.
type Classic = (AggregationKind, Vec<Comparison>, Option<Expr>);

/// The metric a one-argument aggregate function gives, by name.
fn function_of(name: &str) -> MetricFunction {
    match name {
        "SUM" => MetricFunction::Sum,
        "MIN" => MetricFunction::Min,
        "MAX" => MetricFunction::Max,
        "AVG" => MetricFunction::Avg,
        "MEDIAN" => MetricFunction::Median,
        "VALUES" => MetricFunction::Values,
        "COUNT_DISTINCT" => MetricFunction::CountDistinct,
        other => MetricFunction::Other(other.to_owned()),
    }
}

/// Whether `x op v` holds for numbers.
fn cmp_holds(x: f64, op: CmpOp, v: f64) -> bool {
    literal_cmp(&Literal::Float(x), op, &Literal::Float(v)) == Some(true)
}

/// A literal as a number, booleans as 1 and 0.
fn numeric(l: &Literal) -> Option<f64> {
    match l {
        Literal::Bool(b) => Some(f64::from(u8::from(*b))),
        other => literal_value(other)?.as_f64(),
    }
}

impl Lowerer {
    /// The source field an aggregate argument reads, exactly: a field (through
    /// plain aliases, not case folding or conversions), or `CASE(c, field,
    /// NULL)`, which reads it from the events matching `c` only (returned).
    fn field_of(&self, e: &ast::Expr) -> Option<(String, Option<Expr>)> {
        let plain = |srcs: &[Src]| match srcs {
            [s] if s.untransformed() && !s.cast => Some(s.name.clone()),
            _ => None,
        };
        match self.classify(e) {
            Def::Fields(srcs) => Some((plain(&srcs)?, None)),
            Def::Case { branches, default } => {
                let mut field: Option<String> = None;
                for v in branches.iter().map(|(_, v)| v).chain([&default]) {
                    match v {
                        CaseValue::Lit(Literal::Null) => {}
                        CaseValue::Col(srcs) => {
                            let f = plain(srcs)?;
                            if field.as_ref().is_some_and(|g| *g != f) {
                                return None;
                            }
                            field = Some(f);
                        }
                        _ => return None,
                    }
                }
                let cond = self.case_opt(&branches, &default, |v| {
                    Some(yes(!matches!(v, CaseValue::Lit(Literal::Null))))
                })?;
                Some((field?, Some(cond)))
            }
            _ => None,
        }
    }

    /// The events a 0/1 flag (a `CASE` of literals, or a boolean) marks with
    /// 1, and whether its other value may be null.
    fn flag(&self, def: &Def, at: &ast::Expr) -> Option<(Expr, bool)> {
        match def {
            Def::Bool(c) => Some((self.copy(c, at), true)),
            Def::Case { branches, default } => {
                let null = branches
                    .iter()
                    .map(|(_, v)| v)
                    .chain([default])
                    .any(|v| matches!(v, CaseValue::Lit(Literal::Null)));
                let c = self.case_opt(branches, default, |v| match v {
                    CaseValue::Lit(l) => flag_value(l).map(yes),
                    _ => None,
                })?;
                Some((c, null))
            }
            _ => None,
        }
    }

    /// What an aggregate reads when its argument is not a plain field: a
    /// field through transforms or case folding (not a type conversion), or
    /// a `CASE` whose results are all literals and whose conditions lower.
    fn computed_arg(&self, e: &ast::Expr, at: &ast::Expr) -> Option<ComputedArg> {
        match self.classify(e) {
            Def::Fields(srcs) => match srcs.as_slice() {
                [s] if !s.cast && !s.untransformed() => {
                    Some(ComputedArg::Transformed(s.name.clone(), s.chain()))
                }
                _ => None,
            },
            Def::Case { branches, default } => {
                let label = |v: &CaseValue| match v {
                    CaseValue::Lit(l) => literal_value(l),
                    _ => None,
                };
                let mut cases = Vec::with_capacity(branches.len());
                for (when, v) in branches.iter() {
                    if when.has_opaque() {
                        return None;
                    }
                    cases.push(MetricCase {
                        when: self.copy(when, at),
                        value: label(v)?,
                    });
                }
                if cases.iter().any(|c| c.when.has_opaque()) {
                    return None;
                }
                let otherwise = match label(&default)? {
                    Value::Null => None,
                    v => Some(v),
                };
                Some(ComputedArg::Labels(cases, otherwise))
            }
            _ => None,
        }
    }

    /// What an aggregate of a `STATS` computes.
    fn agg_def(&self, a: &ast::AggField, name: String, inline: bool, nested: bool) -> AggDef {
        let mut filter = a.filter.as_ref().map(|f| self.cond(f));
        let mut zero_is_null = false;
        let mut computed = None;
        let mut with = |cond: Option<Expr>| {
            if let Some(c) = cond {
                filter = Some(and_filter(filter.take(), c));
            }
        };
        let kind = match a.expr.as_call() {
            Some(c) if c.name == "COUNT" && (c.star || c.args.is_empty()) => AggKind::Events,
            Some(c) if c.args.is_empty() => AggKind::Other(c.name.clone()),
            Some(c) => {
                let arg = &c.args[0];
                let one = c.args.len() == 1;
                let field = self.field_of(arg);
                match (c.name.as_str(), field) {
                    ("COUNT", Some((f, cond))) if one => {
                        with(cond);
                        AggKind::CountOf(f)
                    }
                    // A second argument of COUNT_DISTINCT is its precision.
                    ("COUNT_DISTINCT", Some((f, cond))) => {
                        with(cond);
                        AggKind::Distinct(f)
                    }
                    (name, Some((f, cond))) if one => {
                        with(cond);
                        AggKind::Of(function_of(name), f)
                    }
                    // COUNT of a CASE of non-null literals counts the events
                    // taking such a branch.
                    ("COUNT", None) if one => match self.classify(arg) {
                        Def::Case { branches, default } => {
                            let non_null = self.case_opt(&branches, &default, |v| match v {
                                CaseValue::Lit(l) => Some(yes(*l != Literal::Null)),
                                _ => None,
                            });
                            match non_null {
                                Some(cond) => {
                                    with(Some(cond));
                                    AggKind::Events
                                }
                                None => AggKind::Other(c.name.clone()),
                            }
                        }
                        _ => AggKind::Other(c.name.clone()),
                    },
                    // SUM of a 0/1 flag counts the flagged events; MAX of one
                    // says whether there is any.
                    ("SUM" | "MAX", None) if one => match self.flag(&self.classify(arg), &a.expr) {
                        Some((cond, null)) => {
                            with(Some(cond));
                            zero_is_null = null;
                            if c.name == "SUM" {
                                AggKind::Events
                            } else {
                                AggKind::Any
                            }
                        }
                        None => AggKind::Other(c.name.clone()),
                    },
                    // COUNT_DISTINCT (with or without precision), VALUES, or a
                    // one-field aggregate of a transformed field or of CASE
                    // labels.
                    (
                        "COUNT_DISTINCT" | "VALUES" | "MIN" | "MAX" | "AVG" | "SUM" | "MEDIAN",
                        None,
                    ) if (one || c.name == "COUNT_DISTINCT")
                        && let Some(arg) = self.computed_arg(arg, &a.expr) =>
                    {
                        computed = Some(Rc::new(arg));
                        AggKind::Computed(function_of(&c.name))
                    }
                    _ => AggKind::Other(c.name.clone()),
                }
            }
            None => AggKind::Other(what(&a.expr)),
        };
        AggDef {
            name,
            kind,
            filter: filter.map(Rc::new),
            inline,
            nested,
            zero_is_null,
            computed,
        }
    }

    pub(super) fn stats(&mut self, s: &ast::Stats) {
        let nested = !s.inline && self.stats > 0;
        let first = !s.inline && self.stats == 0;
        if !s.inline {
            self.stats += 1;
        }
        let mut out: Vec<(String, Def)> = Vec::new();
        for a in &s.aggs {
            let name = a.name.clone().unwrap_or_else(|| a.expr.to_string());
            let def = self.agg_def(a, name.clone(), s.inline, nested);
            if first {
                self.metrics.push(def.metric());
            }
            out.push((name, Def::Agg(def)));
        }
        for b in &s.by {
            let mut def = self.classify(&b.expr);
            // A key that is an aggregate of an earlier STATS: its groups are
            // not the aggregation's.
            if let Def::Agg(a) = &mut def {
                a.nested |= nested;
                a.inline |= s.inline;
            }
            let name = b.name.clone().unwrap_or_else(|| match &b.expr.kind {
                ExprKind::Field(f) => f.clone(),
                _ => b.expr.to_string(),
            });
            if first {
                match &def {
                    Def::Bucket(span) => self.window = Some(Window::parse(span)),
                    // Grouping by a case-folded or converted value is not
                    // grouping by the field: such a key keeps its column name.
                    Def::Fields(srcs)
                        if srcs.len() == 1 && srcs[0].untransformed() && !srcs[0].cast =>
                    {
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
                    | Def::AggCase { .. }
                    | Def::AggConcat { .. }
                    | Def::AggValue(_)
                    | Def::Computed {
                        from_aggs: true,
                        ..
                    }
            )
        )
    }

    /// Whether an expression reads an aggregate column.
    pub(super) fn reads_agg(&self, e: &ast::Expr) -> bool {
        let mut found = false;
        visit(e, &mut |x| {
            if let ExprKind::Field(f) = &x.kind {
                found |= self.is_agg_column(f);
            }
        });
        found
    }

    /// A `WHERE`: each top-level conjunct is a condition on the events, a
    /// condition on the aggregates, or opaque.
    pub(super) fn filter(&mut self, e: &ast::Expr) {
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
            } else {
                match self.having(c) {
                    Ok(expr) => {
                        let simple = self.threshold(c);
                        self.agg_conds.push(AggCond { expr, simple });
                    }
                    Err(r) => self.conds.push(opaque(r, c)),
                }
            }
        }
    }

    /// A condition on the groups, over metric names and keys; the reason
    /// when it cannot be stated exactly.
    fn having(&self, e: &ast::Expr) -> Result<Expr, String> {
        if !self.reads_agg(e) {
            // On the keys only: the condition their events share.
            let x = self.cond(e);
            return match x.opaques().first() {
                Some(o) => Err(o.reason.clone()),
                None => Ok(x),
            };
        }
        if let Some(x) = self.having_on_computed(e) {
            return x;
        }
        let span = e.span();
        match &e.kind {
            ExprKind::And(terms) => terms
                .iter()
                .map(|t| self.having(t))
                .collect::<Result<Vec<_>, _>>()
                .map(Expr::and),
            ExprKind::Or(terms) => terms
                .iter()
                .map(|t| self.having(t))
                .collect::<Result<Vec<_>, _>>()
                .map(Expr::or),
            ExprKind::Not(inner) => self.having(inner).map(Expr::not),
            ExprKind::Cmp { op, lhs, rhs } => self.having_cmp(e, *op, lhs, rhs),
            ExprKind::Field(_) => {
                let m = self.metric_column(e, e)?;
                Self::metric_cmp(m, CmpOp::Eq, &Literal::Bool(true), e)
            }
            ExprKind::IsNull { expr, negated } => {
                let m = self.metric_column(expr, e)?;
                let op = if *negated { Op::IsNotNull } else { Op::IsNull };
                Ok(field_pred(&m.name, op, Vec::new(), false, span))
            }
            ExprKind::In {
                expr,
                negated,
                list,
            } => {
                let m = self.metric_column(expr, e)?;
                Self::comparable(m)?;
                let values: Option<Vec<Value>> = list
                    .iter()
                    .map(|v| expr_literal(v).and_then(literal_value))
                    .collect();
                let values = values.ok_or_else(|| reason::NON_LITERAL.to_owned())?;
                let text = values.iter().any(|v| matches!(v, Value::Str(_)));
                let p = field_pred(&m.name, Op::In, values, text, span);
                Ok(if *negated { Expr::not(p) } else { p })
            }
            // Some value of the metric (a VALUES list) is the literal.
            ExprKind::Call(c) if c.name == "MV_CONTAINS" && c.args.len() == 2 => {
                let m = self.metric_column(&c.args[0], e)?;
                if m.kind == AggKind::Any {
                    return Err(self.agg_reason(e));
                }
                let value = expr_literal(&c.args[1])
                    .and_then(literal_value)
                    .ok_or_else(|| reason::NON_LITERAL.to_owned())?;
                let text = matches!(value, Value::Str(_));
                Ok(field_pred(&m.name, Op::Eq, vec![value], text, span))
            }
            _ => Err(self.agg_reason(e)),
        }
    }

    /// What an `EVAL` computes from aggregates, when conditions on it can be
    /// stated exactly: a `CASE` whose conditions can, or `MV_CONCAT` of a
    /// `VALUES` list.
    pub(super) fn classify_on_aggs(&self, e: &ast::Expr) -> Option<Def> {
        let c = e.as_call()?;
        match (c.name.as_str(), c.args.as_slice()) {
            ("CASE", args) if args.len() >= 2 && args.len() / 2 <= MAX_CASE_BRANCHES => {
                let value = |v: &ast::Expr| match expr_literal(v) {
                    Some(l) => CaseValue::Lit(l.clone()),
                    None => CaseValue::Other,
                };
                let mut branches = Vec::new();
                let mut pairs = args.chunks_exact(2);
                for pair in pairs.by_ref() {
                    branches.push((self.having(&pair[0]).ok()?, value(&pair[1])));
                }
                let default = match pairs.remainder() {
                    [d] => value(d),
                    _ => CaseValue::Lit(Literal::Null),
                };
                Some(Def::AggCase {
                    branches: Rc::new(branches),
                    default,
                })
            }
            ("MV_CONCAT", [list, sep]) => {
                let m = self.metric_column(list, e).ok()?;
                let Some(Literal::Str(separator)) = expr_literal(sep) else {
                    return None;
                };
                matches!(m.kind, AggKind::Of(MetricFunction::Values, _)).then(|| Def::AggConcat {
                    metric: m.name.clone(),
                    separator: separator.clone(),
                })
            }
            _ => None,
        }
    }

    /// A condition on a column computed from aggregates ([`Def::AggCase`],
    /// [`Def::AggConcat`]); `None` when `e` is not one.
    fn having_on_computed(&self, e: &ast::Expr) -> Option<Result<Expr, String>> {
        let column = |x: &ast::Expr| match x.as_field().and_then(|f| self.env.get(f)) {
            Some(d @ (Def::AggCase { .. } | Def::AggConcat { .. })) => Some(d),
            _ => None,
        };
        let case = |def: &Def, test: &dyn Fn(&Literal) -> Option<bool>| -> Result<Expr, String> {
            let Def::AggCase { branches, default } = def else {
                return Err(self.agg_reason(e));
            };
            if self.budget.get() == 0 {
                return Err(reason::TOO_LARGE.into());
            }
            self.case_opt(branches, default, |v| match v {
                CaseValue::Lit(l) => test(l).map(yes),
                _ => None,
            })
            .ok_or_else(|| {
                if self.budget.get() == 0 {
                    reason::TOO_LARGE.into()
                } else {
                    format!("{} (CASE)", reason::FROM_AGGREGATES)
                }
            })
        };
        Some(match &e.kind {
            ExprKind::Field(_) => case(column(e)?, &|l| {
                literal_cmp(l, CmpOp::Eq, &Literal::Bool(true))
            }),
            ExprKind::Cmp { op, lhs, rhs } => {
                let (op, col, lit) = match (column(lhs), column(rhs)) {
                    (Some(d), None) => (*op, d, expr_literal(rhs)),
                    (None, Some(d)) => (flip(*op), d, expr_literal(lhs)),
                    _ => return None,
                };
                match lit {
                    Some(lit) => case(col, &|l| literal_cmp(l, op, lit)),
                    None => Err(self.agg_reason(e)),
                }
            }
            ExprKind::IsNull { expr, negated } => {
                let negated = *negated;
                case(column(expr)?, &|l| Some((*l == Literal::Null) != negated))
            }
            ExprKind::In {
                expr,
                negated,
                list,
            } => {
                let col = column(expr)?;
                let lits: Option<Vec<&Literal>> = list.iter().map(expr_literal).collect();
                match lits {
                    Some(lits) => case(col, &|l| {
                        let mut any = false;
                        for x in &lits {
                            any |= literal_cmp(l, CmpOp::Eq, x)?;
                        }
                        // NOT IN with a null subject is null, as IN is.
                        Some(if *negated && *l != Literal::Null {
                            !any
                        } else {
                            any
                        })
                    }),
                    None => Err(reason::NON_LITERAL.into()),
                }
            }
            // `MV_CONCAT(values, ",") LIKE "*x*"`: some value contains `x`,
            // when `x` holds no separator.
            ExprKind::Like {
                expr,
                regex,
                negated,
                patterns,
            } => {
                let Def::AggConcat { metric, separator } = column(expr)? else {
                    return Some(Err(self.agg_reason(e)));
                };
                let mut values = Vec::new();
                for p in patterns {
                    let (op, value) = if *regex {
                        match pattern::rlike(p) {
                            Ok(r) => (r.op, r.value),
                            Err(_) => return Some(Err(self.agg_reason(e))),
                        }
                    } else {
                        let r = pattern::like(p);
                        (r.op, r.value)
                    };
                    if op != Op::Contains
                        || separator.is_empty()
                        || value.contains(separator.as_str())
                    {
                        return Some(Err(self.agg_reason(e)));
                    }
                    values.push(Value::Str(value));
                }
                let p = field_pred(metric, Op::Contains, values, true, e.span());
                Ok(if *negated { Expr::not(p) } else { p })
            }
            _ => return None,
        })
    }

    /// The aggregate a column names, when conditions on it can be stated.
    pub(super) fn metric_column(
        &self,
        col: &ast::Expr,
        whole: &ast::Expr,
    ) -> Result<&AggDef, String> {
        let Some(m) = col.as_field().and_then(|f| self.agg_of(f)) else {
            return Err(self.agg_reason(whole));
        };
        if m.inline {
            return Err(reason::INLINE_STATS.into());
        }
        if m.nested {
            return Err(reason::NESTED_STATS.into());
        }
        if let AggKind::Other(name) = &m.kind {
            return Err(format!("{} ({name})", reason::AGGREGATE));
        }
        if m.filter.as_deref().is_some_and(Expr::has_opaque) {
            return Err(reason::AGGREGATE_FILTER.into());
        }
        Ok(m)
    }

    /// Whether the metric's value compares as one value.
    pub(super) fn comparable(m: &AggDef) -> Result<(), String> {
        match &m.kind {
            AggKind::Of(MetricFunction::Values, _) | AggKind::Computed(MetricFunction::Values) => {
                Err(reason::VALUES_LIST.into())
            }
            AggKind::Any => Err(format!("{} (MAX)", reason::AGGREGATE)),
            _ => Ok(()),
        }
    }

    /// `metric op literal`.
    fn metric_cmp(m: &AggDef, op: CmpOp, lit: &Literal, at: &ast::Expr) -> Result<Expr, String> {
        let span = at.span();
        match &m.kind {
            // ES|QL compares a multi-valued list as null: the comparison holds
            // when the list has one value and it compares.
            AggKind::Of(MetricFunction::Values, _) | AggKind::Computed(MetricFunction::Values) => {
                let value = match literal_value(lit) {
                    Some(Value::Null) | None => return Err(reason::VALUES_LIST.into()),
                    Some(v) => v,
                };
                let mut one = Pred::new(Field::raw(m.name.clone()), Op::Eq, vec![Value::Int(1)])
                    .with_span(span);
                one.transforms.push(Transform::ValueCount);
                let cased = matches!(value, Value::Str(_)) && op != CmpOp::CiEq;
                let p = field_pred(&m.name, cmp_model_op(op), vec![value], cased, span);
                let p = if op == CmpOp::Neq { Expr::not(p) } else { p };
                Ok(Expr::and(vec![Expr::Pred(one), p]))
            }
            // MAX of a flag is 1 when the count of flagged events is at least
            // one, else 0 (or null): the comparison is restated on the count.
            AggKind::Any => {
                let restated = numeric(lit).and_then(|v| {
                    let at_one = cmp_holds(1.0, op, v);
                    let at_zero = !m.zero_is_null && cmp_holds(0.0, op, v);
                    match (at_one, at_zero) {
                        (true, false) => Some((Op::Gte, 1)),
                        (false, true) => Some((Op::Eq, 0)),
                        _ => None,
                    }
                });
                let (op, n) = restated.ok_or_else(|| format!("{} (MAX)", reason::AGGREGATE))?;
                Ok(field_pred(&m.name, op, vec![Value::Int(n)], false, span))
            }
            AggKind::Events
                if m.zero_is_null && numeric(lit).is_some_and(|v| cmp_holds(0.0, op, v)) =>
            {
                Err(format!("{} (SUM)", reason::AGGREGATE))
            }
            _ => {
                let value = match literal_value(lit) {
                    Some(Value::Null) | None => return Err(reason::NON_LITERAL.into()),
                    Some(v) => v,
                };
                let text = matches!(value, Value::Str(_));
                let cased = text && op != CmpOp::CiEq;
                let p = field_pred(&m.name, cmp_model_op(op), vec![value], cased, span);
                Ok(if op == CmpOp::Neq { Expr::not(p) } else { p })
            }
        }
    }

    /// A comparison that reads aggregates: with a literal, or of two metrics
    /// (`field_ref`, with `within` the order for `<`, `<=`, `>`, `>=`).
    fn having_cmp(
        &self,
        e: &ast::Expr,
        op: CmpOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> Result<Expr, String> {
        let (op, lhs, rhs) = if expr_literal(lhs).is_some() && expr_literal(rhs).is_none() {
            (flip(op), rhs, lhs)
        } else {
            (op, lhs, rhs)
        };
        if let Some(x) = self.having_computed(e, op, lhs, rhs) {
            return Ok(x);
        }
        if let Some(lit) = expr_literal(rhs) {
            let m = self.metric_column(lhs, e)?;
            return Self::metric_cmp(m, op, lit, e);
        }
        let is_metric = |x: &ast::Expr| x.as_field().and_then(|f| self.agg_of(f)).is_some();
        let (a, b) = match (is_metric(lhs), is_metric(rhs)) {
            (true, true) => (self.metric_column(lhs, e)?, self.metric_column(rhs, e)?),
            // A metric against a computed value (`NOW() - 1 hour`).
            (true, false) if !self.reads_agg(rhs) => {
                self.metric_column(lhs, e)?;
                return Err(reason::NON_LITERAL.into());
            }
            (false, true) if !self.reads_agg(lhs) => {
                self.metric_column(rhs, e)?;
                return Err(reason::NON_LITERAL.into());
            }
            _ => return Err(self.agg_reason(e)),
        };
        Self::comparable(a)?;
        Self::comparable(b)?;
        let within = match op {
            CmpOp::Eq | CmpOp::CiEq | CmpOp::Neq => None,
            other => Some(cmp_model_op(other)),
        };
        let mut p = Pred::new(
            Field::raw(a.name.clone()),
            Op::FieldRef,
            vec![Value::Str(b.name.clone())],
        )
        .with_span(e.span());
        p.within = within;
        p.case_sensitive = op != CmpOp::CiEq;
        let p = Expr::Pred(p);
        Ok(if op == CmpOp::Neq { Expr::not(p) } else { p })
    }

    /// `count_column OP number` (either way round), as a threshold.
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
        if matches!(op, CmpOp::Neq | CmpOp::CiEq) {
            return None;
        }
        let value = numeric(lit)?;
        let (op, value) = match agg.kind {
            // `MAX(flag) == 1` (or `>= 1`, `> 0`) is "at least one event".
            AggKind::Any if cmp_holds(1.0, op, value) && !cmp_holds(0.0, op, value) => {
                (Op::Gte, 1.0)
            }
            AggKind::Events | AggKind::Distinct(_) => (cmp_model_op(op), value),
            _ => return None,
        };
        Some(Threshold {
            column: col.to_owned(),
            def: agg.clone(),
            op,
            value,
        })
    }

    /// Why a filter that reads an aggregate is opaque.
    fn agg_reason(&self, e: &ast::Expr) -> String {
        let mut aggs: Vec<&AggDef> = Vec::new();
        let mut computed: Option<&str> = None;
        visit(e, &mut |x| {
            if let ExprKind::Field(f) = &x.kind {
                match self.env.get(f.as_str()) {
                    Some(Def::Agg(a)) => aggs.push(a),
                    Some(Def::Computed {
                        what,
                        from_aggs: true,
                        ..
                    }) => computed = computed.or(Some(what)),
                    Some(Def::AggCase { .. }) => computed = computed.or(Some("CASE")),
                    Some(Def::AggConcat { .. }) => computed = computed.or(Some("MV_CONCAT")),
                    Some(Def::AggValue(_)) => computed = computed.or(Some("a computed value")),
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
        if let Some(w) = computed {
            return format!("{} ({w})", reason::FROM_AGGREGATES);
        }
        // A value computed in the WHERE itself: name what computes it.
        let mut inner = None;
        visit(e, &mut |x| {
            if inner.is_none()
                && matches!(
                    x.kind,
                    ExprKind::Call(_) | ExprKind::Arith { .. } | ExprKind::Neg(_)
                )
                && self.reads_agg(x)
            {
                inner = Some(what(x));
            }
        });
        match inner {
            Some(w) => format!("{} ({w})", reason::FROM_AGGREGATES),
            None => reason::FROM_AGGREGATES.into(),
        }
    }

    /// The aggregation of the first `STATS`: its keys, window and metrics,
    /// and the conditions on its aggregates.
    pub(super) fn aggregation(&mut self) -> Option<Aggregation> {
        if self.stats == 0 {
            return None;
        }
        let mut agg = Aggregation::new(AggregationKind::Threshold {
            cardinality: Vec::new(),
        });
        agg.group_by = std::mem::take(&mut self.group_by);
        agg.window = self.window.take();
        agg.metrics = std::mem::take(&mut self.metrics);
        let conds = std::mem::take(&mut self.agg_conds);
        if let Some((kind, condition, joined)) = classic(&conds) {
            agg.kind = kind;
            agg.condition = condition;
            self.conds.extend(joined);
        } else if !conds.is_empty() {
            agg.having = Some(Expr::and(conds.into_iter().map(|c| c.expr).collect()));
        }
        Some(agg)
    }
}

/// The conditions as an Elastic threshold rule would state them, when they
/// all are count thresholds that fit: bounds on one count (of all events, or
/// of the events matching a filter that then joins the event condition, when
/// a group of zero events cannot pass), with `COUNT_DISTINCT(f) >= n` beside
/// it as cardinality; bounds on one `COUNT_DISTINCT` (a value count); or
/// minima on several `COUNT_DISTINCT`s (cardinality alone).
fn classic(conds: &[AggCond]) -> Option<Classic> {
    if conds.is_empty() {
        return None;
    }
    // Comparisons per aggregate column, in order of appearance.
    let mut columns: Vec<(&str, &AggDef, Vec<&Threshold>)> = Vec::new();
    for c in conds {
        let t = c.simple.as_ref()?;
        if let Some(entry) = columns.iter_mut().find(|(c, _, _)| *c == t.column) {
            entry.2.push(t);
        } else {
            columns.push((&t.column, &t.def, vec![t]));
        }
    }
    // Several `COUNT_DISTINCT(f) >= n` and no count: a threshold on
    // cardinalities alone (every group has at least one event).
    if columns.len() > 1 {
        let cardinality: Option<Vec<(Field, u64)>> = columns
            .iter()
            .map(|(_, def, ts)| match &def.kind {
                AggKind::Distinct(f) if def.filter.is_none() => {
                    Some((Field::raw(f.clone()), min_bound(ts)?))
                }
                _ => None,
            })
            .collect();
        if let Some(cardinality) = cardinality {
            return Some((AggregationKind::Threshold { cardinality }, Vec::new(), None));
        }
    }
    let main = columns
        .iter()
        .position(|(_, d, _)| matches!(d.kind, AggKind::Events | AggKind::Any))
        .unwrap_or(0);
    let (_, main_def, main_ts) = &columns[main];
    let mut kind = match &main_def.kind {
        AggKind::Distinct(f) => AggregationKind::ValueCount {
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
    let mut joined = None;
    if let Some(filter) = &main_def.filter {
        // Counting only the events matching the filter is filtering the
        // events, when no group of zero events passes and nothing else is counted.
        let excludes_zero = !condition.iter().all(|c| holds(0.0, c));
        if !excludes_zero || columns.len() > 1 {
            return None;
        }
        joined = Some(Expr::clone(filter));
    }
    for (i, (_, def, ts)) in columns.iter().enumerate() {
        if i == main {
            continue;
        }
        // `COUNT_DISTINCT(f) >= n` beside an unfiltered count is its cardinality.
        match (&def.kind, &mut kind) {
            (AggKind::Distinct(f), AggregationKind::Threshold { cardinality })
                if def.filter.is_none() && main_def.filter.is_none() =>
            {
                cardinality.push((Field::raw(f.clone()), min_bound(ts)?));
            }
            _ => return None,
        }
    }
    Some((kind, condition, joined))
}

/// The `n` of `COUNT_DISTINCT` comparisons that all say "at least n".
fn min_bound(ts: &[&Threshold]) -> Option<u64> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn t(op: Op, value: f64) -> Threshold {
        Threshold {
            column: "c".into(),
            def: AggDef {
                name: "c".into(),
                kind: AggKind::Events,
                filter: None,
                inline: false,
                nested: false,
                zero_is_null: false,
                computed: None,
            },
            op,
            value,
        }
    }

    macro_rules! min_bounds {
        ($($case:ident: $ts:expr => $want:expr;)*) => {$(
            #[test]
            fn $case() {
                let ts = $ts;
                let refs: Vec<&Threshold> = ts.iter().collect();
                assert_eq!(min_bound(&refs), $want);
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

    macro_rules! cmp_holds_cases {
        ($($case:ident: $x:expr, $op:ident, $v:expr => $want:expr;)*) => {$(
            #[test]
            fn $case() {
                assert_eq!(cmp_holds($x, CmpOp::$op, $v), $want);
            }
        )*};
    }

    cmp_holds_cases! {
        one_is_above_zero: 1.0, Gt, 0.0 => true;
        zero_is_not_above_zero: 0.0, Gt, 0.0 => false;
        one_equals_one: 1.0, Eq, 1.0 => true;
        zero_differs_from_one: 0.0, Neq, 1.0 => true;
    }
}

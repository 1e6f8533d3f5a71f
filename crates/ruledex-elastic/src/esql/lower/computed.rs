//! Values computed from aggregates after a `STATS` — `DATE_DIFF` between
//! two metrics or until now, arithmetic on metrics, `NOW() - 1 hour` — stated
//! as one metric passed through [`Transform`]s, so that a post-`STATS`
//! comparison on them is a predicate of [`Aggregation::having`](ruledex_model::Aggregation::having).
//! Also the time arithmetic of event filters (`@timestamp > NOW() - 1 hour`).

use ruledex_model::{
    ArithOp, Expr, Field, MetricFunction, Op, Operand, Pred, TimeUnit, Transform, Value,
};

use super::stats::{AggDef, AggKind};
use super::{Def, Lowerer, cmp_model_op, expr_literal, flip};
use crate::esql::ast::{self, ArithOp as A, CmpOp, ExprKind, Literal};

/// What kind of number (or date) a value is, as far as division cares:
/// ES|QL divides two integers with an integer result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Num {
    /// A whole number (`COUNT`, `COUNT_DISTINCT`, `DATE_DIFF`, an integer literal).
    Int,
    /// A floating-point number (`AVG`, `MEDIAN`, `TO_DOUBLE`, a decimal literal).
    Double,
    /// A number of either kind (`SUM`).
    Number,
    /// Anything else (`MIN`/`MAX`, which may be dates).
    Other,
}

/// A value computed from one metric: the metric's name, the transforms
/// applied to it, and what kind of value results.
#[derive(Clone, Debug)]
pub(super) struct AggValue {
    pub(super) metric: String,
    pub(super) transforms: Vec<Transform>,
    pub(super) num: Num,
}

/// The kind of value an aggregate gives.
fn num_of(m: &AggDef) -> Num {
    match &m.kind {
        AggKind::Events
        | AggKind::Any
        | AggKind::CountOf(_)
        | AggKind::Distinct(_)
        | AggKind::Computed(MetricFunction::CountDistinct) => Num::Int,
        AggKind::Of(MetricFunction::Avg | MetricFunction::Median, _)
        | AggKind::Computed(MetricFunction::Avg | MetricFunction::Median) => Num::Double,
        AggKind::Of(MetricFunction::Sum, _) | AggKind::Computed(MetricFunction::Sum) => Num::Number,
        _ => Num::Other,
    }
}

/// An ES|QL `DATE_DIFF` unit (its documented names and abbreviations).
pub(super) fn time_unit(name: &str) -> Option<TimeUnit> {
    Some(match name.to_ascii_lowercase().as_str() {
        "year" | "years" | "yy" | "yyyy" => TimeUnit::Year,
        "quarter" | "quarters" | "qq" | "q" => TimeUnit::Quarter,
        "month" | "months" | "mm" | "m" => TimeUnit::Month,
        "week" | "weeks" | "wk" | "ww" => TimeUnit::Week,
        "day" | "days" | "dd" | "d" => TimeUnit::Day,
        "hour" | "hours" | "hh" => TimeUnit::Hour,
        "minute" | "minutes" | "mi" | "n" => TimeUnit::Minute,
        "second" | "seconds" | "ss" | "s" => TimeUnit::Second,
        "millisecond" | "milliseconds" | "ms" => TimeUnit::Millisecond,
        _ => return None,
    })
}

/// A fixed time span literal (`1 hour`, `9 minutes`, `5 m`) in milliseconds;
/// months and years have no fixed length.
fn duration_ms(l: &Literal) -> Option<i64> {
    let Literal::Duration { value, unit } = l else {
        return None;
    };
    let ms: i64 = match unit.as_str() {
        "millisecond" | "milliseconds" | "ms" => 1,
        "second" | "seconds" | "sec" | "s" => 1_000,
        "minute" | "minutes" | "min" | "m" => 60_000,
        "hour" | "hours" | "h" => 3_600_000,
        "day" | "days" | "d" => 86_400_000,
        "week" | "weeks" | "w" => 604_800_000,
        _ => return None,
    };
    value.checked_mul(ms)
}

/// `NOW()`.
fn is_now(e: &ast::Expr) -> bool {
    e.as_call()
        .is_some_and(|c| c.name == "NOW" && c.args.is_empty() && !c.star)
}

/// `NOW() - span`: the span in milliseconds.
pub(super) fn now_minus(e: &ast::Expr) -> Option<i64> {
    match &e.kind {
        ExprKind::Arith {
            op: A::Sub,
            lhs,
            rhs,
        } if is_now(lhs) => duration_ms(expr_literal(rhs)?),
        _ => None,
    }
}

/// `x op NOW() - span` restated on the time from `x` until now, in
/// milliseconds: `x >= NOW() - 1 hour` is `date_diff(ms, x, now) <= 3600000`.
pub(super) fn since_now(op: CmpOp, span_ms: i64) -> Option<(Transform, Op, Value)> {
    if matches!(op, CmpOp::Neq | CmpOp::CiEq) {
        return None;
    }
    Some((
        Transform::DateDiff {
            unit: TimeUnit::Millisecond,
            until: None,
        },
        cmp_model_op(flip(op)),
        Value::Int(span_ms),
    ))
}

impl Lowerer {
    /// A value computed from one metric, when the model can state it: the
    /// metric itself; `DATE_DIFF(unit, m, NOW())` or `DATE_DIFF(unit, m,
    /// m2)` of plain metrics; `TO_DOUBLE`/`::double` of a number;
    /// `v + x`, `v - x`, `v * x`, `v % x` and `v / x` with `x` a numeric
    /// literal or a plain metric (a division only when one side is a
    /// floating-point number: ES|QL divides integers as integers).
    pub(super) fn agg_value(&self, e: &ast::Expr) -> Option<AggValue> {
        match &e.kind {
            ExprKind::Field(f) => match self.env.get(f)? {
                Def::Agg(_) => {
                    let m = self.metric_column(e, e).ok()?;
                    Self::comparable(m).ok()?;
                    Some(AggValue {
                        metric: m.name.clone(),
                        transforms: Vec::new(),
                        num: num_of(m),
                    })
                }
                Def::AggValue(v) => Some((**v).clone()),
                _ => None,
            },
            ExprKind::Cast { expr, ty } => self.agg_cast(expr, ty),
            ExprKind::Call(c) => match (c.name.as_str(), c.args.as_slice()) {
                ("TO_DOUBLE" | "TO_DBL", [x]) => self.agg_cast(x, "double"),
                ("TO_LONG" | "TO_INTEGER" | "TO_INT", [x]) => self.agg_cast(x, "long"),
                // The number of values of a metric (a VALUES list included).
                ("MV_COUNT", [x]) => {
                    let m = self.metric_column(x, x).ok()?;
                    if m.kind == AggKind::Any {
                        return None;
                    }
                    Some(AggValue {
                        metric: m.name.clone(),
                        transforms: vec![Transform::ValueCount],
                        num: Num::Int,
                    })
                }
                ("DATE_DIFF", [unit, from, until]) => {
                    let Some(Literal::Str(unit)) = expr_literal(unit) else {
                        return None;
                    };
                    let unit = time_unit(unit)?;
                    let from = self.agg_value(from).filter(|v| v.transforms.is_empty())?;
                    if matches!(from.num, Num::Int | Num::Double) {
                        return None;
                    }
                    let until = if is_now(until) {
                        None
                    } else {
                        let to = self.agg_value(until).filter(|v| v.transforms.is_empty())?;
                        if matches!(to.num, Num::Int | Num::Double) {
                            return None;
                        }
                        Some(to.metric)
                    };
                    Some(AggValue {
                        metric: from.metric,
                        transforms: vec![Transform::DateDiff { unit, until }],
                        num: Num::Int,
                    })
                }
                _ => None,
            },
            ExprKind::Arith { op, lhs, rhs } => {
                let mut left = self.agg_value(lhs)?;
                let (operand, right) = match expr_literal(rhs) {
                    #[allow(clippy::cast_precision_loss)]
                    Some(Literal::Int(i)) => (Operand::Number(*i as f64), Num::Int),
                    Some(Literal::Float(x)) => (Operand::Number(*x), Num::Double),
                    Some(_) => return None,
                    None => {
                        let r = self.agg_value(rhs).filter(|v| v.transforms.is_empty())?;
                        (Operand::Field(r.metric), r.num)
                    }
                };
                let numeric = |n: Num| matches!(n, Num::Int | Num::Double | Num::Number);
                if !numeric(left.num) || !numeric(right) {
                    return None;
                }
                let num = match (left.num, right) {
                    (Num::Int, Num::Int) => Num::Int,
                    (Num::Double, _) | (_, Num::Double) => Num::Double,
                    _ => Num::Number,
                };
                let op = match op {
                    A::Add => ArithOp::Add,
                    A::Sub => ArithOp::Sub,
                    A::Mul => ArithOp::Mul,
                    A::Mod => ArithOp::Rem,
                    A::Div if num == Num::Double => ArithOp::Div,
                    A::Div => return None,
                };
                left.transforms.push(Transform::Arith { op, operand });
                left.num = num;
                Some(left)
            }
            _ => None,
        }
    }

    /// A number converted to `double` or `long`: the same value, of that kind
    /// (a conversion of a floating-point value to `long` truncates: not stated).
    fn agg_cast(&self, e: &ast::Expr, ty: &str) -> Option<AggValue> {
        let mut v = self.agg_value(e)?;
        match (ty, v.num) {
            ("double", Num::Int | Num::Double | Num::Number) => v.num = Num::Double,
            ("long" | "integer" | "int", Num::Int) => {}
            _ => return None,
        }
        Some(v)
    }

    /// `value op literal` or `value op metric` for a value computed from a
    /// metric ([`Lowerer::agg_value`]) with at least one transform, and
    /// `metric op NOW() - span`; `None` when `lhs op rhs` is not one.
    pub(super) fn having_computed(
        &self,
        e: &ast::Expr,
        op: CmpOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> Option<Expr> {
        let neq = op == CmpOp::Neq;
        let mut v = self.agg_value(lhs)?;
        let (op, values, within) = if let Some(ms) = now_minus(rhs) {
            if !v.transforms.is_empty() || matches!(v.num, Num::Int | Num::Double) {
                return None;
            }
            let (t, op, value) = since_now(op, ms)?;
            v.transforms.push(t);
            (op, vec![value], None)
        } else if v.transforms.is_empty() {
            return None;
        } else if let Some(lit) = expr_literal(rhs) {
            let value = match lit {
                Literal::Int(i) => Value::Int(*i),
                Literal::Float(x) => Value::Float(*x),
                _ => return None,
            };
            (cmp_model_op(op), vec![value], None)
        } else if expr_literal(rhs).is_some() {
            return None;
        } else {
            let other = self.agg_value(rhs).filter(|o| o.transforms.is_empty())?;
            let within = match op {
                CmpOp::Eq | CmpOp::CiEq | CmpOp::Neq => None,
                other => Some(cmp_model_op(other)),
            };
            (Op::FieldRef, vec![Value::Str(other.metric)], within)
        };
        let mut p = Pred::new(Field::raw(v.metric), op, values).with_span(e.span());
        p.transforms = v.transforms;
        p.within = within;
        let p = Expr::Pred(p);
        Some(if neq { Expr::not(p) } else { p })
    }
}

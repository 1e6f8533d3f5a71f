//! EQL → model. The only place that knows what EQL operators mean; the
//! decisions are listed in the [module documentation](super).

use std::collections::HashSet;

use ruledex_diag::Span;
use ruledex_model::{
    Aggregation, AggregationKind, Expr as M, Field, Op, Pred, RegexFlags, SequenceStep, Transform,
    Value, Window,
};

use super::ast::{
    ArithOp, Call, Category, CompareOp, EventQuery, Expr, ExprKind, FieldPath, Literal, MatchOp,
    Patterns, Pipe, Query, QueryBody, TimeSpan,
};
use crate::lowered::Lowered;

use crate::lowered::HINT_FIELDS;

/// EQL functions in their documented spelling; calls are matched case-insensitively.
const FUNCTIONS: &[&str] = &[
    "add",
    "between",
    "cidrMatch",
    "concat",
    "divide",
    "endsWith",
    "indexOf",
    "length",
    "modulo",
    "multiply",
    "number",
    "startsWith",
    "string",
    "stringContains",
    "substring",
    "subtract",
    "wildcard",
];

/// The documented spelling of a function name, or the name as written.
fn canonical(name: &str) -> &str {
    FUNCTIONS
        .iter()
        .find(|f| f.eq_ignore_ascii_case(name))
        .copied()
        .unwrap_or(name)
}

/// Lower a parsed query.
pub(crate) fn lower(query: &Query) -> Lowered {
    let mut hints = Hints::default();
    let (mut expr, aggregation) = match &query.body {
        QueryBody::Event(q) => (event(q, &mut hints), None),
        QueryBody::Sequence(s) => {
            let mut steps = Vec::new();
            let mut alternatives = Vec::new();
            for t in &s.terms {
                let e = if t.missing {
                    M::opaque(
                        "EQL missing-event term `![…]`",
                        t.to_string(),
                        Some(t.span.0),
                    )
                } else {
                    event(&t.query, &mut hints)
                };
                let by = fields(&t.by);
                for _ in 0..t.runs.unwrap_or(1) {
                    steps.push(SequenceStep {
                        expr: e.clone(),
                        by: by.clone(),
                    });
                }
                alternatives.push(e);
            }
            // `until` cancels a sequence: it says nothing about the events
            // matched, so it gives no hints and stays out of `expr`.
            let until = s
                .until
                .as_ref()
                .map(|u| Box::new(condition(&u.query.condition)));
            let aggregation = Aggregation {
                kind: AggregationKind::Sequence { steps, until },
                group_by: fields(&s.by),
                window: s.maxspan.as_ref().map(window),
                condition: Vec::new(),
                metrics: Vec::new(),
                having: None,
            };
            (M::or(alternatives), Some(aggregation))
        }
        QueryBody::Sample(s) => {
            let mut steps = Vec::new();
            let mut alternatives = Vec::new();
            for t in &s.terms {
                let e = event(&t.query, &mut hints);
                steps.push(SequenceStep {
                    expr: e.clone(),
                    by: fields(&t.by),
                });
                alternatives.push(e);
            }
            let aggregation = Aggregation {
                kind: AggregationKind::Sequence { steps, until: None },
                group_by: fields(&s.by),
                window: None,
                condition: Vec::new(),
                metrics: Vec::new(),
                having: None,
            };
            (M::or(alternatives), Some(aggregation))
        }
    };
    let extra: Vec<M> = query.pipes.iter().filter_map(pipe).collect();
    if !extra.is_empty() {
        let mut all = vec![expr];
        all.extend(extra);
        expr = M::and(all);
    }
    Lowered {
        expr,
        aggregation,
        indices: Vec::new(),
        hints: hints.list,
    }
}

/// Hints in first-seen order, each once.
#[derive(Default)]
struct Hints {
    list: Vec<(String, String)>,
    seen: HashSet<(String, String)>,
}

impl Hints {
    fn push(&mut self, field: &str, value: String) {
        let hint = (field.to_owned(), value);
        if !self.seen.contains(&hint) {
            self.seen.insert(hint.clone());
            self.list.push(hint);
        }
    }
}

/// Lower one event query's condition and collect its hints.
fn event(q: &EventQuery, hints: &mut Hints) -> M {
    if let Category::Named(c) = &q.category {
        hints.push("event.category", c.clone());
    }
    let e = condition(&q.condition);
    collect_hints(&e, false, hints);
    e
}

/// Positive (not negated) equalities on the hint fields.
fn collect_hints(e: &M, negated: bool, hints: &mut Hints) {
    match e {
        M::And(c) | M::Or(c) => c.iter().for_each(|x| collect_hints(x, negated, hints)),
        M::Not(inner) => collect_hints(inner, !negated, hints),
        M::Pred(p) if !negated && matches!(p.op, Op::Eq | Op::In) => {
            if let Some(field) = HINT_FIELDS.iter().find(|f| **f == p.field.raw) {
                for v in &p.values {
                    match v {
                        Value::Str(s) => hints.push(field, s.clone()),
                        Value::Int(i) => hints.push(field, i.to_string()),
                        _ => {}
                    }
                }
            }
        }
        _ => {}
    }
}

fn pipe(p: &Pipe) -> Option<M> {
    match p.name.as_str() {
        // Result limits: they change how many alerts are raised, not which events match.
        "head" | "tail" => None,
        "filter" => Some(M::and(p.args.iter().map(condition).collect())),
        other => Some(M::opaque(
            format!("EQL pipe `| {other}`"),
            p.to_string(),
            Some(p.span.0),
        )),
    }
}

fn window(t: &TimeSpan) -> Window {
    Window::parse(&t.to_string())
}

/// Join keys as fields; a key that is not a field keeps its EQL text as the name.
fn fields(by: &[Expr]) -> Vec<Field> {
    by.iter()
        .map(|e| match &e.kind {
            ExprKind::Field(p) => Field::raw(p.dotted()),
            _ => Field::raw(e.to_string()),
        })
        .collect()
}

/// Why an expression that is not a field or a literal cannot be lowered:
/// the first function call in it, or arithmetic.
fn reason(e: &Expr) -> String {
    fn first_call(e: &Expr) -> Option<&Call> {
        match &e.kind {
            ExprKind::Call(c) => Some(c),
            ExprKind::And(v) | ExprKind::Or(v) => v.iter().find_map(first_call),
            ExprKind::Not(x) | ExprKind::Neg(x) => first_call(x),
            ExprKind::Compare { left, right, .. } | ExprKind::Arith { left, right, .. } => {
                first_call(left).or_else(|| first_call(right))
            }
            ExprKind::Match {
                value, patterns, ..
            } => first_call(value).or_else(|| patterns.as_slice().iter().find_map(first_call)),
            ExprKind::In { value, list, .. } => {
                first_call(value).or_else(|| list.iter().find_map(first_call))
            }
            ExprKind::Field(_) | ExprKind::Literal(_) => None,
        }
    }
    match first_call(e) {
        Some(c) => format!("EQL function `{}`", canonical(&c.name)),
        None if matches!(e.kind, ExprKind::Arith { .. } | ExprKind::Neg(_)) => {
            "EQL arithmetic".to_owned()
        }
        None => "EQL expression that is not a field or a value".to_owned(),
    }
}

fn opaque(reason: impl Into<String>, node: &Expr) -> M {
    M::opaque(reason, node.to_string(), Some(node.span.0))
}

fn to_value(l: &Literal) -> Value {
    match l {
        Literal::Str(s) => Value::Str(s.clone()),
        Literal::Int(i) => Value::Int(*i),
        Literal::Float(x) => Value::Float(*x),
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Null => Value::Null,
    }
}

fn pred(field: &FieldPath, op: Op, values: Vec<Value>, cased: bool, span: Span) -> Pred {
    let mut p = Pred::new(Field::raw(field.dotted()), op, values).with_span(span);
    // Case only matters for strings.
    p.case_sensitive = cased && p.values.iter().any(|v| matches!(v, Value::Str(_)));
    p
}

/// Lower a boolean expression.
pub(crate) fn condition(e: &Expr) -> M {
    let span = e.span.0;
    match &e.kind {
        ExprKind::And(terms) => M::and(terms.iter().map(condition).collect()),
        ExprKind::Or(terms) => M::or(terms.iter().map(condition).collect()),
        ExprKind::Not(inner) => M::not(condition(inner)),
        ExprKind::Compare { op, left, right } => compare(e, *op, left, right),
        ExprKind::Match {
            value,
            op,
            patterns,
        } => matches(e, value, *op, patterns),
        ExprKind::In {
            value,
            insensitive,
            negated,
            list,
        } => {
            let ExprKind::Field(field) = &value.kind else {
                return opaque(reason(value), e);
            };
            let inner = membership(e, field, list, !insensitive);
            if *negated { M::not(inner) } else { inner }
        }
        ExprKind::Call(c) => call(e, c),
        // A bare field is a boolean test.
        ExprKind::Field(f) => M::Pred(pred(f, Op::Eq, vec![Value::Bool(true)], false, span)),
        // `true` is the empty conjunction, `false` the empty disjunction.
        ExprKind::Literal(Literal::Bool(true)) => M::And(Vec::new()),
        ExprKind::Literal(Literal::Bool(false)) => M::Or(Vec::new()),
        ExprKind::Literal(_) => opaque("EQL value used as a condition", e),
        ExprKind::Arith { .. } | ExprKind::Neg(_) => opaque(reason(e), e),
    }
}

fn flip(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Le => CompareOp::Ge,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Ge => CompareOp::Le,
        same => same,
    }
}

/// A field read through functions the model states as transforms, innermost
/// first: `length(f)` is [`Transform::Length`]; `substring(f, start[, end])`
/// (positions from 0, negative from the end, `end` excluded) is
/// [`Transform::Substring`] when `end` is absent or `0 <= start <= end`, else
/// [`Transform::Slice`], and `end` may be `length(f) - k` (the same `f`),
/// which is position `-k`; `string(f)` is `f` (its value as text, as the
/// model compares values). `None` for anything else.
fn transformed(e: &Expr) -> Option<(&FieldPath, Vec<Transform>)> {
    let int = |x: &Expr| match x.kind {
        ExprKind::Literal(Literal::Int(i)) => Some(i),
        ExprKind::Neg(ref inner) => match inner.kind {
            ExprKind::Literal(Literal::Int(i)) => i.checked_neg(),
            _ => None,
        },
        _ => None,
    };
    match &e.kind {
        ExprKind::Field(f) => Some((f, Vec::new())),
        ExprKind::Call(c) if !c.insensitive => {
            let first = c.args.first()?;
            let (field, mut chain) = transformed(first)?;
            // `length(f) - k`, for the `end` of `substring(f, …)`: position -k.
            let from_end = |x: &Expr| match &x.kind {
                ExprKind::Arith {
                    op: ArithOp::Sub,
                    left,
                    right,
                } => match (&left.kind, &right.kind) {
                    (ExprKind::Call(l), ExprKind::Literal(Literal::Int(k)))
                        if canonical(&l.name) == "length"
                            && !l.insensitive
                            && l.args.len() == 1
                            && l.args[0] == *first
                            && *k > 0 =>
                    {
                        Some(-*k)
                    }
                    _ => None,
                },
                _ => None,
            };
            let t = match (canonical(&c.name), &c.args[1..]) {
                ("string", []) => return Some((field, chain)),
                ("length", []) => Transform::Length,
                ("substring", [start]) => Transform::Substring {
                    start: int(start)?,
                    len: None,
                },
                ("substring", [start, end]) => {
                    let (start, end) = (int(start)?, int(end).or_else(|| from_end(end))?);
                    if 0 <= start && start <= end {
                        Transform::Substring {
                            start,
                            len: Some(end - start),
                        }
                    } else {
                        Transform::Slice {
                            start,
                            end: Some(end),
                        }
                    }
                }
                _ => return None,
            };
            chain.push(t);
            Some((field, chain))
        }
        _ => None,
    }
}

fn compare(e: &Expr, op: CompareOp, left: &Expr, right: &Expr) -> M {
    let span = e.span.0;
    // A function of a field the model states as a transform, against a value.
    let (call, lit, op) = match (&left.kind, &right.kind) {
        (ExprKind::Call(_), ExprKind::Literal(l)) => (Some(left), Some(l), op),
        (ExprKind::Literal(l), ExprKind::Call(_)) => (Some(right), Some(l), flip(op)),
        _ => (None, None, op),
    };
    if let (Some(call), Some(lit)) = (call, lit)
        && let Some((field, transforms)) = transformed(call)
    {
        return compare_value(e, op, field, transforms, lit);
    }
    let (field, lit, op) = match (&left.kind, &right.kind) {
        (ExprKind::Field(f), ExprKind::Literal(l)) => (f, l, op),
        (ExprKind::Literal(l), ExprKind::Field(f)) => (f, l, flip(op)),
        (ExprKind::Field(a), ExprKind::Field(b)) => {
            let same = || {
                M::Pred(pred(
                    a,
                    Op::FieldRef,
                    vec![Value::Str(b.dotted())],
                    true,
                    span,
                ))
            };
            return match op {
                CompareOp::Eq => same(),
                CompareOp::Ne => M::not(same()),
                _ => opaque("EQL ordering comparison between two fields", e),
            };
        }
        (ExprKind::Literal(_), ExprKind::Literal(_)) => {
            return opaque("EQL comparison without a field", e);
        }
        (ExprKind::Field(_) | ExprKind::Literal(_), _) => return opaque(reason(right), e),
        _ => return opaque(reason(left), e),
    };
    compare_value(e, op, field, Vec::new(), lit)
}

/// `transforms(field) op lit`.
fn compare_value(
    e: &Expr,
    op: CompareOp,
    field: &FieldPath,
    transforms: Vec<Transform>,
    lit: &Literal,
) -> M {
    let span = e.span.0;
    let pred = |op: Op, values: Vec<Value>, cased: bool| {
        let mut p = pred(field, op, values, cased, span);
        p.transforms.clone_from(&transforms);
        M::Pred(p)
    };
    if matches!(lit, Literal::Null) {
        return match op {
            CompareOp::Eq => pred(Op::IsNull, Vec::new(), false),
            CompareOp::Ne => pred(Op::IsNotNull, Vec::new(), false),
            _ => opaque("EQL ordering comparison with null", e),
        };
    }
    let model_op = match op {
        CompareOp::Eq | CompareOp::Ne => Op::Eq,
        CompareOp::Lt => Op::Lt,
        CompareOp::Le => Op::Lte,
        CompareOp::Gt => Op::Gt,
        CompareOp::Ge => Op::Gte,
    };
    let p = pred(model_op, vec![to_value(lit)], true);
    if op == CompareOp::Ne { M::not(p) } else { p }
}

/// Pool `(op, value)` pairs by operator, in first-seen order.
fn pool(pairs: Vec<(Op, Value)>) -> Vec<(Op, Vec<Value>)> {
    let mut out: Vec<(Op, Vec<Value>)> = Vec::new();
    for (op, v) in pairs {
        match out.iter_mut().find(|(o, _)| *o == op) {
            Some((_, values)) => values.push(v),
            None => out.push((op, vec![v])),
        }
    }
    out
}

fn matches(e: &Expr, value: &Expr, op: MatchOp, patterns: &Patterns) -> M {
    let span = e.span.0;
    let ExprKind::Field(field) = &value.kind else {
        return opaque(reason(value), e);
    };
    let cased = matches!(op, MatchOp::Like | MatchOp::Regex);
    let regex = matches!(op, MatchOp::Regex | MatchOp::RegexInsensitive);
    let mut pairs = Vec::new();
    let mut others = Vec::new();
    for p in patterns.as_slice() {
        match &p.kind {
            ExprKind::Literal(Literal::Str(s)) if regex => match lucene_regex(s) {
                Some(r) => pairs.push((Op::Regex, Value::Str(r))),
                None => others.push(opaque(
                    "EQL regex that the model's regex syntax cannot read",
                    e,
                )),
            },
            ExprKind::Literal(Literal::Str(s)) => {
                let (op, v) = reduce_wildcard(s);
                pairs.push((op, Value::Str(v)));
            }
            ExprKind::Literal(Literal::Null) if op == MatchOp::Colon => {
                others.push(M::Pred(pred(field, Op::IsNull, Vec::new(), false, span)));
            }
            ExprKind::Literal(l @ (Literal::Int(_) | Literal::Float(_) | Literal::Bool(_)))
                if !regex =>
            {
                pairs.push((Op::Eq, to_value(l)));
            }
            ExprKind::Field(other) if op == MatchOp::Colon => {
                others.push(M::Pred(pred(
                    field,
                    Op::FieldRef,
                    vec![Value::Str(other.dotted())],
                    false,
                    span,
                )));
            }
            ExprKind::Field(_) => others.push(opaque("EQL pattern taken from a field", e)),
            ExprKind::Literal(_) => others.push(opaque("EQL pattern that is not a string", e)),
            _ => others.push(opaque(reason(p), e)),
        }
    }
    let mut out: Vec<M> = pool(pairs)
        .into_iter()
        .map(|(op, values)| {
            let mut p = pred(field, op, values, cased, span);
            if op == Op::Regex {
                // Lucene's `.` matches any character, line breaks included.
                p.regex_flags = RegexFlags {
                    multiline: false,
                    dotall: true,
                };
            }
            M::Pred(p)
        })
        .collect();
    out.extend(others);
    M::or(out)
}

fn membership(e: &Expr, field: &FieldPath, list: &[Expr], cased: bool) -> M {
    let span = e.span.0;
    let mut values = Vec::new();
    let mut others = Vec::new();
    for item in list {
        match &item.kind {
            ExprKind::Literal(Literal::Null) => {
                others.push(M::Pred(pred(field, Op::IsNull, Vec::new(), false, span)));
            }
            ExprKind::Literal(l) => values.push(to_value(l)),
            ExprKind::Field(other) => others.push(M::Pred(pred(
                field,
                Op::FieldRef,
                vec![Value::Str(other.dotted())],
                cased,
                span,
            ))),
            _ => others.push(opaque(reason(item), e)),
        }
    }
    let mut out = Vec::with_capacity(1 + others.len());
    if !values.is_empty() {
        out.push(M::Pred(pred(field, Op::In, values, cased, span)));
    }
    out.extend(others);
    M::or(out)
}

fn call(e: &Expr, c: &Call) -> M {
    let span = e.span.0;
    let name = canonical(&c.name);
    let op = match name {
        "startsWith" => Op::StartsWith,
        "endsWith" => Op::EndsWith,
        "stringContains" => Op::Contains,
        "wildcard" => Op::Wildcard,
        "cidrMatch" => Op::Cidr,
        _ => return opaque(format!("EQL function `{name}`"), e),
    };
    let Some((first, rest)) = c.args.split_first() else {
        return opaque(format!("EQL function `{name}` without arguments"), e);
    };
    let Some((field, transforms)) = transformed(first) else {
        return opaque(reason(first), e);
    };
    let pred = |field: &FieldPath, op: Op, values: Vec<Value>, cased: bool, span: Span| {
        let mut p = pred(field, op, values, cased, span);
        p.transforms.clone_from(&transforms);
        p
    };
    if rest.is_empty() {
        return opaque(format!("EQL function `{name}` without arguments"), e);
    }
    let cased = !c.insensitive && op != Op::Cidr;
    let mut pairs = Vec::new();
    let mut others = Vec::new();
    for arg in rest {
        match &arg.kind {
            ExprKind::Literal(Literal::Str(s)) => pairs.push(if op == Op::Wildcard {
                let (op, v) = reduce_wildcard(s);
                (op, Value::Str(v))
            } else {
                (op, Value::Str(s.clone()))
            }),
            // `startsWith(a, b)` with a field: the value of `b` (or of
            // `string(b)`) is the prefix. A transformed `b` cannot be stated:
            // `field_ref` names the other field's own value.
            ExprKind::Field(_) | ExprKind::Call(_)
                if matches!(op, Op::StartsWith | Op::EndsWith | Op::Contains)
                    && transformed(arg).is_some_and(|(_, t)| t.is_empty()) =>
            {
                let (other, _) = transformed(arg).expect("checked");
                let mut p = pred(
                    field,
                    Op::FieldRef,
                    vec![Value::Str(other.dotted())],
                    false,
                    span,
                );
                p.case_sensitive = cased;
                p.within = Some(op);
                others.push(M::Pred(p));
            }
            ExprKind::Literal(_) | ExprKind::Field(_) => {
                others.push(opaque(
                    format!("EQL function `{name}` with an argument that is not a string"),
                    e,
                ));
            }
            _ => others.push(opaque(reason(arg), e)),
        }
    }
    let mut out: Vec<M> = pool(pairs)
        .into_iter()
        .map(|(op, values)| M::Pred(pred(field, op, values, cased, span)))
        .collect();
    out.extend(others);
    M::or(out)
}

/// Reduce an EQL wildcard pattern (`*` any run, `?` one character; EQL has
/// no escape for them, so a backslash is a literal backslash) to the simplest
/// model operator: `eq`, `contains`, `starts_with`, `ends_with`, or
/// `wildcard` with the model's escaping (`\` written `\\`).
pub(crate) fn reduce_wildcard(s: &str) -> (Op, String) {
    let mut p = ruledex_model::pattern::Pattern::default();
    for c in s.chars() {
        match c {
            '*' => p.push_star(),
            '?' => p.push_one(),
            c => p.push_char(c),
        }
    }
    p.reduce()
}

/// Whether the byte at `i` is preceded by an odd number of backslashes.
fn escaped(s: &str, i: usize) -> bool {
    s.as_bytes()[..i]
        .iter()
        .rev()
        .take_while(|&&b| b == b'\\')
        .count()
        % 2
        == 1
}

/// Whether `re` has a `|` outside any group or class, which anchors must not split.
fn top_level_alternation(re: &str) -> bool {
    let mut depth = 0_usize;
    let mut in_class = false;
    let mut bytes = re.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'\\' => {
                bytes.next();
            }
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'(' if !in_class => depth += 1,
            b')' if !in_class => depth = depth.saturating_sub(1),
            b'|' if !in_class && depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// Turn a Lucene regular expression, which must match the whole value, into
/// a model regular expression, which is searched for: anchor it, dropping a
/// leading or trailing `.*` instead of anchoring that end. `None` when the
/// result is not a valid regular expression for the model.
pub(crate) fn lucene_regex(p: &str) -> Option<String> {
    let mut body = p;
    let mut anchor_start = true;
    let mut anchor_end = true;
    if let Some(rest) = body.strip_prefix(".*")
        && !rest.starts_with(['*', '+', '?', '{'])
    {
        body = rest;
        anchor_start = false;
    }
    if body.len() >= 2 && body.ends_with(".*") && !escaped(body, body.len() - 2) {
        body = &body[..body.len() - 2];
        anchor_end = false;
    }
    let group = (anchor_start || anchor_end) && top_level_alternation(body);
    let mut out = String::with_capacity(body.len() + 8);
    if anchor_start {
        out.push('^');
    }
    if group {
        out.push_str("(?:");
    }
    out.push_str(body);
    if group {
        out.push(')');
    }
    if anchor_end {
        out.push('$');
    }
    regex_syntax::Parser::new().parse(&out).ok().map(|_| out)
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! wildcard_cases {
        ($($name:ident: $input:expr => $op:expr, $val:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(reduce_wildcard($input), ($op, $val.to_owned()));
            }
        )*};
    }

    wildcard_cases! {
        plain_is_eq: "cmd.exe" => Op::Eq, "cmd.exe";
        both_stars_contains: "*-enc *" => Op::Contains, "-enc ";
        trailing_star_starts_with: "C:\\Windows\\*" => Op::StartsWith, "C:\\Windows\\";
        leading_star_ends_with: "*\\cmd.exe" => Op::EndsWith, "\\cmd.exe";
        question_mark_is_wildcard: "?:\\Users\\*" => Op::Wildcard, "?:\\\\Users\\\\*";
        inner_star_is_wildcard: "*a*b*" => Op::Wildcard, "*a*b*";
        lone_star: "*" => Op::Wildcard, "*";
        double_star_is_one_star: "**" => Op::Wildcard, "*";
        empty: "" => Op::Eq, "";
    }

    macro_rules! regex_cases {
        ($($name:ident: $input:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(lucene_regex($input).as_deref(), $want);
            }
        )*};
    }

    regex_cases! {
        anchored_both_ends: "[24][0-9]{3}" => Some("^[24][0-9]{3}$");
        leading_dot_star_unanchors_start: ".*\\.(top|xyz)" => Some("\\.(top|xyz)$");
        both_dot_stars: ".*[ ]{20,}.*" => Some("[ ]{20,}");
        alternation_is_grouped: "a|b" => Some("^(?:a|b)$");
        inner_alternation_is_not_grouped: "(a|b)c" => Some("^(a|b)c$");
        alternation_in_class_is_not_grouped: "[|]x" => Some("^[|]x$");
        escaped_dot_star_is_literal: "a\\.*" => Some("^a\\.*$");
        lazy_prefix_kept: ".*?x" => Some("^.*?x$");
        invalid: "a(" => None;
    }
}

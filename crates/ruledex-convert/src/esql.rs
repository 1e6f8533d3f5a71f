//! Backend: ES|QL
//! ([reference](https://www.elastic.co/docs/reference/query-languages/esql/esql-syntax-reference)).
//!
//! Shape: `from <indices> metadata _id, _index, _version | where <condition>`
//! (pySigma's shape), followed for an aggregation by
//! `| stats … by … | where …`. Indices are the rule's own (Elastic rules) or
//! those of its catalog event ([`crate::elastic_common::indices`]).
//!
//! Case: ES|QL compares strings exactly (`==`, `IN`, `LIKE`, `RLIKE`). A
//! case-insensitive test whose values hold letters wraps the field in
//! `TO_LOWER` and compares lowercased values — exact, unlike pySigma, which
//! writes a plain `like`. Regular expressions get their case folding in the
//! pattern ([`crate::elastic_regex`]). `LIKE` patterns escape a literal `*`,
//! `?` and `\` with `\`, inside an ES|QL string whose own escapes double it.
//!
//! ES|QL's logic has three values: a test on a field the event lacks is
//! null, and so is its negation, so a bare `not (…)` would drop such events
//! where the rule (and Lucene, KQL, EQL) keeps them. Each test under a `not`
//! is therefore guarded by its field's presence, `(f IS NOT NULL and test)`,
//! which is false rather than null on such an event; only what cannot be
//! guarded (a field reference, a keyword search) leaves the conversion
//! approximate, and says so.
//!
//! ES|QL has no free-text operator; a keyword search is written with the
//! `QSTR` full-text function (Lucene syntax over every field), approximately.

use std::fmt::Write as _;

use ruledex_model::{
    Aggregation, AggregationKind, Comparison, Expr, Field, Keyword, Metric, MetricFunction, Op,
    Pred, Rule, Transform, Value,
};

use crate::elastic_common::{
    Cx, Dialect, Item, Match, Out, Piece, cidr_call, combine, event_expr, has_case, indices, items,
    no_aggregation, no_op, ordering, quote_scalars, string_match, write_expr,
};
use crate::{Conversion, Target, elastic_regex, lucene};

const KEYWORD_REASON: &str = "ES|QL has no free-text operator; a keyword (field-less) search is written with QSTR (a Lucene query over every field: analysed text fields match words, keyword fields compare case-sensitively)";

const NOT_NULL_REASON: &str = "ES|QL compares a missing field as null and `not null` is null, so an event lacking a field tested under `not` is dropped, where the rule keeps it";

const RESERVED: &[&str] = &[
    "and", "as", "asc", "by", "desc", "false", "first", "from", "in", "is", "last", "like",
    "limit", "metadata", "not", "null", "nulls", "on", "or", "rlike", "true", "where", "with",
];

pub(crate) fn convert(rule: &Rule) -> Conversion {
    let mut cx = Cx::new(rule);
    match write_rule(&mut cx) {
        Ok(q) => Conversion::written(Target::Esql, q, cx.reasons),
        Err(reason) => Conversion::unsupported(Target::Esql, reason),
    }
}

fn write_rule(cx: &mut Cx<'_>) -> Result<String, String> {
    let rule = cx.rule;
    let mut out = format!(
        "from {} metadata _id, _index, _version",
        indices(rule).join(", ")
    );
    let expr = event_expr(cx, true);
    let expr = guard_negations(cx, &expr, false);
    if negates_nullable(&expr) {
        cx.approx(NOT_NULL_REASON);
    }
    let cond = write_expr(&Esql, cx, &expr)?;
    let _ = write!(out, "\n| where {}", cond.text);
    if let Some(agg) = &rule.logic.aggregation {
        out.push_str(&write_aggregation(cx, agg)?);
    }
    Ok(out)
}

/// Whether a test on `p`'s field is null when the event lacks the field.
fn nullable(p: &Pred) -> bool {
    !matches!(p.op, Op::Exists | Op::IsNull | Op::IsNotNull)
}

/// The presence test `p`'s field IS NOT NULL, when it can stand guard over
/// `p`: not for a field reference (two fields may be missing) nor Sysmon's
/// `Initiated` (written as a direction value).
fn presence_guard(cx: &Cx<'_>, p: &Pred) -> Option<Pred> {
    if !nullable(p) || p.op == Op::FieldRef {
        return None;
    }
    let mut g = p.clone();
    g.op = Op::IsNotNull;
    g.values.clear();
    g.transforms.clear();
    g.all = false;
    let plain = crate::common::sysmon_initiated(cx.rule.vendor, &g, ("", ""), "")
        .is_ok_and(|r| r.is_none());
    plain.then_some(g)
}

/// `e` with every nullable test under a `not` guarded by its field's
/// presence, `(f IS NOT NULL and test)`: the guarded test is false, not null,
/// on an event lacking `f`, so the negation keeps that event as the rule does.
fn guard_negations(cx: &Cx<'_>, e: &Expr, under_not: bool) -> Expr {
    match e {
        Expr::Not(inner) => Expr::Not(Box::new(guard_negations(cx, inner, true))),
        Expr::And(c) => Expr::And(
            c.iter()
                .map(|x| guard_negations(cx, x, under_not))
                .collect(),
        ),
        Expr::Or(c) => Expr::Or(
            c.iter()
                .map(|x| guard_negations(cx, x, under_not))
                .collect(),
        ),
        Expr::Pred(p) if under_not => match presence_guard(cx, p) {
            Some(g) => Expr::And(vec![Expr::Pred(g), e.clone()]),
            None => e.clone(),
        },
        other => other.clone(),
    }
}

/// Whether `e` negates a test that is null on an event lacking its field
/// (and is not guarded by [`guard_negations`]).
fn negates_nullable(e: &Expr) -> bool {
    fn guarded(c: &[Expr]) -> bool {
        matches!(c, [Expr::Pred(g), Expr::Pred(p)] if g.op == Op::IsNotNull && g.field == p.field && nullable(p))
    }
    fn open(e: &Expr) -> bool {
        match e {
            Expr::And(c) if guarded(c) => false,
            Expr::And(c) | Expr::Or(c) => c.iter().any(open),
            Expr::Not(inner) => open(inner),
            Expr::Pred(p) => nullable(p),
            Expr::Keyword(_) => true,
            Expr::Opaque(_) => false,
        }
    }
    e.any(&mut |x| match x {
        Expr::Not(inner) => open(inner),
        _ => false,
    })
}

fn metric_call(cx: &mut Cx<'_>, m: &Metric) -> Result<String, String> {
    let arg = match &m.field {
        Some(f) => field(cx, f),
        None => "*".to_owned(),
    };
    let name = match &m.function {
        MetricFunction::Count => "COUNT",
        MetricFunction::CountDistinct => "COUNT_DISTINCT",
        MetricFunction::Sum => "SUM",
        MetricFunction::Min => "MIN",
        MetricFunction::Max => "MAX",
        MetricFunction::Avg => "AVG",
        MetricFunction::Median => "MEDIAN",
        MetricFunction::Values => "VALUES",
        MetricFunction::Other(o) => o.as_str(),
    };
    let mut call = format!("{} = {}({arg})", quote_field(&m.name), name.to_uppercase());
    if let Some(filter) = &m.filter {
        let f = write_expr(&Esql, cx, filter)?;
        let _ = write!(call, " where {}", f.text);
    }
    Ok(call)
}

fn comparisons(name: &str, cond: &[Comparison]) -> Vec<String> {
    cond.iter()
        .map(|c| {
            let sym = c.op.ordering_symbol().unwrap_or("==");
            let v = if c.value.fract() == 0.0 && c.value.abs() < 1e15 {
                format!("{}", c.value as i64)
            } else {
                c.value.to_string()
            };
            format!("{name} {sym} {v}")
        })
        .collect()
}

fn write_aggregation(cx: &mut Cx<'_>, agg: &Aggregation) -> Result<String, String> {
    let mut stats: Vec<String> = Vec::new();
    let mut tests: Vec<String> = Vec::new();
    match &agg.kind {
        AggregationKind::Threshold { cardinality } => {
            if agg.metrics.is_empty() || !agg.condition.is_empty() {
                stats.push("event_count = COUNT(*)".to_owned());
                tests.extend(comparisons("event_count", &agg.condition));
            }
            for (i, (f, n)) in cardinality.iter().enumerate() {
                let name = format!("distinct_{i}");
                stats.push(format!("{name} = COUNT_DISTINCT({})", field(cx, f)));
                tests.push(format!("{name} >= {n}"));
            }
        }
        AggregationKind::EventCount { rules } if rules.is_empty() => {
            stats.push("event_count = COUNT(*)".to_owned());
            tests.extend(comparisons("event_count", &agg.condition));
        }
        AggregationKind::ValueCount { field: f, rules } if rules.is_empty() => {
            stats.push(format!("value_count = COUNT_DISTINCT({})", field(cx, f)));
            tests.extend(comparisons("value_count", &agg.condition));
        }
        other => return Err(no_aggregation("ES|QL", other)),
    }
    for m in &agg.metrics {
        stats.push(metric_call(cx, m)?);
    }
    if let Some(h) = &agg.having {
        tests.push(write_expr(&Esql, cx, h)?.grouped());
    }
    if let Some(w) = &agg.window {
        cx.approx(format!(
            "the aggregation window ({}) is not written: the rule's schedule and look-back must bound the events counted",
            w.text
        ));
    }
    let mut out = format!("\n| stats {}", stats.join(", "));
    if !agg.group_by.is_empty() {
        let by: Vec<String> = agg.group_by.iter().map(|f| field(cx, f)).collect();
        let _ = write!(out, " by {}", by.join(", "));
    }
    if !tests.is_empty() {
        let _ = write!(out, "\n| where {}", tests.join(" and "));
    }
    Ok(out)
}

fn field(cx: &mut Cx<'_>, f: &Field) -> String {
    quote_field(&cx.field_name(f))
}

/// A field name, in backticks unless every dotted segment is a plain identifier.
pub(crate) fn quote_field(name: &str) -> String {
    let plain = !name.is_empty()
        && name.split('.').all(|seg| {
            seg.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '@')
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@')
        })
        && !RESERVED.contains(&name.to_ascii_lowercase().as_str());
    if plain {
        name.to_owned()
    } else {
        format!("`{}`", name.replace('`', "``"))
    }
}

/// An ES|QL string literal.
pub(crate) fn string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A `LIKE` pattern (before string escaping): literal `*`, `?`, `\` escaped.
pub(crate) fn like_pattern(ps: &[Piece]) -> String {
    let mut out = String::new();
    for p in ps {
        match p {
            Piece::Lit(s) => {
                for c in s.chars() {
                    if matches!(c, '*' | '?' | '\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            Piece::Star => out.push('*'),
            Piece::One => out.push('?'),
        }
    }
    out
}

/// The field as compared: transforms applied, innermost first.
fn subject(field: String, transforms: &[Transform]) -> Result<String, String> {
    let mut s = field;
    for t in transforms {
        s = match t {
            Transform::Lower => format!("TO_LOWER({s})"),
            Transform::Upper => format!("TO_UPPER({s})"),
            Transform::Trim => format!("TRIM({s})"),
            Transform::Length => format!("LENGTH({s})"),
            Transform::UrlDecode => format!("URL_DECODE({s})"),
            Transform::Base64Decode => format!("FROM_BASE64({s})"),
            Transform::Substring { start, len } => {
                // ES|QL counts from 1; a negative start counts from the end.
                let from = if *start >= 0 { start + 1 } else { *start };
                match len {
                    Some(n) => format!("SUBSTRING({s}, {from}, {n})"),
                    None => format!("SUBSTRING({s}, {from})"),
                }
            }
            Transform::Replace {
                pattern,
                replacement,
            } => format!("REPLACE({s}, {}, {})", string(pattern), string(replacement)),
            other => {
                return Err(format!(
                    "the `{}` transform is not translated to ES|QL yet",
                    other.name()
                ));
            }
        };
    }
    Ok(s)
}

struct Esql;

impl Dialect for Esql {
    const AND: &'static str = " and ";
    const OR: &'static str = " or ";

    fn not(&self, inner: Out) -> Out {
        Out::atom(format!("not {}", inner.grouped()))
    }

    fn pred(&self, cx: &mut Cx<'_>, p: &Pred) -> Result<Out, String> {
        let name = cx.field_name(&p.field);
        let numeric = !quote_scalars(cx.rule, &name) || !p.transforms.is_empty();
        let f = subject(quote_field(&name), &p.transforms)?;
        match p.op {
            Op::Eq | Op::In | Op::Contains | Op::StartsWith | Op::EndsWith | Op::Wildcard => {
                let mut items = items(p);
                let fold = !p.case_sensitive
                    && items
                        .iter()
                        .any(|i| matches!(i, Item::Str(m) if has_case(&m.literals())));
                let subj = if fold {
                    for i in &mut items {
                        if let Item::Str(m) = i {
                            *m = m.lowercased();
                        }
                    }
                    format!("TO_LOWER({f})")
                } else {
                    f.clone()
                };
                let mut parts = Vec::new();
                let mut exact: Vec<String> = Vec::new();
                for i in &items {
                    match i {
                        Item::Null => parts.push(Out::atom(format!("{f} IS NULL"))),
                        Item::Scalar(s) if numeric => exact.push(s.clone()),
                        Item::Scalar(s) => exact.push(string(s)),
                        Item::Str(Match::Exact(s)) => exact.push(string(s)),
                        Item::Str(Match::Glob(ps)) => parts.push(Out::atom(format!(
                            "{subj} LIKE {}",
                            string(&like_pattern(ps))
                        ))),
                    }
                }
                if p.all || exact.len() == 1 {
                    for v in &exact {
                        parts.push(Out::atom(format!("{subj} == {v}")));
                    }
                } else if !exact.is_empty() {
                    parts.push(Out::atom(format!("{subj} IN ({})", exact.join(", "))));
                }
                if parts.is_empty() {
                    return Err("the predicate has no value".to_owned());
                }
                Ok(combine(parts, p.all, Self::AND, Self::OR))
            }
            Op::Regex => {
                let mut parts = Vec::new();
                for v in &p.values {
                    let Value::Str(s) = v else {
                        return Err("a regular expression that is not a string".to_owned());
                    };
                    let r = elastic_regex::to_lucene(
                        s,
                        !p.case_sensitive,
                        p.regex_flags.multiline,
                        p.regex_flags.dotall,
                    )?;
                    cx.reasons.extend(r.reasons);
                    parts.push(Out::atom(format!("{f} RLIKE {}", string(&r.pattern))));
                }
                Ok(combine(parts, p.all, Self::AND, Self::OR))
            }
            Op::Cidr => cidr_call(&f, p, "CIDR_MATCH", string, Self::AND),
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => Ok(ordering(&f, p, string, Self::AND, Self::OR)),
            Op::Exists | Op::IsNull | Op::IsNotNull => {
                let present = crate::elastic_common::tests_presence(p);
                Ok(Out::atom(format!(
                    "{f} IS {}NULL",
                    if present { "NOT " } else { "" }
                )))
            }
            Op::FieldRef => {
                let mut parts = Vec::new();
                for v in &p.values {
                    let other = quote_field(&cx.other_field_name(&v.to_string()));
                    let (lhs, rhs) = if p.case_sensitive {
                        (f.clone(), other)
                    } else {
                        (format!("TO_LOWER({f})"), format!("TO_LOWER({other})"))
                    };
                    parts.push(Out::atom(match p.within {
                        None => format!("{lhs} == {rhs}"),
                        Some(Op::StartsWith) => format!("STARTS_WITH({lhs}, {rhs})"),
                        Some(Op::EndsWith) => format!("ENDS_WITH({lhs}, {rhs})"),
                        Some(Op::Contains) => format!("LOCATE({lhs}, {rhs}) > 0"),
                        Some(o @ (Op::Gt | Op::Gte | Op::Lt | Op::Lte)) => {
                            format!(
                                "{f} {} {}",
                                o.ordering_symbol().unwrap_or("<="),
                                quote_field(&v.to_string())
                            )
                        }
                        Some(o) => return Err(no_op("ES|QL", o)),
                    }));
                }
                Ok(combine(parts, p.all, Self::AND, Self::OR))
            }
            Op::Lookup => Err(no_op("ES|QL", p.op)),
        }
    }

    fn keyword(&self, cx: &mut Cx<'_>, k: &Keyword) -> Result<Out, String> {
        cx.approx(KEYWORD_REASON);
        let mut parts = Vec::new();
        for v in &k.values {
            let text = v.to_string();
            let op = if k.op == Op::Eq { Op::Contains } else { k.op };
            if !matches!(
                op,
                Op::Contains | Op::Wildcard | Op::StartsWith | Op::EndsWith
            ) {
                return Err(no_op("ES|QL keyword search", op));
            }
            let q = lucene::value(&string_match(op, &text));
            parts.push(Out::atom(format!("QSTR({})", string(&q))));
        }
        if parts.is_empty() {
            return Err("a keyword search with no value".to_owned());
        }
        Ok(combine(parts, k.all, Self::AND, Self::OR))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! likes {
        ($($name:ident: $input:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let m = string_match(Op::Wildcard, $input);
                assert_eq!(string(&like_pattern(&m.pieces())), $want);
            }
        )*};
    }

    likes! {
        like_plain: "cmd.exe" => r#""cmd.exe""#;
        like_backslash_doubles_twice: r"*\\curl.exe" => r#""*\\\\curl.exe""#;
        like_literal_star: r"a\*b*" => r#""a\\*b*""#;
        like_quote: "say \"hi\"*" => r#""say \"hi\"*""#;
        like_question_mark: "a?b" => r#""a?b""#;
    }

    #[test]
    fn string_escapes() {
        assert_eq!(string("a\tb\n\"\\"), r#""a\tb\n\"\\""#);
    }

    #[test]
    fn field_quoting() {
        assert_eq!(quote_field("process.name"), "process.name");
        assert_eq!(quote_field("@timestamp"), "@timestamp");
        assert_eq!(quote_field("web.cs-cookie"), "`web.cs-cookie`");
        assert_eq!(quote_field("from"), "`from`");
        assert_eq!(quote_field("a`b"), "`a``b`");
    }
}

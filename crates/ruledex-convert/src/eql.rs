//! Backend: Elastic event query language
//! ([syntax](https://www.elastic.co/guide/en/elasticsearch/reference/current/eql-syntax.html)).
//!
//! A single-event rule is `<category> where <condition>`: the category is the
//! one an Elastic rule selected (from its catalog event), `any` otherwise (as
//! pySigma writes Sigma rules: the log source is the index's business).
//!
//! Case-insensitive tests (Sigma's default) use EQL's insensitive forms, as
//! pySigma does: `field : "value"` for one value (`*` and `?` are wildcards
//! there), `field like~ ("a", "*b*")` for several. EQL cannot escape a `*` or
//! `?` in those, so a value holding one literally is written with the
//! literal-only forms (`in~`, `stringContains~`, `startsWith~`, `endsWith~`).
//! Case-sensitive tests use `==`, `in`, `like`. A regex is `regex` with the
//! pattern in Lucene syntax ([`crate::elastic_regex`]; `regex~` when case-insensitive); `cidr` is `cidrMatch`;
//! `exists` is `field != null`.
//!
//! Sequences (Elastic's own EQL sequences) are written back as
//! `sequence [by …] [with maxspan=…] [any where …] by … until [any where …]`;
//! the model does not keep each step's event category, so an Elastic rule's
//! are read from its own query, and other steps read `any` (approximate). EQL has no free-text search: a keyword search is written
//! against `message` (approximate).

use std::fmt::Write as _;

use ruledex_model::{AggregationKind, Keyword, Op, Pred, Rule, SequenceStep, Value, Vendor};

use crate::elastic_common::{
    Cx, Dialect, Item, Match, Out, cidr_call, combine, eql_category, event_expr, items,
    no_aggregation, no_op, no_transform, ordering, quote_scalars, string_match, write_expr,
    written_term_categories,
};
use crate::elastic_regex;
use crate::{Conversion, Target};

const KEYWORD_REASON: &str = "EQL has no free-text search; a keyword (field-less) search is written against the `message` field only";
const STEP_REASON: &str =
    "the model does not keep a sequence step's event category; each step is written `any where`";

/// Words that cannot start a field name unquoted (the EQL parser's keywords).
const RESERVED: &[&str] = &[
    "and", "any", "by", "false", "in", "join", "like", "not", "null", "of", "or", "regex",
    "sample", "sequence", "true", "until", "where", "with",
];
pub(crate) fn convert(rule: &Rule) -> Conversion {
    let mut cx = Cx::new(rule);
    match write_rule(&mut cx) {
        Ok(q) => Conversion::written(Target::Eql, q, cx.reasons),
        Err(reason) => Conversion::unsupported(Target::Eql, reason),
    }
}

fn write_rule(cx: &mut Cx<'_>) -> Result<String, String> {
    let rule = cx.rule;
    let Some(agg) = &rule.logic.aggregation else {
        let cat = if rule.vendor == Vendor::Elastic {
            eql_category(rule).unwrap_or_else(|| "any".to_owned())
        } else {
            "any".to_owned()
        };
        let expr = event_expr(cx, false);
        let cond = write_expr(&Eql, cx, &expr)?;
        return Ok(format!("{cat} where {}", cond.text));
    };
    let AggregationKind::Sequence { steps, until } = &agg.kind else {
        return Err(no_aggregation("EQL", &agg.kind));
    };
    if !agg.condition.is_empty() || !agg.metrics.is_empty() || agg.having.is_some() {
        return Err("EQL sequences cannot test a count".to_owned());
    }
    // Consecutive equal steps are one term `with runs=N` (at most 100 a term).
    let mut groups: Vec<(&SequenceStep, usize)> = Vec::new();
    for s in steps {
        match groups.last_mut() {
            Some((g, runs)) if *g == s && *runs < 100 => *runs += 1,
            _ => groups.push((s, 1)),
        }
    }
    // The model keeps no step categories; an Elastic rule's own query has them.
    let mut cats = if cx.rule.vendor == Vendor::Elastic {
        written_term_categories(&cx.rule.text)
    } else {
        Vec::new()
    };
    if cats.len() != groups.len() + usize::from(until.is_some()) {
        cx.approx(STEP_REASON);
        cats = vec!["any".to_owned(); groups.len() + 1];
    }
    let mut out = String::from("sequence");
    if !agg.group_by.is_empty() {
        let by: Vec<String> = agg.group_by.iter().map(|f| field(cx, f)).collect();
        let _ = write!(out, " by {}", by.join(", "));
    }
    if let Some(w) = &agg.window {
        let span = match w.seconds {
            Some(s) if s % 86_400 == 0 => format!("{}d", s / 86_400),
            Some(s) if s % 3600 == 0 => format!("{}h", s / 3600),
            Some(s) if s % 60 == 0 => format!("{}m", s / 60),
            Some(s) => format!("{s}s"),
            None => {
                return Err(format!(
                    "the sequence window `{}` is not a duration",
                    w.text
                ));
            }
        };
        let _ = write!(out, " with maxspan={span}");
    }
    for (i, (s, runs)) in groups.iter().enumerate() {
        let cond = write_expr(&Eql, cx, &s.expr)?;
        let _ = write!(out, "\n  [{} where {}]", cats[i], cond.text);
        if !s.by.is_empty() {
            let by: Vec<String> = s.by.iter().map(|f| field(cx, f)).collect();
            let _ = write!(out, " by {}", by.join(", "));
        }
        if *runs > 1 {
            let _ = write!(out, " with runs={runs}");
        }
    }
    if let Some(u) = until {
        let cond = write_expr(&Eql, cx, u)?;
        let _ = write!(out, "\nuntil [{} where {}]", cats[groups.len()], cond.text);
    }
    Ok(out)
}

fn field(cx: &mut Cx<'_>, f: &ruledex_model::Field) -> String {
    quote_field(&cx.field_name(f))
}

/// A field name, with each segment that is not a plain identifier (or is a
/// keyword) in backticks.
pub(crate) fn quote_field(name: &str) -> String {
    name.split('.')
        .enumerate()
        .map(|(i, seg)| {
            let plain = seg
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '@')
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@');
            if plain && (i > 0 || !RESERVED.contains(&seg)) {
                seg.to_owned()
            } else {
                format!("`{}`", seg.replace('`', "``"))
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// An EQL string literal.
pub(crate) fn string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:04X}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The pattern text of a match (wildcards kept; EQL has no escape for them).
fn pattern(m: &Match) -> String {
    use crate::elastic_common::Piece;
    match m {
        Match::Exact(s) => s.clone(),
        Match::Glob(ps) => ps
            .iter()
            .map(|p| match p {
                Piece::Lit(s) => s.clone(),
                Piece::Star => "*".to_owned(),
                Piece::One => "?".to_owned(),
            })
            .collect(),
    }
}

/// A literal-only test for a value holding `*` or `?` literally.
fn literal_test(f: &str, op: Op, m: &Match, insensitive: bool) -> Result<Out, String> {
    let t = if insensitive { "~" } else { "" };
    let s = string(&m.literals());
    Ok(Out::atom(match (op, m) {
        (_, Match::Exact(_)) => format!("{f} in{t} ({s})"),
        (Op::Contains, _) => format!("stringContains{t}({f}, {s})"),
        (Op::StartsWith, _) => format!("startsWith{t}({f}, {s})"),
        (Op::EndsWith, _) => format!("endsWith{t}({f}, {s})"),
        _ => {
            return Err(
                "EQL cannot escape a literal `*` or `?` inside a wildcard pattern".to_owned(),
            );
        }
    }))
}

struct Eql;

impl Dialect for Eql {
    const AND: &'static str = " and ";
    const OR: &'static str = " or ";

    fn not(&self, inner: Out) -> Out {
        Out::atom(format!("not {}", inner.grouped()))
    }

    fn pred(&self, cx: &mut Cx<'_>, p: &Pred) -> Result<Out, String> {
        if !p.transforms.is_empty() {
            return Err(no_transform("EQL", p));
        }
        let name = cx.field_name(&p.field);
        let f = quote_field(&name);
        let insensitive = !p.case_sensitive;
        match p.op {
            Op::Eq | Op::In | Op::Contains | Op::StartsWith | Op::EndsWith | Op::Wildcard => {
                let items = items(p);
                let quote = quote_scalars(cx.rule, &name);
                // Only whole values: `in` / `in~` compare them literally.
                let exact_only = items
                    .iter()
                    .all(|i| !matches!(i, Item::Str(Match::Glob(_))));
                let mut parts = Vec::new();
                let mut bare: Vec<String> = Vec::new();
                let mut pooled: Vec<String> = Vec::new();
                for i in &items {
                    match i {
                        Item::Null => parts.push(Out::atom(format!("{f} == null"))),
                        Item::Scalar(s) if !quote => bare.push(s.clone()),
                        Item::Scalar(s) => pooled.push(s.clone()),
                        Item::Str(m) if m.has_literal_wildcard() && !exact_only => {
                            parts.push(literal_test(&f, p.op, m, insensitive)?);
                        }
                        Item::Str(m) => pooled.push(pattern(m)),
                    }
                }
                if p.all || bare.len() == 1 {
                    parts.extend(bare.iter().map(|b| Out::atom(format!("{f} == {b}"))));
                } else if !bare.is_empty() {
                    parts.push(Out::atom(format!("{f} in ({})", bare.join(", "))));
                }
                if p.all || pooled.len() == 1 {
                    for v in &pooled {
                        parts.push(Out::atom(single(&f, v, insensitive, exact_only)));
                    }
                } else if !pooled.is_empty() {
                    let literal_wildcards = pooled.iter().any(|v| v.contains(['*', '?']));
                    let list: Vec<String> = pooled.iter().map(|v| string(v)).collect();
                    let op = match (insensitive, exact_only) {
                        (true, true) if literal_wildcards => "in~",
                        (true, _) => "like~",
                        (false, true) => "in",
                        (false, false) => "like",
                    };
                    parts.push(Out::atom(format!("{f} {op} ({})", list.join(", "))));
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
                    // `regex~` folds case itself.
                    let r = elastic_regex::to_lucene(
                        s,
                        false,
                        p.regex_flags.multiline,
                        p.regex_flags.dotall,
                    )?;
                    cx.reasons.extend(r.reasons);
                    let op = if insensitive { "regex~" } else { "regex" };
                    parts.push(Out::atom(format!("{f} {op} {}", string(&r.pattern))));
                }
                Ok(combine(parts, p.all, Self::AND, Self::OR))
            }
            Op::Cidr => cidr_call(&f, p, "cidrMatch", string, Self::AND),
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => Ok(ordering(&f, p, string, Self::AND, Self::OR)),
            Op::Exists | Op::IsNull | Op::IsNotNull => {
                let present = crate::elastic_common::tests_presence(p);
                Ok(Out::atom(format!(
                    "{f} {} null",
                    if present { "!=" } else { "==" }
                )))
            }
            Op::FieldRef => {
                let mut parts = Vec::new();
                for v in &p.values {
                    let other = quote_field(&cx.other_field_name(&v.to_string()));
                    let t = if insensitive { "~" } else { "" };
                    parts.push(Out::atom(match p.within {
                        None if insensitive => format!("{f} : {other}"),
                        None => format!("{f} == {other}"),
                        Some(Op::Contains) => format!("stringContains{t}({f}, {other})"),
                        Some(Op::StartsWith) => format!("startsWith{t}({f}, {other})"),
                        Some(Op::EndsWith) => format!("endsWith{t}({f}, {other})"),
                        Some(o @ (Op::Gt | Op::Gte | Op::Lt | Op::Lte)) => {
                            format!("{f} {} {other}", o.ordering_symbol().unwrap_or("<="))
                        }
                        Some(o) => return Err(no_op("EQL", o)),
                    }));
                }
                Ok(combine(parts, p.all, Self::AND, Self::OR))
            }
            Op::Lookup => Err(no_op("EQL", p.op)),
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
                return Err(no_op("EQL keyword search", op));
            }
            let m = string_match(op, &text);
            if m.has_literal_wildcard() {
                parts.push(literal_test("message", op, &m, !k.case_sensitive)?);
            } else {
                let t = if k.case_sensitive { " like " } else { " : " };
                parts.push(Out::atom(format!("message{t}{}", string(&pattern(&m)))));
            }
        }
        if parts.is_empty() {
            return Err("a keyword search with no value".to_owned());
        }
        Ok(combine(parts, k.all, Self::AND, Self::OR))
    }
}

fn single(f: &str, v: &str, insensitive: bool, exact: bool) -> String {
    if insensitive && exact && v.contains(['*', '?']) {
        format!("{f} in~ ({})", string(v))
    } else if insensitive {
        format!("{f} : {}", string(v))
    } else if exact {
        format!("{f} == {}", string(v))
    } else {
        format!("{f} like {}", string(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! strings {
        ($($name:ident: $input:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(string($input), $want);
            }
        )*};
    }

    strings! {
        plain: "cmd.exe" => r#""cmd.exe""#;
        quote_and_backslash: r#"C:\a"b"# => r#""C:\\a\"b""#;
        control_characters: "a\tb\nc\u{1}" => r#""a\tb\nc\u{0001}""#;
        wildcards_stay: "a*b?" => r#""a*b?""#;
    }

    #[test]
    fn field_segments_quoted_when_needed() {
        assert_eq!(quote_field("process.name"), "process.name");
        assert_eq!(quote_field("web.cs-cookie"), "web.`cs-cookie`");
        assert_eq!(quote_field("a.sequence.1x"), "a.sequence.`1x`");
        assert_eq!(quote_field("sequence.a"), "`sequence`.a");
        assert_eq!(quote_field("a`b"), "`a``b`");
    }

    #[test]
    fn literal_wildcards_use_literal_functions() {
        let m = string_match(Op::Contains, "a*b");
        let o = literal_test("f", Op::Contains, &m, true).unwrap();
        assert_eq!(o.text, r#"stringContains~(f, "a*b")"#);
        let m = string_match(Op::Wildcard, r"a\*b*c");
        assert!(literal_test("f", Op::Wildcard, &m, true).is_err());
    }
}

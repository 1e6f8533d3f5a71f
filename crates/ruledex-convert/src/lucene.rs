//! Backend: Lucene query syntax as Elasticsearch's `query_string` reads it
//! ([reference](https://www.elastic.co/guide/en/elasticsearch/reference/current/query-dsl-query-string-query.html#query-string-syntax)),
//! over ECS fields.
//!
//! Conventions (those of pySigma's Elasticsearch backend where they are right):
//! `field:value` with every reserved character and white space escaped by `\`;
//! a value holding white space and no wildcard is a quoted phrase; several
//! values are `field:(a OR b)`; `contains` / `starts_with` / `ends_with` are
//! `*x*`, `x*`, `*x`; `cidr` is the CIDR term (`source.ip:10.0.0.0\/8`);
//! `exists` is `_exists_:field`, `null` is `NOT _exists_:field`; a regex is
//! `/…/` in Lucene's regex syntax ([`crate::elastic_regex`]).
//!
//! Operators are explicit and every group is parenthesized: Lucene's
//! `query_string` has no precedence between `AND` and `OR` (a clause's
//! occurrence comes from its neighbours), so `a AND b OR c` would not mean
//! `(a AND b) OR c`; a `NOT` is grouped (`(NOT x)`) for the same reason.
//!
//! Case: keyword fields compare exactly, while most rules (Sigma by default)
//! match case-insensitively. A case-insensitive test on a field with a
//! `.caseless` multi-field is written against it with a lowercased value
//! (exact); elsewhere the conversion is approximate with that reason.

use ruledex_model::{Keyword, Op, Pred, Rule, Value};

use crate::elastic_common::{
    Cx, Dialect, Item, Match, Out, Piece, combine, event_expr, filter_only_aggregation, has_case,
    has_caseless, items, no_op, no_transform, write_expr,
};
use crate::elastic_regex;
use crate::{Conversion, Target};

pub(crate) const CASE_REASON: &str =
    "Lucene compares keyword fields case-sensitively; the rule matches case-insensitively";
const KEYWORD_REASON: &str = "a keyword (field-less) search is written as a Lucene search of every field: on analysed text fields it matches words, on keyword fields it is case-sensitive";

pub(crate) fn convert(rule: &Rule) -> Conversion {
    let mut cx = Cx::new(rule);
    let agg = match filter_only_aggregation("Lucene", rule) {
        Ok(r) => r,
        Err(reason) => return Conversion::unsupported(Target::Lucene, reason),
    };
    let expr = event_expr(&mut cx, true);
    match write_expr(&Lucene, &mut cx, &expr) {
        Ok(out) => {
            let mut reasons = cx.reasons;
            reasons.extend(agg);
            Conversion::written(Target::Lucene, out.text, reasons)
        }
        Err(reason) => Conversion::unsupported(Target::Lucene, reason),
    }
}

struct Lucene;

/// Escape a term: every reserved character and white space gets a `\`.
pub(crate) fn escape_term(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if "+-=&|><!(){}[]^\"~*?:\\/".contains(c) || c.is_whitespace() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escape a field name (dots stay).
pub(crate) fn escape_field(s: &str) -> String {
    escape_term(s)
}

/// A quoted phrase.
fn phrase(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A value: a term, a phrase or a wildcard term.
pub(crate) fn value(m: &Match) -> String {
    match m {
        Match::Exact(s)
            if s.is_empty()
                || s.contains(char::is_whitespace)
                || matches!(s.as_str(), "AND" | "OR" | "NOT") =>
        {
            phrase(s)
        }
        Match::Exact(s) => escape_term(s),
        Match::Glob(ps) => glob(ps),
    }
}

fn glob(ps: &[Piece]) -> String {
    let mut out = String::new();
    for p in ps {
        match p {
            Piece::Lit(s) => out.push_str(&escape_term(s)),
            Piece::Star => out.push('*'),
            Piece::One => out.push('?'),
        }
    }
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Str(s) => value(&Match::Exact(s.clone())),
        other => escape_term(&other.to_string()),
    }
}

impl Dialect for Lucene {
    const AND: &'static str = " AND ";
    const OR: &'static str = " OR ";

    fn not(&self, inner: Out) -> Out {
        Out::compound(format!("NOT {}", inner.grouped()))
    }

    fn pred(&self, cx: &mut Cx<'_>, p: &Pred) -> Result<Out, String> {
        if !p.transforms.is_empty() {
            return Err(no_transform("Lucene", p));
        }
        let mut field = cx.field_name(&p.field);
        match p.op {
            Op::Eq | Op::In | Op::Contains | Op::StartsWith | Op::EndsWith | Op::Wildcard => {
                let mut items = items(p);
                let cased = items
                    .iter()
                    .any(|i| matches!(i, Item::Str(m) if has_case(&m.literals())));
                if !p.case_sensitive && cased {
                    if has_caseless(&field) {
                        field.push_str(".caseless");
                        for i in &mut items {
                            if let Item::Str(m) = i {
                                *m = m.lowercased();
                            }
                        }
                    } else {
                        cx.approx(CASE_REASON);
                    }
                }
                let f = escape_field(&field);
                let mut nulls = Vec::new();
                let mut vals = Vec::new();
                for i in &items {
                    match i {
                        Item::Str(m) => vals.push(value(m)),
                        Item::Scalar(s) => vals.push(escape_term(s)),
                        Item::Null => nulls.push(Out::compound(format!("NOT _exists_:{f}"))),
                    }
                }
                let mut parts: Vec<Out> = Vec::new();
                if p.all || vals.len() == 1 {
                    parts.extend(vals.iter().map(|v| Out::atom(format!("{f}:{v}"))));
                } else if !vals.is_empty() {
                    parts.push(Out::atom(format!("{f}:({})", vals.join(" OR "))));
                }
                if parts.is_empty() && nulls.is_empty() {
                    return Err("the predicate has no value".to_owned());
                }
                parts.extend(nulls);
                Ok(combine(parts, p.all, Self::AND, Self::OR))
            }
            Op::Regex => {
                let f = escape_field(&field);
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
                    // The pattern escapes `/` already (every non-word character).
                    parts.push(Out::atom(format!("{f}:/{}/", r.pattern)));
                }
                Ok(combine(parts, p.all, Self::AND, Self::OR))
            }
            Op::Cidr => {
                let f = escape_field(&field);
                let parts = p
                    .values
                    .iter()
                    .map(|v| Out::atom(format!("{f}:{}", escape_term(&v.to_string()))))
                    .collect();
                Ok(combine(parts, p.all, Self::AND, Self::OR))
            }
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
                let f = escape_field(&field);
                let sym = p.op.ordering_symbol().unwrap_or("<=");
                let parts = p
                    .values
                    .iter()
                    .map(|v| Out::atom(format!("{f}:{sym}{}", scalar(v))))
                    .collect();
                Ok(combine(parts, p.all, Self::AND, Self::OR))
            }
            Op::Exists | Op::IsNull | Op::IsNotNull => {
                let f = escape_field(&field);
                let present = crate::elastic_common::tests_presence(p);
                Ok(if present {
                    Out::atom(format!("_exists_:{f}"))
                } else {
                    Out::compound(format!("NOT _exists_:{f}"))
                })
            }
            Op::Lookup | Op::FieldRef => Err(no_op("Lucene", p.op)),
        }
    }

    fn keyword(&self, cx: &mut Cx<'_>, k: &Keyword) -> Result<Out, String> {
        cx.approx(KEYWORD_REASON);
        let mut parts = Vec::new();
        for v in &k.values {
            let text = v.to_string();
            let m = match k.op {
                Op::Contains | Op::Wildcard | Op::Eq | Op::StartsWith | Op::EndsWith => {
                    let op = if k.op == Op::Eq { Op::Contains } else { k.op };
                    crate::elastic_common::string_match(op, &text)
                }
                other => return Err(no_op("Lucene keyword search", other)),
            };
            parts.push(Out::atom(value(&m)));
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

    macro_rules! escapes {
        ($($name:ident: $input:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(escape_term($input), $want);
            }
        )*};
    }

    escapes! {
        plain_is_unchanged: "cmd.exe" => "cmd.exe";
        backslash_doubles: r"C:\Windows" => r"C\:\\Windows";
        wildcards_escaped: "a*b?" => r"a\*b\?";
        space_escaped: "a b" => r"a\ b";
        quote_escaped: r#"say "hi""# => r#"say\ \"hi\""#;
        regex_and_operator_characters: "(a|b)&&!c~/" => r"\(a\|b\)\&\&\!c\~\/";
        brackets_and_range_signs: "[1 TO 2]{x}<>=^+-" => r"\[1\ TO\ 2\]\{x\}\<\>\=\^\+\-";
    }

    #[test]
    fn exact_values_with_spaces_or_operator_words_are_phrases() {
        assert_eq!(value(&Match::Exact("a b".into())), "\"a b\"");
        assert_eq!(value(&Match::Exact("AND".into())), "\"AND\"");
        assert_eq!(value(&Match::Exact(String::new())), "\"\"");
        assert_eq!(value(&Match::Exact(r#"x\"y"#.into())), r#"x\\\"y"#);
    }

    #[test]
    fn globs_keep_wildcards_and_escape_literals() {
        let m = crate::elastic_common::string_match(Op::Contains, "a *b");
        assert_eq!(value(&m), r"*a\ \*b*");
    }
}

//! Backend: Kibana query language (KQL) over ECS fields
//! ([reference](https://www.elastic.co/docs/reference/query-languages/kql)).
//!
//! An exact string is a quoted phrase (`process.name:"cmd.exe"`: on a keyword
//! field, the exact value); a pattern is an unquoted value with `*`
//! (`process.command_line:*\ -enc*` is not KQL: the special characters
//! `\ ( ) : < > " { } *` are escaped with `\`, and white space where KQL would
//! end or trim the value is written `\u0020`). Several values are a list,
//! `field:("a" or "b")`; `exists` is `field:*`; ranges are `field >= 5`.
//!
//! KQL has no regular expressions, no single-character wildcard (a `?` is
//! written as `*`, approximately) and no field-to-field comparison. Case is
//! handled as in [Lucene](crate::lucene): `.caseless` fields exactly,
//! elsewhere approximately.

use std::fmt::Write as _;

use ruledex_model::{Keyword, Op, Pred, Rule, Value};

use crate::elastic_common::{
    Cx, Dialect, Item, Match, Out, Piece, combine, event_expr, filter_only_aggregation, has_case,
    has_caseless, items, no_op, no_transform, string_match, write_expr,
};
use crate::{Conversion, Target};

const CASE_REASON: &str =
    "KQL compares keyword fields case-sensitively; the rule matches case-insensitively";
const ONE_REASON: &str = "KQL has no single-character wildcard; `?` is written as `*`";
const KEYWORD_REASON: &str = "a keyword (field-less) search is written as KQL free text, which Kibana searches in every field (analysed text fields match words)";

pub(crate) fn convert(rule: &Rule) -> Conversion {
    let mut cx = Cx::new(rule);
    let agg = match filter_only_aggregation("KQL", rule) {
        Ok(r) => r,
        Err(reason) => return Conversion::unsupported(Target::Kql, reason),
    };
    let expr = event_expr(&mut cx, true);
    match write_expr(&Kql, &mut cx, &expr) {
        Ok(out) => {
            let mut reasons = cx.reasons;
            reasons.extend(agg);
            Conversion::written(Target::Kql, out.text, reasons)
        }
        Err(reason) => Conversion::unsupported(Target::Kql, reason),
    }
}

struct Kql;

/// A quoted KQL string.
pub(crate) fn quote(s: &str) -> String {
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

fn is_kql_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{a0}')
}

/// Whether `rest` (the text after a white-space character) starts with a
/// KQL keyword that ends there.
fn keyword_follows(rest: &str) -> bool {
    ["and", "or", "not"].iter().any(|k| {
        rest.get(..k.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(k))
            && rest[k.len()..]
                .chars()
                .next()
                .is_none_or(|c| is_kql_space(c) || c == '(' || c == '"')
    })
}

/// Escape literal text for an unquoted value. `at_start` / `at_end` say
/// whether the text begins / ends the value (where white space would be trimmed).
pub(crate) fn escape_unquoted(s: &str, at_start: bool, at_end: bool) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let n = s.chars().count();
    for (i, (pos, c)) in s.char_indices().enumerate() {
        match c {
            '\\' | '(' | ')' | ':' | '<' | '>' | '"' | '{' | '}' | '*' => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if is_kql_space(c) => {
                let rest = &s[pos + c.len_utf8()..];
                let edge = (at_start && i == 0) || (at_end && i + 1 == n);
                let next_space = rest.chars().next().is_some_and(is_kql_space);
                if edge || next_space || keyword_follows(rest) {
                    let _ = write!(out, "\\u{:04X}", c as u32);
                } else {
                    out.push(c);
                }
            }
            c => out.push(c),
        }
    }
    // A whole value that is a keyword must not read as one.
    if ["and", "or", "not"]
        .iter()
        .any(|k| out.eq_ignore_ascii_case(k))
        && at_start
        && at_end
    {
        return quote(s);
    }
    out
}

fn glob(cx: &mut Cx<'_>, ps: &[Piece]) -> String {
    let mut out = String::new();
    let n = ps.len();
    for (i, p) in ps.iter().enumerate() {
        match p {
            Piece::Lit(s) => out.push_str(&escape_unquoted(s, i == 0, i + 1 == n)),
            Piece::Star => out.push('*'),
            Piece::One => {
                cx.approx(ONE_REASON);
                out.push('*');
            }
        }
    }
    out
}

fn value(cx: &mut Cx<'_>, m: &Match) -> String {
    match m {
        Match::Exact(s) => quote(s),
        Match::Glob(ps) => glob(cx, ps),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Str(s) => quote(s),
        other => other.to_string(),
    }
}

impl Dialect for Kql {
    const AND: &'static str = " and ";
    const OR: &'static str = " or ";

    fn not(&self, inner: Out) -> Out {
        Out::atom(format!("not {}", inner.grouped()))
    }

    fn pred(&self, cx: &mut Cx<'_>, p: &Pred) -> Result<Out, String> {
        if !p.transforms.is_empty() {
            return Err(no_transform("KQL", p));
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
                let f = escape_unquoted(&field, true, true);
                let mut vals = Vec::new();
                let mut nulls = Vec::new();
                for i in &items {
                    match i {
                        Item::Str(m) => vals.push(value(cx, m)),
                        Item::Scalar(s) => vals.push(s.clone()),
                        Item::Null => nulls.push(Out::atom(format!("not {f}:*"))),
                    }
                }
                let mut parts = Vec::new();
                match vals.len() {
                    0 => {}
                    1 => parts.push(Out::atom(format!("{f}:{}", vals[0]))),
                    _ => {
                        let sep = if p.all { " and " } else { " or " };
                        parts.push(Out::atom(format!("{f}:({})", vals.join(sep))));
                    }
                }
                if parts.is_empty() && nulls.is_empty() {
                    return Err("the predicate has no value".to_owned());
                }
                parts.extend(nulls);
                Ok(combine(parts, p.all, Self::AND, Self::OR))
            }
            Op::Cidr => {
                let f = escape_unquoted(&field, true, true);
                let parts = p
                    .values
                    .iter()
                    .map(|v| {
                        Out::atom(format!(
                            "{f}:{}",
                            escape_unquoted(&v.to_string(), true, true)
                        ))
                    })
                    .collect();
                Ok(combine(parts, p.all, Self::AND, Self::OR))
            }
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
                let f = escape_unquoted(&field, true, true);
                let sym = p.op.ordering_symbol().unwrap_or("<=");
                let parts = p
                    .values
                    .iter()
                    .map(|v| Out::atom(format!("{f} {sym} {}", scalar(v))))
                    .collect();
                Ok(combine(parts, p.all, Self::AND, Self::OR))
            }
            Op::Exists | Op::IsNull | Op::IsNotNull => {
                let f = escape_unquoted(&field, true, true);
                let present = crate::elastic_common::tests_presence(p);
                Ok(Out::atom(if present {
                    format!("{f}:*")
                } else {
                    format!("not {f}:*")
                }))
            }
            Op::Regex | Op::Lookup | Op::FieldRef => Err(no_op("KQL", p.op)),
        }
    }

    fn keyword(&self, cx: &mut Cx<'_>, k: &Keyword) -> Result<Out, String> {
        cx.approx(KEYWORD_REASON);
        let mut parts = Vec::new();
        for v in &k.values {
            let text = v.to_string();
            let m = match k.op {
                Op::Eq => Match::Exact(text),
                Op::Contains | Op::Wildcard | Op::StartsWith | Op::EndsWith => {
                    string_match(k.op, &text)
                }
                other => return Err(no_op("KQL keyword search", other)),
            };
            parts.push(Out::atom(value(cx, &m)));
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

    macro_rules! unquoted {
        ($($name:ident: $input:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(escape_unquoted($input, true, true), $want);
            }
        )*};
    }

    unquoted! {
        plain_is_unchanged: "cmd.exe" => "cmd.exe";
        specials_escaped: r#"C:\a(b)<c>"{d}*"# => r#"C\:\\a\(b\)\<c\>\"\{d\}\*"#;
        inner_space_kept: "a b" => "a b";
        edge_spaces_escaped: " a " => r"\u0020a\u0020";
        space_before_keyword_escaped: "x or y" => r"x\u0020or y";
        keyword_prefix_is_not_keyword: "x order" => "x order";
        lone_keyword_quoted: "not" => "\"not\"";
        control_characters: "a\tb\n" => r"a\tb\n";
    }

    #[test]
    fn quoted_escapes_quotes_and_backslashes() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }
}

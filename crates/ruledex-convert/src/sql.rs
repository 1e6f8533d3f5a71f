//! SQL: `sql-sqlite` (SQLite) and `sql-spark` (Spark SQL, the data-lake path).
//!
//! # Table layout
//!
//! One table per catalog event, named by the event id itself (quoted:
//! `"windows/process_creation"` in SQLite, `` `windows/process_creation` `` in
//! Spark), one row per event, one column per canonical (ECS-style) field, named
//! by the canonical name (`"process.executable"`, `"process.command_line"`). A
//! field the event does not carry is `NULL`. The event time is `@timestamp`
//! (an ISO 8601 text in SQLite, a timestamp in Spark).
//!
//! # Semantics
//!
//! Rules compare text case-insensitively unless they say otherwise. In SQLite,
//! equality uses `COLLATE NOCASE` and substring / prefix / suffix / wildcard
//! tests use `LIKE … ESCAPE '\'` — both fold ASCII letters only, which is a
//! reason on the conversion when a value has other letters. Case-sensitive tests
//! use `=`, `instr`, `substr` and `GLOB`. Regular expressions use the `REGEXP`
//! operator, which SQLite parses but leaves to an application-defined
//! `regexp(pattern, text)` function (the `regex` crate's syntax is the one
//! expected). In Spark, text is lowered with `lower()` and compared with `LIKE`
//! and `RLIKE` (Java regular expressions).
//!
//! A network range (CIDR) becomes `LIKE` prefixes on the dotted IPv4 text
//! (`10.0.0.0/8` is `'10.%'`, a range that does not end on an octet boundary
//! lists each prefix); IPv6 ranges and field-less keywords are unsupported.
//! Aggregations are `GROUP BY … HAVING …`.

use std::fmt::Write as _;

use ruledex_model::{Aggregation, AggregationKind, Expr, Field, Op, Pred, Rule, Transform, Value};
use ruledex_taxonomy::fields::Fields;

use crate::common::{self, Glob, Q};
use crate::kusto::{fmt_num, vendor_schema};
use crate::{Conversion, Target};

pub(crate) fn convert(rule: &Rule, target: Target) -> Conversion {
    let spark = target == Target::SqlSpark;
    match build(rule, spark) {
        Ok((query, reasons)) => Conversion::written(target, query, reasons),
        Err(reason) => Conversion::unsupported(target, reason),
    }
}

/// A string literal: SQLite doubles quotes; Spark also escapes backslashes.
fn lit(s: &str, spark: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' if spark => out.push_str("\\'"),
            '\'' => out.push_str("''"),
            '\\' if spark => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A quoted identifier.
fn ident(s: &str, spark: bool) -> String {
    if spark {
        format!("`{}`", s.replace('`', "``"))
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

/// Text for a `LIKE … ESCAPE '\'` pattern: `%`, `_` and `\` escaped.
fn like_text(s: &str, out: &mut String) {
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// A `LIKE` pattern for an operator and value (`%` around a contained value, …).
fn like_pattern(op: Op, v: &str) -> String {
    let mut out = String::new();
    match op {
        Op::Contains => {
            out.push('%');
            like_text(v, &mut out);
            out.push('%');
        }
        Op::StartsWith => {
            like_text(v, &mut out);
            out.push('%');
        }
        Op::EndsWith => {
            out.push('%');
            like_text(v, &mut out);
        }
        Op::Wildcard => {
            for g in common::glob(v) {
                match g {
                    Glob::Star => out.push('%'),
                    Glob::One => out.push('_'),
                    Glob::Lit(c) => like_text(&c.to_string(), &mut out),
                }
            }
        }
        _ => like_text(v, &mut out),
    }
    out
}

/// A SQLite `GLOB` pattern for a case-sensitive wildcard.
fn glob_pattern(v: &str) -> String {
    let mut out = String::new();
    for g in common::glob(v) {
        match g {
            Glob::Star => out.push('*'),
            Glob::One => out.push('?'),
            Glob::Lit(c @ ('*' | '?' | '[')) => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            Glob::Lit(c) => out.push(c),
        }
    }
    out
}

/// `LIKE` prefixes covering an IPv4 network, or `None` for IPv6 / malformed.
pub(crate) fn ipv4_prefixes(cidr: &str) -> Option<Vec<String>> {
    let (addr, bits) = match cidr.split_once('/') {
        Some((a, b)) => (a, b.parse::<u32>().ok()?),
        None => (cidr, 32),
    };
    let ip: std::net::Ipv4Addr = addr.parse().ok()?;
    if bits > 32 {
        return None;
    }
    let o = ip.octets();
    let full = (bits / 8) as usize;
    let rest = bits % 8;
    let head: Vec<String> = o[..full].iter().map(ToString::to_string).collect();
    if full == 4 {
        return Some(vec![head.join(".")]);
    }
    let mask = if rest == 0 { 0u8 } else { 0xffu8 << (8 - rest) };
    let base = o[full] & mask;
    let count = 1u32 << (8 - rest);
    let mut out = Vec::new();
    if rest == 0 {
        let mut p = head.join(".");
        if !p.is_empty() {
            p.push('.');
        }
        p.push('%');
        out.push(p);
        return Some(out);
    }
    for k in 0..count {
        let octet = u32::from(base) + k;
        let mut parts = head.clone();
        parts.push(octet.to_string());
        let last = full == 3;
        let mut p = parts.join(".");
        if !last {
            p.push_str(".%");
        }
        out.push(p);
    }
    Some(out)
}

struct Cx<'a> {
    spark: bool,
    event: Option<&'a str>,
    vendor: ruledex_model::Vendor,
    reasons: Vec<String>,
}

impl Cx<'_> {
    fn column(&mut self, f: &Field) -> String {
        match &f.canonical {
            Some(c) => ident(c, self.spark),
            None => {
                self.reasons.push(format!(
                    "field `{}` is not in the field taxonomy; its column is named as the rule writes it",
                    f.raw
                ));
                ident(&f.raw, self.spark)
            }
        }
    }

    fn subject(&mut self, p: &Pred) -> Result<String, String> {
        let mut s = self.column(&p.field);
        for t in &p.transforms {
            s = match (t, self.spark) {
                (Transform::Lower, _) => format!("lower({s})"),
                (Transform::Upper, _) => format!("upper({s})"),
                (Transform::Trim, _) => format!("trim({s})"),
                (Transform::Length, _) => format!("length({s})"),
                (Transform::Substring { start, len }, _) if *start >= 0 => {
                    let f = if self.spark { "substring" } else { "substr" };
                    match len {
                        Some(n) => format!("{f}({s}, {}, {n})", start + 1),
                        None => format!("{f}({s}, {})", start + 1),
                    }
                }
                (Transform::UrlDecode, true) => format!("url_decode({s})"),
                (Transform::Base64Decode, true) => format!("cast(unbase64({s}) as string)"),
                (
                    Transform::Replace {
                        pattern,
                        replacement,
                    },
                    true,
                ) => format!(
                    "regexp_replace({s}, {}, {})",
                    lit(pattern, true),
                    lit(replacement, true)
                ),
                (other, _) => {
                    return Err(format!(
                        "`{}` is compared after `{}`, which {} has no built-in function for",
                        p.field.raw,
                        other.name(),
                        if self.spark { "Spark SQL" } else { "SQLite" }
                    ));
                }
            };
        }
        Ok(s)
    }

    fn leaf(&mut self, e: &Expr) -> Result<Q, String> {
        match e {
            Expr::Pred(p) => self.pred(p),
            Expr::Keyword(_) => Err(
                "a field-less keyword has no SQL form: the event tables have no full-text column"
                    .into(),
            ),
            _ => Err("unexpected node".into()),
        }
    }

    fn note_fold(&mut self, v: &str) {
        if !self.spark && v.chars().any(|c| c.is_alphabetic() && !c.is_ascii()) {
            self.reasons.push(
                "SQLite's NOCASE and LIKE fold ASCII letters only; other letters compare case-sensitively"
                    .into(),
            );
        }
    }

    fn text_leaf(&mut self, f: &str, op: Op, v: &str, cs: bool) -> String {
        let sp = self.spark;
        if !cs {
            self.note_fold(v);
        }
        match (op, cs, sp) {
            (Op::Eq | Op::In, false, false) => format!("{f} = {} COLLATE NOCASE", lit(v, sp)),
            (Op::Eq | Op::In, false, true) => {
                format!("lower({f}) = {}", lit(&v.to_lowercase(), sp))
            }
            (Op::Eq | Op::In, true, _) => format!("{f} = {}", lit(v, sp)),
            (_, false, false) => {
                format!("{f} LIKE {} ESCAPE '\\'", lit(&like_pattern(op, v), sp))
            }
            (_, false, true) => format!(
                "lower({f}) LIKE {}",
                lit(&like_pattern(op, &v.to_lowercase()), sp)
            ),
            (_, true, true) => format!("{f} LIKE {}", lit(&like_pattern(op, v), sp)),
            (Op::Contains, true, false) => format!("instr({f}, {}) > 0", lit(v, sp)),
            (Op::StartsWith, true, false) => {
                format!("substr({f}, 1, {}) = {}", v.chars().count(), lit(v, sp))
            }
            (Op::EndsWith, true, false) => {
                format!("substr({f}, -{}) = {}", v.chars().count(), lit(v, sp))
            }
            (_, true, false) => format!("{f} GLOB {}", lit(&glob_pattern(v), sp)),
        }
    }

    // p(redicate), f(ield), v(alue), a and b (the two sides of a comparison).
    #[allow(clippy::many_single_char_names)]
    fn pred(&mut self, p: &Pred) -> Result<Q, String> {
        let f = self.subject(p)?;
        let sp = self.spark;
        let cs = p.case_sensitive;
        let mut leaves = Vec::with_capacity(p.values.len());
        match p.op {
            Op::Eq | Op::In | Op::Contains | Op::StartsWith | Op::EndsWith | Op::Wildcard => {
                for v in &p.values {
                    leaves.push(Q::Leaf(match v {
                        Value::Str(s) => self.text_leaf(&f, p.op, s, cs),
                        Value::Int(_) | Value::Float(_) if matches!(p.op, Op::Eq | Op::In) => {
                            format!("{f} = {v}")
                        }
                        Value::Bool(b) if matches!(p.op, Op::Eq | Op::In) => {
                            if sp {
                                format!("{f} = {b}")
                            } else {
                                format!("{f} = {}", i32::from(*b))
                            }
                        }
                        Value::Null => format!("{f} IS NULL"),
                        other => self.text_leaf(&f, p.op, &other.to_string(), cs),
                    }));
                }
            }
            Op::Regex => {
                for v in &p.values {
                    let re = format!("{}{v}", common::regex_flags(p));
                    let op = if sp { "RLIKE" } else { "REGEXP" };
                    leaves.push(Q::Leaf(format!("{f} {op} {}", lit(&re, sp))));
                }
            }
            Op::Cidr => {
                for v in &p.values {
                    let net = v.to_string();
                    let prefixes = ipv4_prefixes(&net).ok_or_else(|| {
                        format!("network range `{net}` is not an IPv4 range, which SQL text columns cannot test")
                    })?;
                    let ors = prefixes
                        .iter()
                        .map(|x| {
                            let pat = if x.ends_with('%') {
                                let mut t = String::new();
                                like_text(x.trim_end_matches('%'), &mut t);
                                t.push('%');
                                t
                            } else {
                                let mut t = String::new();
                                like_text(x, &mut t);
                                t
                            };
                            Q::Leaf(if sp {
                                format!("{f} LIKE {}", lit(&pat, sp))
                            } else {
                                format!("{f} LIKE {} ESCAPE '\\'", lit(&pat, sp))
                            })
                        })
                        .collect();
                    leaves.push(Q::or(ors));
                }
            }
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
                let sym = p.op.ordering_symbol().unwrap_or("<=");
                for v in &p.values {
                    leaves.push(Q::Leaf(match v {
                        Value::Int(_) | Value::Float(_) => format!("{f} {sym} {v}"),
                        other => format!("{f} {sym} {}", lit(&other.to_string(), sp)),
                    }));
                }
            }
            Op::Exists => {
                for v in &p.values {
                    leaves.push(Q::Leaf(if matches!(v, Value::Bool(false)) {
                        format!("{f} IS NULL")
                    } else {
                        format!("{f} IS NOT NULL")
                    }));
                }
            }
            Op::IsNull => leaves.push(Q::Leaf(format!("{f} IS NULL"))),
            Op::IsNotNull => leaves.push(Q::Leaf(format!("{f} IS NOT NULL"))),
            Op::FieldRef => {
                for v in &p.values {
                    let mut other = Field::raw(v.to_string());
                    other.canonical = Fields::global()
                        .resolve(vendor_schema(self.vendor), self.event, &other.raw)
                        .map(str::to_owned);
                    let g = self.column(&other);
                    let (a, b) =
                        if cs || matches!(p.within, Some(Op::Gt | Op::Gte | Op::Lt | Op::Lte)) {
                            (f.clone(), g)
                        } else {
                            (format!("lower({f})"), format!("lower({g})"))
                        };
                    let like = |pre: &str, post: &str| {
                        if sp {
                            format!("{a} LIKE concat('{pre}', {b}, '{post}')")
                        } else {
                            format!("{a} LIKE '{pre}' || {b} || '{post}'")
                        }
                    };
                    leaves.push(Q::Leaf(match p.within {
                        None | Some(Op::Eq) => format!("{a} = {b}"),
                        Some(Op::Gt) => format!("{a} > {b}"),
                        Some(Op::Gte) => format!("{a} >= {b}"),
                        Some(Op::Lt) => format!("{a} < {b}"),
                        Some(Op::Lte) => format!("{a} <= {b}"),
                        Some(Op::Contains) => {
                            self.reasons.push("a field compared with `LIKE` against another field's value treats `%` and `_` in that value as wildcards".into());
                            like("%", "%")
                        }
                        Some(Op::StartsWith) => {
                            self.reasons.push("a field compared with `LIKE` against another field's value treats `%` and `_` in that value as wildcards".into());
                            like("", "%")
                        }
                        Some(Op::EndsWith) => {
                            self.reasons.push("a field compared with `LIKE` against another field's value treats `%` and `_` in that value as wildcards".into());
                            like("%", "")
                        }
                        Some(w) => return Err(format!("comparing two fields with `{w}` is not written in SQL")),
                    }));
                }
            }
            Op::Lookup => {
                return Err(format!(
                    "`{}` compares with a named list ({}) that the target must provide (a lookup table); it is not written",
                    p.field.raw,
                    p.values
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        Ok(Q::any_all(leaves, p.all))
    }

    fn aggregation(
        &mut self,
        agg: &Aggregation,
        table: &str,
        cond: &str,
    ) -> Result<String, String> {
        if !agg.metrics.is_empty() || agg.having.is_some() {
            return Err("an aggregation with named metrics or a condition over them is not written by the SQL backends".into());
        }
        let mut by: Vec<String> = agg.group_by.iter().map(|f| self.column(f)).collect();
        if let Some(w) = &agg.window {
            let Some(s) = w.seconds else {
                return Err(format!("the time window `{}` is not understood", w.text));
            };
            let ts = ident("@timestamp", self.spark);
            by.insert(
                0,
                if self.spark {
                    format!("window({ts}, '{s} seconds')")
                } else {
                    format!("CAST(strftime('%s', {ts}) / {s} AS INTEGER)")
                },
            );
            self.reasons.push(format!(
                "the rule's {} window is written as fixed time buckets, which can split a burst across two buckets",
                w.text
            ));
        }
        let (func, name) = match &agg.kind {
            AggregationKind::ValueCount { field, .. } => (
                format!("COUNT(DISTINCT {})", self.column(field)),
                "value_count",
            ),
            _ => ("COUNT(*)".to_owned(), "event_count"),
        };
        let mut select = by.clone();
        select.push(format!("{func} AS {name}"));
        let mut having: Vec<String> = agg
            .condition
            .iter()
            .map(|c| {
                let sym = c.op.ordering_symbol().unwrap_or("=");
                format!("{func} {sym} {}", fmt_num(c.value))
            })
            .collect();
        if let AggregationKind::Threshold { cardinality } = &agg.kind {
            for (f, n) in cardinality {
                having.push(format!("COUNT(DISTINCT {}) >= {n}", self.column(f)));
            }
        }
        let mut out = format!("SELECT {} FROM {table}", select.join(", "));
        if !cond.is_empty() {
            let _ = write!(out, " WHERE {cond}");
        }
        if !by.is_empty() {
            let _ = write!(out, " GROUP BY {}", by.join(", "));
        }
        if !having.is_empty() {
            let _ = write!(out, " HAVING {}", having.join(" AND "));
        }
        Ok(out)
    }
}

fn build(rule: &Rule, spark: bool) -> Result<(String, Vec<String>), String> {
    if let Some(r) = common::correlation_reason(rule) {
        return Err(r);
    }
    if let Some(agg) = &rule.logic.aggregation
        && let Some(r) = common::aggregation_unsupported(&agg.kind, false)
    {
        return Err(r);
    }
    let event = common::event(rule)
        .ok_or("the rule names no catalog event, so no event table can be chosen")?;
    let mut cx = Cx {
        spark,
        event: Some(event),
        vendor: rule.vendor,
        reasons: Vec::new(),
    };
    let q = common::walk(&rule.logic.expr, &mut |e| cx.leaf(e))?;
    let cond = common::print_sql(&q, true);
    let table = ident(event, spark);
    let out = if let Some(agg) = &rule.logic.aggregation {
        cx.aggregation(agg, &table, &cond)?
    } else if cond.is_empty() {
        format!("SELECT * FROM {table}")
    } else {
        format!("SELECT * FROM {table} WHERE {cond}")
    };
    Ok((out, cx.reasons))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_literals_double_quotes_and_keep_backslashes() {
        assert_eq!(lit(r"it's C:\x", false), r"'it''s C:\x'");
        assert_eq!(lit(r"it's C:\x", true), r"'it\'s C:\\x'");
    }

    #[test]
    fn like_patterns_escape_percent_underscore_and_backslash() {
        assert_eq!(like_pattern(Op::Contains, r"50%_a\b"), r"%50\%\_a\\b%");
        assert_eq!(like_pattern(Op::Wildcard, r"a*b?c\*"), r"a%b_c*");
    }

    #[test]
    fn glob_patterns_bracket_literal_metacharacters() {
        assert_eq!(glob_pattern(r"a*[x]\?"), "a*[[]x][?]");
    }

    #[test]
    fn ipv4_ranges_become_prefixes() {
        assert_eq!(ipv4_prefixes("10.0.0.0/8").unwrap(), vec!["10.%"]);
        assert_eq!(ipv4_prefixes("192.168.1.7").unwrap(), vec!["192.168.1.7"]);
        let p = ipv4_prefixes("172.16.0.0/12").unwrap();
        assert_eq!(p.len(), 16);
        assert_eq!(p[0], "172.16.%");
        assert_eq!(p[15], "172.31.%");
        assert_eq!(
            ipv4_prefixes("10.1.2.0/31").unwrap(),
            vec!["10.1.2.0", "10.1.2.1"]
        );
        assert!(ipv4_prefixes("::1/128").is_none());
    }

    #[test]
    fn identifiers_are_quoted_per_dialect() {
        assert_eq!(ident("process.name", false), "\"process.name\"");
        assert_eq!(ident("process.name", true), "`process.name`");
    }
}

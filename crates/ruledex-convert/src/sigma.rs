//! Sigma YAML: any vendor's normalized rule exported as a Sigma rule.
//!
//! Every predicate becomes its own selection (`sel1`, `sel2`, …: one field with
//! its modifiers and values) and the condition repeats the logic's tree over
//! those names, so reading the export back gives the same logic: Sigma →
//! model → Sigma → model is the identity on the logic (tested over SigmaHQ).
//! A field-less keyword becomes a keyword list (`|all` when every value must
//! appear).
//!
//! A Sigma rule's own log source and field names are kept. Another vendor's rule
//! gets the Sigma log source of its catalog event and the Sigma (Sysmon /
//! Windows event log) name of each canonical field; a field with no Sigma name
//! keeps the rule's own name, which is a reason on the conversion.
//!
//! Values are escaped as Sigma reads them: `*` and `?` are wildcards, so literal
//! ones are written `\*`, `\?`, and a backslash before `*`, `?` or another
//! backslash is doubled. Not expressible in Sigma: a value compared after a
//! transformation (lowercase, URL decoding, length, …), a comparison of two
//! fields by order, aggregations (Sigma writes them as separate correlation
//! rules) and opaque parts.
//!
//! Reference: <https://sigmahq.io/docs/basics/rules.html>.

use std::fmt::Write as _;

use ruledex_model::{Expr, Keyword, Op, Pred, Rule, Value, Vendor};
use ruledex_taxonomy::events::CatalogEvents;
use ruledex_taxonomy::fields::Schema;

use crate::common::{self, Namer};
use crate::{Conversion, Target};

pub(crate) fn convert(rule: &Rule) -> Conversion {
    match build(rule) {
        Ok((query, reasons)) => Conversion::written(Target::Sigma, query, reasons),
        Err(reason) => Conversion::unsupported(Target::Sigma, reason),
    }
}

/// A YAML scalar string: single-quoted, or double-quoted with escapes when it
/// holds control characters.
fn ystr(s: &str) -> String {
    if s.chars().any(char::is_control) {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if c.is_control() => {
                    let _ = write!(out, "\\u{:04x}", u32::from(c));
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// A literal value in Sigma's string syntax: wildcards and the backslashes
/// before them escaped.
pub(crate) fn sigma_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '*' | '?' => {
                out.push('\\');
                out.push(c);
            }
            '\\' => {
                let next = chars.get(i + 1);
                if matches!(next, Some('*' | '?' | '\\')) {
                    out.push_str("\\\\");
                } else {
                    out.push('\\');
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// A canonical wildcard pattern in Sigma's syntax. The model's canonical form
/// escapes every literal backslash (`\\`); Sigma needs that only before `*`,
/// `?` or another backslash.
fn sigma_pattern(canonical: &str) -> String {
    let mut out = String::new();
    for g in common::glob(canonical) {
        match g {
            common::Glob::Star => out.push('*'),
            common::Glob::One => out.push('?'),
            common::Glob::Lit(c) => {
                // Literal characters are escaped as a whole at the end.
                out.push('\u{0}');
                out.push(c);
            }
        }
    }
    // Re-escape literals: a marker precedes each literal character.
    let chars: Vec<char> = out.chars().collect();
    let mut res = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\u{0}' {
            let c = chars[i + 1];
            let next = chars.get(i + 2).copied();
            let next_lit = if next == Some('\u{0}') {
                chars.get(i + 3).copied()
            } else {
                None
            };
            match c {
                '*' | '?' => {
                    res.push('\\');
                    res.push(c);
                }
                '\\' => {
                    // Doubled when followed by a wildcard, an escaped literal
                    // `*`/`?`, or another backslash.
                    let follows_special = matches!(next, Some('*' | '?'))
                        || matches!(next_lit, Some('*' | '?' | '\\'));
                    if follows_special {
                        res.push_str("\\\\");
                    } else {
                        res.push('\\');
                    }
                }
                c => res.push(c),
            }
            i += 2;
        } else {
            res.push(chars[i]);
            i += 1;
        }
    }
    res
}

struct Cx<'a> {
    namer: Namer<'a>,
    reasons: Vec<String>,
    selections: Vec<String>,
}

impl Cx<'_> {
    fn add(&mut self, body: String) -> String {
        let name = format!("sel{}", self.selections.len() + 1);
        self.selections.push(format!("    {name}:\n{body}"));
        name
    }

    fn value(v: &Value, escape: bool) -> String {
        match v {
            Value::Str(s) if escape => ystr(&sigma_escape(s)),
            Value::Str(s) => ystr(s),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => {
                let t = format!("{f:?}");
                if t.contains(['.', 'e', 'E']) || !f.is_finite() {
                    t
                } else {
                    format!("{t}.0")
                }
            }
            Value::Bool(b) => b.to_string(),
            Value::Null => "null".into(),
        }
    }

    fn values(values: &[String]) -> String {
        match values {
            [one] => format!(" {one}\n"),
            many => {
                let mut s = String::from("\n");
                for v in many {
                    let _ = writeln!(s, "            - {v}");
                }
                s
            }
        }
    }

    fn pred(&mut self, p: &Pred) -> Result<String, String> {
        if let Some(t) = p.transforms.first() {
            return Err(format!(
                "`{}` is compared after `{}`, which Sigma has no modifier for",
                p.field.raw,
                t.name()
            ));
        }
        let field = self.namer.name(&p.field, &mut self.reasons);
        let mut mods: Vec<&str> = Vec::new();
        let mut escape = true;
        let mut vals: Vec<String> = Vec::new();
        match p.op {
            Op::Eq | Op::In => {}
            Op::Contains => mods.push("contains"),
            Op::StartsWith => mods.push("startswith"),
            Op::EndsWith => mods.push("endswith"),
            Op::Wildcard => {
                escape = false;
                for v in &p.values {
                    vals.push(ystr(&sigma_pattern(&v.to_string())));
                }
            }
            Op::Regex => {
                mods.push("re");
                escape = false;
                if !p.case_sensitive {
                    mods.push("i");
                }
                if p.regex_flags.multiline {
                    mods.push("m");
                }
                if p.regex_flags.dotall {
                    mods.push("s");
                }
            }
            Op::Cidr => {
                mods.push("cidr");
                escape = false;
            }
            Op::Gt => mods.push("gt"),
            Op::Gte => mods.push("gte"),
            Op::Lt => mods.push("lt"),
            Op::Lte => mods.push("lte"),
            Op::Exists => mods.push("exists"),
            Op::IsNull => vals.push("null".into()),
            Op::IsNotNull => {
                let key = format!("        {}: null\n", ystr(&field));
                let name = self.add(key);
                return Ok(format!("not {name}"));
            }
            Op::FieldRef | Op::Lookup => {
                mods.push(if p.op == Op::FieldRef {
                    "fieldref"
                } else {
                    "expand"
                });
                escape = false;
                match p.within {
                    None | Some(Op::Eq) => {}
                    Some(Op::Contains) => mods.insert(0, "contains"),
                    Some(Op::StartsWith) => mods.insert(0, "startswith"),
                    Some(Op::EndsWith) => mods.insert(0, "endswith"),
                    Some(other) => {
                        return Err(format!(
                            "comparing `{}` by `{other}` with another field has no Sigma modifier",
                            p.field.raw
                        ));
                    }
                }
            }
        }
        if p.all && p.values.len() > 1 {
            mods.push("all");
        }
        let string_op = matches!(
            p.op,
            Op::Eq | Op::In | Op::Contains | Op::StartsWith | Op::EndsWith | Op::Wildcard
        );
        if p.case_sensitive && string_op {
            mods.push("cased");
        }
        if vals.is_empty() {
            vals = p.values.iter().map(|v| Self::value(v, escape)).collect();
        }
        if vals.is_empty() {
            return Err(format!("`{}` has no value to compare with", p.field.raw));
        }
        let mut key = field;
        for m in mods {
            key.push('|');
            key.push_str(m);
        }
        let body = format!("        {}:{}", ystr(&key), Self::values(&vals));
        Ok(self.add(body))
    }

    fn keyword(&mut self, k: &Keyword) -> Result<String, String> {
        let vals: Vec<String> = match k.op {
            Op::Contains => k.values.iter().map(|v| Self::value(v, true)).collect(),
            Op::Wildcard => k
                .values
                .iter()
                .map(|v| ystr(&sigma_pattern(&v.to_string())))
                .collect(),
            other => {
                return Err(format!(
                    "a field-less `{other}` search has no Sigma keyword form"
                ));
            }
        };
        let mut mods = String::new();
        if k.all && k.values.len() > 1 {
            mods.push_str("|all");
        }
        if k.case_sensitive {
            mods.push_str("|cased");
        }
        let body = if mods.is_empty() {
            let mut s = String::new();
            for v in &vals {
                let _ = writeln!(s, "        - {v}");
            }
            s
        } else {
            format!("        {}:{}", ystr(&mods), Self::values(&vals))
        };
        Ok(self.add(body))
    }

    /// The condition for `e`; `top` tells whether a group needs parentheses.
    fn cond(&mut self, e: &Expr) -> Result<String, String> {
        Ok(match e {
            Expr::And(c) | Expr::Or(c) => {
                let sep = if matches!(e, Expr::And(_)) {
                    " and "
                } else {
                    " or "
                };
                let mut parts = Vec::new();
                for x in c {
                    let s = self.cond(x)?;
                    parts.push(if matches!(x, Expr::And(_) | Expr::Or(_)) {
                        format!("({s})")
                    } else {
                        s
                    });
                }
                parts.join(sep)
            }
            Expr::Not(c) => {
                let s = self.cond(c)?;
                if matches!(**c, Expr::And(_) | Expr::Or(_)) {
                    format!("not ({s})")
                } else if s.starts_with("not ") {
                    format!("not ({s})")
                } else {
                    format!("not {s}")
                }
            }
            Expr::Pred(p) => self.pred(p)?,
            Expr::Keyword(k) => self.keyword(k)?,
            Expr::Opaque(o) => {
                return Err(format!(
                    "part of the rule could not be read ({}): `{}`",
                    o.reason,
                    common::shorten(&o.text)
                ));
            }
        })
    }
}

fn list(out: &mut String, key: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "{key}:");
    for i in items {
        let _ = writeln!(out, "    - {}", ystr(i));
    }
}

fn build(rule: &Rule) -> Result<(String, Vec<String>), String> {
    if let Some(r) = common::correlation_reason(rule) {
        return Err(r);
    }
    if rule.logic.aggregation.is_some() {
        return Err("aggregations are Sigma correlation rules over a base rule; exporting them is not written yet".into());
    }
    let event = common::event(rule);
    let mut reasons = Vec::new();
    // The log source: the rule's own, or the Sigma producer of its catalog event.
    let logsource: Vec<(&str, String)> = match (&rule.logsource, rule.vendor) {
        (Some(ls), Vendor::Sigma) => [
            ("product", &ls.product),
            ("category", &ls.category),
            ("service", &ls.service),
            ("definition", &ls.definition),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
        .collect(),
        _ => {
            let producer = event
                .and_then(|e| CatalogEvents::global().get(e))
                .and_then(|e| e.sigma.first());
            match producer {
                Some(p) => [
                    ("product", &p.product),
                    ("category", &p.category),
                    ("service", &p.service),
                ]
                .into_iter()
                .filter_map(|(k, v)| v.clone().filter(|v| v != "*").map(|v| (k, v)))
                .collect(),
                None => {
                    reasons.push(format!(
                        "no Sigma log source is known for {}; the rule's platforms are given as the product",
                        event.unwrap_or("the rule (it names no catalog event)")
                    ));
                    rule.platforms
                        .first()
                        .map(|p| vec![("product", p.clone())])
                        .unwrap_or_default()
                }
            }
        }
    };
    let mut cx = Cx {
        namer: Namer {
            schemas: &[Schema::Sigma],
            label: "Sigma",
            event,
            native: Some(Vendor::Sigma),
            vendor: rule.vendor,
        },
        reasons,
        selections: Vec::new(),
    };
    let condition = cx.cond(&rule.logic.expr)?;
    if cx.selections.is_empty() {
        return Err("the rule tests no field and no keyword".into());
    }

    let mut out = String::new();
    let _ = writeln!(out, "title: {}", ystr(&rule.title));
    if !rule.native_id.is_empty() {
        let _ = writeln!(out, "id: {}", ystr(&rule.native_id));
    }
    if let Some(s) = &rule.status {
        let status = match s.as_str() {
            "stable" | "test" | "experimental" | "deprecated" | "unsupported" => s.as_str(),
            "production" => "stable",
            _ => "experimental",
        };
        let _ = writeln!(out, "status: {status}");
    }
    if !rule.description.is_empty() {
        let _ = writeln!(out, "description: {}", ystr(&rule.description));
    }
    list(&mut out, "references", &rule.references);
    if !rule.authors.is_empty() {
        let _ = writeln!(out, "author: {}", ystr(&rule.authors.join(", ")));
    }
    if let Some(d) = &rule.created {
        let _ = writeln!(out, "date: {}", ystr(d));
    }
    if let Some(d) = &rule.modified {
        let _ = writeln!(out, "modified: {}", ystr(d));
    }
    let tags: Vec<String> = if rule.vendor == Vendor::Sigma {
        rule.tags.clone()
    } else {
        rule.techniques
            .iter()
            .map(|t| format!("attack.{}", t.to_ascii_lowercase()))
            .collect()
    };
    list(&mut out, "tags", &tags);
    out.push_str("logsource:\n");
    for (k, v) in &logsource {
        let _ = writeln!(out, "    {k}: {}", ystr(v));
    }
    if logsource.is_empty() {
        out.push_str("    product: 'any'\n");
        cx.reasons
            .push("the rule has no log source; `product: any` is written".into());
    }
    out.push_str("detection:\n");
    for s in &cx.selections {
        out.push_str(s);
    }
    let _ = writeln!(out, "    condition: {}", ystr(&condition));
    list(&mut out, "falsepositives", &rule.false_positives);
    if let Some(sev) = rule.severity {
        let _ = writeln!(out, "level: {sev}");
    }
    Ok((out, cx.reasons))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_wildcards_and_backslashes_before_them_are_escaped() {
        assert_eq!(sigma_escape(r"C:\Windows\x.exe"), r"C:\Windows\x.exe");
        assert_eq!(sigma_escape("a*b?"), r"a\*b\?");
        assert_eq!(sigma_escape(r"a\*"), r"a\\\*");
        assert_eq!(sigma_escape(r"\\server"), r"\\\server");
    }

    #[test]
    fn patterns_keep_wildcards_and_escape_literals() {
        assert_eq!(sigma_pattern(r"C:\\*\\cmd.exe"), r"C:\\*\cmd.exe");
        assert_eq!(sigma_pattern(r"a\*b*"), r"a\*b*");
        assert_eq!(sigma_pattern("x?y"), "x?y");
    }

    #[test]
    fn yaml_strings_are_quoted_safely() {
        assert_eq!(ystr("it's"), "'it''s'");
        assert_eq!(ystr("a\nb"), "\"a\\nb\"");
    }
}

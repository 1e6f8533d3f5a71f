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

use ruledex_model::{Aggregation, AggregationKind, Expr, Keyword, Op, Pred, Rule, Value, Vendor};
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
                if matches!(**c, Expr::And(_) | Expr::Or(_)) || s.starts_with("not ") {
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
    let mut reasons = Vec::new();
    match &rule.logic.aggregation {
        None => {
            if let Some(r) = common::correlation_reason(rule) {
                return Err(r);
            }
            let doc = document(rule, &rule.logic.expr, None, &mut reasons)?;
            Ok((doc, reasons))
        }
        Some(agg) => {
            if !rule.logic.expr.has_predicate()
                && !matches!(agg.kind, AggregationKind::Sequence { .. })
            {
                return Err(common::correlation_reason(rule)
                    .unwrap_or_else(|| "the aggregation has no base condition to export".into()));
            }
            let doc = correlation(rule, agg, &mut reasons)?;
            Ok((doc, reasons))
        }
    }
}

/// The log source lines: the rule's own, or the Sigma producer of its catalog event.
fn logsource(
    rule: &Rule,
    event: Option<&str>,
    reasons: &mut Vec<String>,
) -> Vec<(&'static str, String)> {
    match (&rule.logsource, rule.vendor) {
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
    }
}

fn namer(rule: &Rule) -> Namer<'_> {
    Namer {
        schemas: &[Schema::Sigma],
        label: "Sigma",
        event: common::event(rule),
        native: Some(Vendor::Sigma),
        vendor: rule.vendor,
    }
}

/// The metadata lines every document of the export shares (title aside).
fn metadata(rule: &Rule, out: &mut String) {
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
    list(out, "references", &rule.references);
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
    list(out, "tags", &tags);
}

/// One detection document for `expr`: the whole rule (`name` is `None`), or a
/// named base rule of a correlation.
fn document(
    rule: &Rule,
    expr: &Expr,
    name: Option<(&str, &str)>,
    reasons: &mut Vec<String>,
) -> Result<String, String> {
    let event = common::event(rule);
    let ls = logsource(rule, event, reasons);
    let mut cx = Cx {
        namer: namer(rule),
        reasons: std::mem::take(reasons),
        selections: Vec::new(),
    };
    let expr = common::prune_routing(expr, &cx.namer, &mut cx.reasons);
    let condition = cx.cond(&expr);
    *reasons = std::mem::take(&mut cx.reasons);
    let condition = condition?;
    if cx.selections.is_empty() {
        return Err("the rule tests no field and no keyword".into());
    }
    let mut out = String::new();
    match name {
        None => {
            let _ = writeln!(out, "title: {}", ystr(&rule.title));
            if !rule.native_id.is_empty() {
                let _ = writeln!(out, "id: {}", ystr(&rule.native_id));
            }
        }
        Some((name, part)) => {
            let _ = writeln!(out, "title: {}", ystr(&format!("{} ({part})", rule.title)));
            let _ = writeln!(out, "name: {}", ystr(name));
        }
    }
    metadata(rule, &mut out);
    out.push_str("logsource:\n");
    for (k, v) in &ls {
        let _ = writeln!(out, "    {k}: {}", ystr(v));
    }
    if ls.is_empty() {
        out.push_str("    product: 'any'\n");
        reasons.push("the rule has no log source; `product: any` is written".into());
    }
    out.push_str("detection:\n");
    for s in &cx.selections {
        out.push_str(s);
    }
    let _ = writeln!(out, "    condition: {}", ystr(&condition));
    if name.is_none() {
        list(&mut out, "falsepositives", &rule.false_positives);
    }
    if let Some(sev) = rule.severity {
        let _ = writeln!(out, "level: {sev}");
    }
    Ok(out)
}

/// A Sigma timespan (`5m`, `1h`) for a number of seconds.
fn timespan(seconds: u64) -> String {
    for (unit, n) in [("d", 86_400), ("h", 3600), ("m", 60)] {
        if seconds > 0 && seconds % n == 0 {
            return format!("{}{unit}", seconds / n);
        }
    }
    format!("{seconds}s")
}

/// A name usable in `correlation.rules`, from the rule's id or title.
fn slug(rule: &Rule) -> String {
    let base = if rule.native_id.is_empty() {
        &rule.title
    } else {
        &rule.native_id
    };
    let s: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("r_{s}")
}

/// A Sigma correlation rule after its base rule(s): counts and distinct values
/// as `event_count` / `value_count`, an EQL sequence as `temporal_ordered`.
fn correlation(
    rule: &Rule,
    agg: &Aggregation,
    reasons: &mut Vec<String>,
) -> Result<String, String> {
    if !agg.metrics.is_empty() || agg.having.is_some() {
        return Err("an aggregation with named metrics or a condition over them has no Sigma correlation form".into());
    }
    let slug = slug(rule);
    let mut docs = Vec::new();
    let mut names = Vec::new();
    let mut condition: Vec<(String, String)> = agg
        .condition
        .iter()
        .map(|c| {
            let op = match c.op {
                Op::Gt => "gt",
                Op::Gte => "gte",
                Op::Lt => "lt",
                Op::Lte => "lte",
                _ => "eq",
            };
            (op.to_owned(), crate::kusto::fmt_num(c.value))
        })
        .collect();
    let namer = namer(rule);
    let kind = match &agg.kind {
        AggregationKind::EventCount { .. } => "event_count",
        AggregationKind::Threshold { cardinality } if cardinality.is_empty() => "event_count",
        AggregationKind::Threshold { cardinality } => {
            let [(field, n)] = cardinality.as_slice() else {
                return Err(
                    "a threshold on several distinct counts has no Sigma correlation form".into(),
                );
            };
            if condition
                .iter()
                .any(|(op, v)| !(op == "gte" && (v == "1" || v == "0")))
            {
                return Err("a threshold on both the event count and a distinct count has no Sigma correlation form".into());
            }
            condition = vec![
                ("field".into(), ystr(&namer.name(field, reasons))),
                ("gte".into(), n.to_string()),
            ];
            "value_count"
        }
        AggregationKind::ValueCount { field, .. } => {
            condition.insert(0, ("field".into(), ystr(&namer.name(field, reasons))));
            "value_count"
        }
        AggregationKind::Sequence { steps, until } => {
            if until.is_some() {
                return Err(
                    "a sequence cancelled by an `until` event has no Sigma correlation form".into(),
                );
            }
            let mut seen: Vec<&Expr> = Vec::new();
            for s in steps {
                if seen.contains(&&s.expr) {
                    reasons.push("a step repeated in the sequence (`runs`) is written once: Sigma's temporal_ordered counts each rule once".into());
                    continue;
                }
                seen.push(&s.expr);
                let name = format!("{slug}_step{}", seen.len());
                let part = format!("step {}", seen.len());
                docs.push(document(rule, &s.expr, Some((&name, &part)), reasons)?);
                names.push(name);
            }
            if rule.events.len() > 1 {
                reasons.push(format!(
                    "every step is given the log source of {}; the rule reads several kinds of event ({})",
                    common::event(rule).unwrap_or("the rule"),
                    rule.events.join(", ")
                ));
            }
            if steps.iter().any(|s| !s.by.is_empty()) {
                reasons.push("steps' own join fields are not written: Sigma correlations join every rule on the same group-by fields".into());
            }
            "temporal_ordered"
        }
        AggregationKind::Temporal { .. } | AggregationKind::TemporalOrdered { .. } => {
            return Err("a temporal correlation's referenced rules are not kept apart in the model, so they cannot be written back".into());
        }
        AggregationKind::NewTerms { .. } => {
            return Err("new-terms detection has no Sigma correlation form".into());
        }
    };
    if docs.is_empty() {
        let name = format!("{slug}_base");
        docs.push(document(
            rule,
            &rule.logic.expr,
            Some((&name, "base")),
            reasons,
        )?);
        names.push(name);
    }
    let mut out = docs.join("---\n");
    out.push_str("---\n");
    let _ = writeln!(out, "title: {}", ystr(&rule.title));
    if !rule.native_id.is_empty() {
        let _ = writeln!(out, "id: {}", ystr(&rule.native_id));
    }
    metadata(rule, &mut out);
    out.push_str("correlation:\n");
    let _ = writeln!(out, "    type: {kind}");
    out.push_str("    rules:\n");
    for n in &names {
        let _ = writeln!(out, "        - {}", ystr(n));
    }
    if !agg.group_by.is_empty() {
        out.push_str("    group-by:\n");
        for f in &agg.group_by {
            let _ = writeln!(out, "        - {}", ystr(&namer.name(f, reasons)));
        }
    }
    match agg.window.as_ref().and_then(|w| w.seconds) {
        Some(s) => {
            let _ = writeln!(out, "    timespan: {}", timespan(s));
        }
        None => {
            reasons.push("the rule gives no time window; `timespan: 1h` is written".into());
            out.push_str("    timespan: 1h\n");
        }
    }
    if !condition.is_empty() {
        out.push_str("    condition:\n");
        for (k, v) in &condition {
            let _ = writeln!(out, "        {k}: {v}");
        }
    }
    if let Some(sev) = rule.severity {
        let _ = writeln!(out, "level: {sev}");
    }
    Ok(out)
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

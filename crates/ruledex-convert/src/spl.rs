//! Splunk SPL: `spl`, a search over raw events with Sigma's (Sysmon / Windows
//! event log) field names, and `spl-cim`, a `tstats` search over the CIM data
//! models (`Endpoint.Processes`, `Network_Traffic.All_Traffic`, …).
//!
//! The raw search follows pySigma's Splunk backend with its `splunk_windows`
//! pipeline: terms joined by spaces (SPL's implicit `AND`, which binds looser
//! than `OR`), `Field IN ("a", "b")` for several values, `*` wildcards for
//! contains / starts-with / ends-with, `NOT Field=*` for a missing field,
//! `source="WinEventLog:<channel>"` for a Windows log-source service, and
//! regular expressions and field-to-field comparisons as `| regex` and
//! `| where` commands after the search. The search command compares values
//! case-insensitively, like Sigma; a case-sensitive value uses `CASE("…")`.
//!
//! What SPL's search cannot say exactly is a reason: a literal `*` in a value
//! (always a wildcard in SPL), Sigma's one-character wildcard `?` (widened to
//! `*`), a keyword (searched in the raw event text). A regular expression or a
//! field comparison that is not one of the rule's top-level conditions has no
//! place in a search and makes the rule unsupported.
//!
//! Reference: <https://docs.splunk.com/Documentation/Splunk/latest/SearchReference/Search>.

use std::fmt::Write as _;

use ruledex_model::{
    Aggregation, AggregationKind, Expr, Field, Keyword, LogSource, Op, Pred, Rule, Transform,
    Value, Vendor,
};
use ruledex_taxonomy::fields::{Fields, Schema};

use crate::common::{self, Glob, Namer, Q};
use crate::kusto::{cmp, vendor_schema};
use crate::tables;
use crate::{Conversion, Target};

pub(crate) fn convert(rule: &Rule, target: Target) -> Conversion {
    let built = if target == Target::SplCim {
        build_cim(rule)
    } else {
        build_raw(rule)
    };
    match built {
        Ok((query, reasons)) => Conversion::written(target, query, reasons),
        Err(reason) => Conversion::unsupported(target, reason),
    }
}

/// An SPL string literal.
pub(crate) fn sstr(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A field name, quoted when SPL would read it otherwise.
fn sfield(name: &str) -> String {
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ':' | '@'))
        && !name.is_empty()
    {
        name.to_owned()
    } else {
        sstr(name)
    }
}

/// A field name inside `where`/`eval`: single quotes.
fn where_field(name: &str) -> String {
    format!("'{}'", name.replace('\'', "\\'"))
}

/// The pieces of a search value: literal text and `*` wildcards.
enum Piece {
    Text(String),
    Star,
}

struct Cx<'a> {
    namer: Namer<'a>,
    vendor: Vendor,
    event: Option<&'a str>,
    reasons: Vec<String>,
    cim: Option<&'a str>,
    /// A regex or field comparison was met under OR/NOT.
    nested: bool,
    /// Writing an `eval` condition (for `where`) rather than search terms.
    where_mode: bool,
}

/// Search terms as an `eval` condition: each leaf through `searchmatch`.
fn searchmatch(q: Q) -> Q {
    match q {
        Q::Leaf(s) | Q::List(s) => Q::Leaf(format!("searchmatch({})", sstr(&s))),
        Q::And(c) => Q::And(c.into_iter().map(searchmatch).collect()),
        Q::Or(c) => Q::Or(c.into_iter().map(searchmatch).collect()),
        Q::Not(c) => Q::Not(Box::new(searchmatch(*c))),
    }
}

impl Cx<'_> {
    fn nest(&mut self, reason: String) -> String {
        self.nested = true;
        reason
    }

    fn field(&mut self, f: &Field) -> Result<String, String> {
        if let Some(model) = self.cim {
            return cim_field(f, model, self.event);
        }
        let name = self.namer.name(f, &mut self.reasons);
        // Splunk's Windows add-on names the event id `EventCode`.
        if name.eq_ignore_ascii_case("EventID") {
            return Ok("EventCode".into());
        }
        Ok(name)
    }

    fn other_field(&mut self, raw: &str) -> Result<String, String> {
        let mut f = Field::raw(raw);
        f.canonical = Fields::global()
            .resolve(vendor_schema(self.vendor), self.event, raw)
            .map(str::to_owned);
        self.field(&f)
    }

    /// A value for the search command: quoted, with `*` where the pieces say.
    fn value(&mut self, pieces: &[Piece], cased: bool) -> String {
        let mut s = String::new();
        for p in pieces {
            match p {
                Piece::Star => s.push('*'),
                Piece::Text(t) => {
                    if t.contains('*') {
                        self.reasons.push(
                            "a literal `*` in a value is a wildcard in SPL's search command".into(),
                        );
                    }
                    s.push_str(t);
                }
            }
        }
        if cased {
            format!("CASE({})", sstr(&s))
        } else {
            sstr(&s)
        }
    }

    fn pieces(&mut self, op: Op, v: &Value) -> Vec<Piece> {
        let text = v.to_string();
        match op {
            Op::Contains => vec![Piece::Star, Piece::Text(text), Piece::Star],
            Op::StartsWith => vec![Piece::Text(text), Piece::Star],
            Op::EndsWith => vec![Piece::Star, Piece::Text(text)],
            Op::Wildcard => {
                let mut out = Vec::new();
                let mut lit = String::new();
                for g in common::glob(&text) {
                    match g {
                        Glob::Lit(c) => lit.push(c),
                        Glob::Star | Glob::One => {
                            if g == Glob::One {
                                self.reasons.push("SPL has no one-character wildcard: Sigma's `?` is widened to `*`".into());
                            }
                            if !lit.is_empty() {
                                out.push(Piece::Text(std::mem::take(&mut lit)));
                            }
                            out.push(Piece::Star);
                        }
                    }
                }
                if !lit.is_empty() {
                    out.push(Piece::Text(lit));
                }
                out
            }
            _ => vec![Piece::Text(text)],
        }
    }

    fn leaf(&mut self, e: &Expr) -> Result<Q, String> {
        if self.where_mode {
            if let Expr::Pred(p) = e
                && matches!(p.op, Op::Regex | Op::FieldRef)
            {
                return self.where_pred(p);
            }
            let q = match e {
                Expr::Pred(p) => self.pred(p)?,
                Expr::Keyword(k) => self.keyword(k)?,
                _ => return Err("unexpected node".into()),
            };
            return Ok(searchmatch(q));
        }
        match e {
            Expr::Pred(p) => self.pred(p),
            Expr::Keyword(k) => self.keyword(k),
            _ => Err("unexpected node".into()),
        }
    }

    /// A regex or field comparison as an `eval` condition.
    fn where_pred(&mut self, p: &Pred) -> Result<Q, String> {
        if !p.transforms.is_empty() {
            return Err(format!(
                "`{}` is compared after a transformation SPL's search cannot apply",
                p.field.raw
            ));
        }
        if p.op == Op::FieldRef {
            let cmds = self.deferred_pred(p, false)?;
            let cond = cmds.join(" ");
            return Ok(Q::Leaf(format!("({})", cond.trim_start_matches("where "))));
        }
        let f = where_field(&self.field(&p.field)?);
        let flags = common::regex_flags(p);
        let leaves = p
            .values
            .iter()
            .map(|v| Q::Leaf(format!("match({f}, {})", sstr(&format!("{flags}{v}")))))
            .collect();
        Ok(Q::any_all(leaves, p.all))
    }

    fn keyword(&mut self, k: &Keyword) -> Result<Q, String> {
        if self.cim.is_some() {
            return Err("a field-less keyword cannot be searched in a CIM data model".into());
        }
        let mut leaves = Vec::new();
        for v in &k.values {
            let op = match k.op {
                Op::Contains | Op::Eq | Op::Wildcard => k.op,
                op => return Err(format!("a field-less `{op}` search has no SPL form")),
            };
            // SPL searches a quoted keyword as a term of the raw text, as
            // pySigma writes it: no wildcards added around it.
            let op = if op == Op::Wildcard { op } else { Op::Eq };
            let pieces = self.pieces(op, v);
            leaves.push(Q::Leaf(self.value(&pieces, k.case_sensitive)));
        }
        self.reasons.push(
            "a field-less keyword is searched in the raw event text, where SPL matches whole terms unless the value starts with a wildcard".into(),
        );
        Ok(Q::any_all(leaves, k.all))
    }

    fn pred(&mut self, p: &Pred) -> Result<Q, String> {
        for t in &p.transforms {
            match t {
                Transform::Lower | Transform::Upper if !p.case_sensitive => {}
                other => {
                    return Err(format!(
                        "`{}` is compared after `{}`, which SPL's search command cannot apply",
                        p.field.raw,
                        other.name()
                    ));
                }
            }
        }
        let f = sfield(&self.field(&p.field)?);
        let cs = p.case_sensitive;
        match p.op {
            Op::Eq
            | Op::In
            | Op::Contains
            | Op::StartsWith
            | Op::EndsWith
            | Op::Wildcard => {
                let mut vals = Vec::new();
                let mut others = Vec::new();
                for v in &p.values {
                    match v {
                        Value::Null => others.push(Q::Not(Box::new(Q::Leaf(format!("{f}=*"))))),
                        Value::Int(_) | Value::Float(_) if matches!(p.op, Op::Eq | Op::In) => {
                            vals.push(v.to_string());
                        }
                        _ => {
                            let pieces = self.pieces(p.op, v);
                            vals.push(self.value(&pieces, cs));
                        }
                    }
                }
                let mut leaves = others;
                if vals.len() > 1 && !p.all && !cs {
                    leaves.push(Q::List(format!("{f} IN ({})", vals.join(", "))));
                } else {
                    leaves.extend(vals.into_iter().map(|v| Q::Leaf(format!("{f}={v}"))));
                }
                Ok(Q::any_all(leaves, p.all))
            }
            Op::Cidr => {
                let leaves = p
                    .values
                    .iter()
                    .map(|v| Q::Leaf(format!("{f}={}", sstr(&v.to_string()))))
                    .collect();
                Ok(Q::any_all(leaves, p.all))
            }
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
                let sym = p.op.ordering_symbol().unwrap_or("<=");
                let leaves = p
                    .values
                    .iter()
                    .map(|v| match v {
                        Value::Int(_) | Value::Float(_) => Q::Leaf(format!("{f}{sym}{v}")),
                        _ => Q::Leaf(format!("{f}{sym}{}", sstr(&v.to_string()))),
                    })
                    .collect();
                Ok(Q::any_all(leaves, p.all))
            }
            Op::Exists => {
                let leaves = p
                    .values
                    .iter()
                    .map(|v| {
                        if matches!(v, Value::Bool(false)) {
                            Q::Not(Box::new(Q::Leaf(format!("{f}=*"))))
                        } else {
                            Q::Leaf(format!("{f}=*"))
                        }
                    })
                    .collect();
                Ok(Q::any_all(leaves, p.all))
            }
            Op::IsNull => Ok(Q::Not(Box::new(Q::Leaf(format!("{f}=*"))))),
            Op::IsNotNull => Ok(Q::Leaf(format!("{f}=*"))),
            Op::Regex => Err(self.nest(format!(
                "a regular expression on `{}` under `OR` or `NOT` has no place in SPL's search command",
                p.field.raw
            ))),
            Op::FieldRef => Err(self.nest(format!(
                "a field comparison on `{}` under `OR` or `NOT` has no place in SPL's search command",
                p.field.raw
            ))),
            Op::Lookup => Err(format!(
                "`{}` compares with a named list ({}) that the target must provide (a Splunk lookup); it is not written",
                p.field.raw,
                p.values
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// `| regex` / `| where` commands for a top-level regex or field comparison,
    /// or `None` when the node belongs in the search.
    fn deferred(&mut self, e: &Expr) -> Option<Result<Vec<String>, String>> {
        let (p, negated) = match e {
            Expr::Pred(p) => (p, false),
            Expr::Not(inner) => match &**inner {
                Expr::Pred(p) => (p, true),
                _ => return None,
            },
            _ => return None,
        };
        if !matches!(p.op, Op::Regex | Op::FieldRef) {
            return None;
        }
        Some(self.deferred_pred(p, negated))
    }

    // p(redicate), f(ield), v(alue), a and b (the two sides of a comparison).
    #[allow(clippy::many_single_char_names)]
    fn deferred_pred(&mut self, p: &Pred, negated: bool) -> Result<Vec<String>, String> {
        if self.cim.is_some() {
            return Err(format!(
                "a {} on `{}` cannot be evaluated inside `tstats`",
                if p.op == Op::Regex {
                    "regular expression"
                } else {
                    "field comparison"
                },
                p.field.raw
            ));
        }
        if !p.transforms.is_empty() {
            return Err(format!(
                "`{}` is compared after a transformation SPL's search cannot apply",
                p.field.raw
            ));
        }
        let f = self.field(&p.field)?;
        if p.op == Op::Regex {
            let flags = common::regex_flags(p);
            let res: Vec<String> = p.values.iter().map(ToString::to_string).collect();
            // Every value must match: one command each. Any value: one alternation.
            let pats: Vec<String> = if p.all || res.len() == 1 {
                res.iter().map(|r| format!("{flags}{r}")).collect()
            } else {
                vec![format!(
                    "{flags}{}",
                    res.iter()
                        .map(|r| format!("(?:{r})"))
                        .collect::<Vec<_>>()
                        .join("|")
                )]
            };
            if negated && pats.len() > 1 {
                return Err(
                    "a negated all-of regular expression has no single `| regex` form".into(),
                );
            }
            let op = if negated { "!=" } else { "=" };
            return Ok(pats
                .into_iter()
                .map(|r| format!("regex {}{op}{}", sfield(&f), sstr(&r)))
                .collect());
        }
        let mut parts = Vec::new();
        for v in &p.values {
            let other = self.other_field(&v.to_string())?;
            let (a, b) = (where_field(&f), where_field(&other));
            let cond = match (p.within, p.case_sensitive) {
                (None | Some(Op::Eq), true) => format!("{a}={b}"),
                (None | Some(Op::Eq), false) => format!("lower({a})=lower({b})"),
                (Some(Op::Gt), _) => format!("{a}>{b}"),
                (Some(Op::Gte), _) => format!("{a}>={b}"),
                (Some(Op::Lt), _) => format!("{a}<{b}"),
                (Some(Op::Lte), _) => format!("{a}<={b}"),
                (Some(w), _) => {
                    return Err(format!(
                        "comparing two fields with `{w}` is not written in SPL"
                    ));
                }
            };
            parts.push(cond);
        }
        let joined = parts.join(if p.all { " AND " } else { " OR " });
        Ok(vec![if negated {
            format!("where NOT ({joined})")
        } else {
            format!("where {joined}")
        }])
    }

    /// The search part and the commands after it.
    fn search(&mut self, expr: &Expr) -> Result<(Q, Vec<String>), String> {
        let children: Vec<&Expr> = match expr {
            Expr::And(c) => c.iter().collect(),
            other => vec![other],
        };
        let mut terms = Vec::new();
        let mut commands = Vec::new();
        for c in children {
            if let Some(d) = self.deferred(c) {
                commands.extend(d?);
                continue;
            }
            self.nested = false;
            let saved = self.reasons.len();
            match common::walk(c, &mut |e| self.leaf(e)) {
                Ok(q) => terms.push(q),
                Err(_) if self.nested && self.cim.is_none() => {
                    // A regex or field comparison inside OR/NOT: this part is
                    // evaluated by `where`, search terms through `searchmatch`.
                    self.reasons.truncate(saved);
                    self.where_mode = true;
                    let q = common::walk(c, &mut |e| self.leaf(e));
                    self.where_mode = false;
                    commands.push(format!("where {}", common::print_sql(&q?, false)));
                }
                Err(e) => return Err(e),
            }
        }
        Ok((Q::And(terms), commands))
    }

    fn aggregation(&mut self, agg: &Aggregation) -> Result<String, String> {
        match &agg.kind {
            AggregationKind::NewTerms { fields, history } => {
                let mut by = Vec::new();
                for f in fields {
                    by.push(sfield(&self.field(f)?));
                }
                let hist = history
                    .as_ref()
                    .and_then(|h| h.seconds)
                    .unwrap_or(14 * 86_400);
                let recent = agg.window.as_ref().and_then(|w| w.seconds).unwrap_or(3600);
                self.reasons.push(format!(
                    "new terms are found as combinations first seen in the last {recent}s of a {hist}s history (`earliest=-{hist}s`); run the search on the rule's schedule"
                ));
                return Ok(format!(
                    "\n| stats min(_time) as firstTime by {}\n| where firstTime >= relative_time(now(), \"-{recent}s\")",
                    by.join(" ")
                ));
            }
            AggregationKind::Sequence { steps, .. } => return self.sequence(steps, agg),
            _ => {}
        }
        if !agg.metrics.is_empty() || agg.having.is_some() {
            return Err("an aggregation with named metrics or a condition over them is not written by the SPL backend".into());
        }
        let mut by = Vec::new();
        for f in &agg.group_by {
            by.push(sfield(&self.field(f)?));
        }
        let mut out = String::new();
        if let Some(w) = &agg.window {
            match w.seconds {
                Some(s) => {
                    let _ = write!(out, "\n| bin _time span={s}s");
                    by.insert(0, "_time".into());
                    self.reasons.push(format!(
                        "the rule's {} window is written as fixed time buckets (`bin`), which can split a burst across two buckets",
                        w.text
                    ));
                }
                None => self
                    .reasons
                    .push(format!("the time window `{}` is not written", w.text)),
            }
        }
        let (name, func) = match &agg.kind {
            AggregationKind::ValueCount { field, .. } => (
                "value_count",
                format!("dc({})", sfield(&self.field(field)?)),
            ),
            _ => ("event_count", "count".to_owned()),
        };
        let mut metrics = vec![format!("{func} as {name}")];
        let mut conds: Vec<String> = agg
            .condition
            .iter()
            .map(|c| cmp(name, c).replace(" == ", "="))
            .collect();
        if let AggregationKind::Threshold { cardinality } = &agg.kind {
            for (i, (f, n)) in cardinality.iter().enumerate() {
                let m = format!("distinct_{}", i + 1);
                metrics.push(format!("dc({}) as {m}", sfield(&self.field(f)?)));
                conds.push(format!("{m} >= {n}"));
            }
        }
        let _ = write!(out, "\n| stats {}", metrics.join(" "));
        if !by.is_empty() {
            let _ = write!(out, " by {}", by.join(" "));
        }
        if !conds.is_empty() {
            let _ = write!(out, "\n| where {}", conds.join(" AND "));
        }
        Ok(out)
    }
}

impl Cx<'_> {
    /// A sequence: per group, every step seen, each step's first event no
    /// later than the next step's, within the span.
    fn sequence(
        &mut self,
        steps: &[ruledex_model::SequenceStep],
        agg: &Aggregation,
    ) -> Result<String, String> {
        let by_step = steps.first().map(|s| s.by.clone()).unwrap_or_default();
        let keyed = steps.iter().any(|s| s.by != by_step);
        if keyed && steps.iter().any(|s| s.by.len() != by_step.len()) {
            return Err(
                "sequence steps joined on different numbers of fields are not written".into(),
            );
        }
        let mut unique: Vec<&Expr> = Vec::new();
        let mut runs: Vec<usize> = Vec::new();
        let mut order: Vec<usize> = Vec::new();
        let pruned: Vec<Expr> = steps
            .iter()
            .map(|s| common::prune_routing(&s.expr, &self.namer, &mut Vec::new()))
            .collect();
        for s in &pruned {
            if let Some(i) = unique.iter().position(|e| *e == s) {
                runs[i] += 1;
                order.push(i);
            } else {
                unique.push(s);
                runs.push(1);
                order.push(unique.len() - 1);
            }
        }
        let mut cases = Vec::new();
        for (i, e) in unique.iter().enumerate() {
            let (q, commands) = self.search(e)?;
            if !commands.is_empty() {
                return Err("a sequence step with a regular expression or field comparison is not written in SPL".into());
            }
            cases.push(format!(
                "searchmatch({}), {}",
                sstr(&common::print_spl(&q)),
                i + 1
            ));
        }
        let mut by = Vec::new();
        for f in &agg.group_by {
            by.push(sfield(&self.field(f)?));
        }
        let mut keys = String::new();
        if keyed {
            // Each step joins on its own fields: one key per position.
            for j in 0..by_step.len() {
                let mut arms = Vec::new();
                for (i, e) in unique.iter().enumerate() {
                    let at = pruned.iter().position(|p| p == *e).expect("step");
                    let step = &steps[at];
                    let f = where_field(&self.field(&step.by[j])?);
                    arms.push(format!("step={}, {f}", i + 1));
                }
                let _ = write!(keys, "\n| eval join_key{}=case({})", j + 1, arms.join(", "));
                by.push(format!("join_key{}", j + 1));
            }
        } else {
            for f in &by_step {
                by.push(sfield(&self.field(f)?));
            }
        }
        let mut metrics = Vec::new();
        let mut conds = Vec::new();
        for (i, n) in runs.iter().enumerate() {
            let k = i + 1;
            metrics.push(format!("count(eval(step={k})) as step{k}"));
            metrics.push(format!(
                "min(eval(if(step={k}, _time, null()))) as first{k}"
            ));
            conds.push(format!("step{k}>={n}"));
        }
        let last = unique.len();
        metrics.push(format!("max(eval(if(step={last}, _time, null()))) as last"));
        for w in order.windows(2) {
            if w[0] != w[1] {
                conds.push(format!("first{}<=first{}", w[0] + 1, w[1] + 1));
            }
        }
        if let Some(span) = agg.window.as_ref().and_then(|w| w.seconds) {
            conds.push(format!("last-first{}<={span}", order[0] + 1));
        }
        self.reasons.push("the sequence is checked per group from each step's first time and the last step's last time: every step seen, in order, within the span — not event by event".into());
        let mut out = format!("\n| eval step=case({})", cases.join(", "));
        out.push_str(&keys);
        let _ = write!(out, "\n| stats {}", metrics.join(" "));
        if !by.is_empty() {
            let _ = write!(out, " by {}", by.join(" "));
        }
        let _ = write!(out, "\n| where {}", conds.join(" AND "));
        Ok(out)
    }
}

/// The source condition of a Windows log-source service (`source="WinEventLog:Security"`).
fn source_condition(ls: Option<&LogSource>) -> Option<Q> {
    let ls = ls?;
    if ls.product.as_deref() != Some("windows") {
        return None;
    }
    let names = tables::channels(ls.service.as_deref()?)?;
    let leaves: Vec<Q> = names
        .iter()
        .map(|n| Q::Leaf(format!("source={}", sstr(&format!("WinEventLog:{n}")))))
        .collect();
    Some(Q::or(leaves))
}

fn checks(rule: &Rule) -> Result<(), String> {
    if let Some(r) = common::correlation_reason(rule) {
        return Err(r);
    }
    if let Some(agg) = &rule.logic.aggregation
        && let Some(r) = common::aggregation_unsupported(&agg.kind, true)
    {
        return Err(r);
    }
    Ok(())
}

fn build_raw(rule: &Rule) -> Result<(String, Vec<String>), String> {
    checks(rule)?;
    let event = common::event(rule);
    let mut cx = Cx {
        namer: Namer {
            schemas: &[Schema::Sigma, Schema::SplunkCim],
            label: "Sigma (Sysmon / Windows event log)",
            event,
            native: Some(Vendor::Sigma),
            vendor: rule.vendor,
        },
        vendor: rule.vendor,
        event,
        reasons: Vec::new(),
        cim: None,
        nested: false,
        where_mode: false,
    };
    let expr = common::prune_routing(&rule.logic.expr, &cx.namer, &mut cx.reasons);
    let (q, commands) = cx.search(&expr)?;
    let mut terms = match q {
        Q::And(t) => t,
        other => vec![other],
    };
    if rule.vendor == Vendor::Sigma
        && let Some(src) = source_condition(rule.logsource.as_ref())
    {
        terms.insert(0, src);
    }
    if let Some(Aggregation {
        kind: AggregationKind::NewTerms { history, .. },
        ..
    }) = &rule.logic.aggregation
    {
        let hist = history
            .as_ref()
            .and_then(|h| h.seconds)
            .unwrap_or(14 * 86_400);
        terms.insert(0, Q::Leaf(format!("earliest=-{hist}s")));
    }
    let mut out = if terms.is_empty() {
        "*".to_owned()
    } else {
        common::print_spl(&Q::and(terms))
    };
    for c in &commands {
        let _ = write!(out, "\n| {c}");
    }
    if let Some(agg) = &rule.logic.aggregation {
        out.push_str(&cx.aggregation(agg)?);
    }
    Ok((out, cx.reasons))
}

/// The CIM name of a field in data model `model` (`Endpoint.Processes`), qualified
/// by the dataset (`Processes.process_name`).
fn cim_field(f: &Field, model: &str, event: Option<&str>) -> Result<String, String> {
    let dataset = model.rsplit('.').next().unwrap_or(model);
    let name = f
        .canonical
        .as_deref()
        .and_then(|c| common::alias_for(c, Schema::SplunkCim, event))
        .ok_or_else(|| {
            format!(
                "field `{}` has no name in the CIM data model {model}",
                f.raw
            )
        })?;
    let bare = name.rsplit('.').next().unwrap_or(&name);
    Ok(format!("{dataset}.{bare}"))
}

fn build_cim(rule: &Rule) -> Result<(String, Vec<String>), String> {
    checks(rule)?;
    let event = common::event(rule);
    let Some(ev) = event else {
        return Err("the rule names no catalog event, so no CIM data model can be chosen".into());
    };
    let model = tables::entry(ev)
        .and_then(|t| t.cim.as_deref())
        .ok_or_else(|| format!("no CIM data model holds {ev}"))?;
    let mut cx = Cx {
        namer: Namer {
            schemas: &[Schema::SplunkCim],
            label: "CIM",
            event,
            native: None,
            vendor: rule.vendor,
        },
        vendor: rule.vendor,
        event,
        reasons: Vec::new(),
        cim: Some(model),
        nested: false,
        where_mode: false,
    };
    let expr = common::prune_routing(&rule.logic.expr, &cx.namer, &mut cx.reasons);
    let (q, commands) = cx.search(&expr)?;
    debug_assert!(commands.is_empty());
    let mut by: Vec<String> = Vec::new();
    for p in expr.preds() {
        if let Ok(f) = cim_field(&p.field, model, event)
            && !by.contains(&f)
        {
            by.push(f);
        }
    }
    let dataset = model.rsplit('.').next().unwrap_or(model);
    let dest = format!("{dataset}.dest");
    if !by.contains(&dest) {
        by.push(dest);
    }
    let cond = common::print_spl(&q);
    let mut out = format!(
        "| tstats summariesonly=false count min(_time) as firstTime max(_time) as lastTime from datamodel={model}"
    );
    if !cond.is_empty() {
        let _ = write!(out, " where {cond}");
    }
    if let Some(agg) = &rule.logic.aggregation {
        if agg.window.is_some()
            || !agg.metrics.is_empty()
            || agg.having.is_some()
            || !matches!(agg.kind, AggregationKind::Threshold { ref cardinality } if cardinality.is_empty())
                && !matches!(agg.kind, AggregationKind::EventCount { .. })
        {
            return Err("only a plain count threshold is written after `tstats`".into());
        }
        let mut group = Vec::new();
        for f in &agg.group_by {
            group.push(cim_field(f, model, event)?);
        }
        let _ = write!(out, " by {}", group.join(" "));
        let conds: Vec<String> = agg
            .condition
            .iter()
            .map(|c| cmp("count", c).replace(" == ", "="))
            .collect();
        if !conds.is_empty() {
            let _ = write!(out, "\n| where {}", conds.join(" AND "));
        }
    } else {
        let _ = write!(out, " by {}", by.join(" "));
    }
    Ok((out, cx.reasons))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_escape_backslashes_and_quotes() {
        assert_eq!(sstr(r#"C:\Windows\"x""#), r#""C:\\Windows\\\"x\"""#);
    }

    #[test]
    fn field_names_with_spaces_are_quoted() {
        assert_eq!(sfield("Image"), "Image");
        assert_eq!(sfield("Processes.process_name"), "Processes.process_name");
        assert_eq!(sfield("Logon Type"), r#""Logon Type""#);
    }
}

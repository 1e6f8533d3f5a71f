//! What the Microsoft, Splunk and SQL backends share: a small output AST for
//! boolean queries ([`Q`]) with one printer per target's precedence rules, the
//! walk from the model's [`Expr`] to it, field naming through the taxonomy, the
//! rule's catalog event, and glob / regex helpers.

use std::cell::RefCell;
use std::collections::HashMap;

use ruledex_model::{Expr, Field, Op, Pred, Rule, Value, Vendor};
use ruledex_taxonomy::fields::{Fields, Schema};

/// A boolean query in a target language: the printers decide parentheses.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Q {
    /// Every child holds.
    And(Vec<Q>),
    /// Some child holds.
    Or(Vec<Q>),
    /// The child does not hold.
    Not(Box<Q>),
    /// A comparison already written in the target's syntax.
    Leaf(String),
    /// A comparison with a list of values (`F in~ ("a", "b")`), printed as a
    /// group where the target's converters treat it as one (pySigma does).
    List(String),
}

impl Q {
    /// Conjunction; one child stands alone.
    pub(crate) fn and(mut v: Vec<Q>) -> Q {
        if v.len() == 1 {
            v.pop().expect("one")
        } else {
            Q::And(v)
        }
    }

    /// Disjunction; one child stands alone.
    pub(crate) fn or(mut v: Vec<Q>) -> Q {
        if v.len() == 1 {
            v.pop().expect("one")
        } else {
            Q::Or(v)
        }
    }

    /// Any (`all == false`) or every (`all == true`) of `v`.
    pub(crate) fn any_all(v: Vec<Q>, all: bool) -> Q {
        if all { Q::and(v) } else { Q::or(v) }
    }

    fn is_group(&self) -> bool {
        matches!(self, Q::And(_) | Q::Or(_))
    }
}

/// Kusto, as pySigma's Kusto backend prints it: every nested `and`/`or`/`not`
/// in parentheses, `not(…)` around the negated part.
pub(crate) fn print_kusto(q: &Q) -> String {
    fn child(q: &Q, out: &mut String) {
        if let Q::Leaf(s) = q {
            out.push_str(s);
        } else if let Q::List(s) = q {
            out.push('(');
            out.push_str(s);
            out.push(')');
        } else {
            out.push('(');
            go(q, out);
            out.push(')');
        }
    }
    fn go(q: &Q, out: &mut String) {
        match q {
            Q::Leaf(s) | Q::List(s) => out.push_str(s),
            Q::And(c) | Q::Or(c) => {
                let sep = if matches!(q, Q::And(_)) {
                    " and "
                } else {
                    " or "
                };
                for (i, e) in c.iter().enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                    }
                    child(e, out);
                }
            }
            Q::Not(c) => {
                out.push_str("not(");
                if c.is_group() || matches!(**c, Q::List(_)) {
                    child(c, out);
                } else {
                    go(c, out);
                }
                out.push(')');
            }
        }
    }
    let mut out = String::new();
    go(q, &mut out);
    out
}

/// SPL's search command: `NOT` binds tightest, then `OR`, then the implicit
/// `AND` (a space), so only an `AND` under an `OR` and a group under `NOT` need
/// parentheses.
pub(crate) fn print_spl(q: &Q) -> String {
    fn go(q: &Q, out: &mut String) {
        match q {
            Q::Leaf(s) | Q::List(s) => out.push_str(s),
            Q::And(c) => {
                for (i, e) in c.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    go(e, out);
                }
            }
            Q::Or(c) => {
                for (i, e) in c.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" OR ");
                    }
                    if matches!(e, Q::And(_)) {
                        out.push('(');
                        go(e, out);
                        out.push(')');
                    } else {
                        go(e, out);
                    }
                }
            }
            Q::Not(c) => {
                out.push_str("NOT ");
                if c.is_group() || matches!(**c, Q::List(_)) {
                    out.push('(');
                    go(c, out);
                    out.push(')');
                } else {
                    go(c, out);
                }
            }
        }
    }
    let mut out = String::new();
    go(q, &mut out);
    out
}

/// SQL (and SPL's `where`): `AND`/`OR`/`NOT` with every nested group in
/// parentheses. With `null_is_false`, a negation reads a NULL (a comparison
/// with a missing field) as false, as the rule's logic does: `NOT COALESCE(…, FALSE)`.
pub(crate) fn print_sql(q: &Q, null_is_false: bool) -> String {
    fn go(q: &Q, out: &mut String, nf: bool) {
        match q {
            Q::Leaf(s) | Q::List(s) => out.push_str(s),
            Q::And(c) | Q::Or(c) => {
                let sep = if matches!(q, Q::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                for (i, e) in c.iter().enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                    }
                    if e.is_group() || matches!(e, Q::Not(_)) {
                        out.push('(');
                        go(e, out, nf);
                        out.push(')');
                    } else {
                        go(e, out, nf);
                    }
                }
            }
            Q::Not(c) => {
                out.push_str(if nf { "NOT COALESCE(" } else { "NOT (" });
                go(c, out, nf);
                out.push_str(if nf { ", FALSE)" } else { ")" });
            }
        }
    }
    let mut out = String::new();
    go(q, &mut out, null_is_false);
    out
}

/// Translate an expression tree; `leaf` writes predicates and keywords (an
/// `Err` is the reason the rule cannot be converted). Opaque parts stop the
/// conversion with their own reason.
pub(crate) fn walk(
    e: &Expr,
    leaf: &mut impl FnMut(&Expr) -> Result<Q, String>,
) -> Result<Q, String> {
    match e {
        Expr::And(c) => Ok(Q::and(
            c.iter().map(|x| walk(x, leaf)).collect::<Result<_, _>>()?,
        )),
        Expr::Or(c) => Ok(Q::or(
            c.iter().map(|x| walk(x, leaf)).collect::<Result<_, _>>()?,
        )),
        Expr::Not(c) => Ok(Q::Not(Box::new(walk(c, leaf)?))),
        Expr::Opaque(o) => Err(format!(
            "part of the rule could not be read ({}): `{}`",
            o.reason,
            shorten(&o.text)
        )),
        other => leaf(other),
    }
}

/// At most 80 characters of `s`, on one line.
pub(crate) fn shorten(s: &str) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 80 {
        let mut t: String = one.chars().take(77).collect();
        t.push_str("...");
        t
    } else {
        one
    }
}

/// The catalog event a rule's query is written for: the most specific of its
/// events (`windows/security/4625` rather than its parent `windows/security`).
pub(crate) fn event(rule: &Rule) -> Option<&str> {
    rule.events
        .iter()
        .max_by_key(|e| e.matches('/').count())
        .map(String::as_str)
}

/// [`Fields::alias_for`], remembered per thread: converting a corpus asks for
/// the same few hundred names thousands of times.
pub(crate) fn alias_for(canonical: &str, schema: Schema, event: Option<&str>) -> Option<String> {
    type Key = (String, Schema, Option<String>);
    thread_local! {
        static CACHE: RefCell<HashMap<Key, Option<String>>> = RefCell::new(HashMap::new());
    }
    let key = (canonical.to_owned(), schema, event.map(str::to_owned));
    CACHE.with(|c| {
        if let Some(hit) = c.borrow().get(&key) {
            return hit.clone();
        }
        let found = Fields::global()
            .alias_for(canonical, schema, event)
            .map(str::to_owned);
        c.borrow_mut().insert(key, found.clone());
        found
    })
}

/// How a backend names fields: which schemas it writes (first that has a name
/// wins) and whether a rule's raw names are already in the first of them.
pub(crate) struct Namer<'a> {
    /// Schemas tried in order.
    pub(crate) schemas: &'a [Schema],
    /// What the schema is called in reasons (`ASIM`).
    pub(crate) label: &'a str,
    /// The rule's catalog event.
    pub(crate) event: Option<&'a str>,
    /// The vendor whose raw names the first schema already uses (Sigma for SPL).
    pub(crate) native: Option<Vendor>,
    /// The rule's vendor.
    pub(crate) vendor: Vendor,
}

impl Namer<'_> {
    /// The target's name for `field`; a fallback to the raw name adds a reason.
    pub(crate) fn name(&self, field: &Field, reasons: &mut Vec<String>) -> String {
        if self.native == Some(self.vendor) {
            return field.raw.clone();
        }
        if let Some(c) = &field.canonical {
            for &s in self.schemas {
                if let Some(a) = alias_for(c, s, self.event) {
                    return a;
                }
            }
            reasons.push(format!(
                "field `{}` ({c}) has no {} name{}; written as `{}`",
                field.raw,
                self.label,
                self.event_note(),
                field.raw
            ));
        } else {
            reasons.push(format!(
                "field `{}` is not in the field taxonomy; written as it is",
                field.raw
            ));
        }
        field.raw.clone()
    }

    fn event_note(&self) -> String {
        self.event.map(|e| format!(" in {e}")).unwrap_or_default()
    }
}

impl Namer<'_> {
    /// Whether the target has a name for `field` (no fallback needed).
    pub(crate) fn has_name(&self, field: &Field) -> bool {
        if self.native == Some(self.vendor) {
            return true;
        }
        field.canonical.as_deref().is_some_and(|c| {
            self.schemas
                .iter()
                .any(|&s| alias_for(c, s, self.event).is_some())
        })
    }
}

/// Fields Elastic rules test to pick the kind of event (`event.type: start`,
/// `host.os.type: windows`, `data_stream.dataset: …`): what a target's table
/// choice stands for.
const ROUTING: [&str; 9] = [
    "event.category",
    "event.type",
    "event.kind",
    "event.module",
    "event.dataset",
    "data_stream.dataset",
    "host.os.type",
    "host.os.family",
    "host.os.platform",
];

/// The expression without its top-level conditions on routing fields the
/// target cannot name (each alternative of a top-level `or` likewise), and
/// a reason when some were left out.
pub(crate) fn prune_routing(e: &Expr, namer: &Namer<'_>, reasons: &mut Vec<String>) -> Expr {
    fn go(e: &Expr, namer: &Namer<'_>, dropped: &mut Vec<String>) -> Expr {
        match e {
            Expr::And(c) => {
                let kept: Vec<Expr> = c
                    .iter()
                    .filter(|x| match x {
                        Expr::Pred(p)
                            if p.field
                                .canonical
                                .as_deref()
                                .is_some_and(|n| ROUTING.contains(&n))
                                && !namer.has_name(&p.field) =>
                        {
                            if !dropped.contains(&p.field.raw) {
                                dropped.push(p.field.raw.clone());
                            }
                            false
                        }
                        _ => true,
                    })
                    .cloned()
                    .collect();
                if kept.is_empty() {
                    e.clone()
                } else {
                    Expr::and(kept)
                }
            }
            Expr::Or(c) => Expr::or(c.iter().map(|x| go(x, namer, dropped)).collect()),
            _ => e.clone(),
        }
    }
    if namer.native == Some(namer.vendor) || namer.vendor == Vendor::Sigma {
        return e.clone();
    }
    let mut dropped = Vec::new();
    let out = go(e, namer, &mut dropped);
    if !dropped.is_empty() {
        reasons.push(format!(
            "conditions on the event-routing fields {} are left out: the table read stands for them",
            dropped
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out
}

/// A piece of a glob pattern in the model's canonical form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Glob {
    Lit(char),
    Star,
    One,
}

/// Split a canonical wildcard value (`*`, `?` wildcards; `\*`, `\?`, `\\` literals).
/// Sysmon's `Initiated` (did the local process open the connection?) is a
/// direction in the target schema: a Sigma equality test on `true`/`false` is
/// rewritten to the target's `(outbound, inbound)` values. `None` leaves the
/// predicate as it is; `Err` is a test that has no direction to compare with.
pub(crate) fn sysmon_initiated(
    vendor: Vendor,
    p: &ruledex_model::Pred,
    (outbound, inbound): (&str, &str),
    target: &str,
) -> Result<Option<ruledex_model::Pred>, String> {
    use ruledex_model::{Op, Value};
    if vendor != Vendor::Sigma
        || !p.field.raw.eq_ignore_ascii_case("Initiated")
        || p.field.canonical.as_deref() != Some("network.direction")
    {
        return Ok(None);
    }
    let direction = |v: &Value| match v {
        Value::Bool(b) => Some(*b),
        Value::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    };
    let values: Option<Vec<Value>> = p
        .values
        .iter()
        .map(|v| direction(v).map(|b| Value::Str(if b { outbound } else { inbound }.into())))
        .collect();
    match (p.op, values) {
        (Op::Eq, Some(values)) if !values.is_empty() && p.transforms.is_empty() => {
            let mut out = p.clone();
            out.values = values;
            out.case_sensitive = false;
            Ok(Some(out))
        }
        _ => Err(format!(
            "Sysmon `Initiated` is compared with {} ({}): only `true`/`false` equality maps to {target} ({outbound}/{inbound})",
            p.values
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            p.op.as_str()
        )),
    }
}

pub(crate) fn glob(pattern: &str) -> Vec<Glob> {
    let mut out = Vec::new();
    let mut it = pattern.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '*' => out.push(Glob::Star),
            '?' => out.push(Glob::One),
            '\\' => match it.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    it.next();
                    out.push(Glob::Lit(n));
                }
                _ => out.push(Glob::Lit('\\')),
            },
            c => out.push(Glob::Lit(c)),
        }
    }
    out
}

/// Whether an empty value passes the predicate's test (`is null`, `== ""`,
/// `contains ""`, a glob of stars, a regex that can match nothing), `None`
/// when that cannot be told (orderings, lookups, field references, transforms).
pub(crate) fn matches_empty(p: &Pred) -> Option<bool> {
    if !p.transforms.is_empty() {
        return None;
    }
    let each = |v: &Value| -> Option<bool> {
        let s = v.as_str();
        Some(match p.op {
            Op::Eq | Op::In => s == Some(""),
            Op::Contains | Op::StartsWith | Op::EndsWith => s?.is_empty(),
            Op::Wildcard => glob(s?).iter().all(|g| matches!(g, Glob::Star)),
            Op::Regex => {
                regex_syntax::ParserBuilder::new()
                    .build()
                    .parse(s?)
                    .ok()?
                    .properties()
                    .minimum_len()
                    == Some(0)
            }
            Op::Exists => matches!(v, Value::Bool(false)),
            _ => return None,
        })
    };
    match p.op {
        Op::IsNull => Some(true),
        Op::IsNotNull => Some(false),
        _ => {
            let mut results = Vec::with_capacity(p.values.len());
            for v in &p.values {
                results.push(each(v)?);
            }
            Some(if p.all {
                results.iter().all(|b| *b)
            } else {
                results.iter().any(|b| *b)
            })
        }
    }
}

/// A glob as an anchored regular expression (`.*`, `.`, literals escaped).
pub(crate) fn glob_regex(pattern: &str) -> String {
    let mut out = String::from("^");
    for g in glob(pattern) {
        match g {
            Glob::Star => out.push_str(".*"),
            Glob::One => out.push('.'),
            Glob::Lit(c) => regex_lit(c, &mut out),
        }
    }
    out.push('$');
    out
}

/// Append `c` to a regular expression as a literal.
pub(crate) fn regex_lit(c: char, out: &mut String) {
    if "\\.+*?()|[]{}^$#&-~".contains(c) {
        out.push('\\');
    }
    out.push(c);
}

/// Whether a regular expression uses only the syntax RE2-family engines
/// (Kusto, the `regex` crate) accept: no look-around, no back-references.
pub(crate) fn re2_compatible(re: &str) -> bool {
    regex_syntax::ParserBuilder::new().build().parse(re).is_ok()
}

/// The inline flags prefix of a regex: `(?i)` unless case-sensitive, plus `m`, `s`.
pub(crate) fn regex_flags(p: &ruledex_model::Pred) -> String {
    let mut f = String::new();
    if !p.case_sensitive {
        f.push('i');
    }
    if p.regex_flags.multiline {
        f.push('m');
    }
    if p.regex_flags.dotall {
        f.push('s');
    }
    if f.is_empty() { f } else { format!("(?{f})") }
}

/// Why an aggregation kind cannot be written as a grouped count.
pub(crate) fn aggregation_unsupported(
    kind: &ruledex_model::AggregationKind,
    sequences: bool,
) -> Option<String> {
    use ruledex_model::AggregationKind as K;
    match kind {
        K::Threshold { .. } | K::EventCount { .. } | K::ValueCount { .. } => None,
        K::NewTerms { .. } | K::Sequence { until: None, .. } if sequences => None,
        K::Sequence { until: Some(_), .. } if sequences => {
            Some("a sequence cancelled by an `until` event is not written by this backend".into())
        }
        K::Temporal { .. } | K::TemporalOrdered { .. } => Some(
            "temporal correlation of other rules' matches is not written by this backend".into(),
        ),
        K::NewTerms { .. } => Some(
            "new-terms detection needs the history of values seen before, which one query does not hold".into(),
        ),
        K::Sequence { .. } => {
            Some("event sequences are not written by this backend".into())
        }
    }
}

/// Why a correlation over other rules cannot be converted: the rules it refers
/// to are not in its file, so its logic holds no condition.
pub(crate) fn correlation_reason(rule: &Rule) -> Option<String> {
    (rule.kind == ruledex_model::RuleKind::Correlation && !rule.logic.expr.has_predicate()).then(|| {
        format!(
            "a correlation over the matches of other rules ({}) is not converted on its own; convert the rules it refers to",
            if rule.applies_to.is_empty() {
                "none named".to_owned()
            } else {
                rule.applies_to.join(", ")
            }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(s: &str) -> Q {
        Q::Leaf(s.into())
    }

    #[test]
    fn kusto_parenthesizes_every_group_and_wraps_not() {
        let q = Q::Or(vec![
            Q::And(vec![
                Q::Or(vec![leaf("a"), leaf("b")]),
                Q::Not(Box::new(Q::Or(vec![leaf("c"), leaf("d")]))),
            ]),
            Q::Or(vec![leaf("e"), leaf("f")]),
        ]);
        assert_eq!(
            print_kusto(&q),
            "((a or b) and (not((c or d)))) or (e or f)"
        );
        assert_eq!(print_kusto(&Q::Not(Box::new(leaf("x")))), "not(x)");
    }

    #[test]
    fn spl_relies_on_or_binding_tighter_than_and() {
        let q = Q::Or(vec![
            Q::And(vec![Q::Or(vec![leaf("a"), leaf("b")]), leaf("c")]),
            Q::Not(Box::new(Q::And(vec![leaf("d"), leaf("e")]))),
        ]);
        assert_eq!(print_spl(&q), "(a OR b c) OR NOT (d e)");
    }

    #[test]
    fn sql_parenthesizes_groups() {
        let q = Q::And(vec![
            Q::Or(vec![leaf("a"), leaf("b")]),
            Q::Not(Box::new(leaf("c"))),
        ]);
        assert_eq!(print_sql(&q, true), "(a OR b) AND (NOT COALESCE(c, FALSE))");
    }

    #[test]
    fn glob_regex_escapes_metacharacters() {
        assert_eq!(glob_regex(r"C:\\*\\a.b?"), r"^C:\\.*\\a\.b.$");
        assert_eq!(glob_regex(r"a\*b(c)"), r"^a\*b\(c\)$");
        assert_eq!(glob_regex(r"x\y"), r"^x\\y$");
    }

    #[test]
    fn re2_rejects_lookaround_and_backreferences() {
        assert!(re2_compatible(r"^a[0-9]{2}\.exe$"));
        assert!(!re2_compatible(r"foo(?!bar)"));
        assert!(!re2_compatible(r"(a)\1"));
    }
}

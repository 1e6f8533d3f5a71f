//! What the four Elastic backends (Lucene, Kibana KQL, EQL, ES|QL) share:
//! ECS field naming, the reading of a predicate's values as literals or
//! wildcard patterns, the walk over a rule's expression with its
//! parenthesization, and the fidelity reasons they have in common.
//!
//! Field names: an Elastic rule's fields are already ECS and are written as
//! the rule wrote them; any other rule's field is written as the taxonomy's
//! ECS alias of its canonical field for the rule's catalog event
//! ([`ruledex_taxonomy::fields::Fields::alias_for`]). A field the taxonomy does
//! not know is written as Winlogbeat stores unknown event data
//! (`winlog.event_data.<name>`) for a Windows rule, and as written otherwise,
//! and the conversion is approximate either way.

use ruledex_model::{
    AggregationKind, Expr, Field, Keyword, Language, Op, Pred, Rule, Transform, Value, Vendor,
};
use ruledex_taxonomy::fields::{FieldType, Fields, Schema};

/// Fields Elastic's Endpoint and Winlogbeat mappings index with a lowercasing
/// `.caseless` multi-field (the ones pySigma's `ecs_windows` pipeline uses):
/// a case-insensitive test on them is exact when written against
/// `<field>.caseless` with a lowercased value.
const CASELESS: &[&str] = &["process.executable", "process.parent.executable"];

/// The state of one conversion: the rule, its event, and the reasons why the
/// query differs from the rule so far.
pub(crate) struct Cx<'r> {
    pub(crate) rule: &'r Rule,
    pub(crate) event: Option<&'r str>,
    pub(crate) reasons: Vec<String>,
}

impl<'r> Cx<'r> {
    pub(crate) fn new(rule: &'r Rule) -> Cx<'r> {
        Cx {
            rule,
            event: rule.events.first().map(String::as_str),
            reasons: Vec::new(),
        }
    }

    /// Note a difference between the query and the rule.
    pub(crate) fn approx(&mut self, reason: impl Into<String>) {
        self.reasons.push(reason.into());
    }

    /// Whether the rule reads Windows data.
    pub(crate) fn is_windows(&self) -> bool {
        self.rule.platforms.iter().any(|p| p == "windows")
            || self.rule.events.iter().any(|e| e.starts_with("windows/"))
            || self
                .rule
                .logsource
                .as_ref()
                .and_then(|l| l.product.as_deref())
                == Some("windows")
    }

    /// The ECS name to write for a field the rule names by value (`fieldref`):
    /// its canonical field as another predicate of the rule resolved it, or as
    /// the rule's vendor names it in the rule's event.
    pub(crate) fn other_field_name(&mut self, raw: &str) -> String {
        let canonical = self
            .rule
            .logic
            .expr
            .preds()
            .iter()
            .find(|q| q.field.raw == raw)
            .and_then(|q| q.field.canonical.clone())
            .or_else(|| {
                Fields::global()
                    .resolve(
                        crate::kusto::vendor_schema(self.rule.vendor),
                        self.event,
                        raw,
                    )
                    .map(str::to_owned)
            });
        self.field_name(&Field {
            raw: raw.to_owned(),
            canonical,
        })
    }

    /// The key under a flattened field that `field` names: what follows the
    /// object prefix of the vendor's alias it resolved through
    /// (`debugContext.debugData.behaviors` under `debugContext.debugData.*` is
    /// `behaviors`); `None` when the rule names the whole object.
    fn flattened_key(&self, field: &Field, canonical: &str) -> Option<String> {
        let schema = crate::kusto::vendor_schema(self.rule.vendor);
        Fields::global()
            .aliases(canonical, schema)
            .iter()
            .filter(|a| a.is_prefix())
            .find_map(|a| {
                let stem = a.stem();
                let head = field.raw.get(..stem.len())?;
                let same = if schema.case_insensitive() {
                    head.eq_ignore_ascii_case(stem)
                } else {
                    head == stem
                };
                let key = field.raw[stem.len()..].strip_prefix('.')?;
                (same && !key.is_empty()).then(|| key.to_owned())
            })
    }

    /// The ECS name to write for `field`.
    pub(crate) fn field_name(&mut self, field: &Field) -> String {
        if self.rule.vendor == Vendor::Elastic {
            return field.raw.clone();
        }
        if let Some(c) = &field.canonical {
            let name = Fields::global()
                .alias_for(c, Schema::Ecs, self.event)
                .unwrap_or(c)
                .to_owned();
            let flattened = Fields::global()
                .canonical(c)
                .is_some_and(|f| f.field_type() == FieldType::Flattened);
            let key = self.flattened_key(field, c);
            if let Some(key) = &key {
                // A flattened field keeps its object's keys as they are, and
                // Elasticsearch queries one key as `<field>.<key>`: on the
                // field itself, or on the flattened copy an ECS alias names
                // (`aws.cloudtrail.flattened.request_parameters.*` beside the
                // keyword `aws.cloudtrail.request_parameters`).
                if flattened {
                    return format!("{name}.{key}");
                }
                let copy = Fields::global()
                    .aliases(c, Schema::Ecs)
                    .iter()
                    .find(|a| a.is_prefix() && a.stem().split('.').any(|part| part == "flattened"));
                if let Some(copy) = copy {
                    return format!("{}.{key}", copy.stem());
                }
            }
            if flattened {
                let reason = format!(
                    "`{}` is one key of the flattened field `{name}`: the query tests every key of it, not only this one",
                    field.raw
                );
                self.approx(reason);
            }
            return name;
        }
        if self.is_windows() {
            self.approx(
                "a field with no ECS mapping in the taxonomy is written as Winlogbeat stores unknown event data (winlog.event_data.<name>)",
            );
            format!("winlog.event_data.{}", field.raw)
        } else {
            self.approx(
                "a field with no ECS mapping in the taxonomy is written under its own name",
            );
            field.raw.clone()
        }
    }
}

/// Whether `name` is a field with a lowercasing `.caseless` multi-field.
pub(crate) fn has_caseless(name: &str) -> bool {
    CASELESS.contains(&name)
}

/// Whether a number or boolean compared with `name` is written as a string:
/// on a field the taxonomy types as a string (`event.code` is a keyword), and
/// on Winlogbeat's event data; bare on a numeric, boolean or IP field. On an
/// unknown field an Elastic rule's own form (bare) is kept, others quote.
pub(crate) fn quote_scalars(rule: &Rule, name: &str) -> bool {
    match Fields::global().canonical(name) {
        Some(f) => matches!(
            f.field_type(),
            FieldType::Keyword
                | FieldType::ConstantKeyword
                | FieldType::Wildcard
                | FieldType::MatchOnlyText
                | FieldType::Text
                | FieldType::Flattened
        ),
        None => name.starts_with("winlog.event_data.") || rule.vendor != Vendor::Elastic,
    }
}

/// Whether case folding changes `s`.
pub(crate) fn has_case(s: &str) -> bool {
    s.chars().any(|c| c.is_lowercase() || c.is_uppercase())
}

/// One piece of a string test: literal text, `*` or `?`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    Lit(String),
    Star,
    One,
}

/// A string value as the test it makes: a whole literal, or a pattern with at
/// least one wildcard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Match {
    Exact(String),
    Glob(Vec<Piece>),
}

impl Match {
    /// The same test with every literal lowercased.
    pub(crate) fn lowercased(&self) -> Match {
        match self {
            Match::Exact(s) => Match::Exact(s.to_lowercase()),
            Match::Glob(ps) => Match::Glob(
                ps.iter()
                    .map(|p| match p {
                        Piece::Lit(s) => Piece::Lit(s.to_lowercase()),
                        other => other.clone(),
                    })
                    .collect(),
            ),
        }
    }

    /// The literal text of the test.
    pub(crate) fn literals(&self) -> String {
        match self {
            Match::Exact(s) => s.clone(),
            Match::Glob(ps) => ps
                .iter()
                .filter_map(|p| match p {
                    Piece::Lit(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect(),
        }
    }

    /// Whether a literal part holds `*` or `?` (which some dialects cannot escape).
    pub(crate) fn has_literal_wildcard(&self) -> bool {
        self.literals().contains(['*', '?'])
    }

    /// The pattern, whatever the test (an exact value is one literal piece).
    #[cfg(test)]
    pub(crate) fn pieces(&self) -> Vec<Piece> {
        match self {
            Match::Exact(s) => vec![Piece::Lit(s.clone())],
            Match::Glob(ps) => ps.clone(),
        }
    }
}

/// Parse the model's canonical wildcard text (`*`, `?`; `\*`, `\?`, `\\` literal).
pub(crate) fn parse_glob(text: &str) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let lit = |out: &mut Vec<Piece>, c: char| {
        if let Some(Piece::Lit(s)) = out.last_mut() {
            s.push(c);
        } else {
            out.push(Piece::Lit(c.to_string()));
        }
    };
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => {
                if out.last() != Some(&Piece::Star) {
                    out.push(Piece::Star);
                }
            }
            '?' => out.push(Piece::One),
            // `\*`, `\?`, `\\` are literals; any other backslash is itself.
            '\\' => match chars.clone().next() {
                Some(n @ ('*' | '?' | '\\')) => {
                    chars.next();
                    lit(&mut out, n);
                }
                _ => lit(&mut out, '\\'),
            },
            c => lit(&mut out, c),
        }
    }
    out
}

/// The string test a value of `op` makes.
pub(crate) fn string_match(op: Op, s: &str) -> Match {
    let lit = || Piece::Lit(s.to_owned());
    match op {
        Op::Contains if s.is_empty() => Match::Glob(vec![Piece::Star]),
        Op::Contains => Match::Glob(vec![Piece::Star, lit(), Piece::Star]),
        Op::StartsWith => Match::Glob(vec![lit(), Piece::Star]),
        Op::EndsWith => Match::Glob(vec![Piece::Star, lit()]),
        Op::Wildcard => {
            let ps = parse_glob(s);
            if ps.iter().any(|p| !matches!(p, Piece::Lit(_))) {
                Match::Glob(ps)
            } else {
                Match::Exact(match ps.first() {
                    Some(Piece::Lit(l)) => l.clone(),
                    _ => String::new(),
                })
            }
        }
        _ => Match::Exact(s.to_owned()),
    }
}

/// One value of a string-family predicate (`eq`, `in`, `contains`, …).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Item {
    Str(Match),
    /// A number or boolean, as written.
    Scalar(String),
    Null,
}

/// Whether `op` is one of the string-matching family `items` reads.
pub(crate) fn is_string_family(op: Op) -> bool {
    matches!(
        op,
        Op::Eq | Op::In | Op::Contains | Op::StartsWith | Op::EndsWith | Op::Wildcard
    )
}

/// The values of a string-family predicate as items.
pub(crate) fn items(p: &Pred) -> Vec<Item> {
    p.values
        .iter()
        .map(|v| match v {
            Value::Str(s) => Item::Str(string_match(p.op, s)),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) if is_string_family(p.op) => {
                if matches!(p.op, Op::Eq | Op::In) {
                    Item::Scalar(v.to_string())
                } else {
                    Item::Str(string_match(p.op, &v.to_string()))
                }
            }
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => Item::Scalar(v.to_string()),
            Value::Null => Item::Null,
        })
        .collect()
}

/// Precedence class of a written expression, for parenthesization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prec {
    /// A single test or a parenthesized group.
    Atom,
    /// A conjunction or disjunction (or, in Lucene, a negation) that needs
    /// parentheses inside another operator.
    Compound,
}

/// A written expression.
pub(crate) struct Out {
    pub(crate) text: String,
    pub(crate) prec: Prec,
}

impl Out {
    pub(crate) fn atom(text: impl Into<String>) -> Out {
        Out {
            text: text.into(),
            prec: Prec::Atom,
        }
    }

    pub(crate) fn compound(text: impl Into<String>) -> Out {
        Out {
            text: text.into(),
            prec: Prec::Compound,
        }
    }

    /// The text, parenthesized when compound.
    pub(crate) fn grouped(&self) -> String {
        match self.prec {
            Prec::Atom => self.text.clone(),
            Prec::Compound => format!("({})", self.text),
        }
    }
}

/// Join `parts` with `sep` (`" AND "`), grouping compound parts; one part stands alone.
pub(crate) fn join(parts: Vec<Out>, sep: &str) -> Out {
    if parts.len() == 1 {
        return parts.into_iter().next().expect("one part");
    }
    let text: Vec<String> = parts.iter().map(Out::grouped).collect();
    Out::compound(text.join(sep))
}

/// What a dialect writes for each node; the walk ([`write_expr`]) does the rest.
pub(crate) trait Dialect {
    /// The conjunction separator, with spaces (`" AND "`).
    const AND: &'static str;
    /// The disjunction separator, with spaces.
    const OR: &'static str;
    /// Write a negation.
    fn not(&self, inner: Out) -> Out;
    /// Write a predicate; `Err` is the reason it cannot be written.
    fn pred(&self, cx: &mut Cx<'_>, p: &Pred) -> Result<Out, String>;
    /// Write a field-less search; `Err` is the reason it cannot be written.
    fn keyword(&self, cx: &mut Cx<'_>, k: &Keyword) -> Result<Out, String>;
}

/// Write `e` in dialect `d`; `Err` is why it cannot be written.
pub(crate) fn write_expr<D: Dialect>(d: &D, cx: &mut Cx<'_>, e: &Expr) -> Result<Out, String> {
    match e {
        Expr::And(c) | Expr::Or(c) if c.is_empty() => Err(
            "the condition is an empty group (matches every event or none), which the query language cannot state"
                .to_owned(),
        ),
        Expr::And(c) => {
            let parts = c
                .iter()
                .map(|x| write_expr(d, cx, x))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(join(parts, D::AND))
        }
        Expr::Or(c) => {
            let parts = c
                .iter()
                .map(|x| write_expr(d, cx, x))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(join(parts, D::OR))
        }
        Expr::Not(inner) => {
            let inner = write_expr(d, cx, inner)?;
            Ok(d.not(inner))
        }
        Expr::Pred(p) => match sysmon_initiated(cx, p)? {
            Some(direction) => d.pred(cx, &direction),
            None => d.pred(cx, p),
        },
        Expr::Keyword(k) => d.keyword(cx, k),
        Expr::Opaque(o) => Err(format!(
            "part of the rule could not be read into the model ({})",
            o.reason
        )),
    }
}

/// For `exists`, `is_null` and `is_not_null`: whether the predicate asks for
/// the field to be present (`exists` with anything but `false`, or
/// `is_not_null`) rather than absent.
pub(crate) fn tests_presence(p: &Pred) -> bool {
    match p.op {
        Op::Exists => !matches!(p.values.first(), Some(Value::Bool(false))),
        Op::IsNotNull => true,
        _ => false,
    }
}

/// Sysmon's `Initiated` lives in ECS `network.direction`, where Winlogbeat's
/// Sysmon module stores `egress` for `true` and `ingress` for `false`.
fn sysmon_initiated(cx: &Cx<'_>, p: &Pred) -> Result<Option<Pred>, String> {
    crate::common::sysmon_initiated(
        cx.rule.vendor,
        p,
        ("egress", "ingress"),
        "ECS network.direction",
    )
}

/// A predicate `op` has no equivalent in the dialect `lang`.
pub(crate) fn no_op(lang: &str, op: Op) -> String {
    match op {
        Op::Lookup => format!("{lang} has no lookup of a named value list (`lookup` predicate)"),
        Op::FieldRef => format!("{lang} cannot compare a field with another field"),
        Op::Regex => format!("{lang} has no regular expressions"),
        other => format!("{lang} cannot express the `{other}` operator here"),
    }
}

/// The predicate applies value transforms the dialect `lang` cannot write.
pub(crate) fn no_transform(lang: &str, p: &Pred) -> String {
    let names: Vec<&str> = p.transforms.iter().map(Transform::name).collect();
    format!(
        "{lang} cannot compare a transformed value ({} of the field)",
        names.join(", ")
    )
}

/// Combine one written test per value: `or` (any) or `and` (all).
pub(crate) fn combine(parts: Vec<Out>, all: bool, and: &str, or: &str) -> Out {
    join(parts, if all { and } else { or })
}

/// A CIDR test as a call `func(f, net, …)` (EQL `cidrMatch`, ES|QL
/// `CIDR_MATCH`, which both take several networks): one call with every
/// network, or one per network joined by `and` when all must hold.
pub(crate) fn cidr_call(
    f: &str,
    p: &Pred,
    func: &str,
    string: fn(&str) -> String,
    and: &str,
) -> Result<Out, String> {
    let nets: Vec<String> = p.values.iter().map(|v| string(&v.to_string())).collect();
    if nets.is_empty() {
        return Err("the predicate has no value".to_owned());
    }
    if p.all {
        let parts = nets
            .iter()
            .map(|n| Out::atom(format!("{func}({f}, {n})")))
            .collect();
        Ok(join(parts, and))
    } else {
        Ok(Out::atom(format!("{func}({f}, {})", nets.join(", "))))
    }
}

/// An ordering (`>`, `>=`, `<`, `<=`) of `f` against each value, strings
/// quoted with the dialect's `string` (EQL, ES|QL).
pub(crate) fn ordering(f: &str, p: &Pred, string: fn(&str) -> String, and: &str, or: &str) -> Out {
    let sym = p.op.ordering_symbol().unwrap_or("<=");
    let parts = p
        .values
        .iter()
        .map(|v| {
            let lit = match v {
                Value::Str(s) => string(s),
                other => other.to_string(),
            };
            Out::atom(format!("{f} {sym} {lit}"))
        })
        .collect();
    combine(parts, p.all, and, or)
}

/// The lowercase index patterns (ES|QL `FROM`) that hold the rule's events:
/// an Elastic rule's own index patterns, else the event's Elastic indices,
/// else the platform's, else `logs-*`.
pub(crate) fn indices(rule: &Rule) -> Vec<String> {
    if rule.vendor == Vendor::Elastic {
        let own: Vec<String> = rule
            .data_sources
            .iter()
            .filter(|d| !d.is_empty() && !d.contains(char::is_whitespace))
            .cloned()
            .collect();
        if !own.is_empty() {
            return own;
        }
    }
    let events = ruledex_taxonomy::events::CatalogEvents::global();
    let mut out: Vec<String> = Vec::new();
    for id in &rule.events {
        if let Some(ev) = events.get(id) {
            for ix in &ev.elastic.indices {
                let p = format!("{ix}-*");
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    let windows = rule.events.iter().any(|e| e.starts_with("windows/"))
        || rule.platforms.iter().any(|p| p == "windows");
    if windows {
        for p in ["logs-windows.*", "winlogbeat-*"] {
            if !out.iter().any(|x| x == p) {
                out.push(p.to_owned());
            }
        }
    }
    if out.is_empty() {
        out.push("logs-*".to_owned());
    }
    out
}

/// The EQL event category of an Elastic EQL rule (`any` included): the one
/// its query names (`process where …`), else the one its catalog events agree on.
pub(crate) fn eql_category(rule: &Rule) -> Option<String> {
    written_category(&rule.text).or_else(|| events_category(rule))
}

/// The `query` of an Elastic rule document (TOML), as written.
fn query_text(document: &str) -> Option<&str> {
    let at = document.find("\nquery = ")? + "\nquery = ".len();
    let rest = &document[at..];
    ["'''", "\"\"\"", "'", "\""].iter().find_map(|delim| {
        let body = rest.strip_prefix(delim)?;
        Some(&body[..body.find(delim)?])
    })
}

/// `word where` at the start of `text` (after white space): the category.
fn category_at(text: &str) -> Option<String> {
    let rest = text.trim_start();
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let after = rest[word.len()..].trim_start();
    let is_where = after
        .strip_prefix("where")
        .is_some_and(|t| t.starts_with(char::is_whitespace));
    (!word.is_empty() && word != "sequence" && word != "sample" && is_where).then_some(word)
}

/// The category an Elastic rule document's EQL `query` starts with, if it is
/// a single-event query: `process` in a query `process where …`.
fn written_category(document: &str) -> Option<String> {
    category_at(query_text(document)?)
}

/// The categories of the bracketed terms (`[process where …]`) of an Elastic
/// rule document's EQL sequence, in order (the `until` term last).
pub(crate) fn written_term_categories(document: &str) -> Vec<String> {
    let Some(q) = query_text(document) else {
        return Vec::new();
    };
    q.match_indices('[')
        .filter_map(|(i, _)| category_at(&q[i + 1..]))
        .collect()
}

/// The EQL event category of the rule's catalog events, when they agree on one.
fn events_category(rule: &Rule) -> Option<String> {
    let events = ruledex_taxonomy::events::CatalogEvents::global();
    let mut cat: Option<&str> = None;
    for id in &rule.events {
        let ev = events.get(id)?;
        let mut own = ev.elastic.categories.first().map(String::as_str);
        if own.is_none() {
            own = ev
                .parent
                .as_deref()
                .and_then(|p| events.get(p))
                .and_then(|p| p.elastic.categories.first().map(String::as_str));
        }
        let own = own?;
        match cat {
            None => cat = Some(own),
            Some(c) if c == own => {}
            Some(_) => return None,
        }
    }
    cat.map(str::to_owned)
}

/// For a language that filters single events only (Lucene, KQL): what the
/// rule's aggregation leaves. A threshold or new-terms rule keeps its event
/// query, approximate with where the rest must be set; anything else cannot
/// be written (`Err`).
pub(crate) fn filter_only_aggregation(lang: &str, rule: &Rule) -> Result<Option<String>, String> {
    let Some(agg) = &rule.logic.aggregation else {
        return Ok(None);
    };
    match &agg.kind {
        AggregationKind::Threshold { .. } => Ok(Some(format!(
            "{lang} cannot count events: the threshold ({agg}) must be set on the rule (an Elastic threshold rule over this query)"
        ))),
        AggregationKind::EventCount { rules } | AggregationKind::ValueCount { rules, .. }
            if rules.is_empty() =>
        {
            Ok(Some(format!(
                "{lang} cannot count events: the count ({agg}) must be set on the rule (an Elastic threshold rule over this query)"
            )))
        }
        AggregationKind::NewTerms { .. } => Ok(Some(format!(
            "{lang} cannot find new terms: the new-terms fields and history ({agg}) must be set on the rule (an Elastic new_terms rule over this query)"
        ))),
        other => Err(no_aggregation(lang, other)),
    }
}

/// Why `lang` cannot write an aggregation of this kind.
pub(crate) fn no_aggregation(lang: &str, kind: &AggregationKind) -> String {
    let rules = match kind {
        AggregationKind::EventCount { rules }
        | AggregationKind::ValueCount { rules, .. }
        | AggregationKind::Temporal { rules }
        | AggregationKind::TemporalOrdered { rules } => rules.as_slice(),
        _ => &[],
    };
    if rules.is_empty() {
        format!(
            "{lang} cannot express an aggregation of kind {}",
            kind_name(kind)
        )
    } else {
        format!(
            "a correlation of other rules ({}: {}) is converted with those rules' conditions, which are not part of this rule",
            kind_name(kind),
            rules.join(", ")
        )
    }
}

/// A readable name of an aggregation kind.
pub(crate) fn kind_name(kind: &AggregationKind) -> &'static str {
    match kind {
        AggregationKind::Threshold { .. } => "threshold",
        AggregationKind::EventCount { .. } => "event count (a correlation of other rules)",
        AggregationKind::ValueCount { .. } => "value count (a correlation of other rules)",
        AggregationKind::Temporal { .. } => "temporal (a correlation of other rules)",
        AggregationKind::TemporalOrdered { .. } => {
            "ordered temporal (a correlation of other rules)"
        }
        AggregationKind::NewTerms { .. } => "new terms",
        AggregationKind::Sequence { .. } => "sequence",
    }
}

/// Winlogbeat's `winlog.channel` for each Windows service of a Sigma log
/// source (the channels Sigma's log-source taxonomy names).
const WINDOWS_CHANNELS: &[(&str, &[&str])] = &[
    ("security", &["Security"]),
    ("system", &["System"]),
    ("application", &["Application"]),
    ("sysmon", &["Microsoft-Windows-Sysmon/Operational"]),
    ("powershell", &["Microsoft-Windows-PowerShell/Operational"]),
    ("powershell-classic", &["Windows PowerShell"]),
    (
        "windefend",
        &["Microsoft-Windows-Windows Defender/Operational"],
    ),
    (
        "codeintegrity-operational",
        &["Microsoft-Windows-CodeIntegrity/Operational"],
    ),
    (
        "appxdeployment-server",
        &["Microsoft-Windows-AppXDeploymentServer/Operational"],
    ),
    (
        "appxpackaging-om",
        &["Microsoft-Windows-AppxPackaging/Operational"],
    ),
    (
        "appmodel-runtime",
        &["Microsoft-Windows-AppModel-Runtime/Admin"],
    ),
    (
        "firewall-as",
        &["Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"],
    ),
    ("msexchange-management", &["MSExchange Management"]),
    (
        "bits-client",
        &["Microsoft-Windows-Bits-Client/Operational"],
    ),
    (
        "dns-client",
        &["Microsoft-Windows-DNS Client Events/Operational"],
    ),
    ("dns-server", &["DNS Server"]),
    (
        "iis-configuration",
        &["Microsoft-IIS-Configuration/Operational"],
    ),
    (
        "taskscheduler",
        &["Microsoft-Windows-TaskScheduler/Operational"],
    ),
    ("ntlm", &["Microsoft-Windows-NTLM/Operational"]),
    ("wmi", &["Microsoft-Windows-WMI-Activity/Operational"]),
    (
        "security-mitigations",
        &[
            "Microsoft-Windows-Security-Mitigations/Kernel Mode",
            "Microsoft-Windows-Security-Mitigations/User Mode",
        ],
    ),
    (
        "applocker",
        &[
            "Microsoft-Windows-AppLocker/MSI and Script",
            "Microsoft-Windows-AppLocker/EXE and DLL",
            "Microsoft-Windows-AppLocker/Packaged app-Deployment",
            "Microsoft-Windows-AppLocker/Packaged app-Execution",
        ],
    ),
    (
        "terminalservices-localsessionmanager",
        &["Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"],
    ),
    (
        "smbserver-connectivity",
        &["Microsoft-Windows-SmbServer/Connectivity"],
    ),
    (
        "smbclient-security",
        &["Microsoft-Windows-SmbClient/Security"],
    ),
    ("shell-core", &["Microsoft-Windows-Shell-Core/Operational"]),
    ("openssh", &["OpenSSH/Operational"]),
    (
        "microsoft-servicebus-client",
        &["Microsoft-ServiceBus-Client"],
    ),
    ("servicebus-client", &["Microsoft-ServiceBus-Client"]),
    ("lsa-server", &["Microsoft-Windows-LSA/Operational"]),
    ("ldap", &["Microsoft-Windows-LDAP-Client/Debug"]),
    ("ldap_debug", &["Microsoft-Windows-LDAP-Client/Debug"]),
    (
        "driver-framework",
        &["Microsoft-Windows-DriverFrameworks-UserMode/Operational"],
    ),
    (
        "diagnosis-scripted",
        &["Microsoft-Windows-Diagnosis-Scripted/Operational"],
    ),
    (
        "certificateservicesclient-lifecycle-system",
        &["Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"],
    ),
    ("capi2", &["Microsoft-Windows-CAPI2/Operational"]),
    (
        "printservice-admin",
        &["Microsoft-Windows-PrintService/Admin"],
    ),
    (
        "printservice-operational",
        &["Microsoft-Windows-PrintService/Operational"],
    ),
];

/// The `winlog.channel` values of a Sigma rule's Windows service, if it names one.
pub(crate) fn windows_channels(rule: &Rule) -> Option<Result<&'static [&'static str], String>> {
    let ls = rule.logsource.as_ref()?;
    if rule.vendor != Vendor::Sigma || ls.product.as_deref() != Some("windows") {
        return None;
    }
    let service = ls.service.as_deref()?;
    Some(
        WINDOWS_CHANNELS
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(service))
            .map(|(_, c)| *c)
            .ok_or_else(|| service.to_owned()),
    )
}

/// The expression to write for the rule's single events:
/// - a Sigma rule on a Windows service also tests Winlogbeat's
///   `winlog.channel` (as pySigma's `ecs_windows` does): every channel shares
///   one index, and event ids repeat across channels;
/// - with `with_category`, an EQL rule's event category (`process where`),
///   which lowering keeps out of the expression, is added back as an
///   `event.category` test (for the languages with no `where` category).
pub(crate) fn event_expr(cx: &mut Cx<'_>, with_category: bool) -> Expr {
    let mut expr = cx.rule.logic.expr.clone();
    match windows_channels(cx.rule) {
        Some(Ok(channels)) => {
            let values = channels.iter().map(|c| Value::from(*c)).collect();
            let field = Field {
                raw: "winlog.channel".to_owned(),
                canonical: Some("winlog.channel".to_owned()),
            };
            let mut p = Pred::new(field, Op::In, values);
            p.case_sensitive = true;
            expr = Expr::and(vec![Expr::Pred(p), expr]);
        }
        Some(Err(service)) => cx.approx(format!(
            "the Windows channel of the log source's service `{service}` is not known; the query does not test winlog.channel"
        )),
        None => {}
    }
    if !with_category || cx.rule.vendor != Vendor::Elastic || cx.rule.language != Language::Eql {
        return expr;
    }
    match eql_category(cx.rule) {
        Some(cat) if cat == "any" => expr,
        Some(cat) => Expr::and(vec![
            Expr::Pred({
                let mut p = Pred::new(Field::raw("event.category"), Op::Eq, vec![cat.into()]);
                p.case_sensitive = true;
                p
            }),
            expr,
        ]),
        None => {
            cx.approx(
                "the EQL event category of the original query is not kept in the model; the query tests no event.category",
            );
            expr
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_text_reads_escapes() {
        assert_eq!(
            parse_glob(r"a\*b*c?\\"),
            vec![
                Piece::Lit("a*b".into()),
                Piece::Star,
                Piece::Lit("c".into()),
                Piece::One,
                Piece::Lit("\\".into()),
            ]
        );
    }

    #[test]
    fn glob_backslash_before_other_characters_is_literal() {
        assert_eq!(
            parse_glob(r"C:\Program*"),
            vec![Piece::Lit(r"C:\Program".into()), Piece::Star]
        );
    }

    #[test]
    fn wildcard_without_wildcards_is_exact() {
        assert_eq!(
            string_match(Op::Wildcard, r"a\*"),
            Match::Exact("a*".into())
        );
        assert_eq!(
            string_match(Op::EndsWith, "x"),
            Match::Glob(vec![Piece::Star, Piece::Lit("x".into())])
        );
    }

    #[test]
    fn category_is_read_from_the_rule_document() {
        let doc = "[rule]\nquery = '''\nprocess where process.name == \"x\"\n'''\n";
        assert_eq!(written_category(doc).as_deref(), Some("process"));
        let doc = "[rule]\nquery = '''\nany where true\n'''\n";
        assert_eq!(written_category(doc).as_deref(), Some("any"));
        let doc = "[rule]\nquery = '''\nsequence by host.id [any where true]\n'''\n";
        assert_eq!(written_category(doc), None);
        assert_eq!(written_category("query: process where x"), None);
        let doc = "[rule]\nquery = '''\nsequence [process where a] [ network where b] until [file where c]\n'''\n";
        assert_eq!(written_term_categories(doc), ["process", "network", "file"]);
    }

    #[test]
    fn case_detection() {
        assert!(has_case("cmd.exe"));
        assert!(!has_case(" > \\\\ 4000"));
    }
}

//! The `detection` section: selections, field values with their modifiers,
//! and the condition that combines them.

use ruledex_diag::Span;
use ruledex_model::{
    Aggregation, AggregationKind, Comparison, Expr, Field, Keyword, Logic, Op, Pred, RegexFlags,
    Value,
};
use saphyr::{Scalar, YamlData};

use crate::condition::{self, Cond, Quantifier};
use crate::error::{Error, ErrorKind};
use crate::modifiers::wildcard::SigmaString;
use crate::modifiers::{Chain, Position, Special, encoding, windash};
use crate::yaml::{
    Node, Source, as_str, entries as entries_of, is_null, items, scalar_text, window,
};

/// Longest value `windash` expands (each value may be copied 625 times).
const MAX_WINDASH_VALUE: usize = 64 << 10;

/// Deepest nesting of groups accepted in one regular expression.
const REGEX_NEST_LIMIT: u32 = 100;

/// One named selection, lowered.
pub(crate) struct Selection {
    pub(crate) name: String,
    pub(crate) expr: Expr,
}

/// Lower a `detection` mapping (already merged with any global document) into logic.
///
/// `entries` are the mapping's key/value nodes; `anchor` is the span reported
/// when the condition is missing.
pub(crate) fn lower_detection(
    src: &Source<'_>,
    entries: &[(&Node<'_>, &Node<'_>)],
    anchor: Span,
    warnings: &mut Vec<Error>,
) -> Result<Logic, Error> {
    let mut selections = Vec::new();
    let mut conditions: Vec<&Node<'_>> = Vec::new();
    let mut timeframe = None;
    // A selection named in several layers of a multi-document collection
    // (`action: global`) is deep-merged when each layer gives a mapping; a
    // later non-mapping value replaces it. Later layers win field by field.
    let mut grouped: Vec<(&Node<'_>, Vec<&Node<'_>>)> = Vec::new();
    for (k, v) in entries {
        match grouped
            .iter_mut()
            .find(|(gk, _)| as_str(gk).is_some() && as_str(gk) == as_str(k))
        {
            Some((gk, values)) => {
                let mergeable =
                    entries_of(v).is_some() && values.iter().all(|n| entries_of(n).is_some());
                if !mergeable {
                    values.clear();
                }
                *gk = k;
                values.push(v);
            }
            None => grouped.push((k, vec![v])),
        }
    }
    for (k, values) in &grouped {
        let (k, v) = (*k, *values.last().expect("at least one value"));
        let Some(name) = as_str(k) else {
            return Err(Error::new(
                ErrorKind::WrongType {
                    key: "detection".into(),
                    expected: "a mapping with string keys",
                },
                src.span(k),
            ));
        };
        match name {
            "condition" => match items(v) {
                Some(list) => conditions.extend(list.iter()),
                None => conditions.push(v),
            },
            "timeframe" => timeframe = Some(window(src, v)?),
            _ if values.len() > 1 => selections.push(Selection {
                name: name.to_owned(),
                expr: lower_merged_selection(src, values, warnings)?,
            }),
            _ => selections.push(Selection {
                name: name.to_owned(),
                expr: lower_selection(src, name, k, v, warnings)?,
            }),
        }
    }
    if conditions.is_empty() {
        return Err(Error::new(
            ErrorKind::MissingKey { key: "condition" },
            anchor,
        ));
    }
    let mut exprs = Vec::new();
    let mut aggregation = None;
    let mut budget = Budget { used: 0 };
    for c in conditions {
        let Some(text) = as_str(c) else {
            return Err(Error::new(
                ErrorKind::WrongType {
                    key: "condition".into(),
                    expected: "a string or a list of strings",
                },
                src.span(c),
            ));
        };
        let span = src.span(c);
        let raw = span.slice(src.text).unwrap_or_default();
        let off = raw_offset(raw, text);
        let map = condition::position_map(text, &raw[off..], span.start as usize + off);
        let (cond, agg) = condition::parse_mapped(text, &map)?;
        exprs.push(resolve(&cond, &selections, &mut budget)?);
        if let Some(a) = agg {
            let kind = match a.field {
                Some(f) => AggregationKind::ValueCount {
                    field: Field::raw(f),
                    rules: Vec::new(),
                },
                None => AggregationKind::EventCount { rules: Vec::new() },
            };
            aggregation = Some(Aggregation {
                kind,
                group_by: a.group_by.into_iter().map(Field::raw).collect(),
                window: timeframe.clone(),
                condition: vec![Comparison {
                    op: a.op,
                    value: a.value,
                }],
                metrics: Vec::new(),
                having: None,
            });
        }
    }
    Ok(Logic {
        expr: Expr::or(exprs),
        aggregation,
    })
}

/// Where the decoded text of a scalar starts inside its raw text: after an
/// opening quote or a block indicator line (`|`, `>-`).
fn raw_offset(raw: &str, decoded: &str) -> usize {
    let first = decoded.split_whitespace().next().unwrap_or("");
    if first.is_empty() {
        return 0;
    }
    raw.find(first).unwrap_or(0)
}

/// Most expression nodes one condition may expand to. Each mention of a
/// selection copies it, so `1 of them` repeated over many selections could
/// otherwise grow without bound.
pub(crate) const MAX_CONDITION_NODES: usize = 200_000;

/// Count the nodes a resolved condition produces, failing past the limit.
struct Budget {
    used: usize,
}

impl Budget {
    fn spend(&mut self, e: &Expr, span: Span) -> Result<(), Error> {
        let mut n = 0;
        e.visit(&mut |_| n += 1);
        self.used += n;
        if self.used > MAX_CONDITION_NODES {
            return Err(Error::new(
                ErrorKind::ConditionTooLarge {
                    limit: MAX_CONDITION_NODES,
                },
                span,
            ));
        }
        Ok(())
    }
}

/// Turn a parsed condition into an expression over the lowered selections.
fn resolve(cond: &Cond, selections: &[Selection], budget: &mut Budget) -> Result<Expr, Error> {
    Ok(match cond {
        Cond::And(terms) => Expr::and(
            terms
                .iter()
                .map(|t| resolve(t, selections, budget))
                .collect::<Result<_, _>>()?,
        ),
        Cond::Or(terms) => Expr::or(
            terms
                .iter()
                .map(|t| resolve(t, selections, budget))
                .collect::<Result<_, _>>()?,
        ),
        Cond::Not(a) => Expr::not(resolve(a, selections, budget)?),
        Cond::Name(name, span) => {
            let sel = selections.iter().find(|s| &s.name == name).ok_or_else(|| {
                Error::new(ErrorKind::UnknownSelection { name: name.clone() }, *span)
            })?;
            budget.spend(&sel.expr, *span)?;
            sel.expr.clone()
        }
        Cond::Of(q, pattern, span) => {
            let matched: Vec<Expr> = selections
                .iter()
                .filter(|s| match pattern {
                    // `them` leaves out selections whose name starts with `_`.
                    None => !s.name.starts_with('_'),
                    Some(p) => condition::pattern_matches(p, &s.name),
                })
                .map(|s| s.expr.clone())
                .collect();
            if matched.is_empty() {
                return Err(Error::new(
                    ErrorKind::NoSelectionMatches {
                        pattern: pattern.clone().unwrap_or_else(|| "them".into()),
                    },
                    *span,
                ));
            }
            for m in &matched {
                budget.spend(m, *span)?;
            }
            match q {
                Quantifier::One => Expr::or(matched),
                Quantifier::All => Expr::and(matched),
            }
        }
    })
}

/// Lower a selection given as several mappings (global + rule documents):
/// their fields are combined, a later mapping's field replacing an earlier one.
fn lower_merged_selection(
    src: &Source<'_>,
    values: &[&Node<'_>],
    warnings: &mut Vec<Error>,
) -> Result<Expr, Error> {
    let mut fields: Vec<(&Node<'_>, &Node<'_>)> = Vec::new();
    for v in values {
        for (k, fv) in entries_of(v).unwrap_or_default() {
            fields.retain(|(fk, _)| scalar_text(fk) != scalar_text(k));
            fields.push((k, fv));
        }
    }
    let mut parts = Vec::with_capacity(fields.len());
    for (k, v) in fields {
        parts.push(lower_field(src, k, v, warnings)?);
    }
    Ok(Expr::and(parts))
}

/// Lower one selection: a mapping (all fields must match), a list (any item
/// must match; plain strings are keywords), or a single keyword.
fn lower_selection(
    src: &Source<'_>,
    name: &str,
    key: &Node<'_>,
    node: &Node<'_>,
    warnings: &mut Vec<Error>,
) -> Result<Expr, Error> {
    let empty = || {
        Error::new(
            ErrorKind::EmptySelection {
                name: name.to_owned(),
            },
            src.span(key).cover(src.span(node)),
        )
    };
    match &node.data {
        YamlData::Mapping(m) => {
            if m.is_empty() {
                return Err(empty());
            }
            let mut parts = Vec::with_capacity(m.len());
            for (k, v) in m {
                parts.push(lower_field(src, k, v, warnings)?);
            }
            Ok(Expr::and(parts))
        }
        YamlData::Sequence(list) => {
            if list.is_empty() {
                return Err(empty());
            }
            if list.iter().all(|n| scalar_text(n).is_some()) {
                let refs: Vec<&Node<'_>> = list.iter().collect();
                return lower_keywords(src, None, &refs, &Chain::default(), warnings);
            }
            let mut alternatives = Vec::with_capacity(list.len());
            for item in list {
                match &item.data {
                    YamlData::Mapping(m) if !m.is_empty() => {
                        let mut parts = Vec::with_capacity(m.len());
                        for (k, v) in m {
                            parts.push(lower_field(src, k, v, warnings)?);
                        }
                        alternatives.push(Expr::and(parts));
                    }
                    _ if scalar_text(item).is_some() => {
                        alternatives.push(lower_keywords(
                            src,
                            None,
                            &[item],
                            &Chain::default(),
                            warnings,
                        )?);
                    }
                    _ => {
                        return Err(Error::new(
                            ErrorKind::WrongType {
                                key: name.to_owned(),
                                expected: "a list of field mappings or keywords",
                            },
                            src.span(item),
                        ));
                    }
                }
            }
            Ok(Expr::or(alternatives))
        }
        _ if scalar_text(node).is_some() => {
            lower_keywords(src, None, &[node], &Chain::default(), warnings)
        }
        _ => Err(empty()),
    }
}

/// Keywords: values searched for anywhere in the event. A plain value is a
/// substring search; wildcards make it a pattern. String modifiers
/// (`base64`, `windash`, `re`, …) apply as they do to fields; modifiers that
/// need a field (`exists`, `gt`, `cidr`, `fieldref`, `expand`, `neq`) are errors.
fn lower_keywords(
    src: &Source<'_>,
    key_span: Option<Span>,
    values: &[&Node<'_>],
    chain: &Chain,
    warnings: &mut Vec<Error>,
) -> Result<Expr, Error> {
    let span = values
        .iter()
        .map(|n| src.span(n))
        .chain(key_span)
        .reduce(Span::cover)
        .unwrap_or_default();
    let field_only = match chain.special {
        Some(Special::Exists) => Some("exists"),
        Some(Special::Compare(op)) => Some(match op {
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Lt => "lt",
            _ => "lte",
        }),
        Some(Special::Cidr) => Some("cidr"),
        Some(Special::FieldRef) => Some("fieldref"),
        Some(Special::Expand) => Some("expand"),
        _ if chain.neq => Some("neq"),
        _ if chain.time_part.is_some() => chain.time_part,
        _ => None,
    };
    if let Some(modifier) = field_only {
        return Err(Error::new(
            ErrorKind::InvalidModifierValue {
                modifier: modifier.to_owned(),
                expected: "a field (it cannot apply to a field-less keyword)",
                found: values
                    .first()
                    .and_then(|n| scalar_text(n))
                    .unwrap_or_default(),
            },
            span,
        ));
    }
    // A keyword is a substring search unless a position modifier says otherwise.
    let mut chain = chain.clone();
    if chain.position.is_none() && !matches!(chain.special, Some(Special::Regex { .. })) {
        chain.position = Some(Position::Contains);
    }
    let mut variants = Vec::with_capacity(values.len());
    for node in values {
        if is_null(node) {
            return Err(Error::new(
                ErrorKind::InvalidModifierValue {
                    modifier: "keyword".into(),
                    expected: "a string",
                    found: "null".into(),
                },
                src.span(node),
            ));
        }
        variants.push(lower_value(src, &chain, node, warnings)?);
    }
    let case_sensitive = match chain.special {
        Some(Special::Regex { i, .. }) => !i,
        _ => chain.cased,
    };
    let exprs = group(variants, chain.all)
        .into_iter()
        .map(|(op, values, all)| {
            Expr::Keyword(Keyword {
                op,
                values,
                case_sensitive,
                all,
                span: Some(span),
            })
        })
        .collect();
    Ok(if chain.all {
        Expr::and(exprs)
    } else {
        Expr::or(exprs)
    })
}

/// Group per-value variants into (op, values, all) predicates.
///
/// Without `all`, every variant of every value is an alternative, so variants
/// are pooled by operator. With `all`, each value must match; a value with
/// several variants (windash, base64offset) becomes its own any-of group.
fn group(variants: Vec<Vec<(Op, Value)>>, all: bool) -> Vec<(Op, Vec<Value>, bool)> {
    fn pool(vs: impl IntoIterator<Item = (Op, Value)>, all: bool) -> Vec<(Op, Vec<Value>, bool)> {
        let mut out: Vec<(Op, Vec<Value>, bool)> = Vec::new();
        for (op, v) in vs {
            match out.iter_mut().find(|(o, _, _)| *o == op) {
                Some((_, values, _)) => values.push(v),
                None => out.push((op, vec![v], all)),
            }
        }
        for (_, values, a) in &mut out {
            if values.len() < 2 {
                *a = false;
            }
        }
        out
    }
    if !all || variants.iter().all(|v| v.len() == 1) {
        return pool(variants.into_iter().flatten(), all);
    }
    variants.into_iter().flat_map(|v| pool(v, false)).collect()
}

/// Lower `field|modifiers: value(s)`.
fn lower_field(
    src: &Source<'_>,
    key: &Node<'_>,
    value: &Node<'_>,
    warnings: &mut Vec<Error>,
) -> Result<Expr, Error> {
    let key_span = src.span(key);
    let Some(key_text) = scalar_text(key) else {
        return Err(Error::new(
            ErrorKind::WrongType {
                key: "selection".into(),
                expected: "a mapping with field names as keys",
            },
            key_span,
        ));
    };
    let mut parts = key_text.split('|');
    let field = parts.next().unwrap_or_default().to_owned();
    let mods: Vec<&str> = parts.collect();
    let chain = Chain::parse(&mods, key_span)?;
    let span = key_span.cover(src.span(value));

    let nodes: Vec<&Node<'_>> = match items(value) {
        Some([]) => {
            return Err(Error::new(ErrorKind::EmptyValueList { field }, span));
        }
        Some(list) => list.iter().collect(),
        None => vec![value],
    };
    for n in &nodes {
        if matches!(n.data, YamlData::Mapping(_) | YamlData::Sequence(_)) {
            return Err(Error::new(
                ErrorKind::WrongType {
                    key: key_text.clone(),
                    expected: "a scalar or a list of scalars",
                },
                src.span(n),
            ));
        }
    }

    if field.is_empty() {
        return lower_keywords(src, Some(key_span), &nodes, &chain, warnings);
    }
    if let Some(part) = chain.time_part {
        let text = span.slice(src.text).unwrap_or_default();
        return Ok(Expr::opaque(
            format!("Sigma time-part modifier `{part}` is not represented in the model yet"),
            text,
            Some(span),
        ));
    }

    let mut variants = Vec::with_capacity(nodes.len());
    for n in &nodes {
        variants.push(lower_value(src, &chain, n, warnings)?);
    }
    let within = match chain.special {
        Some(Special::FieldRef | Special::Expand) => chain.position.map(Position::op),
        _ => None,
    };
    let (case_sensitive, regex_flags) = match chain.special {
        Some(Special::Regex { i, m, s }) => (
            !i,
            RegexFlags {
                multiline: m,
                dotall: s,
            },
        ),
        _ => (chain.cased, RegexFlags::default()),
    };
    let preds: Vec<Expr> = group(variants, chain.all)
        .into_iter()
        .map(|(op, values, all)| {
            let mut p = Pred::new(Field::raw(field.clone()), op, values).with_span(span);
            p.all = all;
            p.case_sensitive = case_sensitive && !matches!(op, Op::IsNull | Op::Exists | Op::Cidr);
            p.regex_flags = regex_flags;
            p.within = within;
            Expr::Pred(p)
        })
        .collect();
    let combined = if chain.all {
        Expr::and(preds)
    } else {
        Expr::or(preds)
    };
    Ok(if chain.neq {
        Expr::not(combined)
    } else {
        combined
    })
}

/// The (operator, value) variants one written value stands for.
fn lower_value(
    src: &Source<'_>,
    chain: &Chain,
    node: &Node<'_>,
    warnings: &mut Vec<Error>,
) -> Result<Vec<(Op, Value)>, Error> {
    let span = src.span(node);
    // Sigma values are strings: a number keeps the digits as written
    // (`00000429` stays `00000429`, not 429).
    let text = match node.data {
        YamlData::Value(Scalar::Integer(_) | Scalar::FloatingPoint(_)) => span
            .slice(src.text)
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .or_else(|| scalar_text(node)),
        _ => scalar_text(node),
    };
    let invalid = |modifier: &str, expected: &'static str| {
        Error::new(
            ErrorKind::InvalidModifierValue {
                modifier: modifier.to_owned(),
                expected,
                found: text.clone().unwrap_or_else(|| "null".into()),
            },
            span,
        )
    };
    match chain.special {
        Some(Special::Exists) => {
            return match node.data {
                YamlData::Value(Scalar::Boolean(b)) => Ok(vec![(Op::Exists, Value::Bool(b))]),
                _ => Err(invalid("exists", "`true` or `false`")),
            };
        }
        Some(Special::Compare(op)) => {
            let name = op.as_str().replace('_', "");
            return match &node.data {
                YamlData::Value(Scalar::Integer(i)) => Ok(vec![(op, Value::Int(*i))]),
                YamlData::Value(Scalar::FloatingPoint(f)) if f.is_finite() => {
                    Ok(vec![(op, Value::Float(f.into_inner()))])
                }
                YamlData::Value(Scalar::String(s)) => {
                    match (s.trim().parse::<i64>(), s.trim().parse::<f64>()) {
                        (Ok(i), _) => Ok(vec![(op, Value::Int(i))]),
                        (_, Ok(f)) if f.is_finite() => Ok(vec![(op, Value::Float(f))]),
                        _ => Err(invalid(&name, "a number")),
                    }
                }
                _ => Err(invalid(&name, "a number")),
            };
        }
        _ => {}
    }
    if is_null(node) {
        let modifier = match (chain.position, chain.special) {
            (Some(Position::Contains), _) => Some("contains"),
            (Some(Position::StartsWith), _) => Some("startswith"),
            (Some(Position::EndsWith), _) => Some("endswith"),
            (_, Some(_)) => Some("re/cidr/fieldref/expand"),
            _ if chain.windash => Some("windash"),
            _ if !chain.encodings.is_empty() => Some("base64/utf16"),
            _ => None,
        };
        if let Some(m) = modifier {
            return Err(invalid(
                m,
                "a value, not null (null is only compared for equality)",
            ));
        }
        return Ok(vec![(Op::IsNull, Value::Null)]);
    }
    let Some(text) = text.clone() else {
        return Err(invalid("value", "a scalar"));
    };
    match chain.special {
        Some(Special::Regex { i, m, s }) => {
            check_regex(&text, i, m, s, span, warnings)?;
            Ok(vec![(Op::Regex, Value::Str(text))])
        }
        Some(Special::Cidr) => {
            let t = text.trim();
            let ok = t.parse::<ipnet::IpNet>().is_ok() || t.parse::<std::net::IpAddr>().is_ok();
            if ok {
                Ok(vec![(Op::Cidr, Value::Str(t.to_owned()))])
            } else {
                Err(Error::new(ErrorKind::InvalidCidr { value: text }, span))
            }
        }
        Some(Special::FieldRef) => Ok(vec![(Op::FieldRef, Value::Str(text))]),
        Some(Special::Expand) => Ok(vec![(Op::Lookup, Value::Str(text))]),
        _ => {
            // Typed scalars with no string modifier keep their type.
            let plain = chain.position.is_none() && chain.encodings.is_empty() && !chain.windash;
            if plain {
                match node.data {
                    YamlData::Value(Scalar::Integer(i)) => {
                        // Leading zeros are part of the value: keep it a string.
                        let digits = text.strip_prefix('-').unwrap_or(&text);
                        if digits.len() > 1
                            && digits.starts_with('0')
                            && digits.bytes().all(|b| b.is_ascii_digit())
                        {
                            return Ok(vec![(Op::Eq, Value::Str(text))]);
                        }
                        return Ok(vec![(Op::Eq, Value::Int(i))]);
                    }
                    YamlData::Value(Scalar::FloatingPoint(f)) => {
                        // An integer too large for 64 bits keeps its digits rather than rounding.
                        let raw = span.slice(src.text).unwrap_or_default();
                        let digits = raw.strip_prefix('-').unwrap_or(raw);
                        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                            return Ok(vec![(Op::Eq, Value::Str(raw.to_owned()))]);
                        }
                        return Ok(vec![(Op::Eq, Value::Float(f.into_inner()))]);
                    }
                    YamlData::Value(Scalar::Boolean(b)) => {
                        return Ok(vec![(Op::Eq, Value::Bool(b))]);
                    }
                    _ => {}
                }
            }
            if chain.windash && text.len() > MAX_WINDASH_VALUE {
                return Err(invalid("windash", "a value shorter than 64 KiB"));
            }
            let parsed = SigmaString::parse(&text);
            let mut strings = if chain.windash {
                windash::expand(&parsed)
                    .ok_or_else(|| invalid("windash", "at most 4 flag prefixes in one value"))?
            } else {
                vec![parsed]
            };
            if !chain.encodings.is_empty() {
                let mut encoded = Vec::new();
                for s in strings {
                    let lit = s
                        .as_literal()
                        .ok_or_else(|| invalid("base64", "a value without wildcards"))?;
                    let out = encoding::encode(&lit, &chain.encodings)
                        .ok_or_else(|| invalid("utf16", "base64 or base64offset after it"))?;
                    encoded.extend(out.iter().map(|e| SigmaString::literal(e)));
                }
                strings = encoded;
            }
            Ok(strings
                .into_iter()
                .map(|s| {
                    let (op, v) = s.anchor(chain.position).reduce();
                    (op, Value::Str(v))
                })
                .collect())
        }
    }
}

/// Parse a regular expression to check its syntax (compiling is the engine's
/// job). Look-around and back-references are valid in the SIEMs rules target
/// but not in the `regex` crate: those are kept, with a warning, rather than
/// rejected.
fn check_regex(
    pattern: &str,
    i: bool,
    m: bool,
    s: bool,
    span: Span,
    warnings: &mut Vec<Error>,
) -> Result<(), Error> {
    use regex_syntax::ast::ErrorKind as AstKind;
    let parsed = regex_syntax::ParserBuilder::new()
        .case_insensitive(i)
        .multi_line(m)
        .dot_matches_new_line(s)
        .nest_limit(REGEX_NEST_LIMIT)
        .build()
        .parse(pattern);
    match parsed {
        Ok(_) => Ok(()),
        Err(regex_syntax::Error::Parse(e))
            if matches!(
                e.kind(),
                AstKind::UnsupportedLookAround | AstKind::UnsupportedBackreference
            ) =>
        {
            warnings.push(Error::new(
                ErrorKind::RegexUnsupportedByEngine {
                    pattern: pattern.to_owned(),
                },
                span,
            ));
            Ok(())
        }
        Err(e) => Err(Error::new(
            ErrorKind::InvalidRegex {
                pattern: pattern.to_owned(),
                message: e.to_string(),
            },
            span,
        )),
    }
}

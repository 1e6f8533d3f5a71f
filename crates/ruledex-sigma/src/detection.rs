//! The `detection` section: selections, field values with their modifiers,
//! and the condition that combines them.

use ruledex_diag::Span;
use ruledex_model::{
    Aggregation, AggregationKind, Comparison, Expr, Field, Keyword, Logic, Op, Pred, RegexFlags,
    Value, Window,
};
use saphyr::{Scalar, YamlData};

use crate::condition::{self, Cond, Quantifier};
use crate::error::{Error, ErrorKind};
use crate::modifiers::wildcard::SigmaString;
use crate::modifiers::{Chain, Position, Special, encoding, windash};
use crate::yaml::{Node, Source, as_str, is_null, items, scalar_text};

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
    for (k, v) in entries {
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
            "timeframe" => {
                let text = scalar_text(v).unwrap_or_default();
                let w = Window::parse(&text);
                if w.seconds.is_none() {
                    return Err(Error::new(
                        ErrorKind::InvalidTimespan { value: text },
                        src.span(v),
                    ));
                }
                timeframe = Some(w);
            }
            // `rules` belongs to filter documents, handled by the caller.
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
        let base = condition_base(src, c, text);
        let (cond, agg) = condition::parse(text, base)?;
        exprs.push(resolve(&cond, &selections)?);
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
            });
        }
    }
    Ok(Logic {
        expr: Expr::or(exprs),
        aggregation,
    })
}

/// Byte offset of the condition text inside the file (skipping quotes or a block indicator).
fn condition_base(src: &Source<'_>, node: &Node<'_>, text: &str) -> usize {
    let span = src.span(node);
    let raw = span.slice(src.text).unwrap_or("");
    let first_line = text.lines().next().unwrap_or("");
    let skip = if first_line.is_empty() {
        None
    } else {
        raw.find(first_line)
    };
    span.start as usize + skip.unwrap_or(0)
}

/// Turn a parsed condition into an expression over the lowered selections.
fn resolve(cond: &Cond, selections: &[Selection]) -> Result<Expr, Error> {
    Ok(match cond {
        Cond::And(a, b) => Expr::and(vec![resolve(a, selections)?, resolve(b, selections)?]),
        Cond::Or(a, b) => Expr::or(vec![resolve(a, selections)?, resolve(b, selections)?]),
        Cond::Not(a) => Expr::not(resolve(a, selections)?),
        Cond::Name(name, span) => selections
            .iter()
            .find(|s| &s.name == name)
            .map(|s| s.expr.clone())
            .ok_or_else(|| Error::new(ErrorKind::UnknownSelection { name: name.clone() }, *span))?,
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
            match q {
                Quantifier::One => Expr::or(matched),
                Quantifier::All => Expr::and(matched),
            }
        }
    })
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
                return Ok(lower_keywords(src, list, &Chain::default()));
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
                            std::slice::from_ref(item),
                            &Chain::default(),
                        ));
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
        _ if scalar_text(node).is_some() => Ok(lower_keywords(
            src,
            std::slice::from_ref(node),
            &Chain::default(),
        )),
        _ => Err(empty()),
    }
}

/// Keywords: values searched for anywhere in the event. A plain value is a
/// substring search; wildcards make it a pattern.
fn lower_keywords(src: &Source<'_>, values: &[Node<'_>], chain: &Chain) -> Expr {
    let mut variants: Vec<Vec<(Op, Value)>> = Vec::with_capacity(values.len());
    let span = values
        .iter()
        .map(|n| src.span(n))
        .reduce(Span::cover)
        .unwrap_or_default();
    for node in values {
        let text = scalar_text(node).unwrap_or_default();
        let s = SigmaString::parse(&text).anchor(chain.position.or(Some(Position::Contains)));
        let (op, v) = s.reduce();
        variants.push(vec![(op, Value::Str(v))]);
    }
    let exprs = group(variants, chain.all)
        .into_iter()
        .map(|(op, values, all)| {
            Expr::Keyword(Keyword {
                op,
                values,
                case_sensitive: chain.cased,
                all,
                span: Some(span),
            })
        })
        .collect();
    if chain.all {
        Expr::and(exprs)
    } else {
        Expr::or(exprs)
    }
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
        let owned: Vec<Node<'_>> = nodes.iter().map(|n| (*n).clone()).collect();
        return Ok(lower_keywords(src, &owned, &chain));
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
    Ok(if chain.all {
        Expr::and(preds)
    } else {
        Expr::or(preds)
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
    let text = scalar_text(node);
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
                YamlData::Value(Scalar::FloatingPoint(f)) => {
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
        if chain.special.is_some()
            || chain.position.is_some()
            || !chain.encodings.is_empty()
            || chain.windash
        {
            return Err(invalid(
                "null",
                "no modifier (null can only be compared for equality)",
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
                        return Ok(vec![(Op::Eq, Value::Int(i))]);
                    }
                    YamlData::Value(Scalar::FloatingPoint(f)) => {
                        return Ok(vec![(Op::Eq, Value::Float(f.into_inner()))]);
                    }
                    YamlData::Value(Scalar::Boolean(b)) => {
                        return Ok(vec![(Op::Eq, Value::Bool(b))]);
                    }
                    _ => {}
                }
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

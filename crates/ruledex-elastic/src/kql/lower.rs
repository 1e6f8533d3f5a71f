//! Lowering a KQL query into the model: the only place that knows how KQL
//! maps onto [`Expr`]. The decisions are listed in the module docs of
//! [`crate::kql`].

use ruledex_diag::Span;
use ruledex_model::{Expr, Field, Keyword, Op, Pred, Value};

use super::ast::{FieldMatch, Literal, LiteralKind, Piece, Query, RangeMatch, ValueList};
use crate::lowered::Lowered;

use crate::lowered::HINT_FIELDS;

/// Opaque reason: an unquoted `null` value.
pub(crate) const NULL_VALUE: &str =
    "unquoted `null` value: Kibana sends a null term, which Elasticsearch rejects";
/// Opaque reason: a `*` in a range bound.
pub(crate) const WILDCARD_BOUND: &str = "wildcard in a range bound";
/// Opaque reason: an empty field name (`"":x`).
pub(crate) const EMPTY_FIELD: &str = "empty field name";

pub(crate) fn lower(q: &Query) -> Lowered {
    let expr = lower_query(q, None);
    let mut hints = Vec::new();
    collect_hints(&expr, true, &mut hints);
    Lowered {
        expr,
        aggregation: None,
        indices: Vec::new(),
        hints,
    }
}

fn lower_query(q: &Query, prefix: Option<&str>) -> Expr {
    match q {
        Query::Or(items) => Expr::or(items.iter().map(|q| lower_query(q, prefix)).collect()),
        Query::And(items) => Expr::and(items.iter().map(|q| lower_query(q, prefix)).collect()),
        Query::Not(q) => Expr::not(lower_query(q, prefix)),
        Query::Match(m) => lower_match(m, prefix),
        Query::Range(r) => lower_range(r, prefix),
        Query::Nested(n) => match field_name(&n.field, prefix) {
            // The "same nested object" constraint is not kept: `a:{ b:x and c:y }`
            // becomes `a.b:x and a.c:y`.
            Ok(path) => lower_query(&n.query, Some(&path)),
            Err(reason) => Expr::opaque(reason, n.to_string(), Some(n.span)),
        },
        Query::FreeText(lit) => Expr::Keyword(free_text(lit)),
    }
}

/// The full field name, or why there is none. An unquoted name with a `*`
/// is a field glob ([`Field::is_glob`]): `*` any run of characters; a literal
/// `*` (quoted) is written `\*`, and a backslash in a glob `\\`.
fn field_name(lit: &Literal, prefix: Option<&str>) -> Result<String, &'static str> {
    let name = match (&lit.kind, lit.text()) {
        (_, Some(text)) if text.contains('*') => text.replace('\\', "\\\\").replace('*', "\\*"),
        (_, Some(text)) => text.into_owned(),
        (LiteralKind::Unquoted(pieces), None) => glob(pieces),
        (LiteralKind::Quoted(_), None) => return Err(EMPTY_FIELD),
    };
    if name.is_empty() {
        return Err(EMPTY_FIELD);
    }
    // The prefix of a nested query is a name this function made.
    Ok(match prefix {
        Some(p) => format!("{p}.{name}"),
        None => name,
    })
}

/// A field glob from unquoted pieces.
fn glob(pieces: &[Piece]) -> String {
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(&t.replace('\\', "\\\\").replace('*', "\\*")),
            Piece::Wildcard => out.push('*'),
        }
    }
    out
}

fn lower_match(m: &FieldMatch, prefix: Option<&str>) -> Expr {
    match field_name(&m.field, prefix) {
        Ok(name) => lower_values(&name, m.field.span, &m.values),
        Err(reason) => Expr::opaque(reason, m.to_string(), Some(m.span)),
    }
}

/// One element of a value list, before grouping.
enum Item {
    /// A single value: `(op, value)` with its span.
    Leaf(Op, Value, Span),
    /// A sub-list or something opaque, lowered already.
    Expr(Expr),
}

/// Lower `field:<values>`: in an `or` (or `and`) list, the single values are
/// pooled by operator into one predicate each, as Sigma's value lists are.
fn lower_values(field: &str, field_span: Span, values: &ValueList) -> Expr {
    match values {
        ValueList::Value(lit) => match value_leaf(lit) {
            Ok((op, value)) => pred(field, op, vec![value], field_span.cover(lit.span), false),
            Err(reason) => opaque_value(reason, field, field_span, lit),
        },
        ValueList::Or(items) | ValueList::And(items) => {
            let all = matches!(values, ValueList::And(_));
            let items = items.iter().map(|v| item(field, field_span, v)).collect();
            combine(field, field_span, items, all)
        }
        ValueList::Not(inner) => Expr::not(lower_values(field, field_span, inner)),
    }
}

fn item(field: &str, field_span: Span, v: &ValueList) -> Item {
    let ValueList::Value(lit) = v else {
        return Item::Expr(lower_values(field, field_span, v));
    };
    match value_leaf(lit) {
        Ok((op, value)) => Item::Leaf(op, value, lit.span),
        Err(reason) => Item::Expr(opaque_value(reason, field, field_span, lit)),
    }
}

fn opaque_value(reason: &'static str, field: &str, field_span: Span, lit: &Literal) -> Expr {
    let span = field_span.cover(lit.span);
    Expr::opaque(reason, format!("{field}:{lit}"), Some(span))
}

/// One predicate; `all` is kept only when there are several values.
fn pred(field: &str, op: Op, values: Vec<Value>, span: Span, all: bool) -> Expr {
    let many = values.len() > 1;
    let mut p = Pred::new(Field::raw(field), op, values).with_span(span);
    p.case_sensitive = op != Op::Exists;
    p.all = all && many;
    Expr::Pred(p)
}

fn combine(field: &str, field_span: Span, items: Vec<Item>, all: bool) -> Expr {
    enum Slot {
        Group(Op, Vec<Value>, Span),
        Expr(Expr),
    }
    let mut slots: Vec<Slot> = Vec::with_capacity(items.len());
    for it in items {
        match it {
            Item::Leaf(op, value, span) => {
                let group = slots
                    .iter_mut()
                    .find(|s| matches!(s, Slot::Group(o, _, _) if *o == op));
                if let Some(Slot::Group(_, values, s)) = group {
                    values.push(value);
                    *s = s.cover(span);
                } else {
                    slots.push(Slot::Group(op, vec![value], field_span.cover(span)));
                }
            }
            Item::Expr(e) => slots.push(Slot::Expr(e)),
        }
    }
    let exprs = slots
        .into_iter()
        .map(|s| match s {
            Slot::Group(op, values, span) => pred(field, op, values, span, all),
            Slot::Expr(e) => e,
        })
        .collect();
    if all {
        Expr::and(exprs)
    } else {
        Expr::or(exprs)
    }
}

/// The operator and value one literal stands for after `field:`.
fn value_leaf(lit: &Literal) -> Result<(Op, Value), &'static str> {
    let pieces = match &lit.kind {
        LiteralKind::Quoted(s) => return Ok((Op::Eq, Value::Str(s.clone()))),
        LiteralKind::Unquoted(pieces) => pieces,
    };
    if lit.is_lone_wildcard() {
        return Ok((Op::Exists, Value::Bool(true)));
    }
    if lit.has_wildcard() {
        let (op, s) = reduce(pieces);
        return Ok((op, Value::Str(s)));
    }
    let word = lit.bare_word().unwrap_or_default();
    Ok((
        Op::Eq,
        match word {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => return Err(NULL_VALUE),
            w => integer(w).map_or_else(|| Value::Str(w.to_owned()), Value::Int),
        },
    ))
}

/// An integer written canonically (no `+`, no leading zero), that fits in 64 bits.
fn integer(w: &str) -> Option<i64> {
    let digits = w.strip_prefix('-').unwrap_or(w);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && w != "-0";
    if canonical { w.parse().ok() } else { None }
}

/// A number: an integer, else a finite decimal (`0.98`, `1e3`).
fn number(w: &str) -> Option<Value> {
    if let Some(i) = integer(w) {
        return Some(Value::Int(i));
    }
    let numeric = w.bytes().any(|b| b.is_ascii_digit())
        && w.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !numeric {
        return None;
    }
    w.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Value::Float)
}

fn lower_range(r: &RangeMatch, prefix: Option<&str>) -> Expr {
    let name = match field_name(&r.field, prefix) {
        Ok(n) => n,
        Err(reason) => return Expr::opaque(reason, r.to_string(), Some(r.span)),
    };
    let Some(text) = r.value.text() else {
        return Expr::opaque(WILDCARD_BOUND, r.to_string(), Some(r.span));
    };
    let value = number(&text).unwrap_or_else(|| Value::Str(text.into_owned()));
    Expr::Pred(Pred::new(Field::raw(name), r.op.op(), vec![value]).with_span(r.span))
}

/// Free text: a search in every field, as a substring (the value is matched
/// against analyzed text fields, so case-insensitively).
fn free_text(lit: &Literal) -> Keyword {
    let (op, value) = match &lit.kind {
        LiteralKind::Quoted(s) => (Op::Contains, s.clone()),
        LiteralKind::Unquoted(pieces) => {
            let mut anchored = Vec::with_capacity(pieces.len() + 2);
            if pieces.first() != Some(&Piece::Wildcard) {
                anchored.push(Piece::Wildcard);
            }
            anchored.extend(pieces.iter().cloned());
            if pieces.last() != Some(&Piece::Wildcard) {
                anchored.push(Piece::Wildcard);
            }
            reduce(&anchored)
        }
    };
    Keyword {
        op,
        values: vec![Value::Str(value)],
        case_sensitive: false,
        all: false,
        span: Some(lit.span),
    }
}

/// Reduce an unquoted value to the simplest operator that means the same:
/// `eq` without wildcards, `contains` / `starts_with` / `ends_with` when the
/// only wildcards are at the ends, else `wildcard` with the canonical pattern
/// (`*` wildcard; `\*`, `\?`, `\\` literal — `?` is no wildcard in KQL).
fn reduce(pieces: &[Piece]) -> (Op, String) {
    use ruledex_model::pattern::{Pattern, Piece as P};
    pieces
        .iter()
        .map(|p| match p {
            Piece::Text(s) => P::Lit(s.clone()),
            Piece::Wildcard => P::Star,
        })
        .collect::<Pattern>()
        .reduce()
}

fn collect_hints(e: &Expr, positive: bool, out: &mut Vec<(String, String)>) {
    match e {
        Expr::And(items) | Expr::Or(items) => {
            for i in items {
                collect_hints(i, positive, out);
            }
        }
        Expr::Not(inner) => collect_hints(inner, !positive, out),
        Expr::Pred(p)
            if positive
                && matches!(p.op, Op::Eq | Op::In)
                && HINT_FIELDS.contains(&p.field.raw.as_str()) =>
        {
            for v in &p.values {
                let value = match v {
                    Value::Str(s) => s.clone(),
                    Value::Int(i) => i.to_string(),
                    _ => continue,
                };
                let hint = (p.field.raw.clone(), value);
                if !out.contains(&hint) {
                    out.push(hint);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql::parse;

    fn lowered(src: &str) -> Lowered {
        lower(&parse(src).unwrap_or_else(|e| panic!("{src:?}: {e}")))
    }

    macro_rules! cases {
        ($($name:ident: $input:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(lowered($input).expr.to_string(), $want);
            }
        )*};
    }

    cases! {
        eq_is_case_sensitive: "process.name:cmd.exe" => r#"process.name eq:cased "cmd.exe""#;
        quoted_eq: r#"process.name:"cmd.exe""# => r#"process.name eq:cased "cmd.exe""#;
        quoted_star_is_literal: r#"process.name:"python*""# => r#"process.name eq:cased "python*""#;
        contains: "process.args:*-enc*" => r#"process.args contains:cased "-enc""#;
        starts_with: "process.name:python*" => r#"process.name starts_with:cased "python""#;
        ends_with: r"process.executable:*\\cmd.exe" => r#"process.executable ends_with:cased "\\cmd.exe""#;
        inner_wildcard: "a:x*y" => r#"a wildcard:cased "x*y""#;
        question_mark_is_literal: "a:*GitHub?Copilot/*" => r#"a contains:cased "GitHub?Copilot/""#;
        question_mark_escaped_in_pattern: "a:x?*y" => r#"a wildcard:cased "x\\?*y""#;
        escaped_star_is_literal: r"a:x\*" => r#"a eq:cased "x*""#;
        double_star: "a:**x**" => r#"a contains:cased "x""#;
        wildcard_with_space: "a:* curl*" => r#"a contains:cased " curl""#;
        exists: "host.name:*" => "host.name exists true";
        list_pools_by_op: "process.name:(a or b* or c or *d)"
            => r#"process.name in:cased any["a", "c"] or process.name starts_with:cased "b" or process.name ends_with:cased "d""#;
        list_mixed_types_pool: r#"event.code:(4624 or "4625")"# => r#"event.code in:cased any[4624, "4625"]"#;
        list_and_is_all: "process.args:(a and b and *c*)"
            => r#"process.args in:cased all["a", "b"] and process.args contains:cased "c""#;
        list_and_not: r#"user.name:(* and not "Not Available")"# => r#"user.name exists true and not user.name eq:cased "Not Available""#;
        list_nested: "a:(x and (y or z))" => r#"a eq:cased "x" and a in:cased any["y", "z"]"#;
        value_not: "a: not x" => r#"not a eq:cased "x""#;
        bool_value: "volume.removable:true" => "volume.removable eq:cased true";
        int_value: "event.code:4625" => "event.code eq:cased 4625";
        leading_zero_is_text: "a:007" => r#"a eq:cased "007""#;
        huge_int_is_text: "a:99999999999999999999" => r#"a eq:cased "99999999999999999999""#;
        capital_true_is_text: "a:True" => r#"a eq:cased "True""#;
        null_is_opaque: "a:null" => r#"opaque("unquoted `null` value: Kibana sends a null term, which Elasticsearch rejects": a:null)"#;
        range_int: "score > 21" => "score gt 21";
        range_float: "p >= 0.98" => "p gte 0.98";
        range_quoted_number: r#"n <= "5""# => "n lte 5";
        range_date: r#"@timestamp < "2024-01-01""# => r#"@timestamp lt "2024-01-01""#;
        range_wildcard_is_opaque: "n < 5*" => r#"opaque("wildcard in a range bound": n < 5*)"#;
        not_lowers_to_not: "a:1 and not b:2" => "a eq:cased 1 and not b eq:cased 2";
        or_flattens: "a:1 or (b:2 or c:3)" => "a eq:cased 1 or b eq:cased 2 or c eq:cased 3";
        nested_prefixes_fields: r#"x.y:{ action:"ADD" and role:(a or b) }"#
            => r#"x.y.action eq:cased "ADD" and x.y.role in:cased any["a", "b"]"#;
        nested_in_nested: "a:{ b:{ c:1 } }" => "a.b.c eq:cased 1";
        wildcard_field_is_a_glob: "file.hash.*:*" => "file.hash.* exists true";
        wildcard_field_inside_a_name: "a.*.b:x" => r#"a.*.b eq:cased "x""#;
        quoted_field_star_is_literal: r#""a*":x"# => r#"a\* eq:cased "x""#;
        free_text: "powershell" => r#"keyword contains "powershell""#;
        free_text_quoted: r#""Invoke-Mimikatz""# => r#"keyword contains "Invoke-Mimikatz""#;
        free_text_wildcard: "foo*bar" => r#"keyword wildcard "*foo*bar*""#;
        free_text_anchored_once: "*MDR*" => r#"keyword contains "MDR""#;
        free_text_and_field: r#""a" and x:1"# => r#"keyword contains "a" and x eq:cased 1"#;
    }

    macro_rules! hint_cases {
        ($($name:ident: $input:expr => [$(($f:expr, $v:expr)),*];)*) => {$(
            #[test]
            fn $name() {
                let want: Vec<(String, String)> = vec![$(($f.to_string(), $v.to_string())),*];
                assert_eq!(lowered($input).hints, want);
            }
        )*};
    }

    hint_cases! {
        hints_positive_eq: "event.category:process and event.type:(start or process_started)"
            => [("event.category", "process"), ("event.type", "start"), ("event.type", "process_started")];
        hints_skip_negated: "event.category:process and not event.action:fork" => [("event.category", "process")];
        hints_double_negation_is_positive: "not (not host.os.type:linux)" => [("host.os.type", "linux")];
        hints_numbers_as_text: "event.code:(4624 or 4625)" => [("event.code", "4624"), ("event.code", "4625")];
        hints_skip_patterns: "event.action:exec* and event.dataset:*" => [];
        hints_deduplicated: "event.type:start or event.type:start" => [("event.type", "start")];
        hints_other_fields_ignored: "process.name:bash" => [];
    }

    #[test]
    fn pred_spans_cover_field_and_values() {
        let src = "event.category:process and process.name:( a or b* or c )";
        let l = lowered(src);
        let spans: Vec<&str> = l
            .expr
            .preds()
            .iter()
            .map(|p| p.span.and_then(|s| s.slice(src)).unwrap_or("?"))
            .collect();
        assert_eq!(
            spans,
            [
                "event.category:process",
                "process.name:( a or b* or c",
                "process.name:( a or b*"
            ]
        );
    }

    /// A threshold rule in the shape of the network-scan seed: process starts
    /// of scanning utilities on Linux, counted per host. The threshold itself is
    /// in the TOML (`rule.threshold`), read by the rule reader; the query is ours.
    #[test]
    fn threshold_seed_shaped_fixture() {
        const RULE: &str = r#"
[rule]
type = "threshold"
language = "kuery"
index = ["logs-endpoint.events.*"]
query = '''
event.category:process and host.os.type:linux and event.type:start and
event.action:(exec or executed) and process.name:(ping or nmap or masscan or nc or ncat)
'''

[rule.threshold]
field = ["host.id", "user.name"]
value = 10
"#;
        let doc: toml::Value = toml::from_str(RULE).expect("fixture is TOML");
        let rule = &doc["rule"];
        assert_eq!(rule["type"].as_str(), Some("threshold"));
        let query = rule["query"].as_str().expect("query");
        let l = lowered(query);
        assert_eq!(
            l.expr.to_string(),
            concat!(
                r#"event.category eq:cased "process" and host.os.type eq:cased "linux" and "#,
                r#"event.type eq:cased "start" and event.action in:cased any["exec", "executed"] and "#,
                r#"process.name in:cased any["ping", "nmap", "masscan", "nc", "ncat"]"#
            )
        );
        assert!(!l.expr.has_opaque());
        assert_eq!(l.aggregation, None);
        let hints: Vec<String> = l.hints.iter().map(|(f, v)| format!("{f}={v}")).collect();
        assert_eq!(
            hints,
            [
                "event.category=process",
                "host.os.type=linux",
                "event.type=start",
                "event.action=exec",
                "event.action=executed"
            ]
        );
        let names = l.expr.preds()[4];
        assert_eq!(
            names.span.and_then(|s| s.slice(query)),
            Some("process.name:(ping or nmap or masscan or nc or ncat")
        );
    }
}

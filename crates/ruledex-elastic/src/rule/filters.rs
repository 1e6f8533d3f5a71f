//! Kibana filters (`[[rule.filters]]`): Elasticsearch query DSL clauses that
//! Kibana adds to a rule's query, lowered into the model.
//!
//! A filter is `{meta, query}` (or, in older rules, the query clause beside
//! `meta` at the top level). `meta.disabled = true` turns the filter off;
//! `meta.negate = true` turns it into an exclusion. The query clauses read
//! are those of the [query DSL]:
//!
//! | clause | lowered to |
//! |---|---|
//! | `match_phrase`, `match` | `eq`, case-sensitive (the keyword-field reading, as KQL `field:value` lowers) |
//! | `term`, `terms` | `eq` / `in`, case-sensitive unless `case_insensitive = true` |
//! | `wildcard` | `wildcard`, case-sensitive unless `case_insensitive = true` |
//! | `prefix` | `starts_with`, same case rule |
//! | `exists` | `exists true` |
//! | `range` | `gt`/`gte`/`lt`/`lte`, one predicate per bound |
//! | `bool` | `must` + `filter` → and, `must_not` → and of nots, `should` → or (ignored beside `must`/`filter`, where it only scores) |
//! | `query_string` | the Lucene parser |
//! | `match_all` | an empty `and` (true) |
//!
//! Anything else becomes an `Opaque` node naming the clause.
//!
//! [query DSL]: https://www.elastic.co/guide/en/elasticsearch/reference/current/query-dsl.html

use ruledex_diag::Span;
use ruledex_model::{Expr, Field, Op, Pred, Value as ModelValue};

use super::embedded::Embedded;
use super::node::{Node, Value};

/// Deepest `bool` nesting lowered; deeper clauses become opaque. (The TOML
/// reader bounds nesting too; this keeps the bound local and explicit.)
const MAX_DEPTH: usize = 32;

/// Lower one filter. `None` when it is disabled.
pub(crate) fn lower_filter(file: &str, filter: &Node) -> Option<Expr> {
    let span = filter.span;
    let Some(entries) = filter.entries() else {
        return Some(opaque(file, filter, "Kibana filter is not a table"));
    };
    let meta = filter.get("meta");
    let flag = |key: &str| {
        meta.and_then(|m| m.get(key))
            .and_then(Node::as_bool)
            .unwrap_or(false)
    };
    if flag("disabled") {
        return None;
    }
    let expr = if let Some(query) = filter.get("query") {
        lower_clause(file, query, 0)
    } else {
        // The older form: the clause sits beside `meta` and `$state`.
        let clauses: Vec<_> = entries
            .iter()
            .filter(|e| e.key != "meta" && e.key != "$state")
            .collect();
        match clauses.as_slice() {
            [one] => lower_kind(file, &one.key, &one.node, span, 0),
            [] => opaque(file, filter, "Kibana filter has no query"),
            _ => opaque(file, filter, "Kibana filter has several query clauses"),
        }
    };
    Some(if flag("negate") {
        Expr::not(expr)
    } else {
        expr
    })
}

/// A clause table with one key naming its kind: `{wildcard = {...}}`.
fn lower_clause(file: &str, clause: &Node, depth: usize) -> Expr {
    match clause.entries() {
        Some([one]) => lower_kind(file, &one.key, &one.node, clause.span, depth),
        Some(_) => opaque(file, clause, "query clause must have exactly one kind"),
        None => opaque(file, clause, "query clause is not a table"),
    }
}

fn lower_kind(file: &str, kind: &str, body: &Node, outer: Option<Span>, depth: usize) -> Expr {
    if depth > MAX_DEPTH {
        return opaque(file, body, "Kibana filter nests too deeply");
    }
    match kind {
        "match_phrase" | "match" => field_clause(file, body, &["query"], Op::Eq, Some(true)),
        "term" => field_clause(file, body, &["value"], Op::Eq, None),
        "wildcard" => field_clause(file, body, &["value", "wildcard"], Op::Wildcard, None),
        "prefix" => field_clause(file, body, &["value"], Op::StartsWith, None),
        "terms" => lower_terms(file, body),
        "exists" => match body.get("field").and_then(Node::as_str) {
            Some(field) => Expr::Pred(
                Pred::new(Field::raw(field), Op::Exists, vec![ModelValue::Bool(true)])
                    .with_span(body.span_or(outer.unwrap_or_default())),
            ),
            None => opaque(file, body, "exists clause without a field"),
        },
        "range" => lower_range(file, body),
        "bool" => lower_bool(file, body, depth),
        "match_all" => Expr::And(Vec::new()),
        "query_string" => lower_query_string(file, body),
        other => opaque(
            file,
            body,
            &format!("Kibana filter clause `{other}` is not supported"),
        ),
    }
}

fn pred(field: &str, op: Op, values: Vec<ModelValue>, case_sensitive: bool) -> Pred {
    let mut p = Pred::new(Field::raw(field), op, values);
    p.case_sensitive = case_sensitive;
    p
}

/// `{<field> = value}` or `{<field> = {<value_key> = value, case_insensitive = bool}}`.
/// `case_sensitive` fixes the case rule (`match` has no option: on keyword
/// fields it compares exactly); `None` means the clause's own option:
/// case-sensitive unless `case_insensitive = true`.
fn field_clause(
    file: &str,
    body: &Node,
    value_keys: &[&str],
    op: Op,
    case_sensitive: Option<bool>,
) -> Expr {
    let Some([entry]) = body.entries() else {
        return opaque(file, body, "field clause must name exactly one field");
    };
    let (value_node, case_insensitive) = match &entry.node.value {
        Value::Table(_) => {
            let Some(v) = value_keys.iter().find_map(|k| entry.node.get(k)) else {
                return opaque(file, body, "field clause without a value");
            };
            let ci = entry
                .node
                .get("case_insensitive")
                .and_then(Node::as_bool)
                .unwrap_or(false);
            (v, ci)
        }
        _ => (&entry.node, false),
    };
    let Some(value) = scalar(value_node) else {
        return opaque(file, body, "field clause value is not a scalar");
    };
    let case_sensitive = case_sensitive.unwrap_or(!case_insensitive);
    Expr::Pred(pred(&entry.key, op, vec![value], case_sensitive).with_span(entry_span(entry, body)))
}

fn entry_span(entry: &super::node::Entry, body: &Node) -> Span {
    match (entry.key_span, entry.node.span) {
        (Some(k), Some(v)) => k.cover(v),
        (_, Some(v)) => v,
        (Some(k), None) => k,
        (None, None) => body.span.unwrap_or_default(),
    }
}

fn lower_terms(file: &str, body: &Node) -> Expr {
    let Some(entries) = body.entries() else {
        return opaque(file, body, "terms clause is not a table");
    };
    let fields: Vec<_> = entries.iter().filter(|e| e.key != "boost").collect();
    let [entry] = fields.as_slice() else {
        return opaque(file, body, "terms clause must name exactly one field");
    };
    let Some(items) = entry.node.as_array() else {
        return opaque(file, body, "terms clause is not a list of values");
    };
    let values: Option<Vec<ModelValue>> = items.iter().map(scalar).collect();
    match values {
        Some(values) if !values.is_empty() => {
            Expr::Pred(pred(&entry.key, Op::In, values, true).with_span(entry_span(entry, body)))
        }
        _ => opaque(file, body, "terms clause values are not scalars"),
    }
}

fn lower_range(file: &str, body: &Node) -> Expr {
    let Some([entry]) = body.entries() else {
        return opaque(file, body, "range clause must name exactly one field");
    };
    let Some(bounds) = entry.node.entries() else {
        return opaque(file, body, "range clause bounds are not a table");
    };
    let mut preds = Vec::new();
    for bound in bounds {
        let op = match bound.key.as_str() {
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "format" | "boost" | "time_zone" | "relation" => continue,
            _ => return opaque(file, body, "range clause with an unknown bound"),
        };
        let Some(value) = scalar(&bound.node) else {
            return opaque(file, body, "range bound is not a scalar");
        };
        preds.push(Expr::Pred(
            pred(&entry.key, op, vec![value], false).with_span(entry_span(bound, body)),
        ));
    }
    if preds.is_empty() {
        return opaque(file, body, "range clause without bounds");
    }
    Expr::and(preds)
}

fn lower_bool(file: &str, body: &Node, depth: usize) -> Expr {
    let Some(entries) = body.entries() else {
        return opaque(file, body, "bool clause is not a table");
    };
    let clauses = |node: &Node| -> Vec<Expr> {
        match node.as_array() {
            Some(items) => items
                .iter()
                .map(|c| lower_clause(file, c, depth + 1))
                .collect(),
            None => vec![lower_clause(file, node, depth + 1)],
        }
    };
    let mut all = Vec::new();
    let mut should = None;
    let mut minimum = None;
    for e in entries {
        match e.key.as_str() {
            "must" | "filter" => all.extend(clauses(&e.node)),
            "must_not" => all.extend(clauses(&e.node).into_iter().map(Expr::not)),
            "should" => should = Some(clauses(&e.node)),
            "minimum_should_match" => minimum = Some(&e.node),
            "boost" | "_name" => {}
            other => {
                return opaque(
                    file,
                    body,
                    &format!("bool clause with unknown key `{other}`"),
                );
            }
        }
    }
    let needs_should = match minimum {
        None => all.is_empty(),
        Some(m) => match &m.value {
            Value::Int(1) => true,
            Value::Str(s) if s == "1" => true,
            Value::Int(0) => false,
            _ => return opaque(file, body, "minimum_should_match other than 0 or 1"),
        },
    };
    if let Some(should) = should
        && needs_should
    {
        all.push(Expr::or(should));
    }
    Expr::and(all)
}

fn lower_query_string(file: &str, body: &Node) -> Expr {
    let Some(query) = body.get("query") else {
        return opaque(file, body, "query_string without a query");
    };
    let (Some(text), Some(span)) = (query.as_str(), query.span) else {
        return opaque(file, body, "query_string query is not a string");
    };
    match crate::lucene::parse_and_lower(text) {
        Ok(lowered) => {
            let embedded = Embedded::new(file, span, text);
            let mut expr = lowered.expr;
            super::logic::shift_expr(&mut expr, &embedded);
            expr
        }
        Err(e) => opaque(file, body, &format!("query_string does not parse: {e}")),
    }
}

fn scalar(node: &Node) -> Option<ModelValue> {
    match &node.value {
        Value::Str(s) => Some(ModelValue::Str(s.clone())),
        Value::Int(i) => Some(ModelValue::Int(*i)),
        Value::Float(f) => Some(ModelValue::Float(*f)),
        Value::Bool(b) => Some(ModelValue::Bool(*b)),
        Value::Datetime(s) => Some(ModelValue::Str(s.clone())),
        Value::Array(_) | Value::Table(_) => None,
    }
}

fn opaque(file: &str, node: &Node, reason: &str) -> Expr {
    let text = node
        .span
        .and_then(|s| s.slice(file))
        .unwrap_or_default()
        .to_owned();
    Expr::opaque(reason, text, node.span)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lower every `[[filters]]` entry of `toml` and print the result, one
    /// filter per line (`-` for a disabled one).
    fn lowered(toml: &str) -> String {
        let doc = Node::parse(toml).unwrap_or_else(|e| panic!("{e}"));
        doc.get("filters")
            .and_then(Node::as_array)
            .unwrap()
            .iter()
            .map(|f| lower_filter(toml, f).map_or_else(|| "-".to_owned(), |e| e.to_string()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    macro_rules! filters {
        ($($name:ident: $toml:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(lowered($toml), $want);
            }
        )*};
    }

    filters! {
        negated_wildcard_case_insensitive:
            "[[filters]]\nmeta = {negate = true}\n[filters.query.wildcard.\"file.path\"]\ncase_insensitive = true\nvalue = \"?:\\\\\\\\Temp\\\\\\\\*\"\n"
            => r#"not file.path wildcard "?:\\\\Temp\\\\*""#;
        wildcard_default_is_case_sensitive:
            "[[filters]]\nquery = {wildcard = {\"process.name\" = {value = \"a*\"}}}\n"
            => r#"process.name wildcard:cased "a*""#;
        wildcard_shorthand:
            "[[filters]]\nquery = {wildcard = {\"process.name\" = \"a*\"}}\n"
            => r#"process.name wildcard:cased "a*""#;
        exists_in_query:
            "[[filters]]\nmeta = {negate = true, disabled = false}\nquery = {exists = {field = \"user.id\"}}\n"
            => "not user.id exists true";
        exists_legacy_top_level:
            "[[filters]]\n\"$state\" = {store = \"appState\"}\nexists = {field = \"user_agent.original\"}\nmeta = {negate = false}\n"
            => "user_agent.original exists true";
        disabled_is_skipped:
            "[[filters]]\nmeta = {disabled = true}\nquery = {exists = {field = \"a\"}}\n"
            => "-";
        match_phrase_scalar_and_table:
            "[[filters]]\nquery = {match_phrase = {\"event.kind\" = \"enrichment\"}}\n[[filters]]\nquery = {match_phrase = {\"event.type\" = {query = \"indicator\"}}}\n"
            => "event.kind eq:cased \"enrichment\"\nevent.type eq:cased \"indicator\"";
        term_and_terms:
            "[[filters]]\nquery = {term = {\"event.code\" = 4625}}\n[[filters]]\nquery = {terms = {\"event.code\" = [4624, 4625]}}\n"
            => "event.code eq:cased 4625\nevent.code in:cased any[4624, 4625]";
        prefix_case_insensitive:
            "[[filters]]\nquery = {prefix = {\"file.name\" = {value = \"tmp\", case_insensitive = true}}}\n"
            => "file.name starts_with \"tmp\"";
        range_bounds:
            "[[filters]]\nquery = {range = {\"destination.port\" = {gte = 1024, lt = 2048}}}\n"
            => "destination.port gte 1024 and destination.port lt 2048";
        bool_must_not_should:
            "[[filters]]\n[filters.query.bool]\nmust = [{exists = {field = \"a\"}}]\nmust_not = {term = {b = \"x\"}}\nshould = [{term = {c = 1}}]\n"
            => "a exists true and not b eq:cased \"x\"";
        bool_only_should_is_or:
            "[[filters]]\n[filters.query.bool]\nshould = [{term = {c = 1}}, {term = {d = 2}}]\n"
            => "c eq:cased 1 or d eq:cased 2";
        bool_minimum_should_match:
            "[[filters]]\n[filters.query.bool]\nfilter = {exists = {field = \"a\"}}\nshould = [{term = {c = 1}}]\nminimum_should_match = 1\n"
            => "a exists true and c eq:cased 1";
        unsupported_clause_is_opaque:
            "[[filters]]\nquery = {script = {source = \"true\"}}\n"
            => "opaque(\"Kibana filter clause `script` is not supported\": {source = \"true\"})";
        two_kinds_is_opaque:
            "[[filters]]\nquery = {term = {a = 1}, exists = {field = \"b\"}}\n"
            => "opaque(\"query clause must have exactly one kind\": {term = {a = 1}, exists = {field = \"b\"}})";
        match_all_is_true:
            "[[filters]]\nquery = {match_all = {}}\n"
            => "";
    }

    #[test]
    fn predicate_spans_point_into_the_file() {
        let toml = "[[filters]]\nquery = {term = {\"event.code\" = 4625}}\n";
        let doc = Node::parse(toml).unwrap();
        let f = &doc.get("filters").unwrap().as_array().unwrap()[0];
        let expr = lower_filter(toml, f).unwrap();
        let span = expr.preds()[0].span.unwrap();
        assert_eq!(span.slice(toml), Some("\"event.code\" = 4625"));
    }
}

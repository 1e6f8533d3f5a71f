//! A rule's logic: its type and language decide which parser reads the query,
//! and the type's own settings (threshold, new terms, indicator match, machine
//! learning job) and the Kibana filters complete it.

use ruledex_diag::Span;
use ruledex_model::{
    Aggregation, AggregationKind, Comparison, Expr, Field, Language, Logic, Op, Window,
};

use super::QueryParser;
use super::embedded::Embedded;
use super::error::{ErrorKind, QueryLanguage};
use super::filters::lower_filter;
use super::node::{Node, Value};
use super::reader::{Cx, Level};

/// The rule types Elastic defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RuleType {
    Query,
    Eql,
    Esql,
    Threshold,
    NewTerms,
    ThreatMatch,
    MachineLearning,
}

impl RuleType {
    fn parse(s: &str) -> Option<RuleType> {
        Some(match s {
            "query" => RuleType::Query,
            "eql" => RuleType::Eql,
            "esql" => RuleType::Esql,
            "threshold" => RuleType::Threshold,
            "new_terms" => RuleType::NewTerms,
            "threat_match" => RuleType::ThreatMatch,
            "machine_learning" => RuleType::MachineLearning,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            RuleType::Query => "query",
            RuleType::Eql => "eql",
            RuleType::Esql => "esql",
            RuleType::Threshold => "threshold",
            RuleType::NewTerms => "new_terms",
            RuleType::ThreatMatch => "threat_match",
            RuleType::MachineLearning => "machine_learning",
        }
    }

    /// The languages the type's query may be written in; the first is the
    /// default when `language` is absent.
    fn languages(self) -> &'static [QueryLanguage] {
        match self {
            RuleType::Eql => &[QueryLanguage::Eql],
            RuleType::Esql => &[QueryLanguage::Esql],
            RuleType::MachineLearning => &[],
            _ => &[QueryLanguage::Kql, QueryLanguage::Lucene],
        }
    }
}

/// What reading the logic gave.
pub(crate) struct ReadLogic {
    pub(crate) logic: Logic,
    pub(crate) language: Language,
    /// The rule type, when known.
    pub(crate) rule_type: Option<RuleType>,
    /// `(field, value)` facts from the query, for the catalog events.
    pub(crate) hints: Vec<(String, String)>,
    /// Index patterns the query itself names (ES|QL `FROM`).
    pub(crate) indices: Vec<String>,
}

impl ReadLogic {
    fn opaque(reason: &str, text: &str, span: Span) -> ReadLogic {
        ReadLogic {
            logic: Logic::new(Expr::opaque(reason, text, Some(span))),
            language: Language::Other,
            rule_type: None,
            hints: Vec::new(),
            indices: Vec::new(),
        }
    }
}

/// Read the logic of the `[rule]` table. `header` is where the table starts,
/// for errors about missing keys.
pub(crate) fn read_logic(
    cx: &mut Cx<'_>,
    rule: &Node,
    header: Span,
    parser: QueryParser<'_>,
) -> ReadLogic {
    let Some(type_node) = rule.get("type") else {
        cx.report(
            Level::Error,
            ErrorKind::MissingKey { key: "rule.type" },
            header,
        );
        return ReadLogic::opaque("the rule has no type", "", header);
    };
    let type_span = type_node.span_or(header);
    let Some(type_name) = cx.string(Level::Error, rule, "rule", "type", header) else {
        return ReadLogic::opaque(
            "the rule type is not a string",
            cx.slice(type_node),
            type_span,
        );
    };
    let Some(rule_type) = RuleType::parse(type_name) else {
        cx.report(
            Level::Error,
            ErrorKind::UnknownRuleType {
                found: type_name.to_owned(),
            },
            type_span,
        );
        return ReadLogic::opaque(
            &format!("unknown rule type `{type_name}`"),
            cx.slice(type_node),
            type_span,
        );
    };
    if rule_type == RuleType::MachineLearning {
        let mut out = machine_learning(cx, rule, header);
        out.rule_type = Some(rule_type);
        return out;
    }

    let language = match rule.get("language") {
        None => rule_type.languages()[0],
        Some(node) => {
            let span = node.span_or(header);
            let Some(name) = cx.string(Level::Error, rule, "rule", "language", header) else {
                return ReadLogic::opaque(
                    "the query language is not a string",
                    cx.slice(node),
                    span,
                );
            };
            match QueryLanguage::from_rule(name).filter(|l| rule_type.languages().contains(l)) {
                Some(l) => l,
                None => {
                    cx.report(
                        Level::Error,
                        ErrorKind::InvalidLanguage {
                            rule_type: rule_type.name().to_owned(),
                            found: name.to_owned(),
                        },
                        span,
                    );
                    return ReadLogic::opaque(
                        &format!(
                            "language `{name}` does not apply to {} rules",
                            rule_type.name()
                        ),
                        cx.slice(node),
                        span,
                    );
                }
            }
        }
    };

    let mut out = ReadLogic {
        logic: Logic::new(Expr::And(Vec::new())),
        language: if rule_type == RuleType::ThreatMatch {
            Language::Other
        } else {
            language.model()
        },
        rule_type: Some(rule_type),
        hints: Vec::new(),
        indices: Vec::new(),
    };

    let mut parts = Vec::new();
    let mut aggregation = None;
    match rule.get("query") {
        // An indicator match rule may leave the source events unfiltered.
        None if rule_type == RuleType::ThreatMatch => {}
        None => {
            cx.report(
                Level::Error,
                ErrorKind::MissingKey { key: "rule.query" },
                header,
            );
            parts.push(Expr::opaque("the rule has no query", "", Some(header)));
        }
        Some(node) => match (node.as_str(), node.span) {
            (Some(text), Some(span)) => {
                let embedded = Embedded::new(cx.text, span, text);
                let (expr, agg) = parse_query(cx, parser, language, &embedded, &mut out);
                parts.push(expr);
                aggregation = agg;
            }
            _ => {
                let span = node.span_or(header);
                cx.wrong_type(Level::Error, "rule.query".into(), "a string", node, header);
                parts.push(Expr::opaque(
                    "the query is not a string",
                    cx.slice(node),
                    Some(span),
                ));
            }
        },
    }

    match rule_type {
        RuleType::Threshold => match threshold(cx, rule, header) {
            Ok(a) => aggregation = Some(a),
            Err(opaque) => parts.push(opaque),
        },
        RuleType::NewTerms => match new_terms(cx, rule, header) {
            Ok(a) => aggregation = Some(a),
            Err(opaque) => parts.push(opaque),
        },
        RuleType::ThreatMatch => parts.push(indicator_match(cx, rule, header)),
        _ => {}
    }

    if let Some(node) = rule.get("filters") {
        match node.as_array() {
            Some(filters) => parts.extend(filters.iter().filter_map(|f| lower_filter(cx.text, f))),
            None => {
                cx.wrong_type(
                    Level::Error,
                    "rule.filters".into(),
                    "an array of tables",
                    node,
                    header,
                );
                parts.push(Expr::opaque(
                    "the filters are not an array",
                    cx.slice(node),
                    node.span,
                ));
            }
        }
    }

    // A count, new term or ES|QL statistic is taken over the rule's look-back.
    if let Some(agg) = &mut aggregation
        && agg.window.is_none()
        && !matches!(agg.kind, AggregationKind::Sequence { .. })
        && let Some(from) = rule.get("from").and_then(Node::as_str)
    {
        agg.window = Some(Window::parse(from));
    }

    out.logic = Logic {
        expr: Expr::and(parts),
        aggregation,
    };
    out
}

/// Run the parser and move its spans into the file. A parse error is
/// reported and the query kept as an opaque node with the error as reason.
fn parse_query(
    cx: &mut Cx<'_>,
    parser: QueryParser<'_>,
    language: QueryLanguage,
    embedded: &Embedded<'_>,
    out: &mut ReadLogic,
) -> (Expr, Option<Aggregation>) {
    match parser(language, embedded.text) {
        Ok(lowered) => {
            let mut expr = lowered.expr;
            shift_expr(&mut expr, embedded);
            let mut aggregation = lowered.aggregation;
            if let Some(agg) = &mut aggregation {
                shift_aggregation(agg, embedded);
            }
            out.hints.extend(lowered.hints);
            out.indices.extend(lowered.indices);
            (expr, aggregation)
        }
        Err(e) => {
            cx.report(
                Level::Error,
                ErrorKind::Query {
                    language,
                    error: e.kind.clone(),
                },
                embedded.span(e.span),
            );
            let expr = Expr::opaque(
                format!("{language} query does not parse"),
                embedded.text,
                Some(embedded.whole()),
            );
            (expr, None)
        }
    }
}

/// Move every span of `expr` from the embedded text into the file.
pub(crate) fn shift_expr(expr: &mut Expr, embedded: &Embedded<'_>) {
    // An explicit stack: lowered trees are as deep as the parsers allow.
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            Expr::And(children) | Expr::Or(children) => stack.extend(children.iter_mut()),
            Expr::Not(child) => stack.push(child),
            Expr::Pred(p) => p.span = p.span.map(|s| embedded.span(s)),
            Expr::Keyword(k) => k.span = k.span.map(|s| embedded.span(s)),
            Expr::Opaque(o) => o.span = o.span.map(|s| embedded.span(s)),
        }
    }
}

fn shift_aggregation(agg: &mut Aggregation, embedded: &Embedded<'_>) {
    if let AggregationKind::Sequence { steps, until } = &mut agg.kind {
        for step in steps {
            shift_expr(&mut step.expr, embedded);
        }
        if let Some(until) = until {
            shift_expr(until, embedded);
        }
    }
    for filter in agg.metrics.iter_mut().filter_map(|m| m.filter.as_mut()) {
        shift_expr(filter, embedded);
    }
    if let Some(having) = &mut agg.having {
        shift_expr(having, embedded);
    }
}

fn machine_learning(cx: &mut Cx<'_>, rule: &Node, header: Span) -> ReadLogic {
    let Some(node) = rule.get("machine_learning_job_id") else {
        cx.report(
            Level::Error,
            ErrorKind::MissingKey {
                key: "rule.machine_learning_job_id",
            },
            header,
        );
        return ReadLogic::opaque("machine learning job not named", "", header);
    };
    let span = node.span_or(header);
    let Some(jobs) = cx.strings(
        Level::Error,
        rule,
        "rule",
        "machine_learning_job_id",
        header,
    ) else {
        return ReadLogic::opaque("machine learning job not named", cx.slice(node), span);
    };
    // The reason stays the same for every such rule so reports can count it;
    // the job names are in the opaque text.
    let _ = jobs;
    ReadLogic::opaque(ML_REASON, cx.slice(node), span)
}

/// Opaque reason of machine-learning rules (the job names are the opaque text).
pub(crate) const ML_REASON: &str = "machine learning job: no query to lower";

/// Opaque reason of indicator-match rules (the mapping is the opaque text).
pub(crate) const INDICATOR_REASON: &str = "indicator match against threat indices";

fn indicator_match(cx: &mut Cx<'_>, rule: &Node, header: Span) -> Expr {
    let indices = cx
        .strings(Level::Error, rule, "rule", "threat_index", header)
        .unwrap_or_default();
    let _ = indices;
    let reason = INDICATOR_REASON;
    let shown = rule
        .get("threat_mapping")
        .or_else(|| rule.get("threat_index"));
    let (text, span) = shown.map_or(("", Some(header)), |n| (cx.slice(n), n.span));
    Expr::opaque(reason, text, span)
}

/// `[rule.threshold]`: `field` (group-by, a string or a list), `value` (the
/// count that raises an alert), `[[cardinality]]` (`field` must have at least
/// `value` distinct values).
fn threshold(cx: &mut Cx<'_>, rule: &Node, header: Span) -> Result<Aggregation, Expr> {
    let node = table(cx, rule, "threshold", "rule.threshold", header)?;
    let at = node.span_or(header);
    let opaque = |cx: &Cx<'_>| Expr::opaque("the threshold is malformed", cx.slice(node), Some(at));
    let group_by = match node.get("field") {
        None => Vec::new(),
        Some(_) => cx
            .strings(Level::Error, node, "rule.threshold", "field", at)
            .ok_or_else(|| opaque(cx))?,
    };
    let Some(value_node) = node.get("value") else {
        cx.report(
            Level::Error,
            ErrorKind::MissingKey {
                key: "rule.threshold.value",
            },
            at,
        );
        return Err(opaque(cx));
    };
    let value = cx
        .int(Level::Error, node, "rule.threshold", "value", at)
        .ok_or_else(|| opaque(cx))?;
    if value < 1 {
        cx.report(
            Level::Error,
            ErrorKind::InvalidValue {
                key: "rule.threshold.value".into(),
                expected: "an integer of at least 1",
                found: value.to_string(),
            },
            value_node.span_or(at),
        );
        return Err(opaque(cx));
    }
    let mut cardinality = Vec::new();
    if let Some(list) = node.get("cardinality") {
        let Some(items) = list.as_array() else {
            cx.wrong_type(
                Level::Error,
                "rule.threshold.cardinality".into(),
                "an array of tables",
                list,
                at,
            );
            return Err(opaque(cx));
        };
        for item in items {
            cardinality.push(cardinality_bound(cx, item, at).ok_or_else(|| opaque(cx))?);
        }
    }
    Ok(Aggregation {
        kind: AggregationKind::Threshold { cardinality },
        group_by: group_by
            .into_iter()
            .filter(|f| !f.trim().is_empty())
            .map(Field::raw)
            .collect(),
        window: None,
        condition: vec![Comparison {
            op: Op::Gte,
            value: value as f64,
        }],
        metrics: Vec::new(),
        having: None,
    })
}

/// One `[[rule.threshold.cardinality]]` entry: `field` must have at least `value` distinct values.
fn cardinality_bound(cx: &mut Cx<'_>, item: &Node, at: Span) -> Option<(Field, u64)> {
    const PATH: &str = "rule.threshold.cardinality";
    let at = item.span_or(at);
    if item.get("field").is_none() {
        cx.report(
            Level::Error,
            ErrorKind::MissingKey {
                key: "rule.threshold.cardinality.field",
            },
            at,
        );
        return None;
    }
    if item.get("value").is_none() {
        cx.report(
            Level::Error,
            ErrorKind::MissingKey {
                key: "rule.threshold.cardinality.value",
            },
            at,
        );
        return None;
    }
    let field = cx.string(Level::Error, item, PATH, "field", at)?;
    let count = cx.int(Level::Error, item, PATH, "value", at)?;
    let Ok(count) = u64::try_from(count) else {
        cx.report(
            Level::Error,
            ErrorKind::InvalidValue {
                key: format!("{PATH}.value"),
                expected: "a non-negative integer",
                found: count.to_string(),
            },
            item.get("value").map_or(at, |n| n.span_or(at)),
        );
        return None;
    };
    Some((Field::raw(field), count))
}

/// `[rule.new_terms]`: `field = "new_terms_fields"`, `value` (the fields whose
/// combination must be new), `[[history_window_start]]` (`value = "now-7d"`).
fn new_terms(cx: &mut Cx<'_>, rule: &Node, header: Span) -> Result<Aggregation, Expr> {
    let node = table(cx, rule, "new_terms", "rule.new_terms", header)?;
    let at = node.span_or(header);
    let opaque = |cx: &Cx<'_>| {
        Expr::opaque(
            "the new terms settings are malformed",
            cx.slice(node),
            Some(at),
        )
    };
    let path = "rule.new_terms";
    if let Some(kind) = cx.string(Level::Error, node, path, "field", at)
        && kind != "new_terms_fields"
    {
        cx.report(
            Level::Error,
            ErrorKind::InvalidValue {
                key: format!("{path}.field"),
                expected: "`new_terms_fields`",
                found: kind.to_owned(),
            },
            node.get("field").map_or(at, |n| n.span_or(at)),
        );
        return Err(opaque(cx));
    }
    let Some(fields) = cx.strings(Level::Error, node, path, "value", at) else {
        if node.get("value").is_none() {
            cx.report(
                Level::Error,
                ErrorKind::MissingKey {
                    key: "rule.new_terms.value",
                },
                at,
            );
        }
        return Err(opaque(cx));
    };
    let history = match node.get("history_window_start") {
        None => {
            cx.report(
                Level::Error,
                ErrorKind::MissingKey {
                    key: "rule.new_terms.history_window_start",
                },
                at,
            );
            return Err(opaque(cx));
        }
        Some(h) => {
            // An array of `{field = "history_window_start", value = "now-7d"}`.
            let value = match &h.value {
                Value::Array(items) => items.first().and_then(|i| i.get("value")),
                Value::Table(_) => h.get("value"),
                _ => None,
            };
            let Some((text, span)) = value.and_then(|v| v.as_str().map(|s| (s, v.span_or(at))))
            else {
                cx.wrong_type(
                    Level::Error,
                    format!("{path}.history_window_start"),
                    "an array of {field, value} tables with a string value",
                    h,
                    at,
                );
                return Err(opaque(cx));
            };
            let window = Window::parse(text);
            if window.seconds.is_none() {
                cx.report(
                    Level::Warning,
                    ErrorKind::InvalidValue {
                        key: format!("{path}.history_window_start"),
                        expected: "a date-math offset like now-7d",
                        found: text.to_owned(),
                    },
                    span,
                );
            }
            window
        }
    };
    Ok(Aggregation {
        kind: AggregationKind::NewTerms {
            fields: fields.into_iter().map(Field::raw).collect(),
            history: Some(history),
        },
        group_by: Vec::new(),
        window: None,
        condition: Vec::new(),
        metrics: Vec::new(),
        having: None,
    })
}

/// A sub-table of `[rule]` the type requires.
fn table<'n>(
    cx: &mut Cx<'_>,
    rule: &'n Node,
    key: &str,
    path: &'static str,
    header: Span,
) -> Result<&'n Node, Expr> {
    match rule.get(key) {
        None => {
            cx.report(Level::Error, ErrorKind::MissingKey { key: path }, header);
            Err(Expr::opaque(
                format!("the rule has no `{path}` table"),
                "",
                Some(header),
            ))
        }
        Some(node) if node.entries().is_some() => Ok(node),
        Some(node) => {
            cx.wrong_type(Level::Error, path.to_owned(), "a table", node, header);
            Err(Expr::opaque(
                format!("`{path}` is not a table"),
                cx.slice(node),
                node.span,
            ))
        }
    }
}

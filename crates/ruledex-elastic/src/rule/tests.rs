//! Tests of the rule reader with a stand-in query parser, so that what the
//! reader does with a parser's result (spans, aggregations, hints, errors) is
//! tested apart from the parsers themselves.

use ruledex_diag::Span;
use ruledex_model::{
    Aggregation, AggregationKind, Expr, Field, Language, Op, Pred, SequenceStep, Value,
};

use super::{ErrorKind, Parsed, QueryLanguage, parse_with};
use crate::error::{QueryError, QueryErrorKind};
use crate::lowered::Lowered;

/// A stand-in parser. Every whitespace-separated `field:value` token becomes
/// an `eq` predicate spanning the token (`event.category` ones are also
/// hints); a `)` is a syntax error at the `)`; `sequence …` makes each
/// predicate a step of a sequence; ES|QL `from <index> …` names an index.
fn fake(language: QueryLanguage, text: &str) -> Result<Lowered, QueryError> {
    if let Some(at) = text.find(')') {
        return Err(QueryError::new(
            QueryErrorKind::Unexpected {
                expected: "end of query",
                found: ")".into(),
            },
            Span::new(at, at + 1),
        ));
    }
    let mut preds = Vec::new();
    let mut hints = Vec::new();
    let mut offset = 0;
    for token in text.split_inclusive(char::is_whitespace) {
        let word = token.trim_end();
        if let Some((field, value)) = word.split_once(':') {
            if field == "event.category" {
                hints.push((field.to_owned(), value.to_owned()));
            }
            preds.push(Expr::Pred(
                Pred::new(Field::raw(field), Op::Eq, vec![Value::from(value)])
                    .with_span(Span::new(offset, offset + word.len())),
            ));
        }
        offset += token.len();
    }
    let mut lowered = Lowered::expr(Expr::and(preds.clone()));
    lowered.hints = hints;
    if text.trim_start().starts_with("sequence") {
        lowered.expr = Expr::And(Vec::new());
        lowered.aggregation = Some(Aggregation {
            kind: AggregationKind::Sequence {
                steps: preds
                    .into_iter()
                    .map(|expr| SequenceStep {
                        expr,
                        by: Vec::new(),
                    })
                    .collect(),
                until: None,
            },
            group_by: vec![Field::raw("host.id")],
            window: None,
            condition: Vec::new(),
            metrics: Vec::new(),
            having: None,
        });
    }
    if language == QueryLanguage::Esql
        && let Some(rest) = text.trim_start().strip_prefix("from ")
    {
        lowered.indices = rest.split_whitespace().take(1).map(str::to_owned).collect();
    }
    Ok(lowered)
}

const HEADER: &str = "[metadata]
creation_date = \"2024/01/02\"
maturity = \"production\"
updated_date = \"2024/03/04\"

[rule]
rule_id = \"0b6f4c53-1111-4000-8000-000000000001\"
name = \"Test rule\"
description = \"What it finds.\"
severity = \"low\"
risk_score = 21
";

fn read(body: &str) -> (String, Parsed) {
    let text = format!("{HEADER}{body}");
    let parsed = parse_with("t.toml", &text, &fake);
    (text, parsed)
}

/// The file text each predicate of the rule's expression spans.
fn pred_texts<'a>(text: &'a str, parsed: &Parsed) -> Vec<&'a str> {
    parsed.rules[0]
        .logic
        .expr
        .preds()
        .iter()
        .map(|p| p.span.and_then(|s| s.slice(text)).unwrap_or("<none>"))
        .collect()
}

fn codes(errors: &[super::Error]) -> Vec<&'static str> {
    errors.iter().map(|e| e.kind.code()).collect()
}

#[test]
fn kql_query_rule_reads_fully_with_spans_into_the_file() {
    let (text, p) = read(
        "type = \"query\"\nlanguage = \"kuery\"\nindex = [\"logs-endpoint.events.process-*\"]\n\
         tags = [\"OS: Linux\"]\nquery = '''\nevent.category:process and process.name:nc\n'''\n",
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let r = &p.rules[0];
    assert_eq!(r.language, Language::Kql);
    assert!(r.logic.is_fully_parsed());
    assert_eq!(
        pred_texts(&text, &p),
        ["event.category:process", "process.name:nc"]
    );
    assert_eq!(r.events, ["linux/process_creation"]);
    assert_eq!(r.data_sources, ["logs-endpoint.events.process-*"]);
}

#[test]
fn missing_language_defaults_by_type() {
    for (rule_type, language) in [
        ("query", Language::Kql),
        ("eql", Language::Eql),
        ("esql", Language::Esql),
        ("new_terms", Language::Kql),
    ] {
        let body = format!(
            "type = \"{rule_type}\"\nquery = 'a:b'\n[rule.new_terms]\nfield = \"new_terms_fields\"\nvalue = [\"user.name\"]\n[[rule.new_terms.history_window_start]]\nfield = \"history_window_start\"\nvalue = \"now-7d\"\n"
        );
        let (_, p) = read(&body);
        assert_eq!(p.rules[0].language, language, "{rule_type}");
        assert!(p.errors.is_empty(), "{rule_type}: {:?}", p.errors);
    }
}

#[test]
fn query_error_keeps_the_rule_with_opaque_logic_and_points_into_the_file() {
    let (text, p) = read("type = \"query\"\nquery = '''\nprocess.name:nc and )\n'''\n");
    assert_eq!(p.rules.len(), 1);
    assert_eq!(codes(&p.errors), ["query-syntax"]);
    let e = &p.errors[0];
    assert_eq!(e.span.slice(&text), Some(")"));
    assert_eq!(e.to_string(), "KQL query: expected end of query, found )");
    assert!(matches!(
        e.kind,
        ErrorKind::Query {
            language: QueryLanguage::Kql,
            ..
        }
    ));
    let r = &p.rules[0];
    assert!(!r.logic.is_fully_parsed());
    let opaque = r.logic.expr.opaques()[0];
    assert_eq!(opaque.reason, "KQL query does not parse");
    assert_eq!(opaque.text, "process.name:nc and )\n");
    assert_eq!(
        opaque.span.and_then(|s| s.slice(&text)),
        Some("process.name:nc and )\n")
    );
    // Metadata survives.
    assert_eq!(r.created.as_deref(), Some("2024-01-02"));
}

#[test]
fn threshold_becomes_a_threshold_aggregation_over_the_look_back() {
    let (_, p) = read(
        "type = \"threshold\"\nfrom = \"now-9m\"\nquery = 'event.category:process'\n\
         [rule.threshold]\nfield = [\"host.id\", \"user.name\"]\nvalue = 3\n\
         [[rule.threshold.cardinality]]\nfield = \"destination.ip\"\nvalue = 25\n",
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let agg = p.rules[0].logic.aggregation.clone().unwrap();
    let AggregationKind::Threshold { cardinality } = &agg.kind else {
        panic!("{agg:?}");
    };
    assert_eq!(cardinality, &[(Field::raw("destination.ip"), 25)]);
    let group: Vec<&str> = agg.group_by.iter().map(|f| f.raw.as_str()).collect();
    assert_eq!(group, ["host.id", "user.name"]);
    assert_eq!(agg.condition.len(), 1);
    assert_eq!(
        (agg.condition[0].op, agg.condition[0].value),
        (Op::Gte, 3.0)
    );
    assert_eq!(agg.window.and_then(|w| w.seconds), Some(540));
}

#[test]
fn threshold_field_may_be_one_string_or_empty() {
    for (field, want) in [
        ("field = \"host.id\"\n", vec!["host.id"]),
        ("field = []\n", vec![]),
        ("field = \"\"\n", vec![]),
        ("", vec![]),
    ] {
        let (_, p) = read(&format!(
            "type = \"threshold\"\nquery = 'a:b'\n[rule.threshold]\n{field}value = 10\n"
        ));
        assert!(p.errors.is_empty(), "{field}: {:?}", p.errors);
        let agg = p.rules[0].logic.aggregation.clone().unwrap();
        let group: Vec<&str> = agg.group_by.iter().map(|f| f.raw.as_str()).collect();
        assert_eq!(group, want, "{field}");
    }
}

/// Malformed threshold tables: the code and the text the error points at.
#[test]
fn malformed_thresholds() {
    let cases = [
        ("missing table", "", "missing-key", "[rule]"),
        (
            "missing value",
            "[rule.threshold]\nfield = \"a\"\n",
            "missing-key",
            "[rule.threshold]",
        ),
        (
            "value not an integer",
            "[rule.threshold]\nvalue = \"ten\"\n",
            "wrong-type",
            "\"ten\"",
        ),
        (
            "value zero",
            "[rule.threshold]\nvalue = 0\n",
            "invalid-value",
            "0",
        ),
        (
            "field not strings",
            "[rule.threshold]\nfield = [1]\nvalue = 1\n",
            "wrong-type",
            "[1]",
        ),
        (
            "negative cardinality",
            "[rule.threshold]\nvalue = 1\n[[rule.threshold.cardinality]]\nfield = \"a\"\nvalue = -1\n",
            "invalid-value",
            "-1",
        ),
        (
            "cardinality without field",
            "[rule.threshold]\nvalue = 1\n[[rule.threshold.cardinality]]\nvalue = 2\n",
            "missing-key",
            "[[rule.threshold.cardinality]]",
        ),
    ];
    for (name, table, code, at) in cases {
        let (text, p) = read(&format!("type = \"threshold\"\nquery = 'a:b'\n{table}"));
        assert_eq!(codes(&p.errors), [code], "{name}");
        let span_text = p.errors[0].span.slice(&text).unwrap();
        assert!(span_text.starts_with(at), "{name}: points at {span_text:?}");
        assert_eq!(p.rules.len(), 1, "{name}: the rule is kept");
        assert!(!p.rules[0].logic.is_fully_parsed(), "{name}");
    }
}

#[test]
fn new_terms_become_a_new_terms_aggregation() {
    let (_, p) = read(
        "type = \"new_terms\"\nquery = 'event.category:authentication'\n\
         [rule.new_terms]\nfield = \"new_terms_fields\"\nvalue = [\"user.name\", \"source.ip\"]\n\
         [[rule.new_terms.history_window_start]]\nfield = \"history_window_start\"\nvalue = \"now-10d\"\n",
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let agg = p.rules[0].logic.aggregation.clone().unwrap();
    let AggregationKind::NewTerms { fields, history } = agg.kind else {
        panic!()
    };
    let fields: Vec<&str> = fields.iter().map(|f| f.raw.as_str()).collect();
    assert_eq!(fields, ["user.name", "source.ip"]);
    let history = history.unwrap();
    assert_eq!(
        (history.text.as_str(), history.seconds),
        ("now-10d", Some(864_000))
    );
}

#[test]
fn malformed_new_terms() {
    let cases = [
        ("missing table", "", "missing-key"),
        (
            "wrong kind",
            "[rule.new_terms]\nfield = \"terms\"\nvalue = [\"a\"]\n",
            "invalid-value",
        ),
        (
            "no history",
            "[rule.new_terms]\nfield = \"new_terms_fields\"\nvalue = [\"a\"]\n",
            "missing-key",
        ),
        (
            "history not a table",
            "[rule.new_terms]\nfield = \"new_terms_fields\"\nvalue = [\"a\"]\nhistory_window_start = 7\n",
            "wrong-type",
        ),
    ];
    for (name, table, code) in cases {
        let (_, p) = read(&format!("type = \"new_terms\"\nquery = 'a:b'\n{table}"));
        assert_eq!(codes(&p.errors), [code], "{name}");
        assert!(!p.rules[0].logic.is_fully_parsed(), "{name}");
    }
}

#[test]
fn unreadable_history_window_is_a_warning() {
    let (_, p) = read(
        "type = \"new_terms\"\nquery = 'a:b'\n[rule.new_terms]\nfield = \"new_terms_fields\"\nvalue = [\"a\"]\n\
         [[rule.new_terms.history_window_start]]\nfield = \"history_window_start\"\nvalue = \"last week\"\n",
    );
    assert!(p.errors.is_empty());
    assert_eq!(codes(&p.warnings), ["invalid-value"]);
}

#[test]
fn indicator_match_is_opaque_and_anded_with_the_query() {
    let (text, p) = read(
        "type = \"threat_match\"\nlanguage = \"kuery\"\nthreat_index = [\"logs-ti_*\"]\n\
         query = 'file.hash.sha256:*'\nthreat_query = 'event.type:indicator'\n\
         [[rule.threat_mapping]]\n[[rule.threat_mapping.entries]]\nfield = \"file.hash.sha256\"\ntype = \"mapping\"\nvalue = \"threat.indicator.file.hash.sha256\"\n",
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let r = &p.rules[0];
    assert_eq!(r.language, Language::Other);
    let Expr::And(parts) = &r.logic.expr else {
        panic!("{}", r.logic.expr)
    };
    assert!(matches!(parts[0], Expr::Pred(_)));
    let Expr::Opaque(o) = &parts[1] else { panic!() };
    assert_eq!(o.reason, super::logic::INDICATOR_REASON);
    assert!(
        o.span
            .and_then(|s| s.slice(&text))
            .unwrap()
            .starts_with("[[rule.threat_mapping]]")
    );
    assert_eq!(r.extra["language"], "kuery");
    assert_eq!(r.extra["threat_query"], "event.type:indicator");
    assert!(r.extra.contains_key("threat_mapping"));
}

#[test]
fn indicator_match_without_query_is_only_the_match() {
    let (_, p) = read("type = \"threat_match\"\nthreat_index = [\"a\", \"b\"]\n");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let Expr::Opaque(o) = &p.rules[0].logic.expr else {
        panic!()
    };
    assert_eq!(o.reason, super::logic::INDICATOR_REASON);
    assert_eq!(o.text, "[\"a\", \"b\"]");
}

#[test]
fn machine_learning_rules_are_kept_with_an_opaque_job() {
    for (jobs, reason) in [
        ("\"v3_rare_process\"", super::logic::ML_REASON),
        ("[\"job_a\", \"job_b\"]", super::logic::ML_REASON),
    ] {
        let (text, p) = read(&format!(
            "type = \"machine_learning\"\nanomaly_threshold = 70\nmachine_learning_job_id = {jobs}\n"
        ));
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let r = &p.rules[0];
        assert_eq!(r.language, Language::Other);
        let Expr::Opaque(o) = &r.logic.expr else {
            panic!()
        };
        assert_eq!(o.reason, reason);
        assert_eq!(o.text, jobs);
        assert_eq!(o.span.and_then(|s| s.slice(&text)), Some(jobs));
        assert_eq!(r.extra["anomaly_threshold"], 70);
        assert!(!r.extra.contains_key("language"));
    }
}

#[test]
fn filters_are_anded_after_the_query() {
    let (text, p) = read(
        "type = \"query\"\nquery = 'process.name:nc'\n\
         [[rule.filters]]\n[rule.filters.meta]\nnegate = true\n[rule.filters.query.wildcard.\"process.parent.name\"]\nvalue = \"sshd*\"\n\
         [[rule.filters]]\nmeta = {disabled = true}\nquery = {exists = {field = \"x\"}}\n",
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let r = &p.rules[0];
    assert_eq!(
        r.logic.expr.to_string(),
        r#"process.name eq "nc" and not process.parent.name wildcard:cased "sshd*""#
    );
    assert_eq!(r.logic.exclusions().len(), 1);
    assert_eq!(
        pred_texts(&text, &p)[1],
        "[rule.filters.query.wildcard.\"process.parent.name\"]\nvalue = \"sshd*\""
    );
    assert!(r.extra.contains_key("filters"));
}

#[test]
fn filters_that_are_not_an_array_are_an_error() {
    let (_, p) = read("type = \"query\"\nquery = 'a:b'\nfilters = \"x\"\n");
    assert_eq!(codes(&p.errors), ["wrong-type"]);
    assert!(!p.rules[0].logic.is_fully_parsed());
}

#[test]
fn sequence_steps_are_shifted_and_keep_their_own_window() {
    let (text, p) = read(
        "type = \"eql\"\nfrom = \"now-9m\"\nquery = '''\nsequence process.name:a network.protocol:dns\n'''\n",
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let agg = p.rules[0].logic.aggregation.clone().unwrap();
    assert_eq!(agg.window, None);
    let AggregationKind::Sequence { steps, .. } = agg.kind else {
        panic!()
    };
    let spans: Vec<&str> = steps
        .iter()
        .map(|s| s.expr.preds()[0].span.unwrap().slice(&text).unwrap())
        .collect();
    assert_eq!(spans, ["process.name:a", "network.protocol:dns"]);
}

#[test]
fn esql_from_indices_are_data_sources() {
    let (_, p) = read(
        "type = \"esql\"\nlanguage = \"esql\"\nquery = '''\nfrom logs-okta* | where event.category:authentication\n'''\n",
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let r = &p.rules[0];
    assert_eq!(r.data_sources, ["logs-okta*"]);
    assert_eq!(r.events, ["okta/system"]);
}

#[test]
fn crlf_files_and_basic_strings_keep_spans_exact() {
    let body =
        "type = \"query\"\nquery = \"\"\"\nuser.name:\\\"x\\\" and \\\n   host.name:h1\"\"\"\n";
    let (text, p) = read(body);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(
        pred_texts(&text, &p),
        ["user.name:\\\"x\\\"", "host.name:h1"]
    );

    let crlf =
        format!("{HEADER}type = \"query\"\nquery = '''\na:1\nb:2\n'''\n").replace('\n', "\r\n");
    let p = parse_with("t.toml", &crlf, &fake);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(pred_texts(&crlf, &p), ["a:1", "b:2"]);
}

/// Problems with the type or language: the rule stays, its logic is opaque.
#[test]
fn type_and_language_errors() {
    let cases = [
        (
            "unknown type",
            "type = \"magic\"\nquery = 'a:b'\n",
            "unknown-rule-type",
            "\"magic\"",
        ),
        ("type not a string", "type = 3\n", "wrong-type", "3"),
        ("no type", "query = 'a:b'\n", "missing-key", "[rule]"),
        (
            "eql in a query rule",
            "type = \"query\"\nlanguage = \"eql\"\nquery = 'a:b'\n",
            "invalid-language",
            "\"eql\"",
        ),
        (
            "kuery in an eql rule",
            "type = \"eql\"\nlanguage = \"kuery\"\nquery = 'a:b'\n",
            "invalid-language",
            "\"kuery\"",
        ),
        (
            "unknown language",
            "type = \"query\"\nlanguage = \"sql\"\nquery = 'a:b'\n",
            "invalid-language",
            "\"sql\"",
        ),
        (
            "query not a string",
            "type = \"query\"\nquery = ['a:b']\n",
            "wrong-type",
            "['a:b']",
        ),
        ("no query", "type = \"eql\"\n", "missing-key", "[rule]"),
        (
            "no ml job",
            "type = \"machine_learning\"\n",
            "missing-key",
            "[rule]",
        ),
    ];
    for (name, body, code, at) in cases {
        let (text, p) = read(body);
        assert_eq!(codes(&p.errors), [code], "{name}");
        let span_text = p.errors[0].span.slice(&text).unwrap();
        assert!(span_text.starts_with(at), "{name}: points at {span_text:?}");
        assert_eq!(p.rules.len(), 1, "{name}");
        assert!(!p.rules[0].logic.is_fully_parsed(), "{name}");
    }
}

/// What identifies a rule is required: without it there is no rule.
#[test]
fn identity_errors_give_no_rule() {
    let cases = [
        (
            "no rule table",
            "[metadata]\nmaturity = \"production\"\n",
            "missing-key",
            1,
            1,
        ),
        ("rule not a table", "rule = 1\n", "wrong-type", 1, 8),
        (
            "no rule_id",
            "[rule]\nname = \"x\"\ntype = \"query\"\nquery = 'a:b'\n",
            "missing-key",
            1,
            1,
        ),
        (
            "empty rule_id",
            "[rule]\nrule_id = \" \"\nname = \"x\"\n",
            "invalid-value",
            2,
            11,
        ),
        (
            "rule_id not a string",
            "[rule]\nrule_id = 7\nname = \"x\"\n",
            "wrong-type",
            2,
            11,
        ),
        ("no name", "[rule]\nrule_id = \"a\"\n", "missing-key", 1, 1),
        ("not TOML", "[rule]\nname = \"x\n", "toml-syntax", 2, 10),
    ];
    for (name, text, code, line, column) in cases {
        let p = parse_with("t.toml", text, &fake);
        assert!(p.rules.is_empty(), "{name}");
        assert_eq!(codes(&p.errors), [code], "{name}");
        let at = ruledex_diag::line_col(text, p.errors[0].span.start as usize);
        assert_eq!((at.line, at.column), (line, column), "{name}");
    }
}

#[test]
fn metadata_misfits_are_warnings_and_kept_in_extra() {
    let text = "[metadata]\ncreation_date = \"01/02/2024\"\nmaturity = \"shipping\"\nupdated_date = 20240101\n\
                [rule]\nrule_id = \"a\"\nname = \"x\"\ntype = \"query\"\nquery = 'a:b'\nseverity = \"urgent\"\ntags = \"OS: Linux\"\nreferences = [1]\n\
                [[rule.threat]]\nframework = \"MITRE ATT&CK\"\n[rule.threat.tactic]\nid = \"TA07\"\nname = \"Discovery\"\n\
                [[rule.threat.technique]]\nid = \"T1046\"\n[[rule.threat.technique.subtechnique]]\nid = \"T1046.1\"\n";
    let p = parse_with("t.toml", text, &fake);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let warned: Vec<(&str, &str)> = p
        .warnings
        .iter()
        .map(|w| (w.kind.code(), w.span.slice(text).unwrap_or("")))
        .collect();
    assert_eq!(
        warned,
        [
            ("invalid-date", "\"01/02/2024\""),
            ("unknown-maturity", "\"shipping\""),
            ("wrong-type", "20240101"),
            ("invalid-severity", "\"urgent\""),
            ("wrong-type", "[1]"),
            ("invalid-attack-ref", "\"TA07\""),
            ("invalid-attack-ref", "\"T1046.1\""),
        ]
    );
    let r = &p.rules[0];
    assert_eq!(r.created, None);
    assert_eq!(r.extra["creation_date"], "01/02/2024");
    assert_eq!(r.extra["updated_date"], 20_240_101);
    assert_eq!(r.extra["severity"], "urgent");
    assert_eq!(r.extra["references"], serde_json::json!([1]));
    assert_eq!(r.status.as_deref(), Some("shipping"));
    // A single string is a list of one tag.
    assert_eq!(r.tags, ["OS: Linux"]);
    assert_eq!(r.platforms, ["linux"]);
    assert_eq!(r.techniques, ["T1046"]);
    assert_eq!(r.tactics, ["discovery"]);
}

#[test]
fn deprecated_rules_are_read_and_flagged() {
    let text =
        HEADER.replace("\"production\"", "\"deprecated\"") + "type = \"query\"\nquery = 'a:b'\n";
    let p = parse_with("t.toml", &text, &fake);
    let r = &p.rules[0];
    assert!(r.deprecated);
    assert_eq!(r.status.as_deref(), Some("deprecated"));
}

#[test]
fn everything_without_a_home_is_in_extra() {
    let (text, p) = read(
        "type = \"query\"\nquery = 'a:b'\ninterval = \"5m\"\nfrom = \"now-9m\"\nnote = \"guide\"\nsetup = \"steps\"\n\
         building_block_type = \"default\"\nmax_signals = 100\nversion = 3\ntimestamp_override = \"event.ingested\"\n\
         exceptions_list = [{id = \"e\", list_id = \"l\", namespace_type = \"single\", type = \"detection\"}]\n\
         [[rule.related_integrations]]\npackage = \"endpoint\"\nversion = \"^8.2.0\"\n\
         [[rule.required_fields]]\nname = \"process.name\"\ntype = \"keyword\"\necs = true\n\
         [rule.alert_suppression]\ngroup_by = [\"host.id\"]\nduration = {unit = \"m\", value = 5}\n\
         [transform]\n[[transform.osquery]]\nlabel = \"l\"\nquery = \"SELECT 1\"\n",
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let r = &p.rules[0];
    let keys: Vec<&str> = r.extra.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "alert_suppression",
            "building_block_type",
            "exceptions_list",
            "from",
            "interval",
            "max_signals",
            "note",
            "related_integrations",
            "required_fields",
            "risk_score",
            "setup",
            "timestamp_override",
            "transform",
            "type",
            "version",
        ]
    );
    assert_eq!(r.extra["alert_suppression"]["duration"]["value"], 5);
    assert_eq!(r.extra["transform"]["osquery"][0]["query"], "SELECT 1");
    assert_eq!(r.text, text);
    assert_eq!(r.source.path, "t.toml");
    assert_eq!(r.description, "What it finds.");
    assert_eq!(r.modified.as_deref(), Some("2024-03-04"));
}

#[test]
fn data_view_is_a_data_source_but_not_an_index() {
    let (_, p) =
        read("type = \"query\"\nquery = 'a:b'\ndata_view_id = \"security-solution-default\"\n");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.rules[0].data_sources, ["security-solution-default"]);
    assert!(p.rules[0].events.is_empty());
}

#[test]
fn integrations_name_cloud_platforms() {
    let text = "[metadata]\nintegration = [\"aws\", \"o365\", \"endpoint\"]\n[rule]\nrule_id = \"a\"\nname = \"x\"\ntype = \"query\"\nquery = 'a:b'\ntags = [\"Domain: Cloud\"]\n";
    let p = parse_with("t.toml", text, &fake);
    let r = &p.rules[0];
    assert_eq!(r.platforms, ["aws", "m365"]);
    assert_eq!(r.domains, ["cloud"]);
    assert_eq!(
        r.extra["integration"],
        serde_json::json!(["aws", "o365", "endpoint"])
    );
}

#[test]
fn too_large_files_are_refused() {
    let text = "#".repeat(super::MAX_FILE_SIZE + 1);
    let p = parse_with("t.toml", &text, &fake);
    assert_eq!(codes(&p.errors), ["file-too-large"]);
}

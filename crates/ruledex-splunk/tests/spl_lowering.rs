//! Lowering SPL into the model: one named case per decision of
//! `spl::lower`'s documentation. Expected trees are written by hand in the
//! model's compact form.

use ruledex_model::{AggregationKind, Op, Transform};
use ruledex_splunk::spl::{self, Lowered, reason};
use ruledex_splunk::{Context, MacroDef};

fn context() -> Context {
    let mut cx = Context::new();
    cx.add_macro(MacroDef {
        name: "sysmon".into(),
        args: Vec::new(),
        definition: "sourcetype=xmlwineventlog".into(),
    });
    cx.add_macro(MacroDef {
        name: "process_cmd".into(),
        args: Vec::new(),
        definition: "(Processes.process_name=cmd.exe OR Processes.original_file_name=Cmd.Exe)"
            .into(),
    });
    cx.add_macro(MacroDef {
        name: "is_bad".into(),
        args: vec!["f".into()],
        definition: "lookup bad_list value as $f$ OUTPUT hit | search hit=*".into(),
    });
    cx.add_macro(MacroDef {
        name: "normalize".into(),
        args: Vec::new(),
        definition: "type=EXECVE | eval cmdline=mvjoin(args, \" \")".into(),
    });
    assert!(cx.add_lookup_yaml(
        "name: bad_list\nfilename: bad.csv\nmatch_type: WILDCARD(value)\ncase_sensitive_match: 'false'\n"
    ));
    cx
}

fn lower(text: &str) -> Lowered {
    let p = spl::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    spl::lower(&p, &context())
}

macro_rules! expr_cases {
    ($($name:ident: $text:expr => $expr:expr;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(lower($text).logic.expr.to_string(), $expr);
        }
    )*};
}

expr_cases! {
    search_values_fold_case_and_stars_reduce:
        "a=x b=*x* c=x* d=*x e=a*b f=*"
        => r#"a eq "x" and b contains "x" and c starts_with "x" and d ends_with "x" and e wildcard "a*b" and f exists true"#;
    search_numbers_are_ints: "EventCode=4688 x>5 y<=1.5"
        => "EventCode eq 4688 and x gt 5 and y lte 1.5";
    search_not_equal_is_not: "a!=1 NOT b=2" => "not a eq 1 and not b eq 2";
    or_inside_implicit_and: "a=1 b=2 OR c=3" => "a eq 1 and (b eq 2 or c eq 3)";
    in_pools_values_by_operator: r#"f IN ("a", "b", "*c*", "*d*", e*)"#
        => r#"f in any["a", "b"] or f contains any["c", "d"] or f starts_with "e""#;
    quoted_backslashes_are_unescaped: r#"Image="*\\cmd.exe""# => r#"Image ends_with "\\cmd.exe""#;
    bare_terms_are_keywords: r#"error "two words" fail*ed"#
        => r#"keyword contains "error" and keyword contains "two words" and keyword wildcard "fail*ed""#;
    macros_expand: "`sysmon` EventCode=1" => r#"sourcetype eq "xmlwineventlog" and EventCode eq 1"#;
    undefined_macro_is_opaque: "`nope` a=1"
        => r#"opaque("macro is not defined (`nope`)": `nope`) and a eq 1"#;
    filter_macros_are_no_ops: "a=1 | `some_detection_filter`" => "a eq 1";
    where_is_case_sensitive: r#"x=1 | where a="V" AND b!="w""#
        => r#"x eq 1 and a eq:cased "V" and not b eq:cased "w""#;
    where_like_and_match: r#"x=1 | where like(a, "%x%") AND match(b, "(?i)^y") AND match(c, "z$")"#
        => r#"x eq 1 and a contains:cased "x" and b regex "^y" and c regex:cased "z$""#;
    where_in_and_null_tests: r#"x=1 | where in(a, "p", "q") AND isnull(b) AND isnotnull(c)"#
        => r#"x eq 1 and a in:cased any["p", "q"] and b is_null and c is_not_null"#;
    where_two_fields_is_field_ref: "x=1 | where a != b" => r#"x eq 1 and not a field_ref:cased "b""#;
    rename_is_traced: r#"x=1 | rename a as b | where b="v""# => r#"x eq 1 and a eq:cased "v""#;
    eval_alias_is_traced: "x=1 | eval b=a | search b=v" => r#"x eq 1 and a eq "v""#;
    eval_lower_of_lowercase_is_case_insensitive: r#"x=1 | eval b=lower(a) | where b="v""#
        => r#"x eq 1 and a eq "v""#;
    eval_len_is_a_transform: "x=1 | eval n=len(a) | where n > 10" => "x eq 1 and length(a) gt 10";
    eval_mvindex_is_opaque: r#"x=1 | eval b=mvindex(a, 0) | where b="y""#
        => r#"x eq 1 and opaque("condition on a value computed by eval": b = "y")"#;
    rex_fields_are_opaque: r#"x=1 | rex field=a "(?<u>\w+)" | where u="v""#
        => r#"x eq 1 and opaque("condition on a field extracted at search time": u = "v")"#;
    regex_command: r#"x=1 | regex a="^b" | regex c!="d""#
        => r#"x eq 1 and a regex:cased "^b" and not c regex:cased "d""#;
    lookup_output_test_is_a_lookup: "x=1 | lookup bad_list value AS domain OUTPUT hit | where isnotnull(hit)"
        => r#"x eq 1 and domain lookup(wildcard) "bad_list""#;
    lookup_output_null_is_negated: "x=1 | lookup bad_list value AS domain OUTPUT hit | where isnull(hit)"
        => r#"x eq 1 and not domain lookup(wildcard) "bad_list""#;
    command_macro_with_arguments: "x=1 | `is_bad(query)`" => r#"x eq 1 and query lookup(wildcard) "bad_list""#;
    inputlookup_subsearch_is_a_lookup: "x=1 [| inputlookup bad_list | fields domain]"
        => r#"x eq 1 and domain lookup(wildcard) "bad_list""#;
    join_is_opaque: "x=1 | join h [search y=2]"
        => r#"x eq 1 and opaque("join with a subsearch": join h [search y=2])"#;
    normalization_macro_fields_are_fields: r#"`normalize` | where like(cmdline, "%curl%")"#
        => r#"type eq "EXECVE" and cmdline contains:cased "curl""#;
    tstats_where_and_drop_dm_object_name:
        r#"| tstats count from datamodel=Endpoint.Processes where `process_cmd` Processes.process="*/c*" by Processes.dest Processes.process | `drop_dm_object_name(Processes)` | where like(process, "%whoami%")"#
        => r#"(Processes.process_name eq "cmd.exe" or Processes.original_file_name eq "Cmd.Exe") and Processes.process contains "/c" and Processes.process contains:cased "whoami""#;
    if_with_literal_results_is_its_condition: r#"x=1 | eval hit=if(like(a, "%b%"), 1, 0) | where hit=1"#
        => r#"x eq 1 and a contains:cased "b""#;
    case_branches_exclude_the_earlier_ones: r#"x=1 | eval k=case(a="p", "one", b="q", "two", true(), "other") | search k=two"#
        => r#"x eq 1 and not a eq:cased "p" and b eq:cased "q""#;
    condition_on_dropped_field_is_opaque: r#"x=1 | stats count by a | where b="v""#
        => r#"x eq 1 and opaque("condition on a field not kept by stats": b = "v")"#;
    condition_on_group_key_stays_an_event_condition: r#"x=1 | stats count by a | where a="v""#
        => r#"x eq 1 and a eq:cased "v""#;
}

#[test]
fn stats_count_threshold() {
    let l = lower(
        "`sysmon` EventCode=4625 | bin _time span=5m | stats count by _time, src | where count >= 10",
    );
    let agg = l.logic.aggregation.unwrap();
    assert!(
        matches!(&agg.kind, AggregationKind::Threshold { cardinality } if cardinality.is_empty())
    );
    assert_eq!(
        agg.group_by
            .iter()
            .map(|f| f.raw.as_str())
            .collect::<Vec<_>>(),
        ["src"]
    );
    assert_eq!(agg.window.as_ref().and_then(|w| w.seconds), Some(300));
    assert_eq!(agg.condition.len(), 1);
    assert_eq!(agg.condition[0].op, Op::Gte);
    assert!((agg.condition[0].value - 10.0).abs() < f64::EPSILON);
    assert!(agg.having.is_none());
}

#[test]
fn distinct_count_bound_is_a_value_count() {
    let l = lower("x=1 | stats dc(user) as users by src | where users > 30");
    let agg = l.logic.aggregation.unwrap();
    let AggregationKind::ValueCount { field, .. } = &agg.kind else {
        panic!("{:?}", agg.kind)
    };
    assert_eq!(field.raw, "user");
    assert_eq!(agg.condition[0].op, Op::Gt);
}

#[test]
fn count_and_distinct_minimum_is_a_threshold_with_cardinality() {
    let l = lower("x=1 | stats count dc(port) as ports by src | where count > 100 AND ports > 49");
    let agg = l.logic.aggregation.unwrap();
    let AggregationKind::Threshold { cardinality } = &agg.kind else {
        panic!("{:?}", agg.kind)
    };
    assert_eq!(cardinality.len(), 1);
    assert_eq!(cardinality[0].0.raw, "port");
    assert_eq!(cardinality[0].1, 50);
    assert_eq!(agg.condition[0].op, Op::Gt);
}

#[test]
fn other_aggregate_conditions_are_having() {
    let l = lower(
        r#"x=1 | stats values(cmd) as cmds max(bytes) as top by h | where top > 5 OR match(cmds, "x")"#,
    );
    assert!(l.logic.is_fully_parsed());
    let agg = l.logic.aggregation.unwrap();
    assert!(agg.condition.is_empty());
    assert_eq!(
        agg.having.unwrap().to_string(),
        r#"top gt 5 or cmds regex:cased "x""#
    );
}

#[test]
fn count_of_eval_is_a_filtered_metric() {
    let l = lower(r#"x=1 | stats count(eval(action="fail")) as fails by h"#);
    let agg = l.logic.aggregation.unwrap();
    assert_eq!(agg.metrics[0].name, "fails");
    assert_eq!(
        agg.metrics[0].filter.as_ref().unwrap().to_string(),
        r#"action eq:cased "fail""#
    );
}

#[test]
fn eventstats_aggregates_are_opaque() {
    let l = lower("x=1 | eventstats count as n by h | where n < 3");
    assert_eq!(l.logic.expr.opaques()[0].reason, reason::RUNNING_AGGREGATE);
}

#[test]
fn substr_is_one_based() {
    let l = lower(r#"x=1 | where substr(a, 1, 3) = "abc""#);
    let p = &l.logic.expr.preds()[1];
    assert_eq!(
        p.transforms,
        [Transform::Substring {
            start: 0,
            len: Some(3)
        }]
    );
}

#[test]
fn outputs_name_datamodels_macros_and_lookups() {
    let l = lower(
        "| tstats count from datamodel=Endpoint.Processes where `process_cmd` by Processes.dest | `is_bad(dest)`",
    );
    assert_eq!(l.datamodels, ["Endpoint.Processes"]);
    assert_eq!(l.macros, ["process_cmd", "is_bad"]);
    assert_eq!(l.lookups, ["bad_list"]);
}

#[test]
fn macro_predicates_point_at_the_call() {
    let text = "`sysmon` a=1";
    let l = lower(text);
    let preds = l.logic.expr.preds();
    assert_eq!(preds[0].span.unwrap().slice(text), Some("`sysmon`"));
    assert_eq!(preds[1].span.unwrap().slice(text), Some("a=1"));
}

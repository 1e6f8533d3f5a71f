//! How each EQL construct lowers into the model, one named case each, and
//! two whole-query fixtures written for these tests: a nested `or` with a
//! scoped `not` (the shape of a T1046 network-scanning rule), and a sequence
//! with `by`, `maxspan`, `runs` and `until`.

use ruledex_elastic::eql;
use ruledex_model::{AggregationKind, ExclusionScope, Expr, Logic, Op, Value, Window};

/// The lowered condition of `any where <condition>`, in the model's compact form.
fn lowered(condition: &str) -> String {
    let text = format!("any where {condition}");
    match eql::parse_and_lower(&text) {
        Ok(l) => l.expr.to_string(),
        Err(e) => format!("error[{}]: {e}", e.kind.code()),
    }
}

macro_rules! lower_cases {
    ($($name:ident: $input:expr => $want:expr;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(lowered($input), $want);
        }
    )*};
}

lower_cases! {
    // Equality and comparisons.
    double_equals_is_case_sensitive: r#"a == "X""# => r#"a eq:cased "X""#;
    double_equals_number_has_no_case: "a == 5" => "a eq 5";
    double_equals_bool: "a == true" => "a eq true";
    not_equals_is_not_eq: r#"a != "x""# => r#"not a eq:cased "x""#;
    equals_null_is_is_null: "a == null" => "a is_null";
    not_equals_null_is_is_not_null: "a != null" => "a is_not_null";
    less_than: "a < 5" => "a lt 5";
    less_or_equal: "a <= 5" => "a lte 5";
    greater_than: "a > 5.5" => "a gt 5.5";
    greater_or_equal: "a >= -1" => "a gte -1";
    literal_on_the_left_flips: "5 < a" => "a gt 5";
    optional_field_is_the_field: r#"?a.b == "x""# => r#"a.b eq:cased "x""#;
    backtick_field_is_dotted: r#"`a-b`.c == "x""# => r#"a-b.c eq:cased "x""#;
    bare_field_is_true: "a" => "a eq true";

    // `:` — case-insensitive, wildcards reduced. (The model prints strings
    // Rust-escaped: a backslash shows as `\\`.)
    colon_plain_is_eq: r#"a : "X""# => r#"a eq "X""#;
    colon_contains: r#"a : "*x*""# => r#"a contains "x""#;
    colon_starts_with: r#"a : "C:\\Windows\\*""# => r#"a starts_with "C:\\Windows\\""#;
    colon_ends_with: r#"a : "*\\cmd.exe""# => r#"a ends_with "\\cmd.exe""#;
    colon_question_mark_is_wildcard: r#"a : "?:\\Users\\*""# => r#"a wildcard "?:\\\\Users\\\\*""#;
    colon_list_of_plain_values_is_in: r#"a : ("x", "y")"# => r#"a in any["x", "y"]"#;
    colon_list_groups_by_operator: r#"a : ("x", "y*", "*z*", "w*")"#
        => r#"a eq "x" or a starts_with any["y", "w"] or a contains "z""#;
    colon_number: "a : 5" => "a eq 5";
    colon_null: "a : null" => "a is_null";
    colon_field_is_field_ref: "a : b" => r#"a field_ref "b""#;

    // like / regex.
    like_is_case_sensitive: r#"a like "x*""# => r#"a starts_with:cased "x""#;
    like_insensitive: r#"a like~ ("*x", "y")"# => r#"a ends_with "x" or a eq "y""#;
    regex_is_anchored: r#"a regex "[0-9]+""# => r#"a regex:cased:s "^[0-9]+$""#;
    regex_leading_dot_star_is_dropped: r#"a regex~ """.*\.(exe|dll)""""# => r#"a regex:s "\\.(exe|dll)$""#;
    regex_list: r#"a regex ("x.*", ".*y")"# => r#"a regex:cased:s any["^x", "y$"]"#;
    regex_the_model_cannot_read: r#"a regex "x(""#
        => r#"opaque("EQL regex that the model's regex syntax cannot read": a regex "x(")"#;
    like_from_a_field: "a like b" => r#"opaque("EQL pattern taken from a field": a like b)"#;

    // in.
    in_is_case_sensitive: r#"a in ("x", "y")"# => r#"a in:cased any["x", "y"]"#;
    in_insensitive: r#"a in~ ("x", "y")"# => r#"a in any["x", "y"]"#;
    in_single_is_eq: r#"a in ("x")"# => r#"a eq:cased "x""#;
    not_in_is_not_of_in: r#"a not in ("x", "y")"# => r#"not a in:cased any["x", "y"]"#;
    not_before_in_is_the_same: r#"not a in ("x", "y")"# => r#"not a in:cased any["x", "y"]"#;
    in_with_null: r#"a in ("x", null)"# => r#"a eq:cased "x" or a is_null"#;
    in_numbers: "a in (1, 2)" => "a in any[1, 2]";

    // Functions.
    starts_with_function: r#"startsWith(a, "x")"# => r#"a starts_with:cased "x""#;
    starts_with_insensitive: r#"startswith~(a, "x")"# => r#"a starts_with "x""#;
    ends_with_function: r#"endsWith(a, "x")"# => r#"a ends_with:cased "x""#;
    string_contains_function: r#"stringContains(a, "x")"# => r#"a contains:cased "x""#;
    cidr_match: r#"cidrMatch(ip, "10.0.0.0/8", "192.168.0.0/16")"# => r#"ip cidr any["10.0.0.0/8", "192.168.0.0/16"]"#;
    cidr_match_lower_case_name: r#"cidrmatch(ip, "10.0.0.0/8")"# => r#"ip cidr "10.0.0.0/8""#;
    wildcard_function: r#"wildcard(a, "x*", "*y")"# => r#"a starts_with:cased "x" or a ends_with:cased "y""#;
    starts_with_field: "startsWith~(a, b)" => r#"a field_ref(starts_with) "b""#;
    length_is_a_transform: "length(a) > 3" => "length(a) gt 3";
    length_on_the_right_flips: "0 < length(a)" => "length(a) gt 0";
    length_equal_zero: "length(a) == 0" => "length(a) eq 0";
    length_not_equal: "length(a) != 2" => "not length(a) eq 2";
    substring_with_end: r#"substring(a, 1, 4) == "abc""# => r#"substring(a, 1, 3) eq:cased "abc""#;
    pattern_match_on_a_function_stays_opaque: r#"substring(a, -3) : "exe""# => r#"opaque("EQL function `substring`": substring(a, -3) : "exe")"#;
    substring_negative_end_is_a_slice: r#"substring(a, 0, -1) == "x""# => r#"slice(a, 0, -1) eq:cased "x""#;
    length_of_substring: "length(substring(a, 2)) >= 5" => "length(substring(a, 2)) gte 5";
    insensitive_call_is_not_a_transform: "between~(a, \"x\", \"y\") == \"z\"" => r#"opaque("EQL function `between`": between~(a, "x", "y") == "z")"#;
    unknown_function: "number(a) > 3" => r#"opaque("EQL function `number`": number(a) > 3)"#;
    function_as_condition: "between(a, \"x\", \"y\") == \"z\"" => r#"opaque("EQL function `between`": between(a, "x", "y") == "z")"#;
    // `field_ref` names the other field's own value: a transformed one is opaque.
    prefix_from_a_transformed_field_is_opaque: "startsWith~(a, substring(b, 0, -1))"
        => r#"opaque("EQL function `substring`": startsWith~(a, substring(b, 0, -1)))"#;
    transformed_field_starts_with_a_field: "startsWith~(substring(b, 0, -1), a)"
        => r#"slice(b, 0, -1) field_ref(starts_with) "a""#;
    string_conversion_is_the_value: "endsWith(string(source.ip), string(host.ip))"
        => r#"source.ip field_ref(ends_with):cased "host.ip""#;
    substring_to_length_minus_one: "startsWith~(substring(b, 0, length(b) - 1), a)"
        => r#"slice(b, 0, -1) field_ref(starts_with) "a""#;
    substring_to_the_length_of_another_field_is_opaque: "startsWith~(a, substring(b, 0, length(c) - 1))"
        => r#"opaque("EQL function `substring`": startsWith~(a, substring(b, 0, length(c) - 1)))"#;
    concat_argument_is_opaque: r#"startsWith(a, concat(b, "."))"#
        => r#"opaque("EQL function `concat`": startsWith(a, concat(b, ".")))"#;
    function_without_value: "startsWith(a)" => r#"opaque("EQL function `startsWith` without arguments": startsWith(a))"#;

    // Fields against fields, and the rest.
    field_equals_field: "a == b" => r#"a field_ref:cased "b""#;
    field_not_equals_field: "a != b" => r#"not a field_ref:cased "b""#;
    field_less_than_field: "a < b" => r#"opaque("EQL ordering comparison between two fields": a < b)"#;
    arithmetic: "a + 1 == 2" => r#"opaque("EQL arithmetic": (a + 1) == 2)"#;
    two_literals: "1 == 1" => r#"opaque("EQL comparison without a field": 1 == 1)"#;
    null_ordering: "a > null" => r#"opaque("EQL ordering comparison with null": a > null)"#;

    // Boolean structure.
    and_or_not: "a == 1 and (b == 2 or not c == 3)" => "a eq 1 and (b eq 2 or not c eq 3)";
    double_not_cancels: "not not a == 1" => "a eq 1";
}

#[test]
fn true_and_false_are_empty_groups() {
    let l = eql::parse_and_lower("any where true").unwrap();
    assert_eq!(l.expr, Expr::And(Vec::new()));
    let l = eql::parse_and_lower("any where false").unwrap();
    assert_eq!(l.expr, Expr::Or(Vec::new()));
}

#[test]
fn category_is_a_hint_not_a_predicate() {
    let l = eql::parse_and_lower(r#"file where file.name == "x""#).unwrap();
    assert_eq!(l.expr.to_string(), r#"file.name eq:cased "x""#);
    assert_eq!(l.hints, vec![("event.category".into(), "file".into())]);
    let l = eql::parse_and_lower(r#"any where file.name == "x""#).unwrap();
    assert!(l.hints.is_empty());
}

#[test]
fn positive_equalities_on_event_fields_are_hints() {
    let l = eql::parse_and_lower(
        r#"any where event.category : "network" and event.type in ("start", "info")
           and not event.action == "x" and host.os.type == "linux" and event.code == 4625"#,
    )
    .unwrap();
    let hints: Vec<String> = l.hints.iter().map(|(f, v)| format!("{f}={v}")).collect();
    assert_eq!(
        hints,
        [
            "event.category=network",
            "event.type=start",
            "event.type=info",
            "host.os.type=linux",
            "event.code=4625"
        ]
    );
}

#[test]
fn pipes() {
    let l = eql::parse_and_lower("any where a == 1 | head 10 | tail 2").unwrap();
    assert_eq!(l.expr.to_string(), "a eq 1");
    let l = eql::parse_and_lower("any where a == 1 | filter b == 2").unwrap();
    assert_eq!(l.expr.to_string(), "a eq 1 and b eq 2");
    let l = eql::parse_and_lower("any where a == 1 | unique b").unwrap();
    assert_eq!(
        l.expr.to_string(),
        r#"a eq 1 and opaque("EQL pipe `| unique`": | unique b)"#
    );
}

#[test]
fn predicates_carry_their_spans() {
    let text = r#"process where process.name : ("a.exe", "b*") and not user.id == "S-1-5-18""#;
    let l = eql::parse_and_lower(text).unwrap();
    let spans: Vec<&str> = l
        .expr
        .preds()
        .iter()
        .map(|p| p.span.unwrap().slice(text).unwrap())
        .collect();
    assert_eq!(
        spans,
        [
            r#"process.name : ("a.exe", "b*")"#,
            r#"process.name : ("a.exe", "b*")"#,
            r#"user.id == "S-1-5-18""#
        ]
    );
}

/// The shape of a network-service-discovery rule: scanners by name, or a
/// shell with scanning arguments minus benign ones, or a scripted socket loop.
const NESTED_NOT: &str = r#"process where event.type == "start" and
(
  process.name : ("portsweep.exe", "netprobe.exe", "hostscan", "svcmap")
  or
  (
    process.name : ("powershell.exe", "pwsh.exe", "cmd.exe")
    and process.command_line : ("*Test-NetConnection*", "*TcpClient*", "*1..1024*", "*net view*")
    and not process.command_line : ("*--version*", "*-help*", "*Get-Help*")
  )
  or
  (
    process.name : ("powershell.exe", "pwsh.exe")
    and process.command_line : ("*Net.Sockets*")
    and process.command_line : ("*foreach*", "*ForEach-Object*")
  )
)"#;

#[test]
fn nested_not_is_a_branch_exclusion() {
    let l = eql::parse_and_lower(NESTED_NOT).unwrap();
    assert_eq!(
        l.expr.outline(),
        r#"and
  event.type eq:cased "start"
  or
    process.name in any["portsweep.exe", "netprobe.exe", "hostscan", "svcmap"]
    and
      process.name in any["powershell.exe", "pwsh.exe", "cmd.exe"]
      process.command_line contains any["Test-NetConnection", "TcpClient", "1..1024", "net view"]
      not
        process.command_line contains any["--version", "-help", "Get-Help"]
    and
      process.name in any["powershell.exe", "pwsh.exe"]
      process.command_line contains "Net.Sockets"
      process.command_line contains any["foreach", "ForEach-Object"]
"#
    );
    let exclusions = Logic::new(l.expr).exclusions();
    assert_eq!(
        exclusions.len(),
        1,
        "one exclusion, and not a rule-wide one"
    );
    let ex = &exclusions[0];
    assert_eq!(
        ex.expr.to_string(),
        r#"process.command_line contains any["--version", "-help", "Get-Help"]"#
    );
    let ExclusionScope::Branch { path, scoped_to } = &ex.scope else {
        panic!("expected a branch exclusion, got {:?}", ex.scope);
    };
    // Top-level `and` child 1 (the `or`), then its branch 1.
    assert_eq!(path, &vec![1, 1]);
    let scoped: Vec<String> = scoped_to.iter().map(ToString::to_string).collect();
    assert_eq!(
        scoped,
        [
            r#"process.name in any["powershell.exe", "pwsh.exe", "cmd.exe"]"#,
            r#"process.command_line contains any["Test-NetConnection", "TcpClient", "1..1024", "net view"]"#,
        ]
    );
    assert_eq!(
        l.hints,
        vec![
            ("event.category".into(), "process".into()),
            ("event.type".into(), "start".into())
        ]
    );
}

/// Repeated failed logons followed by a success from the same address,
/// unless the user logs off first.
const SEQUENCE: &str = r#"sequence by host.id, user.name with maxspan=30s
  [authentication where event.action == "logon-failed" and source.ip != null] by source.ip with runs=3
  [authentication where event.outcome == "success"] by source.ip
until
  [process where process.name : "logoff.exe"]"#;

#[test]
fn sequence_with_by_maxspan_runs_and_until() {
    let q = eql::parse(SEQUENCE).unwrap();
    assert_eq!(eql::parse(&q.to_string()).unwrap(), q, "round trip");
    let l = eql::lower(&q);
    let failed = r#"event.action eq:cased "logon-failed" and source.ip is_not_null"#;
    let success = r#"event.outcome eq:cased "success""#;
    assert_eq!(l.expr.to_string(), format!("({failed}) or {success}"));
    let agg = l.aggregation.expect("a sequence aggregation");
    let names = |fs: &[ruledex_model::Field]| fs.iter().map(|f| f.raw.clone()).collect::<Vec<_>>();
    assert_eq!(names(&agg.group_by), ["host.id", "user.name"]);
    assert_eq!(agg.window, Some(Window::parse("30s")));
    assert_eq!(agg.window.and_then(|w| w.seconds), Some(30));
    let AggregationKind::Sequence { steps, until } = agg.kind else {
        panic!("expected a sequence");
    };
    let steps: Vec<(String, Vec<String>)> = steps
        .iter()
        .map(|s| (s.expr.to_string(), names(&s.by)))
        .collect();
    let by = vec!["source.ip".to_owned()];
    assert_eq!(
        steps,
        [
            (failed.to_owned(), by.clone()),
            (failed.to_owned(), by.clone()),
            (failed.to_owned(), by.clone()),
            (success.to_owned(), by),
        ]
    );
    assert_eq!(
        until.map(|u| u.to_string()).as_deref(),
        Some(r#"process.name eq "logoff.exe""#)
    );
    // `until` cancels: its category is not a hint.
    assert_eq!(
        l.hints,
        vec![
            ("event.category".into(), "authentication".into()),
            ("event.action".into(), "logon-failed".into())
        ]
    );
}

#[test]
fn missing_event_term_is_an_opaque_step() {
    let l = eql::parse_and_lower(
        "sequence by host.id with maxspan=5m [any where a == 1] ![process where b == 2]",
    )
    .unwrap();
    let Some(AggregationKind::Sequence { steps, .. }) = l.aggregation.map(|a| a.kind) else {
        panic!("expected a sequence");
    };
    assert_eq!(steps.len(), 2);
    let Expr::Opaque(o) = &steps[1].expr else {
        panic!("expected an opaque step");
    };
    assert_eq!(o.reason, "EQL missing-event term `![…]`");
    assert_eq!(o.text, "![process where b == 2]");
    assert!(l.expr.has_opaque());
}

#[test]
fn sample_is_an_unwindowed_sequence() {
    let l = eql::parse_and_lower(
        "sample by host.id [process where a == 1] [network where b == 2] by c",
    )
    .unwrap();
    assert_eq!(l.expr.to_string(), "a eq 1 or b eq 2");
    let agg = l.aggregation.expect("an aggregation");
    assert_eq!(agg.window, None);
    let AggregationKind::Sequence { steps, until } = agg.kind else {
        panic!("expected a sequence");
    };
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[1].by[0].raw, "c");
    assert!(until.is_none());
    assert_eq!(
        l.hints,
        vec![
            ("event.category".into(), "process".into()),
            ("event.category".into(), "network".into())
        ]
    );
}

#[test]
fn wildcard_values_escape_backslashes_for_the_model() {
    let l = eql::parse_and_lower(r#"any where a like "C:\\*\\x?.exe""#).unwrap();
    let p = &l.expr.preds()[0];
    assert_eq!(p.op, Op::Wildcard);
    assert_eq!(p.values, vec![Value::from(r"C:\\*\\x?.exe")]);
    assert!(p.case_sensitive);
}

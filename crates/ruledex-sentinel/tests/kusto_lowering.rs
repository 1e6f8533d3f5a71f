//! Kusto lowering: one named case per construct, the expected logic written by hand.

use ruledex_model::{AggregationKind, Op};
use ruledex_sentinel::kusto::{self, Lowered, reason};

fn lower(q: &str) -> Lowered {
    kusto::lower(&kusto::parse(q).unwrap_or_else(|e| panic!("{q}: {e}")))
}

macro_rules! lowers_to {
    ($($name:ident: $q:expr => $want:expr,)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(lower($q).expr.to_string(), $want);
        }
    )*};
}

lowers_to! {
    eq_is_case_sensitive: "T | where A == 'x'" => r#"A eq:cased "x""#,
    tilde_eq_ignores_case: "T | where A =~ 'x'" => r#"A eq "x""#,
    not_equal_is_negation: "T | where A != 'x'" => r#"not A eq:cased "x""#,
    numbers_have_no_case: "T | where EventID == 4625" => "EventID eq 4625",
    has_is_contains: "T | where A has 'x' and B !has_cs 'y'" => r#"A contains "x" and not B contains:cased "y""#,
    starts_ends: "T | where A startswith 'x' or B endswith_cs 'y'" => r#"A starts_with "x" or B ends_with:cased "y""#,
    regex: "T | where A matches regex '^a'" => r#"A regex:cased "^a""#,
    in_tilde_with_let_list: "let L = dynamic(['a', 'b']); T | where A in~ (L)" => r#"A in any["a", "b"]"#,
    not_in_cased: "T | where A !in ('a', 'b')" => r#"not A in:cased any["a", "b"]"#,
    has_all_is_all: "T | where A has_all ('a', 'b')" => r#"A contains all["a", "b"]"#,
    between_is_a_range: "T | where A between (1 .. 5)" => "A gte 1 and A lte 5",
    isnotempty_is_exists: "T | where isnotempty(A) and isempty(B) and isnull(C)" => "A exists true and B exists false and C is_null",
    not_call: "T | where not(A has 'x')" => r#"not A contains "x""#,
    cidr: "T | where ipv4_is_in_range(IP, '10.0.0.0/8')" => r#"IP cidr "10.0.0.0/8""#,
    condition_compared_with_false: "T | where ipv4_is_private(IP) == False" => r#"not IP cidr any["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]"#,
    time_range_is_not_logic: "T | where TimeGenerated > ago(1d) | where A == 1" => "A eq 1",
    extend_traced: "T | extend a = tolower(B) | where a == 'x'" => r#"lower(B) eq:cased "x""#,
    member_chain: "T | where tostring(parse_json(F).g) =~ 'x'" => r#"F.g eq "x""#,
    field_ref: "T | where A == B" => "A field_ref:cased \"B\"",
    tabular_let_is_lookup: "let U = V | project A; T | where A in (U)" => r#"A lookup:cased "U""#,
    union_is_or: "union (T | where A == 1), (U | where B == 2)" => "A eq 1 or B eq 2",
    union_with_unfiltered_member_has_no_filter: "union (T | where A == 1), U" => "",
    leftanti_join_is_not_lookup: "T | join kind=leftanti (U | project A) on A" => "not A lookup:cased \"U | project A\"",
}

#[test]
fn has_is_recorded_as_an_approximation() {
    let l = lower("T | where A has 'x' and B has_any ('y')");
    assert_eq!(l.approximations, ["has", "has_any"]);
}

#[test]
fn summarize_count_threshold() {
    let l = lower(
        "SigninLogs | where ResultType == '50126' | summarize count() by User, bin(TimeGenerated, 1h) | where count_ >= 10",
    );
    assert_eq!(l.expr.to_string(), r#"ResultType eq:cased "50126""#);
    let agg = l.aggregation.unwrap();
    assert_eq!(
        agg.group_by
            .iter()
            .map(|f| f.raw.as_str())
            .collect::<Vec<_>>(),
        ["User"]
    );
    assert_eq!(agg.window.unwrap().seconds, Some(3600));
    assert_eq!(agg.condition.len(), 1);
    assert_eq!(agg.condition[0].op, Op::Gte);
    assert!((agg.condition[0].value - 10.0).abs() < f64::EPSILON);
}

#[test]
fn filter_on_group_key_after_summarize_moves_before_it() {
    let l = lower("T | summarize n = count() by User | where User != 'svc' and n > 3");
    assert_eq!(l.expr.to_string(), r#"not User eq:cased "svc""#);
    let agg = l.aggregation.unwrap();
    // `n` is a named count: not the plain `count_`, still the event count.
    assert_eq!(agg.condition[0].op, Op::Gt);
}

#[test]
fn dcount_bound_is_cardinality() {
    let l = lower("T | summarize d = dcount(Port) by Src | where d > 20");
    match l.aggregation.unwrap().kind {
        AggregationKind::Threshold { cardinality } => {
            assert_eq!(cardinality[0].0.raw, "Port");
            assert_eq!(cardinality[0].1, 21);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn other_metric_comparison_is_having() {
    let l = lower("T | summarize s = sum(Bytes) by Src | where s > 1000");
    let agg = l.aggregation.unwrap();
    assert!(agg.condition.is_empty());
    assert_eq!(agg.having.unwrap().to_string(), "s gt 1000");
}

#[test]
fn opaque_reasons_are_stable() {
    let cases = [
        (
            "T | extend a = strcat(B, C) | where a == 'x'",
            reason::COMPUTED,
        ),
        (
            "T | parse M with * 'k=' V ';' * | where V == 'x'",
            reason::PARSED,
        ),
        (
            "T | join kind=inner (U) on $left.A == $right.B, C",
            reason::JOIN,
        ),
        (
            "T | summarize count() by A | summarize count() by B",
            reason::SECOND_AGGREGATION,
        ),
        ("T | where A == B + 1", reason::NON_LITERAL),
        (
            "T | summarize m = make_set(A) by B | where array_length(m) > 2",
            reason::AGGREGATE,
        ),
    ];
    for (q, want) in cases {
        let l = lower(q);
        let reasons: Vec<String> = l.expr.opaques().iter().map(|o| o.reason.clone()).collect();
        assert_eq!(reasons, [want], "{q}");
    }
}

#[test]
fn tables_are_collected() {
    let l = lower(
        "let f = (t:string) { table(t) }; union f('SigninLogs'), Device*, imProcessCreate | join (SecurityEvent) on A",
    );
    assert_eq!(
        l.tables,
        ["SigninLogs", "Device*", "imProcessCreate", "SecurityEvent"]
    );
}

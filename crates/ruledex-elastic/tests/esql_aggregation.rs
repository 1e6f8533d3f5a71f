//! ES|QL `STATS` and the filters after it, one named case per decision: each
//! query (written for these tests) is lowered, and its event condition,
//! aggregation (kind, keys, window, threshold or `having`) and metrics are
//! compared with the expected text.

use std::fmt::Write as _;

use ruledex_elastic::Lowered;
use ruledex_elastic::esql;
use ruledex_model::{Aggregation, AggregationKind, Expr, Op, Pred};

/// The expression in the model's compact form; `<all>` for "no condition".
fn expr_text(e: &Expr) -> String {
    match e {
        Expr::And(c) if c.is_empty() => "<all>".into(),
        other => other.to_string(),
    }
}

/// Kind, keys, window, then the threshold bounds or the `having` condition.
fn agg_text(a: &Aggregation) -> String {
    let mut out = match &a.kind {
        AggregationKind::Threshold { cardinality } if cardinality.is_empty() => "threshold".into(),
        AggregationKind::Threshold { cardinality } => {
            let c: Vec<String> = cardinality
                .iter()
                .map(|(f, n)| format!("{f}>={n}"))
                .collect();
            format!("threshold[{}]", c.join(", "))
        }
        AggregationKind::ValueCount { field, .. } => format!("value_count({field})"),
        other => format!("{other:?}"),
    };
    if !a.group_by.is_empty() {
        let by: Vec<String> = a.group_by.iter().map(ToString::to_string).collect();
        let _ = write!(out, " by {}", by.join(", "));
    }
    if let Some(w) = &a.window {
        let _ = write!(out, " window {} = {}s", w.text, w.seconds.unwrap_or(0));
    }
    for c in &a.condition {
        let _ = write!(out, " {} {}", c.op, c.value);
    }
    if let Some(h) = &a.having {
        let _ = write!(out, " having {h}");
    }
    out
}

/// Every metric: `name = Function(field) where filter`, joined by `; `.
fn metrics_text(a: &Aggregation) -> String {
    let mut parts = Vec::new();
    for m in &a.metrics {
        let mut s = format!("{} = {:?}", m.name, m.function);
        if let Some(f) = &m.field {
            let mut p = Pred::new(f.clone(), Op::Eq, Vec::new());
            p.transforms.clone_from(&m.transforms);
            let _ = write!(s, "({})", p.subject());
        }
        if !m.cases.is_empty() {
            let mut cases: Vec<String> = m
                .cases
                .iter()
                .map(|c| format!("{} => {:?}", c.when, c.value.to_string()))
                .collect();
            if let Some(o) = &m.otherwise {
                cases.push(format!("else {:?}", o.to_string()));
            }
            let _ = write!(s, "({})", cases.join("; "));
        }
        if let Some(filter) = &m.filter {
            let _ = write!(s, " where {filter}");
        }
        parts.push(s);
    }
    parts.join("; ")
}

fn lower(q: &str) -> Lowered {
    esql::parse_and_lower(q).unwrap_or_else(|e| panic!("{q}: {e} at {:?}", e.span))
}

/// The query, the expected event condition and aggregation.
macro_rules! agg_cases {
    ($($case:ident: $query:expr => $expr:expr, $agg:expr;)*) => {$(
        #[test]
        fn $case() {
            let l = lower($query);
            assert_eq!(expr_text(&l.expr), $expr, "query: {}", $query);
            let agg = l.aggregation.as_ref().map_or_else(|| "none".to_owned(), agg_text);
            assert_eq!(agg, $agg, "query: {}", $query);
            // Opaque parts are in the event condition, where they are counted.
            if let Some(h) = l.aggregation.as_ref().and_then(|a| a.having.as_ref()) {
                assert!(!h.has_opaque(), "opaque in having: {h}");
            }
        }
    )*};
}

/// The query and the expected metrics.
macro_rules! metric_cases {
    ($($case:ident: $query:expr => $want:expr;)*) => {$(
        #[test]
        fn $case() {
            let l = lower($query);
            let a = l.aggregation.as_ref().expect("an aggregation");
            assert_eq!(metrics_text(a), $want, "query: {}", $query);
        }
    )*};
}

agg_cases! {
    // --- Threshold form: what an Elastic threshold rule could also say.
    count_threshold: r#"FROM a | WHERE event.outcome == "failure" | STATS c = COUNT(*) BY host.id | WHERE c > 10"#
        => r#"event.outcome eq:cased "failure""#, "threshold by host.id gt 10";
    count_distinct_is_value_count: "FROM a | STATS n = COUNT_DISTINCT(user.name) BY source.ip | WHERE n >= 20"
        => "<all>", "value_count(user.name) by source.ip gte 20";
    threshold_range: "FROM a | STATS c = COUNT() BY host.id | WHERE c >= 5 AND c < 50"
        => "<all>", "threshold by host.id gte 5 lt 50";
    number_on_the_left: "FROM a | STATS c = COUNT(*) BY host.id | WHERE 10 <= c"
        => "<all>", "threshold by host.id gte 10";
    count_with_cardinality: "FROM a | STATS c = COUNT(*), u = COUNT_DISTINCT(user.name) BY source.ip | WHERE c >= 100 AND u > 9"
        => "<all>", "threshold[user.name>=10] by source.ip gte 100";
    cardinalities_only: "FROM a | STATS u = COUNT_DISTINCT(user.name), h = COUNT_DISTINCT(host.id) BY source.ip | WHERE u >= 5 AND h >= 2"
        => "<all>", "threshold[user.name>=5, host.id>=2] by source.ip";
    count_distinct_of_plain_alias: "FROM a | EVAL u = user.name | STATS n = COUNT_DISTINCT(u) BY source.ip | WHERE n > 3"
        => "<all>", "value_count(user.name) by source.ip gt 3";
    filtered_count_joins_events: r#"FROM a | STATS f = COUNT(*) WHERE event.outcome == "failure" BY user.name | WHERE f >= 20"#
        => r#"event.outcome eq:cased "failure""#, "threshold by user.name gte 20";
    sum_of_flag_is_filtered_count: r#"FROM a | EVAL is_fail = CASE(event.outcome == "failure", 1, 0) | STATS f = SUM(is_fail) BY user.name | WHERE f > 4"#
        => r#"event.outcome eq:cased "failure""#, "threshold by user.name gt 4";
    max_of_flag_is_at_least_one: r#"FROM a | STATS seen = MAX(CASE(process.name == "nc", 1, 0)) BY host.id | WHERE seen == 1"#
        => r#"process.name eq:cased "nc""#, "threshold by host.id gte 1";
    max_of_boolean_flag_is_true: "FROM a | EVAL t = CASE(x == 1, true, false) | STATS any_t = MAX(t) BY h | WHERE any_t == TRUE"
        => "x eq 1", "threshold by h gte 1";
    count_distinct_of_case_field: r#"FROM a | EVAL admin = CASE(user.roles == "admin", user.name, NULL) | STATS n = COUNT_DISTINCT(admin) BY host.id | WHERE n >= 2"#
        => r#"user.roles eq:cased "admin""#, "value_count(user.name) by host.id gte 2";
    eval_alias_of_a_count: "FROM a | STATS c = COUNT(*) BY h | EVAL n = c | WHERE n > 5"
        => "<all>", "threshold by h gt 5";
    renamed_count: "FROM a | STATS c = COUNT(*) BY h | RENAME c AS n | WHERE n > 5"
        => "<all>", "threshold by h gt 5";
    date_trunc_key_is_window: "FROM a | EVAL bucket = DATE_TRUNC(15 minutes, @timestamp) | STATS c = COUNT(*) BY bucket, host.id | WHERE c > 50"
        => "<all>", "threshold by host.id window 15 minutes = 900s gt 50";
    bucket_in_by_is_window: "FROM a | STATS c = COUNT(*) BY b = BUCKET(@timestamp, 1 hour), user.name | WHERE c > 5"
        => "<all>", "threshold by user.name window 1 hour = 3600s gt 5";
    computed_key_keeps_its_column_name: "FROM a | EVAL k = CONCAT(user.name, host.name) | STATS c = COUNT(*) BY k | WHERE c > 1"
        => "<all>", "threshold by k gt 1";
    // Grouping by a case-folded value is not grouping by the field.
    folded_key_keeps_its_column_name: "FROM a | STATS c = COUNT(*) BY u = TO_LOWER(user.name) | WHERE c > 1"
        => "<all>", "threshold by u gt 1";
    // Filters on the keys after STATS are filters on the events.
    post_stats_key_filter_is_event_condition: r#"FROM a | STATS c = COUNT(*) BY host.name | WHERE host.name != "dc01" AND c > 5"#
        => r#"not host.name eq:cased "dc01""#, "threshold by host.name gt 5";
    // A STATS with no filter after it still groups: every group is kept.
    stats_without_filter_keeps_every_group: "FROM a | STATS c = COUNT(*) BY host.id"
        => "<all>", "threshold by host.id";
    no_stats_no_aggregation: "FROM a | WHERE x == 1" => "x eq 1", "none";

    // --- Having form: everything else over named metrics.
    or_of_metrics: "FROM a | STATS c = COUNT(*), u = COUNT_DISTINCT(user.name) BY source.ip | WHERE c > 100 OR u > 10"
        => "<all>", "threshold by source.ip having c gt 100 or u gt 10";
    second_count_beside_the_first: "FROM a | STATS c = COUNT(*), u = COUNT_DISTINCT(user.name) BY source.ip | WHERE c > 100 AND u == 1"
        => "<all>", "threshold by source.ip having c gt 100 and u eq 1";
    not_of_metrics: "FROM a | STATS c = COUNT(*), u = COUNT_DISTINCT(user.name) BY h | WHERE NOT (c > 5 AND u <= 2)"
        => "<all>", "threshold by h having not (c gt 5 and u lte 2)";
    sum_of_a_field: "FROM a | STATS bytes = SUM(network.bytes) BY source.ip | WHERE bytes > 1000000"
        => "<all>", "threshold by source.ip having bytes gt 1000000";
    average_and_count: "FROM a | STATS n = COUNT(*), len = AVG(http.request.bytes) BY h | WHERE n >= 10 AND len >= 5000.5"
        => "<all>", "threshold by h having n gte 10 and len gte 5000.5";
    count_of_a_field_counts_its_values: "FROM a | STATS c = COUNT(user.name) BY host.id | WHERE c > 2"
        => "<all>", "threshold by host.id having c gt 2";
    filtered_count_that_may_be_zero: "FROM a | STATS f = COUNT(*) WHERE x == 1 BY h | WHERE f < 3"
        => "<all>", "threshold by h having f lt 3";
    two_filtered_counts_are_a_correlation: r#"FROM a | STATS s = COUNT(*) WHERE e == "start", f = COUNT(*) WHERE e == "fail" BY h | WHERE s > 0 AND f > 0"#
        => "<all>", "threshold by h having s gt 0 and f gt 0";
    metrics_compared_in_order: "FROM a | STATS first = MIN(@timestamp) WHERE e == 1, last = MAX(@timestamp) WHERE e == 2 BY h | WHERE first < last"
        => "<all>", r#"threshold by h having first field_ref(lt):cased "last""#;
    metrics_compared_for_equality: "FROM a | STATS lo = MIN(@timestamp), hi = MAX(@timestamp) BY h | WHERE lo == hi"
        => "<all>", r#"threshold by h having lo field_ref:cased "hi""#;
    metrics_not_equal: "FROM a | STATS lo = MIN(@timestamp), hi = MAX(@timestamp) BY h | WHERE hi != lo"
        => "<all>", r#"threshold by h having not hi field_ref:cased "lo""#;
    metric_in_list: "FROM a | STATS n = COUNT_DISTINCT(event.outcome), c = COUNT(*) BY h | WHERE n IN (1, 2) AND c > 3"
        => "<all>", "threshold by h having n in any[1, 2] and c gt 3";
    values_is_not_null: "FROM a | STATS ips = VALUES(source.ip), c = COUNT(*) BY h | WHERE ips IS NOT NULL AND c > 1"
        => "<all>", "threshold by h having ips is_not_null and c gt 1";
    values_contains_a_value: r#"FROM a | STATS mods = VALUES(event.module) BY h | WHERE MV_CONTAINS(mods, "endpoint")"#
        => "<all>", r#"threshold by h having mods eq:cased "endpoint""#;
    concatenated_values_like: r#"FROM a | STATS mods = VALUES(event.module) BY h | EVAL s = MV_CONCAT(mods, ",") | WHERE s LIKE "*endpoint*""#
        => "<all>", r#"threshold by h having mods contains:cased "endpoint""#;
    key_and_metric_in_one_condition: r#"FROM a | STATS c = COUNT(*) BY host.name | WHERE host.name == "dc01" OR c > 5"#
        => "<all>", r#"threshold by host.name having host.name eq:cased "dc01" or c gt 5"#;
    max_of_flag_is_zero: r#"FROM a | STATS any_nc = MAX(CASE(process.name == "nc", 1, 0)), c = COUNT(*) BY h | WHERE any_nc == 0 AND c > 9"#
        => "<all>", "threshold by h having any_nc eq 0 and c gt 9";
    max_of_flag_beside_a_count: r#"FROM a | STATS any_nc = MAX(CASE(process.name == "nc", 1, 0)), c = COUNT(*) BY h | WHERE any_nc == 1 AND c > 9"#
        => "<all>", "threshold by h having any_nc gte 1 and c gt 9";
    unnamed_aggregates_go_by_their_text: "FROM a | STATS COUNT(*), COUNT_DISTINCT(user.name) BY h | WHERE `COUNT(*)` > 5 AND `COUNT_DISTINCT(user.name)` == 1"
        => "<all>", "threshold by h having COUNT(*) gt 5 and COUNT_DISTINCT(user.name) eq 1";
    one_field_aggregate_the_model_only_names: "FROM a | STATS sd = STD_DEV(network.bytes) BY h | WHERE sd > 3"
        => "<all>", "threshold by h having sd gt 3";
    case_over_metrics: r#"FROM a | STATS c = COUNT(*), u = COUNT_DISTINCT(user.name) BY h | EVAL level = CASE(c > 100, "high", u > 5, "medium", "low") | WHERE level != "low""#
        => "<all>", "threshold by h having c gt 100 or u gt 5";
    case_over_case_over_metrics: r#"FROM a | STATS c = COUNT(*) BY h | EVAL t = CASE(c > 100, "burst", "quiet") | EVAL s = CASE(t == "burst", 10, 1) | WHERE s >= 10"#
        => "<all>", "threshold by h having c gt 100";

    // --- Opaque: what the model cannot state, with the reason.
    ratio_is_opaque: "FROM a | STATS f = COUNT(*) WHERE event.outcome == \"failure\", t = COUNT(*) BY user.name | EVAL r = f / t | WHERE r > 0.9"
        => r#"opaque("post-STATS filter on a value computed from aggregates (arithmetic)": r > 0.9)"#, "threshold by user.name";
    // Values computed from metrics are the metric with transforms.
    date_diff_in_the_where: r#"FROM a | STATS lo = MIN(@timestamp), hi = MAX(@timestamp), c = COUNT(*) BY h | WHERE DATE_DIFF("seconds", lo, hi) <= 60 AND c > 2"#
        => "<all>", "threshold by h having date_diff(second, lo, hi) lte 60 and c gt 2";
    date_diff_until_now_through_eval: r#"FROM a | STATS first = MIN(@timestamp), n = COUNT_DISTINCT(host.id) BY d | EVAL recent = DATE_DIFF("minute", first, NOW()) | WHERE recent <= 6 AND n == 1"#
        => "<all>", "threshold by d having date_diff(minute, first, now) lte 6 and n eq 1";
    date_diff_unknown_unit_is_opaque: r#"FROM a | STATS lo = MIN(@timestamp), hi = MAX(@timestamp) BY h | WHERE DATE_DIFF("fortnight", lo, hi) <= 1"#
        => r#"opaque("post-STATS filter on a value computed from aggregates (DATE_DIFF)": DATE_DIFF("fortnight", lo, hi) <= 1)"#, "threshold by h";
    metric_against_now: "FROM a | STATS last = MAX(@timestamp) BY h | WHERE last >= NOW() - 1 hour"
        => "<all>", "threshold by h having date_diff(millisecond, last, now) lte 3600000";
    metric_against_now_with_months_is_opaque: "FROM a | STATS last = MAX(@timestamp) BY h | WHERE last >= NOW() - 1 month"
        => r#"opaque("comparison with a computed value": last >= NOW() - 1 month)"#, "threshold by h";
    ratio_of_metrics: "FROM a | STATS bad = COUNT(*) WHERE event.outcome == \"failure\", n = COUNT(*) BY u | EVAL r = bad * 1.0 / n | WHERE r >= 0.5"
        => "<all>", "threshold by u having ((bad * 1) / n) gte 0.5";
    ratio_with_casts: "FROM a | STATS bad = COUNT(*), n = COUNT_DISTINCT(h) BY u | EVAL r = TO_DOUBLE(bad) / n::double | WHERE r < 0.01"
        => "<all>", "threshold by u having (bad / n) lt 0.01";
    integer_division_is_opaque: "FROM a | STATS bad = COUNT(*), n = COUNT_DISTINCT(h) BY u | EVAL r = bad / n | WHERE r >= 2"
        => r#"opaque("post-STATS filter on a value computed from aggregates (arithmetic)": r >= 2)"#, "threshold by u";
    sum_of_metrics_against_a_metric: "FROM a | STATS x = COUNT_DISTINCT(a), y = COUNT_DISTINCT(b), z = COUNT_DISTINCT(c) BY u | WHERE x + y == z"
        => "<all>", r#"threshold by u having (x + y) field_ref "z""#;
    aggregate_of_a_computed_value_is_opaque: "FROM a | STATS m = MAX(LENGTH(process.command_line)) BY h | WHERE m > 500"
        => r#"opaque("post-STATS filter on an aggregate (MAX)": m > 500)"#, "threshold by h";
    // Distinct values of a computed value: `having` on the metric, not a value count.
    count_distinct_of_a_folded_value: "FROM a | EVAL u = TO_LOWER(user.name) | STATS n = COUNT_DISTINCT(u) BY source.ip | WHERE n > 3"
        => "<all>", "threshold by source.ip having n gt 3";
    count_distinct_of_case_labels: r#"FROM a | EVAL v = CASE(process.name == "anydesk.exe", "AnyDesk", process.name LIKE "tv*.exe", "TeamViewer") | STATS n = COUNT_DISTINCT(v) BY host.id | WHERE n >= 2"#
        => "<all>", "threshold by host.id having n gte 2";
    count_distinct_of_computed_labels_is_opaque: r#"FROM a | EVAL v = CASE(x == 1, CONCAT(a, b), "z") | STATS n = COUNT_DISTINCT(v) BY h | WHERE n >= 2"#
        => r#"opaque("post-STATS filter on an aggregate (COUNT_DISTINCT)": n >= 2)"#, "threshold by h";
    values_of_case_labels_compared: r#"FROM a | EVAL v = CASE(x == 1, "a", "b") | STATS l = VALUES(v) BY h | WHERE l == "a""#
        => "<all>", r#"threshold by h having value_count(l) eq 1 and l eq:cased "a""#;
    aggregate_with_parameters_is_opaque: "FROM a | STATS p = PERCENTILE(network.bytes, 95) BY h | WHERE p > 1000"
        => r#"opaque("post-STATS filter on an aggregate (PERCENTILE)": p > 1000)"#, "threshold by h";
    aggregate_with_opaque_where_is_opaque: "FROM a | STATS c = COUNT(*) WHERE MV_SUM(x) > 3, n = COUNT(*) BY h | WHERE c > 1 AND n > 1"
        => r#"opaque("post-STATS filter on an aggregate with an opaque WHERE": c > 1)"#, "threshold by h gt 1";
    // ES|QL compares a multi-valued value as null: only a one-value list compares.
    values_compared: r#"FROM a | STATS sev = VALUES(rule.severity) BY h | WHERE sev == "high""#
        => "<all>", r#"threshold by h having value_count(sev) eq 1 and sev eq:cased "high""#;
    values_not_equal: "FROM a | STATS s = VALUES(risk) BY h | WHERE s != 73"
        => "<all>", "threshold by h having value_count(s) eq 1 and not s eq 73";
    values_compared_with_null_is_opaque: "FROM a | STATS s = VALUES(risk) BY h | WHERE s == null"
        => r#"opaque("post-STATS comparison on a VALUES list": s == NULL)"#, "threshold by h";
    number_of_values: "FROM a | STATS s = VALUES(event.action) BY h | EVAL n = MV_COUNT(s) | WHERE n >= 2"
        => "<all>", "threshold by h having value_count(s) gte 2";
    concatenated_values_across_the_separator_is_opaque: r#"FROM a | STATS mods = VALUES(event.module) BY h | EVAL s = MV_CONCAT(mods, ",") | WHERE s LIKE "*a,b*""#
        => r#"opaque("post-STATS filter on a value computed from aggregates (MV_CONCAT)": s LIKE "*a,b*")"#, "threshold by h";
    // MAX of a flag is 0 or 1: `>= 0` says nothing about the count of flagged events.
    max_of_flag_compared_with_zero_or_more_is_opaque: "FROM a | STATS m = MAX(CASE(x == 1, 1, 0)) BY h | WHERE m >= 0"
        => r#"opaque("post-STATS filter on an aggregate (MAX)": m >= 0)"#, "threshold by h";
    // SUM of a flag whose other value is NULL is null, not 0, without flagged events.
    sum_of_nullable_flag_at_zero_is_opaque: "FROM a | STATS s = SUM(CASE(x == 1, 1, NULL)) BY h | WHERE s == 0"
        => r#"opaque("post-STATS filter on an aggregate (SUM)": s == 0)"#, "threshold by h";
    case_over_computed_metrics: r#"FROM a | STATS lo = MIN(@timestamp), hi = MAX(@timestamp) BY h | EVAL d = DATE_DIFF("seconds", lo, hi) | EVAL k = CASE(d < 10, "fast", "slow") | WHERE k == "fast""#
        => "<all>", "threshold by h having date_diff(second, lo, hi) lt 10";
    case_over_rounded_metrics_is_opaque: r#"FROM a | STATS m = AVG(x) BY h | EVAL k = CASE(ROUND(m) < 10, "low", "high") | WHERE k == "low""#
        => r#"opaque("post-STATS filter on a value computed from aggregates (CASE)": k == "low")"#, "threshold by h";
    second_stats_is_opaque: "FROM a | STATS c = COUNT(*) BY host.name, user.name | STATS users = COUNT(*) BY host.name | WHERE users > 3"
        => r#"opaque("WHERE on an aggregate of a second STATS": users > 3)"#, "threshold by host.name, user.name";
    earlier_aggregate_after_a_second_stats_is_opaque: "FROM a | STATS c = COUNT(*) BY host.name, user.name | STATS n = COUNT(*) BY c | WHERE c > 3"
        => r#"opaque("WHERE on an aggregate of a second STATS": c > 3)"#, "threshold by host.name, user.name";
    inline_stats_is_opaque: "FROM a | INLINE STATS hosts = COUNT_DISTINCT(host.name) BY process.hash.sha256 | WHERE hosts < 3"
        => r#"opaque("WHERE on an INLINE STATS aggregate": hosts < 3)"#, "none";
}

metric_cases! {
    every_aggregate_is_a_metric: "FROM a | STATS c = COUNT(*), u = COUNT_DISTINCT(user.name), b = SUM(network.bytes), lo = MIN(@timestamp), hi = MAX(@timestamp), avg = AVG(x), med = MEDIAN(x), ips = VALUES(source.ip) BY h | WHERE c > 1"
        => "c = Count; u = CountDistinct(user.name); b = Sum(network.bytes); lo = Min(@timestamp); hi = Max(@timestamp); avg = Avg(x); med = Median(x); ips = Values(source.ip)";
    count_of_a_field_reads_it: "FROM a | STATS c = COUNT(user.name) BY h"
        => "c = Count(user.name)";
    filtered_counts_keep_their_filter: r#"FROM a | STATS s = COUNT(*) WHERE e == "start", f = COUNT(*) WHERE e == "fail" BY h"#
        => r#"s = Count where e eq:cased "start"; f = Count where e eq:cased "fail""#;
    flag_sums_are_filtered_counts: r#"FROM a | EVAL bad = CASE(event.outcome == "failure", 1, 0) | STATS f = SUM(bad), m = MAX(bad) BY h"#
        => r#"f = Count where event.outcome eq:cased "failure"; m = Count where event.outcome eq:cased "failure""#;
    aggregates_of_case_fields_are_filtered: "FROM a | STATS first = MIN(CASE(e == 1, @timestamp, NULL)), users = VALUES(CASE(e == 2, user.name, NULL)) BY h"
        => "first = Min(@timestamp) where e eq 1; users = Values(user.name) where e eq 2";
    stats_where_and_case_field_combine: "FROM a | STATS n = COUNT_DISTINCT(CASE(e == 1, user.name, NULL)) WHERE x > 2 BY h"
        => "n = CountDistinct(user.name) where x gt 2 and e eq 1";
    unknown_aggregates_are_other: "FROM a | STATS sd = STD_DEV(x), p = PERCENTILE(x, 95), m = MAX(LENGTH(y)) BY h"
        => r#"sd = Other("STD_DEV")(x); p = Other("PERCENTILE"); m = Other("MAX")"#;
    conversions_are_not_plain_fields: "FROM a | EVAL s = TO_STRING(port) | STATS m = MAX(s), u = COUNT_DISTINCT(s) BY h"
        => r#"m = Other("MAX"); u = Other("COUNT_DISTINCT")"#;
    distinct_of_a_transformed_field: "FROM a | STATS u = COUNT_DISTINCT(TO_LOWER(user.name)), l = VALUES(LENGTH(TRIM(x))) BY h"
        => "u = CountDistinct(lower(user.name)); l = Values(length(trim(x)))";
    average_of_a_grok_length: r#"FROM a | GROK q "%{INT:i}-%{DATA:p}\\." | EVAL n = LENGTH(p) | STATS m = AVG(n), c = COUNT_DISTINCT(i) BY h"#
        => r#"m = Avg(length(grok(q, "%{INT:i}-%{DATA:p}\\.", p))); c = CountDistinct(grok(q, "%{INT:i}-%{DATA:p}\\.", i))"#;
    distinct_of_case_labels: r#"FROM a | EVAL v = CASE(x == 1, "a", y == 2, "b", "c") | STATS u = COUNT_DISTINCT(v) BY h"#
        => r#"u = CountDistinct(x eq 1 => "a"; y eq 2 => "b"; else "c")"#;
    only_the_first_stats_is_described: "FROM a | STATS c = COUNT(*) BY h, u | STATS n = COUNT(*) BY h"
        => "c = Count";
}

//! ES|QL lowering, one named case per decision: each query (written for these
//! tests) is lowered and its expression, indices and hints are compared with
//! the expected text. `STATS` and the filters after it are in
//! `esql_aggregation.rs`.

use std::fmt::Write as _;

use ruledex_elastic::Lowered;
use ruledex_elastic::esql::{self, reason};
use ruledex_model::Expr;

/// The expression in the model's compact form; `<all>` for "no condition".
fn expr_text(e: &Expr) -> String {
    match e {
        Expr::And(c) if c.is_empty() => "<all>".into(),
        other => other.to_string(),
    }
}

/// `CASE(x == 0, "hit", x == 1, "hit", …)` with 70 branches, all "hit".
fn long_case_query() -> String {
    let branches: Vec<String> = (0..70).map(|i| format!("x == {i}, \"hit\"")).collect();
    format!(
        "FROM a | EVAL k = CASE({}) | WHERE k IS NOT NULL",
        branches.join(", ")
    )
}

/// `x eq 0 or x eq 1 or … or x eq 69`.
fn long_case_expected() -> String {
    let alts: Vec<String> = (0..70).map(|i| format!("x eq {i}")).collect();
    alts.join(" or ")
}

fn lower(q: &str) -> Lowered {
    esql::parse_and_lower(q).unwrap_or_else(|e| panic!("{q}: {e} at {:?}", e.span))
}

/// `expr` cases: the query and the expected expression.
macro_rules! expr_cases {
    ($($case:ident: $query:expr => $want:expr;)*) => {$(
        #[test]
        fn $case() {
            let l = lower($query);
            assert_eq!(expr_text(&l.expr), $want, "query: {}", $query);
        }
    )*};
}

expr_cases! {
    // WHERE before STATS: a condition on each event; several WHEREs are ANDed.
    where_clauses_are_anded: r#"FROM logs-* | WHERE process.name == "cmd.exe" | WHERE host.os.type == "windows""#
        => r#"process.name eq:cased "cmd.exe" and host.os.type eq:cased "windows""#;
    // ES|QL compares strings exactly.
    equality_is_case_sensitive: r#"FROM a | WHERE user.name == "root""# => r#"user.name eq:cased "root""#;
    not_equal_is_not_eq: r#"FROM a | WHERE user.name != "root""# => r#"not user.name eq:cased "root""#;
    ci_equal_ignores_case: r#"FROM a | WHERE user.name =~ "Root""# => r#"user.name eq "Root""#;
    numbers_and_ranges: "FROM a | WHERE destination.port >= 1024 AND destination.port < 2048 AND x > 0.5"
        => "destination.port gte 1024 and destination.port lt 2048 and x gt 0.5";
    literal_on_the_left_is_turned: "FROM a | WHERE 10 < process.pid" => "process.pid gt 10";
    like_plain_is_eq: r#"FROM a | WHERE process.name LIKE "bash""# => r#"process.name eq:cased "bash""#;
    like_both_stars_is_contains: r#"FROM a | WHERE process.command_line LIKE "*-enc *""# => r#"process.command_line contains:cased "-enc ""#;
    like_trailing_star_is_starts_with: r#"FROM a | WHERE process.executable LIKE "/tmp/*""# => r#"process.executable starts_with:cased "/tmp/""#;
    like_leading_star_is_ends_with: r#"FROM a | WHERE file.name LIKE "*.ps1""# => r#"file.name ends_with:cased ".ps1""#;
    like_inner_wildcards_stay_wildcard: r#"FROM a | WHERE file.path LIKE "/home/*/.ssh/?d_*""# => r#"file.path wildcard:cased "/home/*/.ssh/?d_*""#;
    like_escaped_star_is_literal: r#"FROM a | WHERE x LIKE """a\*b""""# => r#"x eq:cased "a*b""#;
    like_list_groups_same_operator: r#"FROM a | WHERE process.name LIKE ("python*", "perl*", "*.sh")"#
        => r#"process.name starts_with:cased any["python", "perl"] or process.name ends_with:cased ".sh""#;
    not_like_is_negated: r#"FROM a | WHERE process.name NOT LIKE "sys*""# => r#"not process.name starts_with:cased "sys""#;
    rlike_is_regex_with_dotall: r#"FROM a | WHERE process.command_line RLIKE """.*(nc|ncat) -e.*""""#
        => r#"process.command_line regex:cased:s "(nc|ncat) -e""#;
    rlike_whole_value_is_anchored: r#"FROM a | WHERE user.name RLIKE "[a-z]+[0-9]{2}""# => r#"user.name regex:cased:s "^[a-z]+[0-9]{2}$""#;
    rlike_literal_is_contains: r#"FROM a | WHERE x RLIKE """.*/etc/shadow.*""""# => r#"x contains:cased "/etc/shadow""#;
    rlike_lucene_any_string: r#"FROM a | WHERE email RLIKE ".+@corp\\.com""# => r#"email regex:cased:s "^.+.*corp\\.com$""#;
    in_list: r#"FROM a | WHERE event.action IN ("exec", "fork")"# => r#"event.action in:cased any["exec", "fork"]"#;
    in_list_of_one_is_eq: r#"FROM a | WHERE event.action IN ("exec")"# => r#"event.action eq:cased "exec""#;
    not_in_list: r#"FROM a | WHERE user.id NOT IN ("0", "33")"# => r#"not user.id in:cased any["0", "33"]"#;
    not_is_expr_not: r#"FROM a | WHERE NOT (process.name == "a" OR process.name == "b")"#
        => r#"not (process.name eq:cased "a" or process.name eq:cased "b")"#;
    is_null_and_not_null: "FROM a | WHERE process.args IS NOT NULL AND user.id IS NULL"
        => "process.args is_not_null and user.id is_null";
    cidr_match: r#"FROM a | WHERE CIDR_MATCH(source.ip, "10.0.0.0/8", "192.168.0.0/16")"#
        => r#"source.ip cidr any["10.0.0.0/8", "192.168.0.0/16"]"#;
    starts_and_ends_with: r#"FROM a | WHERE STARTS_WITH(file.path, "/etc/") AND ENDS_WITH(file.name, ".conf")"#
        => r#"file.path starts_with:cased "/etc/" and file.name ends_with:cased ".conf""#;
    contains_function: r#"FROM a | WHERE CONTAINS(url.path, "../")"# => r#"url.path contains:cased "../""#;
    to_lower_equality_ignores_case: r#"FROM a | WHERE TO_LOWER(process.name) == "powershell.exe""#
        => r#"process.name eq "powershell.exe""#;
    to_upper_like_ignores_case: r#"FROM a | WHERE TO_UPPER(file.name) LIKE "*.EXE""# => r#"file.name ends_with ".EXE""#;
    cast_function_is_transparent: r#"FROM a | WHERE TO_STRING(user.id) == "0""# => r#"user.id eq:cased "0""#;
    field_against_field_is_field_ref: "FROM a | WHERE source.ip == destination.ip"
        => r#"source.ip field_ref:cased "destination.ip""#;
    boolean_field_alone: "FROM a | WHERE process.interactive" => "process.interactive eq:cased true";
    // EVAL columns are traced back to the fields they come from.
    eval_alias_is_traced: r#"FROM a | EVAL exe = process.executable | WHERE exe LIKE "/tmp/*""#
        => r#"process.executable starts_with:cased "/tmp/""#;
    eval_to_lower_is_traced: r#"FROM a | EVAL n = TO_LOWER(process.name) | WHERE n IN ("sh", "bash")"#
        => r#"process.name in any["sh", "bash"]"#;
    eval_chain_is_traced: r#"FROM a | EVAL n = process.name | EVAL m = TO_LOWER(n) | WHERE m == "x""#
        => r#"process.name eq "x""#;
    rename_is_traced: r#"FROM a | RENAME process.name AS pname | WHERE pname == "x""# => r#"process.name eq:cased "x""#;
    eval_boolean_is_inlined: r#"FROM a | EVAL susp = process.name == "nc" OR process.args IS NOT NULL | WHERE susp"#
        => r#"process.name eq:cased "nc" or process.args is_not_null"#;
    eval_boolean_compared_with_false: r#"FROM a | EVAL ok = user.name == "svc" | WHERE ok == false"#
        => r#"not user.name eq:cased "svc""#;
    // A branch whose value passes need not be excluded from the later ones.
    eval_case_branches: r#"FROM a | EVAL tier = CASE(user.name == "root", "admin", user.id IN ("0"), "admin", "user") | WHERE tier == "admin""#
        => r#"user.name eq:cased "root" or user.id eq:cased "0""#;
    eval_case_later_branch_excludes_failing_ones: r#"FROM a | EVAL tier = CASE(user.name == "root", "admin", user.id IN ("0"), "guest", "user") | WHERE tier == "user""#
        => r#"not user.name eq:cased "root" and not user.id eq:cased "0""#;
    eval_case_field_value_is_traced: r#"FROM a | EVAL ip = CASE(event.dataset == "fw", source.ip, NULL) | WHERE ip == "10.0.0.1""#
        => r#"event.dataset eq:cased "fw" and source.ip eq:cased "10.0.0.1""#;
    eval_case_field_value_like: r#"FROM a | EVAL p = CASE(x == 1, process.name, "none") | WHERE p LIKE "*sh""#
        => r#"x eq 1 and process.name ends_with:cased "sh""#;
    eval_case_field_value_in: r#"FROM a | EVAL p = CASE(x == 1, process.name, "sh") | WHERE p IN ("sh", "bash")"#
        => r#"(x eq 1 and process.name in:cased any["sh", "bash"]) or not x eq 1"#;
    eval_case_not_equal_is_not_equal: r#"FROM a | EVAL ip = CASE(x == 1, source.ip, NULL) | WHERE ip != "::1""#
        => r#"not (x eq 1 and source.ip eq:cased "::1")"#;
    eval_coalesce_of_case_columns: r#"FROM a | EVAL a1 = CASE(x == 1, source.ip, NULL), a2 = CASE(x == 2, host.ip, NULL) | EVAL ip = COALESCE(a1, a2) | WHERE ip == "::1""#
        => r#"(x eq 1 and source.ip eq:cased "::1") or (not (x eq 1 and source.ip is_not_null) and x eq 2 and host.ip eq:cased "::1")"#;
    eval_coalesce_null_argument_is_skipped: "FROM a | EVAL s = COALESCE(session.id, user.session, NULL) | WHERE s IS NOT NULL"
        => "session.id is_not_null or user.session is_not_null";
    // Longer than 64 branches (the former cap); the size budget bounds the work.
    eval_long_case_is_traced: &long_case_query() => long_case_expected();
    // LOCATE gives the position of the text, from 1, or 0.
    locate_above_zero_is_contains: r#"FROM a | WHERE LOCATE(process.command_line, "-enc") > 0"#
        => r#"process.command_line contains:cased "-enc""#;
    locate_zero_is_not_contains: r#"FROM a | WHERE LOCATE(TO_LOWER(url.path), "/admin") == 0"#
        => r#"not url.path contains "/admin""#;
    locate_of_spaces_through_eval: "FROM a | EVAL pad = LOCATE(process.command_line, SPACE(3)) | WHERE pad >= 1"
        => r#"process.command_line contains:cased "   ""#;
    locate_position_is_opaque: r#"FROM a | WHERE LOCATE(x, "a") > 3"#
        => r#"opaque("comparison on a function result (LOCATE)": LOCATE(x, "a") > 3)"#;
    true_in_conditions_is_or: r#"FROM a | WHERE TRUE IN (STARTS_WITH(event.action, "Get"), event.action == "Run")"#
        => r#"event.action starts_with:cased "Get" or event.action eq:cased "Run""#;
    eval_case_default_branch: r#"FROM a | EVAL tier = CASE(user.name == "root", "admin", "user") | WHERE tier != "admin""#
        => r#"not user.name eq:cased "root""#;
    eval_coalesce_tests_first_non_null: r#"FROM a | EVAL ip = COALESCE(source.ip, client.ip) | WHERE ip == "1.2.3.4""#
        => r#"source.ip eq:cased "1.2.3.4" or (source.ip is_null and client.ip eq:cased "1.2.3.4")"#;
    eval_coalesce_is_not_null: "FROM a | EVAL u = COALESCE(user.name, user.id) | WHERE u IS NOT NULL"
        => "user.name is_not_null or user.id is_not_null";
    case_is_not_null_when_a_non_null_branch_is_taken: r#"FROM a | EVAL v = CASE(x == 1, "a", y == 2, NULL, z) | WHERE v IS NOT NULL"#
        => "x eq 1 or (not y eq 2 and z is_not_null)";
    coalesce_of_case_is_null: "FROM a | EVAL v = COALESCE(a, CASE(x == 1, b, NULL)) | WHERE v IS NULL"
        => "not (a is_not_null or (x eq 1 and b is_not_null))";
    null_passing_function_is_not_null: r#"FROM a | EVAL c = CONCAT(process.command_line, " ") | WHERE c IS NOT NULL"#
        => "process.command_line is_not_null";
    // Functions the model states as transforms of the field.
    url_decode_then_lower_is_a_chain: r#"FROM a | EVAL u = TO_LOWER(URL_DECODE(url.original)) | WHERE u LIKE "*etc/passwd*""#
        => r#"lower(url_decode(url.original)) contains:cased "etc/passwd""#;
    lower_of_a_plain_field_still_folds_case: r#"FROM a | EVAL n = TO_LOWER(process.name) | WHERE n == "cmd.exe""#
        => r#"process.name eq "cmd.exe""#;
    transform_of_a_folded_field_keeps_the_fold: r#"FROM a | EVAL n = TRIM(TO_UPPER(process.name)) | WHERE n == "CMD""#
        => r#"trim(upper(process.name)) eq:cased "CMD""#;
    replace_is_a_transform: r#"FROM a | EVAL c = REPLACE(process.command_line, "\\s+", " ") | WHERE c LIKE "*-enc *""#
        => r#"replace(process.command_line, "\\s+", " ") contains:cased "-enc ""#;
    replace_column_is_not_null: r#"FROM a | EVAL c = REPLACE(process.command_line, "\\s+", " ") | WHERE c IS NOT NULL"#
        => r#"replace(process.command_line, "\\s+", " ") is_not_null"#;
    length_is_a_transform: "FROM a | WHERE LENGTH(process.command_line) > 1000"
        => "length(process.command_line) gt 1000";
    length_through_eval: "FROM a | EVAL n = LENGTH(TRIM(x)) | WHERE n >= 5 AND n < 9"
        => "length(trim(x)) gte 5 and length(trim(x)) lt 9";
    substring_counts_from_one: r#"FROM a | WHERE SUBSTRING(x, 2, 3) == "abc""#
        => r#"substring(x, 1, 3) eq:cased "abc""#;
    substring_from_the_end: r#"FROM a | EVAL t = SUBSTRING(x, -4) | WHERE t IN (".exe", ".dll")"#
        => r#"substring(x, -4) in:cased any[".exe", ".dll"]"#;
    base64_decoded: r#"FROM a | EVAL d = FROM_BASE64(x) | WHERE d LIKE "*IEX*""#
        => r#"base64_decode(x) contains:cased "IEX""#;
    // Arithmetic on one event: the left operand's field with an `arith` transform.
    pattern_count_by_replacement: r#"FROM a | EVAL t = REPLACE(s, "[0-9]", "X") | EVAL n = LENGTH(t) - LENGTH(REPLACE(t, "X", "")) | WHERE n >= 20"#
        => r#"(length(replace(s, "[0-9]", "X")) - length(replace(replace(s, "[0-9]", "X"), "X", ""))) gte 20"#;
    ratio_with_double_casts: r#"FROM a | EVAL len = LENGTH(s), d = LENGTH(REPLACE(s, "[^0-9]", "")) | EVAL r = d::double / len::double | WHERE r > 0.5"#
        => r#"(length(replace(s, "[^0-9]", "")) / length(s)) gt 0.5"#;
    integer_division_on_events_is_opaque: "FROM a | EVAL r = LENGTH(s) / LENGTH(t) | WHERE r > 1"
        => r#"opaque("WHERE on a column computed by EVAL (arithmetic)": r > 1)"#;
    number_on_the_left_is_opaque: "FROM a | EVAL r = 1000 - LENGTH(s) | WHERE r > 1"
        => r#"opaque("WHERE on a column computed by EVAL (arithmetic)": r > 1)"#;
    division_by_a_number: "FROM a | EVAL s = delta_ms / 1000.0 | WHERE s <= 120"
        => "(delta_ms / 1000) lte 120";
    transformed_field_against_a_field: r#"FROM a | GROK x ":(?<acct>[0-9]{12}):" | WHERE acct != cloud.account.id"#
        => r#"not grok(x, ":(?<acct>[0-9]{12}):", acct) field_ref:cased "cloud.account.id""#;
    // `field_ref` names the other field's own value: an equality turns round.
    field_against_a_transformed_field: r#"FROM a | GROK x ":(?<acct>[0-9]{12}):" | WHERE cloud.account.id != acct"#
        => r#"not grok(x, ":(?<acct>[0-9]{12}):", acct) field_ref:cased "cloud.account.id""#;
    two_transformed_fields_are_opaque: r#"FROM a | GROK x ":(?<p>[0-9]+):" | GROK y "=(?<q>[0-9]+)," | WHERE p == q"#
        => r#"opaque("comparison with a computed value": p == q)"#;
    transform_of_a_coalesce_is_opaque: r#"FROM a | EVAL d = URL_DECODE(COALESCE(a, b)) | WHERE d == "x""#
        => r#"opaque("WHERE on a column computed by EVAL (URL_DECODE)": d == "x")"#;
    eval_computed_is_opaque: r#"FROM a | EVAL s = CONCAT(user.name, "@", host.name) | WHERE s == "root@db""#
        => r#"opaque("WHERE on a column computed by EVAL (CONCAT)": s == "root@db")"#;
    eval_case_with_computed_results_is_opaque: r#"FROM a | EVAL k = CASE(x == 1, CONCAT(a, b), "z") | WHERE k == "z""#
        => r#"opaque("WHERE on a column computed by EVAL (CASE)": k == "z")"#;
    value_count_is_a_transform: "FROM a | EVAL n = MV_COUNT(process.args) | WHERE n > 10"
        => "value_count(process.args) gt 10";
    function_result_is_opaque: "FROM a | WHERE MV_SUM(process.args) > 10"
        => r#"opaque("comparison on a function result (MV_SUM)": MV_SUM(process.args) > 10)"#;
    timestamp_since_now: "FROM a | WHERE @timestamp > NOW() - 1 hour"
        => "date_diff(millisecond, @timestamp, now) lt 3600000";
    timestamp_before_now_minus: "FROM a | WHERE @timestamp <= NOW() - 7 days"
        => "date_diff(millisecond, @timestamp, now) gte 604800000";
    non_literal_comparison_is_opaque: "FROM a | WHERE @timestamp > NOW() - 1 month"
        => r#"opaque("comparison with a computed value": @timestamp > NOW() - 1 month)"#;
    grok_column_is_a_transform: r#"FROM a | GROK message "%{IP:client} %{WORD:verb}" | WHERE verb == "GET""#
        => r#"grok(message, "%{IP:client} %{WORD:verb}", verb) eq:cased "GET""#;
    dissect_column_is_a_transform: r#"FROM a | DISSECT message "%{user} logged in" | WHERE user == "x""#
        => r#"dissect(message, "%{user} logged in", user) eq:cased "x""#;
    dissect_of_a_decoded_field_then_replace: r#"FROM a | EVAL u = URL_DECODE(url.original) | DISSECT u "%{}?q=%{q}" | EVAL c = REPLACE(q, "\\+", " ") | WHERE c LIKE "*curl *""#
        => r#"replace(dissect(url_decode(url.original), "%{}?q=%{q}", q), "\\+", " ") contains:cased "curl ""#;
    grok_named_group: r#"FROM a | GROK process.command_line "h=(?<server>[^&]+)&" | WHERE server IS NOT NULL"#
        => r#"grok(process.command_line, "h=(?<server>[^&]+)&", server) is_not_null"#;
    dissect_with_options_is_opaque: r#"FROM a | DISSECT message "%{+a} %{+a}" APPEND_SEPARATOR = "-" | WHERE a == "x""#
        => r#"opaque("WHERE on a column extracted by DISSECT": a == "x")"#;
    dissect_of_a_computed_column_is_opaque: r#"FROM a | EVAL m = CONCAT(x, y) | DISSECT m "%{user} logged in" | WHERE user == "x""#
        => r#"opaque("WHERE on a column extracted by DISSECT": user == "x")"#;
    full_text_match_is_opaque: r#"FROM a | WHERE message : "failed password""#
        => r#"opaque("full-text search": message : "failed password")"#;
    lucene_intersection_is_opaque: r#"FROM a | WHERE x RLIKE "a.*&.*b""#
        => r#"opaque("RLIKE pattern uses Lucene intersection `&`": x RLIKE "a.*&.*b")"#;
    lookup_join_makes_later_filters_opaque: r#"FROM a | LOOKUP JOIN threats ON source.ip | WHERE threat.level == "high""#
        => r#"opaque("WHERE after LOOKUP JOIN": threat.level == "high")"#;
    mv_expand_keeps_the_filter: r#"FROM a | MV_EXPAND event.action | WHERE event.action == "exec""#
        => r#"event.action eq:cased "exec""#;
    sort_keep_limit_do_not_filter: "FROM a | KEEP x, y | SORT x DESC | LIMIT 10" => "<all>";
}

#[test]
fn indices_and_metadata() {
    let l = lower("FROM logs-endpoint.events.process-*, remote:logs-* METADATA _id, _index");
    assert_eq!(
        l.indices,
        ["logs-endpoint.events.process-*", "remote:logs-*"]
    );
}

#[test]
fn hints_are_positive_equalities_on_event_fields() {
    let l = lower(
        r#"FROM a | WHERE event.category == "process" AND event.type IN ("start", "info")
           AND host.os.type == "linux" AND NOT event.action == "fork" AND event.code == 4688
           AND process.name == "x""#,
    );
    assert_eq!(
        l.hints,
        [
            ("event.category".to_owned(), "process".to_owned()),
            ("event.type".to_owned(), "start".to_owned()),
            ("event.type".to_owned(), "info".to_owned()),
            ("host.os.type".to_owned(), "linux".to_owned()),
            ("event.code".to_owned(), "4688".to_owned()),
        ]
    );
}

#[test]
fn predicates_carry_the_span_of_their_text() {
    let q =
        r#"FROM a | WHERE process.name LIKE "*x*" AND NOT user.id IN ("0") AND TO_LOWER(f) == "y""#;
    let l = lower(q);
    let texts: Vec<&str> = l
        .expr
        .preds()
        .iter()
        .map(|p| p.span.and_then(|s| s.slice(q)).unwrap_or("?"))
        .collect();
    assert_eq!(
        texts,
        [
            r#"process.name LIKE "*x*""#,
            r#"user.id IN ("0")"#,
            r#"TO_LOWER(f) == "y""#
        ]
    );
}

#[test]
fn eval_traced_predicates_point_at_the_where() {
    let q = r#"FROM a | EVAL n = TO_LOWER(process.name) | WHERE n == "x""#;
    let l = lower(q);
    let span = l.expr.preds()[0].span.unwrap();
    assert_eq!(span.slice(q), Some(r#"n == "x""#));
}

#[test]
fn kql_function_goes_to_the_kql_front_end() {
    let q = r#"FROM a | WHERE KQL("""process.name : "x" """) AND y == 1"#;
    let l = lower(q);
    let start = q.find("process.name").unwrap();
    let end = q.find(r#" """)"#).unwrap() + 1;
    // Either the KQL front-end lowered it (its predicates point inside the
    // string) or it could not, and the node says so.
    let mut inside = 0;
    l.expr.visit(&mut |e| match e {
        Expr::Pred(p) if p.field.raw != "y" => {
            let s = p.span.expect("span");
            assert!(s.start as usize >= start && s.end as usize <= end, "{s:?}");
            inside += 1;
        }
        Expr::Opaque(o) => {
            assert!(o.reason.starts_with("KQL()"), "{}", o.reason);
            let s = o.span.expect("span");
            assert!(s.start as usize >= start && s.end as usize <= end, "{s:?}");
            inside += 1;
        }
        _ => {}
    });
    assert!(inside > 0);
}

#[test]
fn reasons_are_stable() {
    // The corpus figures count opaque nodes by these texts.
    assert_eq!(reason::EVAL_COMPUTED, "WHERE on a column computed by EVAL");
    assert_eq!(reason::KQL, "KQL() query not lowered");
}

#[test]
fn eval_chains_stay_linear() {
    // Each column doubles the one before: tracing stops at the budget.
    let mut q = String::from("FROM a | EVAL c0 = x == 1 OR y == 2");
    for i in 1..40 {
        let _ = write!(q, " | EVAL c{i} = c{j} AND c{j}", j = i - 1);
    }
    q.push_str(" | WHERE c39");
    let started = std::time::Instant::now();
    let l = lower(&q);
    assert!(started.elapsed().as_secs() < 5);
    assert!(
        l.expr
            .opaques()
            .iter()
            .any(|o| o.reason == reason::TOO_LARGE)
    );
}

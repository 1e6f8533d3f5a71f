//! Lucene queries written for these tests, each with the model expression it
//! lowers to (`Expr` printed in its compact form). Every case is also printed
//! back and parsed again, and must lower the same way.

use ruledex_diag::Span;
use ruledex_elastic::lucene::{self, PitfallKind};
use ruledex_model::{Expr, Op};

fn lowered(query: &str) -> String {
    let q = lucene::parse(query).unwrap_or_else(|e| panic!("{query}: {e} at {:?}", e.span));
    let printed = q.to_string();
    let again = lucene::parse(&printed).unwrap_or_else(|e| panic!("reprint {printed}: {e}"));
    assert_eq!(again, q, "round trip of {query} via {printed}");
    let expr = lucene::lower(&q).expr;
    assert_eq!(lucene::lower(&again).expr.to_string(), expr.to_string());
    expr.to_string()
}

macro_rules! lowering {
    ($($name:ident: $query:expr => $want:expr;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(lowered($query), $want, "{}", $query);
        }
    )*};
}

lowering! {
    // Fields and values.
    term_on_field: "process.name:chmod" => r#"process.name eq "chmod""#;
    space_around_colon: "process.name : chmod" => r#"process.name eq "chmod""#;
    phrase_on_field: r#"process.command_line:"chmod g+s""# => r#"process.command_line eq "chmod g+s""#;
    phrase_wildcards_are_literal: r#"f:"a*b""# => r#"f eq "a*b""#;
    integer_value: "event.code:4688" => "event.code eq 4688";
    padded_integer_stays_text: "f:007" => r#"f eq "007""#;
    decimal_value: "f:1.5" => "f eq 1.5";
    quoted_number_stays_text: r#"f:"42""# => r#"f eq "42""#;
    escaped_specials: r"f:a\(b\)\:c" => r#"f eq "a(b):c""#;
    ampersands_inside_a_term: "f:a&&b" => r#"f eq "a&&b""#;
    unicode_escape: r"f:caf\u00e9" => r#"f eq "café""#;
    escaped_space_in_field: r"file\ name:x" => r#"file name eq "x""#;
    at_sign_field: "@timestamp:{* TO 2020-01-01]" => r#"@timestamp lte "2020-01-01""#;

    // Wildcards, reduced as Sigma's are.
    wildcard_contains: "process.args:*chmod*" => r#"process.args contains "chmod""#;
    wildcard_starts_with: "process.name:python*" => r#"process.name starts_with "python""#;
    wildcard_ends_with: "file.name:*.sh" => r#"file.name ends_with ".sh""#;
    wildcard_question_mark: "process.name:?sh" => r#"process.name wildcard "?sh""#;
    wildcard_inner_star: "f:a*b*c" => r#"f wildcard "a*b*c""#;
    doubled_star_is_one: "f:a**" => r#"f starts_with "a""#;
    escaped_star_is_literal: r"f:a\*b" => r#"f eq "a*b""#;
    escaped_star_beside_wildcard: r"f:*a\*b" => r#"f ends_with "a*b""#;
    escaped_backslashes_with_wildcard: r"f:C\:\\Windows\\*" => r#"f starts_with "C:\\Windows\\""#;
    literal_star_kept_escaped_in_pattern: r"f:a?\*" => r#"f wildcard "a?\\*""#;

    // Existence.
    star_is_exists: "user.name:*" => "user.name exists true";
    exists_field: "_exists_:user.name" => "user.name exists true";
    exists_quoted_field: r#"_exists_:"user.name""# => "user.name exists true";
    not_exists: "NOT _exists_:user.name" => "not user.name exists true";
    open_range_is_exists: "f:[* TO *]" => "f exists true";

    // Ranges and comparisons.
    range_inclusive: "f:[1 TO 5]" => "f gte 1 and f lte 5";
    range_exclusive: "f:{1 TO 5}" => "f gt 1 and f lt 5";
    range_mixed_brackets: "f:[a TO b}" => r#"f gte "a" and f lt "b""#;
    range_open_upper: "f:[10 TO *]" => "f gte 10";
    range_quoted_bounds: r#"f:["a b" TO "*"]"# => r#"f gte "a b" and f lte "*""#;
    compare_gt: "f:>5" => "f gt 5";
    compare_gte: "f:>=5" => "f gte 5";
    compare_lt: "f:<5" => "f lt 5";
    compare_lte: "f:<=5" => "f lte 5";
    compare_date_math: "@timestamp:>=now-1d" => r#"@timestamp gte "now-1d""#;
    compares_in_a_field_group: "f:(>=1 AND <10)" => "f gte 1 and f lt 10";

    // Regular expressions.
    regex_on_field: "process.args:/2[0-9]{3}/" => r#"process.args regex:cased "^(?:2[0-9]{3})$""#;
    regex_dot_is_dotall: "f:/a.*/" => r#"f regex:cased:s "^(?:a.*)$""#;
    regex_escaped_slash: r"f:/\/tmp\/.+/" => r#"f regex:cased:s "^(?:/tmp/.+)$""#;
    regex_without_field: "/ab+/" => r#"keyword regex:cased "^(?:ab+)$""#;
    regex_alternatives_merge: "f:(/a+/ OR /b+/)" => r#"f regex:cased any["^(?:a+)$", "^(?:b+)$"]"#;

    // No field: every field.
    bare_term: "mimikatz" => r#"keyword eq "mimikatz""#;
    bare_wildcard: "*mimikatz*" => r#"keyword contains "mimikatz""#;
    bare_phrase: r#""sekurlsa::logonpasswords""# => r#"keyword eq "sekurlsa::logonpasswords""#;
    star_field: "*:foo" => r#"keyword eq "foo""#;
    bare_alternatives_merge: "a OR b" => r#"keyword eq any["a", "b"]"#;

    // Boolean structure (Lucene occurrences, default operator OR).
    and: "a:1 AND b:2" => "a eq 1 and b eq 2";
    and_symbol: "a:1 && b:2" => "a eq 1 and b eq 2";
    or: "a:1 OR b:2" => "a eq 1 or b eq 2";
    or_symbol: "a:1 || b:2" => "a eq 1 or b eq 2";
    juxtaposed_clauses_are_or: "a:1 b:2" => "a eq 1 or b eq 2";
    field_group_merges: "f:(a OR b OR c)" => r#"f in any["a", "b", "c"]"#;
    merge_keeps_other_fields_apart: "f:a OR g:a OR f:b" => r#"f in any["a", "b"] or g eq "a""#;
    merge_contains: "f:(*a* OR *b*)" => r#"f contains any["a", "b"]"#;
    plus_minus_optional: "+a:1 -b:2 c:3" => "a eq 1 and not b eq 2";
    and_not: "a:1 AND NOT b:2" => "a eq 1 and not b eq 2";
    bang_not: "a:1 && !b:2" => "a eq 1 and not b eq 2";
    not_without_and: "a:1 NOT b:2" => "a eq 1 and not b eq 2";
    and_then_or_drops_the_optional: "a:1 AND b:2 OR c:3" => "a eq 1 and b eq 2";
    or_then_and_drops_the_first: "a:1 OR b:2 AND c:3" => "b eq 2 and c eq 3";
    or_not_is_and_not: "a:1 OR NOT b:2" => "a eq 1 and not b eq 2";
    not_alone_matches_the_rest: "NOT a:1" => "not a eq 1";
    minus_only: "-a:1 -b:2" => "not a eq 1 and not b eq 2";
    not_before_and: "NOT a:1 AND b:2" => "not a eq 1 and b eq 2";
    grouping: "(a:1 OR b:2) AND c:3" => "(a eq 1 or b eq 2) and c eq 3";
    not_group: "NOT (a:1 OR a:2)" => "not a in any[1, 2]";
    nested_not_group: "x:1 AND NOT (y:2 AND NOT z:3)" => "x eq 1 and not (y eq 2 and not z eq 3)";
    inner_field_overrides: "f:(a OR g:b)" => r#"f eq "a" or g eq "b""#;
    dash_is_a_modifier_in_groups: "f:(-c OR x)" => r#"not f eq "c" and f eq "x""#;
    dash_inside_a_term: "f:(g+s OR a-b)" => r#"f in any["g+s", "a-b"]"#;

    // Whitespace is not an operator.
    lowercase_and_is_a_term: "f:(x and y)" => r#"f eq "x and y""#;
    whitespace_run_is_one_value: "event.type:(start process_started)" => r#"event.type eq "start process_started""#;
    whitespace_run_without_field: "new york city" => r#"keyword eq "new york city""#;
    run_stops_before_or: "f:(a b OR c)" => r#"f in any["a", "b", "c"]"#;
    run_stops_at_a_wildcard: "f:(a b*)" => r#"f eq "a" or f starts_with "b""#;

    // Scoring-only syntax.
    boosts_ignored: r#"f:a^2 OR g:"b"^3"# => r#"f eq "a" or g eq "b""#;
    group_boost_ignored: "(f:a OR f:b)^2" => r#"f in any["a", "b"]"#;
    fuzzy_is_opaque: "user.name:admin~" => r#"opaque("fuzzy term": user.name:admin~)"#;
    fuzzy_edits_is_opaque: "user.name:admin~1^2" => r#"opaque("fuzzy term": user.name:admin~1^2)"#;
    fuzzy_zero_is_exact: "f:admin~0" => r#"f eq "admin""#;
    fuzzy_ignored_on_wildcards: "f:adm*~1" => r#"f starts_with "adm""#;
    proximity_is_opaque: r#"f:"a b"~3"# => r#"opaque("phrase proximity": f:"a b"~3)"#;
    one_word_proximity_is_exact: r#"f:"a"~3"# => r#"f eq "a""#;

    // What the model cannot say.
    field_pattern: r"book.\*:x" => r#"opaque("field name pattern": book.\*:x)"#;
    range_without_field: "[1 TO 5]" => r#"opaque("range over every field": [1 TO 5])"#;
    regex_complement: "f:/~a/" => "opaque(\"regex with complement `~`\": f:/~a/)";
    match_all: "*:*" => r#"opaque("matches every event": *:*)"#;
    lone_star: "*" => r#"opaque("matches every event": *)"#;
    match_all_absorbed_by_and: "* AND NOT f:x" => r#"not f eq "x""#;
    match_all_absorbs_or: "f:x OR *" => r#"opaque("matches every event": f:x OR *)"#;
    not_everything: "NOT *" => r#"opaque("matches no event": NOT *)"#;
}

/// The corpus's one Lucene rule, in a query of our own with the same shapes.
#[test]
fn detection_shaped_query() {
    let q = "event.category:process AND event.type:(start OR process_started) AND \
             process.name:chmod AND process.args:(g+s OR /[24][0-7]{3}/) AND NOT user.name:root";
    assert_eq!(
        lowered(q),
        r#"event.category eq "process" and event.type in any["start", "process_started"] and process.name eq "chmod" and (process.args eq "g+s" or process.args regex:cased "^(?:[24][0-7]{3})$") and not user.name eq "root""#
    );
}

fn hints(query: &str) -> Vec<(String, String)> {
    lucene::parse_and_lower(query).unwrap().hints
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn hints_are_positive_equalities_on_event_fields() {
    assert_eq!(
        hints("event.category:process AND event.type:(start OR info) AND host.os.type:linux"),
        pairs(&[
            ("event.category", "process"),
            ("event.type", "start"),
            ("event.type", "info"),
            ("host.os.type", "linux"),
        ])
    );
    assert_eq!(
        hints("event.code:4688 AND event.dataset:windows.sysmon_operational"),
        pairs(&[
            ("event.code", "4688"),
            ("event.dataset", "windows.sysmon_operational")
        ])
    );
}

#[test]
fn negated_wildcard_and_dropped_clauses_give_no_hints() {
    assert!(hints("NOT event.category:network").is_empty());
    assert!(hints("event.action:exec* AND process.name:x").is_empty());
    // `event.category:file` only scores.
    assert_eq!(
        hints("event.category:process AND user.name:x OR event.category:file"),
        pairs(&[("event.category", "process")])
    );
}

#[test]
fn hints_are_not_repeated() {
    assert_eq!(
        hints("event.category:process OR (event.category:process AND x:1)"),
        pairs(&[("event.category", "process")])
    );
}

fn pred_spans(query: &str) -> Vec<(String, &str)> {
    let lowered = lucene::parse_and_lower(query).unwrap();
    let mut out = Vec::new();
    lowered.expr.visit(&mut |e| {
        if let Expr::Pred(p) = e {
            let span = p.span.expect("every predicate has a span");
            out.push((p.field.raw.clone(), span.slice(query).unwrap()));
        }
    });
    out
}

#[test]
fn predicates_point_at_their_clause() {
    let q = "event.category:process AND NOT user.name : \"root\"^2 AND f:[1 TO 5]";
    assert_eq!(
        pred_spans(q),
        vec![
            ("event.category".to_owned(), "event.category:process"),
            ("user.name".to_owned(), "user.name : \"root\"^2"),
            ("f".to_owned(), "f:[1 TO 5]"),
            ("f".to_owned(), "f:[1 TO 5]"),
        ]
    );
}

#[test]
fn merged_and_grouped_predicates_cover_their_values() {
    assert_eq!(
        pred_spans("x:1 AND f:(a OR b) AND g:(c)"),
        vec![
            ("x".to_owned(), "x:1"),
            ("f".to_owned(), "a OR b"),
            ("g".to_owned(), "c"),
        ]
    );
    assert_eq!(pred_spans("f:(a b)"), vec![("f".to_owned(), "a b")]);
}

#[test]
fn keywords_and_opaques_have_spans() {
    let q = "x:1 AND (foo OR y:adm~)";
    let lowered = lucene::parse_and_lower(q).unwrap();
    let mut seen = Vec::new();
    lowered.expr.visit(&mut |e| match e {
        Expr::Keyword(k) => seen.push(k.span.unwrap().slice(q).unwrap()),
        Expr::Opaque(o) => seen.push(o.span.unwrap().slice(q).unwrap()),
        _ => {}
    });
    assert_eq!(seen, vec!["foo", "y:adm~"]);
}

#[test]
fn regex_predicates_are_case_sensitive_and_terms_are_not() {
    let lowered = lucene::parse_and_lower("a:/x/ AND b:x AND c:x*").unwrap();
    let preds = lowered.expr.preds();
    assert_eq!(preds.len(), 3);
    assert!(preds[0].case_sensitive && preds[0].op == Op::Regex);
    assert!(!preds[1].case_sensitive && !preds[2].case_sensitive);
}

#[test]
fn pitfalls_name_dropped_clauses_and_whitespace_runs() {
    let text = "a:1 AND b:2 OR c:3 AND f:(x y)";
    let q = lucene::parse(text).unwrap();
    let found: Vec<(PitfallKind, &str)> = lucene::pitfalls(&q)
        .iter()
        .map(|p| (p.kind, p.span.slice(text).unwrap()))
        .collect();
    // The `AND` after `c:3` makes it required again, so nothing is dropped;
    // the group holds one run of bare terms.
    assert_eq!(found, vec![(PitfallKind::WhitespaceRun, "x y")]);

    let text = "a:1 AND b:2 OR c:3";
    let q = lucene::parse(text).unwrap();
    let found: Vec<(PitfallKind, Span)> = lucene::pitfalls(&q)
        .iter()
        .map(|p| (p.kind, p.span))
        .collect();
    assert_eq!(found, vec![(PitfallKind::ScoringOnly, Span::new(15, 18))]);
}

#[test]
fn lowering_has_no_aggregation_or_indices() {
    let lowered = lucene::parse_and_lower("a:1").unwrap();
    assert!(lowered.aggregation.is_none());
    assert!(lowered.indices.is_empty());
}

//! The SPL parser reads what detections write, and its AST prints back to SPL
//! that parses to an equal tree (sqlparser's `verified_stmt` style).

use proptest::prelude::*;
use ruledex_splunk::QueryErrorKind;
use ruledex_splunk::spl::{self, CommandKind, Pipeline, SearchExpr};

/// Parse, check that printing gives `expected` and that the print parses to
/// an equal tree; return the tree.
fn verified(text: &str, expected: &str) -> Pipeline {
    let ast = spl::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let printed = ast.to_string();
    assert_eq!(printed, expected, "printing {text}");
    let again = spl::parse(&printed).unwrap_or_else(|e| panic!("{printed}: {e}"));
    assert_eq!(again, ast, "reparsing {printed}");
    ast
}

macro_rules! round_trips {
    ($($name:ident: $text:expr => $printed:expr;)*) => {$(
        #[test]
        fn $name() {
            verified($text, $printed);
        }
    )*};
}

round_trips! {
    implicit_and_and_or: "a=1 b=2 OR c=3" => "a=1 b=2 OR c=3";
    explicit_and_prints_implicit: "a=1 AND b=2" => "a=1 b=2";
    not_and_group: "NOT (a=1 OR b=2) c!=3" => "NOT (a=1 OR b=2) c!=3";
    spaces_around_operator: "ScriptBlockText = \"*x*\"" => "ScriptBlockText=\"*x*\"";
    in_list: "f IN (\"a\",b*, c)" => "f IN (\"a\", b*, c)";
    lowercase_or_is_a_term: "a or b" => "a or b";
    macro_term_and_call: "`sysmon` `m(a, \"b,c\")` x>=5" => "`sysmon` `m(a, \"b,c\")` x>=5";
    // A word that starts quoted ends at its closing quote; an unquoted one
    // glues a quoted piece on.
    glued_quotes_in_a_list: "q IN (\"\"*x*\"\")" => "q IN (\"\", *x*\"\")";
    parentheses_inside_a_word: "p=*GetCurrent()*" => "p=*GetCurrent()*";
    comments_are_skipped: "a=1 ```why``` | stats count" => "a=1 | stats count";
    leading_pipe_tstats: "| tstats `security_content_summariesonly` count min(_time) as firstTime from datamodel=Endpoint.Processes where Processes.process_name=cmd.exe by Processes.dest span=1h"
        => "| tstats `security_content_summariesonly` count min(_time) as firstTime from datamodel=Endpoint.Processes where Processes.process_name=cmd.exe by Processes.dest span=1h";
    stats_with_commas_and_alias: "x | stats count, dc(user) AS users values(a) by host, src"
        => "x | stats count dc(user) as users values(a) by host src";
    where_precedence: "x | where a=1 OR b=2 AND NOT c LIKE \"%x%\""
        => "x | where a = 1 OR b = 2 AND NOT c LIKE \"%x%\"";
    where_functions: "x | where like(f, \"%a%\") AND match(g,\"(?i)x\") AND isnotnull('h{}.i') AND len(j)>3"
        => "x | where like(f, \"%a%\") AND match(g, \"(?i)x\") AND isnotnull('h{}.i') AND len(j) > 3";
    where_in_and_arithmetic: "x | where f IN (\"a\", \"b\") AND .25 > (a/b) * -2"
        => "x | where f IN (\"a\", \"b\") AND .25 > (a / b) * -2";
    eval_assignments: "x | eval a=lower(b), c = if(d>1, \"y\", null())"
        => "x | eval a=lower(b), c=if(d > 1, \"y\", null())";
    rename_wildcards: "x | rename Processes.* as *, a AS \"b c\"" => "x | rename Processes.* as *, a as \"b c\"";
    args_commands: "x | rex field=a \"(?<u>\\w+)\" | lookup t f AS g OUTPUT h | table a, b | regex p = \"x\""
        => "x | rex field=a \"(?<u>\\w+)\" | lookup t f AS g OUTPUT h | table a, b | regex p=\"x\"";
    transaction_with_parenthesized_options: "x | transaction user startswith=(EventCode=1) maxspan=5m"
        => "x | transaction user startswith=(EventCode=1) maxspan=5m";
    subsearch_in_search_and_join: "x [| inputlookup t | fields f] | join type=inner h [search y | head 1]"
        => "x [| inputlookup t | fields f] | join type=inner h [search y | head 1]";
    unknown_command_kept: "x | foreach * [eval <<FIELD>>=1] | mvexpand y" => "x | foreach * [eval <<FIELD>>=1] | mvexpand y";
    command_macros: "x | `security_content_ctime(firstTime)` | `f_filter`" => "x | `security_content_ctime(firstTime)` | `f_filter`";
    value_macro: "x | where t > relative_time(now(), `window`)" => "x | where t > relative_time(now(), `window`)";
    // Found by fuzzing: a macro body with spaces and parentheses printed
    // differently from how it was written; a call now prints as written.
    fuzz_macro_body_printed_as_written: "x | ` (a) b ` | `m( x , y )`" => "x | ` (a) b ` | `m( x , y )`";
    // Found by fuzzing: a second `from` after `by` was read as a field.
    fuzz_from_after_by: "| tstats count from datamodel=A by B.c from datamodel=D"
        => "| tstats count from datamodel=D by B.c";
    // Found by fuzzing: options after an empty `by` printed before `from`.
    fuzz_options_after_empty_by: "| tstats count by span=1s" => "| tstats count by span=1s";
}

#[test]
fn or_binds_tighter_than_implicit_and() {
    let p = verified("a b OR c", "a b OR c");
    let CommandKind::Search {
        expr: Some(SearchExpr::And(items)),
        ..
    } = &p.commands[0].kind
    else {
        panic!("{:?}", p.commands[0].kind)
    };
    assert!(matches!(items[1], SearchExpr::Or(_)));
}

#[test]
fn not_binds_tighter_than_or() {
    let p = spl::parse("NOT a OR b").unwrap();
    let CommandKind::Search {
        expr: Some(SearchExpr::Or(items)),
        ..
    } = &p.commands[0].kind
    else {
        panic!()
    };
    assert!(matches!(items[0], SearchExpr::Not(_)));
}

macro_rules! errors {
    ($($name:ident: $text:expr => $kind:pat, $at:expr;)*) => {$(
        #[test]
        fn $name() {
            let e = spl::parse($text).unwrap_err();
            assert!(matches!(e.kind, $kind), "{:?}", e.kind);
            assert_eq!(e.span.start as usize, $at, "{e}");
        }
    )*};
}

errors! {
    unterminated_string: "a=\"x | b" => QueryErrorKind::Unterminated { what: "string" }, 2;
    unterminated_macro: "`sysmon x=1" => QueryErrorKind::Unterminated { what: "macro" }, 0;
    unterminated_subsearch: "a [search b" => QueryErrorKind::Unterminated { what: "subsearch" }, 2;
    missing_value: "a= | stats count" => QueryErrorKind::Unexpected { .. }, 2;
    unclosed_group: "(a=1 b=2" => QueryErrorKind::Unexpected { .. }, 8;
    empty_command: "a=1 | | stats count" => QueryErrorKind::Unexpected { .. }, 6;
    bad_eval: "x | where a = = 1" => QueryErrorKind::Unexpected { .. }, 14;
    rename_without_as: "x | rename a b" => QueryErrorKind::Unexpected { .. }, 13;
    // Found by fuzzing: a backtick glued to a `by` field was part of its name,
    // and the printed search opened a macro there.
    fuzz_backtick_after_by_field: "| tstats count from datamodel=A by B.c`x`" => QueryErrorKind::Unexpected { .. }, 38;
    // Found by fuzzing: `as` after a comma was read as an aggregate named `as`.
    fuzz_as_after_comma: "x | stats dc(a),as n" => QueryErrorKind::Unexpected { .. }, 16;
    // Found by fuzzing: a second `AND` was read as a term named `AND`.
    fuzz_keyword_as_term: "a AND AND b" => QueryErrorKind::Unexpected { .. }, 6;
    too_deep: &format!("{}a{}", "(".repeat(100), ")".repeat(100)) => QueryErrorKind::TooDeep { .. }, 63;
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_owned()),
        Just("Processes.process_name".to_owned()),
        Just("*x*".to_owned()),
        Just("\"C:\\\\Windows\\\\*\"".to_owned()),
        Just("\"two words\"".to_owned()),
        Just("4688".to_owned()),
        Just("or".to_owned()),
    ]
}

fn search_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (
            word(),
            prop_oneof![Just("="), Just("!="), Just(">="), Just("<")],
            word()
        )
            .prop_map(|(f, op, v)| format!("{f}{op}{v}")),
        (word(), prop::collection::vec(word(), 1..4))
            .prop_map(|(f, vs)| format!("{f} IN ({})", vs.join(", "))),
        word(),
        Just("`sysmon`".to_owned()),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| v.join(" ")),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| v.join(" OR ")),
            inner.clone().prop_map(|e| format!("NOT {e}")),
            inner.prop_map(|e| format!("({e})")),
        ]
    })
}

proptest! {
    /// Any search built from the grammar parses, and its print is a fixed
    /// point that parses to an equal tree.
    #[test]
    fn generated_searches_round_trip(e in search_expr(), n in 0u32..20) {
        let text = format!("{e} | where count > {n} | stats count by host");
        let ast = spl::parse(&text).unwrap();
        let printed = ast.to_string();
        let again = spl::parse(&printed).unwrap();
        prop_assert_eq!(&again, &ast);
        prop_assert_eq!(again.to_string(), printed);
    }
}

//! ES|QL parse errors, rendered as a person sees them: the caret sits under
//! the offending token. One named case per kind of mistake; the queries are
//! written for these tests.

use ruledex_diag::{Diagnostic, Severity};
use ruledex_elastic::esql::parse;

fn render(query: &str) -> String {
    let e = parse(query).expect_err("the query is invalid");
    Diagnostic::new(e.kind.code(), Severity::Error, e.span, e.kind.to_string())
        .render("query.esql", query)
}

macro_rules! errors {
    ($($case:ident: $query:expr => $want:expr;)*) => {$(
        #[test]
        fn $case() {
            let got = render($query);
            let want: &str = $want;
            assert_eq!(got, want, "\n--- got ---\n{got}--- want ---\n{want}");
        }
    )*};
}

errors! {
    missing_pipe_between_commands: "FROM logs-*\nWHERE x == 1" => "\
query.esql:2:1: error[query-syntax]: expected `|` or the end of the query, found `WHERE`
  |
2 | WHERE x == 1
  | ^^^^^
";
    unterminated_string: "FROM a\n| WHERE process.name == \"cmd.exe" => "\
query.esql:2:25: error[query-unterminated]: unterminated string
  |
2 | | WHERE process.name == \"cmd.exe
  |                         ^^^^^^^^
";
    unknown_command: "FROM a | WHEN x == 1" => "\
query.esql:1:10: error[query-syntax]: expected a processing command, found `WHEN`
  |
1 | FROM a | WHEN x == 1
  |          ^^^^
";
    not_without_in_or_like: "FROM a | WHERE x NOT == 1" => "\
query.esql:1:22: error[query-syntax]: expected `IN`, `LIKE` or `RLIKE` after `NOT`, found `==`
  |
1 | FROM a | WHERE x NOT == 1
  |                      ^^
";
    bad_escape_in_string: "FROM a | WHERE p == \"C:\\Windows\"" => "\
query.esql:1:24: error[query-invalid-literal]: invalid escape sequence `\\W`
  |
1 | FROM a | WHERE p == \"C:\\Windows\"
  |                        ^^
";
    too_deep: &format!("FROM a | WHERE {}x{}", "(".repeat(60), ")".repeat(60)) => &format!("\
query.esql:1:64: error[query-too-deep]: query nests deeper than 48 levels
  |
1 | FROM a | WHERE {}x{}
  | {}^
", "(".repeat(60), ")".repeat(60), " ".repeat(63));
    unsupported_command: "FROM a | FORK (WHERE x == 1)" => "\
query.esql:1:10: error[query-unsupported]: not supported yet: the `FORK` command
  |
1 | FROM a | FORK (WHERE x == 1)
  |          ^^^^
";
}

//! Kusto printing: a query in canonical form prints back as written, and any
//! generated query prints to text that parses to the same print.

use proptest::prelude::*;
use ruledex_sentinel::kusto;

/// Parse, assert that printing gives the input back, and return the print.
fn verified(q: &str) -> String {
    let ast = kusto::parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    let printed = ast.to_string();
    assert_eq!(printed, q, "print differs from input");
    printed
}

macro_rules! canonical {
    ($($name:ident: $q:expr,)*) => {$(
        #[test]
        fn $name() {
            verified($q);
        }
    )*};
}

canonical! {
    where_and_or: "SecurityEvent\n| where EventID == 4688 and (Process =~ 'a.exe' or Process has \"b\")",
    string_operators: "T\n| where A !has_cs 'x' and B startswith_cs 'y' and C !endswith \"z\" and D matches regex @'^a+$'",
    lists: "T\n| where A in~ ('a', 'b') and B !in (1, 2) and C has_any (dynamic(['x', 'y'])) and D has_all (L)",
    between: "T\n| where A between (1 .. 10) and B !between (ago(1d) .. now())",
    let_statements: "let L = dynamic(['a', 'b']);\nlet n = 5;\nT\n| where A in (L)",
    function_let: "let f = (t:string) { table(t)\n| where x == 1 };\nf('SigninLogs')",
    union_source: "union isfuzzy=true withsource=TableName Device*, (T\n| where a == 1), f()",
    summarize: "T\n| summarize count(), n = dcount(User) by Host, bin(TimeGenerated, 5m)\n| where count_ > 10",
    join: "T\n| join kind=inner (U\n| project A) on A, $left.B == $right.C",
    generic_operators: "T\n| sort by A desc\n| take 10\n| project-away B\n| mv-expand C to typeof(string)\n| parse D with * 'x' E '<' *",
    rename_extend: "T\n| extend a = tolower(B), (c, d) = f(E)\n| project-rename G = H\n| project I, J = K.L['m'][0]",
    literals: "T\n| where a == datetime(2022-01-01T10:00:00Z) and b > -1.5e3 and c == 0x1F and d < 1d and e == h'x' and f == ```y```",
    objects: "print x = dynamic({'a': [1, 2], 'b': null})",
}

#[test]
fn comments_and_spacing_normalize() {
    let q = "T // source\n  |   where A==1 // c\n|take 5";
    let printed = kusto::parse(q).unwrap().to_string();
    assert_eq!(printed, "T\n| where A == 1\n| take 5");
    verified(&printed);
}

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["A", "Process", "EventID", "x_1", "Account"]).prop_map(str::to_owned)
}

fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z \\\\.]{0,8}".prop_map(|s| format!("'{}'", s.replace('\\', "\\\\"))),
        "[a-z\\\\]{0,6}".prop_map(|s| format!("@\"{s}\"")),
        (0u32..100_000).prop_map(|n| n.to_string()),
        prop::sample::select(vec!["1d", "5m", "true", "datetime(2020-01-01)"])
            .prop_map(str::to_owned),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    let op = prop::sample::select(vec![
        "==",
        "!=",
        "=~",
        "!~",
        "has",
        "!has",
        "contains",
        "startswith",
        "endswith_cs",
        ">",
        "<=",
    ]);
    let leaf = prop_oneof![
        (name(), op, literal()).prop_map(|(n, o, l)| format!("{n} {o} {l}")),
        (
            name(),
            prop::collection::vec(literal(), 1..4),
            prop::sample::select(vec!["in", "in~", "!in", "has_any"])
        )
            .prop_map(|(n, ls, o)| format!("{n} {o} ({})", ls.join(", "))),
        name().prop_map(|n| format!("isnotempty({n})")),
        (name(), literal(), literal()).prop_map(|(n, a, b)| format!("{n} between ({a} .. {b})")),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            inner.clone().prop_map(|a| format!("({a})")),
            inner.prop_map(|a| format!("not({a})")),
        ]
    })
}

fn query() -> impl Strategy<Value = String> {
    let op = prop_oneof![
        expr().prop_map(|e| format!("where {e}")),
        (name(), name()).prop_map(|(a, b)| format!("extend {a} = tolower({b})")),
        (name(), name()).prop_map(|(a, b)| format!("summarize count() by {a}, {b}")),
        name().prop_map(|a| format!("sort by {a} desc")),
        (name(), expr()).prop_map(|(a, e)| format!("join kind=inner (T2 | where {e}) on {a}")),
    ];
    (
        prop::sample::select(vec!["SecurityEvent", "imProcessCreate", "union T1, T2*"]),
        prop::collection::vec(op, 0..5),
    )
        .prop_map(|(src, ops)| {
            let mut q = src.to_owned();
            for o in ops {
                q.push_str(" | ");
                q.push_str(&o);
            }
            q
        })
}

proptest! {
    #[test]
    fn printing_is_a_fixed_point(q in query()) {
        let ast = kusto::parse(&q).unwrap_or_else(|e| panic!("{q}: {e}"));
        let printed = ast.to_string();
        let again = kusto::parse(&printed).unwrap_or_else(|e| panic!("{printed}: {e}"));
        prop_assert_eq!(again.to_string(), printed);
        let _ = kusto::lower(&ast);
    }

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,80}") {
        if let Ok(q) = kusto::parse(&s) {
            let _ = kusto::lower(&q);
        }
    }
}

//! Print → parse round trips: a generated AST printed with `Display` parses
//! back to an equal AST (spans aside) and lowers the same way; and any text
//! that parses prints back to text that parses to the same AST.

use proptest::prelude::*;
use proptest::strategy::Union;
use ruledex_diag::Span;
use ruledex_elastic::lucene::{
    self, Bound, Clause, Compare, CompareOp, Conj, Modifier, Node, Phrase, Query, Range, Regex,
    Slop, Term,
};

/// Characters (and words) that stress escaping.
const POOL: &[&str] = &[
    "a", "b", "Z", "0", "9", ".", "_", "é", "u", " ", "\t", "\n", "\u{3000}", ":", "(", ")", "[",
    "]", "{", "}", "\"", "\\", "/", "~", "^", "+", "-", "!", "&", "|", "=", "<", ">", "*", "?",
    "@", "AND", "OR", "NOT", "TO", "&&",
];

fn text(min: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(POOL), min..5).prop_map(|v| v.concat())
}

/// A term in wildcard form: literal pieces (escaped where needed) and wildcards.
fn glob() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(POOL).prop_map(|s| {
            let mut out = String::new();
            for c in s.chars() {
                if matches!(c, '*' | '?' | '\\') {
                    out.push('\\');
                }
                out.push(c);
            }
            out
        }),
        1 => Just("*".to_owned()),
        1 => Just("?".to_owned()),
    ];
    prop::collection::vec(piece, 1..5)
        .prop_map(|v| v.concat())
        // Under a field, Elasticsearch reads a plain `>x`/`<x` as a comparison.
        .prop_filter("no leading comparison", |g| {
            !g.starts_with('<') && !g.starts_with('>')
        })
}

fn slop() -> impl Strategy<Value = Option<Slop>> {
    prop_oneof![
        4 => Just(None),
        1 => Just(Some(Slop(None))),
        1 => prop::sample::select(&["0", "2", "0.5", "AUTO"][..])
            .prop_map(|s| Some(Slop(Some(s.to_owned())))),
    ]
}

fn regex_pattern() -> impl Strategy<Value = String> {
    let tokens = &[
        "a", "b", ".", "*", "+", "[0-9]", "(", ")", "|", "\\/", "\\\\", "{2}", "\"x\"", "@", "~",
    ][..];
    prop::collection::vec(prop::sample::select(tokens), 0..6).prop_map(|v| v.concat())
}

fn bound() -> impl Strategy<Value = Bound> {
    prop_oneof![
        1 => Just(Bound::Open),
        4 => prop_oneof![text(0), Just("*".to_owned()), Just("TO".to_owned())].prop_map(Bound::Value),
    ]
}

fn leaf(fielded: bool) -> BoxedStrategy<Node> {
    let mut leaves: Vec<BoxedStrategy<Node>> = vec![
        (glob(), slop())
            .prop_map(|(text, fuzzy)| Node::Term(Term { text, fuzzy }))
            .boxed(),
        (text(0), slop())
            .prop_map(|(text, slop)| Node::Phrase(Phrase { text, slop }))
            .boxed(),
        (regex_pattern(), slop())
            .prop_map(|(pattern, fuzzy)| Node::Regex(Regex { pattern, fuzzy }))
            .boxed(),
        (bound(), bound(), any::<bool>(), any::<bool>())
            .prop_map(|(lower, upper, include_lower, include_upper)| {
                Node::Range(Range {
                    lower,
                    upper,
                    include_lower,
                    include_upper,
                })
            })
            .boxed(),
    ];
    if fielded {
        let ops = &[CompareOp::Gt, CompareOp::Gte, CompareOp::Lt, CompareOp::Lte][..];
        leaves.push(
            (prop::sample::select(ops), text(1))
                // `>=x` reads as `>=` then `x`, never `>` then `=x`.
                .prop_filter("no `=` after `>` or `<`", |(op, v)| {
                    matches!(op, CompareOp::Gte | CompareOp::Lte) || !v.starts_with('=')
                })
                .prop_map(|(op, value)| Node::Compare(Compare { op, value }))
                .boxed(),
        );
    }
    Union::new(leaves).boxed()
}

fn node(depth: u32, fielded: bool) -> BoxedStrategy<Node> {
    if depth == 0 {
        return leaf(fielded);
    }
    prop_oneof![
        3 => leaf(fielded),
        1 => query(depth - 1, fielded).prop_map(|q| Node::Group(Box::new(q))),
    ]
    .boxed()
}

fn field() -> impl Strategy<Value = Option<String>> {
    let names = &[
        "f",
        "process.name",
        "file name",
        "a:b",
        "*",
        "_exists_",
        "AND",
        "x-y",
        "é.\\",
        "book.*",
    ][..];
    prop_oneof![
        2 => Just(None),
        1 => prop::sample::select(names).prop_map(|s| Some(s.to_owned())),
    ]
}

fn clause(depth: u32, fielded: bool) -> BoxedStrategy<Clause> {
    let conj = prop::sample::select(&[None, Some(Conj::And), Some(Conj::Or)][..]);
    let modifier = prop::sample::select(
        &[
            None,
            Some(Modifier::Plus),
            Some(Modifier::Minus),
            Some(Modifier::Not),
        ][..],
    );
    let boost = prop::sample::select(&[None, None, Some(2.0_f32), Some(0.5), Some(10.0)][..]);
    (field(), conj, modifier, boost)
        .prop_flat_map(move |(field, conj, modifier, boost)| {
            let fielded = fielded || field.is_some();
            node(depth, fielded).prop_map(move |node| Clause {
                conj,
                modifier,
                field: field.clone(),
                node,
                boost,
                span: Span::default(),
            })
        })
        .boxed()
}

fn query(depth: u32, fielded: bool) -> BoxedStrategy<Query> {
    prop::collection::vec(clause(depth, fielded), 1..4)
        .prop_map(|mut clauses| {
            clauses[0].conj = None;
            Query { clauses }
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn generated_asts_print_and_parse_back(q in query(3, false)) {
        let printed = q.to_string();
        let back = lucene::parse(&printed)
            .map_err(|e| TestCaseError::fail(format!("{printed:?}: {e} at {:?}", e.span)))?;
        prop_assert_eq!(&back, &q, "printed as {:?}", printed);
        prop_assert_eq!(
            lucene::lower(&back).expr.to_string(),
            lucene::lower(&q).expr.to_string()
        );
    }

    #[test]
    fn parsed_text_prints_back_to_the_same_ast(
        parts in prop::collection::vec(prop::sample::select(POOL), 0..24)
    ) {
        let text = parts.concat();
        if let Ok(q) = lucene::parse(&text) {
            let printed = q.to_string();
            let back = lucene::parse(&printed)
                .map_err(|e| TestCaseError::fail(format!("{text:?} → {printed:?}: {e}")))?;
            prop_assert_eq!(back, q, "{:?} printed as {:?}", text, printed);
        }
    }

    #[test]
    fn any_text_parses_or_fails_cleanly(text in "\\PC{0,64}") {
        if let Ok(q) = lucene::parse(&text) {
            let printed = q.to_string();
            prop_assert_eq!(lucene::parse(&printed).ok(), Some(q), "{:?} printed as {:?}", text, printed);
        }
    }
}

//! Print → parse round trips on generated input.
//!
//! 1. Random syntax trees of bounded depth, with literals made of the
//!    characters that are hardest to print (specials, keywords, whitespace,
//!    backslashes, non-ASCII): printing then parsing gives the same tree.
//! 2. Random query-like text: parsing never panics, and whatever parses
//!    prints to text that parses to the same tree.

use proptest::prelude::*;
use ruledex_diag::Span;
use ruledex_elastic::kql::{
    self, FieldMatch, Literal, NestedMatch, Piece, Query, RangeMatch, RangeOp, ValueList,
};

/// Fragments that literal text is made of.
const FRAGMENTS: &[&str] = &[
    "a", "b", "x.y", "and", "or", "not", "AND", "Or", "Not", "nOT", " ", "  ", "\t", "\n", "\r",
    "\\", "(", ")", ":", "<", ">", "<=", "\"", "{", "}", "*", "?", "é", "😀", "\u{a0}", "n", "ot",
    "u0041", "\\u0041", "true", "null", "1", "-2.5", "/", "=",
];

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 1..5).prop_map(|f| f.concat())
}

fn literal() -> impl Strategy<Value = Literal> {
    let quoted =
        prop_oneof![text(), Just(String::new())].prop_map(|t| Literal::quoted(t, Span::default()));
    let piece = prop_oneof![
        3 => text().prop_map(Piece::Text),
        1 => Just(Piece::Wildcard),
    ];
    let unquoted =
        prop::collection::vec(piece, 1..4).prop_map(|p| Literal::unquoted(p, Span::default()));
    prop_oneof![quoted, unquoted]
}

fn value_list() -> impl Strategy<Value = ValueList> {
    literal()
        .prop_map(ValueList::Value)
        .prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(ValueList::Or),
                prop::collection::vec(inner.clone(), 2..4).prop_map(ValueList::And),
                inner.prop_map(|v| ValueList::Not(Box::new(v))),
            ]
        })
}

fn range_op() -> impl Strategy<Value = RangeOp> {
    prop::sample::select(vec![RangeOp::Lt, RangeOp::Lte, RangeOp::Gt, RangeOp::Gte])
}

fn query() -> impl Strategy<Value = Query> {
    let leaf = prop_oneof![
        (literal(), value_list()).prop_map(|(field, values)| Query::Match(FieldMatch {
            field,
            values,
            span: Span::default(),
        })),
        (literal(), range_op(), literal()).prop_map(|(field, op, value)| Query::Range(
            RangeMatch {
                field,
                op,
                value,
                span: Span::default(),
            }
        )),
        literal().prop_map(Query::FreeText),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Query::Or),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Query::And),
            inner.clone().prop_map(|q| Query::Not(Box::new(q))),
            (literal(), inner).prop_map(|(field, q)| Query::Nested(NestedMatch {
                field,
                query: Box::new(q),
                span: Span::default(),
            })),
        ]
    })
}

/// Text built from query syntax and literal fragments, joined at random.
fn query_text() -> impl Strategy<Value = String> {
    const SYNTAX: &[&str] = &[
        "a", "b:", "c : ", ":", "(", ")", "{", "}", " and ", " or ", "not ", " AND ", "NOT(",
        " >= ", "<", "\"", "\"q\"", "*", "\\", "\\:", "\\(", "\\and", "\\u00e9", "\\ud83d", " ",
        "\n", "é", "x.y", "1", "null", "\u{a0}",
    ];
    prop::collection::vec(prop::sample::select(SYNTAX), 0..16).prop_map(|f| f.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn printed_tree_parses_back(q in query()) {
        let printed = q.to_string();
        let again = kql::parse(&printed);
        prop_assert!(again.is_ok(), "{printed:?} does not parse: {:?}", again.err());
        prop_assert_eq!(again.unwrap(), q, "printed as {:?}", printed);
    }

    #[test]
    fn parsed_text_prints_back(src in query_text()) {
        if let Ok(q) = kql::parse(&src) {
            let printed = q.to_string();
            let again = kql::parse(&printed);
            prop_assert!(again.is_ok(), "{src:?} printed as {printed:?}, which fails: {:?}", again.err());
            prop_assert_eq!(&again.unwrap(), &q, "{:?} printed as {:?}", src, printed);
            // Lowering never panics either.
            let _ = kql::lower(&q);
        }
    }
}

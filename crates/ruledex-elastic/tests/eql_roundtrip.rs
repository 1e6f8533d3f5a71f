//! Print → parse round trip on generated trees: any EQL tree the parser can
//! produce prints as text that parses back to an equal tree (spans aside).
//!
//! The strategies build trees of bounded depth that respect the parser's
//! invariants: `and` / `or` have two or more terms, lists at least one item,
//! a single `:` / `like` / `regex` pattern is a literal, field or call, and
//! integers are above `i64::MIN` (whose magnitude has no `i64` token).

use proptest::prelude::*;
use ruledex_elastic::eql::{
    ArithOp, Call, Category, CompareOp, EventQuery, Expr, ExprKind, FieldPath, Literal, MAX_RUNS,
    MatchOp, NodeSpan, Patterns, Pipe, Query, QueryBody, Sample, SampleTerm, Sequence,
    SequenceTerm, TimeSpan, parse,
};

/// Words that cannot name a function or a pipe.
const RESERVED: &[&str] = &[
    "and", "any", "by", "false", "in", "join", "like", "not", "null", "of", "or", "regex",
    "sample", "sequence", "true", "until", "where", "with",
];

fn e(kind: ExprKind) -> Expr {
    Expr::unplaced(kind)
}

fn identifier() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_]{0,7}".prop_filter("not reserved", |s| !RESERVED.contains(&s.as_str()))
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z*?\\\\.:/ -]{0,12}",
        "[ -~]{0,10}",
        any::<String>().prop_map(|s| s.chars().take(12).collect()),
    ]
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z_@][a-zA-Z0-9_]{0,7}",
        1 => "[ -~]{1,6}",
        1 => Just("and".to_owned()),
        1 => "[0-9]{1,3}",
    ]
}

fn field() -> impl Strategy<Value = FieldPath> {
    (any::<bool>(), prop::collection::vec(segment(), 1..4))
        .prop_map(|(optional, segments)| FieldPath { optional, segments })
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any_text().prop_map(Literal::Str),
        (i64::MIN + 1..=i64::MAX).prop_map(Literal::Int),
        (-1_000_i64..1_000).prop_map(Literal::Int),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(Literal::Float),
        any::<bool>().prop_map(Literal::Bool),
        Just(Literal::Null),
    ]
}

fn call(arg: BoxedStrategy<Expr>) -> impl Strategy<Value = Expr> {
    (
        identifier(),
        any::<bool>(),
        prop::collection::vec(arg, 0..3),
    )
        .prop_map(|(name, insensitive, args)| {
            e(ExprKind::Call(Call {
                name,
                insensitive,
                args,
            }))
        })
}

/// Value-level expressions: fields, literals, calls, arithmetic.
fn value() -> BoxedStrategy<Expr> {
    let leaf = prop_oneof![
        field().prop_map(|f| e(ExprKind::Field(f))),
        literal().prop_map(|l| e(ExprKind::Literal(l))),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        let arith_op = prop_oneof![
            Just(ArithOp::Add),
            Just(ArithOp::Sub),
            Just(ArithOp::Mul),
            Just(ArithOp::Div),
            Just(ArithOp::Mod),
        ];
        prop_oneof![
            call(inner.clone()),
            (arith_op, inner.clone(), inner.clone()).prop_map(|(op, l, r)| e(ExprKind::Arith {
                op,
                left: Box::new(l),
                right: Box::new(r)
            })),
            inner.prop_map(|x| e(ExprKind::Neg(Box::new(x)))),
        ]
    })
    .boxed()
}

/// A primary expression: what a single `:` pattern may be.
fn primary() -> BoxedStrategy<Expr> {
    prop_oneof![
        field().prop_map(|f| e(ExprKind::Field(f))),
        literal().prop_map(|l| e(ExprKind::Literal(l))),
        call(value()),
    ]
    .boxed()
}

fn predicate() -> BoxedStrategy<Expr> {
    let compare_op = prop_oneof![
        Just(CompareOp::Eq),
        Just(CompareOp::Ne),
        Just(CompareOp::Lt),
        Just(CompareOp::Le),
        Just(CompareOp::Gt),
        Just(CompareOp::Ge),
    ];
    let match_op = prop_oneof![
        Just(MatchOp::Colon),
        Just(MatchOp::Like),
        Just(MatchOp::LikeInsensitive),
        Just(MatchOp::Regex),
        Just(MatchOp::RegexInsensitive),
    ];
    let patterns = prop_oneof![
        primary().prop_map(|p| Patterns::One(Box::new(p))),
        prop::collection::vec(value(), 1..4).prop_map(Patterns::List),
    ];
    prop_oneof![
        (compare_op, value(), value()).prop_map(|(op, l, r)| e(ExprKind::Compare {
            op,
            left: Box::new(l),
            right: Box::new(r)
        })),
        (value(), match_op, patterns).prop_map(|(v, op, patterns)| e(ExprKind::Match {
            value: Box::new(v),
            op,
            patterns
        })),
        (
            value(),
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec(value(), 1..4)
        )
            .prop_map(|(v, insensitive, negated, list)| e(ExprKind::In {
                value: Box::new(v),
                insensitive,
                negated,
                list
            })),
        call(value()),
        field().prop_map(|f| e(ExprKind::Field(f))),
        any::<bool>().prop_map(|b| e(ExprKind::Literal(Literal::Bool(b)))),
    ]
    .boxed()
}

/// Conditions: predicates under `and`, `or`, `not`.
fn condition() -> BoxedStrategy<Expr> {
    predicate()
        .prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(|v| e(ExprKind::And(v))),
                prop::collection::vec(inner.clone(), 2..4).prop_map(|v| e(ExprKind::Or(v))),
                inner.prop_map(|x| e(ExprKind::Not(Box::new(x)))),
            ]
        })
        .boxed()
}

fn event_query() -> impl Strategy<Value = EventQuery> {
    let category = prop_oneof![
        Just(Category::Any),
        identifier().prop_map(Category::Named),
        any_text().prop_map(Category::Named),
    ];
    (category, condition()).prop_map(|(category, condition)| EventQuery {
        category,
        condition,
        span: NodeSpan::default(),
    })
}

fn by_list() -> impl Strategy<Value = Vec<Expr>> {
    prop::collection::vec(field().prop_map(|f| e(ExprKind::Field(f))), 0..3)
}

fn sequence_term() -> impl Strategy<Value = SequenceTerm> {
    (
        event_query(),
        by_list(),
        prop::option::of(1..=MAX_RUNS),
        any::<bool>(),
    )
        .prop_map(|(query, by, runs, missing)| SequenceTerm {
            query,
            by,
            runs,
            missing,
            span: NodeSpan::default(),
        })
}

fn body() -> impl Strategy<Value = QueryBody> {
    let maxspan = prop::option::of(
        (0_u64..1_000_000_000, prop::option::of("[a-z]{1,3}"))
            .prop_map(|(amount, unit)| TimeSpan { amount, unit }),
    );
    let until = prop::option::of(
        (event_query(), by_list()).prop_map(|(query, by)| SequenceTerm {
            query,
            by,
            runs: None,
            missing: false,
            span: NodeSpan::default(),
        }),
    );
    let sample_term = (event_query(), by_list()).prop_map(|(query, by)| SampleTerm {
        query,
        by,
        span: NodeSpan::default(),
    });
    prop_oneof![
        event_query().prop_map(QueryBody::Event),
        (
            by_list(),
            maxspan,
            prop::collection::vec(sequence_term(), 1..4),
            until
        )
            .prop_map(|(by, maxspan, terms, until)| QueryBody::Sequence(Sequence {
                by,
                maxspan,
                terms,
                until
            })),
        (by_list(), prop::collection::vec(sample_term, 1..4))
            .prop_map(|(by, terms)| QueryBody::Sample(Sample { by, terms })),
    ]
}

fn query() -> impl Strategy<Value = Query> {
    let pipe =
        (identifier(), prop::collection::vec(condition(), 0..3)).prop_map(|(name, args)| Pipe {
            name,
            args,
            span: NodeSpan::default(),
        });
    (body(), prop::collection::vec(pipe, 0..3)).prop_map(|(body, pipes)| Query {
        body,
        pipes,
        span: NodeSpan::default(),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn printed_queries_parse_back_to_the_same_tree(q in query()) {
        let printed = q.to_string();
        let back = parse(&printed);
        prop_assert!(back.is_ok(), "printed form does not parse: {:?}\n{}", back.err(), printed);
        prop_assert_eq!(back.unwrap(), q, "printed form:\n{}", printed);
    }

}

proptest! {
    #[test]
    fn printing_is_stable(q in query()) {
        // Printing the re-parsed tree gives the same text.
        let printed = q.to_string();
        let again = parse(&printed).map(|b| b.to_string());
        prop_assert_eq!(again.ok(), Some(printed));
    }

    #[test]
    fn lowering_never_panics(q in query()) {
        let _ = ruledex_elastic::eql::lower(&q);
    }
}

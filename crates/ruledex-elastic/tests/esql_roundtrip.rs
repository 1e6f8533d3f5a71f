//! Print → parse round trip on generated ES|QL trees: every tree prints to a
//! query that parses back to an equal tree (positions aside), and lowering
//! it never panics.

use proptest::prelude::*;
use ruledex_elastic::esql::{
    AggField, ArithOp, Assign, Call, CmpOp, Command, CommandKind, Expr, ExprKind, Literal, Loc,
    Order, Query, Rename, Source, Stats, lower, parse,
};

const KEYWORDS: &[&str] = &[
    "and", "as", "asc", "by", "desc", "false", "in", "is", "like", "not", "null", "nulls", "on",
    "or", "rlike", "true", "where", "with",
];

fn not_keyword(s: &str) -> bool {
    !KEYWORDS.contains(&s.to_ascii_lowercase().as_str())
}

fn ident() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,6}".prop_filter("not a keyword", |s: &String| not_keyword(s))
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => ident(),
        2 => "[a-z]{1,4}\\.[a-z_]{1,5}(\\.[a-z]{1,3})?",
        1 => Just("@timestamp".to_owned()),
        1 => Just("_id".to_owned()),
        1 => Just("by".to_owned()),
        1 => Just("null".to_owned()),
        1 => "[a-z ]{1,5}",
        1 => "[a-z`.]{1,5}",
        1 => "[0-9][a-z]{0,3}",
        1 => "\\PC{1,6}",
    ]
}

fn scalar() -> impl Strategy<Value = Literal> {
    prop_oneof![
        Just(Literal::Null),
        any::<bool>().prop_map(Literal::Bool),
        (-1_000_000_000_000_i64..1_000_000_000_000).prop_map(Literal::Int),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(Literal::Float),
        any::<String>().prop_map(Literal::Str),
        (-1000_i64..1000, ident()).prop_map(|(value, unit)| Literal::Duration { value, unit }),
    ]
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        6 => scalar(),
        1 => prop::collection::vec(scalar(), 0..4).prop_map(Literal::Array),
    ]
}

fn map() -> impl Strategy<Value = Vec<(String, Literal)>> {
    prop::collection::vec((any::<String>(), literal()), 0..3)
}

fn e(kind: ExprKind) -> Expr {
    Expr {
        kind,
        loc: Loc::default(),
    }
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        3 => literal().prop_map(|l| e(ExprKind::Lit(l))),
        4 => field_name().prop_map(|f| e(ExprKind::Field(f))),
        1 => prop_oneof![Just("?"), Just("?x"), Just("?1")].prop_map(|p| e(ExprKind::Param(p.into()))),
        1 => Just(e(ExprKind::Call(Call {
            name: "COUNT".into(),
            star: true,
            args: Vec::new(),
            options: None,
        }))),
    ];
    leaf.prop_recursive(4, 48, 4, |inner| {
        let boxed = inner.clone().prop_map(Box::new);
        let arith = prop_oneof![
            Just(ArithOp::Add),
            Just(ArithOp::Sub),
            Just(ArithOp::Mul),
            Just(ArithOp::Div),
            Just(ArithOp::Mod)
        ];
        let cmp = prop_oneof![
            Just(CmpOp::Eq),
            Just(CmpOp::CiEq),
            Just(CmpOp::Neq),
            Just(CmpOp::Lt),
            Just(CmpOp::Lte),
            Just(CmpOp::Gt),
            Just(CmpOp::Gte)
        ];
        let field_or_cast = (field_name(), prop::option::of(ident())).prop_map(|(f, ty)| {
            let field = e(ExprKind::Field(f));
            match ty {
                Some(ty) => e(ExprKind::Cast {
                    expr: Box::new(field),
                    ty,
                }),
                None => field,
            }
        });
        prop_oneof![
            (
                "[A-Z][A-Z0-9_]{0,6}".prop_filter("not a keyword", |s: &String| not_keyword(s)),
                prop::collection::vec(inner.clone(), 0..3),
                prop::option::of(map())
            )
                .prop_map(|(name, args, options)| e(ExprKind::Call(Call {
                    name,
                    star: false,
                    args,
                    options
                }))),
            boxed.clone().prop_map(|x| e(ExprKind::Neg(x))),
            (arith, boxed.clone(), boxed.clone()).prop_map(|(op, lhs, rhs)| e(ExprKind::Arith {
                op,
                lhs,
                rhs
            })),
            (cmp, boxed.clone(), boxed.clone()).prop_map(|(op, lhs, rhs)| e(ExprKind::Cmp {
                op,
                lhs,
                rhs
            })),
            (
                boxed.clone(),
                any::<bool>(),
                any::<bool>(),
                prop::collection::vec(any::<String>(), 1..3)
            )
                .prop_map(|(expr, regex, negated, patterns)| e(ExprKind::Like {
                    expr,
                    regex,
                    negated,
                    patterns
                })),
            (
                boxed.clone(),
                any::<bool>(),
                prop::collection::vec(inner.clone(), 1..3)
            )
                .prop_map(|(expr, negated, list)| e(ExprKind::In {
                    expr,
                    negated,
                    list
                })),
            (boxed.clone(), any::<bool>())
                .prop_map(|(expr, negated)| e(ExprKind::IsNull { expr, negated })),
            (field_or_cast, literal()).prop_map(|(field, query)| e(ExprKind::Match {
                field: Box::new(field),
                query
            })),
            (boxed.clone(), ident()).prop_map(|(expr, ty)| e(ExprKind::Cast { expr, ty })),
            boxed.prop_map(|x| e(ExprKind::Not(x))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|c| e(ExprKind::And(c))),
            prop::collection::vec(inner, 2..4).prop_map(|c| e(ExprKind::Or(c))),
        ]
    })
}

fn assign() -> impl Strategy<Value = Assign> {
    (prop::option::of(field_name()), expr()).prop_map(|(name, expr)| Assign { name, expr })
}

fn col_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a"),
        Just("host.name"),
        Just("Esql.*"),
        Just("`a b`"),
        Just("*"),
        Just("x_1"),
        Just("`a``b`.c*")
    ]
    .prop_map(str::to_owned)
}

fn source_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("logs-*".to_owned()),
        Just("remote:logs-endpoint.events.*".to_owned()),
        Just("logs::failures".to_owned()),
        Just("<logs-{now/d}>".to_owned()),
        Just("metadata".to_owned()),
        any::<String>(),
    ]
}

fn command() -> impl Strategy<Value = CommandKind> {
    prop_oneof![
        4 => expr().prop_map(CommandKind::Where),
        2 => prop::collection::vec(assign(), 1..3).prop_map(CommandKind::Eval),
        2 => (
            any::<bool>(),
            prop::collection::vec(
                (prop::option::of(field_name()), expr(), prop::option::of(expr()))
                    .prop_map(|(name, expr, filter)| AggField { name, expr, filter }),
                0..3
            ),
            prop::collection::vec(assign(), 0..2)
        )
            .prop_map(|(inline, aggs, by)| CommandKind::Stats(Stats { inline, aggs, by })),
        1 => prop::collection::vec(col_pattern(), 1..3).prop_map(CommandKind::Keep),
        1 => prop::collection::vec(col_pattern(), 1..3).prop_map(CommandKind::Drop),
        1 => prop::collection::vec(
            (col_pattern(), col_pattern()).prop_map(|(from, to)| Rename { from, to }),
            1..3
        )
        .prop_map(CommandKind::Rename),
        1 => prop::collection::vec(
            (expr(), prop::option::of(any::<bool>()), prop::option::of(any::<bool>()))
                .prop_map(|(expr, descending, nulls_first)| Order { expr, descending, nulls_first }),
            1..3
        )
        .prop_map(CommandKind::Sort),
        1 => any::<u64>().prop_map(CommandKind::Limit),
        1 => field_name().prop_map(CommandKind::MvExpand),
        1 => (expr(), any::<String>(), prop::collection::vec((ident(), literal()), 0..2))
            .prop_map(|(input, pattern, options)| CommandKind::Dissect { input, pattern, options }),
        1 => (expr(), prop::collection::vec(any::<String>(), 1..3))
            .prop_map(|(input, patterns)| CommandKind::Grok { input, patterns }),
        1 => (
            prop_oneof![Just("hosts"), Just("_any:hosts"), Just("my-policy")].prop_map(str::to_owned),
            prop::option::of(col_pattern()),
            prop::collection::vec((prop::option::of(col_pattern()), col_pattern()), 0..3)
        )
            .prop_map(|(policy, on, with)| CommandKind::Enrich { policy, on, with }),
        1 => (source_name(), prop::collection::vec(col_pattern(), 1..3))
            .prop_map(|(index, on)| CommandKind::LookupJoin { index, on }),
        1 => (prop::option::of(field_name()), expr(), map())
            .prop_map(|(target, prompt, options)| CommandKind::Completion { target, prompt, options }),
        1 => (0.0_f64..1.0).prop_map(CommandKind::Sample),
    ]
}

fn query() -> impl Strategy<Value = Query> {
    let source = prop_oneof![
        4 => (
            prop::collection::vec(source_name(), 1..3),
            prop::collection::vec(
                prop_oneof![Just("_id"), Just("_index"), Just("_version")].prop_map(str::to_owned),
                0..3
            )
        )
            .prop_map(|(indices, metadata)| Source::From { indices, metadata, loc: Loc::default() }),
        1 => prop::collection::vec(assign(), 1..3)
            .prop_map(|fields| Source::Row { fields, loc: Loc::default() }),
        1 => Just(Source::Show { item: "INFO".into(), loc: Loc::default() }),
    ];
    let commands = prop::collection::vec(
        command().prop_map(|kind| Command {
            kind,
            loc: Loc::default(),
        }),
        0..4,
    );
    (source, commands).prop_map(|(source, commands)| Query { source, commands })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn printed_trees_parse_back(q in query()) {
        let printed = q.to_string();
        let again = parse(&printed);
        prop_assert!(again.is_ok(), "{printed}\n{again:?}");
        let again = again.unwrap();
        prop_assert_eq!(&again, &q, "{}", printed);
        // Printing is stable, and lowering never panics.
        prop_assert_eq!(again.to_string(), printed);
        let _ = lower(&again);
    }

    #[test]
    fn printed_expressions_parse_back(x in expr()) {
        let printed = format!("FROM a | EVAL v = {x}");
        let again = parse(&printed);
        prop_assert!(again.is_ok(), "{printed}\n{again:?}");
        let again = again.unwrap();
        let CommandKind::Eval(items) = &again.commands[0].kind else {
            panic!("an EVAL");
        };
        prop_assert_eq!(&items[0].expr, &x, "{}", printed);
    }
}

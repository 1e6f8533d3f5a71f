//! Hostile ES|QL input: every case ends in `Ok` or `Err` — never a panic or a
//! stack overflow — on a thread with a 2 MiB stack, in reasonable time.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use ruledex_elastic::esql::{lower, parse};

/// Parse, and when that works print and lower too, on a 2 MiB stack.
fn survive(text: String) -> bool {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || match parse(&text) {
            Ok(q) => {
                let printed = q.to_string();
                let _ = lower(&q);
                assert_eq!(
                    parse(&printed).as_ref(),
                    Ok(&q),
                    "round trip of a hostile input"
                );
                true
            }
            Err(e) => {
                assert!(
                    e.span.end as usize <= text.len(),
                    "error span inside the text"
                );
                false
            }
        })
        .expect("spawn")
        .join()
        .expect("no panic")
}

macro_rules! hostile {
    ($($case:ident: $input:expr => $ok:expr;)*) => {$(
        #[test]
        fn $case() {
            let started = Instant::now();
            assert_eq!(survive($input), $ok);
            assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
        }
    )*};
}

const N: usize = 10_000;

hostile! {
    deep_parens: format!("FROM a | WHERE {}x == 1{}", "(".repeat(N), ")".repeat(N)) => false;
    deep_parens_unclosed: format!("FROM a | WHERE {}", "(".repeat(N)) => false;
    deep_not: format!("FROM a | WHERE {}x", "NOT ".repeat(N)) => false;
    deep_negation: format!("FROM a | EVAL x = {}y", "-".repeat(N)) => false;
    deep_calls: format!("FROM a | EVAL x = {}1{}", "F(".repeat(N), ")".repeat(N)) => false;
    deep_in_lists: format!("FROM a | WHERE {}1{}", "x IN (".repeat(N), ")".repeat(N)) => false;
    deep_casts: format!("FROM a | EVAL x = y{}", "::long".repeat(N)) => false;
    nested_arrays: format!("FROM a | EVAL x = {}", "[".repeat(N)) => false;
    long_arithmetic_chain: format!("FROM a | EVAL x = 1{}", " + 1".repeat(N)) => false;
    long_or_chain_is_flat: format!("FROM a | WHERE x == 0{}", " OR x == 1".repeat(N)) => true;
    long_and_chain_is_flat: format!("FROM a | WHERE x == 0{}", " AND NOT y == 1".repeat(N)) => true;
    long_in_list: format!("FROM a | WHERE x IN (0{})", ", \"v\"".repeat(N)) => true;
    many_commands: format!("FROM a{}", " | WHERE x == 1 | EVAL y = TO_LOWER(x)".repeat(N)) => true;
    many_stats: format!("FROM a{}", " | STATS c = COUNT(*) BY h | WHERE c > 1".repeat(1000)) => true;
    deep_regex: format!("FROM a | WHERE x RLIKE \"{}a{}\"", "(".repeat(N), ")".repeat(N)) => true;
    deep_block_comment: format!("FROM a {}x{}", "/*".repeat(N), "*/".repeat(N)) => true;
    unterminated_string: "FROM a | WHERE x == \"abc".to_owned() => false;
    unterminated_triple_string: "FROM a | WHERE x == \"\"\"abc\"\"".to_owned() => false;
    unterminated_comment: "FROM a | WHERE x == 1 /* never closed".to_owned() => false;
    unterminated_backquote: "FROM a | WHERE `abc == 1".to_owned() => false;
    lone_pipe: "|".to_owned() => false;
    only_comment: "// nothing".to_owned() => false;
    nul_bytes: "FROM a | WHERE x == \"\0\" AND \0".to_owned() => false;
    multibyte_everywhere: "FROM ünïcødé | WHERE `ä` == \"ö\" AND 𝔵 == 1".to_owned() => false;
    huge_string: format!("FROM a | WHERE x == \"{}\"", "a".repeat(1 << 20)) => true;
    huge_like_list: format!("FROM a | WHERE x LIKE (\"*a*\"{})", ", \"b*\"".repeat(N)) => true;
    huge_case: format!("FROM a | EVAL c = CASE({}0) | WHERE c == 1", "x == 1, 1, ".repeat(N)) => true;
    huge_coalesce: format!("FROM a | EVAL c = COALESCE(a{}) | WHERE c == 1", ", b".repeat(N)) => true;
    coalesce_chain: {
        let mut q = String::from("FROM a | EVAL c0 = x");
        for i in 1..N {
            let _ = write!(q, " | EVAL c{i} = COALESCE(c{j}, y{i})", j = i - 1);
        }
        q.push_str(" | WHERE c9999 == 1 AND c9999 IS NOT NULL");
        q
    } => true;
    coalesce_of_case_chain: {
        let mut q = String::from("FROM a | EVAL c0 = CASE(x == 1, y, NULL)");
        for i in 1..N {
            let _ = write!(q, " | EVAL c{i} = COALESCE(c{j}, CASE(z == {i}, w, NULL))", j = i - 1);
        }
        q.push_str(" | WHERE c9999 IS NULL");
        q
    } => true;
    many_thresholds_on_a_large_filtered_count: format!(
        "FROM a | STATS c = COUNT(*) WHERE x == 0{} BY h | WHERE c > 1{}",
        " OR x == 1".repeat(5000),
        " AND c > 1".repeat(5000)
    ) => true;
    many_metrics_in_one_having: {
        let aggs: Vec<String> = (0..N).map(|i| format!("m{i} = COUNT_DISTINCT(f{i})")).collect();
        let conds: Vec<String> = (0..N).map(|i| format!("m{i} > {i}")).collect();
        format!("FROM a | STATS {} BY h | WHERE {}", aggs.join(", "), conds.join(" OR "))
    } => true;
    huge_case_over_metrics: format!(
        "FROM a | STATS c = COUNT(*) BY h | EVAL t = CASE({}\"z\") | WHERE t == \"z\"",
        "c > 1, \"a\", ".repeat(N)
    ) => true;
    case_over_metrics_doubling_chain: {
        let mut q = String::from("FROM a | STATS c = COUNT(*), u = COUNT_DISTINCT(x) BY h | EVAL t0 = CASE(c > 1 OR u > 2, 1, 0)");
        for i in 1..200 {
            let _ = write!(q, " | EVAL t{i} = CASE(t{j} == 1 AND (t{j} == 1 OR c > {i}), 1, 0)", j = i - 1);
        }
        q.push_str(" | WHERE t199 == 1");
        q
    } => true;
    many_concatenated_values_patterns: format!(
        "FROM a | STATS v = VALUES(x) BY h | EVAL s = MV_CONCAT(v, \",\") | WHERE s LIKE (\"*a*\"{})",
        ", \"*b*\"".repeat(N)
    ) => true;
    eval_doubling_chain: {
        let mut q = String::from("FROM a | EVAL c0 = x == 1 OR y == 2");
        for i in 1..200 {
            let _ = write!(q, " | EVAL c{i} = c{j} AND (c{j} OR z == {i})", j = i - 1);
        }
        q.push_str(" | WHERE c199");
        q
    } => true;
}

#[test]
fn a_large_valid_query_parses_in_linear_time() {
    let unit = "| WHERE process.name LIKE \"*x*\" AND NOT user.id IN (\"0\", \"1\") \
                | EVAL n = TO_LOWER(process.name) | WHERE n RLIKE \".*(a|b).*\"\n";
    let small = format!("FROM a\n{}", unit.repeat(500));
    let large = format!("FROM a\n{}", unit.repeat(5000));
    let time = |q: &str| {
        let started = Instant::now();
        let parsed = parse(q).expect("valid");
        let _ = lower(&parsed);
        started.elapsed()
    };
    let (ts, tl) = (time(&small), time(&large));
    // Ten times the input should take nowhere near a hundred times as long.
    assert!(
        tl < ts * 40 + Duration::from_millis(200),
        "{ts:?} vs {tl:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        survive(text);
    }

    #[test]
    fn token_soup(words in prop::collection::vec(prop_oneof![
        Just("FROM"), Just("a"), Just("|"), Just("WHERE"), Just("EVAL"), Just("STATS"), Just("BY"),
        Just("("), Just(")"), Just("NOT"), Just("AND"), Just("OR"), Just("=="), Just("="), Just(","),
        Just("x"), Just("\"s\""), Just("1"), Just("-"), Just("*"), Just("LIKE"), Just("RLIKE"),
        Just("IN"), Just("IS"), Just("NULL"), Just("::"), Just(":"), Just("COUNT"), Just("CASE"),
        Just("["), Just("]"), Just("{"), Just("}"), Just("KEEP"), Just("Esql.*"), Just("`q`"),
        Just("\"\"\""), Just("/*"), Just("*/"), Just("//"), Just("\n"), Just("1 hour"),
        Just("INLINE"), Just("LOOKUP"), Just("JOIN"), Just("ON"), Just("WITH"), Just("?x"),
    ], 0..60)) {
        survive(format!("FROM a | {}", words.join(" ")));
        survive(words.join(" "));
    }
}

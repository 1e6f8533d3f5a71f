//! Hostile inputs: the EQL parser, lowering and printer must return — a tree
//! or a typed error — and never panic, hang or overflow the stack.
//!
//! Each input runs on a thread with a 2 MiB stack, the size of Rust's spawned
//! threads, so that the outcome does not depend on the main thread's larger
//! stack. A panic fails the test with its message; a stack overflow aborts
//! the test binary, which fails the run.

use std::thread;
use std::time::{Duration, Instant};

use ruledex_elastic::eql;

/// Stack of the thread the parser runs on.
const STACK: usize = 2 << 20;

/// What happened to one input.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Parsed; the printed form parsed back to an equal tree.
    Parsed,
    /// Refused with this error code.
    Refused(&'static str),
}

/// Parse, lower, print and re-parse `text` on a small stack.
fn run(text: String) -> Outcome {
    thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || match eql::parse(&text) {
            Ok(q) => {
                let _ = eql::lower(&q);
                let printed = q.to_string();
                let back = eql::parse(&printed)
                    .unwrap_or_else(|e| panic!("printed form does not parse: {e}\n{printed}"));
                assert!(back == q, "printed form parses to another tree:\n{printed}");
                drop(q);
                Outcome::Parsed
            }
            Err(e) => {
                assert!(
                    e.span.end as usize <= text.len() && e.span.start <= e.span.end,
                    "error span {:?} outside the input",
                    e.span
                );
                Outcome::Refused(e.kind.code())
            }
        })
        .expect("spawn parser thread")
        .join()
        .unwrap_or_else(|panic| {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            panic!("EQL parser panicked: {msg}")
        })
}

macro_rules! hostile {
    ($($name:ident: $input:expr => $want:expr;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(run($input), $want);
        }
    )*};
}

const DEEP: usize = 10_000;

hostile! {
    deep_parentheses: format!("any where {}a{}", "(".repeat(DEEP), ")".repeat(DEEP)) => Outcome::Refused("query-too-deep");
    deep_open_parentheses: format!("any where {}", "(".repeat(DEEP)) => Outcome::Refused("query-too-deep");
    deep_not: format!("any where {}a", "not ".repeat(DEEP)) => Outcome::Refused("query-too-deep");
    deep_unary_minus: format!("any where a == {}1", "-".repeat(DEEP)) => Outcome::Refused("query-too-deep");
    deep_unary_minus_field: format!("any where a == {}b", "- ".repeat(DEEP)) => Outcome::Refused("query-too-deep");
    deep_calls: format!("any where {}a{}", "f(".repeat(DEEP), ")".repeat(DEEP)) => Outcome::Refused("query-too-deep");
    deep_lists: format!("any where a in {}1{}", "(".repeat(DEEP), ")".repeat(DEEP)) => Outcome::Refused("query-too-deep");
    long_arithmetic_chain: format!("any where a == {}", vec!["1"; DEEP].join(" + ")) => Outcome::Refused("query-too-deep");
    long_product_chain: format!("any where a == {}", vec!["2"; DEEP].join(" * ")) => Outcome::Refused("query-too-deep");
    deep_nested_comments: format!("any where a {}{} == 1", "/*".repeat(DEEP), "*/".repeat(DEEP)) => Outcome::Parsed;
    unterminated_nested_comment: format!("any where a {}", "/*".repeat(DEEP)) => Outcome::Refused("query-unterminated");
    long_or_chain: format!("any where {}", vec!["a == 1"; 100_000].join(" or ")) => Outcome::Parsed;
    long_and_not_chain: format!("any where {}", vec!["not a : \"x*\""; 100_000].join(" and ")) => Outcome::Parsed;
    long_value_list: format!("any where a : ({})", vec!["\"*x*\""; 100_000].join(", ")) => Outcome::Parsed;
    many_sequence_terms: format!("sequence {}", "[any where a == 1] ".repeat(1000)) => Outcome::Parsed;
    runs_expansion_is_bounded: format!("sequence {}", "[any where a] with runs=100 ".repeat(10_000)) => Outcome::Refused("query-unsupported");
    many_pipes: format!("any where a {}", "| head 1 ".repeat(10_000)) => Outcome::Parsed;
    unterminated_string: "any where a == \"abc".to_owned() => Outcome::Refused("query-unterminated");
    unterminated_raw_string: "any where a == \"\"\"abc\"\"".to_owned() => Outcome::Refused("query-unterminated");
    unterminated_question_string: "any where a == ?\"abc".to_owned() => Outcome::Refused("query-unterminated");
    unterminated_backtick: "any where `abc == 1".to_owned() => Outcome::Refused("query-unterminated");
    unterminated_unicode_escape: "any where a == \"\\u{41".to_owned() => Outcome::Refused("query-invalid-literal");
    escape_at_end: "any where a == \"\\".to_owned() => Outcome::Refused("query-unterminated");
    lone_question_mark: "any where ?".to_owned() => Outcome::Refused("query-syntax");
    lone_bang: "sequence !".to_owned() => Outcome::Refused("query-syntax");
    empty_list: "any where a in ()".to_owned() => Outcome::Refused("query-syntax");
    empty_brackets: "sequence []".to_owned() => Outcome::Refused("query-syntax");
    nul_bytes: "any where a == 1\0".to_owned() => Outcome::Refused("query-syntax");
    multibyte_everywhere: "any where ä == \"ö\"".to_owned() => Outcome::Refused("query-syntax");
    multibyte_in_string: "any where a == \"ö→𝄞\"".to_owned() => Outcome::Parsed;
    control_chars_in_raw_string: "any where a == \"\"\"\u{1}\u{7f}\n\"\"\"".to_owned() => Outcome::Parsed;
    huge_number: format!("any where a == {}", "9".repeat(10_000)) => Outcome::Refused("query-invalid-literal");
    huge_exponent: "any where a == 1e99999".to_owned() => Outcome::Refused("query-invalid-literal");
    runs_zero: "sequence [any where a] with runs=0".to_owned() => Outcome::Refused("query-invalid-literal");
    negative_maxspan: "sequence with maxspan=-5m [any where a]".to_owned() => Outcome::Refused("query-syntax");
}

/// Deterministic pseudo-random bytes (xorshift64*), so failures reproduce.
fn garbage(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

#[test]
fn random_bytes_never_panic() {
    const EQL_BYTES: &[u8] = b"()[],|:=!<>~?`\"'/*+-%.@ \n\tanyprocesswherebynotandorinlikeregexsequencesampleuntilwithmaxspanruns0123456789\\";
    for seed in 1..=200_u64 {
        let len = 1 << (seed % 12 + 2);
        let raw = String::from_utf8_lossy(&garbage(seed, len)).into_owned();
        run(raw);
        let biased: Vec<u8> = garbage(seed * 7919, len)
            .into_iter()
            .map(|b| EQL_BYTES[usize::from(b) % EQL_BYTES.len()])
            .collect();
        run(String::from_utf8_lossy(&biased).into_owned());
        let mut tail =
            String::from("sequence by a [process where b : (\"x*\", 1) and not c in~ (\"y\")] ");
        tail.push_str(&String::from_utf8_lossy(&garbage(seed * 31, 64)));
        run(tail);
    }
}

/// Every prefix of a rich query is either a query or an error, never a panic.
#[test]
fn every_prefix_of_a_query_is_handled() {
    let query = r#"sequence by host.id, `user-name` with maxspan=5m
  [process where ?process.name : ("a*", "*b") and not startsWith~(x, "y") and length(z) > -1.5e3] by p with runs=2
  ![file where f regex """.*\.(exe|dll)""" /* c */ and g not in (1, null)] // t
until [any where h == 'q\u{41}'] | filter i != j | head 5"#;
    for end in (0..=query.len()).filter(|&i| query.is_char_boundary(i)) {
        run(query[..end].to_owned());
    }
}

#[test]
fn large_input_is_parsed_in_linear_time() {
    let unit = r#"(process.name : ("a.exe", "*b*") and not process.args in ("c", "d")) or "#;
    let time = |n: usize| {
        let text = format!("process where {}x == 1", unit.repeat(n));
        let start = Instant::now();
        assert_eq!(run(text), Outcome::Parsed);
        start.elapsed()
    };
    let small = time(5_000);
    let large = time(40_000);
    // 8× the input; allow generous slack for noise, but not quadratic growth (64×).
    assert!(
        large < small * 24 + Duration::from_millis(200),
        "5k units took {small:?}, 40k took {large:?}"
    );
}

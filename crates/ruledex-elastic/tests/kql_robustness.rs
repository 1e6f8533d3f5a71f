//! Hostile inputs: `kql::parse_and_lower` must return `Ok` or a typed error,
//! and never panic, hang or overflow the stack.
//!
//! Each input runs on a thread with a 2 MiB stack, the size of Rust's spawned
//! threads, so the outcome does not depend on the main thread's larger stack.
//! A panic fails the test with its message; a stack overflow aborts the test
//! binary, which fails the run.

use std::thread;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use ruledex_elastic::kql;
use ruledex_elastic::{Lowered, QueryError};

const STACK: usize = 2 << 20;

/// Parse and lower `text` (and print the tree back) on a small stack; the
/// outcome, or a panic with its message.
fn run(text: String) -> Result<Lowered, QueryError> {
    thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let q = kql::parse(&text)?;
            let printed = q.to_string();
            assert!(!printed.is_empty());
            Ok(kql::lower(&q))
        })
        .expect("spawn parser thread")
        .join()
        .unwrap_or_else(|panic| {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            panic!("kql panicked: {msg}")
        })
}

fn code(r: &Result<Lowered, QueryError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.kind.code(),
    }
}

/// Run `text`, check the outcome code, and that it took less than `limit`.
fn check(name: &str, text: String, want: &str) {
    let started = Instant::now();
    let got = run(text);
    let took = started.elapsed();
    assert_eq!(code(&got), want, "{name}: {:?}", got.err());
    assert!(
        took < Duration::from_secs(10),
        "{name}: took {took:?}, expected linear time"
    );
}

macro_rules! hostile {
    ($($name:ident: $input:expr => $code:expr;)*) => {$(
        #[test]
        fn $name() {
            check(stringify!($name), $input, $code);
        }
    )*};
}

const DEEP: usize = 10_000;

hostile! {
    deep_parens: format!("{}a:1{}", "(".repeat(DEEP), ")".repeat(DEEP)) => "query-too-deep";
    deep_open_parens: "(".repeat(DEEP) => "query-too-deep";
    deep_value_lists: format!("a:{}x{}", "(".repeat(DEEP), ")".repeat(DEEP)) => "query-too-deep";
    deep_nested: format!("{}x:1{}", "a:{".repeat(DEEP), "}".repeat(DEEP)) => "query-too-deep";
    many_nots: format!("{}a:1", "not ".repeat(DEEP)) => "query-too-deep";
    many_value_nots: format!("a:{}x", "not ".repeat(DEEP)) => "query-too-deep";
    unterminated_string: format!("a:\"{}", "x".repeat(100_000)) => "query-unterminated";
    unterminated_escape_at_end: "a:\"\\".to_string() => "query-unterminated";
    backslash_at_end: "a:x\\".to_string() => "query-invalid-literal";
    lone_quote: "\"".to_string() => "query-unterminated";
    // As in Kibana, `and` and `not` where a value is expected are values.
    keywords_as_values: "and or not".to_string() => "ok";
    dangling_not: "not ".to_string() => "query-syntax";
    long_or_chain: vec!["process.name:x"; 200_000].join(" or ") => "ok";
    long_value_list: format!("a:({})", vec!["x*"; 200_000].join(" or ")) => "ok";
    long_and_in_list: format!("a:({})", vec!["\"x\""; 100_000].join(" and ")) => "ok";
    long_literal_with_spaces: format!("a:{}", "w ".repeat(500_000)) => "ok";
    long_whitespace: format!("a:x{}and b:y", " ".repeat(1_000_000)) => "ok";
    long_escapes: format!("a:{}", "\\:".repeat(500_000)) => "ok";
    many_wildcards: format!("a:{}", "*x".repeat(500_000)) => "ok";
    long_error_token: format!("a:(1) {}", "z".repeat(1_000_000)) => "query-syntax";
    nul_and_controls: "a:\u{0}\u{1}\u{7f} or b:\u{200b}".to_string() => "ok";
    invalid_unicode_escape: "a:\\ud800".to_string() => "query-invalid-literal";
}

#[test]
fn deep_nesting_error_points_into_the_text() {
    let text = format!("{}a:1{}", "(".repeat(DEEP), ")".repeat(DEEP));
    let err = run(text.clone()).expect_err("too deep");
    assert!(err.span.slice(&text).is_some());
    assert_eq!(err.span.start as usize, kql::MAX_DEPTH);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random bytes, read as UTF-8 with replacement characters.
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let _ = run(text);
    }

    /// Errors carry a span inside the text.
    #[test]
    fn error_spans_are_in_range(s in "[a-z:()\"\\\\*{}<>= \n]{0,64}") {
        if let Err(e) = kql::parse(&s) {
            prop_assert!((e.span.end as usize) <= s.len(), "{:?}: {:?}", s, e);
            prop_assert!(e.span.slice(&s).is_some());
        }
    }
}

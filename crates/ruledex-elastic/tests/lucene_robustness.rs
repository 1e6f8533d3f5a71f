//! Hostile inputs: parsing, printing and lowering must answer — an AST or a
//! typed error — and never panic, hang or overflow the stack.
//!
//! Each input runs on a thread with a 2 MiB stack, the size of Rust's spawned
//! threads, so that the outcome does not depend on the main thread's larger
//! stack. A stack overflow aborts the test binary, which fails the run.

use std::fmt::Write as _;
use std::thread;
use std::time::{Duration, Instant};

use ruledex_elastic::QueryErrorKind;
use ruledex_elastic::lucene::{self, MAX_DEPTH};

const STACK: usize = 2 << 20;

/// What happened to one input: the error code, or `ok` with the printed
/// length of the lowered expression.
fn run(text: String) -> Result<usize, QueryErrorKind> {
    thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let q = lucene::parse(&text).map_err(|e| e.kind)?;
            let printed = q.to_string();
            let again = lucene::parse(&printed).expect("printed query parses");
            assert_eq!(again, q);
            let lowered = lucene::lower(&q);
            let _ = lucene::pitfalls(&q);
            Ok(lowered.expr.to_string().len())
        })
        .expect("spawn")
        .join()
        .unwrap_or_else(|panic| {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            panic!("panicked: {msg}")
        })
}

fn is_ok(text: String) {
    if let Err(e) = run(text) {
        panic!("expected an AST, got {e}");
    }
}

fn is_err(text: String, code: &str) {
    match run(text) {
        Ok(_) => panic!("expected {code}, got an AST"),
        Err(e) => assert_eq!(e.code(), code, "{e}"),
    }
}

macro_rules! hostile {
    ($($name:ident: $input:expr => $check:ident $(($code:expr))?;)*) => {$(
        #[test]
        fn $name() {
            $check($input $(, $code)?);
        }
    )*};
}

hostile! {
    ten_thousand_parens: format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000)) => is_err("query-too-deep");
    ten_thousand_open_parens: "(".repeat(10_000) => is_err("query-too-deep");
    ten_thousand_field_groups: "f:(".repeat(10_000) => is_err("query-too-deep");
    nesting_at_the_limit: format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH)) => is_ok;
    nesting_past_the_limit: format!("{}a{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1)) => is_err("query-too-deep");
    unterminated_phrase: "f:\"abc".to_owned() => is_err("query-unterminated");
    unterminated_phrase_ending_in_escape: "f:\"abc\\".to_owned() => is_err("query-unterminated");
    unterminated_regex: "f:/abc".to_owned() => is_err("query-unterminated");
    unterminated_range: "f:[1 TO ".to_owned() => is_err("query-unterminated");
    many_quotes: "\"".repeat(10_001) => is_err("query-unterminated");
    many_slashes: "/".repeat(10_001) => is_err("query-unterminated");
    trailing_escape: "abc\\".to_owned() => is_err("query-invalid-literal");
    many_nots: "NOT ".repeat(10_000) + "a" => is_err("query-syntax");
    many_minuses: "-".repeat(10_000) + "a" => is_err("query-syntax");
    many_ands: "a".to_owned() + &" AND".repeat(10_000) => is_err("query-syntax");
    only_operators: "&& || ! + - ~ ^".to_owned() => is_err("query-syntax");
    closing_brackets: "]}".to_owned() => is_err("query-syntax");
    nul_and_controls: "a\u{0}b:\u{1}\u{7f}".to_owned() => is_ok;
    deep_regex_groups: format!("f:/{}a{}/", "(".repeat(10_000), ")".repeat(10_000)) => is_ok;
    unbalanced_regex_groups: format!("f:/{}/", "(".repeat(10_000)) => is_ok;
    huge_regex_repetition: "f:/a{999999999999}/".to_owned() => is_ok;
    huge_boost: format!("a^{}", "9".repeat(100)) => is_err("query-invalid-literal");
    huge_slop: format!("a~{}", "9".repeat(100_000)) => is_ok;
    huge_term: "x".repeat(1 << 20) => is_ok;
    huge_phrase: format!("\"{}\"", "a b ".repeat(1 << 18)) => is_ok;
    huge_run_of_terms: "ab ".repeat(1 << 17) => is_ok;
    huge_escapes: "\\u0041".repeat(1 << 16) => is_ok;
}

#[test]
fn a_megabyte_of_alternatives_is_quick() {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 1 << 20 {
        // Distinct fields so that nothing merges, and some that do.
        let _ = write!(text, "f{i}:v{i} OR g:x{i} OR ");
        i += 1;
    }
    text.push_str("last");
    let started = Instant::now();
    let len = run(text).expect("parses");
    assert!(len > 0);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn random_bytes_never_panic() {
    // A fixed xorshift stream: reproducible without a dependency.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..2_000 {
        let len = (next() % 200) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| (next() % 256) as u8).collect();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let _ = run(text);
    }
    // Bytes drawn from the syntax's own characters reach deeper.
    let alphabet = b"ab:*?()[]{}\"\\/~^+-!&|<>= TOANDORNT_e.0123456789";
    for _ in 0..20_000 {
        let len = (next() % 40) as usize;
        let text: String = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize] as char)
            .collect();
        let _ = run(text);
    }
}

//! Inputs the cargo-fuzz targets (`fuzz/`) found, minimized, one named test
//! each. A query case states what `parse` must return and, when it parses,
//! that its printed form parses again and prints the same text.
//!
//! Cases still open are `#[ignore]`d with the bug they show, so that the
//! suite stays green until the parser is fixed: `cargo test --test
//! fuzz_regressions -- --include-ignored` runs them.

use std::fmt;

use ruledex_elastic::{QueryError, eql, esql};

/// Parse `text` with `parse` (which must succeed), print it, and check that
/// the printed text parses back and prints the same.
fn round_trips<Q: fmt::Display>(parse: fn(&str) -> Result<Q, QueryError>, text: &str) {
    let printed = match parse(text) {
        Ok(query) => query.to_string(),
        Err(err) => panic!("{text:?} does not parse: {err}"),
    };
    let reprinted = match parse(&printed) {
        Ok(query) => query.to_string(),
        Err(err) => panic!("printed {printed:?} (from {text:?}) does not parse: {err}"),
    };
    assert_eq!(printed, reprinted, "printing {text:?} is not stable");
}

// 33 unary minuses cost 33 of the 64 nesting levels, but the printer writes
// `-(-(…-i…))`, and each of its parentheses costs one more: the printed query
// nests 65 deep and is rejected (`TooDeep`). Found by the `eql` target.
#[test]
fn eql_unary_minus_chain_round_trips() {
    round_trips(eql::parse, "y where ---------------------------------i");
}

// 32 unary minuses print to 64 levels, the most the parser accepts.
#[test]
fn eql_unary_minus_chain_at_half_depth_round_trips() {
    round_trips(eql::parse, "y where --------------------------------i");
}

// A quoted index name that is a form feed prints bare (`FROM \u{c}`): the
// printer's `is_bare_source` does not count U+000C as white space, but the
// lexer's `skip_trivia` (`is_ascii_whitespace`) skips it, so the printed query
// has no index pattern. Found by the `esql` target.
#[test]
fn esql_form_feed_index_name_round_trips() {
    round_trips(esql::parse, "from\"\"\"\u{c}\"\"\"");
}

// The fuzzer's original input: `"\u{c}\0"` prints bare and reads back as `\0`.
#[test]
fn esql_form_feed_then_nul_index_name_round_trips() {
    round_trips(esql::parse, "from\"\"\"\u{c}\0\"\"\"");
}

// A quoted index name with an ordinary space is quoted when printed.
#[test]
fn esql_space_index_name_round_trips() {
    round_trips(esql::parse, "from \" a\"");
}

//! SPL: `parse` and `lower` never panic, and whatever parses prints to text
//! that parses to an equal tree and prints the same (printing is a fixed point).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ruledex_splunk::{Context, spl};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(query) = spl::parse(text) else {
        return;
    };
    let _ = spl::lower(&query, &Context::new());
    let printed = query.to_string();
    let reparsed = match spl::parse(&printed) {
        Ok(reparsed) => reparsed,
        Err(err) => panic!(
            "round trip: the printed search does not parse\ninput:   {text:?}\nprinted: {printed:?}\nerror:   {err}"
        ),
    };
    assert!(
        reparsed == query,
        "round trip: the printed search parses differently\ninput:   {text:?}\nprinted: {printed:?}"
    );
    let reprinted = reparsed.to_string();
    assert!(
        printed == reprinted,
        "round trip: printing is not stable\ninput:     {text:?}\nprinted:   {printed:?}\nreprinted: {reprinted:?}"
    );
});

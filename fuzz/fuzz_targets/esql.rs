//! ES|QL: `parse_and_lower` never panics, and whatever parses prints to text
//! that parses again and prints the same (printing is a fixed point).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ruledex_elastic::esql;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = esql::parse_and_lower(text);
    let Ok(query) = esql::parse(text) else {
        return;
    };
    let printed = query.to_string();
    let reparsed = match esql::parse(&printed) {
        Ok(reparsed) => reparsed,
        Err(err) => panic!(
            "round trip: the printed query does not parse\ninput:   {text:?}\nprinted: {printed:?}\nerror:   {err}"
        ),
    };
    let reprinted = reparsed.to_string();
    assert!(
        printed == reprinted,
        "round trip: printing is not stable\ninput:     {text:?}\nprinted:   {printed:?}\nreprinted: {reprinted:?}"
    );
});

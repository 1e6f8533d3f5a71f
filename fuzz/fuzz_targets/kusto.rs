//! Kusto: `parse` + `lower` never panic, and whatever parses prints to text
//! that parses again and prints the same (printing is a fixed point).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ruledex_sentinel::kusto;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(query) = kusto::parse(text) else {
        return;
    };
    let _ = kusto::lower(&query);
    let printed = query.to_string();
    let reparsed = match kusto::parse(&printed) {
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

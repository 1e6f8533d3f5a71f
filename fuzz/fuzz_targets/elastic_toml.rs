//! Elastic TOML rule files: `parse_elastic` never panics, whatever the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = ruledex_elastic::parse_elastic("fuzz.toml", text);
});

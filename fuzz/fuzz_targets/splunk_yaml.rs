//! Splunk detection files: `parse_splunk` never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = ruledex_splunk::parse_splunk("fuzz.yml", text);
});

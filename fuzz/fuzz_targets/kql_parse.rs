//! The KQL lexer and parser on arbitrary text: an error with a position, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(d) = quarry_kql::parser::parse(text) {
            assert!(d.span.start <= d.span.end && d.span.end <= text.len());
        }
    }
});

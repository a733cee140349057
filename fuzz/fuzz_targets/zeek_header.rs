//! The `#` header of a Zeek TSV log: a header or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quarry_formats::zeek::{duck_type, parse_header};

fuzz_target!(|data: &[u8]| {
    // The loader reads the head of the file lossily.
    let text = String::from_utf8_lossy(data);
    if let Ok(h) = parse_header(&text) {
        // True by construction: a header has fields, one type each, and at least the
        // `#fields` line.
        assert!(!h.fields.is_empty());
        assert_eq!(h.types.len(), h.fields.len());
        assert!(h.header_lines >= 1);
        for t in &h.types {
            let _ = duck_type(t);
        }
    }
});

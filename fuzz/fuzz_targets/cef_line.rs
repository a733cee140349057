//! One CEF line (syslog prefix, header, extension) and every extension value as a CEF time:
//! an event or a reason, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quarry_formats::cef::{cef_time, parse_extension, parse_line};

fuzz_target!(|data: &[u8]| {
    // The loader reads lines lossily, so any bytes can reach the parser as text.
    let text = String::from_utf8_lossy(data);
    let line = text.trim_end_matches(['\n', '\r']);
    if let Ok(event) = parse_line(line, 2025) {
        // Version plus six fields, each ended by a pipe: true by construction.
        assert_eq!(event.header.len(), 6);
        for (key, value) in &event.ext {
            assert!(!key.is_empty());
            let _ = cef_time(value);
        }
        if let Some(t) = &event.syslog_time {
            let _ = cef_time(t);
        }
    }
    // The extension parser on the whole text, header or not.
    for (_, value) in parse_extension(line) {
        let _ = cef_time(&value);
    }
});

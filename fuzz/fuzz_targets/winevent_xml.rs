//! A Windows event XML document: events or a malformed-XML error, never a panic; every event
//! is also rendered the way the loader stores it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quarry_formats::winevent::{event_data_xml, normalise_time, parse_events, MalformedXml};

fuzz_target!(|data: &[u8]| {
    let mut seen = 0u64;
    let result = parse_events(data, |ev| {
        seen += 1;
        let time = normalise_time(&ev.time);
        let _ = event_data_xml(&ev, &time, "health");
        Ok::<(), MalformedXml>(())
    });
    // The count is the number of events handed over: true by construction.
    if let Ok(n) = result {
        assert_eq!(n, seen);
    }
});

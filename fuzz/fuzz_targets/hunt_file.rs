//! A hunt file: the first byte picks the form (even: Sentinel YAML, odd: plain `.kql`), the
//! rest is the file. A hunt or a broken-hunt error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quarry_formats::hunt::{parse_kql, parse_yaml};

fuzz_target!(|data: &[u8]| {
    let Some((&form, rest)) = data.split_first() else {
        return;
    };
    // The library reads hunt files as UTF-8 text.
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let parsed = if form % 2 == 0 {
        parse_yaml("fuzz.yaml", text)
    } else {
        parse_kql("fuzz.kql", "fuzz", text).inspect(|h| {
            // A `.kql` hunt is the file as it is: true by construction.
            assert_eq!(h.query, text);
            assert_eq!(h.id, "fuzz");
        })
    };
    if let Err(e) = parsed {
        let _ = e.to_string();
    }
});

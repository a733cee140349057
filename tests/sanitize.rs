//! Escape payloads from hostile logs arrive inert; ordinary text passes unchanged.

use std::borrow::Cow;

use quarry::sanitize::for_terminal;

const PAYLOADS: &[&str] = &[
    "\u{1b}]0;pwned title\u{7}",
    "\u{1b}]52;c;Y3VybCBldmlsLnNoIHwgc2g=\u{7}",
    "\u{1b}]8;;http://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\",
    "\u{1b}[2J\u{1b}[H\u{1b}[31mred",
    "\u{9b}2J 8-bit CSI",
    "\u{9d}0;title\u{9c} 8-bit OSC",
    "\u{1b}P+q544e\u{1b}\\ DCS query",
    "admin\u{202e}fdp.exe",
    "a\u{2066}b\u{2069}c\u{200b}d\u{feff}",
    "bell\u{7} backspace\u{8} nul\u{0} del\u{7f} cr\r lf\n tab\t",
    "\u{1b}",
    "\u{1b}[",
];

fn is_dangerous(c: char) -> bool {
    (c as u32) < 0x20
        || ('\u{7f}'..='\u{9f}').contains(&c)
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
        || ('\u{200b}'..='\u{200f}').contains(&c)
        || c == '\u{feff}'
}

#[test]
fn escape_payloads_arrive_inert() {
    for payload in PAYLOADS {
        let clean = for_terminal(payload);
        assert!(
            !clean.chars().any(is_dangerous),
            "{payload:?} became {clean:?}"
        );
    }
}

#[test]
fn sequences_are_removed_whole_and_shown() {
    assert_eq!(for_terminal("\u{1b}[31mred\u{1b}[0m"), "␛red␛");
    assert_eq!(for_terminal("x\u{1b}]52;c;AAAA\u{7}y"), "x␛y");
    assert_eq!(
        for_terminal("admin\u{202e}fdp.exe"),
        "admin\\u{202e}fdp.exe"
    );
    assert_eq!(for_terminal("a\tb"), "a\\u{9}b");
}

#[test]
fn ordinary_text_is_borrowed_unchanged() {
    for text in [
        "plain ascii",
        "日本語のログ",
        "emoji 🦀🔥",
        "café naïve",
        "Ünïcödé — “quotes”",
    ] {
        assert!(matches!(for_terminal(text), Cow::Borrowed(t) if t == text));
    }
}

#[test]
fn json_stays_valid_and_means_the_same_but_carries_no_raw_control() {
    use quarry::sanitize::json_for_terminal;
    for payload in PAYLOADS {
        let json = serde_json::to_string(&serde_json::json!({ "v": payload })).unwrap();
        let safe = json_for_terminal(&json);
        assert!(!safe.chars().any(is_dangerous), "{safe:?}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["v"], *payload);
    }
    assert!(matches!(
        json_for_terminal("{\"a\":\"plain\"}"),
        Cow::Borrowed(_)
    ));
}

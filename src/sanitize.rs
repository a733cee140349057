//! Terminal-safe text: every string from logs or hunt files passes through here before
//! it reaches a terminal, so log data cannot move the cursor, set the title, write the
//! clipboard (OSC 52), plant hyperlinks (OSC 8) or reorder text with bidi controls.
//!
//! Escape sequences (ESC or the 8-bit CSI/OSC/DCS introducers up to their terminator)
//! are replaced by one visible `␛` each; any other control, bidi or invisible format
//! character becomes its `\u{..}` escape, so an analyst sees that it was there.

use std::borrow::Cow;

/// True for characters that must never reach a terminal as they are.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}'   // zero-width space/joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}'              // zero-width no-break space / BOM
        )
}

/// What ends a string-type sequence (OSC, DCS, APC, PM, SOS): BEL, ST (ESC \) or 8-bit ST.
fn skip_string_sequence(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9C}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

/// Skips the parameters and final byte of a CSI sequence.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(&c) = chars.peek() {
        chars.next();
        if ('\u{40}'..='\u{7E}').contains(&c) {
            return;
        }
        if !('\u{20}'..='\u{3F}').contains(&c) {
            return;
        }
    }
}

/// Makes serialised JSON inert for a terminal while keeping it valid JSON with the same
/// values: serde escapes C0 controls, and this escapes what it leaves raw (DEL, C1 controls
/// such as the 8-bit CSI, bidi and invisible format characters) as `\uXXXX`. Such characters
/// only occur inside JSON strings, where the escape means the same character.
pub fn json_for_terminal(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_unsafe) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) && !matches!(c, '\n' | '\r' | '\t') {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Makes `s` inert for a terminal; borrows when nothing needs changing.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                out.push('␛');
                match chars.peek() {
                    Some('[') => {
                        chars.next();
                        skip_csi(&mut chars);
                    }
                    Some(']' | 'P' | '_' | '^' | 'X') => {
                        chars.next();
                        skip_string_sequence(&mut chars);
                    }
                    Some(_) => {
                        chars.next();
                    }
                    None => {}
                }
            }
            '\u{9B}' => {
                out.push('␛');
                skip_csi(&mut chars);
            }
            '\u{9D}' | '\u{90}' | '\u{9F}' | '\u{9E}' | '\u{98}' => {
                out.push('␛');
                skip_string_sequence(&mut chars);
            }
            c if is_unsafe(c) => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

//! Terminal-safe text: every string from logs or hunt files passes through here before
//! it reaches a terminal.

use std::borrow::Cow;

/// Replaces control characters so that `s` cannot drive the terminal.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
            .collect(),
    )
}

//! Backslash escapes of CEF header fields and extension values.

use std::borrow::Cow;

/// Decodes each `\c` for which `decode(c)` gives a character; any other backslash (and a
/// trailing one) stays as it is.
pub(super) fn unescape(s: &str, decode: fn(char) -> Option<char>) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(n) => match decode(n) {
                Some(d) => out.push(d),
                None => {
                    out.push('\\');
                    out.push(n);
                }
            },
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// A header field: `\|` and `\\`.
pub(super) fn header(s: &str) -> Cow<'_, str> {
    unescape(s, |c| matches!(c, '|' | '\\').then_some(c))
}

/// An extension value: `\=`, `\\`, `\|`, `\n` and `\r`.
pub(super) fn value(s: &str) -> Cow<'_, str> {
    unescape(s, |c| match c {
        '=' | '\\' | '|' => Some(c),
        'n' => Some('\n'),
        'r' => Some('\r'),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_value_escapes() {
        assert_eq!(header(r"a\|b\\c\=d\"), r"a|b\c\=d\");
        assert_eq!(value(r"a\|b\\c\=d\nx\ty\"), "a|b\\c=d\nx\\ty\\");
        assert!(matches!(value("plain"), Cow::Borrowed("plain")));
    }
}

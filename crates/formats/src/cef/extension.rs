//! The CEF extension: `key=value` pairs where values may hold spaces and escaped `=`.

use std::borrow::Cow;

/// Whether `k` can be an extension key (letters, digits and `_ . - [ ]`).
fn is_key(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'[' | b']'))
}

/// Splits a CEF extension into key/value pairs: a key is the word before an unescaped `=`.
pub fn parse_extension(ext: &str) -> Vec<(&str, Cow<'_, str>)> {
    let b = ext.as_bytes();
    // (key start, '=' position) of every real key.
    let mut keys: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'=' => {
                let ks = ext[..i].rfind(' ').map_or(0, |p| p + 1);
                let floor = keys.last().map_or(0, |&(_, e)| e + 1);
                if ks >= floor && is_key(&ext[ks..i]) {
                    keys.push((ks, i));
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    let mut out = Vec::with_capacity(keys.len());
    for (n, &(ks, eq)) in keys.iter().enumerate() {
        let end = keys.get(n + 1).map_or(ext.len(), |&(next, _)| next);
        let raw = ext[eq + 1..end].trim_end_matches([' ', '\r', '\n', '\t']);
        out.push((&ext[ks..eq], super::escape::value(raw)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescaped_equals_in_url_stays_in_value() {
        let ext = parse_extension("request=http://x/?a=b&c=d dpt=443");
        assert_eq!(ext[0].0, "request");
        assert_eq!(ext[0].1, "http://x/?a=b&c=d");
        assert_eq!(ext[1].0, "dpt");
    }
}

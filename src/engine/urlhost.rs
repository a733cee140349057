//! `quarry_url_host(url)`: the host of a URL or `host[:port]/path` text, lower-cased, or NULL.
//! The NetworkSessions view derives `UrlHostname` with it; a hand-written scan is many times
//! faster than a capturing regular expression over every row.

use duckdb::Connection;

use super::textmap::{self, TextMap};

/// The host of `text`: after an optional `scheme://` and `user@`, either a bracketed IPv6
/// literal or the characters up to `:`, `/`, `?`, `#` or `[`; `None` when that is empty.
pub fn url_host(text: &str) -> Option<String> {
    let mut rest = text;
    if let Some(i) = rest.find("://") {
        let scheme = &rest[..i];
        let mut chars = scheme.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
        if valid {
            rest = &rest[i + 3..];
        }
    }
    if let Some(i) = rest.find(['@', '/', '?', '#']) {
        if rest.as_bytes()[i] == b'@' {
            rest = &rest[i + 1..];
        }
    }
    let host = if rest.starts_with('[') {
        let close = rest.find(']')?;
        if rest[..close].contains('/') {
            return None;
        }
        &rest[..=close]
    } else {
        let end = rest.find([':', '/', '?', '#', '[']).unwrap_or(rest.len());
        &rest[..end]
    };
    (!host.is_empty()).then(|| host.to_lowercase())
}

/// `quarry_url_host`. Volatile, so DuckDB's optimizer computes it once per row of the
/// NetworkSessions view instead of copying it into every condition on `UrlHostname` that it
/// pushes down.
struct UrlHost;

impl TextMap for UrlHost {
    fn map(text: &str) -> Option<String> {
        url_host(text)
    }

    const VOLATILE: bool = true;
}

/// Registers `quarry_url_host` on `conn`.
pub fn register(conn: &Connection) -> duckdb::Result<()> {
    textmap::register::<UrlHost>(conn, "quarry_url_host")
}

#[cfg(test)]
mod tests {
    use super::url_host;

    #[test]
    fn hosts_of_urls_and_bare_names() {
        let cases = [
            (
                "https://User:pw@WWW.Example.com:8443/a?b#c",
                Some("www.example.com"),
            ),
            ("http://example.org", Some("example.org")),
            ("example.org/path", Some("example.org")),
            ("cdn.example.net:443", Some("cdn.example.net")),
            ("https://[2001:db8::1]:443/x", Some("[2001:db8::1]")),
            ("[2001:db8::1/64", None),
            ("https:///nothing", None),
            ("", None),
            ("1bad://host/x", Some("1bad")),
            ("mailto@x.org/y", Some("x.org")),
        ];
        for (url, host) in cases {
            assert_eq!(url_host(url).as_deref(), host, "{url}");
        }
    }
}

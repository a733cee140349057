//! CEF over syslog: one line → [`CefEvent`]. The line format needs a real parser (escaped
//! `|`, `=` and `\` in header and extension); the root crate's `ingest::cef` streams what
//! this returns into CommonSecurityLog.

use std::borrow::Cow;

mod escape;
mod extension;
mod syslog;
mod time;

pub use extension::parse_extension;
pub use time::cef_time;

/// One parsed CEF event.
#[derive(Debug, PartialEq)]
pub struct CefEvent<'a> {
    /// Syslog hostname, when the line has a syslog header.
    pub host: Option<&'a str>,
    /// Syslog timestamp, normalised to ISO 8601 when it could be read.
    pub syslog_time: Option<String>,
    /// The six header fields after the version.
    pub header: Vec<Cow<'a, str>>,
    /// Extension key/value pairs in line order.
    pub ext: Vec<(&'a str, Cow<'a, str>)>,
}

/// Parses one CEF line (with or without a syslog header); `year` is the year of a BSD
/// syslog timestamp, which has none.
pub fn parse_line(line: &str, year: i32) -> Result<CefEvent<'_>, String> {
    let start = line.find("CEF:").ok_or("no CEF header")?;
    let (host, syslog_time) = syslog::syslog_prefix(&line[..start], year);
    let body = &line[start + 4..];
    let mut header = Vec::with_capacity(6);
    let mut rest = body;
    // Version, then six header fields, each ended by an unescaped pipe.
    for i in 0..7 {
        let end = unescaped_pipe(rest).ok_or_else(|| {
            format!(
                "CEF header has {} of 7 fields",
                i + usize::from(!rest.is_empty())
            )
        })?;
        let field = &rest[..end];
        if i == 0 {
            if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("bad CEF version {field:?}"));
            }
        } else {
            header.push(escape::header(field));
        }
        rest = &rest[end + 1..];
    }
    Ok(CefEvent {
        host,
        syslog_time,
        header,
        ext: parse_extension(rest),
    })
}

/// Byte offset of the first `|` not escaped by a backslash.
fn unescaped_pipe(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'|' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_and_escapes() {
        let line = r"<134>Nov  9 15:46:34 fw01 CEF:0|Palo\|Alto|PAN-OS|10.1|traffic|end|3|src=10.0.0.5 dst=8.8.8.8 msg=a\=b c\\d e act=deny cs1Label=Rule cs1=r 1";
        let e = parse_line(line, 2025).expect("parses");
        assert_eq!(e.host, Some("fw01"));
        assert_eq!(e.syslog_time.as_deref(), Some("2025-11-09 15:46:34.000000"));
        assert_eq!(e.header[0], "Palo|Alto");
        assert_eq!(e.header[5], "3");
        let ext: Vec<(&str, String)> = e.ext.iter().map(|(k, v)| (*k, v.to_string())).collect();
        assert_eq!(
            ext,
            vec![
                ("src", "10.0.0.5".to_string()),
                ("dst", "8.8.8.8".to_string()),
                ("msg", "a=b c\\d e".to_string()),
                ("act", "deny".to_string()),
                ("cs1Label", "Rule".to_string()),
                ("cs1", "r 1".to_string()),
            ]
        );
    }

    #[test]
    fn rejects_non_cef() {
        assert!(parse_line("hello world", 2025).is_err());
        assert!(parse_line("CEF:0|a|b|c", 2025).is_err());
        assert!(parse_line("CEF:x|a|b|c|d|e|f|", 2025).is_err());
    }
}

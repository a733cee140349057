//! CEF over syslog → CommonSecurityLog. The line format needs a real parser (escaped `|`,
//! `=` and `\` in header and extension), so this one is Rust, streaming into the stage.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::BufRead;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};

use crossbeam_channel::Sender;
use duckdb::arrow::record_batch::RecordBatch;

use super::commit::{create_stage, Counts, Raw, Staged};
use super::load::{fill_raw_lines, reject_line, Reader};
use super::mapping::{mappings, Mapping};
use super::progress::Progress;
use super::sink::{append_batch, BatchBuilder};
use super::source::SourceFile;
use super::IngestError;

/// The CEF header fields, in order, as CommonSecurityLog columns.
const HEADER: [&str; 6] = [
    "DeviceVendor",
    "DeviceProduct",
    "DeviceVersion",
    "DeviceEventClassID",
    "Activity",
    "LogSeverity",
];

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

/// What the parser thread sends to the loading thread.
enum Msg {
    /// A batch of parsed rows for the staging table.
    Batch(RecordBatch),
    /// A line that is not CEF: (line number, text, reason).
    Reject(u64, String, String),
}

/// Loads a CEF file into CommonSecurityLog: one thread parses lines into Arrow batches while
/// this one appends them to the staging table.
pub fn load(r: &mut Reader<'_>) -> Result<(String, Counts, u64), IngestError> {
    let all = mappings()?;
    let mapping = all
        .for_kind("cef")
        .ok_or_else(|| IngestError::Mapping("no CEF mapping".into()))?;
    let mut names: Vec<String> = vec!["TimeGenerated".into(), "Computer".into()];
    names.extend(HEADER.iter().map(|s| s.to_string()));
    names.push("AdditionalExtensions".into());
    create_stage(r.conn, &names)?;
    let source = &r.source;
    let progress = r.progress;
    let (parse_rejects, names) = std::thread::scope(|scope| {
        let (tx, rx) = crossbeam_channel::bounded::<Msg>(4);
        let initial = names.clone();
        let worker = scope.spawn(move || parse_file(source, mapping, progress, initial, &tx));
        let mut stage_names = names;
        let mut failure = None;
        for msg in rx.iter() {
            let done = match msg {
                Msg::Batch(batch) => append_batch(r.conn, batch, &mut stage_names),
                Msg::Reject(line, raw, reason) => reject_line(r, line, &raw, &reason),
            };
            if let Err(e) = done {
                failure = Some(e);
                break;
            }
        }
        drop(rx);
        let parsed = worker
            .join()
            .map_err(|_| IngestError::Invalid("the CEF parser thread panicked".into()))?;
        match failure {
            Some(e) => Err(e),
            None => parsed.map(|n| (n, stage_names)),
        }
    })?;
    let staged = Staged {
        columns: names
            .iter()
            .map(|n| (super::sql::ident(n), n.clone()))
            .collect(),
        line: "__line".into(),
        raw: Raw::FileLines,
        constants: Vec::new(),
    };
    let counts = r.commit(&staged, &mapping.table, Some(mapping))?;
    fill_raw_lines(r)?;
    Ok((mapping.table.clone(), counts, parse_rejects))
}

/// Parses every line of `source` into staging batches sent on `tx`; returns the number of
/// lines that are not CEF (sent as rejects).
fn parse_file(
    source: &SourceFile,
    mapping: &Mapping,
    progress: &Progress,
    names: Vec<String>,
    tx: &Sender<Msg>,
) -> Result<u64, IngestError> {
    let closed = || IngestError::Invalid("the CEF loader stopped".into());
    let mut builder = BatchBuilder::new(names, false);
    // Extension key → staging column index (None: goes to AdditionalExtensions).
    let mut slots: HashMap<String, Option<usize>> = HashMap::new();
    let mut reader = std::io::BufReader::with_capacity(1 << 20, source.reader()?);
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let mut rejects = 0u64;
    let now_year = Utc::now().year();
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| IngestError::Invalid(format!("{}: {e}", source.display())))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        progress.add(n as u64);
        let text = String::from_utf8_lossy(&buf);
        let line = text.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let event = match parse_line(line, now_year) {
            Ok(e) => e,
            Err(reason) => {
                rejects += 1;
                tx.send(Msg::Reject(line_no, line.to_string(), reason))
                    .map_err(|_| closed())?;
                continue;
            }
        };
        let mut values: Vec<Option<Cow<'_, str>>> = vec![None; builder.names().len()];
        let mut time: Option<Cow<'_, str>> = None;
        let mut extra = String::new();
        for (key, value) in &event.ext {
            let slot = match slots.get(*key) {
                Some(slot) => *slot,
                None => {
                    let slot = match column_of(mapping, key) {
                        Some(col) => {
                            let (i, done) = builder.column(col)?;
                            if let Some(batch) = done {
                                tx.send(Msg::Batch(batch)).map_err(|_| closed())?;
                            }
                            Some(i)
                        }
                        None => None,
                    };
                    slots.insert((*key).to_string(), slot);
                    slot
                }
            };
            let Some(i) = slot else {
                if !extra.is_empty() {
                    extra.push(';');
                }
                extra.push_str(key);
                extra.push('=');
                extra.push_str(value);
                continue;
            };
            if i >= values.len() {
                values.resize(i + 1, None);
            }
            if *key == "rt" || (*key == "start" && time.is_none()) {
                time = cef_time(value).map(Cow::Owned);
            }
            // StartTime/EndTime are typed: normalise; ReceiptTime keeps the text.
            values[i] = Some(if matches!(*key, "start" | "end") {
                cef_time(value).map_or_else(|| value.clone(), Cow::Owned)
            } else {
                value.clone()
            });
        }
        values[0] = time.or_else(|| event.syslog_time.clone().map(Cow::Owned));
        values[1] = event.host.map(Cow::Borrowed);
        for (k, v) in event.header.iter().enumerate() {
            values[2 + k] = Some(v.clone());
        }
        if !extra.is_empty() {
            values[2 + HEADER.len()] = Some(Cow::Owned(extra));
        }
        let refs: Vec<Option<&str>> = values.iter().map(|v| v.as_deref()).collect();
        if let Some(batch) = builder.push(line_no, line, &refs)? {
            tx.send(Msg::Batch(batch)).map_err(|_| closed())?;
        }
    }
    if let Some(batch) = builder.take()? {
        tx.send(Msg::Batch(batch)).map_err(|_| closed())?;
    }
    Ok(rejects)
}

/// The CommonSecurityLog column of an extension key.
fn column_of<'m>(mapping: &'m Mapping, key: &str) -> Option<&'m str> {
    mapping.cef.get(key).map(String::as_str)
}

/// Parses one CEF line (with or without a syslog header).
pub fn parse_line(line: &str, year: i32) -> Result<CefEvent<'_>, String> {
    let start = line.find("CEF:").ok_or("no CEF header")?;
    let (host, syslog_time) = syslog_prefix(&line[..start], year);
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
            header.push(unescape_header(field));
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

fn unescape_header(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ ('|' | '\\')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

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
        out.push((&ext[ks..eq], unescape_value(raw)));
    }
    out
}

fn unescape_value(s: &str) -> Cow<'_, str> {
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
            Some('=') => out.push('='),
            Some('\\') => out.push('\\'),
            Some('|') => out.push('|'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// Reads the syslog header before `CEF:`: (hostname, time as ISO 8601).
fn syslog_prefix(prefix: &str, year: i32) -> (Option<&str>, Option<String>) {
    let mut p = prefix.trim();
    if p.starts_with('<') {
        if let Some(end) = p.find('>') {
            p = &p[end + 1..];
        }
    }
    let words: Vec<&str> = p.split_whitespace().collect();
    if words.is_empty() {
        return (None, None);
    }
    // RFC 5424: VERSION TIMESTAMP HOST APP PROCID MSGID [SD]
    if words[0].bytes().all(|b| b.is_ascii_digit()) && words.len() >= 3 {
        let time = iso_time(words[1]);
        return (Some(words[2]).filter(|h| *h != "-"), time);
    }
    // RFC 5424 without version, or ISO timestamp first.
    if let Some(t) = iso_time(words[0]) {
        return (words.get(1).copied(), Some(t));
    }
    // RFC 3164: Mmm dd hh:mm:ss HOST
    if words.len() >= 3 {
        if let Some(t) = bsd_time(words[0], words[1], words[2], year) {
            return (words.get(3).copied(), Some(format_ts(t)));
        }
    }
    (words.last().copied(), None)
}

fn iso_time(s: &str) -> Option<String> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| format_ts(t.naive_utc()))
}

/// `Mmm dd hh:mm:ss` of a BSD syslog header in `year` (the year before when that would
/// be more than a day in the future).
fn bsd_time(month: &str, day: &str, time: &str, year: i32) -> Option<NaiveDateTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|x| x.eq_ignore_ascii_case(month))? as u32 + 1;
    let d: u32 = day.parse().ok()?;
    let mut hms = time.splitn(3, ':').map(|p| p.parse::<u32>().ok());
    let (h, mi, se) = (hms.next()??, hms.next()??, hms.next()??);
    let at = |y: i32| NaiveDate::from_ymd_opt(y, m, d).and_then(|d| d.and_hms_opt(h, mi, se));
    let t = at(year)?;
    if t > Utc::now().naive_utc() + chrono::Duration::days(1) {
        at(year - 1)
    } else {
        Some(t)
    }
}

/// `YYYY-MM-DD hh:mm:ss.ffffff`, the text commit() reads back as a TIMESTAMP.
fn format_ts(t: NaiveDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.and_utc().timestamp_subsec_micros()
    )
}

/// Normalises a CEF time value (epoch milliseconds or `MMM dd yyyy HH:mm:ss[.SSS] [zone]`).
pub fn cef_time(v: &str) -> Option<String> {
    let v = v.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = v.parse().ok()?;
        let t = if v.len() >= 12 {
            DateTime::from_timestamp_millis(n)?
        } else {
            DateTime::from_timestamp(n, 0)?
        };
        return Some(format_ts(t.naive_utc()));
    }
    if let Some(t) = iso_time(v) {
        return Some(t);
    }
    let trimmed = ["UTC", "GMT", "Z", "+0000", "+00:00"]
        .iter()
        .find_map(|z| v.strip_suffix(z))
        .unwrap_or(v)
        .trim();
    for f in [
        "%b %d %Y %H:%M:%S%.f",
        "%b %d %Y %H:%M:%S",
        "%b %d %H:%M:%S%.f %Y",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(trimmed, f) {
            return Some(format_ts(t));
        }
    }
    NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(format_ts)
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
    fn unescaped_equals_in_url_stays_in_value() {
        let ext = parse_extension("request=http://x/?a=b&c=d dpt=443");
        assert_eq!(ext[0].0, "request");
        assert_eq!(ext[0].1, "http://x/?a=b&c=d");
        assert_eq!(ext[1].0, "dpt");
    }

    #[test]
    fn rejects_non_cef() {
        assert!(parse_line("hello world", 2025).is_err());
        assert!(parse_line("CEF:0|a|b|c", 2025).is_err());
        assert!(parse_line("CEF:x|a|b|c|d|e|f|", 2025).is_err());
    }

    #[test]
    fn times() {
        assert_eq!(
            cef_time("1762703194034").as_deref(),
            Some("2025-11-09 15:46:34.034000")
        );
        assert_eq!(
            cef_time("Nov 09 2025 15:46:34 UTC").as_deref(),
            Some("2025-11-09 15:46:34.000000")
        );
        assert_eq!(cef_time("garbage"), None);
    }
}

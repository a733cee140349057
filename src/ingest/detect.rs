//! Format detection from a file's first decoded bytes.

/// A format quarry reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Apache Parquet.
    Parquet,
    /// Zeek TSV with `#fields`/`#types` headers.
    ZeekTsv,
    /// CEF over syslog, one event per line.
    Cef,
    /// AWS VPC flow logs, version-2 text.
    VpcFlow,
    /// Windows Event XML.
    WinEventXml,
    /// A JSON array of objects.
    JsonArray,
    /// One JSON object per line.
    Ndjson,
    /// A STIX 2.1 bundle.
    StixBundle,
    /// A Log Analytics / Kusto query-API result (`{"tables":[{"columns":…,"rows":…}]}`).
    KustoTables,
    /// Delimited text with a header line (the delimiter byte).
    Delimited(u8),
}

impl Format {
    /// Short name stored in quarry_sources.format.
    pub fn name(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::ZeekTsv => "zeek-tsv",
            Format::Cef => "cef",
            Format::VpcFlow => "vpcflow",
            Format::WinEventXml => "windows-event-xml",
            Format::JsonArray => "json",
            Format::Ndjson => "ndjson",
            Format::StixBundle => "stix",
            Format::KustoTables => "kusto-json",
            Format::Delimited(b'\t') => "tsv",
            Format::Delimited(_) => "csv",
        }
    }
}

/// Detects the format of a file from its first decoded bytes (BOM already removed);
/// `Err` carries why the content is not recognised.
pub fn detect(head: &[u8]) -> Result<Format, String> {
    if head.starts_with(b"PAR1") {
        return Ok(Format::Parquet);
    }
    if head.starts_with(b"PK\x03\x04") {
        return Err("a zip archive (only externaldata/ folders take archives)".into());
    }
    if head.is_empty() {
        return Err("the file is empty".into());
    }
    if head.iter().take(4096).any(|&b| b == 0) {
        return Err("binary content of an unknown kind".into());
    }
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start();
    let first_line = trimmed.lines().next().unwrap_or("").trim_end_matches('\r');
    if first_line.starts_with("#separator") || first_line.starts_with("#fields") {
        return Ok(Format::ZeekTsv);
    }
    if is_cef_line(first_line) {
        return Ok(Format::Cef);
    }
    if trimmed.starts_with('<') {
        return if trimmed.contains("<Event") {
            Ok(Format::WinEventXml)
        } else {
            Err("XML that holds no Windows events".into())
        };
    }
    if trimmed.starts_with('[') {
        return Ok(Format::JsonArray);
    }
    if trimmed.starts_with('{') {
        return detect_json_object(trimmed, first_line);
    }
    if is_vpc_flow(first_line) {
        return Ok(Format::VpcFlow);
    }
    if let Some(delim) = delimiter(trimmed) {
        return Ok(Format::Delimited(delim));
    }
    Err("not a log format quarry reads".into())
}

fn detect_json_object(text: &str, first_line: &str) -> Result<Format, String> {
    let compact: String = text
        .chars()
        .take(4096)
        .filter(|c| !c.is_whitespace())
        .collect();
    if compact.contains("\"type\":\"bundle\"") {
        return Ok(Format::StixBundle);
    }
    if compact.starts_with("{\"tables\":[") && compact.contains("\"columns\":[") {
        return Ok(Format::KustoTables);
    }
    match serde_json::from_str::<serde_json::Value>(first_line) {
        Ok(serde_json::Value::Object(_)) => Ok(Format::Ndjson),
        _ => Err("a JSON document that is not a table export (expected an array of objects or one object per line)".into()),
    }
}

/// True when a line carries a CEF header (optionally after a syslog prefix).
pub fn is_cef_line(line: &str) -> bool {
    match line.find("CEF:") {
        Some(i) => {
            let rest = &line[i + 4..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            digits > 0 && rest[digits..].starts_with('|')
        }
        None => false,
    }
}

fn is_vpc_flow(line: &str) -> bool {
    if line.starts_with("version account-id") {
        return true;
    }
    let fields: Vec<&str> = line.split(' ').collect();
    fields.len() >= 14
        && fields[0].bytes().all(|b| b.is_ascii_digit())
        && (fields[2].starts_with("eni-") || fields[2] == "-")
        && fields[1].len() == 12
}

/// Picks the delimiter of a header line: tab, comma, semicolon or pipe, whichever splits the
/// first line into the most fields (at least two) and the same count on the next line.
fn delimiter(text: &str) -> Option<u8> {
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    let header = lines.next()?;
    let second = lines.next();
    let mut best: Option<(u8, usize)> = None;
    for d in [b'\t', b',', b';', b'|'] {
        let n = count_fields(header, d);
        if n < 2 {
            continue;
        }
        if let Some(line) = second {
            let m = count_fields(line, d);
            if m != n && !line.contains('"') {
                continue;
            }
        }
        if best.is_none_or(|(_, k)| n > k) {
            best = Some((d, n));
        }
    }
    let (d, _) = best?;
    // A header names columns: no field may be empty or extremely long.
    let ok = split_fields(header, d)
        .iter()
        .all(|f| !f.trim().is_empty() && f.len() < 200);
    ok.then_some(d)
}

fn count_fields(line: &str, d: u8) -> usize {
    split_fields(line, d).len()
}

/// Splits one line of delimited text, honouring double quotes.
pub fn split_fields(line: &str, d: u8) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && cur.is_empty() {
            quoted = true;
        } else if c as u32 == u32::from(d) {
            fields.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    fields.push(cur);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats() {
        assert_eq!(detect(b"PAR1xxxx"), Ok(Format::Parquet));
        assert_eq!(
            detect(b"#separator \\x09\n#fields\tts\n"),
            Ok(Format::ZeekTsv)
        );
        assert_eq!(
            detect(
                b"<13>Nov  9 15:46:34 fw1 CEF:0|Palo Alto Networks|PAN-OS|10|1|x|3|src=1.2.3.4\n"
            ),
            Ok(Format::Cef)
        );
        assert_eq!(
            detect(b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"),
            Ok(Format::VpcFlow)
        );
        assert_eq!(detect(b"[{\"a\":1}]"), Ok(Format::JsonArray));
        assert_eq!(detect(b"{\"a\":1}\n{\"a\":2}\n"), Ok(Format::Ndjson));
        assert_eq!(
            detect(b"{\n  \"type\": \"bundle\",\n  \"objects\": []\n}"),
            Ok(Format::StixBundle)
        );
        assert!(detect(b"{\n  \"hunts\": {}\n}").is_err());
        assert_eq!(
            detect(b"{\"tables\": [{\"name\": \"PrimaryResult\", \"columns\": []}]}"),
            Ok(Format::KustoTables)
        );
        assert_eq!(detect(b"a,b,c\n1,2,3\n"), Ok(Format::Delimited(b',')));
        assert_eq!(
            detect(b"a\tb\tc\n1\t2,5\t3\n"),
            Ok(Format::Delimited(b'\t'))
        );
        assert!(detect(b"# README\n\nSome text.\n").is_err());
        assert!(detect(b"").is_err());
    }

    #[test]
    fn splits_quoted_fields() {
        assert_eq!(
            split_fields("a,\"b,\"\"c\"\"\",d", b','),
            vec!["a", "b,\"c\"", "d"]
        );
    }
}

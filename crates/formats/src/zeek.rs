//! The `#` header of a Zeek TSV log (separator, set separator, unset/empty markers, path,
//! fields, types). The rows themselves are read by DuckDB in the root crate's `ingest::zeek`.

/// The header of a Zeek TSV log.
#[derive(Debug, Clone, PartialEq)]
pub struct ZeekHeader {
    /// Field separator.
    pub separator: String,
    /// Separator inside set/vector values.
    pub set_separator: String,
    /// Marker of an empty set or string.
    pub empty: String,
    /// Marker of an unset value.
    pub unset: String,
    /// Log path (`conn`, `dns`, …).
    pub path: String,
    /// Field names.
    pub fields: Vec<String>,
    /// Zeek types, one per field.
    pub types: Vec<String>,
    /// Number of `#` lines before the first row.
    pub header_lines: usize,
}

/// Decodes `\xHH` escapes as Zeek writes them in its header.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\\x") {
        out.push_str(&rest[..i]);
        let hex = rest
            .get(i + 2..i + 4)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(b) => {
                out.push(char::from(b));
                rest = &rest[i + 4..];
            }
            None => {
                out.push_str("\\x");
                rest = &rest[i + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parses the `#` header lines at the top of a Zeek TSV log.
pub fn parse_header(text: &str) -> Result<ZeekHeader, String> {
    let mut h = ZeekHeader {
        separator: "\t".into(),
        set_separator: ",".into(),
        empty: "(empty)".into(),
        unset: "-".into(),
        path: String::new(),
        fields: Vec::new(),
        types: Vec::new(),
        header_lines: 0,
    };
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if !line.starts_with('#') {
            break;
        }
        h.header_lines += 1;
        if let Some(v) = line.strip_prefix("#separator ") {
            h.separator = unescape(v.trim());
            continue;
        }
        let mut parts = line.splitn(2, h.separator.as_str());
        let key = parts.next().unwrap_or("");
        let value = parts.next().unwrap_or("");
        let list = || {
            value
                .split(h.separator.as_str())
                .map(str::to_string)
                .collect()
        };
        match key {
            "#set_separator" => h.set_separator = unescape(value),
            "#empty_field" => h.empty = value.to_string(),
            "#unset_field" => h.unset = value.to_string(),
            "#path" => h.path = value.to_string(),
            "#fields" => h.fields = list(),
            "#types" => h.types = list(),
            _ => {}
        }
    }
    if h.fields.is_empty() {
        return Err("Zeek log without a #fields line".into());
    }
    if h.types.len() != h.fields.len() {
        h.types = vec!["string".into(); h.fields.len()];
    }
    Ok(h)
}

/// DuckDB type of a Zeek type.
pub fn duck_type(zeek: &str) -> &'static str {
    match zeek {
        "time" => "TIMESTAMP",
        "interval" | "double" => "DOUBLE",
        "count" | "int" => "BIGINT",
        "port" => "INTEGER",
        "bool" => "BOOLEAN",
        t if t.starts_with("set[") || t.starts_with("vector[") => "JSON",
        _ => "VARCHAR",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header() {
        let text = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n\
                    #path\tdns\n#fields\tts\tuid\tanswers\n#types\ttime\tstring\tvector[string]\n1\t2\t3\n";
        let h = parse_header(text).expect("header");
        assert_eq!(h.separator, "\t");
        assert_eq!(h.path, "dns");
        assert_eq!(h.fields, vec!["ts", "uid", "answers"]);
        assert_eq!(h.types[2], "vector[string]");
        assert_eq!(h.header_lines, 7);
        assert!(parse_header("#path\tx\n").is_err());
    }

    #[test]
    fn types() {
        assert_eq!(duck_type("time"), "TIMESTAMP");
        assert_eq!(duck_type("set[string]"), "JSON");
        assert_eq!(duck_type("addr"), "VARCHAR");
    }
}

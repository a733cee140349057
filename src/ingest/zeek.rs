//! Zeek TSV logs: the `#` header (separator, set separator, unset/empty markers, path,
//! fields, types) is read here; the rows are read by DuckDB's read_csv.

use std::borrow::Cow;

use super::commit::{line_of_row, Raw, Staged};
use super::exports::read_csv_stage;
use super::load::{ReadResult, Reader};
use super::mapping::{mappings, zeek_table_name, Mapping};
use super::sql::lit;
use super::IngestError;

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

/// SQL turning the raw text of field `col` into the text commit() converts: unset → NULL,
/// empty marker → '' (or `[]` for containers), containers → JSON arrays.
fn field_expr(col: &str, zeek_type: &str, h: &ZeekHeader) -> String {
    let unset = lit(&h.unset);
    let empty = lit(&h.empty);
    if let Some(inner) = zeek_type
        .strip_prefix("set[")
        .or_else(|| zeek_type.strip_prefix("vector["))
        .and_then(|t| t.strip_suffix(']'))
    {
        let items = format!("string_split({col}, {})", lit(&h.set_separator));
        let list = match duck_type(inner) {
            "DOUBLE" | "BIGINT" | "INTEGER" => {
                format!("list_transform({items}, lambda x: TRY_CAST(x AS DOUBLE))")
            }
            _ => format!("list_transform({items}, lambda e: {})", unescape_sql("e")),
        };
        format!(
            "CASE WHEN {col} = {unset} THEN NULL WHEN {col} = {empty} THEN '[]' \
             ELSE CAST(to_json({list}) AS VARCHAR) END"
        )
    } else {
        format!(
            "CASE WHEN {col} = {unset} THEN NULL WHEN {col} = {empty} THEN '' ELSE {} END",
            unescape_sql(col)
        )
    }
}

/// SQL decoding Zeek's escapes in a value: `\\` is a backslash, `\xHH` a character.
fn unescape_sql(x: &str) -> String {
    r"CASE WHEN contains(X, '\') THEN array_to_string(list_transform(
        regexp_extract_all(X, '\\x[0-9A-Fa-f]{2}|\\\\|\\|[^\\]+'),
        lambda t: CASE WHEN t = '\\' THEN '\'
                       WHEN length(t) = 4 AND starts_with(t, '\x')
                       THEN chr(CAST(('0x' || substr(t, 3, 2)) AS INTEGER))
                       ELSE t END), '') ELSE X END"
        .replace('X', x)
}

/// Loads a Zeek TSV log into Zeek<Path> (and, for dns, DnsEvents).
pub fn load_tsv(r: &mut Reader<'_>) -> ReadResult {
    let head = r.source.head_text();
    let h = parse_header(&head)
        .map_err(|e| IngestError::Invalid(format!("{}: {e}", r.source.display())))?;
    let all = mappings()?;
    let (table, mapping): (String, Cow<'static, Mapping>) = match all.for_zeek_path(&h.path) {
        Some(m) => (m.table.clone(), Cow::Borrowed(m)),
        None => {
            let path = if h.path.is_empty() {
                file_stem_word(&r.source.path)
            } else {
                h.path.clone()
            };
            let table = zeek_table_name(&path);
            let cols = h
                .fields
                .iter()
                .zip(&h.types)
                .map(|(f, t)| (f.clone(), duck_type(t).to_string()))
                .collect();
            let m = Mapping::generic_zeek(&table, cols);
            (table, Cow::Owned(m))
        }
    };
    let path = r.source.plain_path()?;
    let options = format!(
        "delim={}, quote='', escape='', header=false, skip={}",
        lit(&h.separator),
        h.header_lines
    );
    let structural = read_csv_stage(
        r,
        &path.display().to_string(),
        &options,
        h.fields.len(),
        true,
    )?;
    let staged = Staged {
        columns: h
            .fields
            .iter()
            .zip(&h.types)
            .enumerate()
            .map(|(i, (f, t))| (field_expr(&format!("c{i}"), t, &h), f.clone()))
            .collect(),
        line: line_of_row(h.header_lines as u64),
        raw: Raw::FieldsJson,
        constants: r.constants.clone(),
    };
    let counts = r.commit(&staged, &table, Some(&mapping))?;
    r.progress.add(r.source.size);
    Ok((table, counts, structural))
}

/// `conn` from `conn.log`, `conn.2024-01-01.log.gz`, … (for logs without `#path`).
pub fn file_stem_word(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .and_then(|n| n.split('.').next().map(str::to_string))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "log".into())
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

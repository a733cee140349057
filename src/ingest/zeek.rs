//! Zeek TSV logs: the `#` header (separator, set separator, unset/empty markers, path,
//! fields, types) is read by `quarry_formats::zeek`; the rows by DuckDB's read_csv here.

use std::borrow::Cow;

use quarry_formats::zeek::{duck_type, parse_header, ZeekHeader};

use super::commit::{Raw, Staged};
use super::exports::{csv_rows, record_csv_rejects, text_columns};
use super::load::{ReadResult, Reader};
use super::mapping::{mappings, zeek_table_name, Mapping};
use super::sql::lit;
use super::IngestError;

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
    let path = r.source.csv_path()?;
    let options = format!(
        "delim={}, quote='', escape='', header=false, skip={}",
        lit(&h.separator),
        h.header_lines
    );
    let (rows, line) = csv_rows(
        r,
        &path.display().to_string(),
        &options,
        &text_columns(h.fields.len()),
        h.header_lines as u64,
    )?;
    let staged = Staged {
        columns: h
            .fields
            .iter()
            .zip(&h.types)
            .enumerate()
            .map(|(i, (f, t))| (field_expr(&format!("c{i}"), t, &h), f.clone()))
            .collect(),
        line,
        raw: Raw::FieldsJson,
        constants: r.constants.clone(),
        from: rows,
    };
    let counts = r.commit(&staged, &table, Some(&mapping))?;
    let structural = record_csv_rejects(r, true, &h.fields)?;
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

//! Table exports (portal CSV/TSV, JSON array, NDJSON, Parquet) read by DuckDB's own
//! readers into the staging table; the target table comes from `--table`, the file's role,
//! the Zeek `_path`, or the header columns.

use std::borrow::Cow;

use super::commit::{line_of_row, table_columns, Columns, Counts, Raw, Rows, Staged, STAGE};
use super::detect::{split_fields, Format};
use super::load::{ReadResult, Reader};
use super::mapping::{mappings, zeek_table_name, Mapping};
use super::sql::{kind_of, lit, Kind};
use super::zeek::file_stem_word;
use super::{json, parquet, ti, IngestError};

const CSV_REJECTS: &str = "quarry_csv_rejects";
const CSV_SCANS: &str = "quarry_csv_scans";

/// Loads an export in any of the table-export formats.
pub fn load(r: &mut Reader<'_>, format: Format) -> ReadResult {
    match format {
        Format::Delimited(d) => load_delimited(r, d),
        Format::JsonArray => json::load_json_array(r),
        Format::Ndjson => json::load_ndjson(r),
        _ => parquet::load_parquet(r),
    }
}

/// Column name from an export header: trimmed, without a unit suffix like ` [UTC]`.
pub fn normalise_header(name: &str, i: usize) -> String {
    let mut n = name.trim().trim_matches('"').trim();
    if n.ends_with(']') {
        if let Some(p) = n.rfind(" [") {
            n = n[..p].trim_end();
        }
    }
    if n.is_empty() {
        format!("Column{}", i + 1)
    } else {
        n.to_string()
    }
}

/// Decides the target table of an export and its mapping (if quarry knows the table).
pub fn resolve_table(
    r: &Reader<'_>,
    header: &[String],
    zeek_path: Option<&str>,
) -> Result<(String, Option<Cow<'static, Mapping>>), IngestError> {
    let all = mappings()?;
    if let Some(t) = &r.table {
        return Ok((t.clone(), all.for_table(t).map(Cow::Borrowed)));
    }
    if let Some(p) = zeek_path {
        return Ok(match all.for_zeek_path(p) {
            Some(m) => (m.table.clone(), Some(Cow::Borrowed(m))),
            None => {
                let table = zeek_table_name(p);
                let m = Mapping::generic_zeek(&table, Vec::new());
                (table, Some(Cow::Owned(m)))
            }
        });
    }
    if let Some(m) = all.recognise(header) {
        return Ok((m.table.clone(), Some(Cow::Borrowed(m))));
    }
    // Zeek JSON logs without `_path` (Zeek's default): named after the file.
    let has = |k: &str| header.iter().any(|h| h == k);
    if has("ts") && has("uid") && has("id.orig_h") {
        let table = zeek_table_name(&file_stem_word(&r.source.path));
        let m = Mapping::generic_zeek(&table, Vec::new());
        return Ok((table, Some(Cow::Owned(m))));
    }
    Err(IngestError::Unrecognised {
        path: r.source.path.clone(),
        reason: "the columns match no table quarry knows; name the table with --table".into(),
    })
}

/// Commits export columns `c0..cN` (named by `header`) into `table`, read from `from`.
pub fn finish(
    r: &Reader<'_>,
    header: &[String],
    table: &str,
    mapping: Option<&Mapping>,
    line: &str,
    raw: Option<&str>,
    from: Rows,
) -> Result<Counts, IngestError> {
    let staged = Staged {
        columns: header
            .iter()
            .enumerate()
            .map(|(i, h)| (format!("c{i}"), h.clone())) // c{i} needs no quoting
            .collect(),
        line: line.into(),
        raw: raw.map_or(Raw::FieldsJson, |r| Raw::Column(r.to_string())),
        constants: if r.constants.is_empty() && table.eq_ignore_ascii_case(ti::TABLE) {
            ti::constants(&r.source.path)
        } else {
            r.constants.clone()
        },
        from,
    };
    r.commit(&staged, table, mapping)
}

fn load_delimited(r: &mut Reader<'_>, delim: u8) -> ReadResult {
    let head = r.source.head_text();
    let first = head.lines().next().unwrap_or("").trim_end_matches('\r');
    let header: Vec<String> = split_fields(first, delim)
        .iter()
        .enumerate()
        .map(|(i, h)| normalise_header(h, i))
        .collect();
    let (table, mapping) = resolve_table(r, &header, None)?;
    let types = column_types(r, &header, &table, mapping.as_deref())?;
    let crlf = head.contains("\r\n");
    let path = r.source.csv_path()?;
    let options = format!(
        "delim={}, quote='\"', escape='\"', header=true, new_line={}",
        lit(&(delim as char).to_string()),
        if crlf { "'\\r\\n'" } else { "'\\n'" }
    );
    let (rows, line) = csv_rows(r, &path.display().to_string(), &options, &types, 1)?;
    let counts = finish(r, &header, &table, mapping.as_deref(), &line, None, rows)?;
    let structural = record_csv_rejects(r, false, &header)?;
    r.progress.add(r.source.size);
    Ok((table, counts, structural))
}

/// The type read_csv gives each column of an export. A column the target table keeps as an
/// integer is parsed by read_csv itself, which is quicker than reading text and converting
/// it after; a value that is no integer then makes its line a reject of the read, with the
/// line and the value. DuckDB's reader also takes hexadecimal (`0x1bb`) and rounds a
/// fraction, which quarry's own text conversion rejects. Lenient columns (kept when they do
/// not read) and a repeated header name stay text.
fn column_types(
    r: &Reader<'_>,
    header: &[String],
    table: &str,
    mapping: Option<&Mapping>,
) -> Result<Vec<String>, IngestError> {
    let known: Columns = table_columns(r.conn, table)?
        .map(|(_, c)| c)
        .unwrap_or_default()
        .into_iter()
        .chain(mapping.map(Mapping::columns).unwrap_or_default())
        .collect();
    let lenient = |h: &str| {
        mapping
            .and_then(|m| m.lenient.as_ref())
            .is_some_and(|l| l.columns.iter().any(|c| c.eq_ignore_ascii_case(h)))
    };
    Ok(header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let repeated = header[..i].iter().any(|x| x.eq_ignore_ascii_case(h));
            let ty = known
                .iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(h))
                .map(|(_, t)| t.to_ascii_uppercase());
            match ty {
                Some(t) if is_integer(&t) && !repeated && !lenient(h) => t,
                _ => "VARCHAR".to_string(),
            }
        })
        .collect())
}

/// Whether a DuckDB type is one of the integer types.
fn is_integer(ty: &str) -> bool {
    kind_of(ty) == Kind::Number && ty.contains("INT")
}

/// DuckDB's read_csv of a delimited file as columns `c0..cN` of the given types, keeping
/// malformed lines in temporary tables for [`record_csv_rejects`] (which the call first
/// empties).
fn read_csv_sql(
    r: &Reader<'_>,
    path: &str,
    options: &str,
    types: &[String],
) -> Result<String, IngestError> {
    r.conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS temp.{CSV_REJECTS}; DROP TABLE IF EXISTS temp.{CSV_SCANS};"
    ))?;
    let columns: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, ty)| format!("{}: {}", lit(&format!("c{i}")), lit(ty)))
        .collect();
    Ok(format!(
        "read_csv({}, columns={{{}}}, {options},
             auto_detect=false, store_rejects=true, rejects_table={}, rejects_scan={},
             null_padding=false, max_line_size=16777216)",
        lit(path),
        columns.join(", "),
        lit(CSV_REJECTS),
        lit(CSV_SCANS),
    ))
}

/// Fills the staging table with a delimited file's rows.
fn stage_csv(r: &Reader<'_>, read: &str) -> Result<(), IngestError> {
    r.conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS temp.{STAGE}; CREATE TEMP TABLE {STAGE} AS SELECT * FROM {read};"
    ))?;
    Ok(())
}

/// The rows of a delimited file (columns of the given types, after `lines_before` lines
/// that are not rows) for the commit, and the SQL for a row's line number: straight from
/// read_csv, or, when the reader asks for it (a reload after a held-back row), through the
/// staging table. Call [`record_csv_rejects`] after the commit.
pub fn csv_rows(
    r: &Reader<'_>,
    path: &str,
    options: &str,
    types: &[String],
    lines_before: u64,
) -> Result<(Rows, String), IngestError> {
    let read = read_csv_sql(r, path, options, types)?;
    if r.one_pass {
        let rows = Rows::OnePass(format!("(SELECT * FROM {read})"));
        return Ok((rows, line_of_row(lines_before)));
    }
    stage_csv(r, &read)?;
    Ok((Rows::Stage, staged_line(r, lines_before)?))
}

/// The SQL for a staged row's line number in its file. The lines read_csv set aside
/// (malformed, or a value it could not read) have no staged row, so each moves the rows
/// after it down a line: the k-th of them (from 0), at line L, moves every row that would
/// be at line L - k or later.
fn staged_line(r: &Reader<'_>, lines_before: u64) -> Result<String, IngestError> {
    let mut stmt = r.conn.prepare(&format!(
        "SELECT DISTINCT line FROM temp.{CSV_REJECTS} WHERE line IS NOT NULL ORDER BY line"
    ))?;
    let set_aside = stmt
        .query_map([], |row| row.get::<_, i64>(0))?
        .collect::<duckdb::Result<Vec<_>>>()?;
    if set_aside.is_empty() {
        return Ok(line_of_row(lines_before));
    }
    let first: Option<i64> =
        r.conn
            .query_row(&format!("SELECT min(rowid) FROM temp.{STAGE}"), [], |row| {
                row.get(0)
            })?;
    let unmoved = format!("(rowid - {} + {})", first.unwrap_or(0), lines_before + 1);
    let from: Vec<String> = (0i64..)
        .zip(&set_aside)
        .map(|(k, line)| (line - k).to_string())
        .collect();
    Ok(format!(
        "({unmoved} + len(list_filter([{}], lambda m: m <= {unmoved})))",
        from.join(", ")
    ))
}

/// Reads a delimited file with the given header into the staging table as text columns
/// `c0..cN` with DuckDB's read_csv, recording malformed lines in quarry_rejects. Returns the
/// rejected lines.
pub fn read_csv_stage(
    r: &Reader<'_>,
    path: &str,
    options: &str,
    header: &[String],
) -> Result<u64, IngestError> {
    let read = read_csv_sql(r, path, options, &text_columns(header.len()))?;
    stage_csv(r, &read)?;
    record_csv_rejects(r, false, header)
}

/// `n` text columns for [`csv_rows`].
pub fn text_columns(n: usize) -> Vec<String> {
    vec!["VARCHAR".to_string(); n]
}

/// Records in quarry_rejects the malformed lines the last read_csv of this file met, naming
/// a column by its name in `header` rather than `cN`. With `comments`, lines starting with
/// `#` are not rows and are neither counted nor rejected. Returns the rejected lines.
pub fn record_csv_rejects(
    r: &Reader<'_>,
    comments: bool,
    header: &[String],
) -> Result<u64, IngestError> {
    let keep = if comments {
        "WHERE NOT starts_with(coalesce(csv_line, ''), '#')"
    } else {
        ""
    };
    let names = format!(
        "([{}]::VARCHAR[])",
        header.iter().map(|h| lit(h)).collect::<Vec<_>>().join(", ")
    );
    let n: i64 = r.conn.query_row(
        &format!("SELECT count(DISTINCT line) FROM temp.{CSV_REJECTS} {keep}"),
        [],
        |row| row.get(0),
    )?;
    r.conn.execute(
        &format!(
            "INSERT INTO quarry_rejects (source_sha256, path, line, raw, reason)
             SELECT ?, ?, line, any_value(csv_line),
                    string_agg(DISTINCT CAST(error_type AS VARCHAR) || ': ' ||
                      coalesce(replace(error_message, '\"' || column_name || '\"',
                                       '\"' || {names}[CAST(column_idx AS BIGINT)] || '\"'), error_message), '; ')
             FROM temp.{CSV_REJECTS} {keep} GROUP BY line"
        ),
        duckdb::params![r.source.sha256, r.path_text],
    )?;
    r.conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS temp.{CSV_REJECTS}; DROP TABLE IF EXISTS temp.{CSV_SCANS};"
    ))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::normalise_header;

    #[test]
    fn headers() {
        assert_eq!(normalise_header("TimeGenerated [UTC]", 0), "TimeGenerated");
        assert_eq!(normalise_header(" RemoteIP ", 1), "RemoteIP");
        assert_eq!(normalise_header("", 2), "Column3");
    }
}

//! Table exports (portal CSV/TSV, JSON array, NDJSON, Parquet) read by DuckDB's own
//! readers into the staging table; the target table comes from `--table`, the file's role,
//! the Zeek `_path`, or the header columns.

use std::borrow::Cow;
use std::io::BufRead;

use super::commit::{commit, Origin, Raw, Staged, STAGE};
use super::detect::{split_fields, Format};
use super::load::{ReadResult, Reader};
use super::mapping::{mappings, zeek_table_name, Mapping};
use super::sink::StageSink;
use super::sql::{ident, lit};
use super::{ti, IngestError};

const CSV_REJECTS: &str = "quarry_csv_rejects";
const CSV_SCANS: &str = "quarry_csv_scans";

/// Loads an export in any of the table-export formats.
pub fn load(r: &mut Reader<'_>, format: Format) -> ReadResult {
    match format {
        Format::Delimited(d) => load_delimited(r, d),
        Format::JsonArray => load_json_array(r),
        Format::Ndjson => load_ndjson(r),
        _ => load_parquet(r),
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
    Err(IngestError::Unrecognised {
        path: r.source.path.clone(),
        reason: "the columns match no table quarry knows; name the table with --table".into(),
    })
}

fn finish(
    r: &Reader<'_>,
    header: &[String],
    table: &str,
    mapping: Option<&Mapping>,
    line: &str,
    raw: Option<&str>,
) -> Result<super::commit::Counts, IngestError> {
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
    };
    let origin = Origin {
        sha256: &r.source.sha256,
        path: &r.path_text,
    };
    commit(r.conn, &origin, &staged, table, mapping)
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
    let crlf = head.contains("\r\n");
    let path = r.source.plain_path()?;
    let options = format!(
        "delim={}, quote='\"', escape='\"', header=true, new_line={}",
        lit(&(delim as char).to_string()),
        if crlf { "'\\r\\n'" } else { "'\\n'" }
    );
    let structural = read_csv_stage(
        r,
        &path.display().to_string(),
        &options,
        header.len(),
        false,
    )?;
    let counts = finish(r, &header, &table, mapping.as_deref(), "rowid + 2", None)?;
    r.progress.add(r.source.size);
    Ok((table, counts, structural))
}

/// Reads a delimited file into the staging table as text columns `c0..cN` with DuckDB's
/// read_csv, recording malformed lines in quarry_rejects. With `comments`, lines starting
/// with `#` are not rows and are neither counted nor rejected. Returns the rejected lines.
pub fn read_csv_stage(
    r: &Reader<'_>,
    path: &str,
    options: &str,
    ncols: usize,
    comments: bool,
) -> Result<u64, IngestError> {
    let columns: Vec<String> = (0..ncols)
        .map(|i| format!("{}: 'VARCHAR'", lit(&format!("c{i}"))))
        .collect();
    r.conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS temp.{CSV_REJECTS}; DROP TABLE IF EXISTS temp.{CSV_SCANS};
         DROP TABLE IF EXISTS temp.{STAGE};
         CREATE TEMP TABLE {STAGE} AS SELECT * FROM read_csv({}, columns={{{}}}, {options},
             auto_detect=false, store_rejects=true, rejects_table={}, rejects_scan={},
             null_padding=false, max_line_size=16777216);",
        lit(path),
        columns.join(", "),
        lit(CSV_REJECTS),
        lit(CSV_SCANS),
    ))?;
    let keep = if comments {
        "WHERE NOT starts_with(coalesce(csv_line, ''), '#')"
    } else {
        ""
    };
    let n: i64 = r.conn.query_row(
        &format!("SELECT count(DISTINCT line) FROM temp.{CSV_REJECTS} {keep}"),
        [],
        |row| row.get(0),
    )?;
    r.conn.execute(
        &format!(
            "INSERT INTO quarry_rejects (source_sha256, path, line, raw, reason)
             SELECT ?, ?, line, any_value(csv_line),
                    string_agg(DISTINCT CAST(error_type AS VARCHAR) || ': ' || error_message, '; ')
             FROM temp.{CSV_REJECTS} {keep} GROUP BY line"
        ),
        duckdb::params![r.source.sha256, r.path_text],
    )?;
    r.conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS temp.{CSV_REJECTS}; DROP TABLE IF EXISTS temp.{CSV_SCANS};"
    ))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Stages JSON objects held in `quarry_json(__line, __raw)`: one text column per key.
/// Returns the keys in order of first appearance and the rows that are not objects.
fn stage_json_objects(r: &Reader<'_>) -> Result<(Vec<String>, u64), IngestError> {
    let conn = r.conn;
    // Rows that are not JSON objects are rejected as they are.
    conn.execute(
        "INSERT INTO quarry_rejects (source_sha256, path, line, raw, reason)
         SELECT ?, ?, __line, __raw, CASE WHEN json_valid(__raw) THEN 'not a JSON object'
                                          ELSE 'malformed JSON' END
         FROM temp.quarry_json
         WHERE coalesce(json_type(TRY_CAST(__raw AS JSON)), '') <> 'OBJECT'",
        duckdb::params![r.source.sha256, r.path_text],
    )?;
    let bad: i64 = conn.query_row(
        "SELECT count(*) FROM temp.quarry_json
         WHERE coalesce(json_type(TRY_CAST(__raw AS JSON)), '') <> 'OBJECT'",
        [],
        |row| row.get(0),
    )?;
    conn.execute_batch(
        "DELETE FROM temp.quarry_json
         WHERE coalesce(json_type(TRY_CAST(__raw AS JSON)), '') <> 'OBJECT'",
    )?;
    let mut stmt = conn.prepare(
        "SELECT k FROM (SELECT unnest(json_keys(CAST(__raw AS JSON))) AS k, __line FROM temp.quarry_json)
         GROUP BY k ORDER BY min(__line), k",
    )?;
    let keys: Vec<String> = stmt
        .query_map([], |row| row.get(0))?
        .collect::<duckdb::Result<_>>()?;
    let paths: Vec<String> = keys
        .iter()
        .map(|k| lit(&format!("$.\"{}\"", k.replace('"', "\\\""))))
        .collect();
    let cols: Vec<String> = (0..keys.len())
        .map(|i| format!("__v[{}] AS {}", i + 1, ident(&format!("c{i}"))))
        .collect();
    let select = if keys.is_empty() {
        "__line, __raw".to_string()
    } else {
        format!(
            "__line, __raw, {} FROM (SELECT __line, __raw, json_extract_string(CAST(__raw AS JSON), [{}]) AS __v",
            cols.join(", "),
            paths.join(", ")
        )
    };
    let from = if keys.is_empty() {
        " FROM temp.quarry_json".to_string()
    } else {
        " FROM temp.quarry_json)".to_string()
    };
    conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS temp.{STAGE};
         CREATE TEMP TABLE {STAGE} AS SELECT {select}{from} ORDER BY __line;
         DROP TABLE temp.quarry_json;"
    ))?;
    Ok((keys, u64::try_from(bad).unwrap_or(0)))
}

/// The Zeek `_path` of staged JSON rows, when they carry one.
fn zeek_path_of(r: &Reader<'_>, keys: &[String]) -> Result<Option<String>, IngestError> {
    let Some(i) = keys.iter().position(|k| k == "_path") else {
        return Ok(None);
    };
    let p: Option<String> = r.conn.query_row(
        &format!(
            "SELECT any_value({}) FROM temp.{STAGE}",
            ident(&format!("c{i}"))
        ),
        [],
        |row| row.get(0),
    )?;
    Ok(p)
}

fn load_json_rows(r: &mut Reader<'_>) -> ReadResult {
    let (keys, bad) = stage_json_objects(r)?;
    let zeek = zeek_path_of(r, &keys)?;
    let header: Vec<String> = keys.clone();
    let (table, mapping) = resolve_table(r, &header, zeek.as_deref())?;
    let counts = finish(
        r,
        &header,
        &table,
        mapping.as_deref(),
        "__line",
        Some("__raw"),
    )?;
    Ok((table, counts, bad))
}

fn load_json_array(r: &mut Reader<'_>) -> ReadResult {
    let path = r.source.plain_path()?;
    r.conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS temp.quarry_json;
         CREATE TEMP TABLE quarry_json AS
         SELECT CAST(row_number() OVER () AS BIGINT) AS __line, CAST(json AS VARCHAR) AS __raw
         FROM read_json_objects({}, format='array', maximum_object_size=268435456);",
        lit(&path.display().to_string())
    ))?;
    r.progress.add(r.source.size);
    load_json_rows(r)
}

fn load_ndjson(r: &mut Reader<'_>) -> ReadResult {
    {
        let mut sink = StageSink::new(r.conn, Vec::new(), true)?;
        let mut reader = std::io::BufReader::with_capacity(1 << 20, r.source.reader()?);
        let mut buf = Vec::new();
        let mut line_no = 0u64;
        loop {
            buf.clear();
            let n = reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| IngestError::Invalid(format!("{}: {e}", r.source.display())))?;
            if n == 0 {
                break;
            }
            line_no += 1;
            r.progress.add(n as u64);
            let text = String::from_utf8_lossy(&buf);
            let line = text.trim_end_matches(['\n', '\r']);
            if line.trim().is_empty() {
                continue;
            }
            sink.push(line_no, line, &[])?;
        }
        sink.flush()?;
    }
    r.conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS temp.quarry_json;
         ALTER TABLE temp.{STAGE} RENAME TO quarry_json;"
    ))?;
    load_json_rows(r)
}

/// Loads the first table of a Log Analytics query-API result
/// (`{"tables":[{"name":…,"columns":[{"name":…,"type":…}],"rows":[[…]]}]}`).
pub fn load_kusto_tables(r: &mut Reader<'_>) -> ReadResult {
    let mut input = String::new();
    std::io::Read::read_to_string(&mut r.source.reader()?, &mut input)
        .map_err(|e| IngestError::Invalid(format!("{}: {e}", r.source.display())))?;
    let doc: serde_json::Value = serde_json::from_str(&input).map_err(|e| {
        IngestError::Invalid(format!("{}: malformed JSON: {e}", r.source.display()))
    })?;
    let table = doc
        .get("tables")
        .and_then(|t| t.get(0))
        .ok_or_else(|| IngestError::Invalid(format!("{}: no tables", r.source.display())))?;
    let header: Vec<String> = table
        .get("columns")
        .and_then(serde_json::Value::as_array)
        .map(|cols| {
            cols.iter()
                .enumerate()
                .map(|(i, c)| {
                    let name = c
                        .get("name")
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or("");
                    normalise_header(name, i)
                })
                .collect()
        })
        .unwrap_or_default();
    let (target, mapping) = resolve_table(r, &header, None)?;
    let names: Vec<String> = (0..header.len()).map(|i| format!("c{i}")).collect();
    let mut sink = StageSink::new(r.conn, names, true)?;
    let rows = table
        .get("rows")
        .and_then(serde_json::Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<Option<String>> = match row.as_array() {
            Some(cells) => cells
                .iter()
                .map(|v| match v {
                    serde_json::Value::Null => None,
                    serde_json::Value::String(s) => Some(s.clone()),
                    other => Some(other.to_string()),
                })
                .collect(),
            None => vec![None; header.len()],
        };
        let refs: Vec<Option<&str>> = cells.iter().map(|c| c.as_deref()).collect();
        sink.push(i as u64 + 1, &row.to_string(), &refs)?;
    }
    sink.flush()?;
    r.progress.add(r.source.size);
    let counts = finish(
        r,
        &header,
        &target,
        mapping.as_deref(),
        "__line",
        Some("__raw"),
    )?;
    Ok((target, counts, 0))
}

fn load_parquet(r: &mut Reader<'_>) -> ReadResult {
    let path = lit(&r.source.plain_path()?.display().to_string());
    let mut stmt = r
        .conn
        .prepare(&format!("DESCRIBE SELECT * FROM read_parquet({path})"))?;
    let described: Vec<(String, String)> = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<duckdb::Result<_>>()?;
    let header: Vec<String> = described.iter().map(|(n, _)| n.clone()).collect();
    let (table, mapping) = resolve_table(r, &header, None)?;
    let cols: Vec<String> = described
        .iter()
        .enumerate()
        .map(|(i, (name, ty))| {
            let nested = ty.ends_with(']') || ty.starts_with("STRUCT") || ty.starts_with("MAP");
            let value = if nested {
                format!("CAST(to_json({}) AS VARCHAR)", ident(name))
            } else if ty.starts_with("TIMESTAMP") {
                format!(
                    "strftime(CAST({} AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%f')",
                    ident(name)
                )
            } else {
                format!("CAST({} AS VARCHAR)", ident(name))
            };
            format!("{value} AS {}", ident(&format!("c{i}")))
        })
        .collect();
    r.conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS temp.{STAGE};
         CREATE TEMP TABLE {STAGE} AS SELECT {} FROM read_parquet({path});",
        if cols.is_empty() {
            "1 AS c".to_string()
        } else {
            cols.join(", ")
        }
    ))?;
    r.progress.add(r.source.size);
    let counts = finish(r, &header, &table, mapping.as_deref(), "rowid + 1", None)?;
    Ok((table, counts, 0))
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

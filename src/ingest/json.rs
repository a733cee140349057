//! JSON exports: arrays of objects (read_json_objects), NDJSON (lines streamed into the
//! stage, then parsed by DuckDB's JSON functions) and Log Analytics query-API results.

use std::io::BufRead;

use duckdb::OptionalExt;

use super::commit::{Rows, STAGE};
use super::exports::{finish, normalise_header, resolve_table};
use super::load::{ReadResult, Reader};
use super::sink::StageSink;
use super::sql::{ident, lit};
use super::IngestError;

/// The JSON objects held in `quarry_json(__line, __raw)`, as a query the commit reads: one
/// text column per key (`c0..cN`), with each row's `__line` (also its `rowid`) and `__raw`.
/// Rows that are not objects are recorded as rejects and left out first. Returns the keys in
/// order of first appearance, the query, and the rows rejected.
fn json_objects(r: &Reader<'_>) -> Result<(Vec<String>, String, u64), IngestError> {
    let conn = r.conn;
    // Valid JSON whose first character is `{` is an object: one parse instead of two.
    let opens = "starts_with(ltrim(__raw, ' \t\r\n'), '{')";
    let object = format!("coalesce({opens} AND json_valid(__raw), false)");
    // One scan lists the keys in order of first appearance and counts the rows that are not
    // objects, under a NULL key (a key of an object is never NULL). `try` makes the keys of
    // malformed JSON NULL, so each object is parsed once, not also by `json_valid`.
    let mut stmt = conn.prepare(&format!(
        "SELECT k, count(*) FROM (
           SELECT unnest(coalesce(CASE WHEN {opens} THEN try(json_keys(__raw)) END, [NULL])) AS k,
                  __line
           FROM temp.quarry_json)
         GROUP BY k ORDER BY min(__line), k"
    ))?;
    let mut keys = Vec::new();
    let mut bad = 0;
    for row in stmt.query_map([], |row| {
        Ok((row.get::<_, Option<String>>(0)?, row.get::<_, i64>(1)?))
    })? {
        match row? {
            (Some(key), _) => keys.push(key),
            (None, n) => bad = n,
        }
    }
    // Rows that are not JSON objects are rejected as they are.
    if bad > 0 {
        conn.execute(
            &format!(
                "INSERT INTO quarry_rejects (source_sha256, path, line, raw, reason)
                 SELECT ?, ?, __line, __raw, CASE WHEN json_valid(__raw) THEN 'not a JSON object'
                                                  ELSE 'malformed JSON' END
                 FROM temp.quarry_json WHERE NOT {object}"
            ),
            duckdb::params![r.source.sha256, r.path_text],
        )?;
        conn.execute_batch(&format!("DELETE FROM temp.quarry_json WHERE NOT {object}"))?;
    }
    let query = if keys.is_empty() {
        "(SELECT __line AS rowid, __line, __raw FROM temp.quarry_json)".to_string()
    } else {
        let cols: Vec<String> = (0..keys.len())
            .map(|i| format!("__v[{}] AS {}", i + 1, ident(&format!("c{i}"))))
            .collect();
        format!(
            "(SELECT __line AS rowid, __line, __raw, {} FROM (
                SELECT __line, __raw, json_extract_string(__raw, [{}]) AS __v FROM temp.quarry_json))",
            cols.join(", "),
            keys.iter().map(|k| lit(&key_path(k))).collect::<Vec<_>>().join(", ")
        )
    };
    Ok((keys, query, u64::try_from(bad).unwrap_or(0)))
}

/// The JSON path of a top-level key.
fn key_path(key: &str) -> String {
    format!("$.\"{}\"", key.replace('"', "\\\""))
}

/// The Zeek `_path` of the JSON rows, when they carry one.
fn zeek_path_of(r: &Reader<'_>, keys: &[String]) -> Result<Option<String>, IngestError> {
    if !keys.iter().any(|k| k == "_path") {
        return Ok(None);
    }
    let path = lit(&key_path("_path"));
    let p: Option<String> = r
        .conn
        .query_row(
            &format!(
                "SELECT json_extract_string(__raw, {path}) AS p FROM temp.quarry_json
                 WHERE p IS NOT NULL LIMIT 1"
            ),
            [],
            |row| row.get(0),
        )
        .optional()?;
    Ok(p)
}

fn load_json_rows(r: &mut Reader<'_>) -> ReadResult {
    let (keys, query, bad) = json_objects(r)?;
    let zeek = zeek_path_of(r, &keys)?;
    let (table, mapping) = resolve_table(r, &keys, zeek.as_deref())?;
    let counts = finish(
        r,
        &keys,
        &table,
        mapping.as_deref(),
        "__line",
        Some("__raw"),
        Rows::Numbered(query),
    )?;
    r.conn
        .execute_batch("DROP TABLE IF EXISTS temp.quarry_json")?;
    Ok((table, counts, bad))
}

/// Loads a JSON array of objects.
pub fn load_json_array(r: &mut Reader<'_>) -> ReadResult {
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

/// Loads NDJSON (one object per line; blank lines are not rows).
pub fn load_ndjson(r: &mut Reader<'_>) -> ReadResult {
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
        Rows::Stage,
    )?;
    Ok((target, counts, 0))
}

//! Parquet exports, read with read_parquet; nested values are kept as JSON text.

use super::commit::{line_of_row, STAGE};
use super::exports::{finish, resolve_table};
use super::load::{ReadResult, Reader};
use super::sql::{ident, lit};

/// Loads a Parquet export into its table.
pub fn load_parquet(r: &mut Reader<'_>) -> ReadResult {
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
    let counts = finish(
        r,
        &header,
        &table,
        mapping.as_deref(),
        &line_of_row(0),
        None,
    )?;
    Ok((table, counts, 0))
}

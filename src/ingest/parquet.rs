//! Parquet exports, read with read_parquet; nested values are kept as JSON text.

use super::commit::Rows;
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
    // Values are staged typed (the commit casts them to the table's types only where those
    // differ), in one of quarry's column types; nested values become JSON text.
    let cols: Vec<String> = described
        .iter()
        .enumerate()
        .map(|(i, (name, ty))| {
            let x = ident(name);
            let value = match stage_type(ty) {
                _ if is_nested(ty) => format!("CAST(to_json({x}) AS VARCHAR)"),
                Some(t) => format!("CAST({x} AS {t})"),
                None => format!("CAST({x} AS VARCHAR)"),
            };
            format!("{value} AS {}", ident(&format!("c{i}")))
        })
        .collect();
    // Converted straight from the file, with no staging table: the row count is in the
    // file's metadata, and rejects (a value the table's type cannot hold) are found by
    // reading it again, by row number, only when some row was held back.
    let from = format!(
        "(SELECT {}, file_row_number AS rowid FROM read_parquet({path}, file_row_number = true))",
        if cols.is_empty() {
            "1 AS c".to_string()
        } else {
            cols.join(", ")
        }
    );
    r.progress.add(r.source.size);
    let counts = finish(
        r,
        &header,
        &table,
        mapping.as_deref(),
        "(rowid + 1)",
        None,
        Rows::Numbered(from),
    )?;
    Ok((table, counts, 0))
}

fn is_nested(ty: &str) -> bool {
    ty.ends_with(']') || ty.starts_with("STRUCT") || ty.starts_with("MAP")
}

/// The quarry column type a Parquet column of DuckDB type `ty` is staged as; `None` for
/// types staged as text.
fn stage_type(ty: &str) -> Option<&'static str> {
    match ty {
        "BOOLEAN" => Some("BOOLEAN"),
        "TINYINT" | "SMALLINT" | "INTEGER" | "BIGINT" | "UTINYINT" | "USMALLINT" | "UINTEGER" => {
            Some("BIGINT")
        }
        "FLOAT" | "DOUBLE" => Some("DOUBLE"),
        "VARCHAR" => Some("VARCHAR"),
        _ if ty.starts_with("DECIMAL") => Some("DOUBLE"),
        _ if ty.starts_with("TIMESTAMP") || ty == "DATE" => Some("TIMESTAMP"),
        _ => None,
    }
}

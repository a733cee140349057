//! A hunt's hits kept in a temporary table, so the workbench reads them a page at a time,
//! filtered and sorted by DuckDB, instead of holding every hit in memory.

use duckdb::Connection;
use serde_json::Value;

use super::run::json_rows;
use crate::engine::planned;
use crate::kql::functions::{quote_ident, quote_str};
use crate::kql::{json_columns, ColumnDef};

/// A result of at most this many hits comes to the workbench whole (it filters and sorts
/// it itself); a larger one comes as its first this-many rows and the rest on request.
pub const FIRST_PAGE: usize = 1000;

/// Which rows of a kept result to read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageQuery {
    /// Only rows with a cell containing this text, case-insensitive.
    pub filter: String,
    /// Sort column (index into the result's columns) and descending flag; `None` keeps the
    /// hunt's own order.
    pub sort: Option<(usize, bool)>,
    /// Rows to skip.
    pub offset: usize,
    /// Rows to read.
    pub limit: usize,
}

/// Rows of a kept result, as the workbench shows them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// Position of the first row among the rows that pass the filter.
    pub start: usize,
    /// The rows as JSON objects.
    pub rows: Vec<Value>,
    /// How many rows pass the filter.
    pub total: usize,
}

/// The temporary table that keeps the latest hits of hunt `id`.
pub fn table_for(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("quarry_hits_{safe}")
}

/// Keeps the rows of `sql`, in its order, in the temporary table `table` (planned once, see
/// [`planned`]); returns how many.
pub fn keep(conn: &Connection, sql: &str, table: &str) -> anyhow::Result<usize> {
    planned::into_temp(conn, sql, table)?;
    let name = quote_ident(table);
    let n: i64 = conn.query_row(&format!("SELECT count(*) FROM temp.{name}"), [], |r| {
        r.get(0)
    })?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The SQL for the first `limit` rows of a kept result, in the hunt's order.
pub fn first_rows(table: &str, limit: usize) -> String {
    format!(
        "SELECT * FROM temp.{} ORDER BY rowid LIMIT {limit}",
        quote_ident(table)
    )
}

/// Reads one page of the kept result in `table`, whose columns are `columns`.
pub fn read(
    conn: &Connection,
    table: &str,
    columns: &[ColumnDef],
    query: &PageQuery,
) -> anyhow::Result<Page> {
    let name = quote_ident(table);
    let needle = query.filter.to_lowercase();
    let filter = if needle.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", containing(columns, &[needle]))
    };
    let order = match query
        .sort
        .and_then(|(i, desc)| Some((columns.get(i)?, desc)))
    {
        Some((c, desc)) => format!(
            "ORDER BY {} {} NULLS LAST, rowid",
            quote_ident(&c.name),
            if desc { "DESC" } else { "ASC" }
        ),
        None => "ORDER BY rowid".into(),
    };
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM temp.{name} {filter}"),
        [],
        |r| r.get(0),
    )?;
    let sql = format!(
        "SELECT * FROM temp.{name} {filter} {order} LIMIT {} OFFSET {}",
        query.limit, query.offset
    );
    Ok(Page {
        start: query.offset,
        rows: json_rows(conn, &sql, &json_columns(columns))?,
        total: usize::try_from(total).unwrap_or(0),
    })
}

/// Every row of the kept result in `table` with a cell whose lower-cased text contains one
/// of `needles` (lower-case), with its position (1-based) in the hunt's order.
pub fn rows_containing(
    conn: &Connection,
    table: &str,
    columns: &[ColumnDef],
    needles: &[String],
) -> anyhow::Result<Vec<(usize, Value)>> {
    const POSITION: &str = "__quarry_position";
    let sql = format!(
        "SELECT * FROM (SELECT *, row_number() OVER (ORDER BY rowid) AS {POSITION}
                        FROM temp.{}) WHERE {} ORDER BY {POSITION}",
        quote_ident(table),
        containing(columns, needles)
    );
    let rows = json_rows(conn, &sql, &json_columns(columns))?;
    Ok(rows
        .into_iter()
        .filter_map(|mut row| {
            let position = row.as_object_mut()?.remove(POSITION)?.as_u64()?;
            Some((usize::try_from(position).ok()?, row))
        })
        .collect())
}

/// SQL true for a row with a cell whose lower-cased text contains one of `needles`.
fn containing(columns: &[ColumnDef], needles: &[String]) -> String {
    let mut any = Vec::new();
    for c in columns {
        for needle in needles {
            any.push(format!(
                "contains(lower(CAST({} AS VARCHAR)), {})",
                quote_ident(&c.name),
                quote_str(needle)
            ));
        }
    }
    if any.is_empty() {
        return "false".into();
    }
    format!("coalesce({}, false)", any.join(" OR "))
}

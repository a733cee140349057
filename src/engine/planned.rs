//! Running a query so that DuckDB plans it once. DuckDB 2.0 plans a prepared statement that
//! reads a table again when it executes, so `prepare` then `query` plans it twice; a
//! statement run directly is planned once. Planning a hunt over the NetworkSessions view
//! takes 10–25 ms, so hunts, drill-downs and the compiler's probes run straight into a
//! temporary table and read it back, which costs a scan of their (small) result.

use duckdb::Connection;

use crate::kql::functions::quote_ident;

/// The temporary table [`read_once`] keeps a result in while it is read.
const ROWS: &str = "quarry_planned_rows";

/// Runs the query `sql` into the temporary table `table` (replacing it), planned once; the
/// rows keep the query's order as their `rowid` order.
pub fn into_temp(conn: &Connection, sql: &str, table: &str) -> duckdb::Result<()> {
    conn.execute_batch(&format!(
        "CREATE OR REPLACE TEMP TABLE {} AS SELECT * FROM ({sql})",
        quote_ident(table)
    ))
}

/// Runs the query `sql` planned once, then hands `read` a query over its rows in order;
/// the rows are dropped afterwards, whatever `read` returns.
pub fn read_once<T, E: From<duckdb::Error>>(
    conn: &Connection,
    sql: &str,
    read: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, E> {
    into_temp(conn, sql, ROWS)?;
    let name = quote_ident(ROWS);
    let value = read(&format!("SELECT * FROM temp.{name} ORDER BY rowid"));
    let dropped = conn.execute_batch(&format!("DROP TABLE IF EXISTS temp.{name}"));
    let value = value?;
    dropped?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables_left(conn: &Connection) -> i64 {
        conn.query_row(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'quarry_planned_rows'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn rows_come_back_in_the_query_order_and_the_table_goes() {
        let conn = Connection::open_in_memory().unwrap();
        let sql = "SELECT * FROM range(5000) t(n) ORDER BY n DESC";
        let firsts: Vec<i64> = read_once(&conn, sql, |q| -> duckdb::Result<Vec<i64>> {
            let mut stmt = conn.prepare(&format!("{q} LIMIT 3"))?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect()
        })
        .unwrap();
        assert_eq!(firsts, vec![4999, 4998, 4997]);
        assert_eq!(tables_left(&conn), 0);
    }

    #[test]
    fn a_failing_reader_still_drops_the_rows_and_a_bad_query_is_an_error() {
        let conn = Connection::open_in_memory().unwrap();
        let failed: duckdb::Result<()> = read_once(&conn, "SELECT 1 AS x", |_| {
            Err(duckdb::Error::QueryReturnedNoRows)
        });
        assert!(failed.is_err());
        assert_eq!(tables_left(&conn), 0);
        let bad: duckdb::Result<()> = read_once(&conn, "SELECT nope", |_| Ok(()));
        assert!(bad.unwrap_err().to_string().contains("nope"));
    }
}

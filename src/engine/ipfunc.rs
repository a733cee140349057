//! Kusto's IP functions as DuckDB scalar functions (written by the ipfunc helper).

use duckdb::Connection;

/// Registers every IP function on `conn` (and so on its clones).
pub fn register(_conn: &Connection) -> duckdb::Result<()> {
    Ok(())
}

//! How a loaded table is stored: its rows in schema `loaded`, with only the columns some
//! file gave a value, and a view of the same name in `main` with the table's whole schema
//! (a Sentinel table's every column, NULL where nothing was loaded). Hunts, the catalog and
//! the time window see the view; loads write the table. DuckDB writes and compresses every
//! column of every row it appends, so a CEF load into CommonSecurityLog's 157 columns, of
//! which a firewall fills twenty, spent most of its time writing NULLs.

use std::collections::{BTreeMap, BTreeSet};

use duckdb::{Connection, OptionalExt};

use crate::kql::functions::{quote_ident, quote_str};

use super::Result;

/// The schema that holds the loaded rows.
pub const SCHEMA: &str = "loaded";

/// A table's columns as (name, DuckDB type), in order.
pub type Columns = Vec<(String, String)>;

/// The real name and columns of the stored table `table` (any case), or None when nothing
/// was loaded into it.
pub fn stored_columns(conn: &Connection, table: &str) -> Result<Option<(String, Columns)>> {
    let name: Option<String> = conn
        .query_row(
            "SELECT table_name FROM duckdb_tables()
             WHERE database_name = current_database() AND schema_name = ?
               AND lower(table_name) = lower(?)
             ORDER BY table_name LIMIT 1",
            [SCHEMA, table],
            |r| r.get(0),
        )
        .optional()?;
    let Some(name) = name else {
        return Ok(None);
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT name, type FROM pragma_table_info({}) ORDER BY cid",
        quote_str(&qualified(&name))
    ))?;
    let cols = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<duckdb::Result<Columns>>()?;
    Ok(Some((name, cols)))
}

/// `loaded."name"`.
pub fn qualified(name: &str) -> String {
    format!("{SCHEMA}.{}", quote_ident(name))
}

/// The names of the stored tables.
pub fn stored_tables(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT table_name FROM duckdb_tables()
         WHERE database_name = current_database() AND schema_name = ?
         ORDER BY table_name",
    )?;
    let names = stmt
        .query_map([SCHEMA], |r| r.get::<_, String>(0))?
        .collect::<duckdb::Result<Vec<_>>>()?;
    Ok(names)
}

/// Every stored table with the names of its columns.
pub fn stored_column_names(conn: &Connection) -> Result<BTreeMap<String, BTreeSet<String>>> {
    let mut stmt = conn.prepare(
        "SELECT table_name, column_name FROM duckdb_columns()
         WHERE database_name = current_database() AND schema_name = ?",
    )?;
    let mut tables: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in stmt.query_map([SCHEMA], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })? {
        let (table, column) = row?;
        tables.entry(table).or_default().insert(column);
    }
    Ok(tables)
}

/// Makes the stored table `name` hold at least the columns `filled`, then (re)creates the
/// view `name` in `main` with `schema`'s columns in order: the stored column where there is
/// one, else a typed NULL. `schema` must list every stored column.
pub fn store(conn: &Connection, name: &str, schema: &Columns, filled: &[String]) -> Result<()> {
    let type_of = |c: &str| {
        schema
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(c))
            .map_or("VARCHAR", |(_, t)| t.as_str())
    };
    let mut sql = String::new();
    let stored: Vec<String> = match stored_columns(conn, name)? {
        Some((_, existing)) => {
            let mut names: Vec<String> = existing.into_iter().map(|(c, _)| c).collect();
            for c in filled {
                if !names.iter().any(|n| n.eq_ignore_ascii_case(c)) {
                    sql.push_str(&format!(
                        "ALTER TABLE {} ADD COLUMN {} {};\n",
                        qualified(name),
                        quote_ident(c),
                        type_of(c)
                    ));
                    names.push(c.clone());
                }
            }
            names
        }
        None => {
            let cols: Vec<String> = filled
                .iter()
                .map(|c| format!("{} {}", quote_ident(c), type_of(c)))
                .collect();
            sql.push_str(&format!(
                "CREATE SCHEMA IF NOT EXISTS {SCHEMA};\nCREATE TABLE {} ({});\n",
                qualified(name),
                cols.join(", ")
            ));
            filled.to_vec()
        }
    };
    let select: Vec<String> = schema
        .iter()
        .map(|(c, ty)| {
            if stored.iter().any(|s| s.eq_ignore_ascii_case(c)) {
                quote_ident(c)
            } else {
                format!("CAST(NULL AS {ty}) AS {}", quote_ident(c))
            }
        })
        .collect();
    sql.push_str(&format!(
        "CREATE OR REPLACE VIEW main.{} AS SELECT {} FROM {};",
        quote_ident(name),
        select.join(", "),
        qualified(name)
    ));
    conn.execute_batch(&sql)?;
    Ok(())
}

/// The `quarry_meta` key that records the case has this layout.
const LAYOUT_KEY: &str = "table_layout";

/// Moves the tables an earlier quarry loaded straight into `main` (every base table there
/// but quarry's own and the watchlists) into [`SCHEMA`], each behind a view of its name.
/// Done once per case: a table someone creates in `main` later stays where it is.
pub fn migrate(conn: &Connection) -> Result<()> {
    if super::meta::get(conn, LAYOUT_KEY)?.is_some() {
        return Ok(());
    }
    move_main_tables(conn)?;
    super::meta::put(conn, LAYOUT_KEY, Some(SCHEMA))
}

/// The move [`migrate`] makes, in one transaction.
fn move_main_tables(conn: &Connection) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT table_name FROM duckdb_tables()
         WHERE database_name = current_database() AND schema_name = 'main'
           AND NOT starts_with(table_name, 'quarry_') AND NOT starts_with(table_name, 'watchlist__')
         ORDER BY table_name",
    )?;
    let old = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<duckdb::Result<Vec<_>>>()?;
    if old.is_empty() {
        return Ok(());
    }
    let mut sql = format!("BEGIN; CREATE SCHEMA IF NOT EXISTS {SCHEMA};\n");
    for name in &old {
        let q = quote_ident(name);
        sql.push_str(&format!(
            "CREATE TABLE {stored} AS SELECT * FROM main.{q};
             DROP TABLE main.{q};
             CREATE VIEW main.{q} AS SELECT * FROM {stored};\n",
            stored = qualified(name)
        ));
    }
    sql.push_str("COMMIT;");
    if let Err(e) = conn.execute_batch(&sql) {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(e.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn the_view_has_the_schema_and_the_table_only_what_was_filled() {
        let conn = Connection::open_in_memory().unwrap();
        let schema: Columns = vec![
            ("A".into(), "VARCHAR".into()),
            ("B".into(), "INTEGER".into()),
            ("C".into(), "VARCHAR".into()),
        ];
        store(&conn, "T", &schema, &["B".into()]).unwrap();
        conn.execute_batch("INSERT INTO loaded.T (B) VALUES (7)")
            .unwrap();
        let (_, stored) = stored_columns(&conn, "t").unwrap().unwrap();
        assert_eq!(stored, vec![("B".to_string(), "INTEGER".to_string())]);
        assert_eq!(
            count(&conn, "SELECT B FROM main.T WHERE A IS NULL AND C IS NULL"),
            7
        );
        // A later load fills C: the table grows a column, the view reads it.
        store(&conn, "T", &schema, &["C".into(), "B".into()]).unwrap();
        conn.execute_batch("INSERT INTO loaded.T (B, C) VALUES (8, 'x')")
            .unwrap();
        assert_eq!(count(&conn, "SELECT B FROM T WHERE C = 'x'"), 8);
        let types: Vec<String> = conn
            .prepare("SELECT data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = 'T' ORDER BY ordinal_position")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<duckdb::Result<_>>()
            .unwrap();
        assert_eq!(types, ["VARCHAR", "INTEGER", "VARCHAR"]);
        assert_eq!(stored_tables(&conn).unwrap(), ["T"]);
    }

    #[test]
    fn tables_of_an_earlier_layout_move_behind_views() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE Event (TimeGenerated TIMESTAMP, Computer VARCHAR);
             INSERT INTO Event VALUES ('2025-01-01', 'a'), ('2025-01-02', 'b');
             CREATE TABLE quarry_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
             CREATE TABLE watchlist__x (k VARCHAR);",
        )
        .unwrap();
        migrate(&conn).unwrap();
        assert_eq!(stored_tables(&conn).unwrap(), ["Event"]);
        assert_eq!(count(&conn, "SELECT count(*) FROM main.Event"), 2);
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM duckdb_views() WHERE view_name = 'Event'"
            ),
            1
        );
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main'"
            ),
            2
        );
        conn.execute_batch("CREATE TABLE Later (x INTEGER)")
            .unwrap();
        migrate(&conn).unwrap();
        assert_eq!(count(&conn, "SELECT count(*) FROM Event"), 2);
        assert_eq!(stored_tables(&conn).unwrap(), ["Event"]);
    }
}

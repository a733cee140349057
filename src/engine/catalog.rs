//! Reads the case's schema into the catalog the KQL compiler works from.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use chrono::{Duration, Utc};

use super::{Case, Result};
use crate::kql::{Catalog, ColumnDef, KqlType, StoredTable, WatchlistDef};

/// Maps a DuckDB column type name to the KQL type a query sees.
pub fn kql_type(duck: &str) -> KqlType {
    let t = duck.to_ascii_uppercase();
    match t.as_str() {
        "BOOLEAN" => KqlType::Bool,
        "TINYINT" | "SMALLINT" | "INTEGER" | "UTINYINT" | "USMALLINT" => KqlType::Int,
        "BIGINT" | "UINTEGER" | "UBIGINT" | "HUGEINT" => KqlType::Long,
        "DOUBLE" | "FLOAT" | "REAL" => KqlType::Real,
        "INTERVAL" => KqlType::TimeSpan,
        "UUID" => KqlType::Guid,
        "JSON" => KqlType::Dynamic,
        _ if t.starts_with("DECIMAL") => KqlType::Decimal,
        _ if t.starts_with("TIMESTAMP") || t == "DATE" => KqlType::DateTime,
        _ if t.ends_with("[]") || t.starts_with("STRUCT") || t.starts_with("MAP") => {
            KqlType::Dynamic
        }
        _ => KqlType::String,
    }
}

/// Builds the catalog: every table and view, the watchlists, the clock and time window.
pub fn build(case: &Case) -> Result<Catalog> {
    let conn = case.conn();
    let mut stmt = conn.prepare(
        "SELECT table_name, column_name, data_type FROM information_schema.columns
         WHERE table_schema = 'main' AND table_catalog = current_database()
         ORDER BY table_name, ordinal_position",
    )?;
    let mut tables: BTreeMap<String, Vec<ColumnDef>> = BTreeMap::new();
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (table, name, ty) = row?;
        tables.entry(table).or_default().push(ColumnDef {
            name,
            ty: kql_type(&ty),
        });
    }
    let mut watchlists = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT name, table_name FROM quarry_watchlists ORDER BY name")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (name, table) = row?;
        let columns = tables.get(&table).cloned().unwrap_or_default();
        watchlists.insert(name, WatchlistDef { table, columns });
    }
    // A window narrows the views (temporary views of the same names), so while one is set
    // every query reads through them.
    let mut stored = BTreeMap::new();
    if case.window().is_all() {
        for (table, columns) in super::stored::stored_column_names(conn)? {
            if tables.contains_key(&table) {
                let relation = super::stored::qualified(&table);
                stored.insert(table, StoredTable { relation, columns });
            }
        }
    }
    let now = case.clock()?.unwrap_or_else(|| Utc::now().naive_utc());
    Ok(Catalog {
        tables,
        watchlists,
        stored,
        now,
        window: (
            case.window().from.unwrap_or(now - Duration::hours(24)),
            case.window().to.unwrap_or(now),
        ),
        externaldata_dir: case.externaldata_dir(),
        probe: Some(std::sync::Arc::new(ConnProbe {
            conn: Mutex::new(case.query_conn()?),
            answers: Mutex::new(HashMap::new()),
        })),
    })
}

/// Runs the compiler's probe queries on a clone of the case connection, and keeps each
/// query's answer: a catalog is built again whenever the case's data changes, while a hunt is
/// compiled again at every run (hunt 09's probes read the XML of every Sysmon event).
struct ConnProbe {
    conn: Mutex<duckdb::Connection>,
    answers: Mutex<HashMap<String, Vec<String>>>,
}

/// The error of a lock another thread panicked while holding.
fn poisoned<T>(_: T) -> String {
    "the probe connection is poisoned".to_string()
}

impl crate::kql::Probe for ConnProbe {
    fn run(&self, sql: &str) -> std::result::Result<Vec<String>, String> {
        if let Some(known) = self.answers.lock().map_err(poisoned)?.get(sql) {
            return Ok(known.clone());
        }
        let conn = self.conn.lock().map_err(poisoned)?;
        let values = super::planned::read_once(&conn, sql, |rows| {
            let mut stmt = conn.prepare(rows)?;
            let values = stmt.query_map([], |r| r.get::<_, Option<String>>(0))?;
            values
                .filter_map(|v| v.transpose())
                .collect::<duckdb::Result<Vec<String>>>()
        })
        .map_err(|e: duckdb::Error| e.to_string())?;
        self.answers
            .lock()
            .map_err(poisoned)?
            .insert(sql.to_string(), values.clone());
        Ok(values)
    }
}

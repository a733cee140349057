//! `quarry tables`: what the case holds.

use serde::Serialize;

use super::CaseArgs;
use crate::engine::Case;

/// Arguments of `quarry tables`.
#[derive(Debug, clap::Args)]
pub struct TablesArgs {
    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Include quarry's own bookkeeping tables.
    #[arg(long)]
    pub all: bool,
}

/// One table or view of the case.
#[derive(Debug, Serialize)]
pub struct TableInfo {
    /// Table or view name.
    pub name: String,
    /// "table" or "view".
    pub kind: String,
    /// Number of rows.
    pub rows: i64,
    /// Number of columns.
    pub columns: i64,
    /// Files loaded into it.
    pub sources: Vec<String>,
}

/// Lists the tables and views of a case, user tables first.
pub fn list(case: &Case, all: bool) -> anyhow::Result<Vec<TableInfo>> {
    let conn = case.conn();
    let mut stmt = conn.prepare(
        "SELECT t.table_name, CASE WHEN t.table_type = 'VIEW' THEN 'view' ELSE 'table' END,
                (SELECT count(*) FROM information_schema.columns c
                  WHERE c.table_name = t.table_name AND c.table_schema = 'main'
                    AND c.table_catalog = t.table_catalog)
         FROM information_schema.tables t
         WHERE t.table_schema = 'main' AND t.table_catalog = current_database()
         ORDER BY t.table_type, t.table_name",
    )?;
    let found: Vec<(String, String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<duckdb::Result<_>>()?;
    // A loaded table is a view of its whole schema over the columns stored.
    let stored = crate::engine::stored::stored_tables(conn)?;
    let mut tables = Vec::new();
    for (name, kind, columns) in found {
        let kind = if stored.contains(&name) {
            "table".to_string()
        } else {
            kind
        };
        if !all && (name.starts_with("quarry_") || name.starts_with("watchlist__")) {
            continue;
        }
        let quoted = name.replace('"', "\"\"");
        let rows: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{quoted}\""), [], |r| {
            r.get(0)
        })?;
        let mut stmt =
            conn.prepare("SELECT path FROM quarry_sources WHERE target_table = ? ORDER BY path")?;
        let sources = stmt
            .query_map([&name], |r| r.get(0))?
            .collect::<duckdb::Result<Vec<String>>>()?;
        tables.push(TableInfo {
            name,
            kind,
            rows,
            columns,
            sources,
        });
    }
    // Tables first, then views, each by name (the query sorted them by name).
    tables.sort_by_key(|t| t.kind != "table");
    Ok(tables)
}

/// Runs `quarry tables`.
pub fn run(case: &CaseArgs, args: &TablesArgs) -> anyhow::Result<()> {
    let case = case.open_sandboxed()?;
    let tables = list(&case, args.all)?;
    if args.json {
        let json = serde_json::to_string_pretty(&tables)?;
        println!("{}", crate::sanitize::json_for_terminal(&json));
        return Ok(());
    }
    if tables.is_empty() {
        println!("the case is empty: load logs with `quarry load PATH`");
        return Ok(());
    }
    let width = tables
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(4)
        .max(5);
    println!(
        "{:<width$}  {:<5}  {:>10}  {:>7}  sources",
        "name", "kind", "rows", "columns"
    );
    for t in &tables {
        let sources = if t.sources.len() > 3 {
            format!(
                "{} and {} more",
                t.sources[..3].join(", "),
                t.sources.len() - 3
            )
        } else {
            t.sources.join(", ")
        };
        println!(
            "{:<width$}  {:<5}  {:>10}  {:>7}  {}",
            crate::sanitize::for_terminal(&t.name),
            t.kind,
            t.rows,
            t.columns,
            crate::sanitize::for_terminal(&sources)
        );
    }
    Ok(())
}

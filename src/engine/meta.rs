//! quarry's own bookkeeping tables inside a case, and the investigation clock.

use chrono::NaiveDateTime;
use duckdb::{params, Connection, OptionalExt};

use super::Result;
use crate::kql::functions::quote_ident;

/// How the investigation clock is printed and parsed (UTC, ISO 8601).
pub const CLOCK_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.fZ";

/// Where the investigation clock's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockSource {
    /// Pinned by the analyst (`quarry clock set`).
    Override,
    /// The latest event time loaded.
    Auto,
}

const DDL: &str = "
CREATE TABLE IF NOT EXISTS quarry_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS quarry_sources (
    sha256 VARCHAR PRIMARY KEY, path VARCHAR, format VARCHAR, target_table VARCHAR,
    rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT, loaded_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS quarry_rejects (
    source_sha256 VARCHAR, path VARCHAR, line BIGINT, raw VARCHAR, reason VARCHAR);
CREATE TABLE IF NOT EXISTS quarry_watchlists (
    name VARCHAR PRIMARY KEY, table_name VARCHAR, search_key VARCHAR, source VARCHAR);
";

/// Creates the bookkeeping tables if the case does not have them yet.
pub fn create_tables(conn: &Connection) -> Result<()> {
    conn.execute_batch(DDL)?;
    Ok(())
}

/// Reads a key of `quarry_meta`.
pub(super) fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT value FROM quarry_meta WHERE key = ?",
            params![key],
            |r| r.get(0),
        )
        .optional()?)
}

/// Writes (or with `None` deletes) a key of `quarry_meta`.
pub(super) fn put(conn: &Connection, key: &str, value: Option<&str>) -> Result<()> {
    conn.execute("DELETE FROM quarry_meta WHERE key = ?", params![key])?;
    if let Some(v) = value {
        conn.execute(
            "INSERT INTO quarry_meta (key, value) VALUES (?, ?)",
            params![key, v],
        )?;
    }
    Ok(())
}

fn parse_clock(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, CLOCK_FORMAT).ok()
}

/// The effective clock: the override if any, else the automatic one.
pub fn clock(conn: &Connection) -> Result<Option<(NaiveDateTime, ClockSource)>> {
    if let Some(t) = get(conn, "clock_override")?
        .as_deref()
        .and_then(parse_clock)
    {
        return Ok(Some((t, ClockSource::Override)));
    }
    Ok(get(conn, "clock_auto")?
        .as_deref()
        .and_then(parse_clock)
        .map(|t| (t, ClockSource::Auto)))
}

/// Pins or clears the clock override.
pub fn set_clock_override(conn: &Connection, at: Option<NaiveDateTime>) -> Result<()> {
    let text = at.map(|t| t.format(CLOCK_FORMAT).to_string());
    put(conn, "clock_override", text.as_deref())
}

/// Stores the latest `TimeGenerated` over all user tables as the automatic clock.
pub fn refresh_auto_clock(conn: &Connection) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT c.table_schema, c.table_name FROM information_schema.columns c
         JOIN information_schema.tables t USING (table_catalog, table_schema, table_name)
         WHERE c.column_name = 'TimeGenerated' AND t.table_type = 'BASE TABLE'
           AND c.table_schema IN ('main', ?) AND c.table_catalog = current_database()
           AND c.table_name <> 'ThreatIntelligenceIndicator'
           AND c.table_name NOT LIKE 'watchlist\\_\\_%' ESCAPE '\\'",
    )?;
    let tables: Vec<(String, String)> = stmt
        .query_map([super::stored::SCHEMA], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<duckdb::Result<_>>()?;
    let mut latest: Option<String> = None;
    if !tables.is_empty() {
        // Qualified: the clock reads every event, whatever time window this connection sees.
        let db: String = conn.query_row("SELECT current_database()", [], |r| r.get(0))?;
        let db = db.replace('"', "\"\"");
        let sql = tables
            .iter()
            .map(|(schema, table)| {
                format!(
                    "SELECT max(TimeGenerated)::TIMESTAMP AS t FROM \"{db}\".{}.{}",
                    quote_ident(schema),
                    quote_ident(table)
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        latest = conn.query_row(
            &format!("SELECT strftime(max(t), '%Y-%m-%dT%H:%M:%S.%fZ') FROM ({sql})"),
            [],
            |r| r.get(0),
        )?;
    }
    put(conn, "clock_auto", latest.as_deref())
}

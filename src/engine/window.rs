//! The case time window: a range of `TimeGenerated` that every hunt, pivot and console query
//! sees. It lives in the case (`quarry window set`), can be narrowed for one command
//! (`--from/--to`), and takes effect per connection: each event table and view with a
//! `TimeGenerated` column is shadowed by a temporary view of the same name holding only the
//! window's rows, so queries written against the plain names need no change.

use chrono::NaiveDateTime;
use duckdb::Connection;

use super::meta::{get, put, CLOCK_FORMAT};
use super::Result;
use crate::kql::functions::{quote_ident, quote_str};

/// A time window: `from` inclusive, `to` exclusive; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// The first instant inside the window.
    pub from: Option<NaiveDateTime>,
    /// The first instant after the window.
    pub to: Option<NaiveDateTime>,
}

impl Window {
    /// Whether the window lets everything through.
    pub fn is_all(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    /// This window with the ends `other` sets replacing its own.
    pub fn narrowed_by(self, other: Window) -> Window {
        Window {
            from: other.from.or(self.from),
            to: other.to.or(self.to),
        }
    }

    /// How the status bar and the report say it: `all time`, or `FROM .. TO` (open ends `…`).
    pub fn label(&self) -> String {
        if self.is_all() {
            return "all time".into();
        }
        let end = |t: Option<NaiveDateTime>| {
            t.map_or_else(|| "…".to_string(), |t| t.format(CLOCK_FORMAT).to_string())
        };
        format!("{} .. {}", end(self.from), end(self.to))
    }

    /// The SQL condition on `column` that keeps the window's rows (`TRUE` for all time).
    pub fn predicate(&self, column: &str) -> String {
        let mut parts = Vec::new();
        if let Some(f) = self.from {
            parts.push(format!("{column} >= {}", timestamp(f)));
        }
        if let Some(t) = self.to {
            parts.push(format!("{column} < {}", timestamp(t)));
        }
        if parts.is_empty() {
            "TRUE".into()
        } else {
            parts.join(" AND ")
        }
    }

    /// Checks that the window is not empty.
    pub fn validate(&self) -> std::result::Result<(), String> {
        match (self.from, self.to) {
            (Some(f), Some(t)) if f >= t => Err(format!(
                "the window's start {} is not before its end {}",
                f.format(CLOCK_FORMAT),
                t.format(CLOCK_FORMAT)
            )),
            _ => Ok(()),
        }
    }
}

fn timestamp(t: NaiveDateTime) -> String {
    format!(
        "CAST({} AS TIMESTAMP)",
        quote_str(&t.format("%Y-%m-%d %H:%M:%S%.f").to_string())
    )
}

/// The window stored in the case (all time when none is).
pub fn stored(conn: &Connection) -> Result<Window> {
    let read =
        |key: &str| -> Result<Option<NaiveDateTime>> {
            Ok(get(conn, key)?
                .and_then(|text| NaiveDateTime::parse_from_str(&text, CLOCK_FORMAT).ok()))
        };
    Ok(Window {
        from: read("window_from")?,
        to: read("window_to")?,
    })
}

/// Stores `window` in the case.
pub fn store(conn: &Connection, window: &Window) -> Result<()> {
    let text = |t: Option<NaiveDateTime>| t.map(|t| t.format(CLOCK_FORMAT).to_string());
    put(conn, "window_from", text(window.from).as_deref())?;
    put(conn, "window_to", text(window.to).as_deref())
}

/// The tables and views a window narrows: every one with a `TimeGenerated` column except
/// reference data (threat intelligence, watchlists) and quarry's own tables.
pub fn windowed_relations(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT table_name FROM information_schema.columns
         WHERE column_name = 'TimeGenerated' AND table_schema = 'main'
           AND table_catalog = current_database()
           AND table_name <> 'ThreatIntelligenceIndicator'
           AND table_name NOT LIKE 'watchlist\\_\\_%' ESCAPE '\\'
           AND table_name NOT LIKE 'quarry\\_%' ESCAPE '\\'
         ORDER BY table_name",
    )?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<duckdb::Result<Vec<_>>>()?;
    Ok(names)
}

/// Makes `conn` see only `window`'s rows of every windowed table and view (and everything
/// again for all time). Call it again after loads add tables.
pub fn apply(conn: &Connection, window: &Window) -> Result<()> {
    let mut stmt = conn.prepare("SELECT view_name FROM duckdb_views() WHERE temporary")?;
    let old = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<duckdb::Result<Vec<_>>>()?;
    for name in old {
        conn.execute_batch(&format!(
            "DROP VIEW IF EXISTS temp.main.{}",
            quote_ident(&name)
        ))?;
    }
    if window.is_all() {
        return Ok(());
    }
    let database: String = conn.query_row("SELECT current_database()", [], |r| r.get(0))?;
    for name in windowed_relations(conn)? {
        conn.execute_batch(&format!(
            "CREATE TEMP VIEW {view} AS SELECT * FROM {db}.main.{view} WHERE {keep}",
            view = quote_ident(&name),
            db = quote_ident(&database),
            keep = window.predicate("TimeGenerated"),
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").unwrap()
    }

    #[test]
    fn labels_predicates_and_checks() {
        let all = Window::default();
        assert!(all.is_all());
        assert_eq!(all.label(), "all time");
        assert_eq!(all.predicate("T"), "TRUE");
        let w = Window {
            from: Some(t("2025-11-19T00:00:00")),
            to: None,
        };
        assert_eq!(w.label(), "2025-11-19T00:00:00Z .. …");
        assert_eq!(
            w.predicate("T"),
            "T >= CAST('2025-11-19 00:00:00' AS TIMESTAMP)"
        );
        let narrowed = w.narrowed_by(Window {
            from: None,
            to: Some(t("2025-11-20T00:00:00")),
        });
        assert_eq!(narrowed.from, w.from);
        assert!(narrowed.validate().is_ok());
        let backwards = Window {
            from: narrowed.to,
            to: narrowed.from,
        };
        assert!(backwards.validate().is_err());
    }
}

//! The case database: one DuckDB file holding every loaded log, quarry's bookkeeping
//! tables, the investigation clock and the network functions hunts call.

mod catalog;
pub mod export;
pub mod extract;
pub mod hasterm;
pub mod ipfunc;
pub mod jsonitems;
pub mod jsontext;
mod meta;
mod once;
pub mod output;
pub mod planned;
pub mod stored;
pub mod textconv;
mod textmap;
pub mod urlhost;
pub mod value;
mod vectors;
pub mod window;
pub mod xmljson;

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use duckdb::{Config, Connection};

pub use meta::{ClockSource, CLOCK_FORMAT};
pub use window::Window;

/// Everything that can go wrong while opening or querying a case.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Another process (usually another quarry) holds the case file open.
    #[error("the case {path} is open in another process ({detail}); close it there or choose another case with --case/--db")]
    Locked {
        /// The case file.
        path: PathBuf,
        /// DuckDB's own words about the lock holder.
        detail: String,
    },
    /// An error reported by DuckDB.
    #[error("{0}")]
    Duck(#[from] duckdb::Error),
    /// A file-system error around the case file.
    #[error("{context}: {source}")]
    Io {
        /// What quarry was doing.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Any other failure, already worded for the user.
    #[error("{0}")]
    Other(String),
}

/// Result type of the engine.
pub type Result<T> = std::result::Result<T, EngineError>;

/// An open case database.
pub struct Case {
    conn: Connection,
    path: Option<PathBuf>,
    window: Window,
}

impl Case {
    /// Opens (creating if needed) the case database at `path` for hunts, drill-downs and
    /// console queries: DuckDB reaches the case's tables and reads its own externaldata
    /// folder, and nothing else. No other file, no ATTACH, INSTALL/LOAD or COPY, and its
    /// settings are locked.
    pub fn open_sandboxed(path: &Path) -> Result<Case> {
        Self::open_locked(path, "")
    }

    /// Opens the case sandboxed like [`Case::open_sandboxed`], on one thread: aggregates then
    /// meet rows in the same order every time, so lists like `make_set` and ties under
    /// `order by` come out the same on every run. For the case report, which must not change
    /// while the case does not.
    pub fn open_reproducible(path: &Path) -> Result<Case> {
        Self::open_locked(path, "SET threads = 1;")
    }

    /// Opens the case, applies `settings`, then shuts it in: external access off except the
    /// externaldata folder, configuration locked, the stored time window applied.
    fn open_locked(path: &Path, settings: &str) -> Result<Case> {
        let case = Self::open(path)?;
        let externaldata = case.externaldata_dir().map(|d| {
            let mut text = d.to_string_lossy().into_owned();
            text.push(std::path::MAIN_SEPARATOR);
            text
        });
        let allowed = externaldata
            .map(|d| {
                format!(
                    "SET allowed_directories = [{}];",
                    crate::kql::functions::quote_str(&d)
                )
            })
            .unwrap_or_default();
        case.conn.execute_batch(&format!(
            "{settings} {allowed} SET enable_external_access = false; SET lock_configuration = true;"
        ))?;
        let mut case = case;
        case.window = window::stored(&case.conn)?;
        window::apply(&case.conn, &case.window)?;
        Ok(case)
    }

    /// Opens (creating if needed) the case database at `path` with file access: for quarry's
    /// own load and export code, which reads and writes only the paths the user gave.
    pub fn open(path: &Path) -> Result<Case> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| EngineError::Io {
                context: format!("cannot create the folder {}", dir.display()),
                source,
            })?;
        }
        let conn = Connection::open_with_flags(path, base_config()?)
            .map_err(|e| {
                let text = e.to_string();
                if text.contains("lock") {
                    EngineError::Locked {
                        path: path.to_path_buf(),
                        detail: lock_detail(&text),
                    }
                } else if text.contains("Read-only file system") || text.contains("Permission denied") {
                    EngineError::Other(format!(
                        "{}: quarry records loads and hunt runs in the case, so copy it somewhere writable",
                        if text.contains("Read-only") { "read-only file system" } else { "permission denied" }
                    ))
                } else {
                    EngineError::Duck(e)
                }
            })?;
        Self::prepare(conn, Some(path.to_path_buf()))
    }

    /// Opens a throw-away case in memory (tests and benchmarks).
    pub fn open_in_memory() -> Result<Case> {
        let conn = Connection::open_in_memory_with_flags(base_config()?)?;
        Self::prepare(conn, None)
    }

    fn prepare(conn: Connection, path: Option<PathBuf>) -> Result<Case> {
        meta::create_tables(&conn)?;
        stored::migrate(&conn)?;
        ipfunc::register(&conn)?;
        xmljson::register(&conn)?;
        jsontext::register(&conn)?;
        jsonitems::register(&conn)?;
        hasterm::register(&conn)?;
        urlhost::register(&conn)?;
        textconv::register(&conn)?;
        extract::register(&conn)?;
        once::register(&conn)?;
        Ok(Case {
            conn,
            path,
            window: Window::default(),
        })
    }

    /// The DuckDB connection of this case.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Another connection to the case that sees the same time window (for parallel work).
    pub fn query_conn(&self) -> Result<Connection> {
        let conn = self.conn.try_clone()?;
        window::apply(&conn, &self.window)?;
        Ok(conn)
    }

    /// The time window queries on this case see.
    pub fn window(&self) -> Window {
        self.window
    }

    /// Sets the time window queries see from now on; `keep` also stores it in the case.
    pub fn set_window(&mut self, window: Window, keep: bool) -> Result<()> {
        window.validate().map_err(EngineError::Other)?;
        if keep {
            window::store(&self.conn, &window)?;
        }
        self.window = window;
        window::apply(&self.conn, &self.window)
    }

    /// The case file, or `None` for an in-memory case.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The folder where `externaldata` URLs of this case resolve: `<case>.externaldata/`.
    pub fn externaldata_dir(&self) -> Option<PathBuf> {
        self.path.as_ref().map(|p| p.with_extension("externaldata"))
    }

    /// The investigation clock: the override if set, else the latest event time loaded.
    pub fn clock(&self) -> Result<Option<NaiveDateTime>> {
        Ok(meta::clock(&self.conn)?.map(|(t, _)| t))
    }

    /// The investigation clock and where it comes from.
    pub fn clock_with_source(&self) -> Result<Option<(NaiveDateTime, ClockSource)>> {
        meta::clock(&self.conn)
    }

    /// Pins the investigation clock (`Some`) or returns it to automatic (`None`).
    pub fn set_clock(&self, at: Option<NaiveDateTime>) -> Result<()> {
        meta::set_clock_override(&self.conn, at)
    }

    /// Recomputes the automatic clock from the latest `TimeGenerated` of every table.
    pub fn refresh_auto_clock(&self) -> Result<()> {
        meta::refresh_auto_clock(&self.conn)
    }

    /// The tables, views and watchlists of the case as the KQL compiler sees them.
    pub fn catalog(&self) -> Result<crate::kql::Catalog> {
        catalog::build(self)
    }
}

/// Settings every connection starts with: nothing is ever downloaded or auto-loaded.
/// DuckDB's memory limit when `QUARRY_MEMORY_LIMIT` is not set: enough for hunts over tens of
/// millions of rows (larger work spills to disk) while leaving a laptop usable.
pub const DEFAULT_MEMORY_LIMIT: &str = "1536MB";

/// The memory limit in effect: `QUARRY_MEMORY_LIMIT` (DuckDB's syntax, e.g. `4GB`) or the default.
pub fn memory_limit() -> String {
    std::env::var("QUARRY_MEMORY_LIMIT")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_MEMORY_LIMIT.to_string())
}

fn base_config() -> Result<Config> {
    Ok(Config::default()
        .with("autoinstall_known_extensions", "false")?
        .with("autoload_known_extensions", "false")?
        .with("memory_limit", memory_limit())?)
}

/// Picks the useful part (who holds the lock) out of DuckDB's lock error.
fn lock_detail(text: &str) -> String {
    match text.find("Conflicting lock") {
        Some(i) => text[i..].trim().to_string(),
        None => text.trim().to_string(),
    }
}

/// Where cases live by default: `<data dir>/cases/<name>.duckdb`.
pub fn default_case_path(name: &str) -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "quarry").ok_or_else(|| {
        EngineError::Other("cannot find a data folder for quarry (is HOME set?)".into())
    })?;
    Ok(dirs.data_dir().join("cases").join(format!("{name}.duckdb")))
}

/// Parses an ISO 8601 time (as typed for the clock) into UTC.
pub fn parse_time(text: &str) -> anyhow::Result<NaiveDateTime> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.naive_utc());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text.trim_end_matches('Z'), format) {
            return Ok(t);
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN));
    }
    anyhow::bail!("{text:?} is not a time; write it like 2025-03-01T12:00:00Z")
}

//! Log ingest: detects each file's format from its content, reads it with DuckDB's own
//! readers where it can (or a small Rust parser streaming through the Appender where it
//! must), and loads it into Sentinel-named tables through the declarative mappings in
//! `mappings/`. Every file loads in one transaction; rows that do not parse are kept in
//! `quarry_rejects`; content already loaded (same sha256 after gunzip) is skipped.
//! Delimited text, JSON and Parquet are converted straight from what the reader gives; a
//! delimited file with a row to reject is read again through a staging table, which numbers
//! the rows for `quarry_rejects`. CEF and XML are parsed into that staging table.
//!
//! | content (plain, gzip, UTF-8 BOM or UTF-16) | reader | table |
//! |---|---|---|
//! | portal CSV/TSV exports | read_csv | `--table`, else recognised from the header |
//! | JSON array, NDJSON, Log Analytics API JSON | read_json_objects / DuckDB JSON | same |
//! | Parquet | read_parquet | same |
//! | CEF over syslog | Rust (2 threads) → Arrow appender | CommonSecurityLog |
//! | Zeek TSV (`#fields`/`#types`) and Zeek NDJSON | read_csv / JSON | Zeek<Path> (+ DnsEvents for dns) |
//! | Windows Event XML (Sysmon) | quick-xml → appender | Event |
//! | AWS VPC flow logs v2 | read_csv | AWSVPCFlow |
//! | STIX 2.1 bundles, files under `ti/` | serde_json / read_csv | ThreatIntelligenceIndicator |
//! | CSV under `watchlists/` | read_csv | `watchlist__<name>` |
//! | files under `externaldata/` | copied | the case's externaldata folder |

mod cef;
mod commit;
mod detect;
mod exports;
mod json;
mod load;
mod mapping;
mod parquet;
mod progress;
mod readahead;
mod sink;
mod source;
mod sql;
mod sysmon;
mod ti;
mod unzip;
mod views;
mod vpcflow;
mod walk;
mod watchlist;
pub mod watchlist_edit;
mod zeek;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::engine::EngineError;

pub use load::load_paths;
pub use ti::import_ti;
pub use views::rebuild_views;
pub use watchlist::{import_watchlist, table_name as watchlist_table_name};

/// Options of a load.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Target table for exports whose table cannot be recognised (`--table`).
    pub table: Option<String>,
    /// Show a progress bar on stderr when it is a terminal.
    pub progress: bool,
    /// Told of the progress: (bytes done, bytes in all, file being read).
    pub observer: Option<LoadObserver>,
}

/// Called with (bytes done, bytes in all, file being read).
pub type ObserveFn = dyn Fn(u64, u64, &str) + Send + Sync;

/// A callback that follows a load's progress (the workbench's gauge).
#[derive(Clone)]
pub struct LoadObserver(pub std::sync::Arc<ObserveFn>);

impl std::fmt::Debug for LoadObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoadObserver")
    }
}

/// What happened to every file of a load.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// One outcome per file, in load order.
    pub files: Vec<FileOutcome>,
}

impl LoadReport {
    /// True when any file failed.
    pub fn has_failures(&self) -> bool {
        self.files
            .iter()
            .any(|f| matches!(f.status, FileStatus::Failed(_)))
    }
}

/// The outcome of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileOutcome {
    /// The file.
    pub path: PathBuf,
    /// Detected format (e.g. `cef`, `zeek-tsv`, `csv`), empty when unknown.
    pub format: String,
    /// Table the rows went to, empty when none.
    pub table: String,
    /// Rows read from the file (= loaded + rejected).
    pub rows_read: u64,
    /// Rows stored in the table.
    pub rows_loaded: u64,
    /// Rows stored in quarry_rejects instead.
    pub rows_rejected: u64,
    /// What happened.
    pub status: FileStatus,
}

impl FileOutcome {
    /// An outcome with no rows.
    pub fn empty(path: &Path, status: FileStatus) -> FileOutcome {
        FileOutcome {
            path: path.to_path_buf(),
            format: String::new(),
            table: String::new(),
            rows_read: 0,
            rows_loaded: 0,
            rows_rejected: 0,
            status,
        }
    }
}

/// Status of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// Loaded now.
    Loaded,
    /// The same content was loaded before; nothing done.
    AlreadyLoaded,
    /// Not loaded, with the reason (e.g. an unrecognised file in a directory).
    Skipped(String),
    /// Loading failed; the case is as it was before this file.
    Failed(String),
}

impl fmt::Display for FileStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileStatus::Loaded => f.write_str("loaded"),
            FileStatus::AlreadyLoaded => f.write_str("already loaded"),
            FileStatus::Skipped(r) => write!(f, "skipped: {r}"),
            FileStatus::Failed(e) => write!(f, "failed: {e}"),
        }
    }
}

/// Errors of the ingest API.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A path given on the command line does not exist or matches nothing.
    #[error("{0}: no such file, folder or matching pattern")]
    NotFound(PathBuf),
    /// A file named explicitly is not in a format quarry reads.
    #[error("{path}: {reason}")]
    Unrecognised {
        /// The file.
        path: PathBuf,
        /// Why it was not recognised.
        reason: String,
    },
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The content is malformed beyond row-level rejects.
    #[error("{0}")]
    Invalid(String),
    /// A built-in mapping file is broken (a bug).
    #[error("mapping: {0}")]
    Mapping(String),
    /// DuckDB reported an error.
    #[error("{0}")]
    Duck(#[from] duckdb::Error),
    /// The engine reported an error.
    #[error("{0}")]
    Engine(#[from] EngineError),
    /// A file read in one pass held a row that would be rejected; the load is rolled back
    /// and the file read again through the staging table, which numbers its rows.
    #[error("a row was held back; the file is read again through the staging table")]
    HeldBack,
}

impl IngestError {
    fn io(path: &Path, source: std::io::Error) -> IngestError {
        IngestError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

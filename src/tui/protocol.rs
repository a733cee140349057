//! The messages between the UI and the worker that owns the case database. The UI never
//! touches DuckDB: it sends [`Request`]s and draws from the [`Reply`]s it receives.

use serde_json::Value;

use crate::hunts::pages::{Page, PageQuery};
use crate::hunts::run::RunResult;
use crate::investigate::capture::Label;
use crate::investigate::entity::Entity;
use crate::investigate::findings::{Edit, Finding};
use crate::investigate::pivot::Pivot;
use crate::kql::KqlType;

/// One hunt of a run-all: (hunt id, overrides, generation).
pub type RunJob = (String, Vec<(String, String)>, u64);

/// What the UI asks of the worker.
#[derive(Debug, Clone)]
pub enum Request {
    /// Run one hunt with parameter overrides; `generation` tells replies to old runs apart.
    Run {
        /// Hunt id.
        hunt: String,
        /// Parameter overrides (name, KQL literal).
        overrides: Vec<(String, String)>,
        /// Increases with every run request of this hunt.
        generation: u64,
    },
    /// Run every hunt with its current overrides.
    RunAll(Vec<RunJob>),
    /// A page of a large result kept by the worker, filtered and sorted.
    Hits {
        /// Hunt id.
        hunt: String,
        /// Parameter overrides of the run (the worker runs the hunt again if it no longer
        /// keeps the result).
        overrides: Vec<(String, String)>,
        /// Generation of the run the page belongs to.
        generation: u64,
        /// Which rows.
        query: PageQuery,
    },
    /// The raw rows behind a hit.
    Drill {
        /// Hunt id.
        hunt: String,
        /// Parameter overrides in effect.
        overrides: Vec<(String, String)>,
        /// The hit row.
        hit: Value,
        /// Rows to skip (the page starts after them).
        offset: usize,
    },
    /// Run a console query: KQL, or SQL when it starts with `sql `.
    Console(String),
    /// Read every watchlist.
    Watchlists,
    /// Load log files (a file, folder or glob) into the case.
    Load(String),
    /// Pin the investigation clock to a time, or `auto`.
    SetClock(String),
    /// Write a query's rows to a file (CSV, JSON or Parquet by extension).
    Export {
        /// The query.
        sql: String,
        /// The file.
        path: String,
    },
    /// Add a row to a watchlist: (column, value) pairs.
    WatchlistAdd {
        /// Watchlist name.
        name: String,
        /// The row.
        pairs: Vec<(String, String)>,
    },
    /// Remove the rows of a watchlist with this SearchKey.
    WatchlistRemove {
        /// Watchlist name.
        name: String,
        /// The SearchKey.
        key: String,
    },
    /// Everything about one entity across the case.
    Pivot(Entity),
    /// Keep a hunt's hit (and the events behind it) as a finding.
    MarkHit {
        /// Hunt id.
        hunt: String,
        /// Parameter overrides of the run.
        overrides: Vec<(String, String)>,
        /// Parameter values in effect.
        params: Vec<(String, String)>,
        /// The SQL that ran.
        sql: String,
        /// The hit row.
        row: Value,
        /// Severity, tags and note.
        label: Label,
    },
    /// Keep one raw event as a finding.
    MarkEvent {
        /// What found it (a drill-down predicate or a pivot).
        source: String,
        /// The query that found it.
        sql: String,
        /// The event.
        row: Value,
        /// Severity, tags and note.
        label: Label,
    },
    /// Read every finding.
    Findings,
    /// Change a finding.
    EditFinding {
        /// Its number.
        id: i64,
        /// What changes.
        edit: Edit,
    },
    /// Delete a finding.
    RemoveFinding(i64),
    /// Set the case's time window: `FROM .. TO` (either side may be empty), or `all`.
    SetWindow(String),
    /// Write the case report to a file (.md, .json or .html).
    Report(String),
    /// Stop the worker.
    Quit,
}

/// A hunt as the list shows it.
#[derive(Debug, Clone)]
pub struct HuntRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Tactics, comma-separated.
    pub tactics: String,
    /// Hits of the previous session's last run, if any.
    pub previous_hits: Option<i64>,
    /// What it finds and why.
    pub description: String,
    /// MITRE techniques, comma-separated.
    pub techniques: String,
    /// The KQL.
    pub query: String,
}

/// A parameter as the parameter panel shows it.
#[derive(Debug, Clone)]
pub struct ParamRow {
    /// Name.
    pub name: String,
    /// Type.
    pub ty: KqlType,
    /// The literal as written in the hunt.
    pub default: String,
    /// What it means.
    pub description: String,
}

/// A watchlist as the watchlist screen shows it.
#[derive(Debug, Clone)]
pub struct WatchlistData {
    /// Name.
    pub name: String,
    /// Columns (SearchKey last).
    pub columns: Vec<String>,
    /// Rows as display text.
    pub rows: Vec<Vec<String>>,
}

/// What the worker tells the UI.
#[derive(Debug, Clone)]
pub enum Reply {
    /// The case is open and the hunts are known.
    Ready {
        /// Case file.
        case: String,
        /// Investigation clock.
        clock: String,
        /// Hunts with their parameters.
        hunts: Vec<(HuntRow, Vec<ParamRow>)>,
        /// A notice for the user (e.g. the sample was loaded).
        notice: Option<String>,
        /// Hunt files that did not load.
        broken: Vec<String>,
        /// Console history of this case, oldest first.
        history: Vec<String>,
        /// Tables and rows of the case, e.g. "9 tables, 31266 rows".
        tables: String,
        /// The case's time window.
        window: String,
    },
    /// A run started.
    Started {
        /// Hunt id.
        hunt: String,
        /// Its generation.
        generation: u64,
    },
    /// A run ended (or was cancelled: then `cancelled` is true).
    Finished {
        /// The result.
        result: Box<RunResult>,
        /// Its generation.
        generation: u64,
        /// Cancelled by a newer request.
        cancelled: bool,
    },
    /// A page of a large result.
    Hits {
        /// Hunt id.
        hunt: String,
        /// Generation of the run it belongs to.
        generation: u64,
        /// The filter and sort it answers.
        query: PageQuery,
        /// The rows.
        page: Page,
    },
    /// Drill-down rows.
    Drilled {
        /// Hunt id.
        hunt: String,
        /// The predicate that selected them.
        predicate: String,
        /// Column names.
        columns: Vec<String>,
        /// Rows as display text (already sanitised).
        rows: Vec<Vec<String>>,
        /// Whether more rows exist beyond the page.
        more: bool,
        /// Where the page starts.
        offset: usize,
    },
    /// A console query's result (or its error, with the caret under the problem).
    Console {
        /// Column names.
        columns: Vec<String>,
        /// Rows as display text (already sanitised).
        rows: Vec<Vec<String>>,
        /// More rows exist than were read.
        more: bool,
        /// The error, if it failed.
        error: Option<String>,
        /// Wall time.
        elapsed_ms: u64,
    },
    /// Every watchlist with its rows; `changed` names one just edited.
    Watchlists {
        /// The watchlists.
        lists: Vec<WatchlistData>,
        /// The watchlist an edit changed (its hunts re-run).
        changed: Option<String>,
    },
    /// A load finished: its summary and the new clock.
    Loaded {
        /// One line per file and a total.
        summary: Vec<String>,
        /// The investigation clock after the load.
        clock: String,
        /// Tables and rows of the case after the load.
        tables: String,
    },
    /// A load advanced: bytes read so far, bytes in all, the file being read.
    LoadProgress {
        /// Bytes done.
        done: u64,
        /// Bytes in all.
        total: u64,
        /// The file being read.
        file: String,
    },
    /// An export finished (the message says where and how many rows).
    Exported(String),
    /// Something failed outside a hunt run.
    Failed(String),
    /// A pivot's result.
    Pivoted(Box<Pivot>),
    /// Every finding, after a change (the notice says what changed).
    Findings {
        /// The findings, oldest first.
        list: Vec<Finding>,
        /// What changed.
        notice: Option<String>,
    },
    /// The time window changed; every hunt runs again.
    Window(String),
}

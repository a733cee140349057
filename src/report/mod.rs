//! The case report: what went in (files, hashes, rows), the clock and window, every hunt with
//! its parameter values, hits and query, ATT&CK coverage, and the findings with their rows.
//! The report is gathered once as JSON and rendered as Markdown or one self-contained HTML
//! file from that; nothing in it depends on when or where it is written, so the same case
//! gives the same report byte for byte.

mod document;
mod html;
mod markdown;

use duckdb::Connection;
use serde_json::{json, Value};

use crate::engine::output::query_rows;
use crate::engine::{Case, ClockSource, CLOCK_FORMAT};
use crate::hunts::run::RunResult;
use crate::hunts::Hunt;
use crate::investigate::{coverage, findings};

pub use html::render as html;
pub use markdown::render as markdown;

/// The most hit rows the report shows per hunt.
pub const HITS_SHOWN: usize = 20;
/// The most raw events the report shows per finding.
pub const EVENTS_SHOWN: usize = 50;

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Markdown.
    Md,
    /// JSON.
    Json,
    /// One HTML file with its style inside, readable offline.
    Html,
}

/// Renders the gathered report in `format`.
pub fn render(report: &Value, format: ReportFormat) -> String {
    match format {
        ReportFormat::Md => markdown(report),
        ReportFormat::Html => html(report),
        ReportFormat::Json => {
            let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
            text.push('\n');
            text
        }
    }
}

/// Gathers the report of `case`, whose `hunts` ran as `runs` (same order).
pub fn gather(case: &Case, hunts: &[Hunt], runs: &[RunResult]) -> anyhow::Result<Value> {
    let conn = case.conn();
    let (clock, clock_source) = match case.clock_with_source()? {
        Some((t, s)) => (
            t.format(CLOCK_FORMAT).to_string(),
            match s {
                ClockSource::Override => "pinned",
                ClockSource::Auto => "latest event loaded",
            },
        ),
        None => (String::new(), "not set"),
    };
    let case_name = case.path().and_then(|p| p.file_name()).map_or_else(
        || "in-memory case".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let hunts_json: Vec<Value> = hunts
        .iter()
        .zip(runs)
        .map(|(h, r)| {
            json!({
                "id": h.id, "name": h.name, "tactics": h.tactics, "techniques": h.techniques,
                "status": r.status.as_str(), "hit_count": r.hit_count,
                "params": r.params.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
                "error": r.error, "kql": h.query,
                "columns": r.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
                "hits": r.hits.iter().take(HITS_SHOWN).collect::<Vec<_>>(),
            })
        })
        .collect();
    let found: Vec<Value> = findings::list(conn)?
        .iter()
        .map(|f| {
            let mut j = f.to_json();
            let events = f.body.events.len();
            j["event_count"] = json!(events);
            j["events"] = json!(f.body.events.iter().take(EVENTS_SHOWN).collect::<Vec<_>>());
            j
        })
        .collect();
    Ok(json!({
        "quarry_version": env!("CARGO_PKG_VERSION"),
        "case": case_name,
        "clock": clock,
        "clock_source": clock_source,
        "window": case.window().label(),
        "sources": sources(conn)?,
        "tables": tables(conn)?,
        "hunts": hunts_json,
        "coverage": coverage::to_json(&coverage::coverage(&coverage::tags_of(hunts, runs))),
        "recorded_runs": recorded_runs(conn)?,
        "findings": found,
    }))
}

fn sources(conn: &Connection) -> anyhow::Result<Vec<Value>> {
    Ok(query_rows(
        conn,
        "SELECT path, format, target_table AS \"table\", sha256, rows_read, rows_loaded, rows_rejected
         FROM quarry_sources ORDER BY path, sha256",
        usize::MAX,
    )?
    .1)
}

fn tables(conn: &Connection) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    for table in crate::investigate::pivot::event_tables(conn)? {
        let db: String = conn.query_row("SELECT current_database()", [], |r| r.get(0))?;
        let (all, shown): (i64, i64) = conn.query_row(
            &format!(
                "SELECT (SELECT count(*) FROM {db}.main.{t}), (SELECT count(*) FROM {t})",
                db = crate::kql::functions::quote_ident(&db),
                t = crate::kql::functions::quote_ident(&table)
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        out.push(json!({"table": table, "rows": all, "rows_in_window": shown}));
    }
    Ok(out)
}

fn recorded_runs(conn: &Connection) -> anyhow::Result<Vec<Value>> {
    let exists: i64 = conn.query_row(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'quarry_hunt_runs'
         AND table_catalog = current_database()",
        [],
        |r| r.get(0),
    )?;
    if exists == 0 {
        return Ok(Vec::new());
    }
    Ok(query_rows(
        conn,
        "SELECT hunt, strftime(max(run_at), '%Y-%m-%dT%H:%M:%SZ') AS last_run, count(*) AS runs,
                arg_max(status, run_at) AS status, arg_max(hit_count, run_at) AS hit_count,
                arg_max(params, run_at) AS params
         FROM quarry_hunt_runs GROUP BY hunt ORDER BY hunt",
        usize::MAX,
    )?
    .1)
}

/// A JSON cell as one line of text (strings bare, others as JSON), made inert for terminals.
pub fn cell_text(v: &Value) -> String {
    let text = match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    crate::sanitize::for_terminal(&text.replace(['\r', '\n'], " ")).into_owned()
}

/// The columns of a list of JSON rows: the keys of each, in order of first appearance.
pub fn columns_of(rows: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rows {
        if let Some(o) = r.as_object() {
            for k in o.keys() {
                if !out.contains(k) {
                    out.push(k.clone());
                }
            }
        }
    }
    out
}

/// Multi-line text made inert for terminals line by line (the line breaks are kept).
pub fn lines_text(text: &str) -> String {
    text.lines()
        .map(|l| crate::sanitize::for_terminal(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

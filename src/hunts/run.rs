//! Running hunts on a case: compile with parameter overrides, execute, collect the hits, and
//! record every run in the case.

use std::collections::HashMap;
use std::time::Instant;

use duckdb::Connection;
use serde_json::{json, Value};

use super::cache::{AggregateCache, Reuse};
use super::{pages, params, Hunt};
use crate::engine::output::{write_query, Format};
use crate::engine::{planned, Case};
use crate::kql::{self, Catalog, ColumnDef, Compiled};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// It reported rows.
    Hits,
    /// It ran and reported nothing.
    NoHits,
    /// The case lacks a table it needs.
    NotApplicable,
    /// It failed.
    Error,
}

impl Status {
    /// The word used in JSON and the status column.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Hits => "hits",
            Status::NoHits => "no_hits",
            Status::NotApplicable => "not_applicable",
            Status::Error => "error",
        }
    }
}

/// The result of one run.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Hunt id.
    pub id: String,
    /// Hunt name.
    pub name: String,
    /// How it ended.
    pub status: Status,
    /// Number of hits.
    pub hit_count: usize,
    /// Wall time.
    pub elapsed_ms: u64,
    /// Parameter values in effect: (name, KQL literal).
    pub params: Vec<(String, String)>,
    /// Result columns.
    pub columns: Vec<ColumnDef>,
    /// The hits as JSON objects (in the workbench, only the first [`pages::FIRST_PAGE`] of a
    /// larger result: `hit_count` counts them all).
    pub hits: Vec<Value>,
    /// Why it failed or does not apply.
    pub error: Option<String>,
    /// Compiler notes.
    pub notes: Vec<String>,
    /// The SQL that ran (empty when it did not compile).
    pub sql: String,
    /// Whether the pre-threshold aggregate of an earlier run was reused.
    pub reuse: Reuse,
}

impl RunResult {
    fn failed(hunt: &Hunt, status: Status, error: String, started: Instant) -> Self {
        RunResult {
            id: hunt.id.clone(),
            name: hunt.name.clone(),
            status,
            hit_count: 0,
            elapsed_ms: started.elapsed().as_millis() as u64,
            params: Vec::new(),
            columns: Vec::new(),
            hits: Vec::new(),
            error: Some(error),
            notes: Vec::new(),
            sql: String::new(),
            reuse: Reuse::NotApplicable,
        }
    }

    /// The stable JSON shape of `quarry hunt run --json`.
    pub fn to_json(&self) -> Value {
        let params = params_json(&self.params);
        json!({
            "id": self.id,
            "name": self.name,
            "status": self.status.as_str(),
            "hit_count": self.hit_count,
            "elapsed_ms": self.elapsed_ms,
            "params": params,
            "hits": self.hits,
            "error": self.error,
            "notes": self.notes,
        })
    }
}

/// Compiles a hunt with checked overrides; `for_drill_down` keeps every column of the rows
/// entering its last `summarize`.
pub fn compile_hunt(
    hunt: &Hunt,
    catalog: &Catalog,
    overrides: &[(String, String)],
    for_drill_down: bool,
) -> Result<Compiled, String> {
    let checked = if overrides.is_empty() {
        Vec::new()
    } else {
        // The parameters come from the `let`s alone: checking needs no second compile.
        let declared = kql::declared_params(&hunt.query, catalog).map_err(|d| d.to_string())?;
        params::check(&declared, overrides)?
    };
    let compile = if for_drill_down {
        kql::compile_drillable
    } else {
        kql::compile_with
    };
    compile(&hunt.query, catalog, &checked).map_err(|d| d.to_string())
}

/// Runs SQL and returns its rows as JSON objects.
pub fn query_json(conn: &Connection, compiled: &Compiled, sql: &str) -> anyhow::Result<Vec<Value>> {
    json_rows(conn, sql, &compiled.json_columns())
}

/// The rows of `sql` as JSON objects; the columns at the indexes in `dynamic` hold JSON text
/// and become JSON values.
pub fn json_rows(conn: &Connection, sql: &str, dynamic: &[usize]) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    write_query(conn, sql, Format::Json, dynamic, &mut out)?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

/// Runs one hunt.
pub fn run_hunt(
    conn: &Connection,
    catalog: &Catalog,
    hunt: &Hunt,
    overrides: &[(String, String)],
) -> RunResult {
    run_hunt_cached(conn, catalog, hunt, overrides, None)
}

/// Runs one hunt, reusing (and keeping) its pre-threshold aggregate in `cache` when given:
/// the threshold fast path of the workbench.
pub fn run_hunt_cached(
    conn: &Connection,
    catalog: &Catalog,
    hunt: &Hunt,
    overrides: &[(String, String)],
    cache: Option<&mut AggregateCache>,
) -> RunResult {
    run_hunt_with(conn, catalog, hunt, overrides, cache, None)
}

/// Like [`run_hunt_cached`], keeping every hit in the temporary table `keep` (see
/// [`pages`]): the result holds only the first [`pages::FIRST_PAGE`] hits, and `hit_count`
/// counts them all.
pub fn run_hunt_kept(
    conn: &Connection,
    catalog: &Catalog,
    hunt: &Hunt,
    overrides: &[(String, String)],
    cache: Option<&mut AggregateCache>,
    keep: &str,
) -> RunResult {
    run_hunt_with(conn, catalog, hunt, overrides, cache, Some(keep))
}

fn run_hunt_with(
    conn: &Connection,
    catalog: &Catalog,
    hunt: &Hunt,
    overrides: &[(String, String)],
    cache: Option<&mut AggregateCache>,
    keep: Option<&str>,
) -> RunResult {
    let started = Instant::now();
    let compiled = match compile_hunt(hunt, catalog, overrides, false) {
        Ok(c) => c,
        Err(e) if e.contains("unknown table") || e.contains("has no data") => {
            return RunResult::failed(hunt, Status::NotApplicable, e, started)
        }
        Err(e) => return RunResult::failed(hunt, Status::Error, e, started),
    };
    let (runnable, reuse) = match cache {
        Some(cache) => match cache.prepare(conn, &compiled) {
            Ok(prepared) => prepared,
            Err(e) => return RunResult::failed(hunt, Status::Error, e.to_string(), started),
        },
        None => (compiled.sql.clone(), Reuse::NotApplicable),
    };
    // Hits keep one order from run to run, so "hit N" names the same row in `hunt drill`.
    let last = runnable.lines().last().unwrap_or_default();
    let sql = if last.contains(" ORDER BY ") {
        runnable
    } else {
        format!("SELECT * FROM ({runnable}) ORDER BY ALL")
    };
    let fetched = match keep {
        None => {
            planned::read_once(conn, &sql, |rows| query_json(conn, &compiled, rows)).map(|hits| {
                let n = hits.len();
                (hits, n)
            })
        }
        Some(table) => pages::keep(conn, &sql, table).and_then(|n| {
            let first = pages::first_rows(table, pages::FIRST_PAGE);
            Ok((query_json(conn, &compiled, &first)?, n))
        }),
    };
    match fetched {
        Ok((hits, hit_count)) => RunResult {
            id: hunt.id.clone(),
            name: hunt.name.clone(),
            status: if hit_count == 0 {
                Status::NoHits
            } else {
                Status::Hits
            },
            hit_count,
            elapsed_ms: started.elapsed().as_millis() as u64,
            params: compiled
                .params
                .iter()
                .map(|p| (p.name.clone(), p.value.clone()))
                .collect(),
            columns: compiled.columns.clone(),
            hits,
            error: None,
            notes: compiled.notes.clone(),
            sql: compiled.sql.clone(),
            reuse,
        },
        Err(e) => RunResult::failed(hunt, Status::Error, format!("{e:#}"), started),
    }
}

/// Runs hunts on up to `workers` connections at once; results come back in input order.
pub fn run_many(
    case: &Case,
    catalog: &Catalog,
    hunts: &[&Hunt],
    overrides: &[(String, String)],
    workers: usize,
) -> anyhow::Result<Vec<RunResult>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(vec![None; hunts.len()]);
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let mut handles = Vec::new();
        for _ in 0..workers.clamp(1, hunts.len().max(1)) {
            let conn = case.query_conn()?;
            let (next, results) = (&next, &results);
            handles.push(scope.spawn(move || loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(hunt) = hunts.get(i) else { break };
                let r = run_hunt(&conn, catalog, hunt, overrides);
                if let Ok(mut all) = results.lock() {
                    all[i] = Some(r);
                }
            }));
        }
        for h in handles {
            let _ = h.join();
        }
        Ok(())
    })?;
    let all = results
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a hunt worker panicked"))?;
    Ok(all.into_iter().flatten().collect())
}

/// Creates, empty, the watchlists hunts read that the case lacks.
pub fn ensure_watchlists(case: &Case, hunts: &[Hunt]) -> anyhow::Result<()> {
    for spec in hunts.iter().flat_map(|h| &h.watchlists) {
        let exists: i64 = case.conn().query_row(
            "SELECT count(*) FROM quarry_watchlists WHERE name = ?",
            [&spec.name],
            |r| r.get(0),
        )?;
        if exists > 0 {
            continue;
        }
        let table = crate::ingest::watchlist_table_name(&spec.name);
        let mut cols: Vec<String> = spec
            .columns
            .iter()
            .map(|c| format!("{} VARCHAR", kql::functions::quote_ident(c)))
            .collect();
        cols.push("\"SearchKey\" VARCHAR".into());
        case.conn().execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {} ({})",
            kql::functions::quote_ident(&table),
            cols.join(", ")
        ))?;
        case.conn().execute(
            "INSERT INTO quarry_watchlists (name, table_name, search_key, source) VALUES (?, ?, ?, ?)",
            [&spec.name, &table, &spec.key, &"created empty for a hunt".to_string()],
        )?;
    }
    Ok(())
}

/// Records a run in the case.
pub fn record(conn: &Connection, r: &RunResult) -> anyhow::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS quarry_hunt_runs (hunt VARCHAR, run_at TIMESTAMP, status VARCHAR,
         hit_count BIGINT, elapsed_ms BIGINT, params VARCHAR)",
    )?;
    let params = serde_json::to_string(&r.to_json()["params"])?;
    conn.execute(
        "INSERT INTO quarry_hunt_runs VALUES (?, now()::TIMESTAMP, ?, ?, ?, ?)",
        duckdb::params![
            r.id,
            r.status.as_str(),
            r.hit_count as i64,
            r.elapsed_ms as i64,
            params
        ],
    )?;
    Ok(())
}

/// For every hunt, the hit counts of its last two runs (newest first).
pub fn history(conn: &Connection) -> HashMap<String, Vec<i64>> {
    let mut out: HashMap<String, Vec<i64>> = HashMap::new();
    let Ok(mut stmt) = conn.prepare(
        "SELECT hunt, hit_count FROM (SELECT hunt, hit_count, row_number() OVER (PARTITION BY hunt ORDER BY run_at DESC) AS n
         FROM quarry_hunt_runs WHERE status IN ('hits', 'no_hits')) WHERE n <= 2 ORDER BY hunt, n",
    ) else {
        return out;
    };
    if let Ok(rows) = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))) {
        for (h, c) in rows.flatten() {
            out.entry(h).or_default().push(c);
        }
    }
    out
}

/// Parameter values as a JSON object of strings, in the order given.
pub fn params_json(params: &[(String, String)]) -> serde_json::Map<String, Value> {
    params
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}

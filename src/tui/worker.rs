//! The worker thread: it alone opens the case and talks to DuckDB. It loads the bundled
//! sample into an empty case, runs hunts and drill-downs, and reports over a channel. A run
//! superseded by a newer request is interrupted through DuckDB's interrupt handle.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use duckdb::InterruptHandle;

use super::protocol::{HuntRow, ParamRow, Reply, Request};
use crate::engine::{planned, Case};
use crate::hunts::cache::AggregateCache;
use crate::hunts::library::Library;
use crate::hunts::pages::{self, Page, PageQuery};
use crate::hunts::run::{ensure_watchlists, history, record, run_hunt_kept};
use crate::hunts::Hunt;
use crate::ingest::{load_paths, LoadOptions};
use crate::investigate::capture;
use crate::investigate::findings::{self, NewFinding};
use crate::investigate::pivot::{kept_hunt_matches, pivot, KeptResult, Pivot};
use crate::kql::ColumnDef;
use crate::sanitize::for_terminal;

/// Rows of a drill-down page.
const DRILL_PAGE: usize = 500;
/// Events a pivot keeps per table.
const PIVOT_ROWS: usize = 500;

/// The UI's handle on the worker.
pub struct WorkerHandle {
    /// Requests to the worker.
    pub tx: Sender<Request>,
    /// Replies from it.
    pub rx: Receiver<Reply>,
    /// Interrupts the running statement (set once the case is open).
    pub interrupt: Arc<std::sync::Mutex<Option<Arc<InterruptHandle>>>>,
    /// Tells the worker that an interrupt was a cancellation.
    pub cancelled: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl WorkerHandle {
    /// Cancels the statement running now (repeat until the run reports back: DuckDB drops
    /// an interrupt that arrives while a statement is still being prepared).
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        if let Ok(guard) = self.interrupt.lock() {
            if let Some(h) = guard.as_ref() {
                h.interrupt();
            }
        }
    }

    /// Stops the worker and waits for it.
    pub fn stop(&mut self) {
        self.cancel();
        let _ = self.tx.send(Request::Quit);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Where the bundled sample is: the repo's `sample-logs/`, or one generated into the data
/// folder when quarry runs from elsewhere.
fn sample_dir() -> anyhow::Result<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    if repo.join("expected.json").is_file() {
        return Ok(repo);
    }
    let dir = crate::engine::default_case_path("default")?
        .parent()
        .map(|p| p.join("sample-logs"))
        .unwrap_or_else(|| PathBuf::from("sample-logs"));
    if !dir.join("expected.json").is_file() {
        crate::sample::generate(&dir, &crate::sample::SampleOptions::default())?;
    }
    Ok(dir)
}

/// Starts the worker on the case at `path`.
pub fn spawn(path: PathBuf, extra_hunts: Vec<PathBuf>) -> WorkerHandle {
    let (tx, requests) = crossbeam_channel::unbounded::<Request>();
    let (replies, rx) = crossbeam_channel::unbounded::<Reply>();
    let interrupt = Arc::new(std::sync::Mutex::new(None));
    let cancelled = Arc::new(AtomicBool::new(false));
    let (i2, c2) = (interrupt.clone(), cancelled.clone());
    let thread = std::thread::spawn(move || {
        if let Err(e) = serve(&path, &extra_hunts, &requests, &replies, &i2, &c2) {
            let _ = replies.send(Reply::Failed(format!("{e:#}")));
        }
    });
    WorkerHandle {
        tx,
        rx,
        interrupt,
        cancelled,
        thread: Some(thread),
    }
}

fn serve(
    path: &Path,
    extra: &[PathBuf],
    requests: &Receiver<Request>,
    replies: &Sender<Reply>,
    interrupt: &std::sync::Mutex<Option<Arc<InterruptHandle>>>,
    cancelled: &AtomicBool,
) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut case = Case::open_sandboxed(path)?;
    let access = FileAccess { path, interrupt };
    access.watch(&case);
    let mut notice = None;
    if case.clock()?.is_none() {
        let dir = sample_dir()?;
        let options = LoadOptions {
            table: None,
            progress: false,
            observer: None,
        };
        let report = access.run(&mut case, |files| {
            load_paths(files, std::slice::from_ref(&dir), &options)
        })??;
        let rows: u64 = report.files.iter().map(|f| f.rows_loaded).sum();
        notice = Some(format!(
            "The case was empty, so quarry loaded the bundled sample logs ({rows} rows from {}). Load your own with `quarry load PATH`.",
            dir.display()
        ));
    }
    let lib = Library::load(extra);
    ensure_watchlists(&case, &lib.hunts)?;
    let mut catalog = case.catalog()?;
    let previous = history(case.conn());
    let hunts = lib
        .hunts
        .iter()
        .map(|h| (row(h, previous.get(&h.id)), params(h, &catalog)))
        .collect();
    let clock = case
        .clock()?
        .map(|c| c.format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_default();
    case.conn().execute_batch(
        "CREATE TABLE IF NOT EXISTS quarry_console_history (entered_at TIMESTAMP, text VARCHAR)",
    )?;
    let history = console_history(&case);
    let mut cache = AggregateCache::new();
    let mut kept = Kept::new();
    replies.send(Reply::Ready {
        case: path.display().to_string(),
        clock,
        hunts,
        notice,
        broken: lib.broken.iter().map(|b| b.to_string()).collect(),
        history,
        tables: tables_summary(&case),
        window: case.window().label(),
    })?;
    loop {
        let Ok(first) = requests.recv() else {
            return Ok(());
        };
        let mut batch = vec![first];
        batch.extend(requests.try_iter());
        for req in latest_only(batch) {
            if changes_data(&req) {
                cache.clear(case.conn());
            }
            match req {
                Request::Quit => return Ok(()),
                Request::Run {
                    hunt,
                    overrides,
                    generation,
                } => {
                    if let Some(h) = lib.hunts.iter().find(|h| h.id == hunt) {
                        let job = Job {
                            hunt: h,
                            overrides: &overrides,
                            generation,
                        };
                        run_one(
                            &case, &catalog, &job, &mut cache, &mut kept, replies, cancelled,
                        )?;
                    }
                }
                Request::Hits {
                    hunt,
                    overrides,
                    generation,
                    query,
                } => {
                    let Some(h) = lib.hunts.iter().find(|h| h.id == hunt) else {
                        continue;
                    };
                    let job = Job {
                        hunt: h,
                        overrides: &overrides,
                        generation,
                    };
                    let mut page = read_kept(&case, &kept, &job, &query);
                    if page.is_none() {
                        // Not kept any more (the case was reopened) or kept from another run.
                        run_one(
                            &case, &catalog, &job, &mut cache, &mut kept, replies, cancelled,
                        )?;
                        page = read_kept(&case, &kept, &job, &query);
                    }
                    match page {
                        Some(Ok(page)) => replies.send(Reply::Hits {
                            hunt,
                            generation,
                            query,
                            page,
                        })?,
                        Some(Err(e)) => {
                            replies.send(Reply::Failed(format!("hits of {hunt}: {e:#}")))?
                        }
                        None => {}
                    }
                }
                Request::RunAll(jobs) => {
                    for (id, overrides, generation) in jobs {
                        if let Some(h) = lib.hunts.iter().find(|h| h.id == id) {
                            let job = Job {
                                hunt: h,
                                overrides: &overrides,
                                generation,
                            };
                            run_one(
                                &case, &catalog, &job, &mut cache, &mut kept, replies, cancelled,
                            )?;
                        }
                    }
                }
                Request::Watchlists => replies.send(watchlists(&case, None))?,
                Request::Export { sql, path } => {
                    let reply = export(&access, &mut case, &sql, &path)?;
                    // Reopening the case dropped the kept aggregates with it.
                    cache = AggregateCache::new();
                    replies.send(reply)?;
                }
                Request::SetClock(text) => {
                    let reply = set_clock(&case, &text);
                    catalog = case.catalog()?;
                    replies.send(reply)?;
                }
                Request::Load(path) => {
                    let reply = access.run(&mut case, |files| load(files, &path, replies))?;
                    cache = AggregateCache::new();
                    catalog = case.catalog()?;
                    replies.send(reply)?;
                }
                Request::WatchlistAdd { name, pairs } => {
                    let reply = match crate::ingest::watchlist_edit::add(&case, &name, &pairs) {
                        Ok(()) => watchlists(&case, Some(name)),
                        Err(e) => Reply::Failed(format!("{e:#}")),
                    };
                    catalog = case.catalog()?;
                    replies.send(reply)?;
                }
                Request::WatchlistRemove { name, key } => {
                    let reply = match crate::ingest::watchlist_edit::remove(&case, &name, &key) {
                        Ok(_) => watchlists(&case, Some(name)),
                        Err(e) => Reply::Failed(format!("{e:#}")),
                    };
                    replies.send(reply)?;
                }
                Request::Console(text) => {
                    let _ = case.conn().execute(
                        "INSERT INTO quarry_console_history VALUES (now()::TIMESTAMP, ?)",
                        [&text],
                    );
                    replies.send(console(&case, &catalog, &text))?;
                    // Console SQL may change the case: the catalog (and its probes' answers)
                    // is read again.
                    catalog = case.catalog()?;
                }
                Request::Pivot(entity) => {
                    let reply = match pivot_with_hunts(&case, &catalog, &lib, &kept, &entity) {
                        Ok(p) => Reply::Pivoted(Box::new(p)),
                        Err(e) => Reply::Failed(format!("pivot on {}: {e:#}", entity.value)),
                    };
                    replies.send(reply)?;
                }
                Request::MarkHit {
                    hunt,
                    overrides,
                    params,
                    sql,
                    row,
                    label,
                } => {
                    let Some(h) = lib.hunts.iter().find(|h| h.id == hunt) else {
                        continue;
                    };
                    let hit = capture::HitRef {
                        hunt: h,
                        overrides: &overrides,
                        params: &params,
                        sql: &sql,
                        row: &row,
                    };
                    let kept = capture::hit(&case, &catalog, &hit, label);
                    replies.send(keep(&case, kept))?;
                }
                Request::MarkEvent {
                    source,
                    sql,
                    row,
                    label,
                } => {
                    let kept = capture::event(&case, &source, &sql, row, label);
                    replies.send(keep(&case, Ok(kept)))?;
                }
                Request::Findings => replies.send(findings_reply(&case, None))?,
                Request::EditFinding { id, edit } => {
                    let reply = match findings::edit(case.conn(), id, &edit) {
                        Ok(_) => findings_reply(&case, Some(format!("finding {id} changed"))),
                        Err(e) => Reply::Failed(format!("cannot change finding {id}: {e}")),
                    };
                    replies.send(reply)?;
                }
                Request::RemoveFinding(id) => {
                    let reply = match findings::remove(case.conn(), id) {
                        Ok(_) => findings_reply(&case, Some(format!("finding {id} deleted"))),
                        Err(e) => Reply::Failed(format!("cannot delete finding {id}: {e}")),
                    };
                    replies.send(reply)?;
                }
                Request::SetWindow(text) => {
                    let reply = match parse_window(&text) {
                        Ok(w) => match case.set_window(w, true) {
                            Ok(()) => Reply::Window(case.window().label()),
                            Err(e) => Reply::Failed(format!("{e}")),
                        },
                        Err(e) => Reply::Failed(e),
                    };
                    catalog = case.catalog()?;
                    replies.send(reply)?;
                }
                Request::Report(path) => {
                    let reply =
                        access.reproducibly(&mut case, |c| report(c, &catalog, &lib, &path))?;
                    // Reopening the case dropped the kept aggregates with it.
                    cache = AggregateCache::new();
                    replies.send(reply)?;
                }
                Request::Drill {
                    hunt,
                    overrides,
                    hit,
                    offset,
                } => {
                    let Some(h) = lib.hunts.iter().find(|h| h.id == hunt) else {
                        continue;
                    };
                    match drill_page(&case, &catalog, h, &overrides, &hit, offset) {
                        Ok(reply) => replies.send(reply)?,
                        Err(e) => replies.send(Reply::Failed(e))?,
                    }
                }
            }
        }
    }
}

/// Whether a request may change what the kept aggregates summarize (console SQL included).
fn changes_data(req: &Request) -> bool {
    matches!(
        req,
        Request::Load(_)
            | Request::SetClock(_)
            | Request::WatchlistAdd { .. }
            | Request::WatchlistRemove { .. }
            | Request::Console(_)
            | Request::SetWindow(_)
    )
}

/// Keeps the last `Run` and the last `Hits` of each hunt from a batch of requests (earlier
/// ones are stale).
fn latest_only(batch: Vec<Request>) -> Vec<Request> {
    let mut out: Vec<Request> = Vec::new();
    for req in batch {
        match &req {
            Request::Run { hunt, .. } => {
                out.retain(|o| !matches!(o, Request::Run { hunt: h, .. } if h == hunt));
            }
            Request::Hits { hunt, .. } => {
                out.retain(|o| !matches!(o, Request::Hits { hunt: h, .. } if h == hunt));
            }
            _ => {}
        }
        out.push(req);
    }
    out
}

/// The results the worker keeps for paging: hunt id → (generation, result columns).
type Kept = HashMap<String, (u64, Vec<ColumnDef>)>;

/// Everything the case knows about `entity`, with the hunts whose kept results (every hit,
/// in library order) mention it.
fn pivot_with_hunts(
    case: &Case,
    catalog: &crate::kql::Catalog,
    lib: &Library,
    kept: &Kept,
    entity: &crate::investigate::entity::Entity,
) -> anyhow::Result<Pivot> {
    let mut p = pivot(case, catalog, entity, &[], PIVOT_ROWS)?;
    let results: Vec<KeptResult<'_>> = lib
        .hunts
        .iter()
        .filter_map(|h| {
            let (_, columns) = kept.get(&h.id)?;
            Some(KeptResult {
                id: &h.id,
                name: &h.name,
                table: pages::table_for(&h.id),
                columns,
            })
        })
        .collect();
    p.hunts = kept_hunt_matches(case.conn(), entity, &results)?;
    Ok(p)
}

/// A page of the result kept for `job`'s hunt and generation; `None` when none is kept.
fn read_kept(
    case: &Case,
    kept: &Kept,
    job: &Job,
    query: &PageQuery,
) -> Option<anyhow::Result<Page>> {
    let (generation, columns) = kept.get(&job.hunt.id)?;
    if *generation != job.generation {
        return None;
    }
    let page = pages::read(case.conn(), &pages::table_for(&job.hunt.id), columns, query);
    // A table dropped with a reopened case reads as missing, not as a failure.
    match page {
        Err(e) if e.to_string().contains("does not exist") => None,
        other => Some(other),
    }
}

fn row(h: &Hunt, previous: Option<&Vec<i64>>) -> HuntRow {
    HuntRow {
        id: h.id.clone(),
        name: h.name.clone(),
        tactics: h.tactics.join(", "),
        previous_hits: previous.and_then(|v| v.first().copied()),
        description: h.description.clone(),
        techniques: h.techniques.join(", "),
        query: h.query.clone(),
    }
}

fn params(h: &Hunt, catalog: &crate::kql::Catalog) -> Vec<ParamRow> {
    crate::kql::declared_params(&h.query, catalog)
        .map(|params| {
            params
                .into_iter()
                .map(|p| ParamRow {
                    description: h
                        .params
                        .get(&p.name)
                        .map(|m| m.description.clone())
                        .unwrap_or_default(),
                    name: p.name,
                    ty: p.ty,
                    default: p.value,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One hunt run the workbench asked for.
struct Job<'a> {
    hunt: &'a Hunt,
    overrides: &'a [(String, String)],
    generation: u64,
}

fn run_one(
    case: &Case,
    catalog: &crate::kql::Catalog,
    job: &Job,
    cache: &mut AggregateCache,
    kept: &mut Kept,
    replies: &Sender<Reply>,
    cancelled: &AtomicBool,
) -> anyhow::Result<()> {
    let (hunt, generation) = (job.hunt, job.generation);
    cancelled.store(false, Ordering::SeqCst);
    replies.send(Reply::Started {
        hunt: hunt.id.clone(),
        generation,
    })?;
    let table = pages::table_for(&hunt.id);
    let result = run_hunt_kept(
        case.conn(),
        catalog,
        hunt,
        job.overrides,
        Some(cache),
        &table,
    );
    if result.error.is_none() {
        kept.insert(hunt.id.clone(), (generation, result.columns.clone()));
    } else {
        kept.remove(&hunt.id);
    }
    let was_cancelled = result.error.is_some() && cancelled.swap(false, Ordering::SeqCst);
    if !was_cancelled {
        let _ = record(case.conn(), &result);
    }
    replies.send(Reply::Finished {
        result: Box::new(result),
        generation,
        cancelled: was_cancelled,
    })?;
    Ok(())
}

/// Closes the sandboxed case to run quarry's own file code (load, export) on the same case
/// opened with file access, then opens it sandboxed again.
struct FileAccess<'a> {
    path: &'a Path,
    interrupt: &'a std::sync::Mutex<Option<Arc<InterruptHandle>>>,
}

impl FileAccess<'_> {
    /// Makes `case` the one a cancel interrupts.
    fn watch(&self, case: &Case) {
        if let Ok(mut g) = self.interrupt.lock() {
            *g = Some(case.conn().interrupt_handle());
        }
    }

    /// Runs `f` on the case with file access; `case` is sandboxed again afterwards (its
    /// temporary tables are gone).
    fn run<T>(&self, case: &mut Case, f: impl FnOnce(&Case) -> T) -> anyhow::Result<T> {
        self.reopened(case, Case::open, f)
    }

    /// Runs `f` on the case reopened on one thread (see [`Case::open_reproducible`]); `case`
    /// is sandboxed again afterwards (its temporary tables are gone).
    fn reproducibly<T>(&self, case: &mut Case, f: impl FnOnce(&Case) -> T) -> anyhow::Result<T> {
        self.reopened(case, Case::open_reproducible, f)
    }

    /// Closes `case`, runs `f` on the case opened with `open`, then reopens `case` sandboxed.
    fn reopened<T>(
        &self,
        case: &mut Case,
        open: impl FnOnce(&Path) -> crate::engine::Result<Case>,
        f: impl FnOnce(&Case) -> T,
    ) -> anyhow::Result<T> {
        drop(std::mem::replace(case, Case::open_in_memory()?));
        let other = open(self.path)?;
        self.watch(&other);
        let out = f(&other);
        drop(other);
        *case = Case::open_sandboxed(self.path)?;
        self.watch(case);
        Ok(out)
    }
}

/// Writes a query's rows to `path` (the extension picks the format): the query runs
/// sandboxed into a staging table, which quarry then copies out with file access.
fn export(access: &FileAccess, case: &mut Case, sql: &str, path: &str) -> anyhow::Result<Reply> {
    let path = PathBuf::from(path.trim());
    let failed =
        |e: &dyn std::fmt::Display| Reply::Failed(format!("export to {}: {e}", path.display()));
    if let Err(e) = crate::engine::export::copy_format(&path) {
        return Ok(failed(&e));
    }
    if let Err(e) = crate::engine::export::stage(case, sql) {
        return Ok(failed(&e));
    }
    Ok(
        match access.run(case, |files| crate::engine::export::write(files, &path))? {
            Ok(n) => Reply::Exported(
                for_terminal(&format!("exported {n} rows to {}", path.display())).into_owned(),
            ),
            Err(e) => failed(&e),
        },
    )
}

/// Pins the clock (or returns it to automatic) and reports the new value.
fn set_clock(case: &Case, text: &str) -> Reply {
    let text = text.trim();
    let at = if text.eq_ignore_ascii_case("auto") {
        None
    } else {
        match crate::engine::parse_time(text) {
            Ok(t) => Some(t),
            Err(e) => return Reply::Failed(format!("{e:#}")),
        }
    };
    if let Err(e) = case.set_clock(at) {
        return Reply::Failed(format!("cannot set the clock: {e}"));
    }
    let clock = case
        .clock()
        .ok()
        .flatten()
        .map(|c| c.format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_default();
    let how = if at.is_some() { "pinned" } else { "automatic" };
    Reply::Loaded {
        summary: vec![format!("clock {how}: {clock}; every hunt runs again")],
        clock,
        tables: tables_summary(case),
    }
}

/// Loads a path typed in the workbench and summarises the outcome per file.
fn load(case: &Case, path: &str, replies: &Sender<Reply>) -> Reply {
    let progress = replies.clone();
    let observer =
        crate::ingest::LoadObserver(std::sync::Arc::new(move |done, total, file: &str| {
            let _ = progress.send(Reply::LoadProgress {
                done,
                total,
                file: for_terminal(file).into_owned(),
            });
        }));
    let options = LoadOptions {
        table: None,
        progress: false,
        observer: Some(observer),
    };
    let path = PathBuf::from(path.trim());
    match load_paths(case, std::slice::from_ref(&path), &options) {
        Ok(report) => {
            let mut summary: Vec<String> = report
                .files
                .iter()
                .map(|f| {
                    for_terminal(&format!(
                        "{:?} {} → {}: read {}, loaded {}, rejected {}",
                        f.status,
                        f.path.display(),
                        f.table,
                        f.rows_read,
                        f.rows_loaded,
                        f.rows_rejected
                    ))
                    .into_owned()
                })
                .collect();
            let (read, loaded, rejected) = report.files.iter().fold((0, 0, 0), |a, f| {
                (
                    a.0 + f.rows_read,
                    a.1 + f.rows_loaded,
                    a.2 + f.rows_rejected,
                )
            });
            summary.push(format!("total: read {read}, loaded {loaded}, rejected {rejected} (rejected lines are in quarry_rejects)"));
            let clock = case
                .clock()
                .ok()
                .flatten()
                .map(|c| c.format("%Y-%m-%d %H:%M:%SZ").to_string())
                .unwrap_or_default();
            Reply::Loaded {
                summary,
                clock,
                tables: tables_summary(case),
            }
        }
        Err(e) => Reply::Failed(format!("cannot load {}: {e:#}", path.display())),
    }
}

/// How many log tables the case has and how many rows they hold (from the load records).
fn tables_summary(case: &Case) -> String {
    case.conn()
        .query_row(
            "SELECT count(DISTINCT target_table), coalesce(sum(rows_loaded), 0) FROM quarry_sources WHERE format NOT IN ('externaldata', 'watchlist')",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )
        .map(|(t, n)| format!("{t} tables, {n} rows"))
        .unwrap_or_default()
}

/// Every watchlist of the case with its rows.
fn watchlists(case: &Case, changed: Option<String>) -> Reply {
    let mut lists = Vec::new();
    let names: Vec<(String, String)> = case
        .conn()
        .prepare("SELECT name, table_name FROM quarry_watchlists ORDER BY name")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map(|rows| rows.flatten().collect())
        })
        .unwrap_or_default();
    for (name, table) in names {
        let sql = format!(
            "SELECT * FROM {} LIMIT 5000",
            crate::kql::functions::quote_ident(&table)
        );
        if let Ok((columns, rows)) = page(case, &sql) {
            lists.push(super::protocol::WatchlistData {
                name,
                columns,
                rows,
            });
        }
    }
    Reply::Watchlists { lists, changed }
}

/// The last console entries of the case, oldest first.
fn console_history(case: &Case) -> Vec<String> {
    let Ok(mut stmt) = case.conn().prepare(
        "SELECT text FROM (SELECT text, entered_at FROM quarry_console_history ORDER BY entered_at DESC LIMIT 200) ORDER BY entered_at",
    ) else {
        return Vec::new();
    };
    stmt.query_map([], |r| r.get::<_, String>(0))
        .map(|rows| rows.flatten().collect())
        .unwrap_or_default()
}

/// Runs a console query: KQL, or SQL after a leading `sql `.
fn console(case: &Case, catalog: &crate::kql::Catalog, text: &str) -> Reply {
    let started = std::time::Instant::now();
    let failed = |error: String| Reply::Console {
        columns: Vec::new(),
        rows: Vec::new(),
        more: false,
        error: Some(error),
        elapsed_ms: started.elapsed().as_millis() as u64,
    };
    let sql = match text.trim().strip_prefix("sql ") {
        Some(sql) => sql.to_string(),
        None => match crate::kql::compile(text, catalog) {
            Ok(c) => c.sql,
            Err(d) => return failed(d.to_string()),
        },
    };
    match page(
        case,
        &format!("SELECT * FROM ({sql}) LIMIT {}", DRILL_PAGE + 1),
    ) {
        Ok((columns, mut rows)) => {
            let more = rows.len() > DRILL_PAGE;
            rows.truncate(DRILL_PAGE);
            Reply::Console {
                columns,
                rows,
                more,
                error: None,
                elapsed_ms: started.elapsed().as_millis() as u64,
            }
        }
        Err(e) => failed(e),
    }
}

/// Runs SQL and returns its column names and rows as sanitised text.
fn page(case: &Case, sql: &str) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    let mut stmt = case.conn().prepare(sql).map_err(|e| e.to_string())?;
    let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
    let columns: Vec<String> = rows.as_ref().map(|s| s.column_names()).unwrap_or_default();
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(|e| e.to_string())? {
        out.push(
            (0..columns.len())
                .map(|i| {
                    r.get::<_, duckdb::types::Value>(i)
                        .map(|v| for_terminal(&crate::engine::value::to_text(&v)).into_owned())
                        .unwrap_or_default()
                })
                .collect(),
        );
    }
    Ok((columns, out))
}

fn drill_page(
    case: &Case,
    catalog: &crate::kql::Catalog,
    hunt: &Hunt,
    overrides: &[(String, String)],
    hit: &serde_json::Value,
    offset: usize,
) -> Result<Reply, String> {
    let d = crate::hunts::drill::drill(hunt, catalog, overrides, hit)?;
    let sql = format!(
        "SELECT * FROM ({}) LIMIT {} OFFSET {offset}",
        d.sql,
        DRILL_PAGE + 1
    );
    let (_, mut out) = planned::read_once(case.conn(), &sql, |rows| {
        page(case, rows).map_err(anyhow::Error::msg)
    })
    .map_err(|e| e.to_string())?;
    let more = out.len() > DRILL_PAGE;
    out.truncate(DRILL_PAGE);
    Ok(Reply::Drilled {
        hunt: hunt.id.clone(),
        predicate: d.predicate,
        columns: d.columns.iter().map(|c| c.name.clone()).collect(),
        rows: out,
        more,
        offset,
    })
}

/// Saves a finding and answers with the new list.
fn keep(case: &Case, finding: anyhow::Result<NewFinding>) -> Reply {
    match finding.and_then(|f| Ok((findings::add(case.conn(), &f)?, f))) {
        Ok((id, f)) => findings_reply(
            case,
            Some(for_terminal(&format!("finding {id} kept: {}", f.title)).into_owned()),
        ),
        Err(e) => Reply::Failed(format!("cannot keep the finding: {e:#}")),
    }
}

/// Every finding, with a notice.
fn findings_reply(case: &Case, notice: Option<String>) -> Reply {
    match findings::list(case.conn()) {
        Ok(list) => Reply::Findings { list, notice },
        Err(e) => Reply::Failed(format!("cannot read the findings: {e}")),
    }
}

/// Reads a window typed in the workbench: `FROM .. TO` (either side may be empty), or `all`.
pub fn parse_window(text: &str) -> Result<crate::engine::Window, String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("all") {
        return Ok(crate::engine::Window::default());
    }
    let (from, to) = text.split_once("..").unwrap_or((text, ""));
    let end = |t: &str| -> Result<Option<chrono::NaiveDateTime>, String> {
        let t = t.trim().trim_matches('…').trim();
        if t.is_empty() {
            return Ok(None);
        }
        crate::engine::parse_time(t)
            .map(Some)
            .map_err(|e| format!("{e:#}"))
    };
    let window = crate::engine::Window {
        from: end(from)?,
        to: end(to)?,
    };
    window.validate()?;
    Ok(window)
}

/// Runs every hunt with its defaults and writes the case report to `path`.
fn report(case: &Case, catalog: &crate::kql::Catalog, lib: &Library, path: &str) -> Reply {
    let path = PathBuf::from(path.trim());
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some("json") => crate::report::ReportFormat::Json,
        Some("html" | "htm") => crate::report::ReportFormat::Html,
        _ => crate::report::ReportFormat::Md,
    };
    let runs: Vec<_> = lib
        .hunts
        .iter()
        .map(|h| crate::hunts::run::run_hunt(case.conn(), catalog, h, &[]))
        .collect();
    let written = crate::report::gather(case, &lib.hunts, &runs).and_then(|r| {
        std::fs::write(&path, crate::report::render(&r, format))?;
        Ok(())
    });
    match written {
        Ok(()) => Reply::Exported(
            for_terminal(&format!("report written to {}", path.display())).into_owned(),
        ),
        Err(e) => Reply::Failed(format!("cannot write the report: {e:#}")),
    }
}

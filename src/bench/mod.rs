//! `quarry bench`: generates a case with the sample generator at a chosen size and measures
//! quarry beside its references in one run, so the ratios hold on a noisy machine: ingest per
//! format against DuckDB's own readers, every shipped hunt, the workbench's edit-and-re-run
//! paths, drill-down, KQL compile time, frame time, compiled seed queries against
//! hand-written SQL, and lnav on a Zeek conn log. Prints figures; judges nothing by time.

mod frame;
mod handwritten;
mod hunts;
mod ingest;
mod lnav;
pub mod stats;
mod table;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::engine::Case;
use crate::ingest::{load_paths, LoadOptions};
use crate::sample::{generate, SampleOptions};
pub use table::{Row, Table};

/// What to measure and how hard.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Network sessions (NetworkSessions rows) the generated case should hold, roughly.
    pub rows: u64,
    /// Runs per figure (median, min, max are taken over them).
    pub runs: usize,
    /// Lines of the Zeek conn log for the lnav comparison (0 skips it).
    pub lnav_lines: usize,
    /// Rows of the hits table for the frame-time figure.
    pub frame_rows: usize,
    /// The seed KQL corpus for the compiled-versus-hand-written figures, if present.
    pub corpus: Option<PathBuf>,
    /// Where the generated files and cases go (a temporary folder when `None`); files and the
    /// case generated there at the same scale are reused by the next run.
    pub workdir: Option<PathBuf>,
    /// The sections to run (ingest, hunts, edits, frame, seeds, startup, lnav); empty runs all.
    pub only: Vec<String>,
}

impl BenchOptions {
    /// The small, fast settings of `--quick` (CI): errors fail it, timings never do.
    pub fn quick() -> BenchOptions {
        BenchOptions {
            rows: 40_000,
            runs: 1,
            lnav_lines: 20_000,
            frame_rows: 20_000,
            corpus: None,
            workdir: None,
            only: Vec::new(),
        }
    }
}

/// Runs every measurement and prints each table as it completes.
pub fn run(options: &BenchOptions, out: &mut dyn std::io::Write) -> Result<()> {
    let temp;
    let work = match &options.workdir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir.clone()
        }
        None => {
            temp = tempdir()?;
            temp.path.clone()
        }
    };
    writeln!(out, "{}", machine())?;
    let wants =
        |section: &str| options.only.is_empty() || options.only.iter().any(|s| s == section);
    let (logs, scale) = generate_case_files(&work, options.rows)?;
    writeln!(
        out,
        "sample generator at scale {scale} (target {} network sessions) in {}",
        options.rows,
        logs.display()
    )?;
    if wants("ingest") {
        ingest::per_format(&logs, &work, options.runs)?.print(out)?;
    }
    let db = work.join("bench.duckdb");
    let marker = work.join("bench.duckdb.scale");
    let reuse = std::fs::read_to_string(&marker).ok() == Some(scale.to_string());
    if !reuse {
        let _ = std::fs::remove_file(&db);
        let _ = std::fs::remove_file(db.with_extension("duckdb.wal"));
    }
    stats::reset_peak_memory();
    let case = Case::open(&db)?;
    if reuse {
        writeln!(out, "\ncase: reusing {} (scale {scale})\n", db.display())?;
    } else {
        let (load, report) = stats::Samples::time(1, || {
            load_paths(&case, std::slice::from_ref(&logs), &LoadOptions::default())
        })?;
        std::fs::write(&marker, scale.to_string())?;
        let rows: u64 = report.files.iter().map(|f| f.rows_loaded).sum();
        writeln!(
            out,
            "\ncase: {rows} rows loaded from {} files in {:.2} s, peak RSS {}",
            report.files.len(),
            load.median(),
            mb(stats::peak_memory_mb())
        )?;
    }
    let sessions: i64 = case
        .conn()
        .query_row("SELECT count(*) FROM NetworkSessions", [], |r| r.get(0))?;
    writeln!(out, "{sessions} network sessions in the case")?;
    if wants("hunts") {
        hunts::measure(&case, options.runs)?.print(out)?;
    }
    if wants("edits") {
        hunts::edits(&case, options.runs)?.print(out)?;
    }
    if wants("frame") {
        frame::measure(options.frame_rows)?.print(out)?;
    }
    match &options.corpus {
        Some(dir) if dir.is_dir() && wants("seeds") => {
            handwritten::compare(&case, dir, options.runs)?.print(out)?;
        }
        Some(dir) if wants("seeds") => writeln!(
            out,
            "notice: no seed corpus at {}; compiled-versus-hand-written skipped",
            dir.display()
        )?,
        _ => {}
    }
    drop(case);
    if wants("startup") {
        frame::startup(&db, options.runs)?.print(out)?;
    }
    if options.lnav_lines > 0 && wants("lnav") {
        lnav::compare(&work, options.lnav_lines, options.runs)?.print(out)?;
    }
    Ok(())
}

/// A folder removed when dropped.
struct TempDir {
    path: PathBuf,
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn tempdir() -> Result<TempDir> {
    let path = std::env::temp_dir().join(format!("quarry-bench-{}", std::process::id()));
    std::fs::create_dir_all(&path)?;
    Ok(TempDir { path })
}

/// Writes the sample at the scale that gives about `rows` network sessions (a scale-1 probe
/// is generated and counted first), unless the folder already holds it.
fn generate_case_files(work: &Path, rows: u64) -> Result<(PathBuf, u32)> {
    let logs = work.join("logs");
    let marker = work.join("logs.rows");
    if let Some(scale) = std::fs::read_to_string(&marker).ok().and_then(|t| {
        t.strip_prefix(&format!("{rows} "))
            .and_then(|s| s.trim().parse().ok())
    }) {
        return Ok((logs, scale));
    }
    let probe = work.join("probe-logs");
    generate(&probe, &SampleOptions::default())?;
    let case = Case::open_in_memory()?;
    load_paths(&case, std::slice::from_ref(&probe), &LoadOptions::default())?;
    let per_scale: i64 =
        case.conn()
            .query_row("SELECT count(*) FROM NetworkSessions", [], |r| r.get(0))?;
    let _ = std::fs::remove_dir_all(&probe);
    let scale = (rows as f64 / per_scale.max(1) as f64).round().max(1.0) as u32;
    let options = SampleOptions {
        scale,
        ..SampleOptions::default()
    };
    generate(&logs, &options).with_context(|| format!("generating {}", logs.display()))?;
    std::fs::write(&marker, format!("{rows} {scale}"))?;
    Ok((logs, scale))
}

/// One line naming the machine, for the record.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|r| r.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!(
        "machine: {cpu}, {cores} cores; DuckDB memory limit {}; quarry {}",
        crate::engine::memory_limit(),
        env!("CARGO_PKG_VERSION")
    )
}

/// A memory figure for a table cell.
pub(crate) fn mb(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |m| format!("{m:.0} MB"))
}

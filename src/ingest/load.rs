//! The load driver: expands paths, skips content already loaded, detects each file's
//! format and runs its reader inside one transaction per file.

use std::path::{Path, PathBuf};

use duckdb::{params, Connection, OptionalExt};

use super::commit::{commit, drop_stage, Counts, Origin, Staged};
use super::detect::{detect, Format};
use super::mapping::Mapping;
use super::progress::Progress;
use super::source::SourceFile;
use super::walk::{expand, Role};
use super::{
    cef, exports, json, rebuild_views, sysmon, ti, vpcflow, watchlist, zeek, FileOutcome,
    FileStatus, IngestError, LoadOptions, LoadReport,
};
use crate::engine::Case;

/// Everything a reader needs about the file it loads.
pub struct Reader<'a> {
    /// The case connection (inside the file's transaction).
    pub conn: &'a Connection,
    /// The file.
    pub source: SourceFile,
    /// The file's path as recorded in quarry_sources and quarry_rejects.
    pub path_text: String,
    /// Progress to advance while reading.
    pub progress: &'a Progress,
    /// Table for exports, from `--table` or the file's role.
    pub table: Option<String>,
    /// Constant columns added to every row (e.g. the TI source file).
    pub constants: Vec<(String, String)>,
    /// Delimited text may be converted straight from DuckDB's reader, in one pass; false on
    /// the reload after a held-back row, which goes through the staging table.
    pub one_pass: bool,
}

impl Reader<'_> {
    /// Moves the staged rows of this file into `table` (and its rejects into quarry_rejects).
    pub fn commit(
        &self,
        staged: &Staged,
        table: &str,
        mapping: Option<&Mapping>,
    ) -> Result<Counts, IngestError> {
        let origin = Origin {
            sha256: &self.source.sha256,
            path: &self.path_text,
        };
        commit(self.conn, &origin, staged, table, mapping)
    }
}

/// What a reader reports: target table, commit counts, rows rejected while parsing.
pub type ReadResult = Result<(String, Counts, u64), IngestError>;

/// Records one row that could not be parsed at all.
pub fn reject_line(r: &Reader<'_>, line: u64, raw: &str, reason: &str) -> Result<(), IngestError> {
    r.conn.execute(
        "INSERT INTO quarry_rejects (source_sha256, path, line, raw, reason) VALUES (?, ?, ?, ?, ?)",
        params![
            r.source.sha256,
            r.path_text,
            i64::try_from(line).unwrap_or(i64::MAX),
            raw,
            reason
        ],
    )?;
    Ok(())
}

/// Fills the raw text of this file's rejects recorded without it, reading those lines
/// back from the file (for line-oriented formats whose line numbers are exact).
pub fn fill_raw_lines(r: &Reader<'_>) -> Result<(), IngestError> {
    let mut stmt = r.conn.prepare(
        "SELECT DISTINCT line FROM quarry_rejects WHERE source_sha256 = ? AND raw IS NULL ORDER BY line",
    )?;
    let wanted: Vec<i64> = stmt
        .query_map(params![r.source.sha256], |row| row.get(0))?
        .collect::<duckdb::Result<_>>()?;
    if wanted.is_empty() {
        return Ok(());
    }
    let mut reader = std::io::BufReader::new(r.source.reader()?);
    let mut buf = Vec::new();
    let mut line_no = 0i64;
    for target in wanted {
        while line_no < target {
            buf.clear();
            let n = std::io::BufRead::read_until(&mut reader, b'\n', &mut buf)
                .map_err(|e| IngestError::io(&r.source.path, e))?;
            if n == 0 {
                return Ok(());
            }
            line_no += 1;
        }
        let text = String::from_utf8_lossy(&buf);
        r.conn.execute(
            "UPDATE quarry_rejects SET raw = ? WHERE source_sha256 = ? AND line = ? AND raw IS NULL",
            params![text.trim_end_matches(['\n', '\r']), r.source.sha256, target],
        )?;
    }
    Ok(())
}

/// Loads files, folders (recursively) and glob patterns into the case; then refreshes the
/// investigation clock and rebuilds the NetworkSessions/_Im_* views.
pub fn load_paths(
    case: &Case,
    paths: &[PathBuf],
    opts: &LoadOptions,
) -> Result<LoadReport, IngestError> {
    let entries = expand(paths)?;
    let total: u64 = entries
        .iter()
        .filter_map(|e| std::fs::metadata(&e.path).ok())
        .map(|m| m.len())
        .sum();
    let progress = Progress::new(opts.progress, total, opts.observer.clone());
    let mut report = LoadReport::default();
    let mut done = 0u64;
    let table = opts.table.as_deref();
    std::thread::scope(|scope| {
        // Log files are hashed and sniffed on a thread of their own, a file ahead: the next
        // file's hash is computed while this one loads.
        let (tx, opened) = crossbeam_channel::bounded::<Result<SourceFile, IngestError>>(1);
        let logs = &entries;
        scope.spawn(move || {
            for entry in logs
                .iter()
                .filter(|e| matches!(e.role, Role::Auto | Role::Ti))
            {
                if tx.send(SourceFile::open(&entry.path)).is_err() {
                    return;
                }
            }
        });
        for entry in &entries {
            progress.file(&entry.path.display().to_string());
            let outcome = match &entry.role {
                Role::ExternalData(rel) => copy_external(case, &entry.path, rel),
                Role::Watchlist => watchlist::load_entry(case, &entry.path),
                Role::Ti | Role::Auto => {
                    let source = opened.recv().unwrap_or_else(|_| {
                        Err(IngestError::Invalid("the hashing thread stopped".into()))
                    });
                    let (explicit, table, constants) = match entry.role {
                        Role::Ti => (true, Some(ti::TABLE), ti::constants(&entry.path)),
                        _ => (entry.explicit, table, Vec::new()),
                    };
                    load_source(
                        case,
                        &entry.path,
                        source,
                        explicit,
                        table,
                        &progress,
                        constants,
                    )
                }
            };
            done += std::fs::metadata(&entry.path).map(|m| m.len()).unwrap_or(0);
            progress.set(done);
            report.files.push(outcome);
        }
    });
    progress.finish();
    case.refresh_auto_clock()?;
    rebuild_views(case)?;
    Ok(report)
}

/// Loads one file of logs (or TI) in one transaction.
pub fn load_file(
    case: &Case,
    path: &Path,
    explicit: bool,
    table: Option<&str>,
    progress: &Progress,
    constants: Vec<(String, String)>,
) -> FileOutcome {
    let source = SourceFile::open(path);
    load_source(case, path, source, explicit, table, progress, constants)
}

/// Loads one file of logs (or TI), already hashed and sniffed, in one transaction.
fn load_source(
    case: &Case,
    path: &Path,
    source: Result<SourceFile, IngestError>,
    explicit: bool,
    table: Option<&str>,
    progress: &Progress,
    constants: Vec<(String, String)>,
) -> FileOutcome {
    let source = match source {
        Ok(s) => s,
        Err(e) => return FileOutcome::empty(path, FileStatus::Failed(e.to_string())),
    };
    let conn = case.conn();
    match previous_load(conn, &source.sha256) {
        Ok(Some((format, target))) => {
            let mut o = FileOutcome::empty(path, FileStatus::AlreadyLoaded);
            o.format = format;
            o.table = target;
            return o;
        }
        Ok(None) => {}
        Err(e) => return FileOutcome::empty(path, FileStatus::Failed(e.to_string())),
    }
    let format = match detect(&source.head) {
        Ok(f) => f,
        Err(reason) => {
            let status = if explicit {
                FileStatus::Failed(format!("unrecognised: {reason}"))
            } else {
                FileStatus::Skipped(reason)
            };
            return FileOutcome::empty(path, status);
        }
    };
    let mut reader = Reader {
        conn,
        path_text: source.absolute(),
        source,
        progress,
        table: table.map(str::to_string),
        constants,
        one_pass: true,
    };
    let mut result = load_once(&mut reader, format);
    if matches!(result, Err(IngestError::HeldBack)) {
        reader.one_pass = false;
        result = load_once(&mut reader, format);
    }
    let mut outcome = FileOutcome::empty(path, FileStatus::Loaded);
    outcome.format = format.name().to_string();
    match result {
        Ok((target, counts, parse_rejects)) => {
            outcome.table = target;
            outcome.rows_loaded = counts.loaded;
            outcome.rows_rejected = counts.rejected + parse_rejects;
            outcome.rows_read = outcome.rows_loaded + outcome.rows_rejected;
        }
        Err(IngestError::Unrecognised { reason, .. }) if !explicit => {
            outcome.status = FileStatus::Skipped(reason);
        }
        Err(e) => outcome.status = FileStatus::Failed(e.to_string()),
    }
    outcome
}

/// Reads and registers one file in one transaction.
fn load_once(r: &mut Reader<'_>, format: Format) -> ReadResult {
    let conn = r.conn;
    in_transaction(conn, || {
        let (target, counts, parse_rejects) = read(r, format)?;
        let read = counts.loaded + counts.rejected + parse_rejects;
        register(
            r,
            format.name(),
            &target,
            read,
            counts.loaded,
            read - counts.loaded,
        )?;
        Ok((target, counts, parse_rejects))
    })
}

fn read(r: &mut Reader<'_>, format: Format) -> ReadResult {
    match format {
        Format::Parquet | Format::JsonArray | Format::Ndjson | Format::Delimited(_) => {
            exports::load(r, format)
        }
        Format::ZeekTsv => zeek::load_tsv(r),
        Format::Cef => cef::load(r),
        Format::VpcFlow => vpcflow::load(r),
        Format::WinEventXml => sysmon::load(r),
        Format::StixBundle => ti::load_stix(r),
        Format::KustoTables => json::load_kusto_tables(r),
    }
}

/// Runs `f` in a transaction: committed when it succeeds, rolled back otherwise.
pub fn in_transaction<T>(
    conn: &Connection,
    f: impl FnOnce() -> Result<T, IngestError>,
) -> Result<T, IngestError> {
    conn.execute_batch("BEGIN TRANSACTION")?;
    match f() {
        Ok(v) => {
            conn.execute_batch("COMMIT")?;
            Ok(v)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            let _ = drop_stage(conn);
            Err(e)
        }
    }
}

/// (format, table) of an earlier load of the same content.
pub fn previous_load(
    conn: &Connection,
    sha256: &str,
) -> Result<Option<(String, String)>, IngestError> {
    Ok(conn
        .query_row(
            "SELECT coalesce(format, ''), coalesce(target_table, '') FROM quarry_sources WHERE sha256 = ?",
            params![sha256],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Records a loaded file in quarry_sources.
pub fn register(
    r: &Reader<'_>,
    format: &str,
    table: &str,
    read: u64,
    loaded: u64,
    rejected: u64,
) -> Result<(), IngestError> {
    register_source(
        r.conn,
        &r.source.sha256,
        &r.path_text,
        format,
        table,
        [read, loaded, rejected],
    )
}

/// Records (or replaces) a source row in quarry_sources.
pub fn register_source(
    conn: &Connection,
    sha256: &str,
    path: &str,
    format: &str,
    table: &str,
    rows: [u64; 3],
) -> Result<(), IngestError> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    conn.execute(
        "DELETE FROM quarry_sources WHERE sha256 = ?",
        params![sha256],
    )?;
    conn.execute(
        "INSERT INTO quarry_sources (sha256, path, format, target_table, rows_read, rows_loaded,
                                     rows_rejected, loaded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP))",
        params![
            sha256,
            path,
            format,
            table,
            n(rows[0]),
            n(rows[1]),
            n(rows[2]),
            chrono::Utc::now()
                .format("%Y-%m-%d %H:%M:%S%.6f")
                .to_string()
        ],
    )?;
    Ok(())
}

/// Copies a file under `externaldata/` into the case's externaldata folder.
fn copy_external(case: &Case, path: &Path, rel: &Path) -> FileOutcome {
    let mut outcome = FileOutcome::empty(path, FileStatus::Loaded);
    outcome.format = "externaldata".into();
    let Some(dir) = case.externaldata_dir() else {
        outcome.status = FileStatus::Skipped("an in-memory case has no externaldata folder".into());
        return outcome;
    };
    let target = dir.join(rel);
    outcome.table = target.display().to_string();
    let same = match (std::fs::read(path), std::fs::read(&target)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let is_zip = target
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("zip"));
    let mut extracted = target.as_os_str().to_owned();
    extracted.push(".d");
    if same && (!is_zip || Path::new(&extracted).is_dir()) {
        outcome.status = FileStatus::AlreadyLoaded;
        return outcome;
    }
    let copied = target
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::copy(path, &target).map(|_| ()));
    if let Err(e) = copied {
        outcome.status = FileStatus::Failed(format!("cannot copy to {}: {e}", target.display()));
        return outcome;
    }
    if is_zip {
        if let Err(e) = super::unzip::extract_beside(&target) {
            outcome.status = FileStatus::Failed(format!("cannot extract {}: {e}", path.display()));
        }
    }
    outcome
}

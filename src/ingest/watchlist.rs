//! Watchlists: a CSV becomes table `watchlist__<name>` (all VARCHAR plus SearchKey) and a
//! row in quarry_watchlists, replacing an earlier import of the same name.

use std::path::Path;

use duckdb::params;

use super::detect::{detect, split_fields, Format};
use super::exports::{normalise_header, read_csv_stage};
use super::load::{in_transaction, previous_load, register_source, Reader};
use super::progress::Progress;
use super::source::SourceFile;
use super::sql::{ident, lit};
use super::{FileOutcome, FileStatus, IngestError};
use crate::engine::Case;

/// The table holding watchlist `name`.
pub fn table_name(name: &str) -> String {
    format!("watchlist__{name}")
}

/// Imports `csv` as watchlist `name`; `key` names the SearchKey column (default: a column
/// called SearchKey, else the first column). Returns the rows loaded.
pub fn import_watchlist(
    case: &Case,
    name: &str,
    csv: &Path,
    key: Option<&str>,
) -> Result<usize, IngestError> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(IngestError::Invalid(format!(
            "watchlist name {name:?}: use letters, digits, '_' and '-'"
        )));
    }
    if !csv.is_file() {
        return Err(IngestError::NotFound(csv.to_path_buf()));
    }
    let source = SourceFile::open(csv)?;
    let delim = match detect(&source.head) {
        Ok(Format::Delimited(d)) => d,
        Ok(other) => {
            return Err(IngestError::Unrecognised {
                path: csv.to_path_buf(),
                reason: format!("a watchlist must be CSV, this is {}", other.name()),
            })
        }
        Err(reason) => {
            return Err(IngestError::Unrecognised {
                path: csv.to_path_buf(),
                reason,
            })
        }
    };
    let progress = Progress::hidden();
    let mut reader = Reader {
        conn: case.conn(),
        path_text: source.absolute(),
        source,
        progress: &progress,
        table: None,
        constants: Vec::new(),
        one_pass: false,
    };
    let loaded = in_transaction(case.conn(), || load(&mut reader, name, key, delim))?;
    usize::try_from(loaded).map_err(|_| IngestError::Invalid("row count overflow".into()))
}

fn load(r: &mut Reader<'_>, name: &str, key: Option<&str>, delim: u8) -> Result<u64, IngestError> {
    let head = r.source.head_text();
    let first = head.lines().next().unwrap_or("").trim_end_matches('\r');
    let mut header: Vec<String> = Vec::new();
    for (i, h) in split_fields(first, delim).iter().enumerate() {
        let mut n = normalise_header(h, i);
        let base = n.clone();
        let mut k = 1;
        while header.iter().any(|x| x.eq_ignore_ascii_case(&n)) {
            n = format!("{base}_{k}");
            k += 1;
        }
        header.push(n);
    }
    let key_index = match key {
        Some(k) => header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(k))
            .ok_or_else(|| IngestError::Invalid(format!("watchlist {name}: no column {k:?}")))?,
        None => header
            .iter()
            .position(|h| h.eq_ignore_ascii_case("SearchKey"))
            .unwrap_or(0),
    };
    let search_key = header[key_index].clone();
    let path = r.source.plain_path()?;
    let options = format!(
        "delim={}, quote='\"', escape='\"', header=true, new_line={}",
        lit(&(delim as char).to_string()),
        if head.contains("\r\n") {
            "'\\r\\n'"
        } else {
            "'\\n'"
        }
    );
    let rejected = read_csv_stage(r, &path.display().to_string(), &options, &header)?;
    let table = table_name(name);
    let mut cols: Vec<String> = header
        .iter()
        .map(|h| format!("{} VARCHAR", ident(h)))
        .collect();
    let mut select: Vec<String> = (0..header.len())
        .map(|i| format!("c{i} AS {}", ident(&header[i])))
        .collect();
    if !header.iter().any(|h| h.eq_ignore_ascii_case("SearchKey")) {
        cols.push("SearchKey VARCHAR".into());
        select.push(format!("c{key_index} AS SearchKey"));
    }
    r.conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS {t};
         CREATE TABLE {t} ({cols});
         INSERT INTO {t} SELECT {select} FROM temp.quarry_stage;
         DROP TABLE temp.quarry_stage;",
        t = ident(&table),
        cols = cols.join(", "),
        select = select.join(", "),
    ))?;
    let loaded: i64 = r.conn.query_row(
        &format!("SELECT count(*) FROM {}", ident(&table)),
        [],
        |row| row.get(0),
    )?;
    let loaded = u64::try_from(loaded).unwrap_or(0);
    r.conn.execute(
        "DELETE FROM quarry_watchlists WHERE name = ?",
        params![name],
    )?;
    r.conn.execute(
        "INSERT INTO quarry_watchlists (name, table_name, search_key, source) VALUES (?, ?, ?, ?)",
        params![name, table, search_key, r.path_text],
    )?;
    register_source(
        r.conn,
        &r.source.sha256,
        &r.path_text,
        "watchlist",
        &table,
        [loaded + rejected, loaded, rejected],
    )?;
    Ok(loaded)
}

/// Loads a file found under a `watchlists/` folder (name = file stem), unless already loaded.
pub fn load_entry(case: &Case, path: &Path) -> FileOutcome {
    let mut outcome = FileOutcome::empty(path, FileStatus::Loaded);
    outcome.format = "watchlist".into();
    let name: String = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .and_then(|n| n.split('.').next().map(str::to_string))
        .unwrap_or_default();
    outcome.table = table_name(&name);
    let sha = match SourceFile::open(path) {
        Ok(s) => s.sha256,
        Err(e) => {
            outcome.status = FileStatus::Failed(e.to_string());
            return outcome;
        }
    };
    match previous_load(case.conn(), &sha) {
        Ok(Some(_)) => {
            outcome.status = FileStatus::AlreadyLoaded;
            return outcome;
        }
        Ok(None) => {}
        Err(e) => {
            outcome.status = FileStatus::Failed(e.to_string());
            return outcome;
        }
    }
    match import_watchlist(case, &name, path, None) {
        Ok(n) => {
            outcome.rows_loaded = n as u64;
            let rejected: i64 = case
                .conn()
                .query_row(
                    "SELECT coalesce(max(rows_rejected), 0) FROM quarry_sources WHERE sha256 = ?",
                    params![sha],
                    |r| r.get(0),
                )
                .unwrap_or(0);
            outcome.rows_rejected = u64::try_from(rejected).unwrap_or(0);
            outcome.rows_read = outcome.rows_loaded + outcome.rows_rejected;
        }
        Err(IngestError::Unrecognised { reason, .. }) => {
            outcome.status = FileStatus::Skipped(reason)
        }
        Err(e) => outcome.status = FileStatus::Failed(e.to_string()),
    }
    outcome
}

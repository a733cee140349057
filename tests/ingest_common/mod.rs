//! Helpers shared by the ingest tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use quarry::engine::Case;
use quarry::ingest::{load_paths, FileOutcome, LoadOptions, LoadReport};

/// A fixture under tests/fixtures/ingest.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ingest")
        .join(rel)
}

/// Loads `paths` with default options.
pub fn load(case: &Case, paths: &[PathBuf]) -> LoadReport {
    load_paths(case, paths, &LoadOptions::default()).expect("load runs")
}

/// Loads `paths` into `table`.
pub fn load_into(case: &Case, paths: &[PathBuf], table: &str) -> LoadReport {
    let opts = LoadOptions {
        table: Some(table.to_string()),
        progress: false,
        observer: None,
    };
    load_paths(case, paths, &opts).expect("load runs")
}

/// The outcome of the file whose path ends with `suffix`.
pub fn outcome<'a>(report: &'a LoadReport, suffix: &str) -> &'a FileOutcome {
    report
        .files
        .iter()
        .find(|f| f.path.to_string_lossy().ends_with(suffix))
        .unwrap_or_else(|| panic!("no outcome for {suffix}: {report:#?}"))
}

/// A single BIGINT from SQL.
pub fn int(case: &Case, sql: &str) -> i64 {
    case.conn()
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A single nullable text value from SQL.
pub fn text(case: &Case, sql: &str) -> Option<String> {
    case.conn()
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// All rows of a one-column text query.
pub fn texts(case: &Case, sql: &str) -> Vec<Option<String>> {
    let mut stmt = case
        .conn()
        .prepare(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    stmt.query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// The shared folder (../shared) or None with a notice, unless QUARRY_REQUIRE_SHARED=1.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("QUARRY_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!("{} is missing and QUARRY_REQUIRE_SHARED=1", p.display());
    }
    eprintln!("notice: {} not found; skipping this test", p.display());
    None
}

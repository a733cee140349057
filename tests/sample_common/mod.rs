//! Helpers shared by the tests that run on the committed sample: load it, run KQL, and
//! match results against `expected.json`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use quarry::engine::output::{write_query, Format};
use quarry::engine::Case;
use quarry::ingest::{load_paths, FileStatus, LoadOptions};
use quarry::kql::compile;
use serde_json::Value;

/// The crate root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The committed sample loaded into a fresh case on disk (externaldata needs a folder).
pub fn loaded_case(dir: &Path) -> Case {
    let case = Case::open(&dir.join("sample.duckdb")).unwrap();
    let options = LoadOptions {
        table: None,
        progress: false,
        observer: None,
    };
    let report = load_paths(&case, &[root().join("sample-logs")], &options).unwrap();
    for f in &report.files {
        assert_eq!(f.rows_rejected, 0, "{} has rejects", f.path.display());
        let expected_skip = f.path.ends_with("expected.json");
        assert_eq!(
            matches!(f.status, FileStatus::Skipped(_)),
            expected_skip,
            "{}: {:?}",
            f.path.display(),
            f.status
        );
    }
    case
}

/// Runs KQL and returns rows as JSON objects.
pub fn run(case: &Case, text: &str) -> Vec<Value> {
    let compiled = compile(text, &case.catalog().unwrap()).unwrap_or_else(|d| panic!("{d}"));
    let json = compiled.json_columns();
    let mut out = Vec::new();
    write_query(case.conn(), &compiled.sql, Format::Json, &json, &mut out).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Keys of an expected entity that describe it rather than identify it.
pub const META: &[&str] = &[
    "why",
    "note",
    "rows",
    "events",
    "seed_query_reports",
    "seed_query_misses",
];

/// The rows that carry every identifying value of `entity`.
pub fn matching<'a>(rows: &'a [Value], entity: &Value) -> Vec<&'a Value> {
    let fields: Vec<(&String, &Value)> = entity
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| !META.contains(&k.as_str()))
        .collect();
    rows.iter()
        .filter(|r| fields.iter().all(|(k, v)| r.get(k.as_str()) == Some(*v)))
        .collect()
}

/// The committed ground truth.
pub fn expected() -> Value {
    let text = std::fs::read_to_string(root().join("sample-logs/expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn corpus_dir() -> Option<PathBuf> {
    let dir = root().join("../shared/kql-corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("QUARRY_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!("{} is missing and QUARRY_REQUIRE_SHARED=1", dir.display());
    }
    eprintln!(
        "notice: {} not found (it ships with the project's CI, not with a clone): skipping",
        dir.display()
    );
    None
}

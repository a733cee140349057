//! Helpers shared by the KQL test files: compile on a case, run, read rows as text.
#![allow(dead_code)]

use chrono::NaiveDateTime;
use duckdb::types::Value;
use quarry::engine::value::to_text;
use quarry::engine::Case;
use quarry::kql::{compile, Compiled};

/// A UTC timestamp from `YYYY-MM-DD HH:MM:SS`.
pub fn ts(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

/// Compiles `q` for `case`, panicking with the diagnostics on error.
pub fn compiled(case: &Case, q: &str) -> Compiled {
    let catalog = case.catalog().unwrap();
    match compile(q, &catalog) {
        Ok(c) => c,
        Err(d) => panic!("{q}\n{d}"),
    }
}

/// Runs a compiled query; every value as text, NULL as `null`.
pub fn rows_of(case: &Case, c: &Compiled) -> Vec<Vec<String>> {
    let mut stmt = case
        .conn()
        .prepare(&c.sql)
        .unwrap_or_else(|e| panic!("{}\n{e}", c.sql));
    let n = c.columns.len();
    let mut rows = stmt.query([]).unwrap();
    let mut out = Vec::new();
    while let Some(r) = rows.next().unwrap() {
        out.push(
            (0..n)
                .map(|i| match r.get::<_, Value>(i).unwrap() {
                    Value::Null => "null".to_string(),
                    v => to_text(&v),
                })
                .collect(),
        );
    }
    out
}

/// Compiles and runs `q`.
pub fn rows(case: &Case, q: &str) -> Vec<Vec<String>> {
    let c = compiled(case, q);
    rows_of(case, &c)
}

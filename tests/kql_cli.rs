//! `quarry kql` end to end: run a query on a case file and print its SQL.

use assert_cmd::Command;
use predicates::prelude::*;
use quarry::engine::Case;

fn case_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("c.duckdb");
    let case = Case::open(&path).unwrap();
    case.conn()
        .execute_batch(
            "CREATE TABLE T (TimeGenerated TIMESTAMP, Name VARCHAR);
             INSERT INTO T VALUES ('2025-01-01 10:00:00', 'a'), ('2025-01-01 11:00:00', 'b'),
                                  ('2025-01-01 12:00:00', 'c');",
        )
        .unwrap();
    drop(case);
    path
}

#[test]
fn kql_runs_a_query_on_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let db = case_file(&dir);
    Command::cargo_bin("quarry")
        .unwrap()
        .arg("--db")
        .arg(&db)
        .args(["kql", "T | count", "--format", "csv"])
        .assert()
        .success()
        .stdout(predicate::eq("Count\n3\n"));
}

#[test]
fn kql_sql_prints_the_generated_sql() {
    let dir = tempfile::tempdir().unwrap();
    let db = case_file(&dir);
    Command::cargo_bin("quarry")
        .unwrap()
        .arg("--db")
        .arg(&db)
        .args(["kql", "--sql", "T | where Name == 'b' | count"])
        .assert()
        .success()
        .stdout(predicate::str::contains("WITH").and(predicate::str::contains("\"Count\"")));
}

#[test]
fn kql_errors_show_position_and_caret() {
    let dir = tempfile::tempdir().unwrap();
    let db = case_file(&dir);
    Command::cargo_bin("quarry")
        .unwrap()
        .arg("--db")
        .arg(&db)
        .args(["kql", "T | where Nam == 'b'"])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("1:11: unknown column or name `Nam`")
                .and(predicate::str::contains("^^^")),
        );
}

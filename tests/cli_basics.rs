//! The command line as a user drives it: help, bad arguments, sql, tables, clock, export.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn quarry(db: &Path) -> Command {
    let mut cmd = Command::cargo_bin("quarry").unwrap();
    cmd.arg("--db").arg(db);
    cmd
}

fn seeded_case(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("case.duckdb");
    let case = quarry::engine::Case::open(&db).unwrap();
    case.conn()
        .execute_batch(
            "CREATE TABLE CommonSecurityLog (TimeGenerated TIMESTAMP, SourceIP VARCHAR, DestinationPort INTEGER, Message VARCHAR);
             INSERT INTO CommonSecurityLog VALUES
               ('2025-03-01 11:00:00', '10.0.0.5', 443, 'plain'),
               ('2025-03-01 11:30:00', '10.0.0.6', 22, 'evil ' || chr(27) || ']52;c;AAAA' || chr(7) || ' text, \"quoted\"');",
        )
        .unwrap();
    case.refresh_auto_clock().unwrap();
    db
}

#[test]
fn every_command_has_help() {
    for cmd in [
        vec!["--help"],
        vec!["sql", "--help"],
        vec!["tables", "--help"],
        vec!["clock", "--help"],
        vec!["export", "--help"],
    ] {
        Command::cargo_bin("quarry")
            .unwrap()
            .args(&cmd)
            .assert()
            .success()
            .stdout(predicate::str::contains("Usage"));
    }
}

#[test]
fn bad_arguments_fail_with_usage_error() {
    Command::cargo_bin("quarry")
        .unwrap()
        .args(["sql"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("QUERY"));
    Command::cargo_bin("quarry")
        .unwrap()
        .args(["no-such-command"])
        .assert()
        .code(2);
}

#[test]
fn sql_prints_table_csv_and_json_with_control_characters_inert() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_case(dir.path());
    let q =
        "SELECT SourceIP, DestinationPort, Message FROM CommonSecurityLog ORDER BY TimeGenerated";
    let table = quarry(&db)
        .args(["sql", q])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8(table).unwrap();
    assert!(
        table.contains("10.0.0.5") && table.contains("(2 rows)"),
        "{table}"
    );
    assert!(
        !table.contains('\u{1b}') && !table.contains('\u{7}'),
        "{table:?}"
    );

    let csv = quarry(&db)
        .args(["sql", q, "--format", "csv"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "SourceIP,DestinationPort,Message");
    assert_eq!(lines[1], "10.0.0.5,443,plain");
    assert!(
        lines[2].contains("\"\"quoted\"\"") && !lines[2].contains('\u{1b}'),
        "{csv:?}"
    );

    let json = quarry(&db)
        .args(["sql", q, "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json = String::from_utf8(json).unwrap();
    let rows: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["DestinationPort"], 443);
    assert!(!json.contains('\u{1b}'), "raw ESC in JSON output");
}

#[test]
fn sql_errors_are_reported_not_panicked() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_case(dir.path());
    quarry(&db)
        .args(["sql", "SELECT nope FROM CommonSecurityLog"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nope").and(predicate::str::contains("panicked").not()));
}

#[test]
fn tables_lists_user_tables_with_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_case(dir.path());
    let out = quarry(&db)
        .args(["tables", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let tables: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let csl = tables
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "CommonSecurityLog")
        .expect("CommonSecurityLog listed");
    assert_eq!(csl["rows"], 2);
    assert_eq!(csl["columns"], 4);
    assert!(!tables
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"].as_str().unwrap().starts_with("quarry_")));
}

#[test]
fn clock_follows_data_until_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_case(dir.path());
    quarry(&db).args(["clock"]).assert().success().stdout(
        predicate::str::contains("2025-03-01T11:30:00Z").and(predicate::str::contains("automatic")),
    );
    quarry(&db)
        .args(["clock", "set", "2024-12-31T23:00:00+02:00"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("2024-12-31T21:00:00Z")
                .and(predicate::str::contains("pinned")),
        );
    quarry(&db)
        .args(["clock", "auto"])
        .assert()
        .success()
        .stdout(predicate::str::contains("2025-03-01T11:30:00Z"));
    quarry(&db)
        .args(["clock", "set", "yesterday"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not a time"));
}

#[test]
fn export_writes_csv_json_and_parquet_through_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_case(dir.path());
    for ext in ["csv", "json", "parquet"] {
        let out = dir.path().join(format!("out.{ext}"));
        quarry(&db)
            .args([
                "export",
                "--sql",
                "SELECT SourceIP, DestinationPort FROM CommonSecurityLog",
                "--out",
            ])
            .arg(&out)
            .assert()
            .success();
        let check = quarry::engine::Case::open_in_memory().unwrap();
        let n: i64 = check
            .conn()
            .query_row(
                &format!("SELECT count(*) FROM '{}'", out.display()),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 2, "{ext}");
    }
    quarry(&db)
        .args(["export", "--sql", "SELECT 1", "--out"])
        .arg(dir.path().join("out.xlsx"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(".csv, .json or .parquet"));
}

#[test]
fn a_reader_that_stops_early_ends_quarry_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_case(dir.path());
    // More output than a pipe holds, to a reader that has already gone.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("quarry"))
        .arg("--db")
        .arg(&db)
        .args([
            "sql",
            "SELECT range, 'padding padding padding' AS p FROM range(200000)",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "no panic and no error message: {stderr}");
    assert!(!out.status.success(), "it cannot have written everything");
}

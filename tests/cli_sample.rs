//! `quarry sample` from the command line, then `quarry load` and `quarry kql` on its output.

use assert_cmd::Command;
use predicates::str::contains;

#[test]
fn sample_then_load_then_hunt() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("logs");
    Command::cargo_bin("quarry")
        .unwrap()
        .args(["sample", "--out"])
        .arg(&out)
        .args(["--days", "20", "--seed", "99"])
        .assert()
        .success()
        .stdout(contains("expected.json"))
        .stdout(contains("the data ends at 2025-11-20T12:00:00Z"));
    assert!(out.join("defender/DeviceNetworkEvents.csv").is_file());
    let db = dir.path().join("case.duckdb");
    Command::cargo_bin("quarry")
        .unwrap()
        .arg("load")
        .arg(&out)
        .arg("--db")
        .arg(&db)
        .assert()
        .success()
        .stdout(contains("rejected 0"));
    // The planted internal scan shows up whatever the seed.
    Command::cargo_bin("quarry")
        .unwrap()
        .args([
            "kql",
            "DeviceNetworkEvents | where RemoteIP == '172.16.10.20' and InitiatingProcessFileName == 'powershell.exe' | summarize dcount(RemotePort)",
            "--format",
            "csv",
            "--db",
        ])
        .arg(&db)
        .assert()
        .success()
        .stdout(contains("20"));
}

#[test]
fn sample_into_an_unwritable_place_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    Command::cargo_bin("quarry")
        .unwrap()
        .args(["sample", "--out"])
        .arg(file.join("sub"))
        .assert()
        .failure()
        .stderr(contains("cannot create"));
}

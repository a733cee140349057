//! `quarry watchlist` and `quarry ti` as a user drives them.

use assert_cmd::Command;
use predicates::prelude::*;

fn quarry(db: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("quarry").unwrap();
    cmd.arg("--db").arg(db);
    cmd
}

#[test]
fn watchlist_import_list_show_and_key_column() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("case.duckdb");
    let csv = dir.path().join("scanners.csv");
    std::fs::write(&csv, "Host,Process,Reason\nscan01,nmap.exe,weekly inventory\nit-ws7,angryip.exe,\"asset scan, monthly\"\n").unwrap();
    quarry(&db)
        .args(["watchlist", "import", "SanctionedScanners"])
        .arg(&csv)
        .args(["--key", "Process"])
        .assert()
        .success()
        .stdout(predicate::str::contains("holds 2 rows"));
    quarry(&db)
        .args(["watchlist", "list"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("SanctionedScanners").and(predicate::str::contains("Process")),
        );
    let out = quarry(&db)
        .args([
            "watchlist",
            "show",
            "SanctionedScanners",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["SearchKey"], rows[0]["Process"]);
    assert_eq!(rows[1]["Reason"], "asset scan, monthly");
    quarry(&db)
        .args(["watchlist", "show", "Missing"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no watchlist named"));
}

#[test]
fn ti_import_of_a_stix_bundle_fills_sentinel_columns() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("case.duckdb");
    let bundle = dir.path().join("bundle.json");
    std::fs::write(
        &bundle,
        r#"{"type":"bundle","id":"bundle--1","objects":[
          {"type":"indicator","spec_version":"2.1","id":"indicator--a","created":"2025-02-01T00:00:00Z","modified":"2025-02-01T00:00:00Z",
           "name":"C2 server","pattern":"[ipv4-addr:value = '198.51.100.9']","pattern_type":"stix","valid_from":"2025-02-01T00:00:00Z"},
          {"type":"indicator","spec_version":"2.1","id":"indicator--b","created":"2025-02-01T00:00:00Z","modified":"2025-02-01T00:00:00Z",
           "name":"Phish","pattern":"[domain-name:value = 'bad.example']","pattern_type":"stix","valid_from":"2025-02-01T00:00:00Z"}]}"#,
    )
    .unwrap();
    quarry(&db)
        .args(["ti", "import"])
        .arg(&bundle)
        .assert()
        .success()
        .stdout(predicate::str::contains("loaded 2"));
    quarry(&db)
        .args(["sql", "SELECT coalesce(NetworkIP, DomainName) AS v FROM ThreatIntelligenceIndicator ORDER BY v", "--format", "csv"])
        .assert()
        .success()
        .stdout("v\n198.51.100.9\nbad.example\n");
}

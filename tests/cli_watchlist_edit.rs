//! `quarry watchlist add|remove|export`: edits change the next run of a hunt that reads
//! the watchlist, and an export imports back to the same rows.

use std::path::Path;

use assert_cmd::Command;
use quarry::engine::Case;
use serde_json::Value;

fn quarry(db: &Path) -> Command {
    let mut cmd = Command::cargo_bin("quarry").unwrap();
    cmd.arg("--db").arg(db);
    cmd
}

/// A case where ws-x's powershell.exe touched 12 ports of 172.16.1.1 an hour ago: a port
/// sweep for the built-in internal-scan hunt (more than 10 ports).
fn sweep_case(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("case.duckdb");
    let case = Case::open(&db).unwrap();
    case.conn()
        .execute_batch(
            "CREATE TABLE DeviceNetworkEvents (TimeGenerated TIMESTAMP, Timestamp TIMESTAMP,
                 DeviceName VARCHAR, RemoteIP VARCHAR, RemotePort BIGINT, InitiatingProcessFileName VARCHAR);
             INSERT INTO DeviceNetworkEvents
               SELECT t, t, 'ws-x', '172.16.1.1', p, 'powershell.exe'
               FROM (SELECT current_timestamp::TIMESTAMP - INTERVAL 1 HOUR AS t), range(1, 13) r(p);",
        )
        .unwrap();
    db
}

fn sweep_hits(db: &Path) -> u64 {
    let out = quarry(db)
        .args(["hunt", "run", "11-internal-port-sweeps", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    r["hit_count"].as_u64().unwrap()
}

#[test]
fn watchlist_edits_apply_to_the_next_hunt_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = sweep_case(dir.path());
    assert_eq!(sweep_hits(&db), 1);
    quarry(&db)
        .args([
            "watchlist",
            "add",
            "SanctionedScanners",
            "Host=ws-x",
            "Process=powershell.exe",
            "Reason=red team, week 47",
        ])
        .assert()
        .success();
    assert_eq!(sweep_hits(&db), 0);
    // Export, then re-import the file under another name: same rows.
    let csv = dir.path().join("scanners.csv");
    quarry(&db)
        .args(["watchlist", "export", "SanctionedScanners"])
        .arg(&csv)
        .assert()
        .success();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(
        text.trim(),
        "Host,Process,Reason\nws-x,powershell.exe,\"red team, week 47\""
    );
    quarry(&db)
        .args(["watchlist", "remove", "SanctionedScanners", "ws-x"])
        .assert()
        .success();
    assert_eq!(sweep_hits(&db), 1);
    // Removing a key that is not there, or adding an unknown column, fails.
    quarry(&db)
        .args(["watchlist", "remove", "SanctionedScanners", "ws-x"])
        .assert()
        .failure();
    quarry(&db)
        .args(["watchlist", "add", "SanctionedScanners", "Color=red"])
        .assert()
        .failure();
    quarry(&db)
        .args(["watchlist", "import", "Again"])
        .arg(&csv)
        .assert()
        .success();
    let out = quarry(&db)
        .args(["watchlist", "show", "Again", "--format", "json"])
        .output()
        .unwrap();
    let row: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(row["Host"], "ws-x");
    assert_eq!(row["Reason"], "red team, week 47");
    assert_eq!(row["SearchKey"], "ws-x");
}

#[test]
fn add_creates_a_missing_watchlist_keyed_on_its_first_column() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("case.duckdb");
    drop(Case::open(&db).unwrap());
    quarry(&db)
        .args(["watchlist", "add", "Vips", "Name=ceo-laptop", "Owner=Ana"])
        .assert()
        .success();
    let out = quarry(&db)
        .args([
            "kql",
            "_GetWatchlist('Vips') | project SearchKey, Owner",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(row["SearchKey"], "ceo-laptop");
    assert_eq!(row["Owner"], "Ana");
}

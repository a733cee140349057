//! `quarry hunts list` and `quarry hunt run | drill | explain` on the committed sample, with a
//! user hunt folder holding a Sentinel-format YAML hunt and a broken file.

use assert_cmd::Command;
use predicates::str::contains;
use serde_json::Value;

fn quarry() -> Command {
    Command::cargo_bin("quarry").unwrap()
}

/// A case loaded from sample-logs/.
fn case(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("case.duckdb");
    quarry()
        .arg("load")
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs"))
        .arg("--db")
        .arg(&db)
        .assert()
        .success();
    db
}

const USER_HUNT: &str = r#"id: 11111111-2222-3333-4444-555555555555
name: Connections to watchlisted addresses
description: Test hunt in Sentinel's format.
tactics: [CommandAndControl]
relevantTechniques: [T1071]
requiredDataConnectors:
  - connectorId: CEF
    dataTypes: [CommonSecurityLog]
query: |
  let minimum = 1;
  let watched = _GetWatchlist('WatchedAddresses') | project Address = SearchKey;
  CommonSecurityLog
  | where DestinationIP in (watched)
  | summarize Attempts = count() by SourceIP, DestinationIP
  | where Attempts >= minimum
entityMappings:
  - entityType: IP
    fieldMappings:
      - identifier: Address
        columnName: SourceIP
"#;

#[test]
fn list_run_and_drill_with_a_user_hunt_folder() {
    let dir = tempfile::tempdir().unwrap();
    let db = case(dir.path());
    let hunts = dir.path().join("hunts");
    std::fs::create_dir(&hunts).unwrap();
    std::fs::write(hunts.join("watched.yaml"), USER_HUNT).unwrap();
    std::fs::write(
        hunts.join("broken.yaml"),
        "id: x\nname: broken\nquery: |\n  T\n  | where (x\n",
    )
    .unwrap();
    let wl = dir.path().join("watched.csv");
    std::fs::write(
        &wl,
        "Address,Note\n198.51.100.23,C2\n203.0.113.45,scan target\n",
    )
    .unwrap();
    quarry()
        .args(["watchlist", "import", "WatchedAddresses"])
        .arg(&wl)
        .arg("--db")
        .arg(&db)
        .assert()
        .success();

    // The list shows every built-in hunt, the user hunt, and the broken file with its position.
    let out = quarry()
        .args(["hunts", "list", "--json", "--hunts"])
        .arg(&hunts)
        .arg("--db")
        .arg(&db)
        .assert()
        .success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("broken.yaml:5:13: expected `)`"),
        "{stderr}"
    );
    let list: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 12);
    for h in list {
        for key in [
            "id",
            "name",
            "tactics",
            "techniques",
            "params",
            "applicable",
        ] {
            assert!(h.get(key).is_some(), "{key} missing in {h}");
        }
    }

    // The user hunt with a parameter override: two watched addresses, then only the busy one.
    let run = |set: &str| -> Value {
        let out = quarry()
            .args(["hunt", "run", "11111111", "--json", "--set", set, "--hunts"])
            .arg(&hunts)
            .arg("--db")
            .arg(&db)
            .assert()
            .success();
        serde_json::from_slice(&out.get_output().stdout).unwrap()
    };
    let r = run("minimum=1");
    assert_eq!(r["status"], "hits");
    assert_eq!(r["hit_count"], 2);
    assert_eq!(r["params"]["minimum"], "1");
    let r = run("minimum=10");
    assert_eq!(r["hit_count"], 1);
    assert_eq!(r["hits"][0]["SourceIP"], "10.20.2.24");

    // A wrong type is a clear error.
    quarry()
        .args(["hunt", "run", "11111111", "--set", "minimum='x'", "--hunts"])
        .arg(&hunts)
        .arg("--db")
        .arg(&db)
        .assert()
        .failure()
        .stdout(contains("takes a long"));

    // Every built-in hunt runs headless with the documented JSON shape.
    let out = quarry()
        .args(["hunt", "run", "--all", "--json", "--db"])
        .arg(&db)
        .assert()
        .success();
    let lines: Vec<Value> = String::from_utf8(out.get_output().stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 11);
    for l in &lines {
        assert_eq!(l["status"], "hits", "{l}");
        for key in ["id", "hit_count", "elapsed_ms", "params", "hits", "error"] {
            assert!(l.get(key).is_some(), "{key} missing");
        }
    }

    // Drill into the probe hunt's hit: the 12 refused connections.
    let out = quarry()
        .args([
            "hunt",
            "drill",
            "01-outbound",
            "--row",
            "1",
            "--format",
            "json",
            "--db",
        ])
        .arg(&db)
        .assert()
        .success()
        .stderr(contains("SrcIpAddr == \"10.20.2.24\""));
    assert_eq!(
        String::from_utf8(out.get_output().stdout.clone())
            .unwrap()
            .lines()
            .count(),
        12
    );
    quarry()
        .args(["hunt", "explain", "01-outbound", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(contains("threshold = 5"))
        .stdout(contains("exclusions (what it leaves out)"))
        .stdout(contains("DstPortNumber !in commonPorts"))
        .stdout(contains("drill-down"));
}

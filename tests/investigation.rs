//! The investigation half on the committed sample, through the real binary: findings that
//! survive reopening and threshold changes, pivots that find every planted event of an
//! attacker address, the time window, ATT&CK coverage, and the case report (deterministic,
//! self-contained, and snapshotted as Markdown).

mod worker_common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

use worker_common::next_reply;

fn quarry(db: &Path) -> Command {
    let mut c = Command::cargo_bin("quarry").unwrap();
    c.arg("--db").arg(db);
    c
}

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs")
}

/// A case loaded from sample-logs/.
fn case(dir: &Path) -> PathBuf {
    let db = dir.join("case.duckdb");
    quarry(&db).arg("load").arg(sample_dir()).assert().success();
    db
}

fn stdout(c: &mut Command) -> String {
    let out = c.assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

fn json(c: &mut Command) -> Value {
    serde_json::from_str(&stdout(c)).unwrap()
}

/// The ground truth the sample generator wrote: the planted entity of a hunt.
fn planted(hunt: &str) -> Value {
    let text = std::fs::read_to_string(sample_dir().join("expected.json")).unwrap();
    let expected: Value = serde_json::from_str(&text).unwrap();
    expected["hunts"][hunt]["must_report"][0].clone()
}

#[test]
fn findings_survive_reopening_and_threshold_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = case(dir.path());
    let plant = planted("01_nonstandard_ports_scan");
    let added = stdout(quarry(&db).args([
        "findings",
        "add",
        "--hunt",
        "01-outbound",
        "--row",
        "1",
        "--severity",
        "high",
        "--tag",
        "scan,recon",
        "--note",
        "Engineering workstation probing one host.",
    ]));
    assert!(added.starts_with("finding 1:"), "{added}");
    // A stricter threshold makes the hunt report nothing; the finding keeps what it saw.
    let run = stdout(quarry(&db).args(["hunt", "run", "01-outbound", "--set", "threshold=50"]));
    assert!(run.contains("no hits"), "{run}");
    let f = json(quarry(&db).args(["findings", "show", "1", "--json"]));
    assert_eq!(f["severity"], "high");
    assert_eq!(f["tags"], serde_json::json!(["scan", "recon"]));
    assert_eq!(f["kind"], "hit");
    assert_eq!(
        f["params"]["threshold"], "5",
        "the parameter values of the run"
    );
    assert_eq!(f["rows"][0]["SrcIpAddr"], plant["SrcIpAddr"]);
    assert_eq!(
        f["events"].as_array().unwrap().len() as u64,
        plant["events"].as_u64().unwrap(),
        "the raw events behind the hit are kept"
    );
    assert!(f["kql"].as_str().unwrap().contains("let threshold = 5;"));
    assert!(f["sql"].as_str().unwrap().contains("SELECT"));
    assert_eq!(f["clock"], "2025-11-20T12:00:00Z");
    // Edit, then a query finding, then delete.
    quarry(&db)
        .args([
            "findings",
            "edit",
            "1",
            "--severity",
            "critical",
            "--note",
            "Confirmed.",
        ])
        .assert()
        .success();
    let f = json(quarry(&db).args(["findings", "show", "1", "--json"]));
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["note"], "Confirmed.");
    assert_eq!(f["tags"], serde_json::json!(["scan", "recon"]), "tags kept");
    let added = stdout(quarry(&db).args([
        "findings",
        "add",
        "--kql",
        "CommonSecurityLog | where DestinationIP == '198.51.100.23' | project TimeGenerated, SourceIP, DeviceAction",
    ]));
    assert!(added.starts_with("finding 2:"), "{added}");
    let list = stdout(quarry(&db).args(["findings", "list"]));
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(list.lines().next().unwrap().contains("critical"));
    quarry(&db).args(["findings", "rm", "1"]).assert().success();
    let err = quarry(&db).args(["findings", "rm", "1"]).assert().failure();
    let text = String::from_utf8_lossy(&err.get_output().stderr).into_owned();
    assert!(text.contains("no finding 1"), "{text}");
    let list = stdout(quarry(&db).args(["findings", "list", "--json"]));
    let kept: Value = serde_json::from_str(list.trim()).unwrap();
    assert_eq!(kept["id"], 2);
    assert_eq!(
        kept["rows"].as_array().unwrap().len() as u64,
        planted("03_denied_outbound_ti_ips")["events"]
            .as_u64()
            .unwrap()
    );
}

#[test]
fn a_pivot_on_planted_attacker_addresses_finds_every_planted_event() {
    let dir = tempfile::tempdir().unwrap();
    let db = case(dir.path());
    // The C2 address of hunt 03: every blocked attempt, its indicator, and the hunt.
    let c2 = planted("03_denied_outbound_ti_ips");
    let ip = c2["DestinationIP"].as_str().unwrap();
    let p = json(quarry(&db).args(["pivot", ip, "--json", "--limit", "100"]));
    assert_eq!(p["entity"]["kind"], "ip");
    let csl = p["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "CommonSecurityLog")
        .expect("the firewall saw it");
    assert_eq!(csl["count"], c2["events"]);
    for row in csl["rows"].as_array().unwrap() {
        assert_eq!(row["DestinationIP"], ip);
        assert_eq!(row["DeviceAction"], c2["DeviceAction"]);
    }
    let intel = p["intel"].as_array().unwrap();
    assert!(!intel.is_empty(), "its indicator is found");
    assert!(!intel[0]["source"].as_str().unwrap().is_empty());
    assert!(intel[0]["age_days"].as_f64().unwrap() >= 0.0);
    let hunts: Vec<&str> = p["hunts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert!(
        hunts.iter().any(|n| n.contains("threat-intel addresses")),
        "the hunt that found it is listed: {hunts:?}"
    );
    let timeline = &p["timeline"]["counts"];
    let total: u64 = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(total, p["events"].as_u64().unwrap());

    // The probed host of hunt 01: the twelve refused ports.
    let probed = "203.0.113.45";
    let p = json(quarry(&db).args(["pivot", probed, "--json", "--limit", "100"]));
    let scan = planted("01_nonstandard_ports_scan");
    assert_eq!(p["events"], scan["events"]);
    let rows = p["tables"][0]["rows"].as_array().unwrap();
    let mut ports: Vec<u64> = rows
        .iter()
        .map(|r| r["DestinationPort"].as_u64().unwrap())
        .collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len() as u64, scan["events"].as_u64().unwrap());
    assert!(rows.iter().all(|r| r["SourceIP"] == scan["SrcIpAddr"]));

    // Text output carries the same story.
    let text = stdout(quarry(&db).args(["pivot", ip]));
    assert!(text.contains("threat intelligence:"), "{text}");
    assert!(text.contains("timeline"), "{text}");
}

#[test]
fn the_time_window_narrows_every_query_and_the_flags_narrow_one_command() {
    let dir = tempfile::tempdir().unwrap();
    let db = case(dir.path());
    let count = |db: &Path, extra: &[&str]| -> u64 {
        let mut c = quarry(db);
        c.args(extra).args([
            "sql",
            "SELECT count(*) AS n FROM CommonSecurityLog",
            "--format",
            "csv",
        ]);
        stdout(&mut c).lines().nth(1).unwrap().parse().unwrap()
    };
    let all = count(&db, &[]);
    let last_day = count(&db, &["--from", "2025-11-19T12:00:00Z"]);
    assert!(last_day > 0 && last_day < all, "{last_day} of {all}");
    // Stored in the case: every later command sees it, KQL and hunts included.
    let shown = stdout(quarry(&db).args(["window", "set", "--from", "2025-11-20T10:00:00Z"]));
    assert_eq!(shown.trim(), "2025-11-20T10:00:00Z .. …");
    assert!(count(&db, &[]) < last_day);
    let run = stdout(quarry(&db).args(["hunt", "run", "01-outbound"]));
    assert!(
        run.contains("no hits"),
        "the 09:14 scan is outside the window: {run}"
    );
    let kql = stdout(quarry(&db).args([
        "kql",
        "CommonSecurityLog | summarize min(TimeGenerated)",
        "--format",
        "csv",
    ]));
    assert!(
        kql.lines().nth(1).unwrap() >= "2025-11-20T10:00:00",
        "{kql}"
    );
    // The clock still reads every event.
    let clock = stdout(quarry(&db).args(["clock"]));
    assert!(clock.starts_with("2025-11-20T12:00:00"), "{clock}");
    quarry(&db).args(["window", "clear"]).assert().success();
    assert_eq!(count(&db, &[]), all);
    let run = stdout(quarry(&db).args(["hunt", "run", "01-outbound"]));
    assert!(run.contains("1 hits"), "{run}");
    let bad = quarry(&db)
        .args([
            "window",
            "set",
            "--from",
            "2025-11-20",
            "--to",
            "2025-11-19",
        ])
        .assert()
        .failure();
    let text = String::from_utf8_lossy(&bad.get_output().stderr).into_owned();
    assert!(text.contains("not before its end"), "{text}");
}

#[test]
fn coverage_lists_tactics_and_techniques_with_hits() {
    let dir = tempfile::tempdir().unwrap();
    let db = case(dir.path());
    let c = json(quarry(&db).args(["coverage", "--json"]));
    let tactics = c.as_array().unwrap();
    assert_eq!(tactics.len(), 14);
    let c2 = tactics
        .iter()
        .find(|t| t["id"] == "TA0011")
        .expect("command and control");
    assert_eq!(c2["tactic"], "Command and Control");
    let ids: Vec<&str> = c2["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"T1071"), "{ids:?}");
    assert!(c2["hits"].as_u64().unwrap() > 0);
    let text = stdout(quarry(&db).arg("coverage"));
    assert!(
        text.contains("Reconnaissance (TA0043)  not covered"),
        "{text}"
    );
    assert!(text.contains("Network Service Discovery"), "{text}");
}

/// The Markdown report with what differs between machines and runs replaced.
fn stable(text: &str) -> String {
    let root = sample_dir().canonicalize().unwrap();
    text.replace(&root.display().to_string(), "<sample-logs>")
        .lines()
        .map(|l| {
            if l.starts_with("- Marked: ") {
                "- Marked: <time>".to_string()
            } else if l.starts_with("- Written by: quarry ") {
                "- Written by: quarry <version>".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_report_is_deterministic_self_contained_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let db = case(dir.path());
    quarry(&db)
        .args([
            "findings",
            "add",
            "--hunt",
            "03-denied",
            "--row",
            "1",
            "--severity",
            "high",
            "--note",
            "C2 blocked seven times.",
        ])
        .assert()
        .success();
    let md = stdout(quarry(&db).args(["report", "--format", "md"]));
    let again = stdout(quarry(&db).args(["report", "--format", "md"]));
    assert_eq!(md, again, "the same case gives the same report");
    for needed in [
        "## Input files",
        "2025-11-20T12:00:00Z",
        "Time window: all time",
        "## Hunts",
        "let threshold = 5;",
        "## ATT&CK coverage",
        "### Finding 1 [high]",
        "> C2 blocked seven times.",
        "Events behind it (7 of 7)",
    ] {
        assert!(md.contains(needed), "missing {needed:?}");
    }
    // Every input file with its hash.
    let sources = stdout(quarry(&db).args([
        "sql",
        "SELECT sha256 FROM quarry_sources",
        "--format",
        "csv",
    ]));
    for sha in sources.lines().skip(1) {
        assert!(md.contains(sha), "{sha}");
    }
    insta::assert_snapshot!("report_markdown", stable(&md));

    let html_path = dir.path().join("report.html");
    quarry(&db)
        .args(["report", "--format", "html", "-o"])
        .arg(&html_path)
        .assert()
        .success();
    let html = std::fs::read_to_string(&html_path).unwrap();
    let html_again = stdout(quarry(&db).args(["report", "--format", "html"]));
    assert_eq!(html, html_again);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<style>"));
    for outside in [
        "<script", "<link", "<img", " src=", " href=", "url(", "@import",
    ] {
        assert!(
            !html.contains(outside),
            "the HTML must open offline: {outside}"
        );
    }
    let report: Value =
        serde_json::from_str(&stdout(quarry(&db).args(["report", "--format", "json"]))).unwrap();
    assert_eq!(report["findings"][0]["severity"], "high");
    assert_eq!(report["hunts"].as_array().unwrap().len(), 11);
}

#[test]
fn the_workbench_writes_the_same_report_as_the_command_line_and_stays_sandboxed() {
    use quarry::tui::protocol::{Reply, Request};
    let dir = tempfile::tempdir().unwrap();
    let db = case(dir.path());
    let cli = stdout(quarry(&db).args(["report", "--format", "md"]));
    let mut worker = quarry::tui::worker::spawn(db, Vec::new());
    assert!(matches!(next_reply(&worker), Reply::Ready { .. }));
    let path = dir.path().join("report.md");
    worker
        .tx
        .send(Request::Report(path.display().to_string()))
        .unwrap();
    match next_reply(&worker) {
        Reply::Exported(m) => assert!(m.contains("report written"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), cli);
    // The worker reopened the case sandboxed: it answers, and files stay out of reach.
    worker
        .tx
        .send(Request::Console(format!(
            "sql SELECT * FROM read_text('{}')",
            path.display()
        )))
        .unwrap();
    match next_reply(&worker) {
        Reply::Console { error: Some(e), .. } => assert!(e.contains("disabled"), "{e}"),
        other => panic!("{other:?}"),
    }
    worker
        .tx
        .send(Request::Console(
            "sql SELECT count(*) FROM DnsEvents".into(),
        ))
        .unwrap();
    match next_reply(&worker) {
        Reply::Console {
            rows, error: None, ..
        } => assert_eq!(rows, vec![vec!["4708".to_string()]]),
        other => panic!("{other:?}"),
    }
    worker.stop();
}

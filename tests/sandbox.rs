//! Queries reach the case's tables and nothing else: console SQL and KQL on the command line,
//! hunt files from strangers, and the query of an export. Each escape is refused with a clear
//! error, nothing is written, and the case (with its own externaldata folder) keeps working.

mod worker_common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::str::contains;
use serde_json::Value;

use worker_common::next_reply;

fn quarry() -> Command {
    Command::cargo_bin("quarry").unwrap()
}

/// A case loaded from sample-logs/.
fn case(dir: &Path) -> PathBuf {
    let db = dir.join("case.duckdb");
    quarry()
        .arg("load")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs"))
        .arg("--db")
        .arg(&db)
        .assert()
        .success();
    db
}

/// Runs `quarry sql QUERY` and returns (success, stderr).
fn sql(db: &Path, query: &str) -> (bool, String) {
    let out = quarry()
        .arg("--db")
        .arg(db)
        .args(["sql", query])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn console_sql_reaches_no_file_extension_database_or_setting() {
    let dir = tempfile::tempdir().unwrap();
    let db = case(dir.path());
    let secret = dir.path().join("secret.csv");
    std::fs::write(&secret, "password\nhunter2\n").unwrap();
    let stolen = dir.path().join("stolen.csv");
    let other = dir.path().join("other.duckdb");
    let d = dir.path().display();
    let attempts = [
        format!("SELECT * FROM read_csv('{}')", secret.display()),
        format!("SELECT * FROM read_text('{}')", secret.display()),
        format!("SELECT * FROM glob('{d}/*')"),
        format!("COPY (SELECT 1 AS x) TO '{}'", stolen.display()),
        format!("COPY CommonSecurityLog TO '{}'", stolen.display()),
        format!("ATTACH '{}' AS other", other.display()),
        "INSTALL httpfs".to_string(),
        "LOAD httpfs".to_string(),
        "SET enable_external_access = true".to_string(),
        "SET memory_limit = '64GB'".to_string(),
        "SET allowed_directories = ['/']".to_string(),
        "RESET lock_configuration".to_string(),
    ];
    for q in &attempts {
        let (ok, stderr) = sql(&db, q);
        assert!(!ok, "{q} was allowed");
        assert!(stderr.starts_with("error: "), "{q}: {stderr}");
        assert!(!stderr.contains("hunter2"), "{q}: {stderr}");
    }
    assert!(!stolen.exists(), "a query wrote a file");
    assert!(!other.exists(), "a query created a database");
    // The case itself is untouched and answers.
    let out = quarry()
        .arg("--db")
        .arg(&db)
        .args([
            "sql",
            "SELECT count(*) AS n FROM CommonSecurityLog",
            "--format",
            "csv",
        ])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.lines()
            .nth(1)
            .is_some_and(|n| n.parse::<u64>().unwrap() > 1000),
        "{text}"
    );
}

#[test]
fn kql_and_hunt_files_cannot_escape_and_the_others_still_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = case(dir.path());
    let stolen = dir.path().join("stolen.csv");
    // externaldata resolves only inside the case's own folder, whatever the URL says.
    quarry()
        .arg("--db")
        .arg(&db)
        .args([
            "kql",
            "externaldata (line: string) [@\"file:///etc/passwd\"] | take 1",
        ])
        .assert()
        .failure()
        .stderr(contains("passwd"));
    // A string is a string: no SQL is injected through it.
    let injection = format!(
        "print x = \"'); COPY (SELECT 1) TO '{}'; --\"",
        stolen.display()
    );
    quarry()
        .arg("--db")
        .arg(&db)
        .args(["kql", &injection])
        .assert()
        .success();
    assert!(!stolen.exists());

    let hunts = dir.path().join("hunts");
    std::fs::create_dir_all(&hunts).unwrap();
    std::fs::write(
        hunts.join("steal-passwd.kql"),
        "externaldata (line: string) [@\"https://example.com/../../etc/passwd\"]\n| take 5\n",
    )
    .unwrap();
    std::fs::write(
        hunts.join("inject.kql"),
        format!(
            "CommonSecurityLog\n| where DeviceVendor == \"x'); COPY (SELECT 1) TO '{}'; --\"\n| take 1\n",
            stolen.display()
        ),
    )
    .unwrap();
    let out = quarry()
        .args(["hunt", "run", "--all", "--json", "--hunts"])
        .arg(&hunts)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    let results: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_id = |id: &str| {
        results
            .iter()
            .find(|r| r["id"].as_str().is_some_and(|i| i.contains(id)))
            .unwrap_or_else(|| panic!("{id} missing from {results:?}"))
    };
    let steal = by_id("steal-passwd");
    assert_eq!(steal["status"], "error", "{steal}");
    assert!(
        steal["error"].as_str().unwrap().contains("passwd"),
        "{steal}"
    );
    assert_eq!(by_id("inject")["status"], "no_hits");
    assert!(!stolen.exists());
    // The built-in hunts still run, the externaldata one (02) included.
    let hits = results.iter().filter(|r| r["status"] == "hits").count();
    assert_eq!(hits, 11, "{results:?}");
}

#[test]
fn an_export_writes_only_where_the_user_asked_and_its_query_is_sandboxed() {
    let dir = tempfile::tempdir().unwrap();
    let db = case(dir.path());
    let secret = dir.path().join("secret.csv");
    std::fs::write(&secret, "password\nhunter2\n").unwrap();
    let out = dir.path().join("out.csv");
    quarry()
        .arg("--db")
        .arg(&db)
        .args(["export", "--sql"])
        .arg(format!("SELECT * FROM read_csv('{}')", secret.display()))
        .arg("--out")
        .arg(&out)
        .assert()
        .failure();
    assert!(!out.exists());
    quarry()
        .arg("--db")
        .arg(&db)
        .args([
            "export",
            "--sql",
            "SELECT DeviceVendor, count(*) AS n FROM CommonSecurityLog GROUP BY 1",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("DeviceVendor,n"), "{text}");
    // The staging table is gone.
    let (ok, _) = sql(&db, "SELECT * FROM quarry_export_stage");
    assert!(!ok);
}

#[test]
fn the_workbench_console_is_sandboxed_and_its_load_and_export_still_work() {
    use quarry::tui::protocol::{Reply, Request};
    let dir = tempfile::tempdir().unwrap();
    let db = case(dir.path());
    let secret = dir.path().join("secret.csv");
    std::fs::write(&secret, "password\nhunter2\n").unwrap();
    let mut worker = quarry::tui::worker::spawn(db, Vec::new());
    assert!(matches!(next_reply(&worker), Reply::Ready { .. }));
    let steal = format!("sql SELECT * FROM read_csv('{}')", secret.display());
    let refused = |reply: Reply| match reply {
        Reply::Console { error: Some(e), .. } => assert!(e.contains("disabled"), "{e}"),
        other => panic!("{other:?}"),
    };
    worker.tx.send(Request::Console(steal.clone())).unwrap();
    refused(next_reply(&worker));

    let out = dir.path().join("out.csv");
    worker
        .tx
        .send(Request::Export {
            sql: "SELECT 42 AS answer".into(),
            path: out.display().to_string(),
        })
        .unwrap();
    assert!(matches!(next_reply(&worker), Reply::Exported(m) if m.contains("1 rows")));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "answer\n42\n");
    let leaked = dir.path().join("leaked.csv");
    worker
        .tx
        .send(Request::Export {
            sql: format!("SELECT * FROM read_csv('{}')", secret.display()),
            path: leaked.display().to_string(),
        })
        .unwrap();
    assert!(matches!(next_reply(&worker), Reply::Failed(_)));
    assert!(!leaked.exists());

    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ingest/single/DnsEvents.tsv");
    worker
        .tx
        .send(Request::Load(file.display().to_string()))
        .unwrap();
    assert!(matches!(next_reply(&worker), Reply::Loaded { .. }));
    // Sandboxed again after the load.
    worker.tx.send(Request::Console(steal)).unwrap();
    refused(next_reply(&worker));
    worker.stop();
}

#[test]
fn a_runaway_query_hits_the_memory_limit_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("case.duckdb");
    let out = quarry()
        .env("QUARRY_MEMORY_LIMIT", "100MB")
        .arg("--db")
        .arg(&db)
        .args([
            "sql",
            "SELECT max(len(l)) FROM (SELECT list(range) AS l FROM range(100000000))",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: Out of Memory Error"), "{stderr}");
    // The case is fine afterwards.
    quarry()
        .arg("--db")
        .arg(&db)
        .args(["sql", "SELECT 1"])
        .assert()
        .success();
}

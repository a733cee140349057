//! A load killed with SIGKILL leaves the case as it was before the file being loaded:
//! every table holds exactly the rows its registered sources loaded.

mod ingest_common;

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use ingest_common::{fixture, int, load};
use quarry::engine::Case;

/// Runs only as the child process of `sigkill_mid_load_leaves_a_consistent_case`.
#[test]
#[ignore = "child process of sigkill_mid_load_leaves_a_consistent_case"]
fn child_load() {
    let (Ok(db), Ok(files)) = (
        std::env::var("QUARRY_SIGKILL_CASE"),
        std::env::var("QUARRY_SIGKILL_FILES"),
    ) else {
        return;
    };
    let case = Case::open(&PathBuf::from(db)).expect("case");
    let paths: Vec<PathBuf> = files.split('\n').map(PathBuf::from).collect();
    load(&case, &paths);
}

fn big_cef(path: &PathBuf, lines: usize) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    for i in 0..lines {
        writeln!(
            w,
            "CEF:0|V|P|1|1|x|1|rt={} src=10.0.{}.{} dst=198.51.100.{} spt={} dpt=443 act=allow out={i}",
            1_762_000_000_000u64 + i as u64,
            (i / 256) % 256,
            i % 256,
            i % 200,
            1024 + i % 60000
        )
        .expect("write");
    }
}

#[test]
fn sigkill_mid_load_leaves_a_consistent_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("case.duckdb");
    let cef = dir.path().join("big.cef.log");
    big_cef(&cef, 400_000);
    let files = [fixture("sample/zeek/conn.log"), cef.clone()];
    let list: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .args(["--ignored", "--exact", "child_load", "--nocapture"])
        .env("QUARRY_SIGKILL_CASE", &db)
        .env("QUARRY_SIGKILL_FILES", list.join("\n"))
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");

    let case = Case::open(&db).expect("reopen after SIGKILL");
    let sources = int(&case, "SELECT count(*) FROM quarry_sources");
    eprintln!("after SIGKILL: {sources} source(s) registered");
    assert!(sources <= 2);
    // Every table holds exactly what its registered sources loaded.
    for table in ["ZeekConn", "CommonSecurityLog"] {
        let exists = int(
            &case,
            &format!("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = '{table}'"),
        ) == 1;
        let registered = int(
            &case,
            &format!("SELECT coalesce(sum(rows_loaded), 0) FROM quarry_sources WHERE target_table = '{table}'"),
        );
        let rows = if exists {
            int(&case, &format!("SELECT count(*) FROM {table}"))
        } else {
            0
        };
        assert_eq!(rows, registered, "{table}");
    }
    assert_eq!(
        int(&case, "SELECT count(*) FROM quarry_rejects"),
        int(
            &case,
            "SELECT coalesce(sum(rows_rejected), 0) FROM quarry_sources"
        )
    );
    // Loading again completes what was interrupted.
    let report = load(&case, &files);
    assert!(!report.has_failures(), "{report:?}");
    assert_eq!(
        int(&case, "SELECT count(*) FROM CommonSecurityLog"),
        400_000
    );
    assert_eq!(int(&case, "SELECT count(*) FROM ZeekConn"), 3);
}

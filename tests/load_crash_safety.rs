//! A load killed with SIGKILL leaves the case exactly as it was before that file,
//! and loading the file again afterwards completes.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn quarry_bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("quarry")
}

/// Writes a Zeek conn log large enough that loading it takes a noticeable moment.
fn write_conn_log(path: &Path, rows: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "#separator \\x09").unwrap();
    writeln!(out, "#set_separator\t,").unwrap();
    writeln!(out, "#empty_field\t(empty)").unwrap();
    writeln!(out, "#unset_field\t-").unwrap();
    writeln!(out, "#path\tconn").unwrap();
    writeln!(out, "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state").unwrap();
    writeln!(out, "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring").unwrap();
    for i in 0..rows {
        writeln!(
            out,
            "{}.{:06}\tC{i:08}\t10.1.{}.{}\t{}\t203.0.113.{}\t443\ttcp\tssl\t1.5\t{}\t{}\tSF",
            1_740_000_000 + i / 10,
            i % 1_000_000,
            i / 250 % 250,
            i % 250,
            40_000 + i % 20_000,
            i % 200,
            i * 7 % 100_000,
            i * 13 % 100_000
        )
        .unwrap();
    }
}

fn count(db: &Path, sql: &str) -> i64 {
    let case = quarry::engine::Case::open(db).unwrap();
    case.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn sigkill_during_load_leaves_the_case_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("case.duckdb");
    let first = dir.path().join("first.log");
    let big = dir.path().join("big.log");
    write_conn_log(&first, 1_000);
    write_conn_log(&big, 400_000);

    let status = Command::new(quarry_bin())
        .arg("load")
        .arg(&first)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let before = count(&db, "SELECT count(*) FROM ZeekConn");
    assert_eq!(before, 1_000);

    // Time one full load in a scratch case to spread the kills over its whole duration.
    let scratch = dir.path().join("scratch.duckdb");
    let started = Instant::now();
    let ok = Command::new(quarry_bin())
        .arg("load")
        .arg(&big)
        .arg("--db")
        .arg(&scratch)
        .output()
        .unwrap();
    assert!(ok.status.success());
    let full = started.elapsed();

    // Kill a load of the big file at spread-out moments, each time from the state before it.
    // QUARRY_KILL_TRIALS sets how many (scripts/crash-trials.sh runs 20).
    let trials: usize = std::env::var("QUARRY_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let snapshot = dir.path().join("before.duckdb");
    std::fs::copy(&db, &snapshot).unwrap();
    let (mut rolled_back, mut committed) = (0, 0);
    for trial in 0..trials {
        std::fs::copy(&snapshot, &db).unwrap();
        let _ = std::fs::remove_file(db.with_extension("duckdb.wal"));
        // Evenly spread, with a deterministic jitter of up to a tenth of the load.
        let jitter = ((trial * 7919) % 100) as f64 / 1000.0 - 0.05;
        let at = ((trial as f64 + 0.5) / trials as f64 + jitter).clamp(0.01, 1.2);
        let delay = full.mul_f64(at);
        let mut child = Command::new(quarry_bin())
            .arg("load")
            .arg(&big)
            .arg("--db")
            .arg(&db)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay.min(Duration::from_secs(20)));
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();
        let rows = count(&db, "SELECT count(*) FROM ZeekConn");
        let sources = count(&db, "SELECT count(*) FROM quarry_sources");
        let outcome = if rows == before {
            assert_eq!(
                sources, 1,
                "trial {trial}: a source was registered without its rows"
            );
            rolled_back += 1;
            "rolled back"
        } else {
            // The kill came after the commit: the whole file is there, exactly once.
            assert_eq!(
                rows,
                before + 400_000,
                "trial {trial}: partial load visible"
            );
            assert_eq!(sources, 2, "trial {trial}");
            committed += 1;
            "committed"
        };
        eprintln!(
            "trial {trial}: SIGKILL after {} ms of a {} ms load: {outcome}, the case opens",
            delay.as_millis(),
            full.as_millis()
        );
    }
    eprintln!("{trials} trials: {rolled_back} rolled back, {committed} committed, 0 damaged");
    assert!(rolled_back > 0, "no kill landed during the load");
    std::fs::copy(&snapshot, &db).unwrap();
    let _ = std::fs::remove_file(db.with_extension("duckdb.wal"));
    let done = Command::new(quarry_bin())
        .arg("load")
        .arg(&big)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM ZeekConn"),
        before + 400_000
    );
}

//! The case database: settings that keep it offline, the clock, and the lock message.

use assert_cmd::Command;
use quarry::engine::Case;

fn extensions_loaded(case: &Case) -> Vec<String> {
    let mut stmt = case
        .conn()
        .prepare("SELECT extension_name FROM duckdb_extensions() WHERE loaded ORDER BY 1")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn only_bundled_extensions_are_loaded() {
    let case = Case::open_in_memory().unwrap();
    let loaded = extensions_loaded(&case);
    for name in ["icu", "inet", "httpfs"] {
        assert!(
            !loaded.iter().any(|e| e == name),
            "{name} is loaded: {loaded:?}"
        );
    }
    for name in ["json", "parquet"] {
        assert!(
            loaded.iter().any(|e| e == name),
            "{name} missing: {loaded:?}"
        );
    }
}

#[test]
fn autoloading_is_off_so_missing_extensions_fail_at_once() {
    let case = Case::open_in_memory().unwrap();
    for setting in ["autoinstall_known_extensions", "autoload_known_extensions"] {
        let value: String = case
            .conn()
            .query_row(
                &format!("SELECT current_setting('{setting}')::VARCHAR"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(value, "false", "{setting}");
    }
    // inet and ICU would be downloaded if autoloading were on: here they fail fast.
    let started = std::time::Instant::now();
    let err = case
        .conn()
        .execute_batch("SELECT '10.0.0.1'::INET")
        .unwrap_err();
    assert!(err.to_string().to_lowercase().contains("inet"), "{err}");
    assert!(
        started.elapsed().as_secs() < 5,
        "the failure waited on the network"
    );
    let loaded = extensions_loaded(&case);
    assert!(
        !loaded.iter().any(|e| e == "inet" || e == "icu"),
        "{loaded:?}"
    );
}

#[test]
fn clock_override_wins_and_auto_follows_data() {
    let dir = tempfile::tempdir().unwrap();
    let case = Case::open(&dir.path().join("c.duckdb")).unwrap();
    assert_eq!(case.clock().unwrap(), None);
    case.conn()
        .execute_batch(
            "CREATE TABLE T (TimeGenerated TIMESTAMP);
             INSERT INTO T VALUES ('2024-05-01 10:00:00'), ('2024-05-03 08:30:00');",
        )
        .unwrap();
    case.refresh_auto_clock().unwrap();
    let auto = chrono::NaiveDate::from_ymd_opt(2024, 5, 3)
        .unwrap()
        .and_hms_opt(8, 30, 0)
        .unwrap();
    assert_eq!(case.clock().unwrap(), Some(auto));
    let pinned = chrono::NaiveDate::from_ymd_opt(2025, 3, 1)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap();
    case.set_clock(Some(pinned)).unwrap();
    assert_eq!(case.clock().unwrap(), Some(pinned));
    case.set_clock(None).unwrap();
    assert_eq!(case.clock().unwrap(), Some(auto));
}

#[test]
fn a_case_held_by_another_process_gives_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("held.duckdb");
    let _held = Case::open(&path).unwrap();
    let out = Command::cargo_bin("quarry")
        .unwrap()
        .args(["tables", "--db"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("open in another process"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

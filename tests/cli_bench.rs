//! `quarry bench --quick` runs every section end to end on a small generated case: figures are
//! printed and never judged, but every section must appear, every format must load, and the
//! threshold fast path must show in the edit table.

mod sample_common;

use assert_cmd::Command;

#[test]
fn quick_bench_prints_every_section() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = sample_common::corpus_dir();
    let mut cmd = Command::cargo_bin("quarry").unwrap();
    cmd.args(["bench", "--quick", "--workdir"]).arg(dir.path());
    cmd.arg("--corpus").arg(
        corpus
            .clone()
            .unwrap_or_else(|| dir.path().join("no-corpus")),
    );
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for section in [
        "### Ingest per format",
        "### Hunts on the case",
        "### Edit to updated hit list",
        "### Workbench with a large result",
        "### Workbench start-up",
        "### lnav vs quarry",
    ] {
        assert!(stdout.contains(section), "{section} missing:\n{stdout}");
    }
    for format in [
        "Zeek TSV",
        "CEF (syslog, gzip)",
        "CSV (Defender export)",
        "NDJSON (VMConnection)",
        "Parquet (DeviceNetworkEvents)",
    ] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {format}")))
            .unwrap_or_else(|| panic!("no row for {format}:\n{stdout}"));
        let rows: u64 = line.split('|').nth(2).unwrap().trim().parse().unwrap();
        assert!(rows > 100, "{line}");
    }
    let probe = stdout
        .lines()
        .find(|l| l.contains("Blocked probing") && l.contains("| threshold"))
        .unwrap_or_else(|| panic!("no threshold edit for hunt 01:\n{stdout}"));
    assert!(probe.contains("kept aggregate re-filtered"), "{probe}");
    assert!(stdout.contains("run-all (11 hunts"), "{stdout}");
    if !stdout.contains("lnav is not installed") {
        let row = stdout
            .lines()
            .find(|l| l.starts_with("| open the log and answer"))
            .unwrap_or_else(|| panic!("no lnav row:\n{stdout}"));
        assert!(
            row.contains("| 1 / 1"),
            "both find the one planted probe: {row}"
        );
    }
    if corpus.is_some() {
        assert!(stdout.contains("### Seed queries"), "{stdout}");
        assert!(stdout.contains("03_denied_outbound_ti_ips.kql"), "{stdout}");
    }
}

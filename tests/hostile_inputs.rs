//! Hostile and broken files: each gets a clear per-file outcome, nothing panics, and the
//! accounting holds (rows read = loaded + rejected) for every file.

use std::io::Write;
use std::path::{Path, PathBuf};

use quarry::engine::Case;
use quarry::ingest::{load_paths, FileOutcome, FileStatus, LoadOptions};

const ZEEK_HEADER: &str =
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n\
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\n\
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n";

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Loads `files` (name, bytes) one by one into one case; their outcomes by name.
fn load_all(dir: &Path, files: Vec<(&str, Vec<u8>)>) -> Vec<(String, FileOutcome)> {
    let case = Case::open(&dir.join("case.duckdb")).unwrap();
    let mut out = Vec::new();
    for (name, bytes) in files {
        let path: PathBuf = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let report = load_paths(&case, &[path], &LoadOptions::default()).unwrap();
        let outcome = report.files.into_iter().next().unwrap();
        assert_eq!(
            outcome.rows_read,
            outcome.rows_loaded + outcome.rows_rejected,
            "{name}: {outcome:?}"
        );
        out.push((name.to_string(), outcome));
    }
    out
}

fn find<'a>(all: &'a [(String, FileOutcome)], name: &str) -> &'a FileOutcome {
    &all.iter().find(|(n, _)| n == name).unwrap().1
}

#[test]
fn broken_and_hostile_files_get_outcomes_and_the_accounting_holds() {
    let dir = tempfile::tempdir().unwrap();
    let huge_line = format!(
        "CEF:0|Palo Alto Networks|PAN-OS|10|end|TRAFFIC|3|src=10.0.0.1 dst=8.8.8.8 msg={}\n\
         CEF:0|Palo Alto Networks|PAN-OS|10|end|TRAFFIC|3|src=10.0.0.2 dst=8.8.4.4\n",
        "A".repeat(10 * 1024 * 1024)
    );
    let mut latin1 =
        b"TimeGenerated,ClientIP,Name,QueryType\n2025-11-20T10:00:00Z,10.0.0.5,caf".to_vec();
    latin1.extend([0xE9, b'.', b'f', b'r', b',', b'A', b'\n']);
    let mut utf16 = vec![0xFF, 0xFE];
    for u in
        "TimeGenerated,ClientIP,Name,QueryType\r\n2025-11-20T10:00:00Z,10.0.0.6,example.org,A\r\n"
            .encode_utf16()
    {
        utf16.extend(u.to_le_bytes());
    }
    let bom_crlf = b"\xEF\xBB\xBFTimeGenerated,ClientIP,Name,QueryType\r\n2025-11-20T10:00:00Z,10.0.0.7,example.net,A\r\n".to_vec();
    let changing_csv = b"TimeGenerated,ClientIP,Name,QueryType\n\
2025-11-20T10:00:00Z,10.0.0.8,a.example,A\n\
2025-11-20T10:00:01Z,10.0.0.8,b.example,A,extra,columns\n\
2025-11-20T10:00:02Z,10.0.0.8\n\
2025-11-20T10:00:03Z,10.0.0.8,c.example,AAAA\n"
        .to_vec();
    let mixed_ndjson = b"{\"TimeGenerated\":\"2025-11-20T10:00:00Z\",\"ClientIP\":\"10.0.0.9\",\"Name\":\"a\",\"QueryType\":\"A\"}\n\
{\"TimeGenerated\":12345,\"ClientIP\":[1,2],\"Name\":{\"x\":1},\"QueryType\":true}\n\
{\"TimeGenerated\":\"2025-11-20T10:00:02Z\",\"ClientIP\":null,\"Name\":7,\"QueryType\":\"A\"}\n\
not json at all\n"
        .to_vec();
    let zeek_wrong_fields = format!(
        "{ZEEK_HEADER}1762000000.0\tC1\t10.0.0.1\t5000\t8.8.8.8\t53\tudp\tSF\n\
         1762000001.0\tC2\t10.0.0.1\t5001\n\
         1762000002.0\tC3\t10.0.0.1\t5002\t8.8.8.8\t53\tudp\tSF\textra\tfields\n"
    )
    .into_bytes();
    let cef_broken = b"<134>Nov  9 15:46:34 fw CEF:0|Vendor\\|X|Prod|1|sig|name|5|src=10.0.0.1 msg=ends with backslash \\\n\
CEF:0|only|three|fields\n\
CEF:0|V|P|1|s|n|5|=novalue key= dst=8.8.8.8 bad\\=escape\\q\n"
        .to_vec();
    let bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>\n\
<Events><Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System><Provider Name=\"Microsoft-Windows-Sysmon\"/><EventID>3</EventID><TimeCreated SystemTime=\"2025-11-20T10:00:00.000Z\"/><Computer>server1</Computer></System>\
<EventData><Data Name=\"DestinationIp\">&lol3;</Data></EventData></Event></Events>\n";
    let full = gzip(
        format!("{ZEEK_HEADER}1762000000.0\tC1\t10.0.0.1\t5000\t8.8.8.8\t53\tudp\tSF\n").as_bytes(),
    );
    let truncated = full[..full.len() / 2].to_vec();
    let binary: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    let all = load_all(
        dir.path(),
        vec![
            ("huge-line.cef.log", huge_line.into_bytes()),
            ("dns-latin1.csv", latin1),
            ("dns-utf16.csv", utf16),
            ("dns-bom-crlf.csv", bom_crlf),
            ("dns-columns-change.csv", changing_csv),
            ("dns-mixed.ndjson", mixed_ndjson),
            ("conn-wrong-fields.log", zeek_wrong_fields),
            ("fw-broken-escapes.cef.log", cef_broken),
            ("sysmon-bomb.xml", bomb.as_bytes().to_vec()),
            ("conn-truncated.log.gz", truncated),
            ("garbage.bin", binary),
        ],
    );
    let huge = find(&all, "huge-line.cef.log");
    assert_eq!(
        (huge.status.clone(), huge.rows_read),
        (FileStatus::Loaded, 2),
        "{huge:?}"
    );
    for name in ["dns-latin1.csv", "dns-utf16.csv", "dns-bom-crlf.csv"] {
        let o = find(&all, name);
        assert_eq!(
            (o.status.clone(), o.rows_loaded),
            (FileStatus::Loaded, 1),
            "{name}: {o:?}"
        );
    }
    let changing = find(&all, "dns-columns-change.csv");
    assert_eq!(changing.status, FileStatus::Loaded);
    assert_eq!(
        (changing.rows_loaded, changing.rows_rejected),
        (2, 2),
        "{changing:?}"
    );
    let mixed = find(&all, "dns-mixed.ndjson");
    assert_eq!(mixed.status, FileStatus::Loaded);
    assert!(
        mixed.rows_rejected >= 1 && mixed.rows_loaded >= 1,
        "{mixed:?}"
    );
    let zeek = find(&all, "conn-wrong-fields.log");
    assert_eq!((zeek.rows_loaded, zeek.rows_rejected), (1, 2), "{zeek:?}");
    let cef = find(&all, "fw-broken-escapes.cef.log");
    assert_eq!(cef.rows_read, 3, "{cef:?}");
    let bomb = find(&all, "sysmon-bomb.xml");
    assert!(
        !matches!(bomb.status, FileStatus::Loaded) || bomb.rows_read <= 1,
        "{bomb:?}"
    );
    assert!(matches!(
        find(&all, "conn-truncated.log.gz").status,
        FileStatus::Failed(_)
    ));
    assert!(matches!(
        find(&all, "garbage.bin").status,
        FileStatus::Failed(_) | FileStatus::Skipped(_)
    ));
}

#[test]
fn the_rejected_lines_are_kept_with_their_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let case = Case::open(&dir.path().join("case.duckdb")).unwrap();
    let path = dir.path().join("conn.log");
    std::fs::write(
        &path,
        format!("{ZEEK_HEADER}1762000000.0\tC1\t10.0.0.1\t5000\t8.8.8.8\t53\tudp\tSF\n1762000001.0\tC2\tshort\n"),
    )
    .unwrap();
    load_paths(&case, &[path], &LoadOptions::default()).unwrap();
    let (line, raw, reason): (i64, String, String) = case
        .conn()
        .query_row("SELECT line, raw, reason FROM quarry_rejects", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(line, 9, "the second data line, after seven header lines");
    assert!(raw.contains("C2"), "{raw}");
    assert!(!reason.is_empty());
}

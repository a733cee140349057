//! Single-file loads: TSV exports with quoted tabs, Parquet, --table, unrecognised files,
//! globs, watchlist and TI entry points, transactions.

mod ingest_common;

use std::path::PathBuf;

use ingest_common::{fixture, int, load, load_into, text};
use quarry::engine::Case;
use quarry::ingest::{
    import_ti, import_watchlist, load_paths, FileStatus, IngestError, LoadOptions,
};

#[test]
fn tsv_export_with_quoted_tabs_newlines_and_doubled_quotes() {
    let case = Case::open_in_memory().expect("case");
    let report = load(&case, &[fixture("single/DnsEvents.tsv")]);
    let o = &report.files[0];
    assert_eq!(o.status, FileStatus::Loaded, "{o:?}");
    assert_eq!((o.format.as_str(), o.table.as_str()), ("tsv", "DnsEvents"));
    assert_eq!(o.rows_loaded, 2);
    assert_eq!(
        text(
            &case,
            "SELECT Message FROM DnsEvents WHERE Name = 'tab.example'"
        )
        .as_deref(),
        Some("has\ta tab and \"quotes\"")
    );
    assert_eq!(
        text(
            &case,
            "SELECT Message FROM DnsEvents WHERE Name = 'nl.example'"
        )
        .as_deref(),
        Some("two\nlines")
    );
}

#[test]
fn parquet_export_loads_into_its_recognised_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("vmconn.parquet");
    let case = Case::open_in_memory().expect("case");
    case.conn()
        .execute_batch(&format!(
            "COPY (SELECT TIMESTAMP '2025-11-09 17:00:00' AS TimeGenerated, 'vm9' AS Computer,
                          '10.0.0.9' AS SourceIp, '203.0.113.9' AS DestinationIp,
                          443 AS DestinationPort, 'outbound' AS Direction, 'tcp' AS Protocol,
                          42::BIGINT AS BytesSent, ['a', 'b'] AS RemoteDnsQuestions,
                          7.5::FLOAT AS ExtraScore
                   UNION ALL
                   SELECT TIMESTAMP '2025-11-09 17:01:00', 'vm-too-big', '10.0.0.9',
                          '203.0.113.9', 99999999999, 'outbound', 'tcp', 1, [], 1.0)
             TO '{}' (FORMAT parquet)",
            file.display()
        ))
        .expect("write parquet");
    let report = load(&case, &[file]);
    let o = &report.files[0];
    assert_eq!(o.status, FileStatus::Loaded, "{o:?}");
    assert_eq!(
        (o.format.as_str(), o.table.as_str()),
        ("parquet", "VMConnection")
    );
    // Values are staged typed: a port too large for the table's INTEGER rejects its row, and
    // a column quarry does not know keeps the file's type.
    assert_eq!((o.rows_loaded, o.rows_rejected), (1, 1), "{o:?}");
    assert!(text(&case, "SELECT reason FROM quarry_rejects")
        .unwrap()
        .contains("DestinationPort: cannot read 99999999999"));
    assert_eq!(int(&case, "SELECT line FROM quarry_rejects"), 2);
    assert_eq!(
        text(
            &case,
            "SELECT data_type || ' ' || (SELECT CAST(ExtraScore AS VARCHAR) FROM VMConnection)
             FROM information_schema.columns WHERE table_schema = 'main' AND column_name = 'ExtraScore'"
        )
        .as_deref(),
        Some("DOUBLE 7.5")
    );
    assert_eq!(
        int(
            &case,
            "SELECT BytesSent FROM VMConnection WHERE Computer = 'vm9'"
        ),
        42
    );
    assert_eq!(
        text(
            &case,
            "SELECT CAST(TimeGenerated AS VARCHAR) FROM VMConnection"
        )
        .as_deref(),
        Some("2025-11-09 17:00:00")
    );
    assert_eq!(
        text(
            &case,
            "SELECT CAST(RemoteDnsQuestions AS VARCHAR) FROM VMConnection"
        )
        .as_deref(),
        Some("[\"a\",\"b\"]")
    );
    assert_eq!(
        int(
            &case,
            "SELECT count(*) FROM NetworkSessions WHERE Type = 'VMConnection'"
        ),
        1
    );
}

#[test]
fn unknown_columns_need_a_table_name() {
    let case = Case::open_in_memory().expect("case");
    let report = load(&case, &[fixture("single/unknown.csv")]);
    assert!(
        matches!(report.files[0].status, FileStatus::Failed(_)),
        "{:?}",
        report.files[0]
    );
    assert!(report.has_failures());
    let report = load_into(&case, &[fixture("single/unknown.csv")], "Inventory");
    assert_eq!(report.files[0].status, FileStatus::Loaded);
    assert_eq!(int(&case, "SELECT count(*) FROM Inventory"), 2);
    assert_eq!(
        text(&case, "SELECT host FROM Inventory WHERE port = '2'").as_deref(),
        Some("beta")
    );
}

#[test]
fn unrecognised_files_fail_when_named_and_are_skipped_in_folders() {
    let case = Case::open_in_memory().expect("case");
    let named = load(&case, &[fixture("single/notes.txt")]);
    assert!(matches!(named.files[0].status, FileStatus::Failed(_)));
    let globbed = load(
        &case,
        &[PathBuf::from(format!(
            "{}/*.txt",
            fixture("single").display()
        ))],
    );
    assert!(
        matches!(globbed.files[0].status, FileStatus::Skipped(_)),
        "{:?}",
        globbed.files[0]
    );
    let missing = load_paths(
        &case,
        &[fixture("no-such-file.log")],
        &LoadOptions::default(),
    );
    assert!(matches!(missing, Err(IngestError::NotFound(_))));
}

#[test]
fn glob_patterns_expand() {
    let case = Case::open_in_memory().expect("case");
    let pattern = format!("{}/*.cef.log*", fixture("sample/firewall").display());
    let report = load(&case, &[PathBuf::from(pattern)]);
    assert_eq!(report.files.len(), 2);
    assert_eq!(int(&case, "SELECT count(*) FROM CommonSecurityLog"), 5);
}

#[test]
fn watchlist_and_ti_entry_points() {
    let case = Case::open_in_memory().expect("case");
    let n = import_watchlist(
        &case,
        "Monitor",
        &fixture("sample/watchlists/NetworkSession_Monitor_Configuration.csv"),
        Some("Ports"),
    )
    .expect("watchlist");
    assert_eq!(n, 2);
    assert_eq!(
        text(
            &case,
            "SELECT SearchKey FROM watchlist__Monitor WHERE Name = 'SSH misuse'"
        )
        .as_deref(),
        Some("22")
    );
    assert_eq!(
        text(
            &case,
            "SELECT search_key FROM quarry_watchlists WHERE name = 'Monitor'"
        )
        .as_deref(),
        Some("Ports")
    );
    // Re-import replaces.
    let n = import_watchlist(
        &case,
        "Monitor",
        &fixture("sample/watchlists/ScannerAllowlist.csv"),
        None,
    )
    .expect("watchlist");
    assert_eq!(n, 1);
    assert_eq!(int(&case, "SELECT count(*) FROM watchlist__Monitor"), 1);
    assert!(import_watchlist(&case, "bad name", &fixture("single/unknown.csv"), None).is_err());

    let o = import_ti(&case, &fixture("sample/ti/indicators.stix.json")).expect("ti");
    assert_eq!(o.status, FileStatus::Loaded);
    assert_eq!((o.rows_loaded, o.rows_rejected), (4, 1));
    let o = import_ti(&case, &fixture("sample/ti/indicators.csv")).expect("ti");
    assert_eq!((o.rows_loaded, o.rows_rejected), (2, 1));
    assert_eq!(
        int(&case, "SELECT count(*) FROM ThreatIntelligenceIndicator"),
        6
    );
}

#[test]
fn a_failing_file_leaves_no_trace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("broken.xml");
    std::fs::write(
        &bad,
        "<Events><Event><System><EventID>3</EventID><Computer>x</Computer></System></Event><Event><System></Event></Events>",
    )
    .expect("write");
    let case = Case::open_in_memory().expect("case");
    let report = load(&case, &[bad]);
    assert!(
        matches!(report.files[0].status, FileStatus::Failed(_)),
        "{:?}",
        report.files[0]
    );
    assert_eq!(int(&case, "SELECT count(*) FROM quarry_sources"), 0);
    assert_eq!(int(&case, "SELECT count(*) FROM quarry_rejects"), 0);
    assert_eq!(
        int(
            &case,
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'Event'"
        ),
        0
    );
}

#[test]
fn utf16_export_is_transcoded() {
    let case = Case::open_in_memory().expect("case");
    let report = load(&case, &[fixture("single/DnsEvents-utf16.csv")]);
    let o = &report.files[0];
    assert_eq!(o.status, FileStatus::Loaded, "{o:?}");
    assert_eq!(o.table, "DnsEvents");
    assert_eq!(
        text(
            &case,
            "SELECT Name FROM DnsEvents WHERE ClientIP = '10.1.2.9'"
        )
        .as_deref(),
        Some("ünïcode.example")
    );
}

#[test]
fn odd_inputs_give_outcomes_not_panics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    };
    let files = vec![
        write("empty.log", b""),
        write("empty-array.json", b"[]"),
        write("zeek-header-only.log", b"#separator \\x09\n#path\tconn\n#fields\tts\tuid\n#types\ttime\tstring\n"),
        write("cef-garbage.log", b"CEF:0|a|b|c|d|e|f|=== \\\\\\ =x y= =\nCEF:1|||||||\n"),
        write("csv-header-only.csv", b"TimeGenerated,ClientIP,Name,QueryType\n"),
        write("binary.bin", &[0u8, 159, 146, 150, 0, 1, 2, 3]),
        write("ndjson-nulls.json", b"{\"TimeGenerated\":null,\"ClientIP\":null,\"Name\":\"a\",\"QueryType\":\"A\"}\n[1,2]\n"),
        write("truncated.json.gz", &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0]),
    ];
    let case = Case::open_in_memory().expect("case");
    let report = load_paths(&case, &files, &LoadOptions::default()).expect("load runs");
    assert_eq!(report.files.len(), files.len());
    for f in &report.files {
        assert_eq!(f.rows_read, f.rows_loaded + f.rows_rejected, "{f:?}");
    }
    let status = |name: &str| {
        report
            .files
            .iter()
            .find(|f| f.path.ends_with(name))
            .map(|f| f.status.clone())
            .expect("outcome")
    };
    assert!(matches!(status("empty.log"), FileStatus::Failed(_)));
    assert!(matches!(status("binary.bin"), FileStatus::Failed(_)));
    assert!(matches!(status("truncated.json.gz"), FileStatus::Failed(_)));
    assert_eq!(status("zeek-header-only.log"), FileStatus::Loaded);
    assert_eq!(status("csv-header-only.csv"), FileStatus::Loaded);
    let cef = report
        .files
        .iter()
        .find(|f| f.path.ends_with("cef-garbage.log"))
        .expect("cef");
    assert_eq!((cef.rows_read, cef.status.clone()), (2, FileStatus::Loaded));
    let nd = report
        .files
        .iter()
        .find(|f| f.path.ends_with("ndjson-nulls.json"))
        .expect("nd");
    assert_eq!((nd.rows_loaded, nd.rows_rejected), (0, 2), "{nd:?}");
}

#[test]
fn ti_outside_a_ti_folder_is_recognised_and_keeps_its_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stix = dir.path().join("feed.json");
    let csv = dir.path().join("export.csv");
    std::fs::copy(fixture("sample/ti/indicators.stix.json"), &stix).expect("copy");
    std::fs::copy(fixture("sample/ti/indicators.csv"), &csv).expect("copy");
    let case = Case::open_in_memory().expect("case");
    let report = load(&case, &[stix, csv]);
    for f in &report.files {
        assert_eq!(f.status, FileStatus::Loaded, "{f:?}");
        assert_eq!(f.table, "ThreatIntelligenceIndicator");
    }
    assert_eq!(
        int(
            &case,
            "SELECT count(*) FROM ThreatIntelligenceIndicator WHERE SourceFile LIKE '%feed.json'"
        ),
        4
    );
    assert_eq!(
        int(
            &case,
            "SELECT count(*) FROM ThreatIntelligenceIndicator WHERE SourceFile LIKE '%export.csv'"
        ),
        2
    );
}

#[test]
fn log_analytics_api_json() {
    let case = Case::open_in_memory().expect("case");
    let report = load(&case, &[fixture("single/DeviceNetworkEvents-api.json")]);
    let o = &report.files[0];
    assert_eq!(o.status, FileStatus::Loaded, "{o:?}");
    assert_eq!(
        (o.format.as_str(), o.table.as_str(), o.rows_loaded),
        ("kusto-json", "DeviceNetworkEvents", 2)
    );
    assert_eq!(
        int(
            &case,
            "SELECT RemotePort FROM DeviceNetworkEvents WHERE RemoteIP = '203.0.113.5'"
        ),
        8080
    );
    assert_eq!(
        text(&case, "SELECT CAST(AdditionalFields AS VARCHAR) FROM DeviceNetworkEvents WHERE RemoteIP = '203.0.113.5'").as_deref(),
        Some("{\"k\":\"v\"}")
    );
    assert_eq!(
        text(&case, "SELECT CAST(Timestamp AS VARCHAR) FROM DeviceNetworkEvents WHERE RemoteIP = '203.0.113.6'").as_deref(),
        Some("2025-11-09 18:01:00")
    );
}

#[test]
fn columns_of_unknown_tables_get_inferred_types() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("assets.csv");
    std::fs::write(
        &file,
        "Host,Port,Score,Managed,FirstSeen,Tags,Code\nalpha,22,1.5,true,2025-11-09 10:00:00,\"[\"\"a\"\"]\",007\nbeta,,2,false,,,010\n",
    )
    .expect("write");
    let case = Case::open_in_memory().expect("case");
    load_into(&case, &[file], "Assets");
    let ty = |c: &str| {
        text(
            &case,
            &format!("SELECT data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_name = 'Assets' AND column_name = '{c}'"),
        )
    };
    assert_eq!(ty("Host").as_deref(), Some("VARCHAR"));
    assert_eq!(ty("Port").as_deref(), Some("BIGINT"));
    assert_eq!(ty("Score").as_deref(), Some("DOUBLE"));
    assert_eq!(ty("Managed").as_deref(), Some("BOOLEAN"));
    assert_eq!(ty("FirstSeen").as_deref(), Some("TIMESTAMP"));
    assert_eq!(ty("Tags").as_deref(), Some("JSON"));
    // Leading zeros are kept: codes stay text.
    assert_eq!(ty("Code").as_deref(), Some("VARCHAR"));
    assert_eq!(int(&case, "SELECT sum(Port) FROM Assets"), 22);
}

#[test]
fn file_names_with_glob_characters_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("conn[1]?.log");
    std::fs::copy(fixture("sample/zeek/conn.log"), &file).expect("copy");
    let case = Case::open_in_memory().expect("case");
    let report = load(&case, &[file]);
    assert_eq!(
        report.files[0].status,
        FileStatus::Loaded,
        "{:?}",
        report.files[0]
    );
    assert_eq!(report.files[0].rows_loaded, 3);
}

#[test]
fn zeek_json_without_path_is_named_after_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("ssh.2025-11-09.log");
    std::fs::write(
        &file,
        "{\"ts\":1762703194.5,\"uid\":\"C1\",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":50000,\"id.resp_h\":\"10.0.0.2\",\"id.resp_p\":22,\"auth_success\":true}\n",
    )
    .expect("write");
    let case = Case::open_in_memory().expect("case");
    let report = load(&case, &[file]);
    assert_eq!(
        report.files[0].status,
        FileStatus::Loaded,
        "{:?}",
        report.files[0]
    );
    assert_eq!(report.files[0].table, "ZeekSsh");
    assert_eq!(
        int(
            &case,
            "SELECT count(*) FROM ZeekSsh WHERE auth_success AND TimeGenerated IS NOT NULL"
        ),
        1
    );
}

#[test]
fn gzip_variant_of_every_text_format_loads_the_same() {
    use std::io::Write;
    let files = [
        "sample/firewall/pa.cef.log",
        "sample/zeek/conn.log",
        "sample/zeek/ssl.json",
        "sample/defender/DeviceNetworkEvents.csv",
        "sample/dns/DnsEvents.json",
        "sample/sysmon/srv01-sysmon.xml",
        "sample/aws/vpcflow.log",
        "sample/azure/VMConnection.ndjson",
        "sample/ti/indicators.stix.json",
        "single/DnsEvents.tsv",
        "single/DnsEvents-utf16.csv",
        "single/DeviceNetworkEvents-api.json",
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for rel in files {
        let plain = fixture(rel);
        let gz = dir.path().join(format!(
            "{}.gz",
            plain.file_name().expect("name").to_string_lossy()
        ));
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).expect("create"),
            flate2::Compression::default(),
        );
        enc.write_all(&std::fs::read(&plain).expect("read"))
            .expect("gzip");
        enc.finish().expect("finish");
        let a = Case::open_in_memory().expect("case");
        let b = Case::open_in_memory().expect("case");
        let pa = load(&a, &[plain]);
        let pb = load(&b, &[gz]);
        let (x, y) = (&pa.files[0], &pb.files[0]);
        assert_eq!(x.status, FileStatus::Loaded, "{rel}: {x:?}");
        assert_eq!(
            (
                &y.status,
                &y.format,
                &y.table,
                y.rows_loaded,
                y.rows_rejected
            ),
            (
                &x.status,
                &x.format,
                &x.table,
                x.rows_loaded,
                x.rows_rejected
            ),
            "{rel}"
        );
    }
}

#[test]
fn parquet_with_utc_timestamps_and_numbers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("dns.parquet");
    let case = Case::open_in_memory().expect("case");
    case.conn()
        .execute_batch(&format!(
            "COPY (SELECT CAST('2025-11-09 15:46:34.5+00' AS TIMESTAMPTZ) AS TimeGenerated,
                          '10.0.0.1' AS ClientIP, 'a.example' AS Name, 'A' AS QueryType,
                          0::INTEGER AS ResultCode, 1.5::DOUBLE AS RemoteIPLatitude)
             TO '{}' (FORMAT parquet)",
            file.display()
        ))
        .expect("write parquet");
    let report = load(&case, &[file]);
    assert_eq!(
        report.files[0].status,
        FileStatus::Loaded,
        "{:?}",
        report.files[0]
    );
    assert_eq!(
        text(
            &case,
            "SELECT CAST(TimeGenerated AS VARCHAR) FROM DnsEvents"
        )
        .as_deref(),
        Some("2025-11-09 15:46:34.5")
    );
    assert_eq!(int(&case, "SELECT ResultCode FROM DnsEvents"), 0);
}

#[test]
fn cef_free_text_in_lenient_numeric_keys_is_kept_not_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("odd.cef.log");
    std::fs::write(
        &file,
        "CEF:0|V|P|1|1|x|1|rt=1762703194000 src=10.0.0.1 externalId=abc-42 cn1=12 cn2=lots foo=bar\n\
         CEF:0|V|P|1|1|x|1|rt=1762703194000 src=10.0.0.2 dpt=http\n",
    )
    .expect("write");
    let case = Case::open_in_memory().expect("case");
    let report = load(&case, &[file]);
    let o = &report.files[0];
    assert_eq!((o.rows_loaded, o.rows_rejected), (1, 1), "{o:?}");
    assert_eq!(
        text(&case, "SELECT AdditionalExtensions FROM CommonSecurityLog").as_deref(),
        Some("foo=bar;ExternalID=abc-42;DeviceCustomNumber2=lots")
    );
    assert_eq!(
        int(&case, "SELECT DeviceCustomNumber1 FROM CommonSecurityLog"),
        12
    );
    assert_eq!(
        int(
            &case,
            "SELECT count(*) FROM CommonSecurityLog WHERE ExternalID IS NULL"
        ),
        1
    );
}

#[test]
fn zeek_tsv_escapes_are_decoded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("weird.log");
    std::fs::write(
        &file,
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tweird\n\
         #fields\tts\tuid\tid.orig_h\tname\ttags\n#types\ttime\tstring\taddr\tstring\tset[string]\n\
         1762703194.0\tC1\t10.0.0.1\ta\\x09b\\\\c\\x2c\ty\\x2cz,w\n",
    )
    .expect("write");
    let case = Case::open_in_memory().expect("case");
    let report = load(&case, &[file]);
    assert_eq!(
        report.files[0].status,
        FileStatus::Loaded,
        "{:?}",
        report.files[0]
    );
    assert_eq!(
        text(&case, "SELECT name FROM ZeekWeird").as_deref(),
        Some("a\tb\\c,")
    );
    assert_eq!(
        text(&case, "SELECT CAST(tags AS VARCHAR) FROM ZeekWeird").as_deref(),
        Some("[\"y,z\",\"w\"]")
    );
}

#[test]
fn reject_line_numbers_point_at_the_lines_in_the_file() {
    let case = Case::open_in_memory().unwrap();
    let conn_log = fixture("sample/zeek/conn.log");
    load(&case, std::slice::from_ref(&conn_log));
    let content = std::fs::read_to_string(&conn_log).unwrap();
    let mut stmt = case
        .conn()
        .prepare("SELECT line FROM quarry_rejects ORDER BY line")
        .unwrap();
    let lines: Vec<i64> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!lines.is_empty());
    for line in lines {
        let text = content.lines().nth(line as usize - 1).unwrap_or_default();
        assert!(
            text.contains("notaport") || text.split('\t').count() < 21,
            "line {line} is not a bad line: {text:?}"
        );
    }
}

#[test]
fn a_held_back_row_reloads_the_file_through_the_staging_table() {
    // Delimited files are converted straight from DuckDB's reader; a row that would be
    // rejected rolls that back and the file is read again through the staging table,
    // which numbers rows. The good rows must land once, the rejects once each, with
    // their line numbers, and the connection's settings must be as before. An integer
    // column is read by read_csv itself: a port that is no number is a reject of the read,
    // named by its column.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("DeviceNetworkEvents.csv");
    let row = |time: &str, port: &str| {
        format!("\"{time}\",ws-1,ConnectionSuccess,10.0.0.5,{port},1.2.3.4\n")
    };
    let good = |port: &str| row("10/21/2025, 12:00:01.633 PM", port);
    let mut content = String::from(
        "\u{feff}TimeGenerated [UTC],DeviceName,ActionType,LocalIP,RemotePort,RemoteIP\n",
    );
    content += &good("443");
    content += &good("4x3");
    content += &good("80");
    content += "too,many,columns,in,this,line,for,the,header\n";
    content += &row("the day before yesterday", "22");
    content += &good("53");
    std::fs::write(&csv, content).unwrap();
    let case = Case::open_in_memory().unwrap();
    let report = load(&case, std::slice::from_ref(&csv));
    let file = &report.files[0];
    assert_eq!(file.status, FileStatus::Loaded, "{:?}", file.status);
    assert_eq!((file.rows_loaded, file.rows_rejected), (3, 3));
    assert_eq!(
        int(
            &case,
            "SELECT count(*) FROM DeviceNetworkEvents WHERE RemotePort IN (443, 80, 53)"
        ),
        3
    );
    let mut stmt = case
        .conn()
        .prepare("SELECT line, reason FROM quarry_rejects ORDER BY line")
        .unwrap();
    let rejects: Vec<(i64, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rejects.len(), 3, "{rejects:?}");
    assert_eq!(rejects[0].0, 3);
    assert!(rejects[0].1.contains("\"RemotePort\""), "{rejects:?}");
    assert!(!rejects[0].1.contains("\"c4\""), "{rejects:?}");
    assert_eq!(rejects[1].0, 5);
    assert_eq!(rejects[2].0, 6);
    assert!(rejects[2].1.contains("TimeGenerated"), "{rejects:?}");
    assert_eq!(
        text(
            &case,
            "SELECT CAST(current_setting('preserve_insertion_order') AS VARCHAR)"
        )
        .as_deref(),
        Some("true")
    );
}

#[test]
fn a_zeek_log_read_twice_in_one_pass_counts_its_malformed_lines_once() {
    // Zeek dns rows go to ZeekDns and DnsEvents, so the one-pass load reads the file twice;
    // a line with too few fields is recorded once, with its line number.
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(fixture("sample/zeek/dns.log")).unwrap();
    let mut lines: Vec<&str> = original.lines().collect();
    let first_row = lines.iter().position(|l| !l.starts_with('#')).unwrap();
    lines.insert(first_row + 2, "short\tline");
    let log = dir.path().join("dns.log");
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let case = Case::open_in_memory().unwrap();
    let file = &load(&case, std::slice::from_ref(&log)).files[0];
    assert_eq!(file.rows_rejected, 1, "{file:?}");
    assert_eq!(
        int(&case, "SELECT line FROM quarry_rejects"),
        first_row as i64 + 3
    );
    assert_eq!(
        int(&case, "SELECT count(*) FROM ZeekDns"),
        file.rows_loaded as i64
    );
    assert!(int(&case, "SELECT count(*) FROM DnsEvents") > 0);
}

#[test]
fn json_rows_that_are_not_objects_or_not_json_are_rejected_with_their_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("things.ndjson");
    std::fs::write(
        &file,
        "{\"Name\":\"a\",\"Size\":\"1\"}\n[1,2]\n\"text\"\n{\"Name\":\n {\"Name\":\"b\"}\n",
    )
    .expect("write");
    let case = Case::open_in_memory().expect("case");
    let report = load_into(&case, &[file], "Things");
    assert_eq!(
        (report.files[0].rows_loaded, report.files[0].rows_rejected),
        (2, 3),
        "{:?}",
        report.files[0]
    );
    let reason = |line: i64| {
        text(
            &case,
            &format!("SELECT reason FROM quarry_rejects WHERE line = {line}"),
        )
    };
    assert_eq!(reason(2).as_deref(), Some("not a JSON object"));
    assert_eq!(reason(3).as_deref(), Some("not a JSON object"));
    assert_eq!(reason(4).as_deref(), Some("malformed JSON"));
    assert_eq!(
        text(
            &case,
            "SELECT string_agg(Name, ',' ORDER BY Name) FROM Things"
        )
        .as_deref(),
        Some("a,b")
    );
}

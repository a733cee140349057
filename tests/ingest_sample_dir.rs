//! Loads the fixture folder that mirrors `quarry sample`'s layout and checks every file's
//! outcome, the accounting of rejects, idempotency and the per-format values.

mod ingest_common;

use ingest_common::{fixture, int, load, outcome, text, texts};
use quarry::engine::Case;
use quarry::ingest::{FileStatus, LoadReport};

fn loaded_case() -> (tempfile::TempDir, Case, LoadReport) {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = Case::open(&dir.path().join("case.duckdb")).expect("case");
    let report = load(&case, &[fixture("sample")]);
    (dir, case, report)
}

fn expect(report: &LoadReport, suffix: &str, table: &str, loaded: u64, rejected: u64) {
    let o = outcome(report, suffix);
    assert_eq!(o.status, FileStatus::Loaded, "{suffix}: {o:?}");
    assert_eq!(o.table, table, "{suffix}");
    assert_eq!(
        (o.rows_loaded, o.rows_rejected),
        (loaded, rejected),
        "{suffix}: {o:?}"
    );
    assert_eq!(o.rows_read, o.rows_loaded + o.rows_rejected);
}

#[test]
fn every_file_has_the_expected_outcome() {
    let (_dir, case, report) = loaded_case();
    expect(&report, "pa.cef.log", "CommonSecurityLog", 3, 2);
    expect(&report, "cp.cef.log.gz", "CommonSecurityLog", 2, 0);
    expect(&report, "zeek/conn.log", "ZeekConn", 3, 2);
    expect(&report, "zeek/dns.log", "ZeekDns", 2, 0);
    expect(&report, "http.log.gz", "ZeekHttp", 1, 0);
    expect(&report, "ssl.json", "ZeekSsl", 2, 0);
    expect(
        &report,
        "DeviceNetworkEvents.csv",
        "DeviceNetworkEvents",
        3,
        1,
    );
    expect(&report, "DnsEvents.json", "DnsEvents", 2, 1);
    expect(&report, "srv01-sysmon.xml", "Event", 2, 0);
    expect(&report, "vpcflow.log", "AWSVPCFlow", 3, 1);
    expect(&report, "VMConnection.ndjson", "VMConnection", 3, 1);
    expect(
        &report,
        "indicators.csv",
        "ThreatIntelligenceIndicator",
        2,
        1,
    );
    expect(
        &report,
        "indicators.stix.json",
        "ThreatIntelligenceIndicator",
        4,
        1,
    );
    assert!(matches!(
        outcome(&report, "expected.json").status,
        FileStatus::Skipped(_)
    ));
    assert!(matches!(
        outcome(&report, "README.md").status,
        FileStatus::Skipped(_)
    ));
    let wl = outcome(&report, "NetworkSession_Monitor_Configuration.csv");
    assert_eq!(wl.status, FileStatus::Loaded);
    assert_eq!(wl.rows_loaded, 2);
    let ext = outcome(&report, "top-1m.csv.zip");
    assert_eq!(ext.status, FileStatus::Loaded);
    assert!(report
        .files
        .iter()
        .all(|f| !matches!(f.status, FileStatus::Failed(_))));

    // Accounting: rejects stored = rows rejected reported; sources registered.
    let rejected: u64 = report.files.iter().map(|f| f.rows_rejected).sum();
    assert_eq!(
        int(&case, "SELECT count(*) FROM quarry_rejects") as u64,
        rejected
    );
    assert_eq!(
        int(
            &case,
            "SELECT sum(rows_read - rows_loaded - rows_rejected) FROM quarry_sources"
        ),
        0
    );
    // Zeek dns rows also went to DnsEvents, beside the JSON export's rows.
    assert_eq!(
        int(
            &case,
            "SELECT count(*) FROM DnsEvents WHERE SourceSystem = 'Zeek'"
        ),
        2
    );
    assert_eq!(int(&case, "SELECT count(*) FROM DnsEvents"), 4);
    // The clock follows the latest event.
    assert!(case.clock().expect("clock").is_some());
}

#[test]
fn second_load_is_a_no_op() {
    let (_dir, case, _) = loaded_case();
    let before = int(&case, "SELECT count(*) FROM CommonSecurityLog")
        + int(&case, "SELECT count(*) FROM quarry_rejects")
        + int(&case, "SELECT count(*) FROM ZeekConn");
    let again = load(&case, &[fixture("sample")]);
    for f in &again.files {
        assert!(
            matches!(f.status, FileStatus::AlreadyLoaded | FileStatus::Skipped(_)),
            "{f:?}"
        );
    }
    let after = int(&case, "SELECT count(*) FROM CommonSecurityLog")
        + int(&case, "SELECT count(*) FROM quarry_rejects")
        + int(&case, "SELECT count(*) FROM ZeekConn");
    assert_eq!(before, after);
}

#[test]
fn rejects_keep_line_raw_text_and_reason() {
    let (_dir, case, _) = loaded_case();
    let raw = text(
        &case,
        "SELECT raw FROM quarry_rejects WHERE path LIKE '%pa.cef.log' AND line = 4",
    );
    assert_eq!(raw.as_deref(), Some("this line is not CEF at all"));
    let reason = text(
        &case,
        "SELECT reason FROM quarry_rejects WHERE path LIKE '%pa.cef.log' AND line = 5",
    )
    .unwrap_or_default();
    assert!(reason.contains("DestinationPort"), "{reason}");
    let raw = text(
        &case,
        "SELECT raw FROM quarry_rejects WHERE path LIKE '%pa.cef.log' AND line = 5",
    )
    .unwrap_or_default();
    assert!(
        raw.starts_with("<134>Nov  9 15:49:00 fw01 CEF:0|") && raw.ends_with("act=allow"),
        "{raw}"
    );
    // Readers that do not keep lines record the row's fields.
    let fields = text(
        &case,
        "SELECT raw FROM quarry_rejects WHERE path LIKE '%conn.log' AND reason LIKE 'id.orig_p%'",
    )
    .unwrap_or_default();
    assert!(fields.contains("\"id.orig_p\":\"notaport\""), "{fields}");
    let short = text(
        &case,
        "SELECT raw FROM quarry_rejects WHERE path LIKE '%conn.log' AND raw LIKE 'short%'",
    );
    assert_eq!(short.as_deref(), Some("short\tline"));
    let json = text(
        &case,
        "SELECT reason FROM quarry_rejects WHERE path LIKE '%VMConnection.ndjson'",
    )
    .unwrap_or_default();
    assert_eq!(json, "malformed JSON");
}

#[test]
fn cef_columns() {
    let (_dir, case, _) = loaded_case();
    let row = |col: &str, cond: &str| {
        text(
            &case,
            &format!("SELECT CAST({col} AS VARCHAR) FROM CommonSecurityLog WHERE {cond}"),
        )
    };
    let first = "SourcePort = 51000";
    assert_eq!(
        row("DeviceVendor", first).as_deref(),
        Some("Palo Alto Networks")
    );
    assert_eq!(row("DestinationPort", first).as_deref(), Some("443"));
    assert_eq!(row("SentBytes", first).as_deref(), Some("12000"));
    assert_eq!(
        row("DeviceCustomString1Label", first).as_deref(),
        Some("Rule")
    );
    assert_eq!(
        row("DeviceCustomString1", first).as_deref(),
        Some("allow-web")
    );
    assert_eq!(row("SourceUserName", first).as_deref(), Some("corp\\alice"));
    assert_eq!(row("Computer", first).as_deref(), Some("fw01"));
    assert_eq!(
        row("TimeGenerated", first).as_deref(),
        Some("2025-11-09 15:46:34")
    );
    assert_eq!(row("CommunicationDirection", first).as_deref(), Some("1"));
    let second = "SourcePort = 51001";
    assert_eq!(
        row("Message", second).as_deref(),
        Some("blocked a=b by rule\\x")
    );
    assert_eq!(
        row("AdditionalExtensions", second).as_deref(),
        Some("vendorKey=vendor|value")
    );
    assert_eq!(row("FlexString1", second).as_deref(), Some("custom"));
    assert_eq!(
        row("Activity", "DeviceVendor = 'Fortinet'").as_deref(),
        Some("traffic|forward")
    );
    // RFC 5424 header (gzip, CRLF): host and time from the syslog header.
    assert_eq!(
        row("Computer", "DestinationIP = '8.8.8.8'").as_deref(),
        Some("fw02")
    );
    assert_eq!(
        row("TimeGenerated", "DestinationIP = '8.8.8.8'").as_deref(),
        Some("2025-11-09 16:00:00")
    );
    assert_eq!(
        row("DestinationHostName", "DestinationIP = '8.8.8.8'").as_deref(),
        Some("dns.google")
    );
    // Hunts see Sentinel's every column; the stored table holds only those some line
    // filled (a column nothing filled is NULL in the view).
    let columns = |schema: &str| {
        int(
            &case,
            &format!("SELECT count(*) FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = 'CommonSecurityLog'"),
        )
    };
    assert_eq!(columns("main"), 157);
    let stored = columns("loaded");
    assert!((20..100).contains(&stored), "{stored} columns stored");
    assert_eq!(
        int(
            &case,
            "SELECT count(*) FROM CommonSecurityLog WHERE DeviceCustomNumber3 IS NOT NULL"
        ),
        0
    );
    assert_eq!(
        int(&case, "SELECT count(*) FROM CommonSecurityLog"),
        int(&case, "SELECT count(*) FROM loaded.CommonSecurityLog")
    );
}

#[test]
fn zeek_unset_empty_and_sets() {
    let (_dir, case, _) = loaded_case();
    assert_eq!(
        text(&case, "SELECT service FROM ZeekConn WHERE uid = 'Ca2'"),
        None
    );
    assert_eq!(
        int(
            &case,
            "SELECT count(*) FROM ZeekConn WHERE uid = 'Ca2' AND orig_bytes IS NULL"
        ),
        1
    );
    assert_eq!(
        text(
            &case,
            "SELECT CAST(tunnel_parents AS VARCHAR) FROM ZeekConn WHERE uid = 'Ca1'"
        )
        .as_deref(),
        Some("[]")
    );
    assert_eq!(
        text(
            &case,
            "SELECT CAST(tunnel_parents AS VARCHAR) FROM ZeekConn WHERE uid = 'Ca3'"
        )
        .as_deref(),
        Some("[\"Cx1\",\"Cx2\"]")
    );
    assert_eq!(
        text(
            &case,
            "SELECT CAST(TimeGenerated AS VARCHAR) FROM ZeekConn WHERE uid = 'Ca1'"
        )
        .as_deref(),
        Some("2025-11-09 15:46:34.034")
    );
    assert_eq!(
        int(
            &case,
            "SELECT count(*) FROM ZeekConn WHERE local_orig AND uid = 'Ca1'"
        ),
        1
    );
    assert_eq!(
        text(
            &case,
            "SELECT CAST(TTLs AS VARCHAR) FROM ZeekDns WHERE uid = 'Cd1'"
        )
        .as_deref(),
        Some("[60.0,30.0]")
    );
    assert_eq!(
        text(&case, "SELECT IPAddresses FROM DnsEvents WHERE Name = 'evil.example.net' AND SourceSystem = 'Zeek'").as_deref(),
        Some("198.51.100.7")
    );
    assert_eq!(
        text(&case, "SELECT uri FROM ZeekHttp WHERE uid = 'Ch1'").as_deref(),
        Some("/index.html?q=#frag")
    );
    // NDJSON with ISO and epoch times and sparse keys.
    assert_eq!(
        text(
            &case,
            "SELECT CAST(TimeGenerated AS VARCHAR) FROM ZeekSsl WHERE uid = 'Cs2'"
        )
        .as_deref(),
        Some("2025-11-09 16:10:01.25")
    );
    assert_eq!(
        text(&case, "SELECT server_name FROM ZeekSsl WHERE uid = 'Cs2'"),
        None
    );
    assert_eq!(
        int(&case, "SELECT count(*) FROM ZeekSsl WHERE established"),
        1
    );
}

#[test]
fn portal_csv_and_json_exports() {
    let (_dir, case, _) = loaded_case();
    assert_eq!(
        text(
            &case,
            "SELECT CAST(Timestamp AS VARCHAR) FROM DeviceNetworkEvents WHERE ReportId = 101"
        )
        .as_deref(),
        Some("2025-11-09 15:46:34.034")
    );
    // Timestamp missing in the export: filled from TimeGenerated.
    assert_eq!(
        text(
            &case,
            "SELECT CAST(Timestamp AS VARCHAR) FROM DeviceNetworkEvents WHERE ReportId = 102"
        )
        .as_deref(),
        Some("2025-11-09 15:47:00")
    );
    assert_eq!(
        text(
            &case,
            "SELECT CAST(TimeGenerated AS VARCHAR) FROM DeviceNetworkEvents WHERE ReportId = 103"
        )
        .as_deref(),
        Some("2025-11-09 10:05:01.5")
    );
    assert_eq!(
        text(
            &case,
            "SELECT InitiatingProcessCommandLine FROM DeviceNetworkEvents WHERE ReportId = 101"
        )
        .as_deref(),
        Some("\"C:\\Program Files\\svc.exe\" -arg\ttab")
    );
    assert_eq!(
        int(
            &case,
            "SELECT RemotePort FROM DeviceNetworkEvents WHERE ReportId = 101"
        ),
        8443
    );
    // JSON array with sparse keys: unknown keys become columns, missing ones are NULL.
    assert_eq!(
        text(
            &case,
            "SELECT Extra FROM DnsEvents WHERE Name = 'good.example.org'"
        )
        .as_deref(),
        Some("{\"nested\":[1,2]}")
    );
    assert_eq!(text(&case, "SELECT DeviceName FROM DnsEvents WHERE Name = 'evil.example.net' AND SourceSystem IS NULL").as_deref(), Some("ws01"));
    assert_eq!(
        int(
            &case,
            "SELECT count(*) FROM DnsEvents WHERE Name = 'good.example.org' AND EventId IS NULL"
        ),
        1
    );
    // VMConnection NDJSON: arrays kept as JSON.
    assert_eq!(
        text(&case, "SELECT CAST(RemoteDnsQuestions AS VARCHAR) FROM VMConnection WHERE Direction = 'inbound'").as_deref(),
        Some("[\"a.example\"]")
    );
}

#[test]
fn sysmon_event_as_sentinel_stores_it() {
    let (_dir, case, _) = loaded_case();
    let q = |col: &str| {
        text(
            &case,
            &format!(
                "SELECT CAST({col} AS VARCHAR) FROM Event WHERE EventData LIKE '%203.0.113.77%'"
            ),
        )
    };
    assert_eq!(q("Source").as_deref(), Some("Microsoft-Windows-Sysmon"));
    assert_eq!(q("EventID").as_deref(), Some("3"));
    assert_eq!(q("Computer").as_deref(), Some("srv01"));
    assert_eq!(q("EventLevelName").as_deref(), Some("Information"));
    assert_eq!(q("UserName").as_deref(), Some("NT AUTHORITY\\SYSTEM"));
    assert_eq!(q("Type").as_deref(), Some("Event"));
    assert_eq!(
        q("TimeGenerated").as_deref(),
        Some("2025-11-09 16:30:00.123456")
    );
    let desc = q("RenderedDescription").unwrap_or_default();
    assert!(desc.starts_with("Network connection detected:"), "{desc}");
    let data = q("EventData").unwrap_or_default();
    assert!(
        data.starts_with("<DataItem type=\"System.XmlData\" time=\"2025-11-09T16:30:00.1234567Z\""),
        "{data}"
    );
    assert!(data.contains("<EventData xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><Data Name=\"RuleName\">technique_id=T1571,technique_name=Non-Standard Port</Data>"), "{data}");
    assert!(
        data.contains("<Data Name=\"Image\">C:\\Tools\\a&amp;b.exe</Data>"),
        "{data}"
    );
    assert!(
        data.contains("<Data Name=\"DestinationPortName\"></Data>"),
        "{data}"
    );
    assert_eq!(
        text(
            &case,
            "SELECT UserName FROM Event WHERE EventData LIKE '%10.1.2.53%'"
        )
        .as_deref(),
        Some("S-1-5-21-1-2-3-1001")
    );
}

#[test]
fn vpc_flow_ti_and_watchlists() {
    let (_dir, case, _) = loaded_case();
    assert_eq!(
        text(
            &case,
            "SELECT CAST(Start AS VARCHAR) FROM AWSVPCFlow WHERE Action = 'REJECT'"
        )
        .as_deref(),
        Some("2025-11-09 15:43:20")
    );
    assert_eq!(
        int(
            &case,
            "SELECT count(*) FROM AWSVPCFlow WHERE LogStatus = 'NODATA' AND SrcAddr IS NULL"
        ),
        1
    );
    // TI from CSV and STIX, with the source file.
    assert_eq!(
        texts(&case, "SELECT NetworkIP FROM ThreatIntelligenceIndicator WHERE NetworkIP IS NOT NULL ORDER BY 1"),
        vec![Some("198.51.100.7".to_string()), Some("203.0.113.77".to_string())]
    );
    assert_eq!(
        text(&case, "SELECT Url FROM ThreatIntelligenceIndicator WHERE IndicatorId = 'indicator--a2' AND Url IS NOT NULL").as_deref(),
        Some("http://login-micros0ft.example/a'b")
    );
    assert_eq!(int(&case, "SELECT ConfidenceScore FROM ThreatIntelligenceIndicator WHERE NetworkIP = '203.0.113.77'"), 85);
    assert_eq!(
        text(&case, "SELECT CAST(Active AS VARCHAR) FROM ThreatIntelligenceIndicator WHERE FileHashValue IS NOT NULL").as_deref(),
        Some("false")
    );
    assert_eq!(
        text(
            &case,
            "SELECT FileHashType FROM ThreatIntelligenceIndicator WHERE FileHashValue IS NOT NULL"
        )
        .as_deref(),
        Some("SHA-256")
    );
    assert_eq!(int(&case, "SELECT count(*) FROM ThreatIntelligenceIndicator WHERE SourceFile LIKE '%indicators.stix.json'"), 4);
    // Watchlists.
    assert_eq!(
        texts(
            &case,
            "SELECT SearchKey FROM watchlist__NetworkSession_Monitor_Configuration ORDER BY 1"
        ),
        vec![
            Some("RDP misuse".to_string()),
            Some("SSH misuse".to_string())
        ]
    );
    assert_eq!(
        text(&case, "SELECT Ports FROM watchlist__NetworkSession_Monitor_Configuration WHERE Name = 'RDP misuse'").as_deref(),
        Some("3389,3390")
    );
    assert_eq!(
        text(
            &case,
            "SELECT table_name FROM quarry_watchlists WHERE name = 'ScannerAllowlist'"
        )
        .as_deref(),
        Some("watchlist__ScannerAllowlist")
    );
    assert_eq!(
        text(&case, "SELECT SearchKey FROM watchlist__ScannerAllowlist").as_deref(),
        Some("10.9.9.9")
    );
}

#[test]
fn externaldata_is_copied_next_to_the_case() {
    let (dir, _case, _) = loaded_case();
    let copied = dir.path().join("case.externaldata").join("top-1m.csv.zip");
    let original = std::fs::read(fixture("sample/externaldata/top-1m.csv.zip")).expect("fixture");
    assert_eq!(std::fs::read(copied).expect("copied"), original);
}

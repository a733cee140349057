//! NetworkSessions / _Im_NetworkSession / _Im_Dns values over every session source, with
//! the value conventions in CONTRACTS.md.

mod ingest_common;

use ingest_common::{fixture, int, load, text};
use quarry::engine::Case;
use quarry::ingest::rebuild_views;

fn case() -> Case {
    let case = Case::open_in_memory().expect("case");
    load(&case, &[fixture("sample")]);
    case
}

fn ns(case: &Case, col: &str, cond: &str) -> Option<String> {
    text(
        case,
        &format!("SELECT CAST({col} AS VARCHAR) FROM NetworkSessions WHERE {cond}"),
    )
}

#[test]
fn views_exist_even_without_data() {
    let case = Case::open_in_memory().expect("case");
    rebuild_views(&case).expect("views");
    assert_eq!(int(&case, "SELECT count(*) FROM NetworkSessions"), 0);
    assert_eq!(int(&case, "SELECT count(*) FROM _Im_NetworkSession"), 0);
    assert_eq!(int(&case, "SELECT count(*) FROM _Im_Dns"), 0);
    let ty = text(
        &case,
        "SELECT data_type FROM information_schema.columns WHERE table_name = 'NetworkSessions' AND column_name = 'DstPortNumber'",
    );
    assert_eq!(ty.as_deref(), Some("INTEGER"));
}

#[test]
fn one_row_per_session_from_every_source() {
    let case = case();
    let by_type = |t: &str| {
        int(
            &case,
            &format!("SELECT count(*) FROM NetworkSessions WHERE Type = '{t}'"),
        )
    };
    assert_eq!(by_type("CommonSecurityLog"), 5);
    assert_eq!(by_type("ZeekConn"), 3);
    assert_eq!(by_type("AWSVPCFlow"), 3);
    assert_eq!(by_type("DeviceNetworkEvents"), 3);
    assert_eq!(by_type("VMConnection"), 3);
    assert_eq!(
        int(&case, "SELECT count(*) FROM _Im_NetworkSession"),
        int(&case, "SELECT count(*) FROM NetworkSessions")
    );
}

#[test]
fn cef_sessions() {
    let case = case();
    let allow = "Type = 'CommonSecurityLog' AND SrcPortNumber = 51000";
    assert_eq!(ns(&case, "DvcAction", allow).as_deref(), Some("Allow"));
    assert_eq!(ns(&case, "EventResult", allow).as_deref(), Some("Success"));
    assert_eq!(
        ns(&case, "NetworkDirection", allow).as_deref(),
        Some("Outbound")
    );
    assert_eq!(ns(&case, "NetworkProtocol", allow).as_deref(), Some("TCP"));
    assert_eq!(ns(&case, "SrcBytes", allow).as_deref(), Some("12000"));
    assert_eq!(ns(&case, "DstBytes", allow).as_deref(), Some("56000"));
    assert_eq!(
        ns(&case, "UrlHostname", allow).as_deref(),
        Some("www.example.com")
    );
    assert_eq!(
        ns(&case, "EventVendor", allow).as_deref(),
        Some("Palo Alto Networks")
    );
    assert_eq!(
        ns(&case, "EventSchema", allow).as_deref(),
        Some("NetworkSession")
    );
    assert_eq!(ns(&case, "EventCount", allow).as_deref(), Some("1"));
    let deny = "Type = 'CommonSecurityLog' AND SrcPortNumber = 51001";
    assert_eq!(ns(&case, "DvcAction", deny).as_deref(), Some("Deny"));
    assert_eq!(ns(&case, "EventResult", deny).as_deref(), Some("Failure"));
    let drop = "Type = 'CommonSecurityLog' AND EventVendor = 'Fortinet'";
    assert_eq!(ns(&case, "DvcAction", drop).as_deref(), Some("Drop"));
    assert_eq!(ns(&case, "EventResult", drop).as_deref(), Some("Failure"));
    assert_eq!(ns(&case, "NetworkProtocol", drop).as_deref(), Some("TCP"));
    assert_eq!(
        ns(&case, "NetworkDirection", drop).as_deref(),
        Some("Inbound")
    );
    let dns = "Type = 'CommonSecurityLog' AND DstIpAddr = '8.8.8.8'";
    assert_eq!(ns(&case, "UrlHostname", dns).as_deref(), Some("dns.google"));
    assert_eq!(ns(&case, "DvcAction", dns).as_deref(), Some("Allow"));
}

#[test]
fn zeek_vpc_defender_vmconnection_sessions() {
    let case = case();
    let rej = "Type = 'ZeekConn' AND NetworkSessionId = 'Ca2'";
    assert_eq!(ns(&case, "EventResult", rej).as_deref(), Some("Failure"));
    assert_eq!(
        ns(&case, "NetworkDirection", rej).as_deref(),
        Some("Inbound")
    );
    assert_eq!(ns(&case, "DstPortNumber", rej).as_deref(), Some("23"));
    let sf = "Type = 'ZeekConn' AND NetworkSessionId = 'Ca3'";
    assert_eq!(ns(&case, "EventResult", sf).as_deref(), Some("Success"));
    assert_eq!(ns(&case, "NetworkDirection", sf).as_deref(), Some("Local"));
    assert_eq!(ns(&case, "NetworkProtocol", sf).as_deref(), Some("UDP"));
    assert_eq!(ns(&case, "NetworkDuration", sf).as_deref(), Some("10"));
    assert_eq!(ns(&case, "UrlHostname", sf), None);

    let reject = "Type = 'AWSVPCFlow' AND DstPortNumber = 22";
    assert_eq!(ns(&case, "DvcAction", reject).as_deref(), Some("Deny"));
    assert_eq!(ns(&case, "EventResult", reject).as_deref(), Some("Failure"));
    assert_eq!(ns(&case, "NetworkProtocol", reject).as_deref(), Some("TCP"));
    let accept = "Type = 'AWSVPCFlow' AND DstPortNumber = 443";
    assert_eq!(ns(&case, "DvcAction", accept).as_deref(), Some("Allow"));
    assert_eq!(ns(&case, "EventResult", accept).as_deref(), Some("Success"));
    assert_eq!(ns(&case, "SrcBytes", accept).as_deref(), Some("8400"));
    assert_eq!(
        ns(&case, "NetworkDirection", accept).as_deref(),
        Some("Outbound")
    );

    let ok = "Type = 'DeviceNetworkEvents' AND DstPortNumber = 8443";
    assert_eq!(ns(&case, "EventResult", ok).as_deref(), Some("Success"));
    assert_eq!(ns(&case, "SrcHostname", ok).as_deref(), Some("srv01"));
    assert_eq!(
        ns(&case, "UrlHostname", ok).as_deref(),
        Some("updates.example.com")
    );
    assert_eq!(ns(&case, "NetworkProtocol", ok).as_deref(), Some("TCP"));
    let failed = "Type = 'DeviceNetworkEvents' AND DstPortNumber = 4444";
    assert_eq!(ns(&case, "EventResult", failed).as_deref(), Some("Failure"));
    let inbound = "Type = 'DeviceNetworkEvents' AND DstPortNumber = 3389";
    assert_eq!(
        ns(&case, "SrcIpAddr", inbound).as_deref(),
        Some("203.0.113.99")
    );
    assert_eq!(ns(&case, "DstHostname", inbound).as_deref(), Some("ws01"));
    assert_eq!(
        ns(&case, "NetworkDirection", inbound).as_deref(),
        Some("Inbound")
    );

    let out = "Type = 'VMConnection' AND DstPortNumber = 9001";
    assert_eq!(ns(&case, "SrcBytes", out).as_deref(), Some("5000"));
    assert_eq!(ns(&case, "EventResult", out).as_deref(), Some("Success"));
    let inb = "Type = 'VMConnection' AND DstPortNumber = 22";
    assert_eq!(ns(&case, "SrcBytes", inb).as_deref(), Some("2000"));
    assert_eq!(ns(&case, "EventResult", inb).as_deref(), Some("Failure"));
}

#[test]
fn asim_dns_view() {
    let case = case();
    let q = |col: &str| {
        text(
            &case,
            &format!("SELECT CAST({col} AS VARCHAR) FROM _Im_Dns WHERE DnsQuery = 'evil.example.net' AND EventVendor = 'Microsoft'"),
        )
    };
    assert_eq!(q("SrcIpAddr").as_deref(), Some("10.1.2.3"));
    assert_eq!(q("SrcHostname").as_deref(), Some("ws01"));
    assert_eq!(q("EventResult").as_deref(), Some("Success"));
    assert_eq!(q("DnsQueryTypeName").as_deref(), Some("A"));
    assert_eq!(int(&case, "SELECT count(*) FROM _Im_Dns"), 4);
}

#[test]
fn cef_action_vocabulary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("actions.cef.log");
    let cases = [
        ("allow", Some("Allow"), Some("Success")),
        ("Accept", Some("Allow"), Some("Success")),
        ("close", Some("Allow"), Some("Success")),
        ("deny", Some("Deny"), Some("Failure")),
        ("reset-both", Some("Deny"), Some("Failure")),
        ("block-url", Some("Deny"), Some("Failure")),
        ("Blocked", Some("Deny"), Some("Failure")),
        ("drop-icmp", Some("Drop"), Some("Failure")),
        ("something-else", None, None),
    ];
    let lines: String = cases
        .iter()
        .enumerate()
        .map(|(i, (act, _, _))| {
            format!("CEF:0|V|P|1|1|x|1|rt=1762703194000 src=10.0.0.1 dst=198.51.100.1 spt={} dpt=80 act={act}\n", 1000 + i)
        })
        .collect();
    std::fs::write(&file, lines).expect("write");
    let case = Case::open_in_memory().expect("case");
    load(&case, &[file]);
    for (i, (act, dvc, result)) in cases.iter().enumerate() {
        let cond = format!("SrcPortNumber = {}", 1000 + i);
        assert_eq!(ns(&case, "DvcAction", &cond).as_deref(), *dvc, "{act}");
        assert_eq!(ns(&case, "EventResult", &cond).as_deref(), *result, "{act}");
    }
}

//! The planted attacks, one for every seed hunt, and the near misses a correct hunt must
//! not report. Each plant writes its records and its lines of `expected.json`.

use chrono::Duration;
use serde_json::{json, Map, Value};

use super::model::{end_time, hosts, ms, Host};
use super::records::{Conn, DataSet, Dns, Endpoint, Indicator, Sysmon, VmConn};
use super::rng::Rng;

/// Milliseconds before the end time.
fn ago(d: Duration) -> i64 {
    ms(end_time() - d)
}

fn hms(h: i64, m: i64, s: i64) -> Duration {
    Duration::hours(h) + Duration::minutes(m) + Duration::seconds(s)
}

/// ISO 8601 UTC text of a time in milliseconds.
fn iso(t: i64) -> String {
    super::model::at(t).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The expectations of one hunt.
#[derive(Default)]
struct Expect {
    must: Vec<Value>,
    must_not: Vec<Value>,
}

/// Builds `expected.json` while planting.
#[derive(Default)]
pub struct Expected {
    hunts: Vec<(&'static str, Expect)>,
}

impl Expected {
    fn hunt(&mut self, name: &'static str) -> &mut Expect {
        if let Some(i) = self.hunts.iter().position(|(n, _)| *n == name) {
            return &mut self.hunts[i].1;
        }
        self.hunts.push((name, Expect::default()));
        let last = self.hunts.len() - 1;
        &mut self.hunts[last].1
    }

    fn must(&mut self, hunt: &'static str, entity: Value) {
        self.hunt(hunt).must.push(entity);
    }

    fn must_not(&mut self, hunt: &'static str, entity: Value) {
        self.hunt(hunt).must_not.push(entity);
    }

    /// Sets the entities hunt 07 must report (computed from the records).
    pub fn set_new_external(&mut self, entities: Vec<Value>) {
        self.hunt("07_new_external_ips").must = entities;
    }

    /// The JSON document.
    pub fn to_json(&self) -> Value {
        let mut hunts = Map::new();
        for (name, e) in &self.hunts {
            hunts.insert(
                (*name).to_string(),
                json!({"must_report": e.must, "must_not_report": e.must_not}),
            );
        }
        json!({
            "clock": iso(ms(end_time())),
            "note": "Entities each seed hunt must report on this data set, and near misses it must not. \
                     `seed_query_reports: true` marks a near miss that the seed query as published \
                     reports because of a bug that quarry's hunt fixes; `seed_query_misses: true` an \
                     attack the published seed query misses for the same reason. `rows` is the number \
                     of result rows for the entity where the hunt returns raw events.",
            "hunts": hunts,
        })
    }
}

fn host<'a>(hosts: &'a [Host], name: &str) -> &'a Host {
    hosts.iter().find(|h| h.name == name).unwrap_or(&hosts[0])
}

/// A denied or allowed firewall connection to `(address, port)`.
fn fw(
    data: &mut DataSet,
    t: i64,
    src: &Host,
    (dst, dport): (&str, u16),
    allowed: bool,
    sent: u64,
    url: Option<&str>,
) {
    data.firewall.push(Conn {
        t,
        src: src.ip.clone(),
        sport: 50_000 + (t % 9_000) as u16,
        dst: dst.into(),
        dport,
        udp: false,
        sent,
        recv: if allowed { sent / 20 + 600 } else { 0 },
        allowed,
        url: url.map(str::to_string),
        app: if dport == 443 { "ssl" } else { "-" },
        src_name: Some(src.name.clone()),
    });
}

/// A Defender network event to `(address, port)` by `(process, command line)`.
fn edr(
    data: &mut DataSet,
    t: i64,
    h: &Host,
    action: &'static str,
    (remote, port): (&str, u16),
    (process, command_line): (&'static str, &str),
) {
    data.endpoint.push(Endpoint {
        t,
        device: h.name.clone(),
        device_id: h.device_id.clone(),
        action,
        local_ip: h.ip.clone(),
        local_port: 50_000 + (t % 9_000) as u16,
        remote_ip: remote.into(),
        remote_port: port,
        remote_url: String::new(),
        process,
        command_line: command_line.into(),
    });
}

/// Plants every attack and near miss; returns the expectations.
pub fn plant(rng: &mut Rng, data: &mut DataSet) -> Expected {
    let hosts = hosts();
    let mut x = Expected::default();
    port_scans(&hosts, data, &mut x);
    exfiltration(&hosts, data, &mut x);
    threat_intel(&hosts, data, &mut x);
    endpoint_ports(&hosts, data, &mut x);
    new_external(&hosts, data, &mut x);
    rare_server_destinations(&hosts, data, &mut x);
    port_misuse(&hosts, data, &mut x);
    internal_scans(rng, &hosts, data, &mut x);
    // The last event of the data set: it pins the investigation clock to the end time.
    let last = host(&hosts, "server1");
    fw(
        data,
        ms(end_time()),
        last,
        ("20.190.151.7", 443),
        true,
        4_200,
        Some("https://login.microsoftonline.com/common/oauth2/token"),
    );
    x
}

/// 01: an internal host probing many uncommon ports of one internet host, all blocked.
fn port_scans(hosts: &[Host], data: &mut DataSet, x: &mut Expected) {
    const HUNT: &str = "01_nonstandard_ports_scan";
    let scanner = host(hosts, "ws-eng-04");
    let start = ago(hms(2, 46, 0)) + 5_000; // 09:14:05, inside the 2-minute bin 09:14
    let ports = [
        21u16, 22, 23, 25, 110, 135, 139, 445, 1433, 3306, 3389, 5900,
    ];
    for (i, p) in ports.iter().enumerate() {
        fw(
            data,
            start + i as i64 * 7_000,
            scanner,
            ("203.0.113.45", *p),
            false,
            0,
            None,
        );
    }
    x.must(
        HUNT,
        json!({"SrcIpAddr": scanner.ip, "TimeGenerated": iso(start - 5_000),
        "events": 12, "why": "12 uncommon ports of 203.0.113.45 refused within two minutes"}),
    );
    let five = host(hosts, "ws-ops-02");
    let t = ago(hms(5, 30, 0)) + 10_000;
    for (i, p) in [21u16, 23, 110, 1433, 3306].iter().enumerate() {
        fw(
            data,
            t + i as i64 * 9_000,
            five,
            ("203.0.113.46", *p),
            false,
            0,
            None,
        );
    }
    x.must_not(
        HUNT,
        json!({"SrcIpAddr": five.ip, "why": "exactly 5 ports: the threshold is more than 5"}),
    );
    let common = host(hosts, "ws-fin-03");
    let t = ago(hms(7, 10, 0)) + 3_000;
    for (i, p) in [443u16, 80, 8080, 8888, 53, 389, 880].iter().enumerate() {
        fw(
            data,
            t + i as i64 * 5_000,
            common,
            ("203.0.113.48", *p),
            false,
            0,
            None,
        );
    }
    x.must_not(
        HUNT,
        json!({"SrcIpAddr": common.ip, "why": "refused only on common ports"}),
    );
    let ephemeral = host(hosts, "ws-hr-04");
    let t = ago(hms(8, 20, 0)) + 2_000;
    for i in 0..8u16 {
        fw(
            data,
            t + i64::from(i) * 6_000,
            ephemeral,
            ("203.0.113.47", 49_200 + i * 37),
            false,
            0,
            None,
        );
    }
    x.must_not(HUNT, json!({"SrcIpAddr": ephemeral.ip, "seed_query_reports": true,
        "why": "8 ports in 49152-49511 are ephemeral; the seed's range starts at 49512 by mistake"}));
}

/// 02 and 05: a workstation uploading 1.9 GB to a rare file-sharing domain; near misses on
/// a popular domain and just under the size threshold.
fn exfiltration(hosts: &[Host], data: &mut DataSet, x: &mut Expected) {
    let src = host(hosts, "ws-fin-05");
    let t = ago(hms(20, 0, 0));
    for i in 0..6u64 {
        fw(
            data,
            t + i as i64 * 1_500_000,
            src,
            ("203.0.113.200", 443),
            true,
            310_000_000 + i * 3_000_000,
            Some("https://upload.filedrop-sync.net/api/v2/upload"),
        );
    }
    x.must("02_uncommon_domains_volume", json!({"SndLevelDomain": "filedrop-sync",
        "UrlHostname": "upload.filedrop-sync.net", "events": 6, "why": "1.9 GB to a domain outside the popular list"}));
    x.must(
        "05_large_outbound_transfers",
        json!({"SourceIP": src.ip, "DestinationIP": "203.0.113.200",
        "events": 6, "why": "1.9 GB sent in the last day"}),
    );
    let near = host(hosts, "ws-hr-03");
    let t = ago(hms(9, 0, 0));
    for i in 0..3i64 {
        fw(
            data,
            t + i * 600_000,
            near,
            ("162.125.1.18", 443),
            true,
            29_000_000,
            Some("https://www.dropbox.com/upload"),
        );
    }
    x.must_not(
        "02_uncommon_domains_volume",
        json!({"SndLevelDomain": "dropbox",
        "why": "a large upload to a popular domain"}),
    );
    x.must_not(
        "05_large_outbound_transfers",
        json!({"SourceIP": near.ip, "DestinationIP": "162.125.1.18",
        "why": "87 MB, under the 100 MB threshold"}),
    );
}

/// 03 and 06: blocked connections to a threat-intel address and lookups of a threat-intel
/// domain; near misses on an address not in the feed and an indicator older than a day.
fn threat_intel(hosts: &[Host], data: &mut DataSet, x: &mut Expected) {
    let feed = ago(hms(8, 0, 0));
    let indicators = [
        (
            "ind-c2-0001",
            "C2",
            90,
            Some("198.51.100.23"),
            None,
            "Cobalt Strike team server",
            false,
        ),
        (
            "ind-c2-0002",
            "C2",
            80,
            Some("198.51.100.25"),
            None,
            "Sliver C2 listener",
            true,
        ),
        (
            "ind-ph-0003",
            "Phishing",
            85,
            None,
            Some("update-msft-cdn.com"),
            "Credential phishing kit lookalike",
            false,
        ),
        (
            "ind-mw-0004",
            "Malware",
            70,
            None,
            Some("cdn-pkg-mirror.net"),
            "Loader staging domain",
            true,
        ),
    ];
    for (id, threat, confidence, ip, domain, description, stix) in indicators {
        data.indicators.push(Indicator {
            t: feed,
            id: id.into(),
            threat,
            confidence,
            ip,
            domain,
            description,
            stix,
        });
    }
    data.indicators.push(Indicator {
        t: ago(Duration::days(12)),
        id: "ind-ph-0099".into(),
        threat: "Phishing",
        confidence: 60,
        ip: None,
        domain: Some("old-campaign.top"),
        description: "Phishing campaign (expired)",
        stix: false,
    });
    let src = host(hosts, "ws-ops-05");
    let t = ago(hms(5, 0, 0));
    for i in 0..7i64 {
        fw(
            data,
            t + i * 45_000,
            src,
            ("198.51.100.23", 443),
            false,
            0,
            None,
        );
    }
    x.must("03_denied_outbound_ti_ips", json!({"SourceIP": src.ip, "DestinationIP": "198.51.100.23",
        "DestinationPort": 443, "DeviceAction": "Deny", "events": 7, "why": "7 blocked attempts to a C2 address in the feed"}));
    let other = host(hosts, "ws-eng-06");
    fw(
        data,
        t + 30_000,
        other,
        ("198.51.100.24", 443),
        false,
        0,
        None,
    );
    x.must_not(
        "03_denied_outbound_ti_ips",
        json!({"DestinationIP": "198.51.100.24",
        "why": "blocked, but the address is not in the feed"}),
    );
    let asker = host(hosts, "ws-hr-02");
    let t = ago(hms(4, 0, 0));
    for i in 0..3i64 {
        data.dns.push(Dns {
            t: t + i * 90_000,
            client_ip: asker.ip.clone(),
            client_name: asker.name.clone(),
            name: "update-msft-cdn.com".into(),
            qtype: "A",
            answer: "203.0.113.31".into(),
        });
    }
    x.must("06_dns_ti_domains", json!({"ClientIP": asker.ip, "DeviceName": asker.name,
        "QueriedDomain": "update-msft-cdn.com", "QueryType": "A", "events": 3, "why": "lookups of a phishing domain in the feed"}));
    let late = host(hosts, "ws-fin-02");
    data.dns.push(Dns {
        t: t + 30_000,
        client_ip: late.ip.clone(),
        client_name: late.name.clone(),
        name: "old-campaign.top".into(),
        qtype: "A",
        answer: String::new(),
    });
    x.must_not(
        "06_dns_ti_domains",
        json!({"QueriedDomain": "old-campaign.top",
        "why": "its indicator is 12 days old: outside the one-day lookback"}),
    );
}

/// 04: an endpoint reaching an internet host on an uncommon port.
fn endpoint_ports(hosts: &[Host], data: &mut DataSet, x: &mut Expected) {
    let h = host(hosts, "ws-eng-09");
    let t = ago(hms(3, 20, 0));
    for i in 0..4i64 {
        edr(
            data,
            t + i * 300_000,
            h,
            "ConnectionSuccess",
            ("203.0.113.80", 4444),
            (
                "rundll32.exe",
                "rundll32.exe C:\\Users\\Public\\libcache.dll,Start",
            ),
        );
    }
    x.must("04_endpoint_uncommon_ports", json!({"DeviceName": h.name, "RemoteIP": "203.0.113.80",
        "RemotePorts": [4444], "events": 4, "why": "rundll32 connected out to port 4444",
        "seed_query_misses": true,
        "note": "the seed filters ActionType == 'NetworkConnectionSuccess', which Defender never logs; quarry's hunt uses ConnectionSuccess"}));
    x.must_not(
        "04_endpoint_uncommon_ports",
        json!({"RemotePorts": [443],
        "why": "ordinary HTTPS: a common port"}),
    );
}

/// 07: a first contact with an internet host in the last day; a near miss seen in the baseline.
fn new_external(hosts: &[Host], data: &mut DataSet, x: &mut Expected) {
    let h = host(hosts, "ws-ops-03");
    let t = ago(hms(6, 0, 0));
    fw(data, t, h, ("203.0.113.150", 443), true, 48_000, None);
    edr(
        data,
        t + 2,
        h,
        "ConnectionSuccess",
        ("203.0.113.150", 443),
        ("python.exe", "python.exe sync.py"),
    );
    data.vm.push(VmConn {
        t: t + 600_000,
        computer: "vm-app01",
        direction: "outbound",
        src: "10.100.1.4".into(),
        dst: "203.0.113.151".into(),
        dport: 9001,
        sent: 12_000,
        recv: 3_000,
        process: "node",
    });
    let old = host(hosts, "ws-eng-01");
    for days in [9i64, 0] {
        let t = ago(Duration::days(days) + hms(2, 0, 0));
        fw(data, t, old, ("198.51.100.77", 443), true, 9_000, None);
    }
    x.must_not(
        "07_new_external_ips",
        json!({"External_IP": "198.51.100.77",
        "why": "also contacted nine days ago, inside the baseline"}),
    );
}

/// 08 and 09: a monitored server contacting a rare internet host (Defender and Sysmon).
fn rare_server_destinations(hosts: &[Host], data: &mut DataSet, x: &mut Expected) {
    let s1 = host(hosts, "server1");
    for i in 0..6i64 {
        let t = ago(Duration::hours(70) - Duration::hours(i * 11));
        edr(
            data,
            t,
            s1,
            "ConnectionSuccess",
            ("203.0.113.66", 443),
            (
                "powershell.exe",
                "powershell.exe -nop -w hidden -enc SQBFAFgA",
            ),
        );
    }
    x.must(
        "08_server_rare_remoteip",
        json!({"RemoteIP": "203.0.113.66", "DeviceName": "server1",
        "rows": 6, "events": 6, "why": "6 connections of server1 to an address it never used before"}),
    );
    let s2 = host(hosts, "server2");
    for days in [20i64, 12, 6, 2] {
        data.endpoint.push(Endpoint {
            t: ago(Duration::days(days)),
            device: s2.name.clone(),
            device_id: s2.device_id.clone(),
            action: "ConnectionSuccess",
            local_ip: s2.ip.clone(),
            local_port: 51_000,
            remote_ip: "93.184.220.29".into(),
            remote_port: 80,
            remote_url: "ocsp.digicert.com".into(),
            process: "svchost.exe",
            command_line: String::new(),
        });
    }
    x.must_not(
        "08_server_rare_remoteip",
        json!({"RemoteIP": "93.184.220.29",
        "why": "rare, but a certificate status check excluded by the known-destination list"}),
    );
    x.must_not(
        "08_server_rare_remoteip",
        json!({"RemoteIP": "20.190.151.7",
        "why": "contacted every hour: not rare"}),
    );
    for (record, i) in (90_001u64..).zip(0..4i64) {
        data.sysmon.push(Sysmon {
            t: ago(Duration::hours(40 - i * 9)),
            computer: s2.name.clone(),
            image: "C:\\Windows\\Temp\\svch0st.exe",
            pid: 6612,
            src_ip: s2.ip.clone(),
            src_port: 52_100 + i as u16,
            dst_ip: "203.0.113.99".into(),
            dst_port: 443,
            record,
        });
    }
    x.must(
        "09_server_rare_sysmon_dstip",
        json!({"DestinationIp": "203.0.113.99", "Computer": "server2",
        "rows": 4, "events": 4, "why": "a look-alike svchost in Temp calling out"}),
    );
    x.must_not(
        "09_server_rare_sysmon_dstip",
        json!({"DestinationIp": "172.16.10.5",
        "why": "the domain controller: a private address"}),
    );
    x.must_not(
        "09_server_rare_sysmon_dstip",
        json!({"DestinationIp": "20.190.151.7",
        "why": "contacted every hour: not rare"}),
    );
}

/// 10: outbound SSH far above the watchlist's static threshold in the last ten minutes.
fn port_misuse(hosts: &[Host], data: &mut DataSet, x: &mut Expected) {
    let h = host(hosts, "ws-eng-02");
    for i in 0..35i64 {
        fw(
            data,
            ago(hms(0, 9, 0)) + i * 13_000,
            h,
            ("203.0.113.120", 22),
            true,
            5_400,
            None,
        );
    }
    x.must(
        "10_port_misuse_static_threshold",
        json!({"Name": "Outbound SSH", "DstPortNumber": 22,
        "events": 35, "why": "35 allowed SSH sessions in ten minutes; the threshold is 25"}),
    );
    let rdp = host(hosts, "ws-ops-01");
    for i in 0..10i64 {
        fw(
            data,
            ago(hms(0, 8, 0)) + i * 20_000,
            rdp,
            ("203.0.113.121", 3389),
            false,
            0,
            None,
        );
    }
    x.must_not(
        "10_port_misuse_static_threshold",
        json!({"Name": "Outbound RDP", "DstPortNumber": 3389,
        "why": "exactly 10 sessions: the threshold is more than 10"}),
    );
    x.must_not(
        "10_port_misuse_static_threshold",
        json!({"Name": "Outbound HTTPS",
        "why": "the rule is disabled in the watchlist"}),
    );
}

/// 11: an internal host sweeping the ports of a file server; near misses at the threshold,
/// by a sanctioned scanner, and older than a day on the lab network.
fn internal_scans(rng: &mut Rng, hosts: &[Host], data: &mut DataSet, x: &mut Expected) {
    const HUNT: &str = "11_hosts_network_scans";
    let ports = [
        21u16, 22, 23, 25, 53, 80, 88, 110, 135, 139, 143, 389, 443, 445, 636, 1433, 3268, 3389,
        5985, 8080,
    ];
    let h = host(hosts, "ws-fin-07");
    let t = ago(hms(2, 0, 0));
    for (i, p) in ports.iter().enumerate() {
        let action = if *p == 445 || *p == 135 {
            "ConnectionSuccess"
        } else {
            "ConnectionFailed"
        };
        edr(
            data,
            t + i as i64 * 1_500,
            h,
            action,
            ("172.16.10.20", *p),
            (
                "powershell.exe",
                "powershell.exe -c \"1..1024 | % { Test-NetConnection 172.16.10.20 -Port $_ }\"",
            ),
        );
    }
    x.must(HUNT, json!({"DeviceName": h.name, "RemoteIP": "172.16.10.20",
        "InitiatingProcessFileName": "powershell.exe", "RemotePortCount": 20, "events": 20, "why": "20 ports of the file server"}));
    let ten = host(hosts, "ws-ops-06");
    let t = ago(hms(3, 0, 0));
    for (i, p) in ports[..10].iter().enumerate() {
        edr(
            data,
            t + i as i64 * 2_000,
            ten,
            "ConnectionFailed",
            ("172.16.10.30", *p),
            ("powershell.exe", "powershell.exe"),
        );
    }
    x.must_not(
        HUNT,
        json!({"DeviceName": ten.name, "RemoteIP": "172.16.10.30",
        "why": "exactly 10 ports: the threshold is more than 10"}),
    );
    let scanner = host(hosts, "vulnscan01");
    let t = ago(hms(10, 0, 0));
    for target in ["172.16.10.11", "172.16.10.12", "172.16.10.20"] {
        for p in ports {
            let jitter = rng.range(0, 900) as i64;
            edr(
                data,
                t + i64::from(p) * 1_000 + jitter,
                scanner,
                "ConnectionFailed",
                (target, p),
                ("nessusd", "/opt/nessus/sbin/nessusd -q"),
            );
        }
    }
    x.must_not(HUNT, json!({"DeviceName": scanner.name, "InitiatingProcessFileName": "nessusd",
        "seed_query_reports": true, "why": "the sanctioned vulnerability scanner (SanctionedScanners watchlist)"}));
    let old = host(hosts, "ws-eng-05");
    let t = ago(Duration::days(5));
    for (i, p) in ports[..15].iter().enumerate() {
        edr(
            data,
            t + i as i64 * 1_000,
            old,
            "ConnectionFailed",
            ("192.168.50.12", *p),
            ("cmd.exe", "cmd.exe /c portscan.bat"),
        );
    }
    x.must_not(HUNT, json!({"DeviceName": old.name, "RemoteIP": "192.168.50.12", "seed_query_reports": true,
        "why": "five days old: the seed's `and`/`or` precedence lets 192.168 rows of any age through"}));
}

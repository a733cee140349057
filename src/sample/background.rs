//! Everyday traffic: employees on web services in office hours, servers talking to their
//! update and identity services, internal file and directory traffic, DNS, cloud VMs, and
//! the single-port internet noise every perimeter sees. Nothing here should trigger a hunt.

use chrono::{Datelike, Duration, Timelike, Weekday};

use super::model::{at, end_time, hosts, ms, Host, Role, Service, PUBLIC_IP, SERVICES};
use super::records::{Conn, DataSet, Dns, Endpoint, Sysmon, VmConn};
use super::rng::Rng;

/// Processes that browse the web, with their command lines.
const BROWSERS: &[(&str, &str)] = &[
    (
        "msedge.exe",
        "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --single-argument",
    ),
    (
        "chrome.exe",
        "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\"",
    ),
    (
        "Teams.exe",
        "\"C:\\Users\\Public\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe\"",
    ),
    (
        "OUTLOOK.EXE",
        "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE\"",
    ),
];

/// Ports workstations use on internal servers.
const INTERNAL_PORTS: &[(&str, u16, &str)] = &[
    ("172.16.10.20", 445, "smb"),
    ("172.16.10.5", 389, "ldap"),
    ("172.16.10.5", 88, "krb"),
    ("172.16.10.30", 443, "ssl"),
    ("192.168.50.11", 9100, "-"),
];

/// A mail relay the firewall blocks workstations from reaching directly.
const BLOCKED_RELAY: &str = "198.51.100.30";

/// How busy an hour is, 0..=10.
fn activity(t: chrono::NaiveDateTime) -> u64 {
    let weekend = matches!(t.weekday(), Weekday::Sat | Weekday::Sun);
    let base = match t.hour() {
        8..=11 | 13..=16 => 10,
        12 | 17 => 6,
        7 | 18 | 19 => 3,
        _ => 1,
    };
    if weekend {
        base / 4
    } else {
        base
    }
}

/// Generates the background traffic of `days` days ending at the end time.
pub fn generate(rng: &mut Rng, days: u32, scale: u32, data: &mut DataSet) {
    let hosts = hosts();
    let end = end_time();
    let start = end - Duration::days(i64::from(days));
    let mut sysmon_record = 40_000u64;
    let mut hour = start;
    while hour < end {
        let h0 = ms(hour);
        let busy = activity(hour);
        for host in hosts.iter().filter(|h| h.role == Role::Workstation) {
            for _ in 0..scale {
                for _ in 0..3 {
                    if rng.range(0, 25) < busy {
                        let t = h0 + rng.range(0, 3_600_000) as i64;
                        workstation_session(rng, host, t, data);
                    }
                }
            }
        }
        for host in hosts.iter().filter(|h| h.role == Role::Server) {
            if host.name == "server1" || host.name == "server2" {
                let t = h0 + rng.range(0, 3_600_000) as i64;
                server_checkin(rng, host, t, &mut sysmon_record, data);
            }
        }
        if hour.hour() == 3 {
            for host in hosts.iter().filter(|h| h.role == Role::Server) {
                let t = h0 + rng.range(0, 3_600_000) as i64;
                windows_update(rng, host, t, data);
            }
        }
        if hour.hour() == 10 {
            let ws: Vec<&Host> = hosts
                .iter()
                .filter(|h| h.role == Role::Workstation)
                .collect();
            let host = rng.pick(&ws);
            let t = h0 + rng.range(0, 3_600_000) as i64;
            data.firewall.push(Conn {
                t,
                src: host.ip.clone(),
                sport: rng.range(49152, 65535) as u16,
                dst: BLOCKED_RELAY.into(),
                dport: 25,
                udp: false,
                sent: 0,
                recv: 0,
                allowed: false,
                url: None,
                app: "smtp",
                src_name: Some(host.name.clone()),
            });
        }
        lab_dns(rng, &hosts, h0, data);
        internet_noise(rng, h0, data);
        cloud(rng, h0, data);
        hour += Duration::hours(1);
    }
}

/// One employee session: a web service through the firewall, seen by Defender and DNS,
/// sometimes with a visit to an internal server.
fn workstation_session(rng: &mut Rng, host: &Host, t: i64, data: &mut DataSet) {
    let weights: Vec<u32> = SERVICES.iter().map(|s| s.weight).collect();
    let svc = SERVICES[rng.weighted(&weights)];
    let sport = rng.range(49152, 65535) as u16;
    let scheme = if svc.port == 80 { "http" } else { "https" };
    let path = *rng.pick(&[
        "/",
        "/index.html",
        "/api/v1/items",
        "/static/app.js",
        "/owa/",
        "/search?q=report",
    ]);
    if rng.chance(0.35) {
        data.dns.push(Dns {
            t: t - 40,
            client_ip: host.ip.clone(),
            client_name: host.name.clone(),
            name: svc.domain.into(),
            qtype: if rng.chance(0.85) { "A" } else { "AAAA" },
            answer: svc.ip.into(),
        });
    }
    data.firewall.push(Conn {
        t,
        src: host.ip.clone(),
        sport,
        dst: svc.ip.into(),
        dport: svc.port,
        udp: false,
        sent: rng.bytes(400, 1_000_000),
        recv: rng.bytes(2_000, 40_000_000),
        allowed: true,
        url: Some(format!("{scheme}://{}{path}", svc.domain)),
        app: svc.app,
        src_name: Some(host.name.clone()),
    });
    if rng.chance(0.4) {
        let (process, command_line) = *rng.pick(BROWSERS);
        data.endpoint.push(Endpoint {
            t: t + 3,
            device: host.name.clone(),
            device_id: host.device_id.clone(),
            action: "ConnectionSuccess",
            local_ip: host.ip.clone(),
            local_port: sport,
            remote_ip: svc.ip.into(),
            remote_port: svc.port,
            remote_url: svc.domain.into(),
            process,
            command_line: command_line.into(),
        });
    }
    if rng.chance(0.3) {
        let (dst, dport, app) = *rng.pick(INTERNAL_PORTS);
        let established = rng.chance(0.97);
        let c = Conn {
            t: t + 700,
            src: host.ip.clone(),
            sport: rng.range(49152, 65535) as u16,
            dst: dst.into(),
            dport,
            udp: false,
            sent: if established {
                rng.bytes(300, 2_000_000)
            } else {
                0
            },
            recv: if established {
                rng.bytes(300, 8_000_000)
            } else {
                0
            },
            allowed: established,
            url: None,
            app,
            src_name: Some(host.name.clone()),
        };
        if rng.chance(0.5) {
            data.endpoint.push(Endpoint {
                t: c.t,
                device: host.name.clone(),
                device_id: host.device_id.clone(),
                action: if established {
                    "ConnectionSuccess"
                } else {
                    "ConnectionFailed"
                },
                local_ip: host.ip.clone(),
                local_port: c.sport,
                remote_ip: c.dst.clone(),
                remote_port: dport,
                remote_url: String::new(),
                process: if dport == 9100 {
                    "spoolsv.exe"
                } else {
                    "System"
                },
                command_line: String::new(),
            });
        }
        data.zeek.push(c);
    }
}

/// A monitored server's hourly token refresh: firewall, Defender and Sysmon all see it;
/// every third hour it also talks to the domain controller.
fn server_checkin(rng: &mut Rng, host: &Host, t: i64, record: &mut u64, data: &mut DataSet) {
    let svc = SERVICES[0];
    let bytes = (rng.bytes(2_000, 60_000), rng.bytes(4_000, 90_000));
    let sport = rng.range(49152, 65535) as u16;
    server_contact(
        host,
        svc,
        (t, sport),
        bytes,
        "/common/oauth2/token",
        "C:\\Windows\\system32\\svchost.exe -k NetworkService -p",
        data,
    );
    *record += 1;
    data.sysmon.push(Sysmon {
        t: t + 1,
        computer: host.name.clone(),
        image: "C:\\Windows\\System32\\svchost.exe",
        pid: 1200,
        src_ip: host.ip.clone(),
        src_port: sport,
        dst_ip: svc.ip.into(),
        dst_port: 443,
        record: *record,
    });
    if at(t).hour().is_multiple_of(3) {
        *record += 1;
        data.sysmon.push(Sysmon {
            t: t + 50_000,
            computer: host.name.clone(),
            image: "C:\\Windows\\System32\\lsass.exe",
            pid: 700,
            src_ip: host.ip.clone(),
            src_port: rng.range(49152, 65535) as u16,
            dst_ip: "172.16.10.5".into(),
            dst_port: 389,
            record: *record,
        });
    }
}

/// The nightly update check of a server.
fn windows_update(rng: &mut Rng, host: &Host, t: i64, data: &mut DataSet) {
    let svc = SERVICES
        .iter()
        .find(|s| s.domain == "download.windowsupdate.com")
        .copied()
        .unwrap_or(SERVICES[0]);
    let bytes = (rng.bytes(1_000, 20_000), rng.bytes(50_000, 30_000_000));
    let sport = rng.range(49152, 65535) as u16;
    server_contact(
        host,
        svc,
        (t, sport),
        bytes,
        "/c/msdownload/update/software/",
        "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s wuauserv",
        data,
    );
}

/// A server's svchost reaching a service: the firewall and Defender both log it.
fn server_contact(
    host: &Host,
    svc: Service,
    (t, sport): (i64, u16),
    (sent, recv): (u64, u64),
    path: &str,
    command_line: &str,
    data: &mut DataSet,
) {
    let scheme = if svc.port == 80 { "http" } else { "https" };
    data.firewall.push(Conn {
        t,
        src: host.ip.clone(),
        sport,
        dst: svc.ip.into(),
        dport: svc.port,
        udp: false,
        sent,
        recv,
        allowed: true,
        url: Some(format!("{scheme}://{}{path}", svc.domain)),
        app: svc.app,
        src_name: Some(host.name.clone()),
    });
    data.endpoint.push(Endpoint {
        t: t + 2,
        device: host.name.clone(),
        device_id: host.device_id.clone(),
        action: "ConnectionSuccess",
        local_ip: host.ip.clone(),
        local_port: sport,
        remote_ip: svc.ip.into(),
        remote_port: svc.port,
        remote_url: svc.domain.into(),
        process: "svchost.exe",
        command_line: command_line.into(),
    });
}

/// Lab devices resolve time servers; the Zeek sensor on their segment logs it.
fn lab_dns(rng: &mut Rng, hosts: &[Host], h0: i64, data: &mut DataSet) {
    for host in hosts.iter().filter(|h| h.role == Role::Device) {
        if rng.chance(0.5) {
            let name = *rng.pick(&[
                "time.windows.com",
                "pool.ntp.org",
                "firmware.printvendor.com",
            ]);
            data.zeek_dns.push(Dns {
                t: h0 + rng.range(0, 3_600_000) as i64,
                client_ip: host.ip.clone(),
                client_name: host.name.clone(),
                name: name.into(),
                qtype: "A",
                answer: if name == "firmware.printvendor.com" {
                    String::new()
                } else {
                    "168.61.215.74".into()
                },
            });
        }
    }
}

/// Unsolicited connections from the internet to the company's address, each probing a
/// single port and dropped by the firewall.
fn internet_noise(rng: &mut Rng, h0: i64, data: &mut DataSet) {
    for _ in 0..rng.range(1, 4) {
        let src = format!("198.51.100.{}", rng.range(128, 255));
        let dport = *rng.pick(&[22u16, 23, 445, 3389, 8080, 5900, 1433]);
        data.firewall.push(Conn {
            t: h0 + rng.range(0, 3_600_000) as i64,
            src,
            sport: rng.range(1024, 65535) as u16,
            dst: PUBLIC_IP.into(),
            dport,
            udp: false,
            sent: 0,
            recv: 0,
            allowed: false,
            url: None,
            app: "-",
            src_name: None,
        });
    }
}

/// Cloud workloads: an Azure app VM and its database, and an AWS subnet.
fn cloud(rng: &mut Rng, h0: i64, data: &mut DataSet) {
    let github = SERVICES
        .iter()
        .find(|s| s.domain == "github.com")
        .copied()
        .unwrap_or(SERVICES[0]);
    data.vm.push(VmConn {
        t: h0 + rng.range(0, 3_600_000) as i64,
        computer: "vm-app01",
        direction: "outbound",
        src: "10.100.1.4".into(),
        dst: github.ip.into(),
        dport: 443,
        sent: rng.bytes(2_000, 400_000),
        recv: rng.bytes(10_000, 4_000_000),
        process: "node",
    });
    data.vm.push(VmConn {
        t: h0 + rng.range(0, 3_600_000) as i64,
        computer: "vm-db01",
        direction: "inbound",
        src: "10.100.1.4".into(),
        dst: "10.100.1.5".into(),
        dport: 5432,
        sent: rng.bytes(5_000, 2_000_000),
        recv: rng.bytes(1_000, 200_000),
        process: "postgres",
    });
    data.vpc.push(Conn {
        t: h0 + rng.range(0, 3_600_000) as i64,
        src: "10.100.2.10".into(),
        sport: rng.range(32768, 60999) as u16,
        dst: "54.239.28.85".into(),
        dport: 443,
        udp: false,
        sent: rng.bytes(1_000, 300_000),
        recv: rng.bytes(1_000, 900_000),
        allowed: true,
        url: None,
        app: "-",
        src_name: None,
    });
    if rng.chance(0.5) {
        data.vpc.push(Conn {
            t: h0 + rng.range(0, 3_600_000) as i64,
            src: format!("198.51.100.{}", rng.range(128, 255)),
            sport: rng.range(1024, 65535) as u16,
            dst: "10.100.2.10".into(),
            dport: *rng.pick(&[22u16, 3389, 23]),
            udp: false,
            sent: 40,
            recv: 0,
            allowed: false,
            url: None,
            app: "-",
            src_name: None,
        });
    }
}

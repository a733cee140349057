//! The small company the sample data describes: its hosts, the internet services they use,
//! and the investigation window.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

/// The last instant of the data set: the investigation clock after loading it.
pub fn end_time() -> NaiveDateTime {
    Utc.with_ymd_and_hms(2025, 11, 20, 12, 0, 0)
        .single()
        .map(|t| t.naive_utc())
        .unwrap_or_default()
}

/// Milliseconds since the Unix epoch.
pub fn ms(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_millis()
}

/// The time of `ms` milliseconds since the epoch.
pub fn at(ms: i64) -> NaiveDateTime {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.naive_utc())
        .unwrap_or_default()
}

/// What a host is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// An employee's Windows workstation (Defender installed).
    Workstation,
    /// A Windows server (Defender and Sysmon installed).
    Server,
    /// The domain controller and DNS resolver.
    DomainController,
    /// A Linux vulnerability scanner.
    Scanner,
    /// A printer or lab device (no agent).
    Device,
}

/// An internal host.
#[derive(Debug, Clone)]
pub struct Host {
    /// Host name (DeviceName, Computer).
    pub name: String,
    /// IPv4 address.
    pub ip: String,
    /// Its role.
    pub role: Role,
    /// Defender device id.
    pub device_id: String,
}

/// An internet service the company uses every day.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    /// Host name in URLs and DNS.
    pub domain: &'static str,
    /// Address.
    pub ip: &'static str,
    /// Port.
    pub port: u16,
    /// How often employees use it (relative weight).
    pub weight: u32,
    /// Application name the firewall reports.
    pub app: &'static str,
}

/// Popular services (their domains are all in the popular-domains list).
pub const SERVICES: &[Service] = &[
    Service {
        domain: "login.microsoftonline.com",
        ip: "20.190.151.7",
        port: 443,
        weight: 14,
        app: "ssl",
    },
    Service {
        domain: "outlook.office365.com",
        ip: "52.96.88.162",
        port: 443,
        weight: 18,
        app: "ssl",
    },
    Service {
        domain: "teams.microsoft.com",
        ip: "52.112.0.10",
        port: 443,
        weight: 12,
        app: "ssl",
    },
    Service {
        domain: "www.google.com",
        ip: "142.250.72.4",
        port: 443,
        weight: 14,
        app: "ssl",
    },
    Service {
        domain: "github.com",
        ip: "140.82.112.4",
        port: 443,
        weight: 5,
        app: "ssl",
    },
    Service {
        domain: "slack.com",
        ip: "34.192.3.40",
        port: 443,
        weight: 6,
        app: "ssl",
    },
    Service {
        domain: "zoom.us",
        ip: "170.114.52.2",
        port: 443,
        weight: 5,
        app: "ssl",
    },
    Service {
        domain: "www.dropbox.com",
        ip: "162.125.1.18",
        port: 443,
        weight: 3,
        app: "ssl",
    },
    Service {
        domain: "www.linkedin.com",
        ip: "13.107.42.14",
        port: 443,
        weight: 4,
        app: "ssl",
    },
    Service {
        domain: "cdn.jsdelivr.net",
        ip: "104.16.85.20",
        port: 443,
        weight: 4,
        app: "ssl",
    },
    Service {
        domain: "www.salesforce.com",
        ip: "104.109.10.129",
        port: 443,
        weight: 4,
        app: "ssl",
    },
    Service {
        domain: "aws.amazon.com",
        ip: "54.239.28.85",
        port: 443,
        weight: 3,
        app: "ssl",
    },
    Service {
        domain: "www.wikipedia.org",
        ip: "208.80.154.224",
        port: 443,
        weight: 3,
        app: "ssl",
    },
    Service {
        domain: "download.windowsupdate.com",
        ip: "13.107.4.50",
        port: 80,
        weight: 3,
        app: "http",
    },
    Service {
        domain: "ocsp.digicert.com",
        ip: "93.184.220.29",
        port: 80,
        weight: 2,
        app: "http",
    },
];

/// The domains of the popular-domains list (a stand-in for a top-1M list), in rank order.
pub const POPULAR_DOMAINS: &[&str] = &[
    "google.com",
    "microsoft.com",
    "microsoftonline.com",
    "office365.com",
    "windowsupdate.com",
    "live.com",
    "amazon.com",
    "github.com",
    "slack.com",
    "zoom.us",
    "dropbox.com",
    "linkedin.com",
    "jsdelivr.net",
    "salesforce.com",
    "wikipedia.org",
    "digicert.com",
    "apple.com",
    "cloudflare.com",
    "youtube.com",
    "facebook.com",
    "akamaiedge.net",
    "office.com",
    "azure.com",
    "windows.net",
    "bing.com",
    "yahoo.com",
    "twitter.com",
    "instagram.com",
    "netflix.com",
    "adobe.com",
];

/// The company's public address (the firewall's outside interface).
pub const PUBLIC_IP: &str = "192.0.2.10";

/// Workstation departments and their subnets.
const DEPARTMENTS: &[(&str, u8, u8)] =
    &[("fin", 1, 8), ("eng", 2, 10), ("hr", 3, 5), ("ops", 4, 7)];

/// Every internal host.
pub fn hosts() -> Vec<Host> {
    let mut out = Vec::new();
    let mut add = |name: String, ip: String, role: Role| {
        let device_id = format!("{:040x}", fnv(&name));
        out.push(Host {
            name,
            ip,
            role,
            device_id,
        });
    };
    for (dept, subnet, count) in DEPARTMENTS {
        for i in 1..=*count {
            add(
                format!("ws-{dept}-{i:02}"),
                format!("10.20.{subnet}.{}", 20 + i),
                Role::Workstation,
            );
        }
    }
    add("dc01".into(), "172.16.10.5".into(), Role::DomainController);
    add("server1".into(), "172.16.10.11".into(), Role::Server);
    add("server2".into(), "172.16.10.12".into(), Role::Server);
    add("fs01".into(), "172.16.10.20".into(), Role::Server);
    add("web01".into(), "172.16.10.30".into(), Role::Server);
    add("vulnscan01".into(), "172.16.20.5".into(), Role::Scanner);
    for i in 1..=4 {
        add(
            format!("lab-dev-{i:02}"),
            format!("192.168.50.{}", 10 + i),
            Role::Device,
        );
    }
    out
}

/// A stable 160-bit-ish hex id from a name (FNV-1a, widened).
fn fnv(name: &str) -> u128 {
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for b in name.bytes() {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013B);
    }
    h
}

/// Whether an address is in the company's private ranges.
pub fn is_internal(ip: &str) -> bool {
    ip.starts_with("10.") || ip.starts_with("172.16.") || ip.starts_with("192.168.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_unique_and_internal() {
        let h = hosts();
        let mut names: Vec<&str> = h.iter().map(|h| h.name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), h.len());
        assert!(h.iter().all(|h| is_internal(&h.ip)));
        assert!(h.iter().any(|h| h.name == "server1"));
    }

    #[test]
    fn every_service_domain_is_popular() {
        for s in SERVICES {
            assert!(
                POPULAR_DOMAINS.iter().any(|d| s.domain.ends_with(d)),
                "{}",
                s.domain
            );
        }
    }
}

//! Context files the hunts read: threat-intelligence indicators (a CSV feed and a STIX 2.1
//! bundle), the watchlists, and the zipped popular-domains list.

use std::fmt::Write;

use serde_json::json;

use super::model::{at, POPULAR_DOMAINS};
use super::records::Indicator;

fn iso(t: i64) -> String {
    at(t).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The CSV feed: indicators not in the STIX bundle.
pub fn indicators_csv(items: &[Indicator]) -> String {
    let mut out = String::from(
        "TimeGenerated,IndicatorId,ThreatType,ConfidenceScore,NetworkIP,DomainName,Url,Description,ExpirationDateTime,Active,SourceSystem\n",
    );
    for i in items.iter().filter(|i| !i.stix) {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},,{},{},true,Partner feed",
            iso(i.t),
            i.id,
            i.threat,
            i.confidence,
            i.ip.unwrap_or(""),
            i.domain.unwrap_or(""),
            i.description,
            iso(i.t + 90 * 86_400_000),
        );
    }
    out
}

/// The STIX 2.1 bundle: the other indicators, plus a file-hash indicator.
pub fn indicators_stix(items: &[Indicator]) -> String {
    let mut objects = vec![json!({
        "type": "identity", "spec_version": "2.1", "id": "identity--8f1c5e38-2a1b-4d5e-9c3f-1b2a3c4d5e6f",
        "created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
        "name": "Regional ISAC", "identity_class": "organization"
    })];
    for (n, i) in items.iter().filter(|i| i.stix).enumerate() {
        let pattern = match (i.ip, i.domain) {
            (Some(ip), _) => format!("[ipv4-addr:value = '{ip}']"),
            (_, Some(d)) => format!("[domain-name:value = '{d}']"),
            _ => continue,
        };
        objects.push(json!({
            "type": "indicator", "spec_version": "2.1",
            "id": format!("indicator--0b7a6e2c-7d1f-4c55-9a3e-{:012x}", n + 1),
            "created": iso(i.t), "modified": iso(i.t),
            "name": i.description, "description": i.description,
            "indicator_types": ["malicious-activity"],
            "pattern": pattern, "pattern_type": "stix", "valid_from": iso(i.t),
            "valid_until": iso(i.t + 90 * 86_400_000), "confidence": i.confidence,
            "labels": [i.threat],
            "created_by_ref": "identity--8f1c5e38-2a1b-4d5e-9c3f-1b2a3c4d5e6f"
        }));
    }
    if let Some(first) = items.iter().find(|i| i.stix) {
        objects.push(json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--0b7a6e2c-7d1f-4c55-9a3e-0000000000ff",
            "created": iso(first.t), "modified": iso(first.t),
            "name": "Loader sample", "description": "Loader DLL dropped by the staging domain",
            "indicator_types": ["malicious-activity"],
            "pattern": "[file:hashes.'SHA-256' = '4b2d3f9a1c0e8d7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b']",
            "pattern_type": "stix", "valid_from": iso(first.t), "confidence": 75,
            "labels": ["Malware"]
        }));
    }
    let bundle = json!({"type": "bundle", "id": "bundle--5d0f3c1e-9b2a-4f6d-8e7c-1a2b3c4d5e6f", "objects": objects});
    serde_json::to_string_pretty(&bundle).unwrap_or_default() + "\n"
}

/// The watchlist of static port-usage thresholds (ASIM Network Session essentials layout).
pub fn monitor_configuration() -> String {
    let rows = [
        "Name,Description,Type,ThresholdType,Threshold,Severity,Ports,App,Protocol,Direction,Action,Tactic",
        "Outbound SSH,Many outbound SSH sessions: tunnelling or data theft over SSH,Hunting,Static,25,Medium,22,*,TCP,Outbound,Allow,Exfiltration",
        "Outbound RDP,Outbound RDP sessions to the internet,Hunting,Static,10,High,\"3389,3390\",*,TCP,Outbound,*,LateralMovement",
        "Outbound Telnet,Any volume of outbound telnet,Hunting,Static,3,High,23,*,TCP,Outbound,*,CommandAndControl",
        "Outbound SMB,SMB leaving the network,Hunting,Static,5,High,\"139,445\",*,TCP,Outbound,*,Exfiltration",
        "Outbound HTTPS,Template rule kept for reference,Hunting,Static,1,Disabled,443,*,TCP,Outbound,*,CommandAndControl",
        "IRC,IRC traffic,Analytic,Static,1,Low,\"6660,6667,6697\",*,TCP,*,*,CommandAndControl",
    ];
    rows.join("\n") + "\n"
}

/// Hosts and processes allowed to scan (honoured by the internal network-scan hunt).
pub fn sanctioned_scanners() -> String {
    "Host,Process,Reason\nvulnscan01,nessusd,Weekly vulnerability scan (IT security)\nvulnscan01,nmap,Ad-hoc asset discovery (IT security)\n".into()
}

/// The popular-domains list as `rank,domain` lines.
pub fn popular_domains() -> String {
    let mut out = String::new();
    for (i, d) in POPULAR_DOMAINS.iter().enumerate() {
        let _ = writeln!(out, "{},{d}", i + 1);
    }
    out
}

/// A zip archive with one stored (uncompressed) file, timestamps fixed for reproducibility.
pub fn zip_one(name: &str, body: &[u8]) -> Vec<u8> {
    let crc = {
        let mut c = flate2::Crc::new();
        c.update(body);
        c.sum()
    };
    let size = (body.len() as u32).to_le_bytes();
    let name_len = (name.len() as u16).to_le_bytes();
    // 2025-01-01 00:00:00 in DOS time and date.
    let (dos_time, dos_date) = (
        0u16.to_le_bytes(),
        (((2025 - 1980) << 9) | (1 << 5) | 1u16).to_le_bytes(),
    );
    // Time, date, CRC, sizes and name length: shared by the local and central headers.
    let mut common = Vec::new();
    common.extend(dos_time);
    common.extend(dos_date);
    common.extend(crc.to_le_bytes());
    common.extend(size);
    common.extend(size);
    common.extend(name_len);
    let mut z = Vec::new();
    z.extend([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 0, 0]);
    z.extend(&common);
    z.extend([0, 0]);
    z.extend(name.as_bytes());
    z.extend(body);
    let central = z.len() as u32;
    z.extend([0x50, 0x4b, 0x01, 0x02, 20, 0, 20, 0, 0, 0, 0, 0]);
    z.extend(&common);
    z.extend([0u8; 12]);
    z.extend(0u32.to_le_bytes());
    z.extend(name.as_bytes());
    let central_len = z.len() as u32 - central;
    z.extend([0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0]);
    z.extend(central_len.to_le_bytes());
    z.extend(central.to_le_bytes());
    z.extend([0, 0]);
    z
}

//! Agent and portal exports: Defender's DeviceNetworkEvents as a portal CSV export, the DNS
//! server's DnsEvents as a portal JSON export, Azure VMConnection as NDJSON, and Sysmon
//! network events as Windows Event XML.

use std::fmt::Write;

use chrono::Timelike;
use serde_json::json;

use super::model::{at, is_internal};
use super::records::{Dns, Endpoint, Sysmon, VmConn};

/// The portal's timestamp format: `11/20/2025, 9:14:05.123 AM`.
fn portal_time(t: i64) -> String {
    let d = at(t);
    let (pm, hour) = d.hour12();
    format!(
        "{}, {}:{} {}",
        d.format("%-m/%-d/%Y"),
        hour,
        d.format("%M:%S%.3f"),
        if pm { "PM" } else { "AM" }
    )
}

/// A CSV field, quoted when it needs to be.
fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\t']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// DeviceNetworkEvents as the Defender portal exports it.
pub fn device_network_events(events: &[Endpoint]) -> String {
    let mut out = String::from(
        "\u{feff}TimeGenerated [UTC],Timestamp [UTC],DeviceId,DeviceName,ActionType,RemoteIP,RemotePort,RemoteUrl,LocalIP,LocalPort,Protocol,LocalIPType,RemoteIPType,InitiatingProcessFileName,InitiatingProcessCommandLine,InitiatingProcessId,ReportId,AdditionalFields\n",
    );
    for (i, e) in events.iter().enumerate() {
        let when = portal_time(e.t);
        let remote_type = if is_internal(&e.remote_ip) {
            "Private"
        } else {
            "Public"
        };
        let fields = [
            when.clone(),
            when,
            e.device_id.clone(),
            e.device.clone(),
            e.action.to_string(),
            e.remote_ip.clone(),
            e.remote_port.to_string(),
            e.remote_url.clone(),
            e.local_ip.clone(),
            e.local_port.to_string(),
            "Tcp".into(),
            "Private".into(),
            remote_type.into(),
            e.process.to_string(),
            e.command_line.clone(),
            (4000 + (i * 37) % 20_000).to_string(),
            (100_000 + i).to_string(),
            String::new(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// DnsEvents as a portal JSON export (an array of objects).
pub fn dns_events(queries: &[Dns]) -> String {
    let rows: Vec<serde_json::Value> = queries
        .iter()
        .map(|d| {
            json!({
                "TimeGenerated": at(d.t).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                "Computer": "dc01.corp.local",
                "EventId": 256,
                "SubType": "LookupQuery",
                "ClientIP": d.client_ip,
                "Name": d.name,
                "QueryType": d.qtype,
                "IPAddresses": d.answer,
                "ResultCode": if d.answer.is_empty() { 3 } else { 0 },
                "DeviceName": d.client_name,
            })
        })
        .collect();
    let mut out = String::from("[\n");
    for (i, r) in rows.iter().enumerate() {
        out.push_str(&r.to_string());
        out.push_str(if i + 1 < rows.len() { ",\n" } else { "\n" });
    }
    out.push_str("]\n");
    out
}

/// VMConnection as NDJSON.
pub fn vm_connection(conns: &[VmConn]) -> String {
    let mut out = String::new();
    for c in conns {
        let row = json!({
            "TimeGenerated": at(c.t).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "Computer": c.computer,
            "Direction": c.direction,
            "SourceIp": c.src,
            "DestinationIp": c.dst,
            "DestinationPort": c.dport,
            "Protocol": "tcp",
            "BytesSent": c.sent,
            "BytesReceived": c.recv,
            "LinksEstablished": 1,
            "LinksFailed": 0,
            "ProcessName": c.process,
        });
        let _ = writeln!(out, "{row}");
    }
    out
}

/// Escapes text for XML.
fn xml(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Sysmon event 3 as Windows Event XML (what `wevtutil qe ... /f:xml` writes).
pub fn sysmon_xml(events: &[Sysmon]) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\n<Events>\n");
    for e in events {
        let t = at(e.t);
        let data = [
            (
                "RuleName",
                "technique_id=T1071,technique_name=Application Layer Protocol".to_string(),
            ),
            ("UtcTime", t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()),
            (
                "ProcessGuid",
                format!(
                    "{{5770385f-{:04x}-{:04x}-0000-00100000a000}}",
                    e.pid,
                    e.record % 65_536
                ),
            ),
            ("ProcessId", e.pid.to_string()),
            ("Image", e.image.to_string()),
            ("User", "NT AUTHORITY\\SYSTEM".to_string()),
            ("Protocol", "tcp".to_string()),
            ("Initiated", "true".to_string()),
            ("SourceIsIpv6", "false".to_string()),
            ("SourceIp", e.src_ip.clone()),
            ("SourceHostname", format!("{}.corp.local", e.computer)),
            ("SourcePort", e.src_port.to_string()),
            ("SourcePortName", "-".to_string()),
            ("DestinationIsIpv6", "false".to_string()),
            ("DestinationIp", e.dst_ip.clone()),
            ("DestinationHostname", "-".to_string()),
            ("DestinationPort", e.dst_port.to_string()),
            (
                "DestinationPortName",
                if e.dst_port == 443 { "https" } else { "-" }.to_string(),
            ),
        ];
        let _ = write!(
            out,
            "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System><Provider Name=\"Microsoft-Windows-Sysmon\" Guid=\"{{5770385f-c22a-43e0-bf4c-06f5698ffbd9}}\"/><EventID>3</EventID><Version>5</Version><Level>4</Level><Task>3</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime=\"{}\"/><EventRecordID>{}</EventRecordID><Correlation/><Execution ProcessID=\"3188\" ThreadID=\"4012\"/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>{}</Computer><Security UserID=\"S-1-5-18\"/></System><EventData>",
            t.format("%Y-%m-%dT%H:%M:%S%.3f0000Z"),
            e.record,
            xml(&e.computer),
        );
        for (name, value) in data {
            let _ = write!(out, "<Data Name=\"{name}\">{}</Data>", xml(&value));
        }
        out.push_str("</EventData></Event>\n");
    }
    out.push_str("</Events>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portal_times_use_twelve_hour_clock() {
        let t = chrono::NaiveDate::from_ymd_opt(2025, 11, 9)
            .and_then(|d| d.and_hms_milli_opt(15, 46, 34, 34))
            .map(|d| d.and_utc().timestamp_millis())
            .unwrap_or_default();
        assert_eq!(portal_time(t), "11/9/2025, 3:46:34.034 PM");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
    }
}

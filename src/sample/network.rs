//! Network device logs in their native text formats: CEF over syslog from the perimeter
//! firewall, Zeek TSV logs from the internal sensor, and AWS VPC flow logs.

use std::fmt::Write;

use super::model::at;
use super::records::{Conn, Dns};

/// CEF over syslog, as a Cisco ASA forwards it to a Sentinel collector.
pub fn cef(conns: &[Conn]) -> String {
    let mut out = String::new();
    for c in conns {
        let time = at(c.t);
        let (sig, name, act, sev) = if c.allowed {
            ("302013", "Built outbound TCP connection", "Permit", 3)
        } else {
            ("106023", "Deny tcp by access-group", "Deny", 5)
        };
        let _ = write!(
            out,
            "<134>{} fw-edge01 CEF:0|Cisco|ASA|9.18|{sig}|{name}|{sev}|rt={} src={} spt={} dst={} dpt={} proto={} act={act} out={} in={}",
            time.format("%b %e %H:%M:%S"),
            c.t,
            c.src,
            c.sport,
            c.dst,
            c.dport,
            if c.udp { "UDP" } else { "TCP" },
            c.sent,
            c.recv,
        );
        if let Some(name) = &c.src_name {
            let _ = write!(out, " shost={name}");
        }
        if c.app != "-" {
            let _ = write!(out, " app={}", c.app);
        }
        if let Some(url) = &c.url {
            let _ = write!(out, " request={url}");
        }
        out.push('\n');
    }
    out
}

/// The header of a Zeek TSV log.
fn zeek_header(path: &str, fields: &str, types: &str, opened: &str) -> String {
    format!(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t{path}\n#open\t{opened}\n#fields\t{fields}\n#types\t{types}\n"
    )
}

fn zeek_ts(t: i64) -> String {
    format!("{}.{:06}", t.div_euclid(1000), t.rem_euclid(1000) * 1000)
}

/// A Zeek-style connection id.
fn uid(prefix: char, n: usize) -> String {
    let mut v = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5bd1_e995;
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut s = String::from(prefix);
    for _ in 0..17 {
        s.push(alphabet[(v % 62) as usize] as char);
        v /= 62;
        if v == 0 {
            v = (n as u64 + 7).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        }
    }
    s
}

/// Zeek conn.log.
pub fn zeek_conn(conns: &[Conn]) -> String {
    let opened = conns
        .first()
        .map(|c| at(c.t).format("%Y-%m-%d-%H-%M-%S").to_string())
        .unwrap_or_default();
    let mut out = zeek_header(
        "conn",
        "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents",
        "time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]",
        &opened,
    );
    for (i, c) in conns.iter().enumerate() {
        let service = if c.app == "-" { "-" } else { c.app };
        let (duration, ob, rb, state, history) = if c.allowed {
            let d = 0.05 + (c.sent + c.recv) as f64 / 40_000_000.0;
            (
                format!("{d:.6}"),
                c.sent.to_string(),
                c.recv.to_string(),
                "SF",
                "ShADadFf",
            )
        } else {
            (
                "-".to_string(),
                "-".to_string(),
                "-".to_string(),
                "REJ",
                "Sr",
            )
        };
        let opk = 2 + c.sent / 1400;
        let rpk = 1 + c.recv / 1400;
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{service}\t{duration}\t{ob}\t{rb}\t{state}\tT\tT\t0\t{history}\t{opk}\t{}\t{rpk}\t{}\t-",
            zeek_ts(c.t),
            uid('C', i),
            c.src,
            c.sport,
            c.dst,
            c.dport,
            if c.udp { "udp" } else { "tcp" },
            c.sent + opk * 40,
            c.recv + rpk * 40,
        );
    }
    out
}

/// Zeek dns.log.
pub fn zeek_dns(queries: &[Dns]) -> String {
    let opened = queries
        .first()
        .map(|d| at(d.t).format("%Y-%m-%d-%H-%M-%S").to_string())
        .unwrap_or_default();
    let mut out = zeek_header(
        "dns",
        "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected",
        "time\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool",
        &opened,
    );
    for (i, d) in queries.iter().enumerate() {
        let (rcode, rname, answers, ttls) = if d.answer.is_empty() {
            ("3", "NXDOMAIN", "-".to_string(), "-".to_string())
        } else {
            ("0", "NOERROR", d.answer.clone(), "300.000000".to_string())
        };
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t172.16.10.5\t53\tudp\t{}\t0.002\t{}\t1\tC_INTERNET\t1\t{}\t{rcode}\t{rname}\tF\tF\tT\tT\t0\t{answers}\t{ttls}\tF",
            zeek_ts(d.t),
            uid('D', i),
            d.client_ip,
            40_000 + (i % 20_000),
            (i * 7919) % 65_536,
            d.name,
            d.qtype,
        );
    }
    out
}

/// AWS VPC flow log records, version 2, with the header line.
pub fn vpc_flow(conns: &[Conn]) -> String {
    let mut out = String::from(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n",
    );
    for c in conns {
        let start = c.t.div_euclid(1000);
        let bytes = c.sent + c.recv;
        let _ = writeln!(
            out,
            "2 123456789012 eni-0a1b2c3d4e5f60718 {} {} {} {} {} {} {bytes} {start} {} {} OK",
            c.src,
            c.dst,
            c.sport,
            c.dport,
            if c.udp { 17 } else { 6 },
            1 + bytes / 1400,
            start + 60,
            if c.allowed { "ACCEPT" } else { "REJECT" },
        );
    }
    out
}

//! `quarry sample`: a deterministic data set of a small company's network over 30 days, in
//! the native formats analysts export, with one planted instance of every attack the seed
//! hunts look for, near misses they must not report, and `expected.json` as ground truth.

mod background;
mod exports;
mod intel;
mod model;
mod network;
mod plants;
mod records;
mod rng;

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::Duration;
use serde_json::json;

use model::{end_time, is_internal, ms};
use records::DataSet;

/// How to generate.
#[derive(Debug, Clone)]
pub struct SampleOptions {
    /// Random seed: the same seed writes the same bytes.
    pub seed: u64,
    /// Days of traffic before the end time.
    pub days: u32,
    /// Multiplies the background volume.
    pub scale: u32,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            seed: 20_251_120,
            days: 30,
            scale: 1,
        }
    }
}

/// What was written.
#[derive(Debug, Clone)]
pub struct SampleSummary {
    /// (relative path, bytes) of every file.
    pub files: Vec<(String, usize)>,
    /// The investigation clock the data set implies.
    pub clock: String,
}

impl fmt::Display for SampleSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (path, bytes) in &self.files {
            writeln!(f, "wrote {path:<48} {bytes:>10} bytes")?;
        }
        let total: usize = self.files.iter().map(|(_, b)| b).sum();
        write!(
            f,
            "{} files, {total} bytes; the data ends at {} (the investigation clock after `quarry load`)",
            self.files.len(),
            self.clock
        )
    }
}

/// Generates the data set into `out` (created if needed; files are overwritten).
pub fn generate(out: &Path, options: &SampleOptions) -> Result<SampleSummary> {
    let mut rng = rng::Rng::new(options.seed);
    let mut data = DataSet::default();
    background::generate(
        &mut rng,
        options.days.max(15),
        options.scale.max(1),
        &mut data,
    );
    let mut expected = plants::plant(&mut rng, &mut data);
    data.sort();
    expect_new_external_ips(&data, &mut expected);
    let popular = intel::popular_domains();
    let files: Vec<(&str, Vec<u8>)> = vec![
        (
            "firewall/fw-edge01.cef.log.gz",
            gzip(network::cef(&data.firewall).as_bytes())?,
        ),
        ("zeek/conn.log", network::zeek_conn(&data.zeek).into_bytes()),
        (
            "zeek/dns.log",
            network::zeek_dns(&data.zeek_dns).into_bytes(),
        ),
        (
            "defender/DeviceNetworkEvents.csv",
            exports::device_network_events(&data.endpoint).into_bytes(),
        ),
        (
            "dns/DnsEvents.json",
            exports::dns_events(&data.dns).into_bytes(),
        ),
        (
            "sysmon/servers-sysmon.xml.gz",
            gzip(exports::sysmon_xml(&data.sysmon).as_bytes())?,
        ),
        ("aws/vpcflow.log", network::vpc_flow(&data.vpc).into_bytes()),
        (
            "azure/VMConnection.ndjson",
            exports::vm_connection(&data.vm).into_bytes(),
        ),
        (
            "ti/indicators.csv",
            intel::indicators_csv(&data.indicators).into_bytes(),
        ),
        (
            "ti/indicators.stix.json",
            intel::indicators_stix(&data.indicators).into_bytes(),
        ),
        (
            "watchlists/NetworkSession_Monitor_Configuration.csv",
            intel::monitor_configuration().into_bytes(),
        ),
        (
            "watchlists/SanctionedScanners.csv",
            intel::sanctioned_scanners().into_bytes(),
        ),
        (
            "externaldata/top-1m.csv.zip",
            intel::zip_one("top-1m.csv", popular.as_bytes()),
        ),
        (
            "expected.json",
            (serde_json::to_string_pretty(&expected.to_json())? + "\n").into_bytes(),
        ),
    ];
    let mut summary = SampleSummary {
        files: Vec::new(),
        clock: end_time().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    };
    for (rel, bytes) in files {
        let path = out.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(&path, &bytes)
            .with_context(|| format!("cannot write {}", path.display()))?;
        summary.files.push((rel.to_string(), bytes.len()));
    }
    Ok(summary)
}

/// Gzip with a fixed header (no name, time zero), so the bytes depend only on the input.
fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut enc = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes)?;
    Ok(enc.finish()?)
}

/// Hunt 07 reports every internet address first contacted in the last day: list the ones
/// the plants introduced (the background only uses addresses seen every day).
fn expect_new_external_ips(data: &DataSet, expected: &mut plants::Expected) {
    let end = ms(end_time());
    let day_ago = end - Duration::days(1).num_milliseconds();
    let baseline_from = end - Duration::days(14).num_milliseconds();
    let mut rows: Vec<(i64, &str, &str)> = Vec::new();
    rows.extend(
        data.firewall
            .iter()
            .map(|c| (c.t, c.src.as_str(), c.dst.as_str())),
    );
    rows.extend(
        data.endpoint
            .iter()
            .map(|e| (e.t, e.local_ip.as_str(), e.remote_ip.as_str())),
    );
    rows.extend(
        data.vm
            .iter()
            .map(|v| (v.t, v.src.as_str(), v.dst.as_str())),
    );
    // The seed's baseline takes the source when it is external, else the destination.
    let baseline: HashSet<&str> = rows
        .iter()
        .filter(|(t, _, _)| *t >= baseline_from && *t <= day_ago)
        .filter_map(|(_, a, b)| {
            if !is_internal(a) {
                Some(*a)
            } else if !is_internal(b) {
                Some(*b)
            } else {
                None
            }
        })
        .collect();
    // Recent rows count when exactly one side is internal.
    let fresh: BTreeSet<&str> = rows
        .iter()
        .filter(|(t, a, b)| *t > day_ago && is_internal(a) != is_internal(b))
        .map(|(_, a, b)| if is_internal(a) { *b } else { *a })
        .filter(|ip| !baseline.contains(ip))
        .collect();
    let entities = fresh
        .into_iter()
        .map(|ip| json!({"External_IP": ip, "why": "first contact in the last day"}))
        .collect();
    expected.set_new_external(entities);
}

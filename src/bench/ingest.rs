//! Ingest throughput per format against the engine's floor: the same file read by DuckDB's own
//! `read_csv` / `read_json` / `read_parquet` into a plain table, with no mapping.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use duckdb::Connection;

use super::stats::{self, Samples};
use super::table::{ms, ratio, Table};
use crate::engine::Case;
use crate::ingest::{load_paths, LoadOptions};
use crate::kql::functions::quote_str;

/// A file of the generated sample and DuckDB's nearest reader for it.
struct Input {
    format: &'static str,
    file: &'static str,
    /// The floor's `SELECT`, with `{}` for the quoted path; `None` when DuckDB has no reader.
    floor: Option<&'static str>,
}

const INPUTS: &[Input] = &[
    Input {
        format: "Zeek TSV",
        file: "zeek/conn.log",
        floor: Some("SELECT * FROM read_csv({}, delim = '\t', comment = '#', header = false)"),
    },
    Input {
        format: "CEF (syslog, gzip)",
        file: "firewall/fw-edge01.cef.log.gz",
        floor: Some(
            "SELECT * FROM read_csv({}, columns = {'line': 'VARCHAR'}, delim = '\u{1}', quote = '', escape = '', header = false, auto_detect = false)",
        ),
    },
    Input {
        format: "CSV (Defender export)",
        file: "defender/DeviceNetworkEvents.csv",
        floor: Some("SELECT * FROM read_csv({})"),
    },
    Input {
        format: "NDJSON (VMConnection)",
        file: "azure/VMConnection.ndjson",
        floor: Some("SELECT * FROM read_json({}, format = 'newline_delimited')"),
    },
    Input {
        format: "JSON array (DnsEvents)",
        file: "dns/DnsEvents.json",
        floor: Some("SELECT * FROM read_json({}, format = 'array')"),
    },
    Input {
        format: "Parquet (DeviceNetworkEvents)",
        file: "parquet/DeviceNetworkEvents.parquet",
        floor: Some("SELECT * FROM read_parquet({})"),
    },
    Input {
        format: "AWS VPC flow",
        file: "aws/vpcflow.log",
        floor: Some("SELECT * FROM read_csv({}, delim = ' ', header = true)"),
    },
    Input {
        format: "Sysmon XML (gzip)",
        file: "sysmon/servers-sysmon.xml.gz",
        floor: None,
    },
];

/// Writes the Parquet input: the Defender CSV as loaded by quarry, exported with DuckDB.
fn write_parquet(logs: &Path, scratch: &Path) -> Result<()> {
    let dir = logs.join("parquet");
    std::fs::create_dir_all(&dir)?;
    let case = Case::open(&scratch.join("parquet-source.duckdb"))?;
    load_paths(
        &case,
        &[logs.join("defender/DeviceNetworkEvents.csv")],
        &LoadOptions::default(),
    )?;
    let cols = quarry_columns(case.conn(), "DeviceNetworkEvents")?;
    case.conn().execute_batch(&format!(
        "COPY (SELECT {} FROM DeviceNetworkEvents) TO {} (FORMAT parquet)",
        cols.join(", "),
        quote_str(
            &dir.join("DeviceNetworkEvents.parquet")
                .display()
                .to_string()
        )
    ))?;
    Ok(())
}

/// The table's columns that are not quarry's bookkeeping (`__...`).
fn quarry_columns(conn: &Connection, table: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ? AND NOT starts_with(column_name, '__') ORDER BY ordinal_position",
    )?;
    let names = stmt
        .query_map([table], |r| r.get::<_, String>(0))?
        .collect::<duckdb::Result<Vec<_>>>()?;
    Ok(names
        .iter()
        .map(|n| crate::kql::functions::quote_ident(n))
        .collect())
}

/// Measures every input: quarry's load into a new case against DuckDB's reader into a new
/// database file, `runs` times each.
pub fn per_format(logs: &Path, work: &Path, runs: usize) -> Result<Table> {
    let scratch = work.join("ingest");
    std::fs::create_dir_all(&scratch)?;
    write_parquet(logs, &scratch)?;
    let mut table = Table::new(
        "Ingest per format: quarry load vs DuckDB's own reader (ms: median (min–max))",
        &[
            "format",
            "rows",
            "MB",
            "quarry ms",
            "rows/s",
            "MB/s",
            "DuckDB ms",
            "ratio",
            "peak RSS",
        ],
    );
    for (n, input) in INPUTS.iter().enumerate() {
        let path = logs.join(input.file);
        let bytes = std::fs::metadata(&path)
            .with_context(|| format!("{} is missing", path.display()))?
            .len() as f64;
        stats::reset_peak_memory();
        // Only the load is timed: opening a new case or database file is not ingest.
        let mut quarry = Samples::default();
        let mut rows = 0;
        for run in 0..runs.max(1) {
            let db = scratch.join(format!("q{n}-{run}.duckdb"));
            let case = Case::open(&db)?;
            let started = Instant::now();
            let report = load_paths(&case, std::slice::from_ref(&path), &LoadOptions::default())?;
            quarry.0.push(started.elapsed().as_secs_f64());
            rows = report.files.iter().map(|f| f.rows_loaded).sum();
            drop(case);
            let _ = std::fs::remove_file(&db);
        }
        let peak = stats::peak_memory_mb();
        let floor = match input.floor {
            Some(select) => {
                let select = select.replace("{}", &quote_str(&path.display().to_string()));
                let mut floor = Samples::default();
                for run in 0..runs.max(1) {
                    let db = scratch.join(format!("f{n}-{run}.duckdb"));
                    let conn = Connection::open(&db)?;
                    let started = Instant::now();
                    conn.execute_batch(&format!("CREATE TABLE t AS {select}"))?;
                    floor.0.push(started.elapsed().as_secs_f64());
                    drop(conn);
                    let _ = std::fs::remove_file(&db);
                }
                Some(floor)
            }
            None => None,
        };
        let secs = quarry.median().max(1e-9);
        table.push(vec![
            input.format.into(),
            rows.to_string(),
            format!("{:.1}", bytes / 1e6),
            ms(&quarry),
            format!("{:.0}", rows as f64 / secs),
            format!("{:.1}", bytes / 1e6 / secs),
            floor.as_ref().map_or("-".into(), ms),
            floor.as_ref().map_or("-".into(), |f| ratio(&quarry, f)),
            super::mb(peak),
        ]);
    }
    Ok(table)
}

//! quarry against lnav, the tool analysts use today for SQL over logs: both read the same Zeek
//! conn log and answer the port-probing question (hunt 01's logic) in their own SQL engine.
//! Both run as separate processes, timed end to end, with their peak memory sampled.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

use super::stats::{self, Samples};
use super::table::{ms, ratio, Table};

/// Hunt 01 (outbound port probing) by its file name.
const HUNT: &str = "01-outbound-port-probing";

/// The same logic in lnav's SQLite over its `bro_conn_log` table: refused connections to
/// uncommon ports of one internet host, counted per source and two-minute window.
const LNAV_QUERY: &str = ";SELECT count(*) AS probes FROM (
  SELECT bro_id_orig_h, CAST(CAST(bro_ts AS REAL) / 120 AS INTEGER) AS w, count(DISTINCT bro_id_resp_p) AS ports
  FROM bro_conn_log
  WHERE bro_conn_state IN ('REJ', 'S0', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH')
    AND NOT (bro_id_resp_h REGEXP '^(10\\.|192\\.168\\.|172\\.(1[6-9]|2[0-9]|3[01])\\.)')
    AND bro_id_resp_p NOT BETWEEN 49152 AND 65535
    AND bro_id_resp_p NOT IN (443, 53, 389, 80, 0, 880, 8888, 8080)
  GROUP BY 1, 2 HAVING ports > 5)";

/// xorshift, so the file is the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Writes a Zeek conn log of `n` lines: random office traffic plus one source probing 30
/// ports of an internet host within a minute, in the middle of the file.
pub fn write_conn_log(path: &Path, n: usize) -> Result<()> {
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    w.write_all(
        b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n\
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n\
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n",
    )?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let states = ["SF", "S0", "REJ", "RSTO", "SF", "SF"];
    let start = 1_762_000_000.0;
    for i in 0..n {
        let ts = start + i as f64 * 0.0025;
        if i == n / 2 {
            for p in 0..30u64 {
                writeln!(
                    w,
                    "{:.6}\tCprobe{p}\t10.9.9.9\t{}\t203.0.113.77\t{}\ttcp\t-\t0.000100\t0\t0\tREJ\tT\tF\t0\tSr\t1\t44\t1\t40\t(empty)",
                    ts + p as f64 * 0.5,
                    40_000 + p,
                    1000 + p * 37
                )?;
            }
        }
        writeln!(
            w,
            "{ts:.6}\tC{i:x}\t10.{}.{}.{}\t{}\t{}.{}.{}.{}\t{}\ttcp\t-\t{}.{:06}\t{}\t{}\t{}\tT\tF\t0\tShADadFf\t{}\t{}\t{}\t{}\t(empty)",
            rng.below(4), rng.below(256), rng.below(256), 1024 + rng.below(60000),
            rng.below(223) + 1, rng.below(256), rng.below(256), rng.below(256),
            [443, 80, 53, 22, 8080][rng.below(5) as usize],
            rng.below(100), rng.below(1_000_000), rng.below(100_000), rng.below(10_000_000),
            states[rng.below(6) as usize], rng.below(100), rng.below(100_000), rng.below(100), rng.below(1_000_000),
        )?;
    }
    writeln!(w, "#close\t2025-11-09-00-00-00")?;
    w.flush()?;
    Ok(())
}

/// A finished process: its output and peak resident memory.
struct Finished {
    stdout: String,
    peak_mb: f64,
}

/// Runs `cmd` to the end, sampling its peak resident memory (`VmHWM`) every 5 ms; fails
/// when it exits unsuccessfully.
fn run_measured(cmd: &mut Command) -> Result<Finished> {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {cmd:?}"))?;
    let pid = child.id();
    let done = Arc::new(AtomicBool::new(false));
    let stop = done.clone();
    let sampler = std::thread::spawn(move || {
        let mut peak: f64 = 0.0;
        while !stop.load(Ordering::SeqCst) {
            if let Some(mb) = stats::process_peak_mb(pid) {
                peak = peak.max(mb);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        peak
    });
    let output = child.wait_with_output();
    done.store(true, Ordering::SeqCst);
    let peak_mb = sampler.join().unwrap_or(0.0);
    let output = output?;
    if !output.status.success() {
        anyhow::bail!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(Finished {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        peak_mb,
    })
}

fn lnav_available() -> bool {
    Command::new("lnav")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The last number lnav printed (the count of probing windows).
fn last_number(text: &str) -> Option<u64> {
    text.split_whitespace().rev().find_map(|w| w.parse().ok())
}

/// Times lnav and quarry on a generated Zeek conn log of `lines` lines.
pub fn compare(work: &Path, lines: usize, runs: usize) -> Result<Table> {
    let mut table = Table::new(
        &format!("lnav vs quarry on a {lines}-line Zeek conn log: the port-probing question (ms: median (min–max))"),
        &["work", "lnav ms", "quarry ms", "lnav / quarry", "lnav peak", "quarry peak", "answer (lnav / quarry)"],
    );
    if !lnav_available() {
        table.push(vec![
            "lnav is not installed (apt-get install lnav); comparison skipped".into(),
        ]);
        return Ok(table);
    }
    let dir = work.join("lnav");
    std::fs::create_dir_all(&dir)?;
    let log = dir.join("conn.log");
    write_conn_log(&log, lines)?;
    let quarry = std::env::current_exe()?;
    let home = dir.join("home");
    std::fs::create_dir_all(&home)?;
    let mut lnav_peak: f64 = 0.0;
    let mut lnav_answer = None;
    let (lnav, _) = Samples::time(runs, || -> Result<()> {
        let f = run_measured(
            Command::new("lnav")
                .env("HOME", &home)
                .args(["-n", "-c", LNAV_QUERY])
                .arg(&log),
        )?;
        lnav_peak = lnav_peak.max(f.peak_mb);
        lnav_answer = last_number(&f.stdout);
        Ok(())
    })?;
    let mut quarry_peak: f64 = 0.0;
    let mut quarry_answer = None;
    let mut run = 0;
    let mut db = dir.join("case-0.duckdb");
    let (end_to_end, _) = Samples::time(runs, || -> Result<()> {
        run += 1;
        db = dir.join(format!("case-{run}.duckdb"));
        let _ = std::fs::remove_file(&db);
        let load = run_measured(
            Command::new(&quarry)
                .arg("--db")
                .arg(&db)
                .arg("load")
                .arg(&log),
        )?;
        let hunt = run_measured(&mut hunt_run(&quarry, &db))?;
        quarry_peak = quarry_peak.max(load.peak_mb).max(hunt.peak_mb);
        quarry_answer = hits(&hunt.stdout);
        Ok(())
    })?;
    let mut repeat_peak: f64 = 0.0;
    let (repeat, _) = Samples::time(runs.max(3), || -> Result<()> {
        let hunt = run_measured(&mut hunt_run(&quarry, &db))?;
        repeat_peak = repeat_peak.max(hunt.peak_mb);
        Ok(())
    })?;
    let answers = format!(
        "{} / {}",
        lnav_answer.map_or("?".into(), |n| n.to_string()),
        quarry_answer.map_or("?".into(), |n| n.to_string())
    );
    table.push(vec![
        "open the log and answer (quarry: load + hunt run)".into(),
        ms(&lnav),
        ms(&end_to_end),
        ratio(&lnav, &end_to_end),
        format!("{lnav_peak:.0} MB"),
        format!("{quarry_peak:.0} MB"),
        answers.clone(),
    ]);
    table.push(vec![
        "ask again (lnav reopens the log; quarry re-runs the hunt on its case)".into(),
        ms(&lnav),
        ms(&repeat),
        ratio(&lnav, &repeat),
        format!("{lnav_peak:.0} MB"),
        format!("{repeat_peak:.0} MB"),
        answers,
    ]);
    Ok(table)
}

/// `quarry --db DB hunt run <port probing> --json`.
fn hunt_run(quarry: &Path, db: &Path) -> Command {
    let mut cmd = Command::new(quarry);
    cmd.arg("--db")
        .arg(db)
        .args(["hunt", "run", HUNT, "--json"]);
    cmd
}

/// The hit count in `quarry hunt run --json` output.
fn hits(json: &str) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_str(json.trim()).ok()?;
    let one = v.as_array().and_then(|a| a.first()).unwrap_or(&v);
    one.get("hit_count").and_then(|n| n.as_u64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_answers_from_both_tools() {
        assert_eq!(last_number(" probes \n      1 \n"), Some(1));
        assert_eq!(last_number("nothing"), None);
        assert_eq!(hits(r#"[{"id": "x", "hit_count": 3}]"#), Some(3));
        assert_eq!(hits(r#"{"hit_count": 2}"#), Some(2));
    }

    #[test]
    fn the_conn_log_has_its_lines_and_the_probe() {
        let dir = std::env::temp_dir().join(format!("quarry-lnav-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("conn.log");
        write_conn_log(&log, 100).unwrap();
        let text = std::fs::read_to_string(&log).unwrap();
        let data = text.lines().filter(|l| !l.starts_with('#')).count();
        assert_eq!(data, 130);
        assert_eq!(text.matches("203.0.113.77").count(), 30);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

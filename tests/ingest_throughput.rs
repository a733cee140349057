//! Ingest throughput on generated ~1M-line Zeek conn TSV and CEF files (ignored by default).
//! Run: cargo test --release --test ingest_throughput -- --ignored --nocapture
//! QUARRY_BENCH_LINES overrides the line count.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use quarry::engine::Case;
use quarry::ingest::{load_paths, FileStatus, LoadOptions};

fn lines() -> usize {
    std::env::var("QUARRY_BENCH_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// A small deterministic generator (xorshift) so the files are the same every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn write_zeek(path: &Path, n: usize) {
    let mut w = BufWriter::new(std::fs::File::create(path).expect("create"));
    let header = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n\
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n\
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n";
    w.write_all(header.as_bytes()).expect("write");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let states = ["SF", "S0", "REJ", "RSTO", "SF", "SF"];
    for i in 0..n {
        let ts = 1_762_000_000.0 + i as f64 * 0.0025;
        writeln!(
            w,
            "{ts:.6}\tC{i:x}\t10.{}.{}.{}\t{}\t{}.{}.{}.{}\t{}\ttcp\t-\t{}.{:06}\t{}\t{}\t{}\tT\tF\t0\tShADadFf\t{}\t{}\t{}\t{}\t(empty)",
            rng.below(4), rng.below(256), rng.below(256), 1024 + rng.below(60000),
            rng.below(223) + 1, rng.below(256), rng.below(256), rng.below(256),
            [443, 80, 53, 22, 8080][rng.below(5) as usize],
            rng.below(100), rng.below(1_000_000), rng.below(100_000), rng.below(10_000_000),
            states[rng.below(6) as usize], rng.below(100), rng.below(100_000), rng.below(100), rng.below(1_000_000),
        )
        .expect("write");
    }
    writeln!(w, "#close\t2025-11-09-00-00-00").expect("write");
}

fn write_zeek_json(path: &Path, n: usize) {
    let mut w = BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    let states = ["SF", "S0", "REJ", "RSTO", "SF", "SF"];
    for i in 0..n {
        let ts = 1_762_000_000.0 + i as f64 * 0.0025;
        writeln!(
            w,
            "{{\"ts\":{ts:.6},\"uid\":\"C{i:x}\",\"id.orig_h\":\"10.{}.{}.{}\",\"id.orig_p\":{},\"id.resp_h\":\"{}.{}.{}.{}\",\"id.resp_p\":{},\"proto\":\"tcp\",\"duration\":{}.{:06},\"orig_bytes\":{},\"resp_bytes\":{},\"conn_state\":\"{}\",\"local_orig\":true,\"missed_bytes\":0,\"history\":\"ShADadFf\",\"orig_pkts\":{},\"resp_pkts\":{}}}",
            rng.below(4), rng.below(256), rng.below(256), 1024 + rng.below(60000),
            rng.below(223) + 1, rng.below(256), rng.below(256), rng.below(256),
            [443, 80, 53, 22, 8080][rng.below(5) as usize],
            rng.below(100), rng.below(1_000_000), rng.below(100_000), rng.below(10_000_000),
            states[rng.below(6) as usize], rng.below(100), rng.below(100),
        )
        .expect("write");
    }
}

fn write_cef(path: &Path, n: usize) {
    let mut w = BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let acts = ["allow", "deny", "drop", "allow", "allow"];
    for i in 0..n {
        let rt = 1_762_000_000_000u64 + i as u64 * 3;
        writeln!(
            w,
            "<134>Nov  9 15:46:34 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.1.0|end|TRAFFIC|3|rt={rt} src=10.{}.{}.{} dst={}.{}.{}.{} spt={} dpt={} proto=TCP act={} out={} in={} shost=ws{} app=ssl cs1Label=Rule cs1=rule-{} request=https://site{}.example.com/p?q\\=1 vendorField=x{}",
            rng.below(4), rng.below(256), rng.below(256),
            rng.below(223) + 1, rng.below(256), rng.below(256), rng.below(256),
            1024 + rng.below(60000), [443, 80, 53, 22, 8080][rng.below(5) as usize],
            acts[rng.below(5) as usize], rng.below(10_000_000), rng.below(1_000_000),
            rng.below(500), rng.below(40), rng.below(1000), rng.below(10),
        )
        .expect("write");
    }
}

fn measure(file: &Path, table: &str, n: usize, on_disk: Option<&Path>) {
    let case = match on_disk {
        Some(db) => Case::open(db).expect("case"),
        None => Case::open_in_memory().expect("case"),
    };
    let size = std::fs::metadata(file).expect("size").len() as f64;
    let start = Instant::now();
    let report = load_paths(&case, &[file.to_path_buf()], &LoadOptions::default()).expect("load");
    let secs = start.elapsed().as_secs_f64();
    let o = &report.files[0];
    assert_eq!(o.status, FileStatus::Loaded, "{o:?}");
    assert_eq!(o.table, table);
    assert_eq!(o.rows_loaded as usize, n);
    println!(
        "{} → {table} ({}): {n} rows, {:.1} MB in {secs:.2} s = {:.0} rows/s, {:.1} MB/s",
        o.format,
        if on_disk.is_some() {
            "case on disk"
        } else {
            "case in memory"
        },
        size / 1e6,
        n as f64 / secs,
        size / 1e6 / secs
    );
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn throughput_zeek_tsv_and_cef() {
    let n = lines();
    let dir = tempfile::tempdir().expect("tempdir");
    let zeek = dir.path().join("conn.log");
    write_zeek(&zeek, n);
    let cef = dir.path().join("fw.cef.log");
    write_cef(&cef, n);
    let json = dir.path().join("conn.json");
    write_zeek_json(&json, n);
    measure(&json, "ZeekConn", n, None);
    for (i, db) in [None, Some(dir.path().join("bench.duckdb"))]
        .iter()
        .enumerate()
    {
        let zeek_db = db
            .as_ref()
            .map(|d| d.with_extension(format!("zeek{i}.duckdb")));
        let cef_db = db
            .as_ref()
            .map(|d| d.with_extension(format!("cef{i}.duckdb")));
        measure(&zeek, "ZeekConn", n, zeek_db.as_deref());
        measure(&cef, "CommonSecurityLog", n, cef_db.as_deref());
    }
}

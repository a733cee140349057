//! KQL compile time: every seed query (from ../shared/kql-corpus when present) and a
//! typical hunt, compiled against a case loaded from the ingest fixtures.
//! Prints microseconds per compile; asserts nothing about time.
//! Run: `cargo bench --bench kql_compile`.

use std::path::Path;
use std::time::Instant;

use quarry::engine::Case;
use quarry::ingest::{load_paths, LoadOptions};
use quarry::kql::compile;

const TYPICAL: &str = "let threshold = 5;
let ports = dynamic([443, 53, 80, 8080]);
NetworkSessions
| where TimeGenerated > ago(1d) and isnotempty(DstPortNumber) and not(ipv4_is_private(DstIpAddr))
| where DstPortNumber !in (ports) and EventResult == 'Failure'
| summarize PortCount = dcount(DstPortNumber), make_set(DstPortNumber, 20) by SrcIpAddr, bin(TimeGenerated, 2m)
| where PortCount > threshold
| order by PortCount desc";

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let case = Case::open(&dir.path().join("bench.duckdb")).expect("case");
    let options = LoadOptions {
        table: None,
        progress: false,
        observer: None,
    };
    load_paths(
        &case,
        &[root.join("tests/fixtures/ingest/sample")],
        &options,
    )
    .expect("load");
    let catalog = case.catalog().expect("catalog");
    let mut queries = vec![("typical hunt".to_string(), TYPICAL.to_string())];
    match std::fs::read_dir(root.join("../shared/kql-corpus")) {
        Ok(entries) => {
            let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            files.sort();
            for f in files {
                let name = f
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                queries.push((name, std::fs::read_to_string(&f).expect("read")));
            }
        }
        Err(_) => println!("notice: ../shared/kql-corpus not found; timing the built-in hunt only"),
    }
    let runs = 200;
    println!("{:<42} {:>12}", "query", "µs/compile");
    for (name, text) in &queries {
        let started = Instant::now();
        let mut ok = true;
        for _ in 0..runs {
            ok = compile(text, &catalog).is_ok();
        }
        let per = started.elapsed().as_secs_f64() * 1e6 / f64::from(runs);
        let status = if ok {
            ""
        } else {
            "  (does not compile on the fixtures)"
        };
        println!("{name:<42} {per:>12.1}{status}");
    }
}

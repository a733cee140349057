//! IP functions on 10M rows: the Rust scalar functions against equivalent SQL macros.
//! Prints seconds and ratios; asserts nothing about time.
//! Run: `cargo bench --bench ipfunc` (QUARRY_BENCH_ROWS overrides the row count).

use std::time::Instant;

use quarry::engine::Case;

const MACROS: &str = "
CREATE MACRO sql_parse_ipv4(ip) AS (
    CASE WHEN regexp_full_match(ip, '(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})')
         THEN list_reduce(list_transform(string_split(ip, '.'), lambda x: x::BIGINT), lambda a, b: a * 256 + b)
    END);
CREATE MACRO sql_is_private(ip) AS
    regexp_matches(ip, '^(10\\.|172\\.(1[6-9]|2[0-9]|3[01])\\.|192\\.168\\.)');
CREATE MACRO sql_match_any(ip, nets) AS
    len(list_filter(nets, lambda n:
        sql_parse_ipv4(ip) // (1::BIGINT << (32 - split_part(n, '/', 2)::INT))
        = sql_parse_ipv4(split_part(n, '/', 1)) // (1::BIGINT << (32 - split_part(n, '/', 2)::INT)))) > 0;
";

fn time(case: &Case, label: &str, sql: &str) -> f64 {
    let mut best = f64::MAX;
    let mut answer = 0i64;
    for _ in 0..3 {
        let started = Instant::now();
        answer = case.conn().query_row(sql, [], |r| r.get(0)).expect(label);
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!("{label:<40} {best:>8.3} s   (count {answer})");
    best
}

fn main() {
    let rows: u64 = std::env::var("QUARRY_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let case = Case::open_in_memory().expect("case");
    case.conn().execute_batch(MACROS).expect("macros");
    case.conn()
        .execute_batch(&format!(
            "CREATE TABLE ips AS SELECT (hash(i) % 256)::VARCHAR || '.' || (hash(i + 1) % 256)::VARCHAR || '.'
                 || (hash(i + 2) % 256)::VARCHAR || '.' || (hash(i + 3) % 256)::VARCHAR AS ip
             FROM range({rows}) t(i)"
        ))
        .expect("data");
    println!("{rows} random IPv4 strings; best of 3 runs\n");
    let nets =
        "['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16']";
    let pairs = [
        (
            "ipv4_is_private",
            "SELECT count(*) FILTER (WHERE ipv4_is_private(ip)) FROM ips",
            "SELECT count(*) FILTER (WHERE sql_is_private(ip)) FROM ips",
        ),
        (
            "parse_ipv4",
            "SELECT sum(parse_ipv4(ip)) FROM ips",
            "SELECT sum(sql_parse_ipv4(ip)) FROM ips",
        ),
        (
            "ipv4_is_match_any (5 CIDRs)",
            &*format!("SELECT count(*) FILTER (WHERE ipv4_is_match_any(ip, {nets})) FROM ips"),
            &*format!("SELECT count(*) FILTER (WHERE sql_match_any(ip, {nets})) FROM ips"),
        ),
    ];
    for (name, rust, macro_sql) in pairs {
        let r = time(&case, &format!("{name}: Rust"), rust);
        let m = time(&case, &format!("{name}: SQL macro"), macro_sql);
        println!("{name:<40} macro / Rust = {:.1}x\n", m / r);
    }
}

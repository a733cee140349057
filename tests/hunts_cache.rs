//! The threshold fast path: a re-run after an edit that only touches the stages after the
//! last `summarize` reads the kept aggregate and reports exactly what a full run reports;
//! an edit before the `summarize` and a data change recompute it.

mod sample_common;

use quarry::hunts::cache::{split, AggregateCache, Reuse};
use quarry::hunts::library::Library;
use quarry::hunts::run::{ensure_watchlists, run_hunt, run_hunt_cached};
use quarry::hunts::Hunt;
use quarry::kql::compile;
use sample_common::loaded_case;

fn hunt(prefix: &str) -> Hunt {
    Library::load(&[])
        .hunts
        .into_iter()
        .find(|h| h.origin.starts_with(&format!("built-in/{prefix}")))
        .expect("shipped hunt")
}

fn set(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn threshold_edits_reuse_the_aggregate_and_match_a_full_run() {
    let dir = tempfile::tempdir().unwrap();
    let case = loaded_case(dir.path());
    let catalog = case.catalog().unwrap();
    let probe = hunt("01-");
    let mut cache = AggregateCache::new();
    let first = run_hunt_cached(case.conn(), &catalog, &probe, &[], Some(&mut cache));
    assert_eq!(first.reuse, Reuse::Stored, "{:?}", first.error);
    assert_eq!(cache.len(), 1);
    for threshold in ["1", "3", "5", "9", "40"] {
        let over = set(&[("threshold", threshold)]);
        let fast = run_hunt_cached(case.conn(), &catalog, &probe, &over, Some(&mut cache));
        let full = run_hunt(case.conn(), &catalog, &probe, &over);
        assert_eq!(fast.reuse, Reuse::Hit, "threshold {threshold}");
        assert_eq!(fast.error, None);
        assert!(same_rows(&fast.hits, &full.hits), "threshold {threshold}");
    }
    // Different thresholds really change the answer, so the equality above means something.
    let low = run_hunt(case.conn(), &catalog, &probe, &set(&[("threshold", "1")]));
    let high = run_hunt(case.conn(), &catalog, &probe, &set(&[("threshold", "40")]));
    assert!(
        low.hit_count > high.hit_count,
        "{} vs {}",
        low.hit_count,
        high.hit_count
    );
    // The window is used before the summarize: a new aggregate.
    let wide = set(&[("window", "10m")]);
    let r = run_hunt_cached(case.conn(), &catalog, &probe, &wide, Some(&mut cache));
    assert_eq!(r.reuse, Reuse::Stored);
    assert!(same_rows(
        &r.hits,
        &run_hunt(case.conn(), &catalog, &probe, &wide).hits
    ));
    assert_eq!(cache.len(), 2);
    cache.clear(case.conn());
    assert!(cache.is_empty());
    let again = run_hunt_cached(case.conn(), &catalog, &probe, &[], Some(&mut cache));
    assert_eq!(again.reuse, Reuse::Stored);
    assert!(same_rows(&again.hits, &first.hits));
}

#[test]
fn a_cleared_cache_sees_new_data() {
    let dir = tempfile::tempdir().unwrap();
    let case = loaded_case(dir.path());
    let probe = hunt("01-");
    ensure_watchlists(&case, std::slice::from_ref(&probe)).unwrap();
    let catalog = case.catalog().unwrap();
    let mut cache = AggregateCache::new();
    let before = run_hunt_cached(case.conn(), &catalog, &probe, &[], Some(&mut cache));
    // Twenty more refused probes of one internet host, to ports 1..20, inside one window.
    case.conn()
        .execute_batch(
            "INSERT INTO loaded.ZeekConn (TimeGenerated, ts, \"id.orig_h\", \"id.orig_p\", \"id.resp_h\", \"id.resp_p\", proto, conn_state)
             SELECT TIMESTAMP '2025-11-19 03:00:00' + INTERVAL (range) SECOND, TIMESTAMP '2025-11-19 03:00:00',
                    '10.99.99.99', 50000, '198.51.100.250', range + 1, 'tcp', 'REJ' FROM range(20)",
        )
        .unwrap();
    let stale = run_hunt_cached(case.conn(), &catalog, &probe, &[], Some(&mut cache));
    assert_eq!(stale.reuse, Reuse::Hit);
    assert!(
        same_rows(&stale.hits, &before.hits),
        "a kept aggregate is what it was"
    );
    cache.clear(case.conn());
    let fresh = run_hunt_cached(case.conn(), &catalog, &probe, &[], Some(&mut cache));
    assert_eq!(fresh.reuse, Reuse::Stored);
    assert_eq!(fresh.hit_count, before.hit_count + 1);
    assert!(fresh.hits.iter().any(|h| h["SrcIpAddr"] == "10.99.99.99"));
}

#[test]
fn only_hunts_with_stages_after_the_summarize_split() {
    let dir = tempfile::tempdir().unwrap();
    let case = loaded_case(dir.path());
    let catalog = case.catalog().unwrap();
    let filtered = compile(
        "let n = 3; ZeekConn | summarize c = count() by x = tostring(conn_state) | where c > n",
        &catalog,
    )
    .unwrap();
    let s = split(&filtered).expect("splits");
    assert!(s.aggregate.starts_with("WITH "), "{}", s.aggregate);
    assert!(!s.aggregate.contains("> 3"), "{}", s.aggregate);
    let last = compile("ZeekConn | summarize c = count() by conn_state", &catalog).unwrap();
    assert_eq!(split(&last), None);
    let none = compile("ZeekConn | where conn_state == 'REJ' | take 3", &catalog).unwrap();
    assert_eq!(split(&none), None);
    // A join back to the events after the aggregate would scan them again: no fast path.
    let rejoined = compile(
        "ZeekConn | summarize c = count() by uid | where c < 3 | join kind=inner (ZeekConn) on uid",
        &catalog,
    )
    .unwrap();
    assert_eq!(split(&rejoined), None);
    let sysmon = hunt("09-");
    let compiled = compile(&sysmon.query, &catalog).unwrap();
    assert_eq!(split(&compiled), None, "hunt 09 joins back to its events");
}

/// The same rows, in any order.
fn same_rows(a: &[serde_json::Value], b: &[serde_json::Value]) -> bool {
    // Sets (make_set) have no order either.
    fn canonical(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::Array(items) => {
                let mut parts: Vec<String> = items.iter().map(canonical).collect();
                parts.sort();
                format!("[{}]", parts.join(","))
            }
            serde_json::Value::Object(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k}:{}", canonical(v)))
                    .collect();
                format!("{{{}}}", parts.join(","))
            }
            other => other.to_string(),
        }
    }
    let sorted = |v: &[serde_json::Value]| {
        let mut rows: Vec<String> = v.iter().map(canonical).collect();
        rows.sort();
        rows
    };
    sorted(a) == sorted(b)
}

/// A value for `p` that differs from its default, when there is an obvious one.
fn another_value(p: &quarry::kql::Param) -> Option<String> {
    let v = p.value.trim();
    if let Ok(n) = v.parse::<i64>() {
        return Some((n * 2 + 1).to_string());
    }
    let inner = v.strip_prefix("dynamic([")?.strip_suffix("])")?;
    // Keep the first element only: a real edit of a list.
    let first = inner.split(',').next()?.trim();
    Some(format!("dynamic([{first}])"))
}

#[test]
fn every_shipped_hunt_gives_the_same_hits_with_and_without_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let case = loaded_case(dir.path());
    let hunts: Vec<Hunt> = Library::load(&[])
        .hunts
        .into_iter()
        .filter(|h| h.origin.starts_with("built-in/"))
        .collect();
    ensure_watchlists(&case, &hunts).unwrap();
    let catalog = case.catalog().unwrap();
    let mut reused = Vec::new();
    for h in &hunts {
        let params = compile(&h.query, &catalog).unwrap().params;
        let declared = quarry::kql::declared_params(&h.query, &catalog).unwrap();
        assert_eq!(declared, params, "{}", h.name);
        let mut cache = AggregateCache::new();
        run_hunt_cached(case.conn(), &catalog, h, &[], Some(&mut cache));
        for p in &params {
            let Some(value) = another_value(p) else {
                continue;
            };
            let over = set(&[(p.name.as_str(), value.as_str())]);
            let fast = run_hunt_cached(case.conn(), &catalog, h, &over, Some(&mut cache));
            let full = run_hunt(case.conn(), &catalog, h, &over);
            assert_eq!(fast.error, full.error, "{} {}={value}", h.name, p.name);
            // Rows that tie on a hunt's own `order by` may come in either order.
            assert!(
                same_rows(&fast.hits, &full.hits),
                "{} {}={value}: {} rows with the cache, {} without",
                h.name,
                p.name,
                fast.hits.len(),
                full.hits.len()
            );
            if fast.reuse == Reuse::Hit {
                reused.push(p.name.clone());
            }
        }
    }
    // The summarize-then-filter hunts whose later stages read only the aggregate.
    for name in ["threshold", "thresholdMB", "remotePortCountThreshold"] {
        assert!(reused.iter().any(|r| r == name), "{name} not in {reused:?}");
    }
}

//! The shipped hunts on the committed sample: each reports exactly its planted entities and
//! none of its near misses, thresholds move hits in and out, and drill-down returns exactly
//! the events behind a planted hit.

mod sample_common;

use quarry::hunts::drill::drill;
use quarry::hunts::library::Library;
use quarry::hunts::run::{ensure_watchlists, run_hunt, RunResult, Status};
use quarry::hunts::Hunt;
use sample_common::{expected, loaded_case, matching};
use serde_json::Value;

/// The expected.json key of a built-in hunt: its number prefix.
fn expected_key<'a>(hunt: &Hunt, hunts: &'a serde_json::Map<String, Value>) -> &'a Value {
    let file = hunt.origin.rsplit('/').next().unwrap_or_default();
    let prefix = &file[..2];
    hunts
        .iter()
        .find(|(k, _)| k.starts_with(prefix))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no expectations for {file}"))
}

fn built_in() -> Vec<Hunt> {
    Library::load(&[])
        .hunts
        .into_iter()
        .filter(|h| h.origin.starts_with("built-in/"))
        .collect()
}

fn run(case: &quarry::engine::Case, hunt: &Hunt, set: &[(&str, &str)]) -> RunResult {
    let catalog = case.catalog().unwrap();
    let overrides: Vec<(String, String)> = set
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    run_hunt(case.conn(), &catalog, hunt, &overrides)
}

#[test]
fn every_shipped_hunt_reports_exactly_its_plants() {
    let dir = tempfile::tempdir().unwrap();
    let case = loaded_case(dir.path());
    let hunts = built_in();
    ensure_watchlists(&case, &hunts).unwrap();
    let expected = expected();
    let all = expected["hunts"].as_object().unwrap();
    assert_eq!(hunts.len(), all.len());
    for hunt in &hunts {
        let e = expected_key(hunt, all);
        let r = run(&case, hunt, &[]);
        assert_eq!(r.status, Status::Hits, "{}: {:?}", hunt.name, r.error);
        let must = e["must_report"].as_array().unwrap();
        for entity in must {
            let hits = matching(&r.hits, entity);
            assert!(
                !hits.is_empty(),
                "{}: {entity} missing from {:?}",
                hunt.name,
                r.hits
            );
            if let Some(n) = entity.get("rows").and_then(Value::as_u64) {
                assert_eq!(hits.len() as u64, n, "{}: rows for {entity}", hunt.name);
            }
        }
        for row in &r.hits {
            assert!(
                must.iter()
                    .any(|m| matching(std::slice::from_ref(row), m).len() == 1),
                "{}: unexpected hit {row}",
                hunt.name
            );
        }
        for entity in e["must_not_report"].as_array().unwrap() {
            assert!(
                matching(&r.hits, entity).is_empty(),
                "{}: near miss {entity} reported",
                hunt.name
            );
        }
    }
}

#[test]
fn raising_a_threshold_past_the_attack_hides_it_and_lowering_brings_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let case = loaded_case(dir.path());
    let hunts = built_in();
    let probe = hunts.iter().find(|h| h.origin.contains("/01-")).unwrap();
    // The planted probe refused 12 ports: more than 12 is needed to hide it.
    assert_eq!(
        run(&case, probe, &[("threshold", "12")]).status,
        Status::NoHits
    );
    assert_eq!(run(&case, probe, &[("threshold", "11")]).hit_count, 1);
    let sweep = hunts.iter().find(|h| h.origin.contains("/11-")).unwrap();
    ensure_watchlists(&case, &hunts).unwrap();
    assert_eq!(
        run(&case, sweep, &[("remotePortCountThreshold", "20")]).status,
        Status::NoHits
    );
    assert_eq!(
        run(&case, sweep, &[("remotePortCountThreshold", "19")]).hit_count,
        1
    );
    // Lowering it to the near miss's count brings that host in too.
    assert_eq!(
        run(&case, sweep, &[("remotePortCountThreshold", "9")]).hit_count,
        2
    );
    let r = run(&case, sweep, &[("remotePortCountThreshold", "'many'")]);
    assert_eq!(r.status, Status::Error);
    assert!(r.error.unwrap().contains("takes a long"));
}

#[test]
fn drill_down_returns_exactly_the_events_behind_each_planted_hit() {
    let dir = tempfile::tempdir().unwrap();
    let case = loaded_case(dir.path());
    let hunts = built_in();
    ensure_watchlists(&case, &hunts).unwrap();
    let catalog = case.catalog().unwrap();
    let expected = expected();
    let all = expected["hunts"].as_object().unwrap();
    let mut drilled = 0;
    for hunt in &hunts {
        let e = expected_key(hunt, all);
        let r = run(&case, hunt, &[]);
        for entity in e["must_report"].as_array().unwrap() {
            let Some(events) = entity.get("events").and_then(Value::as_u64) else {
                continue;
            };
            let hit = matching(&r.hits, entity)[0].clone();
            let d =
                drill(hunt, &catalog, &[], &hit).unwrap_or_else(|m| panic!("{}: {m}", hunt.name));
            let n: i64 = case
                .conn()
                .query_row(&format!("SELECT count(*) FROM ({})", d.sql), [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(
                n as u64, events,
                "{}: drill of {entity} ({})",
                hunt.name, d.predicate
            );
            drilled += 1;
        }
    }
    assert!(drilled >= 10, "{drilled}");
    // The new-address hunt: every hit drills to exactly its ConnectionCount events.
    let first_contact = hunts.iter().find(|h| h.origin.contains("/07-")).unwrap();
    let r = run(&case, first_contact, &[]);
    for hit in &r.hits {
        let d = drill(first_contact, &catalog, &[], hit).unwrap();
        let n: i64 = case
            .conn()
            .query_row(&format!("SELECT count(*) FROM ({})", d.sql), [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(
            n,
            hit["ConnectionCount"].as_i64().unwrap(),
            "{}",
            d.predicate
        );
    }
}

//! The workbench's hits table reads its rows from the worker, which keeps each hunt's
//! result in DuckDB: a page filtered and sorted there must hold the same rows as filtering
//! and sorting the whole result, and a result lost with a reopened case is run again.

mod sample_common;
mod worker_common;

use std::path::Path;

use assert_cmd::Command;
use quarry::hunts::pages::{self, PageQuery, FIRST_PAGE};
use quarry::hunts::run::{run_hunt, run_hunt_kept};
use quarry::investigate::entity::Entity;
use quarry::investigate::pivot::{kept_hunt_matches, KeptResult};
use quarry::tui::protocol::{Reply, Request};
use quarry::tui::worker::WorkerHandle;
use serde_json::Value;

use worker_common::next_reply;

/// Runs the hunt and returns its result's hits.
fn run(worker: &WorkerHandle, hunt: &str, generation: u64) -> Vec<Value> {
    worker
        .tx
        .send(Request::Run {
            hunt: hunt.into(),
            overrides: Vec::new(),
            generation,
        })
        .unwrap();
    match next_reply(worker) {
        Reply::Finished { result, .. } => {
            assert_eq!(
                result.hits.len(),
                result.hit_count,
                "a small result comes whole"
            );
            result.hits
        }
        other => panic!("{other:?}"),
    }
}

/// Asks for a page and returns (total, rows).
fn page(
    worker: &WorkerHandle,
    hunt: &str,
    generation: u64,
    query: PageQuery,
) -> (usize, Vec<Value>) {
    worker
        .tx
        .send(Request::Hits {
            hunt: hunt.into(),
            overrides: Vec::new(),
            generation,
            query: query.clone(),
        })
        .unwrap();
    loop {
        match next_reply(worker) {
            Reply::Hits {
                hunt: h,
                generation: g,
                query: q,
                page,
            } => {
                assert_eq!((h.as_str(), g, &q), (hunt, generation, &query));
                assert_eq!(page.start, query.offset);
                return (page.total, page.rows);
            }
            // A result that is no longer kept is run again first.
            Reply::Finished { .. } => continue,
            other => panic!("{other:?}"),
        }
    }
}

fn addresses(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["External_IP"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn pages_filtered_and_sorted_by_duckdb_match_the_whole_result() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("case.duckdb");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    Command::cargo_bin("quarry")
        .unwrap()
        .arg("--db")
        .arg(&db)
        .arg("load")
        .arg(sample)
        .assert()
        .success();
    let mut worker = quarry::tui::worker::spawn(db, Vec::new());
    let Reply::Ready { hunts, .. } = next_reply(&worker) else {
        panic!("no Ready");
    };
    let hunt = hunts
        .iter()
        .find(|(h, _)| h.name.starts_with("First contact"))
        .map(|(h, _)| h.id.clone())
        .unwrap();
    let all = run(&worker, &hunt, 1);
    assert!(all.len() >= 10, "{}", all.len());

    // The hunt's own order, a page at a time.
    let (total, rows) = page(
        &worker,
        &hunt,
        1,
        PageQuery {
            offset: 3,
            limit: 4,
            ..PageQuery::default()
        },
    );
    assert_eq!(total, all.len());
    assert_eq!(rows, all[3..7]);

    // A filter keeps the rows with a cell containing the text, whatever its case.
    let needle = all[0]["External_IP"].as_str().unwrap().to_uppercase();
    let (total, rows) = page(
        &worker,
        &hunt,
        1,
        PageQuery {
            filter: needle.clone(),
            limit: 100,
            ..PageQuery::default()
        },
    );
    let expected: Vec<&Value> = all
        .iter()
        .filter(|r| r.to_string().to_uppercase().contains(&needle))
        .collect();
    assert_eq!(total, expected.len());
    assert_eq!(rows.iter().collect::<Vec<_>>(), expected);

    // Sorted by ConnectionCount (column 3), largest first; ties keep the hunt's order.
    let (_, rows) = page(
        &worker,
        &hunt,
        1,
        PageQuery {
            sort: Some((3, true)),
            limit: 100,
            ..PageQuery::default()
        },
    );
    let mut sorted = all.clone();
    sorted.sort_by_key(|r| std::cmp::Reverse(r["ConnectionCount"].as_i64().unwrap()));
    assert_eq!(addresses(&rows), addresses(&sorted));

    // A pivot on a value of the result lists this hunt with the hits that name it.
    let entity = Entity::detect(all[0]["External_IP"].as_str().unwrap(), None);
    worker.tx.send(Request::Pivot(entity.clone())).unwrap();
    let Reply::Pivoted(p) = next_reply(&worker) else {
        panic!("no pivot");
    };
    let expected: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, r)| entity.matches_json(r))
        .map(|(i, _)| i + 1)
        .collect();
    let found = p
        .hunts
        .iter()
        .find(|m| m.id == hunt)
        .expect("the hunt is listed");
    assert_eq!(found.hits, expected);

    // Writing the report reopens the case, which drops the kept result: the worker runs the
    // hunt again and still answers.
    let report = dir.path().join("report.md");
    worker
        .tx
        .send(Request::Report(report.display().to_string()))
        .unwrap();
    assert!(matches!(next_reply(&worker), Reply::Exported(_)));
    let (total, rows) = page(
        &worker,
        &hunt,
        1,
        PageQuery {
            limit: 100,
            ..PageQuery::default()
        },
    );
    // The run is new, so only the rows are compared: make_set's order may differ.
    assert_eq!(total, all.len());
    assert_eq!(addresses(&rows), addresses(&all));
    worker.stop();
}

#[test]
fn a_large_result_is_kept_whole_and_sent_a_page_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let case = sample_common::loaded_case(dir.path());
    let catalog = case.catalog().unwrap();
    let hunt = quarry::formats::hunt::parse_kql(
        "test/every-session.kql",
        "every-session",
        "NetworkSessions | project TimeGenerated, SrcIpAddr, DstIpAddr, DstPortNumber",
    )
    .unwrap();
    let full = run_hunt(case.conn(), &catalog, &hunt, &[]);
    assert!(full.hit_count > 3 * FIRST_PAGE, "{}", full.hit_count);
    let table = pages::table_for(&hunt.id);
    let kept = run_hunt_kept(case.conn(), &catalog, &hunt, &[], None, &table);
    assert_eq!(kept.hit_count, full.hit_count);
    assert_eq!(kept.hits, full.hits[..FIRST_PAGE]);
    // The last rows, read from the kept table, are the last rows of the whole result.
    let tail = pages::read(
        case.conn(),
        &table,
        &kept.columns,
        &PageQuery {
            offset: full.hit_count - 5,
            limit: 100,
            ..PageQuery::default()
        },
    )
    .unwrap();
    assert_eq!(
        (tail.start, tail.total),
        (full.hit_count - 5, full.hit_count)
    );
    assert_eq!(tail.rows, full.hits[full.hit_count - 5..]);
    // Sorted by port, largest first, with rows lacking one last.
    let sorted = pages::read(
        case.conn(),
        &table,
        &kept.columns,
        &PageQuery {
            sort: Some((3, true)),
            limit: full.hit_count,
            ..PageQuery::default()
        },
    )
    .unwrap();
    let ports: Vec<Option<i64>> = sorted
        .rows
        .iter()
        .map(|r| r["DstPortNumber"].as_i64())
        .collect();
    let mut expected: Vec<Option<i64>> = full
        .hits
        .iter()
        .map(|r| r["DstPortNumber"].as_i64())
        .collect();
    expected.sort_by(|a, b| match (a, b) {
        (Some(x), Some(y)) => y.cmp(x),
        (a, b) => b.is_none().cmp(&a.is_none()).reverse(),
    });
    assert_eq!(ports, expected);

    // A pivot searches every kept hit, not only the first page: a value of the last hit.
    let entity = Entity::detect(
        full.hits[full.hit_count - 1]["DstIpAddr"].as_str().unwrap(),
        None,
    );
    let expected: Vec<usize> = full
        .hits
        .iter()
        .enumerate()
        .filter(|(_, r)| entity.matches_json(r))
        .map(|(i, _)| i + 1)
        .collect();
    assert!(expected.last().is_some_and(|&n| n > FIRST_PAGE));
    let results = [KeptResult {
        id: &hunt.id,
        name: &hunt.name,
        table: table.clone(),
        columns: &kept.columns,
    }];
    let matches = kept_hunt_matches(case.conn(), &entity, &results).unwrap();
    assert_eq!(matches.len(), 1);
    assert_eq!(matches[0].hits, expected);
    // A cell holding a network names every address in it.
    let networks = quarry::formats::hunt::parse_kql(
        "test/networks.kql",
        "networks",
        "NetworkSessions | take 1500 | project SrcIpAddr, Net = '10.0.0.0/8'",
    )
    .unwrap();
    let table = pages::table_for(&networks.id);
    let kept = run_hunt_kept(case.conn(), &catalog, &networks, &[], None, &table);
    assert_eq!(kept.hit_count, 1500);
    let results = [KeptResult {
        id: &networks.id,
        name: &networks.name,
        table,
        columns: &kept.columns,
    }];
    let inside = Entity::detect("10.255.255.254", None);
    let matches = kept_hunt_matches(case.conn(), &inside, &results).unwrap();
    assert_eq!(matches[0].hits, (1..=1500).collect::<Vec<_>>());
    let outside = Entity::detect("192.0.2.1", None);
    assert!(kept_hunt_matches(case.conn(), &outside, &results)
        .unwrap()
        .is_empty());
}

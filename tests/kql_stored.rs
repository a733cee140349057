//! A query reads a loaded table's stored relation when it reads only stored columns, and its
//! view (NULL for the columns nothing filled) otherwise or while a time window is set.

mod kql_common;

use kql_common::{compiled, rows, ts};
use quarry::engine::{stored, Case, Window};

/// Table S: its schema has A and B, but only TimeGenerated and A were ever loaded.
fn case() -> Case {
    let case = Case::open_in_memory().unwrap();
    let schema = vec![
        ("TimeGenerated".to_string(), "TIMESTAMP".to_string()),
        ("A".to_string(), "VARCHAR".to_string()),
        ("B".to_string(), "BIGINT".to_string()),
    ];
    stored::store(
        case.conn(),
        "S",
        &schema,
        &["TimeGenerated".into(), "A".into()],
    )
    .unwrap();
    case.conn()
        .execute_batch(
            "INSERT INTO loaded.S VALUES ('2025-01-01 10:00:00', 'x'), ('2025-01-02 10:00:00', 'y')",
        )
        .unwrap();
    case.set_clock(Some(ts("2025-01-03 00:00:00"))).unwrap();
    case
}

#[test]
fn stored_columns_are_read_from_the_stored_table() {
    let case = case();
    let q = "S | where A != '' | project A | order by A asc";
    assert!(compiled(&case, q).sql.contains("loaded.\"S\""));
    assert_eq!(rows(&case, q), [["x"], ["y"]]);
}

#[test]
fn a_column_never_stored_is_read_through_the_view() {
    let case = case();
    let q = "S | project A, B | order by A asc";
    let sql = compiled(&case, q).sql;
    assert!(!sql.contains("loaded."), "{sql}");
    assert_eq!(rows(&case, q), [["x", "null"], ["y", "null"]]);
}

#[test]
fn a_time_window_keeps_queries_on_the_views_it_narrows() {
    let mut case = case();
    let window = Window {
        from: Some(ts("2025-01-02 00:00:00")),
        to: None,
    };
    case.set_window(window, false).unwrap();
    let q = "S | project A";
    assert!(!compiled(&case, q).sql.contains("loaded."));
    assert_eq!(rows(&case, q), [["y"]]);
}

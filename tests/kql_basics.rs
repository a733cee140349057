//! KQL compiler: each operator and function on a small fixture table, with expected results
//! derived from Kusto's documented behaviour, plus diagnostics.

mod kql_common;

use kql_common::{compiled, rows, rows_of, ts};
use quarry::engine::Case;
use quarry::kql::{compile, compile_with, KqlType};

/// Table T: five events; the clock is pinned at 13:00.
fn case() -> Case {
    let case = Case::open_in_memory().unwrap();
    case.conn()
        .execute_batch(
            "CREATE TABLE T (TimeGenerated TIMESTAMP, Name VARCHAR, N INTEGER, Bytes BIGINT,
                             R DOUBLE, Ip VARCHAR, Msg VARCHAR);
             INSERT INTO T VALUES
              ('2025-01-01 10:05:00', 'Alice',     1,    100,  1.5,  '10.0.0.1',    'error: disk full'),
              ('2025-01-01 10:55:00', 'alice',     2,    200,  NULL, '8.8.8.8',     'diskette ok'),
              ('2025-01-01 11:10:00', 'Bob Smith', 3,    NULL, 2.5,  '192.168.1.5', 'Disk-Error'),
              ('2025-01-01 12:00:00', NULL,        NULL, 400,  -2.5, '1.1.1.1',     NULL),
              ('2025-01-01 12:30:00', '',          5,    500,  3.0,  NULL,          'mydisk');",
        )
        .unwrap();
    case.set_clock(Some(ts("2025-01-01 13:00:00"))).unwrap();
    case
}

/// The single column of a result, as strings.
fn col(case: &Case, q: &str) -> Vec<String> {
    rows(case, q).into_iter().map(|r| r.join("|")).collect()
}

/// The rows of `q`, which must be those of `other` in some order.
fn same_rows(case: &Case, q: &str, other: &str) -> Vec<Vec<String>> {
    let (mut a, mut b) = (rows(case, q), rows(case, other));
    a.sort();
    b.sort();
    assert_eq!(a, b, "{q}");
    a
}

fn count(case: &Case, q: &str) -> String {
    let r = rows(case, &format!("{q} | count"));
    r[0][0].clone()
}

fn error(case: &Case, q: &str) -> String {
    let catalog = case.catalog().unwrap();
    match compile(q, &catalog) {
        Ok(c) => panic!("expected an error for {q}, got {}", c.sql),
        Err(d) => d.to_string(),
    }
}

#[test]
fn count_operator_and_count_aggregate_names() {
    let c = case();
    let r = compiled(&c, "T | count");
    assert_eq!(r.columns[0].name, "Count");
    assert_eq!(rows_of(&c, &r), vec![vec!["5"]]);
    let r = compiled(&c, "T | summarize count()");
    assert_eq!(r.columns[0].name, "count_");
    assert_eq!(rows_of(&c, &r), vec![vec!["5"]]);
}

#[test]
fn equality_is_case_sensitive_and_tilde_is_not() {
    let c = case();
    assert_eq!(count(&c, "T | where Name == 'alice'"), "1");
    assert_eq!(count(&c, "T | where Name =~ 'ALICE'"), "2");
    // Empty and absent strings are both '' in Kusto, so they are != 'alice'.
    assert_eq!(count(&c, "T | where Name != 'alice'"), "4");
    assert_eq!(count(&c, "T | where Name !~ 'alice'"), "3");
    assert_eq!(count(&c, "T | where Name == ''"), "2");
}

#[test]
fn has_matches_whole_terms_only() {
    let c = case();
    assert_eq!(
        col(&c, "T | where Msg has 'disk' | project Msg"),
        vec!["error: disk full", "Disk-Error"]
    );
    assert_eq!(count(&c, "T | where Msg !has 'disk'"), "3");
    assert_eq!(count(&c, "T | where Msg has_cs 'Disk'"), "1");
    assert_eq!(count(&c, "T | where Ip has '10.0.0.1'"), "1");
    // A term from a column, row by row, has the same answers.
    let by_row = "T | extend t = iff(N == 3, 'Disk', 'disk') | where Msg has t | project Msg";
    assert_eq!(col(&c, by_row), vec!["error: disk full", "Disk-Error"]);
    assert_eq!(count(&c, "T | extend t = 'Disk' | where Msg has_cs t"), "1");
    assert_eq!(count(&c, "T | extend t = 'disk' | where Msg !has t"), "3");
    assert_eq!(count(&c, "T | extend t = '10.0.0.1' | where Ip has t"), "1");
}

#[test]
fn contains_startswith_endswith_ignore_case() {
    let c = case();
    assert_eq!(count(&c, "T | where Msg contains 'DISK'"), "4");
    assert_eq!(count(&c, "T | where Msg !contains 'disk'"), "1");
    assert_eq!(count(&c, "T | where Msg contains_cs 'Disk'"), "1");
    assert_eq!(count(&c, "T | where Msg startswith 'DISK'"), "2");
    assert_eq!(count(&c, "T | where Msg !startswith 'disk'"), "3");
    assert_eq!(
        col(&c, "T | where Msg endswith 'DISK' | project N"),
        vec!["5"]
    );
    assert_eq!(count(&c, "T | where Msg !endswith 'disk'"), "4");
}

#[test]
fn between_is_inclusive() {
    let c = case();
    assert_eq!(
        col(&c, "T | where N between (2 .. 3) | project N"),
        vec!["2", "3"]
    );
    assert_eq!(
        col(&c, "T | where N !between (2 .. 3) | project N"),
        vec!["1", "5"]
    );
    assert_eq!(
        count(
            &c,
            "T | where TimeGenerated between (datetime(2025-01-01 11:10) .. 50m)"
        ),
        "2"
    );
}

#[test]
fn consecutive_wheres_keep_their_own_precedence() {
    let c = case();
    // Merged into one filter, `or` must still bind inside its own `where`.
    let q = "T | where N == 1 or N == 3 | where Bytes > 150 | project N";
    assert_eq!(col(&c, q), Vec::<String>::new());
    let q = "T | where N == 1 or N == 2 | where Bytes > 150 or isnull(Bytes) | project N";
    assert_eq!(col(&c, q), vec!["2"]);
    // The three become one filter over the table, the only stage the result reads.
    let sql = compiled(&c, "T | where N > 1 | where Bytes > 0 | where R < 3").sql;
    assert_eq!(sql.matches(" FROM \"T\"").count(), 1, "{sql}");
    assert!(
        sql.contains(r#"WHERE (("N" > 1)) AND (("Bytes" > 0)) AND (("R" < 3))"#),
        "{sql}"
    );
}

#[test]
fn stages_over_a_where_read_its_table_in_the_same_select() {
    let c = case();
    // A project that keeps columns, then a summarize: both read the table under the
    // `where` in one SELECT, and the query ends with that SELECT, sorted: the group key is
    // coalesced there already.
    let q = "T | where N > 1 | project N, Name | summarize n = count(), s = sum(N) by Name | order by s desc";
    let sql = compiled(&c, q).sql;
    assert!(
        sql.starts_with("SELECT ")
            && sql
                .ends_with(r#"FROM "T" WHERE (("N" > 1)) GROUP BY 1 ORDER BY "s" DESC NULLS LAST"#),
        "{sql}"
    );
    // Sorted by a key's name, and by an expression (which keeps a SELECT of its own).
    for order in ["Name asc", "strlen(Name) desc, Name asc"] {
        let q = format!("T | summarize c = count() by Name | order by {order}");
        let apart =
            format!("T | take 1000 | summarize c = count() by Name | take 1000 | order by {order}");
        assert_eq!(rows(&c, &q), rows(&c, &apart), "{order}");
    }
    // `take` is a stage of its own: the same answer the long way.
    let apart = "T | where N > 1 | take 1000 | project N, Name | summarize n = count(), s = sum(N) by Name | order by s desc";
    assert!(compiled(&c, apart).sql.matches(" AS (").count() >= 2);
    assert_eq!(rows(&c, q), rows(&c, apart));
    assert!(!rows(&c, q).is_empty());
    // A project right after a join that picks and renames columns selects from the join,
    // and so does the summarize after them.
    let q = "T | where N > 0 | join kind=inner (T | project N, Other = Ip) on N | project Who = Name, Other | summarize c = count() by Who, Other";
    let sql = compiled(&c, q).sql;
    assert!(
        sql.contains(r#"SELECT coalesce(l."Name", '') AS "Who", coalesce(r."Other", '') AS "Other", count(*) AS "c" FROM "#),
        "{sql}"
    );
    let picked = "T | where N > 0 | join kind=inner (T | project N, Other = Ip) on N | project Who = Name, Other";
    assert!(compiled(&c, picked).sql.contains(r#"l."Name" AS "Who""#));
    let apart = "T | where N > 0 | join kind=inner (T | project N, Other = Ip) on N | take 1000 | project Who = Name, Other | summarize c = count() by Who, Other";
    assert_eq!(same_rows(&c, q, apart).len(), 4);
    // An inner join reads a where on its left through, unless a column name is on both sides.
    let q = "T | where Bytes > 100 | join kind=inner (T | summarize c = count() by Who = Name) on $left.Name == $right.Who | project N, c";
    let sql = compiled(&c, q).sql;
    assert!(sql.contains(r#"FROM "T" AS l JOIN"#), "{sql}");
    let apart = "T | where Bytes > 100 | take 1000 | join kind=inner (T | summarize c = count() by Who = Name) on $left.Name == $right.Who | project N, c";
    assert_eq!(same_rows(&c, q, apart).len(), 3);
    assert_eq!(count(&c, "T | where N > 1 | join kind=inner (T) on N"), "3");
    // A where whose predicate reads another stage keeps that stage in the query.
    let q = "let top = T | summarize m = max(N); T | where N == toscalar(top) | project Name";
    assert_eq!(rows(&c, q).len(), 1);
}

#[test]
fn a_key_computed_from_other_keys_is_computed_per_group() {
    let c = case();
    // `extend D = f(Name) | where p(D) | summarize ... by D, Name` groups by Name first and
    // computes D per group; the rows and the column order are those of the query as written.
    let q = "let skip = dynamic(['bob smith']); T | extend D = tolower(Name) | where D !in (skip) | summarize s = sum(Bytes), n = count() by D, Name | order by Name asc";
    let sql = compiled(&c, q).sql;
    let grouped = sql.find("GROUP BY").expect("a GROUP BY");
    assert!(sql.find("lower(").is_some_and(|at| at > grouped), "{sql}");
    let apart = "let skip = dynamic(['bob smith']); T | extend D = tolower(Name) | where D !in (skip) | take 1000 | summarize s = sum(Bytes), n = count() by D, Name | order by Name asc";
    let expected = rows(&c, apart);
    assert_eq!(rows(&c, q), expected);
    // NULL and '' are one name in Kusto: one group of two rows.
    assert_eq!(expected.len(), 3, "{expected:?}");
    assert_eq!(expected[0], ["", "", "900", "2"]);
    assert_eq!(expected[1], ["alice", "Alice", "100", "1"]);
    // An aggregation of the computed column keeps the query as written.
    let q = "T | extend D = tolower(Name) | summarize m = max(D) by D, Name";
    let sql = compiled(&c, q).sql;
    assert!(sql.find("lower(") < sql.find("GROUP BY"), "{sql}");
}

#[test]
fn in_and_not_in_with_literal_and_let_bound_lists() {
    let c = case();
    let q = "let names = dynamic(['Alice', 'Bob Smith']); T | where Name in (names)";
    assert_eq!(count(&c, q), "2");
    let q = "let names = dynamic(['Alice', 'Bob Smith']); T | where Name !in (names)";
    assert_eq!(count(&c, q), "3");
    assert_eq!(count(&c, "T | where N in (1, 5, 7)"), "2");
    // `["Alice"]` right after `dynamic(` is a one-string array, not the bracketed name `Alice`.
    let q = r#"let names = dynamic(["Alice"]); T | where Name in (names)"#;
    assert_eq!(count(&c, q), "1");
    assert_eq!(
        count(&c, "T | project ['Name'] | where Name == 'Alice'"),
        "1"
    );
}

#[test]
fn bin_floors_and_names_the_key_after_the_column() {
    let c = case();
    let r = compiled(
        &c,
        "T | summarize count() by bin(TimeGenerated, 1h) | sort by TimeGenerated asc",
    );
    assert_eq!(r.columns[0].name, "TimeGenerated");
    assert_eq!(r.columns[0].ty, KqlType::DateTime);
    let got: Vec<String> = rows_of(&c, &r).into_iter().map(|r| r.join("|")).collect();
    assert_eq!(got.len(), 3);
    assert!(
        got[0].contains("10:00:00") && got[0].ends_with("|2"),
        "{got:?}"
    );
    assert!(
        got[1].contains("11:00:00") && got[1].ends_with("|1"),
        "{got:?}"
    );
    assert!(
        got[2].contains("12:00:00") && got[2].ends_with("|2"),
        "{got:?}"
    );
    assert_eq!(
        col(&c, "T | where isnotnull(N) | project bin(N, 2)"),
        vec!["0", "2", "2", "4"]
    );
}

#[test]
fn sort_puts_nulls_first_ascending_and_last_descending() {
    let c = case();
    assert_eq!(
        col(&c, "T | sort by Bytes asc | project Bytes"),
        vec!["null", "100", "200", "400", "500"]
    );
    assert_eq!(
        col(&c, "T | order by Bytes desc | project Bytes"),
        vec!["500", "400", "200", "100", "null"]
    );
    assert_eq!(
        col(&c, "T | sort by Bytes | take 2 | project Bytes"),
        vec!["500", "400"]
    );
    assert_eq!(
        col(&c, "T | sort by Bytes asc nulls last | project Bytes")[4],
        "null"
    );
    assert_eq!(col(&c, "T | top 2 by N asc | project N"), vec!["null", "1"]);
    assert_eq!(
        col(&c, "T | top 2 by Bytes | project Bytes"),
        vec!["500", "400"]
    );
}

#[test]
fn summarize_aggregates_get_kusto_names() {
    let c = case();
    let r = compiled(
        &c,
        "T | summarize dcount(Name), sum(Bytes), min(N), max(N), avg(R), countif(N > 2), make_set(N)",
    );
    let names: Vec<&str> = r.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "dcount_Name",
            "sum_Bytes",
            "min_N",
            "max_N",
            "avg_R",
            "countif_",
            "set_N"
        ]
    );
    assert_eq!(r.columns[1].ty, KqlType::Long);
    assert_eq!(r.columns[6].ty, KqlType::Dynamic);
    let got = &rows_of(&c, &r)[0];
    // Distinct non-null names: Alice, alice, Bob Smith, ''.
    assert_eq!(got[0], "4");
    assert_eq!(got[1], "1200");
    assert_eq!((got[2].as_str(), got[3].as_str()), ("1", "5"));
    assert_eq!(got[4], "1.125");
    assert_eq!(got[5], "2");
    let mut set: Vec<i64> = serde_json::from_str(&got[6]).unwrap();
    set.sort();
    assert_eq!(set, vec![1, 2, 3, 5]);
    assert!(r.notes.iter().any(|n| n.contains("dcount")));
}

#[test]
fn summarize_by_keys_come_first() {
    let c = case();
    let r = compiled(
        &c,
        "T | summarize Total = sum(Bytes), count() by Who = tolower(Name) | where Who == 'alice'",
    );
    let names: Vec<&str> = r.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Who", "Total", "count_"]);
    assert_eq!(rows_of(&c, &r), vec![vec!["alice", "300", "2"]]);
    let info = r.last_summarize.as_ref().unwrap();
    let keys: Vec<&str> = info.keys.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["Who"]);
    assert!(info.keys[0].1.contains("lower"), "{:?}", info.keys);
    assert_eq!(r.stages[info.stage].op, "summarize");
}

#[test]
fn extend_project_and_project_away() {
    let c = case();
    let r = compiled(&c, "T | extend N * 2 | project Column1, N | take 1");
    assert_eq!(r.columns[0].name, "Column1");
    let r = compiled(
        &c,
        "T | where N == 3 | extend a = N + 1, b = a * 10 | project b",
    );
    assert_eq!(rows_of(&c, &r), vec![vec!["40"]]);
    let r = compiled(
        &c,
        "T | where N == 3 | extend N = N * 100 | project-away Ms*, Ip, R, Time*",
    );
    let names: Vec<&str> = r.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Name", "N", "Bytes"]);
    assert_eq!(rows_of(&c, &r), vec![vec!["Bob Smith", "300", "null"]]);
    let r = compiled(
        &c,
        "T | where N == 1 | project Who = Name, N | project-rename Num = N",
    );
    assert_eq!(r.columns[1].name, "Num");
    assert_eq!(rows_of(&c, &r), vec![vec!["Alice", "1"]]);
}

#[test]
fn take_limit_and_distinct() {
    let c = case();
    assert_eq!(rows(&c, "T | take 3").len(), 3);
    assert_eq!(rows(&c, "T | limit 0").len(), 0);
    // alice, bob smith and '' (absent and empty are the same string).
    assert_eq!(count(&c, "T | distinct tolower(Name)"), "3");
    // Absent and empty names are one value.
    assert_eq!(count(&c, "T | distinct Name"), "4");
    assert_eq!(count(&c, "T | summarize count() by Name"), "4");
    assert_eq!(
        col(
            &c,
            "T | where isempty(Name) | summarize dcount(Name), count() by Name"
        ),
        vec!["|1|2"]
    );
}

#[test]
fn emptiness_and_nulls() {
    let c = case();
    assert_eq!(count(&c, "T | where isempty(Name)"), "2");
    assert_eq!(count(&c, "T | where isnotempty(Name)"), "3");
    assert_eq!(count(&c, "T | where isnull(Bytes)"), "1");
    assert_eq!(count(&c, "T | where isnotnull(R)"), "4");
    // Kusto strings are never null.
    assert_eq!(count(&c, "T | where isnull(Name)"), "0");
}

#[test]
fn logical_precedence_and_not() {
    let c = case();
    assert_eq!(
        col(
            &c,
            "T | where N == 1 or N == 2 and Bytes == 100 | project N"
        ),
        vec!["1"]
    );
    assert_eq!(
        col(
            &c,
            "T | where (N == 1 or N == 2) and Bytes == 200 | project N"
        ),
        vec!["2"]
    );
    assert_eq!(count(&c, "T | where not(N > 1)"), "1");
}

#[test]
fn scalar_functions() {
    let c = case();
    let q = "T | where N == 1 | project tostring(TimeGenerated), toint(R), tolong('42'), \
             todouble(N), tolower(Name), toupper(Name), strlen(Msg), strcat(Name, '-', N), \
             iff(N > 0, 'pos', 'neg'), case(N == 0, 'zero', N == 1, 'one', 'many'), \
             coalesce(Msg, 'x'), coalesce('', Name)";
    assert_eq!(
        rows(&c, q),
        vec![vec![
            "2025-01-01T10:05:00Z",
            "1",
            "42",
            "1.0",
            "alice",
            "ALICE",
            "16",
            "Alice-1",
            "pos",
            "one",
            "error: disk full",
            "Alice",
        ]]
    );
    // Reals truncate toward zero.
    assert_eq!(
        col(&c, "T | where N == 3 or isnull(N) | project toint(R)"),
        vec!["2", "-2"]
    );
    assert_eq!(
        col(
            &c,
            "T | where isnull(N) | project coalesce(Name, Msg, 'none')"
        ),
        vec!["none"]
    );
}

#[test]
fn arithmetic_follows_kusto_types() {
    let c = case();
    let r = compiled(
        &c,
        "T | where N == 5 | project N / 2, -N / 2, N * 1.5, N % 2, 7 / 2.0",
    );
    // int / long (literals are long) is long, truncated toward zero.
    assert_eq!(r.columns[0].ty, KqlType::Long);
    assert_eq!(r.columns[2].ty, KqlType::Real);
    assert_eq!(rows_of(&c, &r), vec![vec!["2", "-2", "7.5", "1", "3.5"]]);
}

#[test]
fn ago_and_now_read_the_case_clock() {
    let c = case();
    let r = compiled(&c, "T | where TimeGenerated > ago(1h) | project N");
    assert!(!r.sql.to_lowercase().contains("now()"));
    assert!(!r.sql.to_lowercase().contains("current_timestamp"));
    assert_eq!(rows_of(&c, &r), vec![vec!["5"]]);
    assert_eq!(count(&c, "T | where TimeGenerated >= now(-2h)"), "3");
    assert_eq!(
        count(
            &c,
            "T | where TimeGenerated < datetime(2025-01-01T11:00:00Z)"
        ),
        "2"
    );
    assert_eq!(
        col(&c, "T | where N == 1 | project now() - TimeGenerated > 2h"),
        vec!["true"]
    );
}

#[test]
fn ip_functions_are_emitted() {
    let c = case();
    assert_eq!(count(&c, "T | where ipv4_is_private(Ip)"), "2");
    assert_eq!(count(&c, "T | where ipv4_is_match(Ip, '8.8.0.0/16')"), "1");
    let q = "let nets = dynamic(['10.0.0.0/8', '1.1.1.0/24']); T | where ipv4_is_match(Ip, nets)";
    assert_eq!(count(&c, q), "2");
}

#[test]
fn lets_become_parameters_and_can_be_overridden() {
    let c = case();
    let q = "let threshold = 2;\nlet window = 1h;\nlet Src = T | where N > threshold;\nSrc | count";
    let r = compiled(&c, q);
    assert_eq!(rows_of(&c, &r), vec![vec!["2"]]);
    let p: Vec<(&str, &str, usize)> = r
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.value.as_str(), p.line))
        .collect();
    assert_eq!(p, [("threshold", "2", 1), ("window", "1h", 2)]);
    assert_eq!(r.params[1].ty, KqlType::TimeSpan);
    let catalog = c.catalog().unwrap();
    let r = compile_with(q, &catalog, &[("threshold".into(), "4".into())]).unwrap();
    assert_eq!(rows_of(&c, &r), vec![vec!["1"]]);
    let e = compile_with(q, &catalog, &[("threshold".into(), "4 +".into())]).unwrap_err();
    assert!(e.to_string().contains("parameter `threshold`"), "{e}");
}

#[test]
fn generated_sql_quotes_identifiers() {
    let c = case();
    c.conn()
        .execute_batch("CREATE TABLE \"Odd Table\" (\"id.orig_h\" VARCHAR, \"select\" INTEGER); INSERT INTO \"Odd Table\" VALUES ('10.1.1.1', 1)")
        .unwrap();
    assert_eq!(
        rows(
            &c,
            "['Odd Table'] | where ['id.orig_h'] startswith '10.' | project ['select']"
        ),
        vec![vec!["1"]]
    );
}

#[test]
fn unknown_column_points_at_it() {
    let c = case();
    let e = error(&c, "T\n| where Nmae == 1");
    assert_eq!(
        e,
        "2:9: unknown column or name `Nmae`\n  | where Nmae == 1\n          ^^^^"
    );
}

#[test]
fn unsupported_operator_is_named_with_its_position() {
    let c = case();
    let e = error(&c, "T\n  | facet by N");
    assert!(e.starts_with("2:5: facet is not supported yet\n"), "{e}");
    assert!(e.ends_with("\n      ^^^^^"), "{e}");
    let e = error(&c, "T | extend j = parse_csv(Msg)");
    assert!(e.starts_with("1:16: parse_csv is not supported yet"), "{e}");
    let e = error(&c, "T | summarize make_bag(Msg)");
    assert!(e.contains("make_bag is not supported yet"), "{e}");
    let e = error(&c, "T | where Msg like 'a'");
    assert!(e.starts_with("1:15: like is not supported yet"), "{e}");
    let e = error(&c, "let x = range i from 1 to 3 step 1; x");
    assert!(e.starts_with("1:9: range is not supported yet"), "{e}");
}

#[test]
fn unknown_table_says_how_to_load_it() {
    let c = case();
    let e = error(&c, "CommonSecurityLog | take 1");
    assert!(e.contains("unknown table `CommonSecurityLog`"), "{e}");
    assert!(e.contains("quarry load"), "{e}");
    let e = error(&c, "t | take 1");
    assert!(e.contains("did you mean `T`"), "{e}");
}

#[test]
fn type_errors_are_diagnostics() {
    let c = case();
    assert!(error(&c, "T | where N + 1").contains("boolean"));
    assert!(error(&c, "T | project count()").contains("aggregation"));
    assert!(error(&c, "T | take N").contains("constant"));
    assert!(error(&c, "T | project N, N").contains("twice"));
}

#[test]
fn case_insensitive_in_and_has_any_has_all() {
    let c = case();
    assert_eq!(count(&c, "T | where Name in~ ('ALICE', 'bob smith')"), "3");
    assert_eq!(count(&c, "T | where Name !in~ ('ALICE')"), "3");
    assert_eq!(count(&c, "T | where Msg has_any ('DISK', 'ok')"), "3");
    let q = "let terms = dynamic(['error', 'full']); T | where Msg has_all (terms)";
    assert_eq!(count(&c, q), "1");
    // Whole terms only: 'disk' is not a term of 'mydisk' or 'diskette'.
    assert_eq!(count(&c, "T | where Msg has_any ('disk')"), "2");
}

/// Queries used for the robustness and timing checks below.
const SAMPLES: &[&str] = &[
    "let threshold = 5;\nlet ports = dynamic([443, 53, 80]);\nT\n| where TimeGenerated > ago(1d) and isnotempty(Ip) and not(ipv4_is_private(Ip))\n| where N !in (ports) and Msg has 'disk' and Name =~ 'alice'\n| extend Hour = bin(TimeGenerated, 1h), Size = Bytes * 2\n| summarize Events = count(), dcount(N), make_set(Msg, 10) by Ip, Hour\n| where Events > threshold\n| top 10 by Events desc",
    "T | where N between (1 .. 3) or Name startswith \"Bo\" | project-away R, Ms* | sort by TimeGenerated asc nulls last | take 5",
    "let S = T | where Msg contains_cs 'x'; S | extend a = iff(N > 1, 'a', 'b'), b = case(N == 1, 1, 2) | distinct a, b",
];

#[test]
fn every_prefix_of_a_query_compiles_or_fails_cleanly() {
    let c = case();
    let catalog = c.catalog().unwrap();
    let mut texts: Vec<String> = SAMPLES.iter().map(|s| s.to_string()).collect();
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/kql-corpus");
    match std::fs::read_dir(&corpus) {
        Ok(dir) => {
            for f in dir.flatten() {
                texts.push(std::fs::read_to_string(f.path()).unwrap());
            }
        }
        Err(_) if std::env::var("QUARRY_REQUIRE_SHARED").as_deref() == Ok("1") => {
            panic!("{} is missing", corpus.display())
        }
        Err(_) => eprintln!(
            "notice: {} not found; using the built-in queries only",
            corpus.display()
        ),
    }
    let mut failures = 0;
    for text in &texts {
        for (i, _) in text.char_indices() {
            if let Err(d) = compile(&text[..i], &catalog) {
                // Rendering must not panic either.
                assert!(!d.to_string().is_empty());
                failures += 1;
            }
        }
    }
    // Most prefixes are incomplete queries: the compiler must have rejected many of them.
    assert!(failures > 100, "{failures}");
    for s in SAMPLES {
        assert!(compile(s, &catalog).is_ok(), "{s}");
    }
}

#[test]
fn more_scalar_functions() {
    let c = case();
    let q = "T | where N == 1 | project int(null), long(7), round(R), round(2.345, 2), abs(-N), \
             substring(Msg, 7, 4), substring(Msg, 12), strcat_delim('/', Name, N), \
             replace_string(Msg, 'disk', 'DISK'), startofday(TimeGenerated), \
             todatetime('2025-02-03 04:05:06'), column_ifexists('Name', 'none'), \
             column_ifexists('Nope', 'none')";
    assert_eq!(
        rows(&c, q),
        vec![vec![
            "null",
            "7",
            "2.0",
            "2.35",
            "1",
            "disk",
            "full",
            "Alice/1",
            "error: DISK full",
            "2025-01-01T00:00:00Z",
            "2025-02-03T04:05:06Z",
            "Alice",
            "none",
        ]]
    );
}

#[test]
fn random_mutations_never_panic() {
    let c = case();
    let catalog = c.catalog().unwrap();
    let pieces = [
        "|",
        "(",
        ")",
        "[",
        "]",
        "'",
        "\"",
        "@'",
        "..",
        "==",
        "!~",
        "=~",
        "!in",
        "has",
        "!has",
        "between",
        "by",
        "let",
        ";",
        ",",
        "-",
        "*",
        "1h",
        "0x",
        "9e9999",
        "datetime(",
        "dynamic(",
        "['",
        "é",
        "\n",
        " ",
        "summarize",
        "count()",
        "bin(",
        "N",
        "Name",
        "$",
        "~",
        "project-away",
        "join",
        "on",
        "$left.",
        "union",
        "isfuzzy=true",
        "mv-expand",
        "parse",
        "with",
        "evaluate",
        "pivot(",
        "bag_unpack(",
        "invoke",
        "{{",
        "}}",
        "(T:(a:string))",
        "{",
        "}",
        "toscalar(",
        "materialize(",
        "datatable(",
        "print",
        "_GetWatchlist(",
    ];
    // A small deterministic generator (no dependency needed).
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut compiled_ok = 0;
    for round in 0..20_000 {
        let mut text = SAMPLES[round % SAMPLES.len()].to_string();
        for _ in 0..1 + next(4) {
            let bounds: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain([text.len()])
                .collect();
            let i = next(bounds.len());
            let at = bounds[i];
            match next(3) {
                0 => text.insert_str(at, pieces[next(pieces.len())]),
                1 => {
                    let end = bounds[(i + 1 + next(8)).min(bounds.len() - 1)];
                    text.replace_range(at..end, "");
                }
                _ => {
                    let end = bounds[(i + 1).min(bounds.len() - 1)];
                    text.replace_range(at..end, pieces[next(pieces.len())]);
                }
            }
        }
        match compile(&text, &catalog) {
            Ok(_) => compiled_ok += 1,
            Err(d) => assert!(!d.to_string().is_empty()),
        }
    }
    // Some mutations stay valid (e.g. extra spaces): both paths were exercised.
    assert!(compiled_ok > 0);
}

#[test]
fn extract_gives_the_group_or_an_empty_string() {
    let c = case();
    assert_eq!(
        col(
            &c,
            r"T | where isnotempty(Msg) | project extract(@'disk (\w+)', 1, Msg)"
        ),
        vec!["full", "", "", ""]
    );
    // No match is Kusto's empty string: empty, never null.
    assert_eq!(
        count(&c, r"T | where isempty(extract(@'disk (\w+)', 1, Msg))"),
        "4"
    );
    assert_eq!(
        count(&c, r"T | where isnull(extract(@'disk (\w+)', 1, Msg))"),
        "0"
    );
    assert_eq!(
        col(
            &c,
            r"T | where N == 1 | project extract(@'(\w+): (\w+)', 2, Msg)"
        ),
        vec!["disk"]
    );
}

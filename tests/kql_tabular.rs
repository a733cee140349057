//! KQL compiler: the tabular operators hunts combine — join, union, mv-expand, parse,
//! evaluate (bag_unpack, pivot), user functions, toscalar, datatable, print, watchlists —
//! with results worked out by hand from Kusto's documented behaviour.

mod kql_common;

use kql_common::{compiled, rows, ts};
use quarry::engine::Case;
use quarry::kql::{compile, compile_drillable, Compiled};

/// Two small tables with overlapping keys, and a third with a case-variant column name.
fn case() -> Case {
    let case = Case::open_in_memory().unwrap();
    case.conn()
        .execute_batch(
            "CREATE TABLE L (TimeGenerated TIMESTAMP, K VARCHAR, V INTEGER);
             INSERT INTO L VALUES
               ('2025-01-01 10:00:00', 'a', 1), ('2025-01-01 10:01:00', 'a', 2),
               ('2025-01-01 10:02:00', 'b', 3), ('2025-01-01 10:03:00', NULL, 4);
             CREATE TABLE R (TimeGenerated TIMESTAMP, K VARCHAR, W VARCHAR);
             INSERT INTO R VALUES
               ('2025-01-01 11:00:00', 'a', 'x'), ('2025-01-01 11:00:00', 'a', 'y'),
               ('2025-01-01 11:00:00', 'c', 'z'), ('2025-01-01 11:00:00', '', 'e');
             CREATE TABLE Up (TimeGenerated TIMESTAMP, SourceIP VARCHAR);
             INSERT INTO Up VALUES ('2025-01-01 12:00:00', '10.0.0.1');
             CREATE TABLE Low (TimeGenerated TIMESTAMP, SourceIp VARCHAR);
             INSERT INTO Low VALUES ('2025-01-01 12:00:00', '10.0.0.2');",
        )
        .unwrap();
    case.set_clock(Some(ts("2025-01-01 13:00:00"))).unwrap();
    case
}

fn flat(r: Vec<Vec<String>>) -> Vec<String> {
    let mut v: Vec<String> = r.into_iter().map(|r| r.join("|")).collect();
    v.sort();
    v
}

#[test]
fn inner_join_pairs_every_match_and_suffixes_right_columns() {
    let c = case();
    let q = "L | join kind=inner R on K | project V, K, K1, W";
    assert_eq!(
        flat(rows(&c, q)),
        ["1|a|a|x", "1|a|a|y", "2|a|a|x", "2|a|a|y", "4|||e"]
    );
}

#[test]
fn default_join_keeps_one_left_row_per_key() {
    let c = case();
    let r = flat(rows(&c, "L | join R on K | project K, W"));
    assert_eq!(r, ["a|x", "a|y", "|e"]);
}

#[test]
fn outer_semi_and_anti_joins() {
    let c = case();
    let r = flat(rows(&c, "L | join kind=leftouter R on K | project V, W"));
    assert_eq!(r, ["1|x", "1|y", "2|x", "2|y", "3|", "4|e"]);
    let r = flat(rows(&c, "L | join kind=leftanti R on K | project V"));
    assert_eq!(r, ["3"]);
    let r = flat(rows(&c, "L | join kind=leftsemi R on K | project V"));
    assert_eq!(r, ["1", "2", "4"]);
    let r = flat(rows(&c, "L | join kind=rightanti R on K | project W"));
    assert_eq!(r, ["z"]);
}

#[test]
fn join_on_left_and_right_columns_and_join_where() {
    let c = case();
    let r = flat(rows(
        &c,
        "L | where V == 3 | extend Key = 'c' | join kind=inner (R | project RK = K, W) on $left.Key == $right.RK | project V, W",
    ));
    assert_eq!(r, ["3|z"]);
    let r = flat(rows(
        &c,
        "L | where V < 3 | join kind=inner (R | project W, RK = K) where W == 'y' and RK == K | project V, W",
    ));
    assert_eq!(r, ["1|y", "2|y"]);
}

#[test]
fn union_lines_up_columns_by_name_and_tells_the_table() {
    let c = case();
    let q = "union L, R | project K, V, W, T = $table | where K == 'b' or W == 'z'";
    assert_eq!(flat(rows(&c, q)), ["b|3||L", "c|null|z|R"]);
    let q = "union isfuzzy=true L, Missing_CL | count";
    assert_eq!(rows(&c, q), [["4"]]);
    let e = compile("union L, Missing_CL", &c.catalog().unwrap()).unwrap_err();
    assert!(e.to_string().contains("unknown table `Missing_CL`"), "{e}");
}

#[test]
fn columns_differing_only_in_case_stay_apart() {
    let c = case();
    let q =
        "union Up, Low | project A = SourceIP, B = SourceIp, Both = coalesce(SourceIP, SourceIp)";
    assert_eq!(
        flat(rows(&c, q)),
        ["10.0.0.1||10.0.0.1", "|10.0.0.2|10.0.0.2"]
    );
}

#[test]
fn union_names_each_rows_table_when_asked() {
    let c = case();
    let q = "union withsource=Src Up, Low | summarize n = count() by Src | order by Src asc";
    assert_eq!(flat(rows(&c, q)), ["Low|1", "Up|1"]);
    let q = "union Up, Low | summarize n = count()";
    assert_eq!(flat(rows(&c, q)), ["2"]);
}

#[test]
fn mv_expand_split_and_bags() {
    let c = case();
    let q = "print s = 'a,b,c' | extend p = split(s, ',') | mv-expand p | project x = tostring(p)";
    assert_eq!(flat(rows(&c, q)), ["a", "b", "c"]);
    let q = "print d = parse_json('{\"k1\":1,\"k2\":\"v\"}') | mv-expand bagexpansion=array d | project tostring(d[0]), tostring(d[1])";
    assert_eq!(flat(rows(&c, q)), ["k1|1", "k2|v"]);
    // tostring() of dynamic: a string loses its quotes, null is empty, the rest is JSON.
    let q = "print d = parse_json('[\"a \\\\\"q\\\\\"\", null, 2.5, {\"k\": [1]}]') | mv-expand d | project tostring(d)";
    assert_eq!(flat(rows(&c, q)), ["", "2.5", "a \"q\"", "{\"k\":[1]}"]);
}

#[test]
fn mv_expand_of_null_is_one_row_and_of_empty_is_none() {
    // Kusto: a null value gives one record (null), an empty array or bag gives none.
    let c = case();
    let count = |d: &str| flat(rows(&c, &format!("print d = {d} | mv-expand d | count")));
    assert_eq!(count("dynamic(null)"), ["1"]);
    assert_eq!(count("dynamic([])"), ["0"]);
    assert_eq!(count("parse_json('{}')"), ["0"]);
    assert_eq!(count("parse_json('[1, [2, 3], {\"a\": 1}]')"), ["3"]);
}

#[test]
fn split_elements_by_position() {
    let c = case();
    let q = "print s = 'a:b:c' | project first = tostring(split(s, ':')[0]), \
             last = tostring(split(s, ':')[-1]), beyond = isnull(split(s, ':')[5]), \
             third = split(s, ':', 2), whole = split(s, ':')";
    assert_eq!(
        rows(&c, q),
        [["a", "c", "true", "[\"c\"]", "[\"a\",\"b\",\"c\"]"]]
    );
}

#[test]
fn parse_extracts_between_literals() {
    let c = case();
    let q = "print r = 'technique_id=T1046,technique_name=Network Scan' \
             | parse r with * 'technique_id=' Id ',' * 'technique_name=' Name \
             | project Id, Name";
    assert_eq!(rows(&c, q), [["T1046", "Network Scan"]]);
    let q = "print r = 'no match here' | parse r with 'id=' Id:long | project Id";
    assert_eq!(rows(&c, q), [["null"]]);
}

#[test]
fn datatable_print_toscalar_and_materialize() {
    let c = case();
    assert_eq!(rows(&c, "print int(1) | project print_0"), [["1"]]);
    let q = "datatable(n:int, s:string)[1, 'one', 2, 'two'] | where n > 1";
    assert_eq!(rows(&c, q), [["2", "two"]]);
    let q =
        "let m = materialize(L | summarize mx = max(V)); L | where V == toscalar(m) | project K, V";
    assert_eq!(rows(&c, q), [["", "4"]]);
}

#[test]
fn in_a_tabular_let_and_user_functions() {
    let c = case();
    let q = "let keys = R | distinct K; L | where K in (keys) | project V";
    assert_eq!(flat(rows(&c, q)), ["1", "2", "4"]);
    let q = "let keys = R | distinct K; L | where K !in (keys) | project V";
    assert_eq!(flat(rows(&c, q)), ["3"]);
    let q = "let big = (v:int) { v >= 3 }; L | where big(V) | project V";
    assert_eq!(flat(rows(&c, q)), ["3", "4"]);
    let q = "let f = (T:(K:string), n:int) { T | where V > n }; L | invoke f(2) | project V";
    assert_eq!(flat(rows(&c, q)), ["3", "4"]);
}

#[test]
fn parse_xml_bag_unpack_and_pivot_rebuild_event_data() {
    let c = case();
    c.conn()
        .execute_batch(
            "CREATE TABLE Ev (TimeGenerated TIMESTAMP, Computer VARCHAR, EventData VARCHAR);
             INSERT INTO Ev VALUES
             ('2025-01-01 12:00:00', 'server1', '<DataItem><EventData><Data Name=\"DestinationIp\">203.0.113.9</Data><Data Name=\"DestinationPort\">4444</Data></EventData></DataItem>'),
             ('2025-01-01 12:01:00', 'server2', '<DataItem><EventData><Data Name=\"DestinationIp\">10.0.0.5</Data><Data Name=\"Image\">a.exe</Data></EventData></DataItem>');",
        )
        .unwrap();
    let q = "Ev | extend EventData = parse_xml(EventData).DataItem.EventData.Data \
             | mv-expand bagexpansion=array EventData | evaluate bag_unpack(EventData) \
             | extend Key = tostring(['@Name']), Value = tostring(['#text']) \
             | evaluate pivot(Key, any(Value), TimeGenerated, Computer) \
             | project Computer, DestinationIp, DestinationPort, Image";
    assert_eq!(
        flat(rows(&c, q)),
        ["server1|203.0.113.9|4444|", "server2|10.0.0.5||a.exe"]
    );
}

#[test]
fn a_catalog_keeps_its_probes_answers_until_it_is_built_again() {
    let c = case();
    let columns = |catalog: &quarry::kql::Catalog| -> Vec<String> {
        compile("R | evaluate pivot(W)", catalog)
            .unwrap()
            .columns
            .into_iter()
            .map(|col| col.name)
            .collect()
    };
    let before = c.catalog().unwrap();
    let first = columns(&before);
    assert!(first.contains(&"z".to_string()), "{first:?}");
    c.conn()
        .execute_batch("INSERT INTO R VALUES ('2025-01-01 11:00:00', 'd', 'q')")
        .unwrap();
    // The data changed under a catalog built before: it answers as it did.
    assert_eq!(columns(&before), first);
    // The workbench builds the catalog again after every change to the data.
    assert!(columns(&c.catalog().unwrap()).contains(&"q".to_string()));
}

#[test]
fn has_terms_with_punctuation_match_inside_host_names() {
    let c = case();
    let q = "print u = 'settings-win.data.microsoft.com' \
             | project a = u has '.microsoft.com', b = u has 'microsoft', c = u has 'micro', \
               d = u has_any ('.windowsupdate.com', '.microsoft.com')";
    assert_eq!(rows(&c, q), [["true", "true", "false", "true"]]);
}

#[test]
fn watchlists_read_with_search_key() {
    let c = case();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("allow.csv");
    std::fs::write(&csv, "Host,Reason\nscanner1,nessus\nscanner2,qualys\n").unwrap();
    quarry::ingest::import_watchlist(&c, "Allow", &csv, Some("Host")).unwrap();
    let q = "_GetWatchlist('Allow') | where Reason == 'qualys' | project SearchKey, Host";
    assert_eq!(rows(&c, q), [["scanner2", "scanner2"]]);
    let e = compile("_GetWatchlist('Nope')", &c.catalog().unwrap()).unwrap_err();
    assert!(
        e.to_string().contains("quarry watchlist import Nope"),
        "{e}"
    );
}

#[test]
fn unsupported_join_kind_and_plugin_are_named() {
    let c = case();
    let cat = c.catalog().unwrap();
    let e = compile("L | join kind=weird R on K", &cat).unwrap_err();
    assert!(
        e.to_string().contains("join kind=weird is not supported"),
        "{e}"
    );
    let e = compile("L | evaluate autocluster()", &cat).unwrap_err();
    assert!(
        e.to_string()
            .contains("evaluate autocluster is not supported yet"),
        "{e}"
    );
    assert!(compiled(&c, "L | take 1").sql.contains("LIMIT 1"));
}

#[test]
fn arg_max_keeps_the_row_of_the_latest_value() {
    let c = case();
    let q = "L | where isnotempty(K) | summarize arg_max(TimeGenerated, *) by K | project K, V";
    assert_eq!(flat(rows(&c, q)), ["a|2", "b|3"]);
    let q = "L | summarize arg_min(V, K) | project V, K";
    assert_eq!(rows(&c, q), [["1", "a"]]);
    let q = "L | summarize percentile(V, 50), percentiles(V, 25, 75)";
    let r = compiled(&c, q);
    let names: Vec<&str> = r.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["percentile_V_50", "percentile_V_25", "percentile_V_75"]
    );
    assert_eq!(rows(&c, q), [["2", "1", "3"]]);
}

#[test]
fn lookup_adds_dimension_columns_without_duplicating_keys() {
    let c = case();
    let q = "L | lookup (R | summarize Ws = make_set(W) by K) on K | project-reorder V | project-away TimeGenerated";
    let r = compiled(&c, q);
    let names: Vec<&str> = r.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["V", "K", "Ws"]);
    assert_eq!(rows(&c, q).len(), 4);
}

#[test]
fn render_is_ignored_and_prefix_operators_match_term_starts() {
    let c = case();
    let q =
        "print u = 'GET /admin/login.php' | project a = u hasprefix 'adm', b = u hassuffix 'php', \
             d = u hasprefix 'dmin', e = u !hassuffix_cs 'PHP' | render table";
    let r = compiled(&c, q);
    assert!(r.notes.iter().any(|n| n.contains("render is ignored")));
    assert_eq!(rows(&c, q), [["true", "true", "false", "true"]]);
}

#[test]
fn sentinel_time_placeholders_read_the_case_window() {
    let c = case();
    let q = "L | where TimeGenerated between (todatetime('{{StartTimeISO}}') .. todatetime('{{EndTimeISO}}')) | count";
    assert_eq!(rows(&c, q), [["4"]]);
    let e = compile("L | where K == '{{Tenant}}'", &c.catalog().unwrap()).unwrap_err();
    assert!(
        e.to_string().contains("unknown placeholder `{{Tenant}}`"),
        "{e}"
    );
}

#[test]
fn text_time_and_dynamic_functions() {
    let c = case();
    let q = "print s = '  Hello World  ', t = datetime(2025-01-01 10:30:00) \
             | project a = trim(' ', s), b = indexof(s, 'World'), c = replace_regex('a1b22', '[0-9]+', '#'), \
               d = format_datetime(t, 'yyyy-MM-dd HH:mm'), e = datetime_diff('minute', t, datetime(2025-01-01 10:00:00)), \
               f = tostring(parse_url('https://x.example.com:8443/p?q=1').Host), g = array_length(pack_array(1, 2, 3)), \
               h = set_has_element(dynamic(['a', 'b']), 'b'), i = tostring(extract_all('([0-9]+)', 'a1b22'))";
    assert_eq!(
        rows(&c, q),
        [[
            "Hello World",
            "8",
            "a#b#",
            "2025-01-01 10:30",
            "30",
            "x.example.com",
            "3",
            "true",
            "[\"1\",\"22\"]"
        ]]
    );
}

#[test]
fn prev_and_next_read_neighbouring_serialized_rows() {
    let c = case();
    let q = "L | sort by V asc | extend Before = prev(V), After = next(V, 1, 0), N = row_number() | project V, Before, After, N";
    assert_eq!(
        rows(&c, q),
        [
            ["1", "null", "2", "1"],
            ["2", "1", "3", "2"],
            ["3", "2", "4", "3"],
            ["4", "3", "0", "4"]
        ]
    );
    let e = compile("L | extend p = prev(V)", &c.catalog().unwrap()).unwrap_err();
    assert!(e.to_string().contains("needs serialized rows"), "{e}");
    assert_eq!(
        rows(
            &c,
            "L | serialize | extend n = row_number(10) | summarize max(n)"
        ),
        [["13"]]
    );
}

#[test]
fn parse_regex_kind_and_ipv4_lookup() {
    let c = case();
    let q = r#"print m = "user=alice id=42" | parse kind=regex m with "user=" U:string " id=" Id:long | project U, Id"#;
    assert_eq!(rows(&c, q), [["alice", "42"]]);
    let q = "let nets = datatable(Network:string, Site:string)['10.0.0.0/24', 'HQ', '192.168.0.0/16', 'Lab']; \
             union Up, Low | extend Ip = coalesce(SourceIP, SourceIp) | evaluate ipv4_lookup(nets, Ip, Network) | project Ip, Site";
    assert_eq!(flat(rows(&c, q)), ["10.0.0.1|HQ", "10.0.0.2|HQ"]);
}

#[test]
fn null_keys_join_and_integer_arithmetic_follow_kusto() {
    let c = case();
    let q = "datatable(k:long, a:string)[1, 'x', long(null), 'n'] \
             | join kind=inner (datatable(k:long, b:string)[long(null), 'm', 1, 'y']) on k | project a, b";
    assert_eq!(flat(rows(&c, q)), ["n|m", "x|y"]);
    let q = "print a = -7 % 3, b = 7 / 2, c = -7 / 2, d = 1 / 0";
    assert_eq!(rows(&c, q), [["2", "3", "-3", "null"]]);
}

#[test]
fn make_series_fills_empty_bins_with_the_default() {
    let c = case();
    let q = "L | make-series n = count() default = 0 on TimeGenerated from datetime(2025-01-01 10:00:00) to datetime(2025-01-01 10:04:00) step 1m by K \
             | where K == 'a' | project K, n, TimeGenerated";
    assert_eq!(
        rows(&c, q),
        [[
            "a",
            "[1,1,0,0]",
            "[\"2025-01-01T10:00:00Z\",\"2025-01-01T10:01:00Z\",\"2025-01-01T10:02:00Z\",\"2025-01-01T10:03:00Z\"]"
        ]]
    );
    let q = "L | make-series total = sum(V) on TimeGenerated in range(datetime(2025-01-01 10:00:00), datetime(2025-01-01 10:04:00), 2m) \
             | extend s = series_stats_dynamic(total) | project total, max = toint(s.max), sum = array_sum(total)";
    assert_eq!(rows(&c, q), [["[3,7]", "7", "10.0"]]);
}

#[test]
fn mv_apply_runs_the_subquery_per_row() {
    let c = case();
    let q = "datatable(host:string, ports:dynamic)['a', dynamic([22, 80, 443]), 'b', dynamic([8080, 21])] \
             | mv-apply p = ports to typeof(long) on (top 2 by p desc | summarize Top = make_list(p)) \
             | project host, Top";
    assert_eq!(flat(rows(&c, q)), ["a|[443,80]", "b|[8080,21]"]);
    let q = "datatable(host:string, ports:dynamic)['a', dynamic([22, 80, 443])] \
             | mv-apply p = ports to typeof(long) on (where p > 50 | extend q = p * 2) | project host, p, q";
    assert_eq!(flat(rows(&c, q)), ["a|443|886", "a|80|160"]);
    let e = compile("L | mv-apply x = V on (join R on K)", &c.catalog().unwrap()).unwrap_err();
    assert!(e.to_string().contains("inside mv-apply"), "{e}");
}

#[test]
fn search_finds_terms_in_any_string_column() {
    let c = case();
    assert_eq!(flat(rows(&c, "L | search \"b\" | project V")), ["3"]);
    assert_eq!(
        flat(rows(&c, "R | search W:\"y\" or \"c\" | project W")),
        ["y", "z"]
    );
    let r = flat(rows(&c, "search in (L, R) \"a\" | project K, T = $table"));
    assert_eq!(r, ["a|L", "a|L", "a|R", "a|R"]);
    let r = flat(rows(&c, "search \"10.0.0.2\" | project SourceIp"));
    assert_eq!(r, ["10.0.0.2"]);
}

#[test]
fn top_nested_keeps_the_top_values_per_parent() {
    let c = case();
    c.conn()
        .execute_batch(
            "CREATE TABLE F (Src VARCHAR, Port INTEGER);
             INSERT INTO F VALUES ('a', 22), ('a', 22), ('a', 80), ('a', 443), ('a', 443), ('a', 443),
               ('b', 53), ('b', 53), ('c', 1);",
        )
        .unwrap();
    let q = "F | top-nested 2 of Src by count(), top-nested 1 of Port by Hits = count()";
    let r = compiled(&c, q);
    let names: Vec<&str> = r.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Src", "aggregated_Src", "Port", "Hits"]);
    assert_eq!(flat(rows(&c, q)), ["a|6|443|3", "b|2|53|2"]);
}

#[test]
fn views_and_functions_without_parameters_read_as_tables() {
    let c = case();
    let q = "let busy = view () { L | where V > 2 }; busy | union R | count";
    assert_eq!(rows(&c, q), [["6"]]);
}

#[test]
fn tables_are_read_with_only_the_columns_the_query_reads() {
    let c = case();
    // TimeGenerated is read by no operator: neither side of the join binds it.
    let q = "L | where V > 0 | join kind=inner (R | where W != 'e') on K | project V, W";
    let sql = compiled(&c, q).sql;
    assert!(!sql.contains("TimeGenerated"), "{sql}");
    assert_eq!(flat(rows(&c, q)), ["1|x", "1|y", "2|x", "2|y"]);
    // The right key still gets its suffix: the left key it clashes with is kept.
    let q = "L | join kind=inner R on K | project K1";
    assert_eq!(compiled(&c, q).columns[0].name, "K1");
    assert_eq!(flat(rows(&c, q)), ["", "a", "a", "a", "a"]);
    // A union's legs are narrowed the same way.
    let q = "union L, R | where K != '' | project K";
    let sql = compiled(&c, q).sql;
    assert!(!sql.contains("\"V\"") && !sql.contains("\"W\""), "{sql}");
}

#[test]
fn drill_down_input_and_unnamed_reads_keep_every_column() {
    let c = case();
    // A run reads the columns the query names; drill-down shows the rows the last
    // summarize grouped with all their columns.
    let q = "L | where V > 1 | summarize count() by K";
    let input = |c: Compiled| {
        let info = c.last_summarize.unwrap();
        let names: Vec<String> = info.input_columns.into_iter().map(|c| c.name).collect();
        names.join(",")
    };
    assert_eq!(input(compiled(&c, q)), "K,V");
    let catalog = c.catalog().unwrap();
    assert_eq!(
        input(compile_drillable(q, &catalog, &[]).unwrap()),
        "TimeGenerated,K,V"
    );
    // `arg_max(V, *)` reads columns it does not name.
    // `column_ifexists` names its column in a string.
    assert_eq!(
        flat(rows(
            &c,
            "L | extend w = column_ifexists('V', 0) | project w"
        )),
        ["1", "2", "3", "4"]
    );
    // `distinct *` compares whole rows, so it reads them whole.
    assert_eq!(
        flat(rows(&c, "let d = L | distinct *; d | project V")),
        ["1", "2", "3", "4"]
    );
    let q = "let m = L | summarize arg_max(V, *) by K; m | project TimeGenerated, K";
    assert_eq!(
        flat(rows(&c, q)),
        [
            "2025-01-01T10:01:00Z|a",
            "2025-01-01T10:02:00Z|b",
            "2025-01-01T10:03:00Z|"
        ]
    );
    // A let pipeline ending in summarize narrows its table; the main one, read whole,
    // does not.
    let q = "let k = L | summarize by K; R | join kind=leftsemi k on K";
    let c2 = compiled(&c, q);
    assert_eq!(c2.columns.len(), 3, "{}", c2.sql);
}

#[test]
fn a_costly_column_that_filters_read_twice_is_computed_once() {
    let c = case();
    let q = "L | extend h = extract('(a+)', 1, K), n = extract('(b)', 1, K) \
             | where isnotempty(h) and h != 'x' | where n == '' | project V";
    let sql = compiled(&c, q).sql;
    // `h` is read twice by the filters, `n` once.
    assert_eq!(sql.matches("quarry_once(").count(), 1, "{sql}");
    assert_eq!(flat(rows(&c, q)), ["1", "2"]);
    let (text, null_text, flag, null_flag): (String, Option<String>, bool, Option<bool>) = c
        .conn()
        .query_row(
            "SELECT quarry_once('a long enough string'), quarry_once(NULL::VARCHAR), \
             quarry_once(true), quarry_once(NULL::BOOLEAN)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (text.as_str(), null_text, flag, null_flag),
        ("a long enough string", None, true, None)
    );
}

#[test]
fn a_key_kept_non_empty_is_joined_by_plain_equality() {
    let c = case();
    // Without the `where`, L's null key matches R's '' (`4|||e` above); with it, no key is
    // empty on the left and plain equality gives the same answer.
    let q = "L | where isnotempty(K) and V > 0 | join kind=inner R on K | project V, W";
    let sql = compiled(&c, q).sql;
    assert!(sql.contains(r#"l."K" = r."K""#), "{sql}");
    assert_eq!(flat(rows(&c, q)), ["1|x", "1|y", "2|x", "2|y"]);
    let q = "L | where V > 0 | join kind=inner R on K | project V, W";
    assert!(compiled(&c, q).sql.contains("coalesce(l.\"K\", '')"));
    assert_eq!(flat(rows(&c, q)).len(), 5);
}

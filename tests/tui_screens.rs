//! The workbench without a terminal or a database: the state machine driven by key events
//! and worker replies, and insta snapshots of every screen drawn on ratatui's TestBackend.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use quarry::hunts::run::{RunResult, Status};
use quarry::investigate::entity::{Entity, EntityKind};
use quarry::investigate::findings::{Finding, NewFinding, Severity};
use quarry::investigate::pivot::{HuntMatch, IntelMatch, Pivot, TableMatches};
use quarry::investigate::timeline::Timeline;
use quarry::kql::{ColumnDef, KqlType};
use quarry::tui::app::{App, Effect, Focus, DEBOUNCE};
use quarry::tui::protocol::{HuntRow, ParamRow, Reply, Request};
use quarry::tui::theme::Theme;
use quarry::tui::view::draw;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::json;

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn ready() -> Reply {
    let hunt = |id: &str, name: &str, tactics: &str| HuntRow {
        id: id.into(),
        name: name.into(),
        tactics: tactics.into(),
        previous_hits: None,
        description: format!("{name}: what it finds."),
        techniques: "T1046".into(),
        query: "// demo\nlet threshold = 5;\nT | where Port > threshold | summarize count() by Src"
            .into(),
    };
    Reply::Ready {
        case: "/cases/demo.duckdb".into(),
        clock: "2025-11-20 12:00:00Z".into(),
        hunts: vec![
            (
                hunt("probe", "Blocked probing of uncommon ports", "Discovery"),
                vec![ParamRow {
                    name: "threshold".into(),
                    ty: KqlType::Long,
                    default: "5".into(),
                    description: "distinct refused ports".into(),
                }],
            ),
            (
                hunt("quiet", "A hunt with nothing to say", "Exfiltration"),
                Vec::new(),
            ),
        ],
        notice: Some("The case was empty, so quarry loaded the bundled sample logs.".into()),
        broken: Vec::new(),
        history: vec!["T | take 1".into()],
        tables: "9 tables, 31266 rows".into(),
        window: "all time".into(),
    }
}

fn result(id: &str, hits: usize) -> Box<RunResult> {
    Box::new(RunResult {
        id: id.into(),
        name: id.into(),
        status: if hits > 0 { Status::Hits } else { Status::NoHits },
        hit_count: hits,
        elapsed_ms: 12,
        params: Vec::new(),
        columns: vec![
            ColumnDef { name: "SrcIpAddr".into(), ty: KqlType::String },
            ColumnDef { name: "PortCount".into(), ty: KqlType::Long },
            ColumnDef { name: "Note".into(), ty: KqlType::String },
        ],
        hits: (0..hits)
            .map(|i| json!({"SrcIpAddr": format!("10.0.0.{i}"), "PortCount": 12 - i, "Note": "evil\u{1b}[31m red \u{7}"}))
            .collect(),
        error: None,
        notes: Vec::new(),
        sql: "SELECT 1".into(),
        reuse: quarry::hunts::cache::Reuse::NotApplicable,
    })
}

/// The SrcIpAddr of every hit the hunt shows, in order.
fn shown_addresses(h: &quarry::tui::app::HuntState) -> Vec<String> {
    (0..h.shown())
        .filter_map(|i| h.hit_at(i))
        .map(|hit| hit["SrcIpAddr"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// An app with both hunts finished.
fn app() -> (App, Instant) {
    let now = Instant::now();
    let mut app = App::default();
    let effects = app.on_reply(ready(), now);
    assert!(matches!(&effects[..], [Effect::Send(Request::RunAll(jobs))] if jobs.len() == 2));
    app.on_reply(
        Reply::Finished {
            result: result("probe", 3),
            generation: 1,
            cancelled: false,
        },
        now,
    );
    app.on_reply(
        Reply::Finished {
            result: result("quiet", 0),
            generation: 1,
            cancelled: false,
        },
        now,
    );
    (app, now)
}

fn screen(app: &App, now: Instant, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(f, app, &Theme::plain(), now)).unwrap();
    format!("{}", t.backend())
}

#[test]
fn main_screen_shows_hunts_hits_and_parameters() {
    let (app, now) = app();
    let s = screen(&app, now, 100, 24);
    assert!(
        !s.contains('\u{1b}'),
        "escape sequences must not reach the screen"
    );
    insta::assert_snapshot!("main", s);
}

#[test]
fn help_is_generated_from_the_keymap() {
    let (mut app, now) = app();
    app.on_key(key(KeyCode::Char('?')), now);
    assert!(app.help);
    insta::assert_snapshot!("help", screen(&app, now, 100, 40));
    app.on_key(key(KeyCode::Esc), now);
    assert!(!app.help);
}

#[test]
fn a_tiny_terminal_gets_a_notice_not_a_panic() {
    let (app, now) = app();
    for (w, h) in [(20, 5), (39, 9), (1, 1)] {
        let s = screen(&app, now, w, h);
        assert!(s.contains("too") || w < 10, "{s}");
    }
    insta::assert_snapshot!("too_small", screen(&app, now, 30, 6));
}

#[test]
fn focus_navigation_and_drill_down() {
    let (mut app, now) = app();
    assert_eq!(app.focus(), Focus::Hunts);
    app.on_key(key(KeyCode::Tab), now);
    assert_eq!(app.focus(), Focus::Hits);
    app.on_key(key(KeyCode::Char('j')), now);
    app.on_key(key(KeyCode::Char('G')), now);
    assert_eq!(app.current().unwrap().hit, 2);
    app.on_key(key(KeyCode::Char('g')), now);
    let effects = app.on_key(key(KeyCode::Enter), now);
    match &effects[..] {
        [Effect::Send(Request::Drill { hunt, hit, .. })] => {
            assert_eq!(hunt, "probe");
            assert_eq!(hit["SrcIpAddr"], "10.0.0.0");
        }
        other => panic!("{other:?}"),
    }
    assert!(app.drill.as_ref().unwrap().loading);
    app.on_reply(
        Reply::Drilled {
            hunt: "probe".into(),
            predicate: "SrcIpAddr == \"10.0.0.0\"".into(),
            columns: vec![
                "TimeGenerated".into(),
                "DstPortNumber".into(),
                "Empty".into(),
            ],
            rows: vec![
                vec!["2025-11-20T09:14:05Z".into(), "21".into(), String::new()],
                vec!["2025-11-20T09:14:12Z".into(), "22".into(), String::new()],
            ],
            more: false,
            offset: 0,
        },
        now,
    );
    insta::assert_snapshot!("drill", screen(&app, now, 100, 16));
    app.on_key(key(KeyCode::Down), now);
    app.on_key(key(KeyCode::Enter), now);
    assert_eq!(app.drill.as_ref().unwrap().detail, Some(1));
    insta::assert_snapshot!("event_detail", screen(&app, now, 100, 12));
    app.on_key(key(KeyCode::Esc), now);
    app.on_key(key(KeyCode::Esc), now);
    assert!(app.drill.is_none());
    app.on_key(key(KeyCode::Esc), now);
    assert_eq!(app.focus(), Focus::Hunts);
}

#[test]
fn editing_a_threshold_validates_then_reruns_after_the_debounce() {
    let (mut app, now) = app();
    app.on_key(key(KeyCode::BackTab), now);
    assert_eq!(app.focus(), Focus::Params);
    app.on_key(key(KeyCode::Enter), now);
    app.on_key(key(KeyCode::Backspace), now);
    for c in "lots".chars() {
        app.on_key(key(KeyCode::Char(c)), now);
    }
    app.on_key(key(KeyCode::Enter), now);
    let err = app.editing.as_ref().unwrap().error.clone().unwrap();
    assert!(err.contains("takes a long"), "{err}");
    insta::assert_snapshot!("param_error", screen(&app, now, 100, 24));
    for _ in 0..4 {
        app.on_key(key(KeyCode::Backspace), now);
    }
    app.on_key(key(KeyCode::Char('9')), now);
    app.on_key(key(KeyCode::Enter), now);
    assert!(app.editing.is_none());
    // Nothing runs before the debounce; exactly one run after it.
    assert!(app.tick(now + DEBOUNCE / 2).is_empty());
    let effects = app.tick(now + DEBOUNCE + Duration::from_millis(1));
    match &effects[..] {
        [Effect::Send(Request::Run {
            hunt,
            overrides,
            generation,
        })] => {
            assert_eq!(hunt, "probe");
            assert_eq!(overrides, &vec![("threshold".to_string(), "9".to_string())]);
            assert_eq!(*generation, 2);
        }
        other => panic!("{other:?}"),
    }
    assert!(app.tick(now + DEBOUNCE * 3).is_empty());
}

#[test]
fn a_newer_run_cancels_the_running_one_and_stale_results_are_dropped() {
    let (mut app, now) = app();
    app.on_key(key(KeyCode::Char('r')), now);
    app.on_reply(
        Reply::Started {
            hunt: "probe".into(),
            generation: 2,
        },
        now,
    );
    let effects = app.on_key(key(KeyCode::Char('r')), now);
    assert!(
        matches!(effects.first(), Some(Effect::Cancel)),
        "{effects:?}"
    );
    // The interrupted generation-2 run reports back: ignored.
    app.on_reply(
        Reply::Finished {
            result: result("probe", 7),
            generation: 2,
            cancelled: true,
        },
        now,
    );
    assert_eq!(app.current().unwrap().result.as_ref().unwrap().hit_count, 3);
    app.on_reply(
        Reply::Finished {
            result: result("probe", 1),
            generation: 3,
            cancelled: false,
        },
        now,
    );
    let h = app.current().unwrap();
    assert_eq!(h.result.as_ref().unwrap().hit_count, 1);
    assert_eq!(quarry::tui::app::hit_label(h, now), "1 hits (-2)");
}

#[test]
fn filter_sort_and_the_hunt_detail_screen() {
    let (mut app, now) = app();
    app.on_key(key(KeyCode::Tab), now);
    app.on_key(key(KeyCode::Char('/')), now);
    for c in "0.0.1".chars() {
        app.on_key(key(KeyCode::Char(c)), now);
    }
    app.on_key(key(KeyCode::Enter), now);
    let h = app.current().unwrap();
    assert_eq!(shown_addresses(h), ["10.0.0.1"]);
    // Drilling into the only visible hit sends that hit, not the first of all.
    let effects = app.on_key(key(KeyCode::Enter), now);
    assert!(
        matches!(&effects[..], [Effect::Send(Request::Drill { hit, .. })] if hit["SrcIpAddr"] == "10.0.0.1")
    );
    app.drill = None;
    app.on_key(key(KeyCode::Char('/')), now);
    app.on_key(key(KeyCode::Esc), now);
    assert!(app.current().unwrap().filter.is_empty());
    app.on_key(key(KeyCode::Char('s')), now);
    app.on_key(key(KeyCode::Char('s')), now);
    assert_eq!(app.current().unwrap().sort, Some((1, false)));
    assert_eq!(
        shown_addresses(app.current().unwrap()),
        ["10.0.0.2", "10.0.0.1", "10.0.0.0"]
    );
    app.on_key(KeyEvent::new(KeyCode::Char('S'), KeyModifiers::SHIFT), now);
    assert_eq!(
        shown_addresses(app.current().unwrap()),
        ["10.0.0.0", "10.0.0.1", "10.0.0.2"]
    );
    insta::assert_snapshot!("sorted", screen(&app, now, 100, 12));
    app.on_key(key(KeyCode::Char('i')), now);
    assert!(app.detail);
    insta::assert_snapshot!("hunt_detail", screen(&app, now, 100, 20));
    app.on_key(key(KeyCode::Esc), now);
    assert!(!app.detail);
}

#[test]
fn a_large_result_is_shown_a_page_at_a_time() {
    let (mut app, now) = app();
    // The worker kept 5000 hits and sent the first 1000.
    let mut big = result("probe", 1000);
    big.hit_count = 5000;
    app.on_reply(
        Reply::Finished {
            result: big,
            generation: 1,
            cancelled: false,
        },
        now,
    );
    let h = app.current().unwrap();
    assert!(h.paged());
    assert_eq!(h.shown(), 5000);
    assert!(
        app.tick(now).is_empty(),
        "the first page covers the top of the list"
    );
    assert!(screen(&app, now, 100, 12).contains("(1 of 5000)"));

    // Far down the list, the view asks for the page around the selected hit and draws
    // placeholders until it comes.
    app.hunts[0].hit = 4000;
    let asked = app.tick(now);
    let query = match &asked[..] {
        [Effect::Send(Request::Hits {
            hunt,
            generation: 1,
            query,
            ..
        })] if hunt == "probe" => query.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!((query.offset, query.limit), (3500, 1000));
    assert!(app.tick(now).is_empty(), "asked once");
    assert!(screen(&app, now, 100, 12).contains('…'));
    let rows = (3500..4500)
        .map(|i| json!({"SrcIpAddr": format!("10.1.{}.{}", i / 256, i % 256), "PortCount": 1, "Note": ""}))
        .collect();
    app.on_reply(
        Reply::Hits {
            hunt: "probe".into(),
            generation: 1,
            query: query.clone(),
            page: quarry::hunts::pages::Page {
                start: 3500,
                rows,
                total: 5000,
            },
        },
        now,
    );
    let h = app.current().unwrap();
    assert_eq!(h.selected_hit().unwrap()["SrcIpAddr"], "10.1.15.160");
    assert!(app.tick(now).is_empty());

    // A filter goes to the worker; a page for an older filter is dropped.
    app.on_key(key(KeyCode::Tab), now);
    app.on_key(key(KeyCode::Char('/')), now);
    app.on_key(key(KeyCode::Char('x')), now);
    let asked = app.tick(now);
    let query = match &asked[..] {
        [Effect::Send(Request::Hits { query, .. })] => query.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!((query.filter.as_str(), query.offset), ("x", 0));
    let stale = quarry::hunts::pages::PageQuery {
        filter: String::new(),
        ..query.clone()
    };
    let page = |total| quarry::hunts::pages::Page {
        start: 0,
        rows: vec![json!({"SrcIpAddr": "10.9.9.9", "PortCount": 2, "Note": "x"})],
        total,
    };
    app.on_reply(
        Reply::Hits {
            hunt: "probe".into(),
            generation: 1,
            query: stale,
            page: page(7),
        },
        now,
    );
    assert_ne!(app.current().unwrap().shown(), 7);
    app.on_reply(
        Reply::Hits {
            hunt: "probe".into(),
            generation: 1,
            query,
            page: page(1),
        },
        now,
    );
    let h = app.current().unwrap();
    assert_eq!((h.shown(), h.hit), (1, 0));
    assert_eq!(shown_addresses(h), ["10.9.9.9"]);
}

#[test]
fn the_console_runs_queries_and_recalls_history() {
    let (mut app, now) = app();
    app.on_key(key(KeyCode::Char('c')), now);
    for ch in "T | count".chars() {
        app.on_key(key(KeyCode::Char(ch)), now);
    }
    // `q` is typed, not quit, while the console has the keyboard.
    assert!(!app.quit);
    let effects = app.on_key(key(KeyCode::Enter), now);
    assert!(matches!(&effects[..], [Effect::Send(Request::Console(q))] if q == "T | count"));
    app.on_reply(
        Reply::Console {
            columns: vec!["Count".into()],
            rows: vec![vec!["42".into()]],
            more: false,
            error: None,
            elapsed_ms: 3,
        },
        now,
    );
    insta::assert_snapshot!("console", screen(&app, now, 80, 12));
    app.on_key(key(KeyCode::Up), now);
    assert_eq!(app.console.as_ref().unwrap().input, "T | count");
    app.on_key(key(KeyCode::Up), now);
    assert_eq!(app.console.as_ref().unwrap().input, "T | take 1");
    app.on_key(key(KeyCode::Down), now);
    app.on_key(key(KeyCode::Down), now);
    assert_eq!(app.console.as_ref().unwrap().input, "");
    app.on_reply(
        Reply::Console {
            columns: Vec::new(),
            rows: Vec::new(),
            more: false,
            error: Some("1:5: unknown table `X`\n  T | X\n      ^".into()),
            elapsed_ms: 1,
        },
        now,
    );
    assert!(screen(&app, now, 80, 12).contains("unknown table"));
    app.on_key(key(KeyCode::Esc), now);
    assert!(app.console.is_none());
    assert_eq!(app.history.len(), 2);
}

#[test]
fn watchlist_edits_go_to_the_worker_and_rerun_the_hunts_that_read_them() {
    let (mut app, now) = app();
    app.hunts[1].row.query = "_GetWatchlist('SanctionedScanners') | count".into();
    let effects = app.on_key(key(KeyCode::Char('w')), now);
    assert!(matches!(&effects[..], [Effect::Send(Request::Watchlists)]));
    let lists = scanners();
    app.on_reply(
        Reply::Watchlists {
            lists: lists.clone(),
            changed: None,
        },
        now,
    );
    insta::assert_snapshot!("watchlists", screen(&app, now, 90, 12));
    app.on_key(key(KeyCode::Char('a')), now);
    for c in "Host=scan02, Process=nmap".chars() {
        app.on_key(key(KeyCode::Char(c)), now);
    }
    let effects = app.on_key(key(KeyCode::Enter), now);
    match &effects[..] {
        [Effect::Send(Request::WatchlistAdd { name, pairs })] => {
            assert_eq!(name, "SanctionedScanners");
            assert_eq!(
                pairs,
                &vec![
                    ("Host".to_string(), "scan02".to_string()),
                    ("Process".to_string(), "nmap".to_string())
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    let effects = app.on_reply(
        Reply::Watchlists {
            lists,
            changed: Some("SanctionedScanners".into()),
        },
        now,
    );
    assert!(
        matches!(&effects[..], [Effect::Send(Request::Run { hunt, .. })] if hunt == "quiet"),
        "{effects:?}"
    );
    let effects = app.on_key(key(KeyCode::Char('x')), now);
    assert!(
        matches!(&effects[..], [Effect::Send(Request::WatchlistRemove { key, .. })] if key == "vulnscan01")
    );
    app.on_key(key(KeyCode::Esc), now);
    assert!(app.watchlists.is_none());
}

#[test]
fn load_prompt_completes_paths_and_reruns_every_hunt_after_a_load() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("firewall-logs")).unwrap();
    let typed = format!("{}/fire", dir.path().display());
    assert_eq!(
        quarry::tui::app::complete_path(&typed),
        format!("{}/firewall-logs/", dir.path().display())
    );
    let (mut app, now) = app();
    app.on_key(KeyEvent::new(KeyCode::Char('L'), KeyModifiers::SHIFT), now);
    assert_eq!(app.prompt.as_ref().map(|p| p.text.as_str()), Some(""));
    for c in typed.chars() {
        app.on_key(key(KeyCode::Char(c)), now);
    }
    app.on_key(key(KeyCode::Tab), now);
    assert!(
        app.prompt
            .as_ref()
            .unwrap()
            .text
            .ends_with("firewall-logs/"),
        "{:?} {typed}",
        app.prompt.as_ref().map(|p| p.text.clone())
    );
    let effects = app.on_key(key(KeyCode::Enter), now);
    assert!(
        matches!(&effects[..], [Effect::Send(Request::Load(p))] if p.ends_with("firewall-logs/"))
    );
    app.on_reply(
        Reply::LoadProgress {
            done: 50,
            total: 200,
            file: "fw.cef.log".into(),
        },
        now,
    );
    assert!(screen(&app, now, 90, 10).contains("25%  fw.cef.log"));
    let effects = app.on_reply(
        Reply::Loaded {
            summary: vec![
                "Loaded fw.cef.log → CommonSecurityLog: read 3, loaded 3, rejected 0".into(),
                "total: read 3, loaded 3, rejected 0".into(),
            ],
            clock: "2025-11-21 00:00:00Z".into(),
            tables: "10 tables, 31269 rows".into(),
        },
        now,
    );
    assert!(matches!(&effects[..], [Effect::Send(Request::RunAll(jobs))] if jobs.len() == 2));
    assert_eq!(app.clock, "2025-11-21 00:00:00Z");
    assert!(
        app.load_progress.is_none(),
        "the gauge closes when the load ends"
    );
    insta::assert_snapshot!("load_summary", screen(&app, now, 90, 10));
    app.on_key(key(KeyCode::Char('j')), now);
    assert!(app.load_summary.is_none());
}

#[test]
fn export_prompts_for_a_path_and_copy_puts_the_row_on_the_clipboard() {
    let (mut app, now) = app();
    app.on_key(key(KeyCode::Char('e')), now);
    assert_eq!(app.prompt.as_ref().unwrap().text, "probe.csv");
    for _ in 0..3 {
        app.on_key(key(KeyCode::Backspace), now);
    }
    for c in "parquet".chars() {
        app.on_key(key(KeyCode::Char(c)), now);
    }
    let effects = app.on_key(key(KeyCode::Enter), now);
    match &effects[..] {
        [Effect::Send(Request::Export { sql, path })] => {
            assert_eq!(path, "probe.parquet");
            assert_eq!(sql, "SELECT 1");
        }
        other => panic!("{other:?}"),
    }
    app.on_key(key(KeyCode::Tab), now);
    let effects = app.on_key(key(KeyCode::Char('y')), now);
    match &effects[..] {
        [Effect::Copy(text)] => assert!(text.contains("\"SrcIpAddr\":\"10.0.0.0\""), "{text}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(quarry::tui::base64(b"quarry"), "cXVhcnJ5");
    assert_eq!(quarry::tui::base64(b"ab"), "YWI=");
}

#[test]
fn the_command_palette_finds_and_runs_actions_by_name() {
    let (mut app, now) = app();
    app.on_key(KeyEvent::new(KeyCode::Char(':'), KeyModifiers::SHIFT), now);
    assert!(app.palette.is_some());
    for c in "console".chars() {
        app.on_key(key(KeyCode::Char(c)), now);
    }
    insta::assert_snapshot!("palette", screen(&app, now, 90, 10));
    app.on_key(key(KeyCode::Enter), now);
    assert!(app.palette.is_none());
    assert!(app.console.is_some(), "the palette ran the console action");
    app.on_key(key(KeyCode::Esc), now);
    // Every action but typing ones is in the palette exactly once.
    let all = quarry::tui::keymap::palette_entries(&app.keymap.0, "");
    let mut actions: Vec<String> = all.iter().map(|(a, _, _)| format!("{a:?}")).collect();
    let n = actions.len();
    actions.dedup();
    assert_eq!(actions.len(), n);
    assert!(all.iter().any(|(_, _, h)| h.contains("run every hunt")));
}

#[test]
fn the_clock_prompt_starts_from_the_current_clock() {
    let (mut app, now) = app();
    app.on_key(key(KeyCode::Char('t')), now);
    assert_eq!(app.prompt.as_ref().unwrap().text, "2025-11-20T12:00:00Z");
    for _ in 0.."2025-11-20T12:00:00Z".len() {
        app.on_key(key(KeyCode::Backspace), now);
    }
    for c in "auto".chars() {
        app.on_key(key(KeyCode::Char(c)), now);
    }
    let effects = app.on_key(key(KeyCode::Enter), now);
    assert!(matches!(&effects[..], [Effect::Send(Request::SetClock(t))] if t == "auto"));
}

#[test]
fn the_hunt_list_filters_by_name_or_tactic() {
    let (mut app, now) = app();
    app.on_key(key(KeyCode::Char('/')), now);
    for c in "exfil".chars() {
        app.on_key(key(KeyCode::Char(c)), now);
    }
    assert_eq!(app.visible_hunts(), [1]);
    assert_eq!(app.selected, 1, "the selection moves to a shown hunt");
    app.on_key(key(KeyCode::Enter), now);
    insta::assert_snapshot!("hunt_filter", screen(&app, now, 90, 12));
    app.on_key(key(KeyCode::Char('/')), now);
    app.on_key(key(KeyCode::Esc), now);
    assert_eq!(app.visible_hunts(), [0, 1]);
}

#[test]
fn drill_down_reads_the_next_page_at_the_end() {
    let (mut app, now) = app();
    app.on_key(key(KeyCode::Tab), now);
    app.on_key(key(KeyCode::Enter), now);
    let page = |from: usize, n: usize| -> Vec<Vec<String>> {
        (from..from + n).map(|i| vec![i.to_string()]).collect()
    };
    app.on_reply(
        Reply::Drilled {
            hunt: "probe".into(),
            predicate: "p".into(),
            columns: vec!["n".into()],
            rows: page(0, 3),
            more: true,
            offset: 0,
        },
        now,
    );
    assert!(app.on_key(key(KeyCode::Down), now).is_empty());
    // Reaching the last loaded row asks for the next page once.
    let effects = app.on_key(key(KeyCode::Down), now);
    assert!(
        app.on_key(key(KeyCode::Down), now).is_empty(),
        "one request at a time"
    );
    assert!(
        matches!(
            &effects[..],
            [Effect::Send(Request::Drill { offset: 3, .. })]
        ),
        "{effects:?}"
    );
    app.on_reply(
        Reply::Drilled {
            hunt: "probe".into(),
            predicate: "p".into(),
            columns: vec!["n".into()],
            rows: page(3, 2),
            more: false,
            offset: 3,
        },
        now,
    );
    let d = app.drill.as_ref().unwrap();
    assert_eq!(d.rows.len(), 5);
    assert_eq!(d.rows[4], vec!["4".to_string()]);
    app.on_key(key(KeyCode::Char('G')), now);
    assert!(
        app.on_key(key(KeyCode::Down), now).is_empty(),
        "no page after the last"
    );
}

#[test]
fn keys_can_be_rebound_in_the_settings_file() {
    let config = quarry::tui::config::Config::parse(
        "theme = \"light\"\n[keys]\nrun = \"x\"\nconsole = \"F2\"\n",
    )
    .unwrap();
    assert_eq!(config.theme.as_deref(), Some("light"));
    let (mut app, now) = app();
    app.keymap.rebind(&config.key_pairs()).unwrap();
    let effects = app.on_key(key(KeyCode::Char('x')), now);
    assert!(
        matches!(&effects[..], [Effect::Send(Request::Run { .. })]),
        "{effects:?}"
    );
    assert!(
        app.on_key(key(KeyCode::Char('r')), now).is_empty(),
        "the old key is free"
    );
    app.on_key(key(KeyCode::F(2)), now);
    assert!(app.console.is_some());
    let mut keymap = quarry::tui::keymap::Keymap::default();
    let e = keymap.rebind(&[("launch".into(), "x".into())]).unwrap_err();
    assert!(e.contains("unknown action `launch`"), "{e}");
    let e = keymap
        .rebind(&[("run".into(), "Hyper-x".into())])
        .unwrap_err();
    assert!(e.contains("cannot read the key"), "{e}");
    assert!(quarry::tui::config::Config::parse("colour = 1").is_err());
}

#[test]
fn the_mouse_selects_and_scrolls_but_is_never_needed() {
    use crossterm::event::{MouseButton, MouseEventKind};
    let (mut app, now) = app();
    let _ = now;
    // Click the second hunt (lines 3-4 of the list) in a 100x24 screen.
    app.on_mouse(MouseEventKind::Down(MouseButton::Left), 5, 3, 100, 24);
    assert_eq!(app.selected, 1);
    app.on_mouse(MouseEventKind::Down(MouseButton::Left), 5, 1, 100, 24);
    assert_eq!(app.selected, 0);
    // The wheel over the hits moves the hit cursor and focuses that pane.
    app.on_mouse(MouseEventKind::ScrollDown, 60, 5, 100, 24);
    assert_eq!(app.focus(), Focus::Hits);
    assert_eq!(app.current().unwrap().hit, 1);
    // A click on the third hit row selects it.
    app.on_mouse(MouseEventKind::Down(MouseButton::Left), 60, 4, 100, 24);
    assert_eq!(app.current().unwrap().hit, 2);
}

#[test]
fn event_detail_pretty_prints_json_and_toggles_empty_fields() {
    let (mut app, now) = app();
    app.on_key(key(KeyCode::Tab), now);
    app.on_key(key(KeyCode::Enter), now);
    app.on_reply(
        Reply::Drilled {
            hunt: "probe".into(),
            predicate: "p".into(),
            columns: vec!["Fields".into(), "Empty".into()],
            rows: vec![vec!["{\"a\":1,\"b\":[2,3]}".into(), String::new()]],
            more: false,
            offset: 0,
        },
        now,
    );
    app.on_key(key(KeyCode::Enter), now);
    let s = screen(&app, now, 80, 14);
    assert!(s.contains("\"b\": ["), "{s}");
    assert!(!s.contains("Empty"), "{s}");
    app.on_key(key(KeyCode::Char('z')), now);
    let s = screen(&app, now, 80, 14);
    assert!(s.contains("Empty"), "{s}");
}

#[test]
fn enter_edits_a_watchlist_row_by_replacing_it() {
    let (mut app, now) = app();
    app.on_key(key(KeyCode::Char('w')), now);
    let lists = scanners();
    app.on_reply(
        Reply::Watchlists {
            lists,
            changed: None,
        },
        now,
    );
    app.on_key(key(KeyCode::Enter), now);
    assert_eq!(
        app.watchlists.as_ref().unwrap().adding.as_deref(),
        Some("Host=vulnscan01, Process=nessusd")
    );
    for _ in 0.."nessusd".len() {
        app.on_key(key(KeyCode::Backspace), now);
    }
    for c in "nmap".chars() {
        app.on_key(key(KeyCode::Char(c)), now);
    }
    let effects = app.on_key(key(KeyCode::Enter), now);
    match &effects[..] {
        [Effect::Send(Request::WatchlistRemove { key, .. }), Effect::Send(Request::WatchlistAdd { pairs, .. })] =>
        {
            assert_eq!(key, "vulnscan01");
            assert_eq!(pairs[1], ("Process".to_string(), "nmap".to_string()));
        }
        other => panic!("{other:?}"),
    }
}

/// A SanctionedScanners watchlist with one row.
fn scanners() -> Vec<quarry::tui::protocol::WatchlistData> {
    vec![quarry::tui::protocol::WatchlistData {
        name: "SanctionedScanners".into(),
        columns: vec!["Host".into(), "Process".into(), "SearchKey".into()],
        rows: vec![vec![
            "vulnscan01".into(),
            "nessusd".into(),
            "vulnscan01".into(),
        ]],
    }]
}

#[test]
fn console_queries_span_lines_and_esc_cancels_a_running_hunt() {
    let (mut app, now) = app();
    app.on_reply(
        Reply::Started {
            hunt: "probe".into(),
            generation: 1,
        },
        now,
    );
    let effects = app.on_key(key(KeyCode::Esc), now);
    assert!(matches!(&effects[..], [Effect::Cancel]), "{effects:?}");
    app.on_key(key(KeyCode::Char('c')), now);
    for c in "T".chars() {
        app.on_key(key(KeyCode::Char(c)), now);
    }
    app.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::ALT), now);
    for c in "| count".chars() {
        app.on_key(key(KeyCode::Char(c)), now);
    }
    let effects = app.on_key(key(KeyCode::Enter), now);
    assert!(
        matches!(&effects[..], [Effect::Send(Request::Console(q))] if q == "T\n| count"),
        "{effects:?}"
    );
}

#[test]
fn marking_a_hit_keeps_it_with_its_run_and_label() {
    let (mut app, now) = app();
    app.on_key(key(KeyCode::Tab), now);
    assert_eq!(app.focus(), Focus::Hits);
    app.on_key(key(KeyCode::Char('m')), now);
    assert!(app.draft.is_some(), "m opens the finding form");
    for c in "c2 beacon".chars() {
        app.on_key(key(KeyCode::Char(c)), now);
    }
    app.on_key(key(KeyCode::Tab), now); // severity
    app.on_key(key(KeyCode::Char('h')), now);
    app.on_key(key(KeyCode::Tab), now); // tags
    for c in "scan, lab".chars() {
        app.on_key(key(KeyCode::Char(c)), now);
    }
    insta::assert_snapshot!("finding_form", screen(&app, now, 100, 24));
    let effects = app.on_key(key(KeyCode::Enter), now);
    match &effects[..] {
        [Effect::Send(Request::MarkHit {
            hunt,
            row,
            label,
            sql,
            ..
        })] => {
            assert_eq!(hunt, "probe");
            assert_eq!(row["SrcIpAddr"], "10.0.0.0");
            assert_eq!(sql, "SELECT 1");
            assert_eq!(label.severity, Severity::High);
            assert_eq!(label.tags, vec!["scan".to_string(), "lab".to_string()]);
            assert_eq!(label.note, "c2 beacon");
        }
        other => panic!("{other:?}"),
    }
    assert!(app.draft.is_none());
}

fn pivot_reply(value: &str) -> Reply {
    let row = json!({"TimeGenerated": "2025-11-20T09:14:05Z", "SourceIP": value,
        "DestinationIP": "203.0.113.45", "DestinationPort": 21, "Message": "deny\u{1b}]52;c;AAAA\u{7}"});
    Reply::Pivoted(Box::new(Pivot {
        entity: Entity::detect(value, None),
        window: "all time".into(),
        tables: vec![TableMatches {
            table: "CommonSecurityLog".into(),
            count: 12,
            first: "2025-11-20T09:14:05Z".into(),
            last: "2025-11-20T09:15:22Z".into(),
            sql: "SELECT * FROM CommonSecurityLog".into(),
            columns: [
                "TimeGenerated",
                "SourceIP",
                "DestinationIP",
                "DestinationPort",
                "Message",
            ]
            .map(String::from)
            .to_vec(),
            rows: vec![row.clone(), row],
        }],
        hunts: vec![
            HuntMatch {
                id: "probe".into(),
                name: "Port probe".into(),
                hits: vec![1],
            },
            HuntMatch {
                id: "sweep".into(),
                name: "Wide sweep".into(),
                hits: (1..=1500).collect(),
            },
        ],
        watchlists: Vec::new(),
        intel: vec![IntelMatch {
            indicator: json!({"ThreatType": "C2", "Description": "beacon"}),
            source: "feed.csv".into(),
            age_days: Some(1.5),
        }],
        timeline: Timeline::from_buckets(60, &[(29_393_834, 5), (29_393_835, 7)]),
    }))
}

#[test]
fn pivot_chooses_a_value_stacks_walks_back_and_zooms_the_window() {
    let (mut app, now) = app();
    app.on_key(key(KeyCode::Tab), now);
    app.on_key(key(KeyCode::Char('p')), now);
    let picker = app.picker.as_ref().expect("p offers the row's values");
    assert_eq!(picker.items[0].0, "SrcIpAddr");
    assert_eq!(picker.items[0].2.kind, EntityKind::Ip);
    let effects = app.on_key(key(KeyCode::Enter), now);
    assert!(
        matches!(&effects[..], [Effect::Send(Request::Pivot(e))] if e.value == "10.0.0.0"),
        "{effects:?}"
    );
    app.on_reply(pivot_reply("10.0.0.0"), now);
    let top = app.pivots.last().unwrap();
    let data = top
        .data
        .as_ref()
        .expect("the reply fills the waiting pivot");
    assert_eq!(data.hunts.len(), 2, "the hunts the worker found are kept");
    assert_eq!(data.hunts[0].id, "probe");
    assert_eq!(data.hunts[0].hits, vec![1]);
    let s = screen(&app, now, 110, 30);
    assert!(
        !s.contains('\u{1b}'),
        "escape sequences must not reach the screen"
    );
    insta::assert_snapshot!("pivot", s);
    // Pivot again from an event: a second pivot on the stack; Esc walks back.
    app.on_key(key(KeyCode::Char('p')), now);
    app.on_key(key(KeyCode::Down), now);
    let effects = app.on_key(key(KeyCode::Enter), now);
    assert!(
        matches!(&effects[..], [Effect::Send(Request::Pivot(e))] if e.value == "203.0.113.45"),
        "{effects:?}"
    );
    assert_eq!(app.pivots.len(), 2);
    app.on_key(key(KeyCode::Esc), now);
    assert_eq!(app.pivots.len(), 1);
    // The timeline's bucket: [ moves back, z narrows the window to it.
    app.on_key(key(KeyCode::Char('[')), now);
    let effects = app.on_key(key(KeyCode::Char('z')), now);
    match &effects[..] {
        [Effect::Send(Request::SetWindow(text))] => {
            assert_eq!(text, "2025-11-20T09:14:00Z .. 2025-11-20T09:15:00Z")
        }
        other => panic!("{other:?}"),
    }
    let effects = app.on_reply(
        Reply::Window("2025-11-20T09:14:00Z .. 2025-11-20T09:15:00Z".into()),
        now,
    );
    assert!(matches!(&effects[..], [Effect::Send(Request::RunAll(_))]));
    assert!(app.pivots.is_empty(), "pivots of the old window are closed");
    assert!(
        screen(&app, now, 120, 24).contains("window 2025-11-20T09:14:00Z .. 2025-11-20T09:15:00Z")
    );
}

#[test]
fn the_findings_screen_lists_edits_and_deletes() {
    let (mut app, now) = app();
    let effects = app.on_key(key(KeyCode::Char('F')), now);
    assert!(matches!(&effects[..], [Effect::Send(Request::Findings)]));
    let finding = Finding {
        id: 4,
        created_at: "2025-11-21T08:00:00Z".into(),
        body: NewFinding {
            severity: Severity::High,
            tags: vec!["scan".into()],
            note: "Scanner on the engineering VLAN.".into(),
            kind: "hit".into(),
            title: "Blocked probing: SrcIpAddr == \"10.0.0.0\"".into(),
            hunt: Some("probe".into()),
            params: vec![("threshold".into(), "5".into())],
            kql: "T".into(),
            sql: "SELECT 1".into(),
            clock: "2025-11-20T12:00:00Z".into(),
            window: "all time".into(),
            rows: vec![json!({"SrcIpAddr": "10.0.0.0", "PortCount": 12})],
            events: vec![json!({"Port": 21})],
        },
    };
    app.on_reply(
        Reply::Findings {
            list: vec![finding],
            notice: None,
        },
        now,
    );
    insta::assert_snapshot!("findings", screen(&app, now, 100, 24));
    app.on_key(key(KeyCode::Enter), now);
    app.on_key(key(KeyCode::Char('!')), now);
    let effects = app.on_key(key(KeyCode::Enter), now);
    match &effects[..] {
        [Effect::Send(Request::EditFinding { id, edit })] => {
            assert_eq!(*id, 4);
            assert_eq!(
                edit.note.as_deref(),
                Some("Scanner on the engineering VLAN.!")
            );
            assert_eq!(edit.severity, Some(Severity::High));
        }
        other => panic!("{other:?}"),
    }
    let effects = app.on_key(key(KeyCode::Char('x')), now);
    assert!(matches!(
        &effects[..],
        [Effect::Send(Request::RemoveFinding(4))]
    ));
    app.on_key(key(KeyCode::Esc), now);
    assert!(app.findings.is_none());
}

#[test]
fn the_coverage_screen_lays_the_hunts_over_attack() {
    let (mut app, now) = app();
    app.on_key(key(KeyCode::Char('M')), now);
    let s = screen(&app, now, 100, 30);
    assert!(s.contains("Discovery (TA0007)"), "{s}");
    assert!(s.contains("probe (3)"), "{s}");
    insta::assert_snapshot!("coverage", s);
    app.on_key(key(KeyCode::Esc), now);
    assert!(app.coverage.is_none());
}

#[test]
fn window_and_report_prompts_send_what_was_typed() {
    let (mut app, now) = app();
    app.on_key(key(KeyCode::Char('W')), now);
    for c in "2025-11-19 .. 2025-11-20".chars() {
        app.on_key(key(KeyCode::Char(c)), now);
    }
    let effects = app.on_key(key(KeyCode::Enter), now);
    assert!(
        matches!(&effects[..], [Effect::Send(Request::SetWindow(t))] if t == "2025-11-19 .. 2025-11-20"),
        "{effects:?}"
    );
    app.on_key(key(KeyCode::Char('P')), now);
    let effects = app.on_key(key(KeyCode::Enter), now);
    assert!(
        matches!(&effects[..], [Effect::Send(Request::Report(p))] if p == "quarry-report.md"),
        "{effects:?}"
    );
}

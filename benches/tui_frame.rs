//! Workbench frame time: drawing the main screen with a 1M-row hits table (only the visible
//! rows are formatted) at 120x40, scrolled to the middle; and the time to filter and sort it.
//! Prints milliseconds; asserts nothing about time. Run: `cargo bench --bench tui_frame`.

use std::time::Instant;

use quarry::hunts::run::{RunResult, Status};
use quarry::kql::{ColumnDef, KqlType};
use quarry::tui::app::App;
use quarry::tui::protocol::{HuntRow, Reply};
use quarry::tui::theme::Theme;
use quarry::tui::view::draw;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::json;

fn main() {
    let rows: usize = std::env::var("QUARRY_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let now = Instant::now();
    let mut app = App::default();
    let hunt = HuntRow {
        id: "big".into(),
        name: "A hunt with a million hits".into(),
        tactics: "Discovery".into(),
        previous_hits: None,
        description: String::new(),
        techniques: String::new(),
        query: String::new(),
    };
    app.on_reply(
        Reply::Ready {
            case: "bench".into(),
            clock: String::new(),
            hunts: vec![(hunt, Vec::new())],
            notice: None,
            broken: Vec::new(),
            history: Vec::new(),
            tables: String::new(),
        },
        now,
    );
    let hits = (0..rows)
        .map(|i| json!({"SrcIpAddr": format!("10.{}.{}.{}", i / 65536 % 256, i / 256 % 256, i % 256), "Port": i % 65536, "Bytes": i * 7}))
        .collect();
    let result = RunResult {
        id: "big".into(),
        name: "big".into(),
        status: Status::Hits,
        hit_count: rows,
        elapsed_ms: 0,
        params: Vec::new(),
        columns: vec![
            ColumnDef {
                name: "SrcIpAddr".into(),
                ty: KqlType::String,
            },
            ColumnDef {
                name: "Port".into(),
                ty: KqlType::Long,
            },
            ColumnDef {
                name: "Bytes".into(),
                ty: KqlType::Long,
            },
        ],
        hits,
        error: None,
        notes: Vec::new(),
        sql: String::new(),
    };
    app.on_reply(
        Reply::Finished {
            result: Box::new(result),
            generation: 1,
            cancelled: false,
        },
        now,
    );
    app.hunts[0].hit = rows / 2;
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let theme = Theme::plain();
    let frames = 20;
    let started = Instant::now();
    for _ in 0..frames {
        terminal.draw(|f| draw(f, &app, &theme, now)).expect("draw");
    }
    let per = started.elapsed().as_secs_f64() * 1e3 / f64::from(frames);
    println!("frame with {rows} hits: {per:.1} ms");
    app.hunts[0].filter = "10.3.".into();
    let started = Instant::now();
    app.hunts[0].refresh_view();
    let shown = app.hunts[0].visible_hits().len();
    println!(
        "filter {rows} hits to {shown}: {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    app.hunts[0].filter.clear();
    app.hunts[0].sort = Some((2, true));
    let started = Instant::now();
    app.hunts[0].refresh_view();
    println!(
        "sort {rows} hits: {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let started = Instant::now();
    for _ in 0..frames {
        terminal.draw(|f| draw(f, &app, &theme, now)).expect("draw");
    }
    let per = started.elapsed().as_secs_f64() * 1e3 / f64::from(frames);
    println!("frame with {rows} hits, sorted: {per:.2} ms");
}

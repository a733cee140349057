//! Workbench frame time with a large hits table (only the visible rows are formatted), at
//! 120x40 scrolled to the middle, and the time to filter and sort it.

use std::time::Instant;

use anyhow::Result;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::json;

use super::table::Table;
use crate::hunts::run::{RunResult, Status};
use crate::kql::{ColumnDef, KqlType};
use crate::tui::app::App;
use crate::tui::protocol::{HuntRow, Reply};
use crate::tui::theme::Theme;
use crate::tui::view::draw;

/// Draws the hits screen holding `rows` hits.
pub fn measure(rows: usize) -> Result<Table> {
    let mut table = Table::new("Workbench with a large result", &["what", "ms"]);
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
            window: "all time".into(),
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
        reuse: crate::hunts::cache::Reuse::NotApplicable,
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
    let mut terminal = Terminal::new(TestBackend::new(120, 40))?;
    let theme = Theme::plain();
    let frames = 20;
    let started = Instant::now();
    for _ in 0..frames {
        terminal.draw(|f| draw(f, &app, &theme, now))?;
    }
    let per = started.elapsed().as_secs_f64() * 1e3 / f64::from(frames);
    table.push(vec![
        format!("frame with {rows} hits (120x40)"),
        format!("{per:.2}"),
    ]);
    app.hunts[0].filter = "10.3.".into();
    let started = Instant::now();
    app.hunts[0].refresh_view();
    let shown = app.hunts[0].visible_hits().len();
    table.push(vec![
        format!("filter {rows} hits to {shown}"),
        format!("{:.1}", started.elapsed().as_secs_f64() * 1e3),
    ]);
    app.hunts[0].filter.clear();
    app.hunts[0].sort = Some((2, true));
    let started = Instant::now();
    app.hunts[0].refresh_view();
    table.push(vec![
        format!("sort {rows} hits"),
        format!("{:.1}", started.elapsed().as_secs_f64() * 1e3),
    ]);
    let started = Instant::now();
    for _ in 0..frames {
        terminal.draw(|f| draw(f, &app, &theme, now))?;
    }
    let per = started.elapsed().as_secs_f64() * 1e3 / f64::from(frames);
    table.push(vec![
        format!("frame with {rows} hits, sorted"),
        format!("{per:.2}"),
    ]);
    Ok(table)
}

/// Start-up on an existing case: the worker opens it and lists the hunts, and the first frame
/// is drawn (what `quarry` does before the analyst sees anything).
pub fn startup(case: &std::path::Path, runs: usize) -> Result<Table> {
    let mut table = Table::new(
        "Workbench start-up on the existing case (ms: median (min–max))",
        &["what", "ms"],
    );
    let mut took = super::stats::Samples::default();
    for _ in 0..runs.max(3) {
        let started = Instant::now();
        let mut handle = crate::tui::worker::spawn(case.to_path_buf(), Vec::new());
        let ready = handle
            .rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .map_err(|e| anyhow::anyhow!("the worker did not answer: {e}"))?;
        anyhow::ensure!(matches!(ready, Reply::Ready { .. }), "{ready:?}");
        let mut app = App::default();
        let now = Instant::now();
        app.on_reply(ready, now);
        let mut terminal = Terminal::new(TestBackend::new(120, 40))?;
        terminal.draw(|f| draw(f, &app, &Theme::plain(), now))?;
        took.0.push(started.elapsed().as_secs_f64());
        handle.stop();
    }
    table.push(vec![
        "open case, list hunts, first frame".into(),
        super::table::ms(&took),
    ]);
    Ok(table)
}

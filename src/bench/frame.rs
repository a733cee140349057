//! Workbench frame time with a large hits table, and the time to filter and sort it. As in
//! the workbench, the hits stay in DuckDB (a temporary table the worker keeps) and the UI
//! holds one page: the frame formats only the visible rows of that page, and filtering or
//! sorting is one page query.

use std::time::Instant;

use anyhow::Result;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::table::Table;
use crate::engine::Case;
use crate::hunts::pages::{self, PageQuery, FIRST_PAGE};
use crate::hunts::run::{RunResult, Status};
use crate::kql::{ColumnDef, KqlType};
use crate::tui::app::App;
use crate::tui::protocol::{HuntRow, Reply};
use crate::tui::theme::Theme;
use crate::tui::view::draw;

/// Draws the hits screen of a result of `rows` hits, and filters and sorts it.
pub fn measure(rows: usize) -> Result<Table> {
    let mut table = Table::new("Workbench with a large result", &["what", "ms"]);
    let now = Instant::now();
    let case = Case::open_in_memory()?;
    let kept = pages::table_for("big");
    pages::keep(
        case.conn(),
        &format!(
            "SELECT '10.' || (i // 65536 % 256) || '.' || (i // 256 % 256) || '.' || (i % 256) AS SrcIpAddr, \
             i % 65536 AS Port, i * 7 AS Bytes FROM range({rows}) t(i) ORDER BY i"
        ),
        &kept,
    )?;
    let columns = vec![
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
    ];
    let page = |query: &PageQuery| pages::read(case.conn(), &kept, &columns, query);
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
    let first = page(&PageQuery {
        limit: FIRST_PAGE,
        ..PageQuery::default()
    })?;
    let result = RunResult {
        id: "big".into(),
        name: "big".into(),
        status: Status::Hits,
        hit_count: rows,
        elapsed_ms: 0,
        params: Vec::new(),
        columns: columns.clone(),
        hits: first.rows,
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
    // Scrolled to the middle: the page around the selected hit, as the worker sends it.
    app.hunts[0].hit = rows / 2;
    let started = Instant::now();
    let middle = app.hunts[0].wanted_page().unwrap_or_default();
    let got = page(&middle)?;
    app.hunts[0].take_page(&middle, got);
    table.push(vec![
        format!("page of {FIRST_PAGE} hits from the middle of {rows}"),
        format!("{:.1}", started.elapsed().as_secs_f64() * 1e3),
    ]);
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
    let asked = |app: &mut App| -> Result<(usize, f64)> {
        let started = Instant::now();
        let h = &mut app.hunts[0];
        h.hit = 0;
        h.refresh_view();
        let query = h.wanted_page().unwrap_or_default();
        let got = page(&query)?;
        h.take_page(&query, got);
        Ok((h.shown(), started.elapsed().as_secs_f64() * 1e3))
    };
    app.hunts[0].filter = "10.3.".into();
    let (shown, ms) = asked(&mut app)?;
    table.push(vec![
        format!("filter {rows} hits to {shown} (first page)"),
        format!("{ms:.1}"),
    ]);
    app.hunts[0].filter.clear();
    app.hunts[0].sort = Some((2, true));
    let (_, ms) = asked(&mut app)?;
    table.push(vec![
        format!("sort {rows} hits (first page)"),
        format!("{ms:.1}"),
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

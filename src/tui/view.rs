//! Drawing the state. Only visible rows of a table are formatted (1M rows scroll like 10),
//! the first column stays put while the others scroll, and every value from the logs is
//! sanitised before it reaches the terminal.

use std::time::Instant;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, Clear, Gauge, List, ListItem, ListState, Paragraph, Row, Table, Wrap,
};
use ratatui::Frame;

use super::app::{cell, hit_label, App, Focus, HuntState, PromptKind, RunState};
use super::keymap::{key_name, Context};
use super::screens;
use super::theme::Theme;
use crate::hunts::run::Status;
use crate::sanitize::for_terminal;

/// Smallest usable terminal.
const MIN: (u16, u16) = (40, 10);
/// Widest a table column is drawn.
const MAX_COL: usize = 36;

/// Draws the whole screen.
pub fn draw(f: &mut Frame, app: &App, theme: &Theme, now: Instant) {
    let area = f.area();
    if area.width < MIN.0 || area.height < MIN.1 {
        let msg = Paragraph::new(format!(
            "terminal too small ({}x{}); quarry needs {}x{}",
            area.width, area.height, MIN.0, MIN.1
        ))
        .wrap(Wrap { trim: true });
        f.render_widget(msg, area);
        return;
    }
    let [body, status] = Layout::vertical([Constraint::Min(3), Constraint::Length(2)]).areas(area);
    if !app.ready {
        let p = Paragraph::new("Opening the case…")
            .block(Block::default().borders(Borders::ALL).title(" quarry "));
        f.render_widget(p, body);
    } else if let Some(v) = &app.findings {
        screens::draw_findings(f, v, theme, body);
    } else if let Some(top) = app.coverage {
        screens::draw_coverage(f, app, top, theme, body);
    } else if let Some(p) = app.pivots.last() {
        screens::draw_pivot(f, app, p, theme, body);
    } else if let Some(d) = &app.drill {
        draw_drill(f, app, d, theme, body);
    } else if let Some(c) = &app.console {
        draw_console(f, c, theme, body);
    } else if let Some(w) = &app.watchlists {
        draw_watchlists(f, w, theme, body);
    } else if app.detail {
        draw_detail(f, app, theme, body);
    } else {
        draw_main(f, app, theme, body, now);
    }
    draw_status(f, app, theme, status);
    if let Some(p) = &app.picker {
        screens::draw_picker(f, p, theme, area);
    }
    if let Some(d) = &app.draft {
        screens::draw_draft(f, d, theme, area);
    }
    if app.help {
        draw_help(f, app, theme, area);
    }
    if let Some((query, selected)) = &app.palette {
        let entries = super::keymap::palette_entries(&app.keymap.0, query);
        let h = (entries.len() as u16 + 3).min(area.height.saturating_sub(2));
        let w = area.width.saturating_sub(8).min(70);
        let rect = Rect::new(area.x + (area.width - w) / 2, area.y + 1, w, h);
        let mut lines = vec![Line::from(vec![
            Span::styled(": ", theme.accent),
            Span::raw(for_terminal(query).into_owned()),
            Span::styled("▏", theme.accent),
        ])];
        for (i, (_, key, help)) in entries.iter().enumerate() {
            let style = if i == *selected {
                theme.selection
            } else {
                Style::default()
            };
            lines.push(Line::from(Span::styled(format!("{help:<52} {key}"), style)));
        }
        f.render_widget(Clear, rect);
        f.render_widget(
            Paragraph::new(lines).block(block(" Commands (Enter runs, Esc closes) ", true, theme)),
            rect,
        );
    }
    if let Some(p) = &app.prompt {
        let rect = Rect::new(
            area.x + 2,
            area.y + area.height / 2 - 2,
            area.width.saturating_sub(4),
            3,
        );
        let line = Line::from(vec![
            Span::raw(for_terminal(&p.text).into_owned()),
            Span::styled("▏", theme.accent),
        ]);
        let title = match p.kind {
            PromptKind::Load => " Load logs: a file, folder or glob (Tab completes, Enter loads) ",
            PromptKind::Export => " Export the hits to: .csv, .json or .parquet (Enter writes) ",
            PromptKind::Clock => " Investigation clock: a UTC time, or auto (Enter sets) ",
            PromptKind::Window => {
                " Time window: FROM .. TO (UTC; either end may be empty), or all (Enter sets) "
            }
            PromptKind::Report => " Write the case report to: .md, .json or .html (Enter writes) ",
        };
        f.render_widget(Clear, rect);
        f.render_widget(Paragraph::new(line).block(block(title, true, theme)), rect);
    }
    if let Some((done, total, file)) = &app.load_progress {
        let rect = Rect::new(
            area.x + 2,
            area.y + area.height / 2 - 2,
            area.width.saturating_sub(4),
            3,
        );
        let ratio = if *total == 0 {
            0.0
        } else {
            (*done as f64 / *total as f64).clamp(0.0, 1.0)
        };
        let gauge = Gauge::default()
            .block(block(" Loading ", true, theme))
            .gauge_style(theme.accent)
            .ratio(ratio)
            .label(format!("{:.0}%  {}", ratio * 100.0, file));
        f.render_widget(Clear, rect);
        f.render_widget(gauge, rect);
    }
    if let Some(summary) = &app.load_summary {
        let h = (summary.len() as u16 + 2).min(area.height.saturating_sub(2));
        let rect = Rect::new(area.x + 2, area.y + 1, area.width.saturating_sub(4), h);
        let lines: Vec<Line> = summary.iter().map(|l| Line::from(l.clone())).collect();
        f.render_widget(Clear, rect);
        f.render_widget(
            Paragraph::new(lines).block(block(" Loaded (any key closes) ", true, theme)),
            rect,
        );
    }
}

/// A bordered pane with a title; the focused one has the accent border.
pub(super) fn block<'a>(title: &'a str, focused: bool, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focused { theme.accent } else { theme.border })
        .title(Span::styled(
            title,
            if focused { theme.accent } else { theme.muted },
        ))
}

fn draw_main(f: &mut Frame, app: &App, theme: &Theme, area: Rect, now: Instant) {
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(38), Constraint::Percentage(62)]).areas(area);
    let visible = app.visible_hunts();
    let items: Vec<ListItem> = visible
        .iter()
        .map(|i| &app.hunts[*i])
        .map(|h| {
            let label = hit_label(h, now);
            let style = match h.result.as_ref().map(|r| r.status) {
                _ if matches!(h.state, RunState::Running(_) | RunState::Queued)
                    && h.result.is_none() =>
                {
                    theme.muted
                }
                Some(Status::Hits) => theme.hits,
                Some(Status::Error) => theme.error,
                Some(_) => theme.quiet,
                None => theme.muted,
            };
            ListItem::new(vec![
                Line::from(vec![
                    Span::styled(format!("{label:<14}"), style),
                    Span::raw(for_terminal(&h.row.name).into_owned()),
                ]),
                Line::from(Span::styled(
                    format!("{:14}{}", "", for_terminal(&h.row.tactics)),
                    theme.muted,
                )),
            ])
        })
        .collect();
    let mut state =
        ListState::default().with_selected(visible.iter().position(|i| *i == app.selected));
    let title = if app.hunt_filter.is_empty() && !(app.filtering && app.focus() == Focus::Hunts) {
        " Hunts ".to_string()
    } else {
        format!(" Hunts /{}▏ ", for_terminal(&app.hunt_filter))
    };
    let list = List::new(items)
        .block(block(&title, app.focus() == Focus::Hunts, theme))
        .highlight_style(theme.selection);
    f.render_stateful_widget(list, left, &mut state);
    let Some(h) = app.current() else {
        return;
    };
    let params_height = (h.params.len() as u16 + 2).clamp(3, 9);
    let [hits, params] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(params_height)]).areas(right);
    draw_hits(f, app, h, theme, hits);
    draw_params(f, app, h, theme, params);
}

fn draw_hits(f: &mut Frame, app: &App, h: &HuntState, theme: &Theme, area: Rect) {
    let focused = app.focus() == Focus::Hits;
    let title = format!(" Hits: {} ", for_terminal(&h.row.name));
    let Some(r) = &h.result else {
        f.render_widget(
            Paragraph::new("Waiting for the first run…").block(block(&title, focused, theme)),
            area,
        );
        return;
    };
    if let Some(e) = &r.error {
        let p = Paragraph::new(for_terminal(e).into_owned())
            .style(if r.status == Status::Error {
                theme.error
            } else {
                theme.muted
            })
            .wrap(Wrap { trim: false })
            .block(block(&title, focused, theme));
        f.render_widget(p, area);
        return;
    }
    if r.hit_count == 0 {
        f.render_widget(
            Paragraph::new("No hits.")
                .style(theme.quiet)
                .block(block(&title, focused, theme)),
            area,
        );
        return;
    }
    let columns: Vec<String> = r.columns.iter().map(|c| c.name.clone()).collect();
    let shown = h.shown();
    let visible = area.height.saturating_sub(3) as usize;
    let start = h.hit.saturating_sub(visible.saturating_sub(1));
    // Only the rows on screen are formatted; a row of a large result that has not arrived
    // from the worker yet shows as "…".
    let rows: Vec<Vec<String>> = (start.min(shown)..(start + visible).min(shown))
        .map(|i| match h.hit_at(i) {
            Some(hit) => columns.iter().map(|c| cell(&hit[c.as_str()])).collect(),
            None => vec!["…".to_string(); columns.len()],
        })
        .collect();
    let mut extra = String::new();
    if !h.filter.is_empty() || app.filtering {
        let cursor = if app.filtering { "▏" } else { "" };
        extra.push_str(&format!(" /{}{cursor}", for_terminal(&h.filter)));
    }
    if let Some((c, desc)) = h.sort {
        let arrow = if desc { "↓" } else { "↑" };
        extra.push_str(&format!(
            " sorted by {}{arrow}",
            columns.get(c).map_or("", String::as_str)
        ));
    }
    if let Some(r) = &h.result {
        let path = match r.reuse {
            crate::hunts::cache::Reuse::Hit => ", kept aggregate",
            _ => "",
        };
        extra.push_str(&format!(" · {} ms{path}", r.elapsed_ms));
    }
    let title = format!(
        " Hits: {} ({} of {}){extra} ",
        for_terminal(&h.row.name),
        (h.hit + 1).min(shown),
        shown
    );
    table(
        f,
        &columns,
        &rows,
        h.hit - start,
        h.col,
        block(&title, focused, theme),
        theme,
        area,
    );
}

/// A table of already-visible rows with a frozen first column.
#[allow(clippy::too_many_arguments)]
pub(super) fn table(
    f: &mut Frame,
    columns: &[String],
    rows: &[Vec<String>],
    selected: usize,
    col: usize,
    block: Block,
    theme: &Theme,
    area: Rect,
) {
    let width = |i: usize| -> u16 {
        let w = rows
            .iter()
            .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
            .chain([columns[i].chars().count()])
            .max()
            .unwrap_or(1);
        w.clamp(1, MAX_COL) as u16
    };
    // The first column, then as many of the scrolled-to columns as fit.
    let room = area.width.saturating_sub(2);
    let mut used = 0u16;
    let mut shown = Vec::new();
    for i in std::iter::once(0).chain((1 + col)..columns.len()) {
        if i >= columns.len() {
            break;
        }
        let w = width(i) + 2;
        if !shown.is_empty() && used + w > room {
            break;
        }
        used += w;
        shown.push(i);
    }
    let header = Row::new(
        shown
            .iter()
            .map(|i| Cell::from(for_terminal(&columns[*i]).into_owned())),
    )
    .style(theme.accent);
    let body: Vec<Row> = rows
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let row = Row::new(
                shown
                    .iter()
                    .map(|i| Cell::from(r.get(*i).cloned().unwrap_or_default())),
            );
            if n == selected {
                row.style(theme.selection)
            } else {
                row
            }
        })
        .collect();
    let widths: Vec<Constraint> = shown
        .iter()
        .map(|i| Constraint::Length(width(*i)))
        .collect();
    f.render_widget(
        Table::new(body, widths)
            .header(header)
            .block(block)
            .column_spacing(2),
        area,
    );
}

fn draw_params(f: &mut Frame, app: &App, h: &HuntState, theme: &Theme, area: Rect) {
    let focused = app.focus() == Focus::Params;
    let lines: Vec<Line> = h
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let changed = h.overrides.iter().any(|(n, _)| n == &p.name);
            let value = match &app.editing {
                Some(e) if e.index == i && focused => format!("{}▏", e.buffer),
                _ => h.value_of(p),
            };
            let marker = if changed { "* " } else { "  " };
            let style = if focused && i == app.param {
                theme.selection
            } else {
                Style::default()
            };
            let mut spans = vec![
                Span::styled(format!("{marker}{:<22}", p.name), style),
                Span::styled(
                    for_terminal(&value).into_owned(),
                    if changed {
                        theme.hits
                    } else {
                        Style::default()
                    },
                ),
            ];
            if let Some(e) = app
                .editing
                .as_ref()
                .filter(|e| e.index == i)
                .and_then(|e| e.error.as_ref())
            {
                spans.push(Span::styled(format!("  {}", for_terminal(e)), theme.error));
            } else if !p.description.is_empty() {
                spans.push(Span::styled(
                    format!("  {}", for_terminal(&p.description)),
                    theme.muted,
                ));
            }
            Line::from(spans)
        })
        .collect();
    let title = if h.due.is_some() {
        " Parameters (re-running…) "
    } else {
        " Parameters (* changed) "
    };
    f.render_widget(
        Paragraph::new(lines).block(block(title, focused, theme)),
        area,
    );
}

fn draw_drill(f: &mut Frame, app: &App, d: &super::app::DrillView, theme: &Theme, area: Rect) {
    let name = app
        .hunts
        .iter()
        .find(|h| h.row.id == d.hunt)
        .map_or("", |h| h.row.name.as_str());
    let title = format!(
        " {} › events where {} ",
        for_terminal(name),
        for_terminal(&d.predicate)
    );
    if d.loading {
        f.render_widget(
            Paragraph::new("Reading the events behind the hit…").block(block(&title, true, theme)),
            area,
        );
        return;
    }
    if let Some(i) = d.detail {
        let mut lines: Vec<Line> = Vec::new();
        for (c, v) in d.columns.iter().zip(d.rows.get(i).into_iter().flatten()) {
            if v.is_empty() && !d.show_empty {
                continue;
            }
            let mut pretty = pretty_value(v).into_iter();
            let first = pretty.next().unwrap_or_default();
            lines.push(Line::from(vec![
                Span::styled(format!("{c:<32}"), theme.accent),
                Span::raw(first),
            ]));
            lines.extend(pretty.map(|l| Line::from(format!("{:32}{l}", ""))));
        }
        let hidden = if d.show_empty {
            "z hides empty fields"
        } else {
            "empty fields hidden, z shows them"
        };
        let t = format!(" Event {} of {} ({hidden}) ", i + 1, d.rows.len());
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(block(&t, true, theme)),
            area,
        );
        return;
    }
    let visible = area.height.saturating_sub(3) as usize;
    let start = d.selected.saturating_sub(visible.saturating_sub(1));
    let rows = &d.rows[start..(start + visible).min(d.rows.len())];
    let more = if d.more { "+" } else { "" };
    let title = format!("{}({} of {}{more}) ", title, d.selected + 1, d.rows.len());
    table(
        f,
        &d.columns,
        rows,
        d.selected - start,
        d.col,
        block(&title, true, theme),
        theme,
        area,
    );
}

/// A field value as display lines: JSON pretty-printed, XML one element per line.
fn pretty_value(v: &str) -> Vec<String> {
    let t = v.trim();
    if t.starts_with('{') || t.starts_with('[') {
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(t) {
            if let Ok(p) = serde_json::to_string_pretty(&json) {
                return p.lines().map(str::to_string).collect();
            }
        }
    }
    if t.starts_with('<') && t.ends_with('>') && t.contains("><") {
        return t
            .replace("><", ">\n<")
            .lines()
            .map(str::to_string)
            .collect();
    }
    vec![v.to_string()]
}

/// KQL words drawn in the accent style.
const KQL_WORDS: &[&str] = &[
    "let",
    "where",
    "extend",
    "project",
    "summarize",
    "by",
    "join",
    "kind",
    "on",
    "union",
    "and",
    "or",
    "not",
    "in",
    "has",
    "has_any",
    "contains",
    "startswith",
    "endswith",
    "between",
    "sort",
    "order",
    "top",
    "take",
    "limit",
    "distinct",
    "count",
    "mv-expand",
    "mv-apply",
    "parse",
    "with",
    "evaluate",
    "invoke",
    "lookup",
    "make-series",
    "project-away",
    "project-rename",
    "asc",
    "desc",
    "dynamic",
    "datatable",
];

/// One line of KQL with comments, strings and keywords styled.
fn highlight(line: &str, theme: &Theme) -> Line<'static> {
    let line = for_terminal(line).into_owned();
    let (code, comment) = match line.find("//") {
        Some(i) if !line[..i].contains(['"', '\'']) => {
            (line[..i].to_string(), line[i..].to_string())
        }
        _ => (line.clone(), String::new()),
    };
    let mut spans = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let flush = |word: &mut String, spans: &mut Vec<Span<'static>>| {
        if !word.is_empty() {
            let style = if KQL_WORDS.contains(&word.as_str()) {
                theme.accent
            } else {
                Style::default()
            };
            spans.push(Span::styled(std::mem::take(word), style));
        }
    };
    for c in code.chars() {
        match quote {
            Some(q) => {
                word.push(c);
                if c == q {
                    spans.push(Span::styled(std::mem::take(&mut word), theme.hits));
                    quote = None;
                }
            }
            None if c == '"' || c == '\'' => {
                flush(&mut word, &mut spans);
                word.push(c);
                quote = Some(c);
            }
            None if c.is_alphanumeric() || c == '_' || c == '-' => word.push(c),
            None => {
                flush(&mut word, &mut spans);
                spans.push(Span::raw(c.to_string()));
            }
        }
    }
    if quote.is_some() {
        spans.push(Span::styled(word, theme.hits));
    } else {
        flush(&mut word, &mut spans);
    }
    if !comment.is_empty() {
        spans.push(Span::styled(comment, theme.muted));
    }
    Line::from(spans)
}

fn draw_watchlists(f: &mut Frame, w: &super::app::WatchlistsView, theme: &Theme, area: Rect) {
    let [left, right] =
        Layout::horizontal([Constraint::Length(34), Constraint::Min(10)]).areas(area);
    let items: Vec<ListItem> = w
        .lists
        .iter()
        .map(|l| ListItem::new(format!("{} ({} rows)", for_terminal(&l.name), l.rows.len())))
        .collect();
    let mut state = ListState::default().with_selected(Some(w.list));
    let list = List::new(items)
        .block(block(" Watchlists (Tab: next) ", true, theme))
        .highlight_style(theme.selection);
    f.render_stateful_widget(list, left, &mut state);
    let Some(l) = w.lists.get(w.list) else {
        let msg = if w.loading {
            "Reading…"
        } else {
            "No watchlists: import one with `quarry watchlist import`."
        };
        f.render_widget(
            Paragraph::new(msg).block(block(" Rows ", false, theme)),
            right,
        );
        return;
    };
    let [rows_area, prompt] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(right);
    let visible = rows_area.height.saturating_sub(3) as usize;
    let start = w.row.saturating_sub(visible.saturating_sub(1));
    let rows = &l.rows[start.min(l.rows.len())..(start + visible).min(l.rows.len())];
    let title = format!(" {} ", for_terminal(&l.name));
    table(
        f,
        &l.columns,
        rows,
        w.row - start,
        0,
        block(&title, false, theme),
        theme,
        rows_area,
    );
    let line = match &w.adding {
        Some(t) => Line::from(vec![
            Span::styled("add › ", theme.accent),
            Span::raw(for_terminal(t).into_owned()),
            Span::styled("▏", theme.accent),
        ]),
        None => Line::from(Span::styled(
            "a add a row (col=value, col=value)   x delete the selected row   Esc close",
            theme.muted,
        )),
    };
    f.render_widget(
        Paragraph::new(line).block(block(" Edit ", w.adding.is_some(), theme)),
        prompt,
    );
}

fn draw_console(f: &mut Frame, c: &super::app::Console, theme: &Theme, area: Rect) {
    let typed: Vec<&str> = c.input.split('\n').collect();
    let height = (typed.len() as u16 + 2).min(area.height / 2).max(3);
    let [input, result] =
        Layout::vertical([Constraint::Length(height), Constraint::Min(3)]).areas(area);
    let last = typed.len() - 1;
    let prompt: Vec<Line> = typed
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut spans = vec![
                Span::styled(if i == 0 { "› " } else { "  " }, theme.accent),
                Span::raw(for_terminal(l).into_owned()),
            ];
            if i == last {
                spans.push(Span::styled("▏", theme.accent));
            }
            Line::from(spans)
        })
        .collect();
    let title =
        " Console: KQL, or `sql ...` (Enter runs, Alt-Enter new line, ↑↓ history, Esc closes) ";
    f.render_widget(
        Paragraph::new(prompt).block(block(title, true, theme)),
        input,
    );
    if c.running {
        f.render_widget(
            Paragraph::new("Running…").block(block(" Result ", false, theme)),
            result,
        );
        return;
    }
    if let Some(e) = &c.error {
        let lines: Vec<Line> = e
            .lines()
            .map(|l| Line::from(Span::styled(for_terminal(l).into_owned(), theme.error)))
            .collect();
        f.render_widget(
            Paragraph::new(lines).block(block(" Error ", false, theme)),
            result,
        );
        return;
    }
    if c.columns.is_empty() {
        let hint = "Type a KQL query, e.g. NetworkSessions | summarize count() by DvcAction";
        f.render_widget(
            Paragraph::new(hint)
                .style(theme.muted)
                .block(block(" Result ", false, theme)),
            result,
        );
        return;
    }
    let visible = result.height.saturating_sub(3) as usize;
    let rows = &c.rows[c.row.min(c.rows.len())..(c.row + visible).min(c.rows.len())];
    let more = if c.more { "+" } else { "" };
    let title = format!(" Result: {}{more} rows, {} ms ", c.rows.len(), c.elapsed_ms);
    table(
        f,
        &c.columns,
        rows,
        usize::MAX,
        c.col,
        block(&title, false, theme),
        theme,
        result,
    );
}

fn draw_detail(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let Some(h) = app.current() else {
        return;
    };
    let mut lines = vec![
        Line::from(Span::styled(
            for_terminal(&h.row.name).into_owned(),
            theme.accent,
        )),
        Line::from(Span::styled(
            format!(
                "{}   {}",
                for_terminal(&h.row.tactics),
                for_terminal(&h.row.techniques)
            ),
            theme.muted,
        )),
        Line::from(""),
    ];
    lines.extend(
        h.row
            .description
            .lines()
            .map(|l| Line::from(for_terminal(l).into_owned())),
    );
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("KQL", theme.accent)));
    lines.extend(h.row.query.lines().map(|l| highlight(l, theme)));
    let filters = crate::hunts::explain::filters(&h.row.query);
    for (title, list) in [
        ("Looks for", &filters.indicators),
        ("Leaves out", &filters.exclusions),
    ] {
        if list.is_empty() {
            continue;
        }
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(title, theme.accent)));
        for p in list {
            lines.push(Line::from(
                for_terminal(&format!("  {} {} {}", p.field, p.operator, p.values)).into_owned(),
            ));
        }
    }
    if let Some(r) = &h.result {
        if !r.columns.is_empty() {
            let names: Vec<&str> = r.columns.iter().map(|c| c.name.as_str()).collect();
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled("Output", theme.accent)));
            lines.push(Line::from(
                for_terminal(&format!("  {}", names.join(", "))).into_owned(),
            ));
        }
    }
    if let Some(r) = h.result.as_ref().filter(|r| !r.sql.is_empty()) {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("DuckDB SQL", theme.accent)));
        lines.extend(
            r.sql
                .lines()
                .map(|l| Line::from(Span::styled(for_terminal(l).into_owned(), theme.muted))),
        );
    }
    let title = " Hunt (Esc or i to close) ";
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(title, true, theme)),
        area,
    );
}

fn draw_status(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let running = app
        .hunts
        .iter()
        .filter(|h| matches!(h.state, RunState::Running(_)))
        .count();
    let queued = app
        .hunts
        .iter()
        .filter(|h| h.state == RunState::Queued)
        .count();
    let hints: Vec<String> = app
        .keymap
        .0
        .iter()
        .filter(|b| b.context == app.context())
        .map(|b| format!("{} {}", key_name(b), b.help))
        .take(3)
        .collect();
    let first = Line::from(vec![
        Span::styled(format!(" case {} ", for_terminal(&app.case)), theme.muted),
        Span::styled(format!(" clock {} ", app.clock), theme.muted),
        Span::styled(
            format!(" window {} ", app.window),
            if app.window == "all time" {
                theme.muted
            } else {
                theme.hits
            },
        ),
        Span::styled(format!(" {} ", app.tables), theme.muted),
        Span::styled(
            if running + queued > 0 {
                format!(" {running} running, {queued} queued ")
            } else {
                " idle ".into()
            },
            theme.accent,
        ),
        Span::raw(format!(" {}  ? help  q quit", hints.join("  "))),
    ]);
    let second = match (&app.notice, app.broken.first()) {
        (Some(n), _) => Line::from(Span::styled(format!(" {}", for_terminal(n)), theme.hits)),
        (None, Some(b)) => Line::from(Span::styled(
            format!(" hunt not loaded: {}", for_terminal(b)),
            theme.error,
        )),
        _ => Line::from(""),
    };
    f.render_widget(Paragraph::new(vec![first, second]), area);
}

fn draw_help(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let w = area.width.saturating_sub(8).min(76);
    let h = area.height.saturating_sub(4);
    let rect = Rect::new(area.x + (area.width - w) / 2, area.y + 2, w, h);
    let mut lines = Vec::new();
    for (ctx, label) in [
        (Context::Global, "everywhere"),
        (Context::Hunts, "hunt list"),
        (Context::Hits, "hits"),
        (Context::Params, "parameters"),
        (Context::Drill, "drill-down"),
        (Context::Editing, "editing a value"),
        (Context::Console, "console"),
        (Context::Watchlists, "watchlists"),
        (Context::Palette, "command palette"),
        (Context::Pivot, "pivot"),
        (Context::Findings, "findings"),
        (Context::Picker, "choosing a value"),
    ] {
        lines.push(Line::from(Span::styled(label, theme.accent)));
        for b in app.keymap.0.iter().filter(|b| b.context == ctx) {
            lines.push(Line::from(format!("  {:<12} {}", key_name(b), b.help)));
        }
    }
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Keys (Esc or ? to close) "),
        ),
        rect,
    );
}

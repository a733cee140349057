//! Drawing the investigation screens: the pivot (summary, timeline, events), the findings,
//! ATT&CK coverage, the value chooser and the finding form. Every value passes through the
//! terminal sanitiser; tables format only the rows on screen.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Sparkline, Wrap};
use ratatui::Frame;

use super::app::{cell, App};
use super::investigate::{FindingDraft, FindingsView, Picker, PivotView};
use super::theme::Theme;
use super::view::{block, table};
use crate::investigate::coverage;
use crate::sanitize::for_terminal;

/// Draws a table of the rows around `selected` that fit in `area`.
fn window_table(
    f: &mut Frame,
    columns: &[String],
    rows: &[Vec<String>],
    (selected, col): (usize, usize),
    title: &str,
    theme: &Theme,
    area: Rect,
) {
    if columns.is_empty() {
        f.render_widget(Paragraph::new("").block(block(title, true, theme)), area);
        return;
    }
    let room = usize::from(area.height.saturating_sub(3)).max(1);
    let start = selected.saturating_sub(room - 1);
    let end = (start + room).min(rows.len());
    table(
        f,
        columns,
        &rows[start..end],
        selected - start,
        col.min(columns.len().saturating_sub(1)),
        block(title, true, theme),
        theme,
        area,
    );
}

/// The pivot on top of the stack.
pub fn draw_pivot(f: &mut Frame, app: &App, p: &PivotView, theme: &Theme, area: Rect) {
    let depth = app.pivots.len();
    let title = format!(
        " Pivot {}: {} {} (Esc back{}) ",
        depth,
        p.entity.kind.as_str(),
        for_terminal(&p.entity.value),
        if depth > 1 { " to the previous" } else { "" }
    );
    let Some(d) = &p.data else {
        f.render_widget(
            Paragraph::new("Looking through every table…").block(block(&title, true, theme)),
            area,
        );
        return;
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} events", d.total()), theme.hits),
        Span::raw(format!(
            " in {} table(s) · window {}",
            d.tables.len(),
            d.window
        )),
    ])];
    let per_table: Vec<String> = d
        .tables
        .iter()
        .map(|t| format!("{} {} ({} .. {})", t.table, t.count, t.first, t.last))
        .collect();
    if !per_table.is_empty() {
        lines.push(Line::from(format!(
            "tables: {}",
            for_terminal(&per_table.join("; "))
        )));
    }
    let hunts: Vec<String> = d
        .hunts
        .iter()
        .map(|h| format!("{} ({})", h.name, hit_numbers(&h.hits)))
        .collect();
    lines.push(Line::from(vec![
        Span::styled("hunts: ", theme.accent),
        Span::raw(if hunts.is_empty() {
            "no hunt's hits mention it".into()
        } else {
            for_terminal(&hunts.join(", ")).into_owned()
        }),
    ]));
    let intel: Vec<String> = d
        .intel
        .iter()
        .map(|i| {
            format!(
                "{} {} from {}, {}",
                cell(&i.indicator["ThreatType"]),
                cell(&i.indicator["Description"]),
                i.source,
                i.age_days
                    .map_or_else(|| "age unknown".into(), |a| format!("{a} days old"))
            )
        })
        .collect();
    lines.push(Line::from(vec![
        Span::styled("threat intel: ", theme.accent),
        Span::styled(
            if intel.is_empty() {
                "no indicator".into()
            } else {
                for_terminal(&intel.join("; ")).into_owned()
            },
            if intel.is_empty() {
                theme.muted
            } else {
                theme.error
            },
        ),
    ]));
    let lists: Vec<String> = d
        .watchlists
        .iter()
        .map(|w| format!("{} ({} row(s))", w.name, w.rows.len()))
        .collect();
    lines.push(Line::from(vec![
        Span::styled("watchlists: ", theme.accent),
        Span::raw(if lists.is_empty() {
            "in none".into()
        } else {
            for_terminal(&lists.join(", ")).into_owned()
        }),
    ]));
    let summary_height = lines.len() as u16 + 2;
    let [summary, timeline, events] = Layout::vertical([
        Constraint::Length(summary_height),
        Constraint::Length(if d.timeline.is_some() { 5 } else { 0 }),
        Constraint::Min(3),
    ])
    .areas(area);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(block(&title, true, theme)),
        summary,
    );
    if let Some(t) = &d.timeline {
        let bucket = p.bucket.min(t.counts.len().saturating_sub(1));
        let start = t.bucket_start(bucket);
        let title = format!(
            " Timeline, {} buckets: {} has {} ([ ] move, z zooms the window to it) ",
            t.width_label(),
            start.format("%Y-%m-%d %H:%M"),
            t.counts.get(bucket).copied().unwrap_or(0)
        );
        let inner = usize::from(timeline.width.saturating_sub(2)).max(1);
        // The bars around the selected bucket that fit the width.
        let first = bucket.saturating_sub(inner.saturating_sub(1));
        let shown: Vec<u64> = t.counts.iter().skip(first).take(inner).copied().collect();
        f.render_widget(
            Sparkline::default()
                .data(&shown)
                .style(theme.hits)
                .block(block(&title, false, theme)),
            timeline,
        );
        let marker_x = timeline.x + 1 + (bucket - first) as u16;
        if marker_x < timeline.right().saturating_sub(1) {
            f.render_widget(
                Paragraph::new(Span::styled("▲", theme.accent)),
                Rect::new(marker_x, timeline.bottom().saturating_sub(1), 1, 1),
            );
        }
    }
    let Some(t) = d.tables.get(p.table) else {
        f.render_widget(
            Paragraph::new("No event in any table names it.").block(block(" Events ", true, theme)),
            events,
        );
        return;
    };
    let rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| t.columns.iter().map(|c| cell(&r[c.as_str()])).collect())
        .collect();
    let title = format!(
        " {} ({} of {}; Tab next table, p pivots again, m keeps as a finding) ",
        t.table,
        t.rows.len(),
        t.count
    );
    window_table(
        f,
        &t.columns,
        &rows,
        (p.row, p.col),
        &for_terminal(&title),
        theme,
        events,
    );
}

/// "hit 3", "hits 1, 4", or the first few of many and how many in all.
fn hit_numbers(hits: &[usize]) -> String {
    const SHOWN: usize = 5;
    let word = if hits.len() == 1 { "hit" } else { "hits" };
    if hits.len() <= SHOWN {
        format!("{word} {}", join(hits))
    } else {
        format!("{word} {} … {} in all", join(&hits[..SHOWN]), hits.len())
    }
}

fn join(items: &[usize]) -> String {
    items
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The findings screen: the list, and the selected finding below it.
pub fn draw_findings(f: &mut Frame, v: &FindingsView, theme: &Theme, area: Rect) {
    let title = " Findings (Enter edits, x deletes, Esc closes) ";
    if v.list.is_empty() {
        let text = if v.loading {
            "Reading the findings…"
        } else {
            "No findings yet: press m on a hit or an event to keep it."
        };
        f.render_widget(Paragraph::new(text).block(block(title, true, theme)), area);
        return;
    }
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let columns: Vec<String> = ["id", "severity", "kind", "tags", "title"]
        .map(String::from)
        .to_vec();
    let rows: Vec<Vec<String>> = v
        .list
        .iter()
        .map(|x| {
            vec![
                x.id.to_string(),
                x.body.severity.as_str().into(),
                x.body.kind.clone(),
                for_terminal(&x.body.tags.join(", ")).into_owned(),
                for_terminal(&x.body.title).into_owned(),
            ]
        })
        .collect();
    window_table(f, &columns, &rows, (v.selected, 0), title, theme, top);
    let Some(x) = v.list.get(v.selected) else {
        return;
    };
    let b = &x.body;
    let mut lines = vec![
        Line::from(format!(
            "marked {} · clock {} · window {}",
            x.created_at, b.clock, b.window
        )),
        Line::from(format!(
            "hunt {} · {} row(s), {} event(s) kept",
            b.hunt.as_deref().unwrap_or("-"),
            b.rows.len(),
            b.events.len()
        )),
    ];
    if !b.params.is_empty() {
        let shown: Vec<String> = b.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        lines.push(Line::from(format!("parameters: {}", shown.join(", "))));
    }
    for line in b.note.lines() {
        lines.push(Line::from(Span::styled(line.to_string(), theme.hits)));
    }
    for row in b.rows.iter().take(3) {
        lines.push(Line::from(Span::styled(
            crate::investigate::capture::describe(row),
            theme.muted,
        )));
    }
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|l| {
            Line::from(
                l.spans
                    .into_iter()
                    .map(|s| Span::styled(for_terminal(&s.content).into_owned(), s.style))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(" Finding ", false, theme)),
        bottom,
    );
}

/// The ATT&CK coverage screen.
pub fn draw_coverage(f: &mut Frame, app: &App, top: usize, theme: &Theme, area: Rect) {
    let rows = app.coverage_rows();
    let lines: Vec<Line> = coverage::text(&rows)
        .into_iter()
        .skip(top)
        .map(|l| {
            let style = if l.contains("not covered") {
                theme.muted
            } else if l.starts_with("  ") {
                Style::default()
            } else {
                theme.accent
            };
            Line::from(Span::styled(for_terminal(&l).into_owned(), style))
        })
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(block(
            " MITRE ATT&CK coverage: techniques, hunts (hits) · Esc closes ",
            true,
            theme,
        )),
        area,
    );
}

/// The chooser of a value to pivot on.
pub fn draw_picker(f: &mut Frame, p: &Picker, theme: &Theme, area: Rect) {
    let h = (p.items.len() as u16 + 2).min(area.height.saturating_sub(2));
    let w = area.width.saturating_sub(8).min(90);
    let rect = Rect::new(area.x + (area.width - w) / 2, area.y + 1, w, h);
    let room = usize::from(h.saturating_sub(2)).max(1);
    let start = p.selected.saturating_sub(room - 1);
    let lines: Vec<Line> = p
        .items
        .iter()
        .enumerate()
        .skip(start)
        .take(room)
        .map(|(i, (column, value, entity))| {
            let text = format!(
                "{:<8} {:<28} {}",
                entity.kind.as_str(),
                for_terminal(column),
                for_terminal(value)
            );
            if i == p.selected {
                Line::from(Span::styled(text, theme.selection))
            } else {
                Line::from(text)
            }
        })
        .collect();
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).block(block(
            " Pivot on which value? (Enter pivots, Esc closes) ",
            true,
            theme,
        )),
        rect,
    );
}

/// The finding form.
pub fn draw_draft(f: &mut Frame, d: &FindingDraft, theme: &Theme, area: Rect) {
    let w = area.width.saturating_sub(4).min(100);
    let rect = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + area.height / 3,
        w,
        5,
    );
    let field = |i: usize, label: &str, value: String| {
        let style = if d.field == i {
            theme.selection
        } else {
            Style::default()
        };
        let cursor = if d.field == i { "▏" } else { "" };
        Line::from(vec![
            Span::styled(format!("{label:<10}"), theme.accent),
            Span::styled(format!("{}{cursor}", for_terminal(&value)), style),
        ])
    };
    let lines = vec![
        field(
            0,
            "severity",
            format!("{}   (Space cycles; i l m h c pick)", d.severity.as_str()),
        ),
        field(1, "tags", d.tags.clone()),
        field(2, "note", d.note.clone()),
    ];
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).block(block(
            " Keep as a finding (Tab next field, Enter keeps, Esc cancels) ",
            true,
            theme,
        )),
        rect,
    );
}

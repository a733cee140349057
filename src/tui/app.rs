//! The workbench's state and how it changes. Data flows one way: key events and worker
//! replies come in, the state changes, and [`Effect`]s go out to the worker; the view only
//! reads the state. Nothing here touches DuckDB, so it is tested with plain values.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, MouseEventKind};
use serde_json::Value;

use super::investigate::{FindingDraft, FindingsView, Picker, PivotView};
use super::keymap::{lookup, Action, Context};
use super::protocol::{HuntRow, ParamRow, Reply, Request};
use crate::hunts::pages::{Page, PageQuery, FIRST_PAGE};
use crate::hunts::params;
use crate::hunts::run::{RunResult, Status};
use crate::kql::Param;

/// How long after the last parameter edit a hunt re-runs.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// What the app asks its runtime to do.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Send a request to the worker.
    Send(Request),
    /// Interrupt the statement running now.
    Cancel,
    /// Put text on the terminal's clipboard (OSC 52).
    Copy(String),
}

/// What a path prompt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// Load logs from the path.
    Load,
    /// Export the hunt's hits to the path (the extension picks the format).
    Export,
    /// Set the investigation clock (a time, or `auto`).
    Clock,
    /// Set the case's time window (`FROM .. TO`, or `all`).
    Window,
    /// Write the case report to the path.
    Report,
}

/// A path being typed.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// What it is for.
    pub kind: PromptKind,
    /// The text typed.
    pub text: String,
}

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The hunt list.
    Hunts,
    /// The hits table.
    Hits,
    /// The parameter panel.
    Params,
}

/// Where a hunt's latest run is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunState {
    /// Waiting for the worker.
    Queued,
    /// Running since then.
    Running(Instant),
    /// Done (see the result).
    Done,
}

/// A hunt in the workbench.
#[derive(Debug, Clone)]
pub struct HuntState {
    /// What the list shows.
    pub row: HuntRow,
    /// Its parameters.
    pub params: Vec<ParamRow>,
    /// Values the analyst changed: (name, KQL literal).
    pub overrides: Vec<(String, String)>,
    /// Generation of the newest run request.
    pub generation: u64,
    /// Its run state.
    pub state: RunState,
    /// The latest finished result.
    pub result: Option<RunResult>,
    /// Hit count before the latest run (for the change shown beside the count).
    pub before: Option<i64>,
    /// Selected hit row.
    pub hit: usize,
    /// First visible column of the hits table.
    pub col: usize,
    /// When a debounced re-run is due.
    pub due: Option<Instant>,
    /// Only hits with a cell containing this text (case-insensitive) are shown.
    pub filter: String,
    /// Sort column and descending flag.
    pub sort: Option<(usize, bool)>,
    /// The hits shown: the filtered, sorted list, or the loaded part of it.
    pub page: Page,
    /// The page last asked of the worker (a large result comes a page at a time).
    pub asked: Option<PageQuery>,
}

/// Rows on either side of the selected hit that should be loaded before it is drawn.
const MARGIN: usize = 100;

impl HuntState {
    /// How many hits pass the filter.
    pub fn shown(&self) -> usize {
        self.page.total
    }

    /// The hit at position `i` of the filtered, sorted list, when it is loaded.
    pub fn hit_at(&self, i: usize) -> Option<&Value> {
        self.page.rows.get(i.checked_sub(self.page.start)?)
    }

    /// The selected hit, when it is loaded.
    pub fn selected_hit(&self) -> Option<&Value> {
        self.hit_at(self.hit)
    }

    /// Whether the worker keeps more hits than the result holds: filtering, sorting and
    /// scrolling then ask it for pages.
    pub fn paged(&self) -> bool {
        self.result
            .as_ref()
            .is_some_and(|r| r.hits.len() < r.hit_count)
    }

    /// Recomputes the shown hits after the result, the filter or the sort changed. A whole
    /// result is filtered and sorted here; a paged one keeps its first page only while it
    /// is shown in the hunt's own order, and otherwise waits for the worker's page.
    pub fn refresh_view(&mut self) {
        self.asked = None;
        let paged = self.paged();
        let Some(r) = &self.result else {
            self.page = Page::default();
            return;
        };
        if !paged {
            let rows: Vec<Value> = self
                .compute_visible()
                .into_iter()
                .map(|i| r.hits[i].clone())
                .collect();
            self.page = Page {
                start: 0,
                total: rows.len(),
                rows,
            };
        } else if self.filter.is_empty() && self.sort.is_none() {
            self.page = Page {
                start: 0,
                rows: r.hits.clone(),
                total: r.hit_count,
            };
            self.asked = Some(PageQuery {
                limit: r.hits.len(),
                ..PageQuery::default()
            });
        } else {
            self.page.rows.clear();
        }
    }

    /// The page to ask of the worker for the selected hit and its neighbours, when the view
    /// lacks them and has not asked for them yet.
    pub fn wanted_page(&self) -> Option<PageQuery> {
        if !self.paged() {
            return None;
        }
        let same_view = self
            .asked
            .as_ref()
            .is_some_and(|a| a.filter == self.filter && a.sort == self.sort);
        let loaded = self.page.start..self.page.start + self.page.rows.len();
        let need_from = self.hit.saturating_sub(MARGIN);
        let need_to = (self.hit + MARGIN).min(self.page.total.saturating_sub(1));
        if same_view
            && (self.page.total == 0 || loaded.contains(&need_from) && loaded.contains(&need_to))
        {
            return None;
        }
        let query = PageQuery {
            filter: self.filter.clone(),
            sort: self.sort,
            offset: self.hit.saturating_sub(FIRST_PAGE / 2),
            limit: FIRST_PAGE,
        };
        (self.asked.as_ref() != Some(&query)).then_some(query)
    }

    /// Takes in a page the worker sent, if it answers the view as it is now.
    pub fn take_page(&mut self, query: &PageQuery, page: Page) {
        if query.filter == self.filter && query.sort == self.sort {
            self.hit = self.hit.min(page.total.saturating_sub(1));
            self.page = page;
        }
    }

    /// Indexes of the hits of a whole result that pass the filter, in the chosen order.
    fn compute_visible(&self) -> Vec<usize> {
        let Some(r) = &self.result else {
            return Vec::new();
        };
        let needle = self.filter.to_lowercase();
        let mut idx: Vec<usize> = (0..r.hits.len())
            .filter(|i| {
                needle.is_empty()
                    || r.columns.iter().any(|c| {
                        cell(&r.hits[*i][c.name.as_str()])
                            .to_lowercase()
                            .contains(&needle)
                    })
            })
            .collect();
        if let Some((col, desc)) = self.sort {
            if let Some(c) = r.columns.get(col) {
                let key = |i: &usize| r.hits[*i][c.name.as_str()].clone();
                idx.sort_by(|a, b| {
                    let (x, y) = (key(a), key(b));
                    let o = match (x.as_f64(), y.as_f64()) {
                        (Some(p), Some(q)) => {
                            p.partial_cmp(&q).unwrap_or(std::cmp::Ordering::Equal)
                        }
                        _ => cell(&x).cmp(&cell(&y)),
                    };
                    if desc {
                        o.reverse()
                    } else {
                        o
                    }
                });
            }
        }
        idx
    }

    /// The value in effect for a parameter.
    pub fn value_of(&self, p: &ParamRow) -> String {
        self.overrides
            .iter()
            .find(|(n, _)| n == &p.name)
            .map_or_else(|| p.default.clone(), |(_, v)| v.clone())
    }
}

/// The drill-down screen.
#[derive(Debug, Clone, Default)]
pub struct DrillView {
    /// Hunt id.
    pub hunt: String,
    /// The predicate shown above the rows.
    pub predicate: String,
    /// Columns.
    pub columns: Vec<String>,
    /// Rows (display text).
    pub rows: Vec<Vec<String>>,
    /// More rows exist than the page holds.
    pub more: bool,
    /// Selected row.
    pub selected: usize,
    /// First visible column.
    pub col: usize,
    /// Waiting for the worker.
    pub loading: bool,
    /// The event opened in detail, if any.
    pub detail: Option<usize>,
    /// Empty fields are shown in the event detail.
    pub show_empty: bool,
    /// The hit drilled into (for the next pages).
    pub hit: Option<Value>,
}

/// The console: a query line, its history, and the last result.
#[derive(Debug, Clone, Default)]
pub struct Console {
    /// The query being typed.
    pub input: String,
    /// Earlier queries, oldest first.
    pub history: Vec<String>,
    /// Position while walking the history.
    pub position: Option<usize>,
    /// Waiting for the worker.
    pub running: bool,
    /// Result columns.
    pub columns: Vec<String>,
    /// Result rows.
    pub rows: Vec<Vec<String>>,
    /// More rows exist than were read.
    pub more: bool,
    /// The error of the last query.
    pub error: Option<String>,
    /// Its wall time.
    pub elapsed_ms: u64,
    /// First visible row.
    pub row: usize,
    /// First visible column.
    pub col: usize,
}

/// The watchlist screen.
#[derive(Debug, Clone, Default)]
pub struct WatchlistsView {
    /// The watchlists.
    pub lists: Vec<super::protocol::WatchlistData>,
    /// Selected watchlist.
    pub list: usize,
    /// Selected row.
    pub row: usize,
    /// A row being typed (`col=value, col=value`), when adding.
    pub adding: Option<String>,
    /// The SearchKey of the row being edited (it is replaced when the edit is applied).
    pub replacing: Option<String>,
    /// Waiting for the worker.
    pub loading: bool,
}

/// A parameter being edited.
#[derive(Debug, Clone)]
pub struct Editing {
    /// Parameter index.
    pub index: usize,
    /// The text typed.
    pub buffer: String,
    /// Why the last attempt was refused.
    pub error: Option<String>,
}

/// The whole state.
#[derive(Debug, Default)]
pub struct App {
    /// Hunts, in library order.
    pub hunts: Vec<HuntState>,
    /// Selected hunt.
    pub selected: usize,
    /// Focused pane.
    pub focus: Option<Focus>,
    /// Selected parameter.
    pub param: usize,
    /// A parameter edit in progress.
    pub editing: Option<Editing>,
    /// The drill-down screen, when open.
    pub drill: Option<DrillView>,
    /// The help overlay is shown.
    pub help: bool,
    /// The hunt detail screen is shown.
    pub detail: bool,
    /// The hits filter is being typed.
    pub filtering: bool,
    /// The console, when open.
    pub console: Option<Console>,
    /// Console history loaded from the case.
    pub history: Vec<String>,
    /// The watchlist screen, when open.
    pub watchlists: Option<WatchlistsView>,
    /// A path being typed (to load or to export to).
    pub prompt: Option<Prompt>,
    /// The command palette: (query, selected entry), when open.
    pub palette: Option<(String, usize)>,
    /// Only hunts whose name, tactics or id contain this are listed.
    pub hunt_filter: String,
    /// The key bindings in effect.
    pub keymap: super::keymap::Keymap,
    /// The last load's summary (shown until a key is pressed).
    pub load_summary: Option<Vec<String>>,
    /// A load in progress: (bytes done, bytes in all, file).
    pub load_progress: Option<(u64, u64, String)>,
    /// Case file.
    pub case: String,
    /// Investigation clock.
    pub clock: String,
    /// Tables and rows of the case.
    pub tables: String,
    /// A notice (sample loaded, errors).
    pub notice: Option<String>,
    /// Hunt files that did not load.
    pub broken: Vec<String>,
    /// The worker is ready.
    pub ready: bool,
    /// Quit requested.
    pub quit: bool,
    /// The case's time window.
    pub window: String,
    /// The finding form, when open.
    pub draft: Option<FindingDraft>,
    /// The value chooser of a pivot, when open.
    pub picker: Option<Picker>,
    /// Open pivots, the newest on top (Esc walks back).
    pub pivots: Vec<PivotView>,
    /// The findings screen, when open.
    pub findings: Option<FindingsView>,
    /// The coverage screen's first visible line, when open.
    pub coverage: Option<usize>,
}

impl App {
    /// The pane with the keyboard.
    pub fn focus(&self) -> Focus {
        self.focus.unwrap_or(Focus::Hunts)
    }

    /// The keymap context for the current state.
    pub fn context(&self) -> Context {
        if self.palette.is_some() {
            Context::Palette
        } else if self.draft.is_some() {
            Context::Editing
        } else if self.picker.is_some() {
            Context::Picker
        } else if self.prompt.is_some() {
            Context::Editing
        } else if self.findings.is_some() {
            Context::Findings
        } else if !self.pivots.is_empty() {
            Context::Pivot
        } else if self.console.is_some() {
            Context::Console
        } else if self.watchlists.as_ref().is_some_and(|w| w.adding.is_some()) {
            Context::Editing
        } else if self.watchlists.is_some() {
            Context::Watchlists
        } else if self.editing.is_some() || self.filtering || self.prompt.is_some() {
            Context::Editing
        } else if self.drill.is_some() {
            Context::Drill
        } else {
            match self.focus() {
                Focus::Hunts => Context::Hunts,
                Focus::Hits => Context::Hits,
                Focus::Params => Context::Params,
            }
        }
    }

    /// The selected hunt.
    pub fn current(&self) -> Option<&HuntState> {
        self.hunts.get(self.selected)
    }

    fn request_run(&mut self, index: usize, now: Instant) -> Vec<Effect> {
        let Some(h) = self.hunts.get_mut(index) else {
            return Vec::new();
        };
        let mut effects = Vec::new();
        if matches!(h.state, RunState::Running(_)) {
            effects.push(Effect::Cancel);
        }
        h.generation += 1;
        h.due = None;
        h.state = RunState::Queued;
        let _ = now;
        effects.push(Effect::Send(Request::Run {
            hunt: h.row.id.clone(),
            overrides: h.overrides.clone(),
            generation: h.generation,
        }));
        effects
    }

    pub(super) fn run_all(&mut self) -> Vec<Effect> {
        let jobs = self
            .hunts
            .iter_mut()
            .map(|h| {
                h.generation += 1;
                h.state = RunState::Queued;
                (h.row.id.clone(), h.overrides.clone(), h.generation)
            })
            .collect();
        vec![Effect::Send(Request::RunAll(jobs))]
    }

    /// Applies a worker reply.
    pub fn on_reply(&mut self, reply: Reply, now: Instant) -> Vec<Effect> {
        match reply {
            Reply::Pivoted(p) => self.on_pivoted(*p),
            Reply::Findings { list, notice } => self.on_findings(list, notice),
            Reply::Window(label) => self.on_window(label),
            Reply::Ready {
                case,
                clock,
                hunts,
                notice,
                broken,
                history,
                tables,
                window,
            } => {
                self.window = window;
                self.tables = tables;
                self.history = history;
                self.case = case;
                self.clock = clock;
                self.notice = notice;
                self.broken = broken;
                self.ready = true;
                self.hunts = hunts
                    .into_iter()
                    .map(|(row, params)| HuntState {
                        before: row.previous_hits,
                        row,
                        params,
                        overrides: Vec::new(),
                        generation: 0,
                        state: RunState::Queued,
                        result: None,
                        hit: 0,
                        col: 0,
                        due: None,
                        filter: String::new(),
                        sort: None,
                        page: Page::default(),
                        asked: None,
                    })
                    .collect();
                self.run_all()
            }
            Reply::Started { hunt, generation } => {
                if let Some(h) = self.hunts.iter_mut().find(|h| h.row.id == hunt) {
                    if h.generation == generation {
                        h.state = RunState::Running(now);
                    }
                }
                Vec::new()
            }
            Reply::Finished {
                result,
                generation,
                cancelled,
            } => {
                if let Some(h) = self.hunts.iter_mut().find(|h| h.row.id == result.id) {
                    if h.generation == generation && !cancelled {
                        if let Some(prev) = &h.result {
                            h.before = Some(prev.hit_count as i64);
                        }
                        h.hit = h.hit.min(result.hit_count.saturating_sub(1));
                        h.result = Some(*result);
                        h.refresh_view();
                        h.state = RunState::Done;
                    }
                }
                Vec::new()
            }
            Reply::Hits {
                hunt,
                generation,
                query,
                page,
            } => {
                if let Some(h) = self.hunts.iter_mut().find(|h| h.row.id == hunt) {
                    if h.generation == generation {
                        h.take_page(&query, page);
                    }
                }
                Vec::new()
            }
            Reply::Drilled {
                hunt,
                predicate,
                columns,
                rows,
                more,
                offset,
            } => {
                if let Some(d) = self.drill.as_mut().filter(|d| d.hunt == hunt) {
                    if offset == 0 {
                        d.predicate = predicate;
                        d.columns = columns;
                        d.rows = rows;
                    } else if offset == d.rows.len() {
                        // The next page, read when the cursor reached the end.
                        d.rows.extend(rows);
                    }
                    d.more = more;
                    d.loading = false;
                }
                Vec::new()
            }
            Reply::Console {
                columns,
                rows,
                more,
                error,
                elapsed_ms,
            } => {
                if let Some(c) = self.console.as_mut() {
                    c.running = false;
                    c.columns = columns;
                    c.rows = rows;
                    c.more = more;
                    c.error = error;
                    c.elapsed_ms = elapsed_ms;
                    c.row = 0;
                    c.col = 0;
                }
                Vec::new()
            }
            Reply::Watchlists { lists, changed } => {
                if let Some(w) = self.watchlists.as_mut() {
                    w.loading = false;
                    w.list = w.list.min(lists.len().saturating_sub(1));
                    w.lists = lists;
                    let n = w.lists.get(w.list).map_or(0, |l| l.rows.len());
                    w.row = w.row.min(n.saturating_sub(1));
                }
                // Hunts that read the edited watchlist run again.
                let Some(name) = changed else {
                    return Vec::new();
                };
                let needle = format!("_GetWatchlist('{name}')");
                let affected: Vec<usize> = self
                    .hunts
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| h.row.query.contains(&needle))
                    .map(|(i, _)| i)
                    .collect();
                affected
                    .into_iter()
                    .flat_map(|i| self.request_run(i, now))
                    .collect()
            }
            Reply::LoadProgress { done, total, file } => {
                self.load_progress = Some((done, total, file));
                Vec::new()
            }
            Reply::Exported(message) => {
                self.notice = Some(message);
                Vec::new()
            }
            Reply::Loaded {
                summary,
                clock,
                tables,
            } => {
                self.clock = clock;
                self.tables = tables;
                self.load_progress = None;
                self.notice = summary.last().cloned();
                self.load_summary = Some(summary);
                self.run_all()
            }
            Reply::Failed(message) => {
                self.load_progress = None;
                if let Some(d) = self.drill.as_mut() {
                    d.loading = false;
                }
                self.notice = Some(message);
                Vec::new()
            }
        }
    }

    /// Applies a mouse event in a `width` x `height` screen: the wheel moves the cursor of
    /// the pane under it; a click on the hunt list selects that hunt, on the hits a row.
    pub fn on_mouse(
        &mut self,
        kind: MouseEventKind,
        column: u16,
        row: u16,
        width: u16,
        height: u16,
    ) -> Vec<Effect> {
        let overlay = self.drill.is_some()
            || self.console.is_some()
            || self.watchlists.is_some()
            || self.detail
            || self.help;
        let left_width = width * 38 / 100;
        let body_height = height.saturating_sub(2);
        let pane = if column < left_width {
            Focus::Hunts
        } else {
            Focus::Hits
        };
        match kind {
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                if !overlay {
                    self.focus = Some(pane);
                }
                let action = if kind == MouseEventKind::ScrollUp {
                    Action::Up
                } else {
                    Action::Down
                };
                self.move_cursor(action);
                self.next_drill_page()
            }
            MouseEventKind::Down(_) if !overlay && row > 0 && row < body_height => {
                self.focus = Some(pane);
                if pane == Focus::Hunts {
                    // Two lines per hunt inside the border.
                    let visible = self.visible_hunts();
                    if let Some(i) = visible.get(usize::from(row - 1) / 2) {
                        self.selected = *i;
                    }
                } else if let Some(h) = self.hunts.get_mut(self.selected) {
                    // Border and header above the first hit row (the table starts at the top).
                    if row >= 2 {
                        let n = h.shown();
                        let clicked = usize::from(row - 2);
                        if clicked < n {
                            h.hit = clicked;
                        }
                    }
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Fires debounced re-runs that are due, and asks for the page of hits the view lacks.
    pub fn tick(&mut self, now: Instant) -> Vec<Effect> {
        let due: Vec<usize> = self
            .hunts
            .iter()
            .enumerate()
            .filter(|(_, h)| h.due.is_some_and(|d| d <= now))
            .map(|(i, _)| i)
            .collect();
        let mut effects: Vec<Effect> = due
            .into_iter()
            .flat_map(|i| self.request_run(i, now))
            .collect();
        if let Some(h) = self.hunts.get_mut(self.selected) {
            if let Some(query) = h.wanted_page() {
                h.asked = Some(query.clone());
                effects.push(Effect::Send(Request::Hits {
                    hunt: h.row.id.clone(),
                    overrides: h.overrides.clone(),
                    generation: h.generation,
                    query,
                }));
            }
        }
        effects
    }

    /// Applies a key.
    pub fn on_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Effect> {
        let context = self.context();
        let Some(action) = lookup(&self.keymap.0, &key, context) else {
            if let KeyCode::Char(c) = key.code {
                if let Some(d) = self.draft.as_mut() {
                    d.type_char(c);
                } else if let Some((query, selected)) = self.palette.as_mut() {
                    query.push(c);
                    *selected = 0;
                } else if let Some(console) = self.console.as_mut() {
                    console.input.push(c);
                    console.position = None;
                } else if let Some(e) = self.editing.as_mut() {
                    e.buffer.push(c);
                    e.error = None;
                } else if let Some(p) = self.prompt.as_mut() {
                    p.text.push(c);
                } else if let Some(text) = self.watchlists.as_mut().and_then(|w| w.adding.as_mut())
                {
                    text.push(c);
                } else if self.filtering {
                    self.edit_filter(|f| f.push(c));
                }
            }
            return Vec::new();
        };
        if let Some((query, selected)) = self.palette.as_mut() {
            let entries = super::keymap::palette_entries(&self.keymap.0, query);
            match action {
                Action::Up => *selected = selected.saturating_sub(1),
                Action::Down => *selected = (*selected + 1).min(entries.len().saturating_sub(1)),
                Action::Backspace => {
                    query.pop();
                    *selected = 0;
                }
                Action::Back => self.palette = None,
                Action::Confirm => {
                    let chosen = entries.get(*selected).map(|e| e.0);
                    self.palette = None;
                    if let Some(a) = chosen {
                        return self.perform(a, now);
                    }
                }
                _ => {}
            }
            return Vec::new();
        }
        self.perform(action, now)
    }

    /// Carries out an action (from a key or the palette).
    fn perform(&mut self, action: Action, now: Instant) -> Vec<Effect> {
        if self.help && action != Action::Quit {
            if matches!(action, Action::Help | Action::Back) {
                self.help = false;
            }
            return Vec::new();
        }
        if self.load_summary.take().is_some() {
            return Vec::new();
        }
        if self.draft.is_some() {
            return self.draft_key(action);
        }
        if self.picker.is_some() {
            return self.picker_key(action);
        }
        if let Some(p) = self.prompt.as_mut() {
            match action {
                Action::Backspace => {
                    p.text.pop();
                }
                Action::Complete => p.text = complete_path(&p.text),
                Action::Back => self.prompt = None,
                Action::Quit => self.quit = true,
                Action::Confirm if !p.text.trim().is_empty() => {
                    let Some(Prompt { kind, text }) = self.prompt.take() else {
                        return Vec::new();
                    };
                    return self.submit_prompt(kind, text);
                }
                _ => {}
            }
            return Vec::new();
        }
        if self.findings.is_some() {
            return self.findings_key(action);
        }
        if self.coverage.is_some() {
            return self.coverage_key(action);
        }
        if !self.pivots.is_empty()
            && !matches!(
                action,
                Action::SetWindow
                    | Action::Report
                    | Action::OpenFindings
                    | Action::Coverage
                    | Action::Palette
            )
        {
            return self.pivot_key(action);
        }
        if self.console.is_some() {
            return self.console_key(action);
        }
        if self.watchlists.is_some() {
            return self.watchlists_key(action);
        }
        if self.filtering {
            match action {
                Action::Confirm => self.filtering = false,
                Action::Back => {
                    self.filtering = false;
                    self.edit_filter(String::clear);
                }
                Action::Backspace => self.edit_filter(|f| {
                    f.pop();
                }),
                Action::Quit => self.quit = true,
                _ => {}
            }
            return Vec::new();
        }
        if self.detail && action != Action::Quit {
            if matches!(action, Action::Detail | Action::Back) {
                self.detail = false;
            }
            return Vec::new();
        }
        if self.help && action != Action::Quit {
            if matches!(action, Action::Help | Action::Back) {
                self.help = false;
            }
            return Vec::new();
        }
        match action {
            Action::Quit => {
                self.quit = true;
                vec![Effect::Cancel]
            }
            Action::Help => {
                self.help = true;
                Vec::new()
            }
            Action::HistoryPrev
            | Action::HistoryNext
            | Action::Add
            | Action::Delete
            | Action::Complete
            | Action::Newline => Vec::new(),
            Action::Load => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::Load,
                    text: String::new(),
                });
                Vec::new()
            }
            Action::Export => {
                if let Some(h) = self.current() {
                    self.prompt = Some(Prompt {
                        kind: PromptKind::Export,
                        text: format!("{}.csv", h.row.id),
                    });
                }
                Vec::new()
            }
            Action::Copy => self.copy(),
            Action::Mark => self.start_mark(),
            Action::Pivot => self.start_pivot(),
            Action::OpenFindings => self.open_findings(),
            Action::Coverage => {
                self.coverage = Some(0);
                Vec::new()
            }
            Action::SetWindow => self.prompt_for(PromptKind::Window),
            Action::Report => self.prompt_for(PromptKind::Report),
            Action::Zoom | Action::PrevBucket | Action::NextBucket => Vec::new(),
            Action::SetClock => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::Clock,
                    text: self.clock.replace(' ', "T"),
                });
                Vec::new()
            }
            Action::Palette => {
                self.palette = Some((String::new(), 0));
                Vec::new()
            }
            Action::ToggleEmpty => {
                if let Some(d) = self.drill.as_mut() {
                    d.show_empty = !d.show_empty;
                }
                Vec::new()
            }
            Action::OpenWatchlists => {
                self.watchlists = Some(WatchlistsView {
                    loading: true,
                    ..WatchlistsView::default()
                });
                vec![Effect::Send(Request::Watchlists)]
            }
            Action::Console => {
                self.console = Some(Console {
                    history: self.history.clone(),
                    ..Console::default()
                });
                Vec::new()
            }
            Action::Detail => {
                self.detail = self.drill.is_none() && self.current().is_some();
                Vec::new()
            }
            Action::Filter => {
                self.filtering = true;
                Vec::new()
            }
            Action::Sort | Action::Reverse => {
                if let Some(h) = self.hunts.get_mut(self.selected) {
                    let n = h.result.as_ref().map_or(0, |r| r.columns.len());
                    h.sort = match (action, h.sort) {
                        (Action::Reverse, Some((c, d))) => Some((c, !d)),
                        (Action::Reverse, None) => Some((0, true)),
                        (_, None) => Some((0, false)),
                        (_, Some((c, _))) if c + 1 < n => Some((c + 1, false)),
                        _ => None,
                    };
                    h.hit = 0;
                    h.refresh_view();
                }
                Vec::new()
            }
            Action::Back => {
                if self.editing.take().is_some() {
                } else if let Some(d) = self.drill.as_mut() {
                    if d.detail.take().is_none() {
                        self.drill = None;
                    }
                } else if self.focus() != Focus::Hunts {
                    self.focus = Some(Focus::Hunts);
                } else if self
                    .hunts
                    .iter()
                    .any(|h| matches!(h.state, RunState::Running(_)))
                {
                    // Esc on the hunt list cancels the running hunt (the queue goes on).
                    self.notice = Some("cancelled the running hunt".into());
                    return vec![Effect::Cancel];
                }
                Vec::new()
            }
            Action::FocusNext | Action::FocusPrev => {
                if self.drill.is_none() {
                    let order = [Focus::Hunts, Focus::Hits, Focus::Params];
                    let i = order.iter().position(|f| *f == self.focus()).unwrap_or(0);
                    let step = if action == Action::FocusNext { 1 } else { 2 };
                    self.focus = Some(order[(i + step) % 3]);
                }
                Vec::new()
            }
            Action::Run => self.request_run(self.selected, now),
            Action::RunAll => self.run_all(),
            Action::Enter => self.enter(),
            Action::Confirm => self.confirm(now),
            Action::Backspace => {
                if let Some(e) = self.editing.as_mut() {
                    e.buffer.pop();
                }
                Vec::new()
            }
            Action::Reset => {
                let p = self.param;
                if let Some(h) = self.hunts.get_mut(self.selected) {
                    if let Some(name) = h.params.get(p).map(|p| p.name.clone()) {
                        h.overrides.retain(|(n, _)| n != &name);
                        h.due = Some(now + DEBOUNCE);
                    }
                }
                Vec::new()
            }
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => {
                self.move_cursor(action);
                self.next_drill_page()
            }
            Action::Left | Action::Right => {
                let delta = |c: &mut usize| {
                    *c = if action == Action::Left {
                        c.saturating_sub(1)
                    } else {
                        *c + 1
                    };
                };
                if let Some(d) = self.drill.as_mut() {
                    delta(&mut d.col);
                    d.col = d.col.min(d.columns.len().saturating_sub(1));
                } else if let Some(h) = self.hunts.get_mut(self.selected) {
                    let n = h.result.as_ref().map_or(0, |r| r.columns.len());
                    delta(&mut h.col);
                    h.col = h.col.min(n.saturating_sub(1));
                }
                Vec::new()
            }
        }
    }

    /// Hunts matching the hunt-list filter (name, tactics or id), in library order.
    pub fn visible_hunts(&self) -> Vec<usize> {
        let q = self.hunt_filter.to_lowercase();
        self.hunts
            .iter()
            .enumerate()
            .filter(|(_, h)| {
                q.is_empty()
                    || h.row.name.to_lowercase().contains(&q)
                    || h.row.tactics.to_lowercase().contains(&q)
                    || h.row.id.to_lowercase().contains(&q)
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Edits the filter of the focused list: the hunt list's, or the selected hunt's hits'.
    fn edit_filter(&mut self, edit: impl FnOnce(&mut String)) {
        if self.focus() == Focus::Hunts {
            edit(&mut self.hunt_filter);
            let visible = self.visible_hunts();
            if !visible.contains(&self.selected) {
                if let Some(first) = visible.first() {
                    self.selected = *first;
                }
            }
        } else if let Some(h) = self.hunts.get_mut(self.selected) {
            edit(&mut h.filter);
            h.refresh_view();
            h.hit = 0;
        }
    }

    fn submit_prompt(&mut self, kind: PromptKind, text: String) -> Vec<Effect> {
        match kind {
            PromptKind::Load => {
                self.notice = Some(format!("Loading {text}…"));
                vec![Effect::Send(Request::Load(text))]
            }
            PromptKind::Clock => vec![Effect::Send(Request::SetClock(text))],
            PromptKind::Window => vec![Effect::Send(Request::SetWindow(text))],
            PromptKind::Report => {
                self.notice = Some(format!("writing the report to {text}…"));
                vec![Effect::Send(Request::Report(text))]
            }
            PromptKind::Export => {
                let Some(sql) = self
                    .current()
                    .and_then(|h| h.result.as_ref())
                    .map(|r| r.sql.clone())
                    .filter(|s| !s.is_empty())
                else {
                    self.notice = Some("nothing to export: the hunt has no result".into());
                    return Vec::new();
                };
                vec![Effect::Send(Request::Export { sql, path: text })]
            }
        }
    }

    /// Copies the selected row (hit or event) to the clipboard.
    fn copy(&mut self) -> Vec<Effect> {
        let text = if let Some(d) = &self.drill {
            d.rows.get(d.selected).map(|r| {
                d.columns
                    .iter()
                    .zip(r)
                    .map(|(c, v)| format!("{c}\t{v}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        } else {
            self.current()
                .and_then(|h| h.selected_hit().map(|v| v.to_string()))
        };
        match text {
            Some(t) => {
                self.notice = Some(format!("copied {} bytes to the clipboard", t.len()));
                vec![Effect::Copy(t)]
            }
            None => Vec::new(),
        }
    }

    fn watchlists_key(&mut self, action: Action) -> Vec<Effect> {
        let Some(w) = self.watchlists.as_mut() else {
            return Vec::new();
        };
        if let Some(text) = w.adding.as_mut() {
            match action {
                Action::Backspace => {
                    text.pop();
                }
                Action::Back => {
                    w.adding = None;
                    w.replacing = None;
                }
                Action::Quit => self.quit = true,
                Action::Confirm => {
                    let parsed: Result<Vec<(String, String)>, String> = text
                        .split(',')
                        .filter(|p| !p.trim().is_empty())
                        .map(crate::ingest::watchlist_edit::parse_pair)
                        .collect();
                    let name = w.lists.get(w.list).map(|l| l.name.clone());
                    match (parsed, name) {
                        (Ok(pairs), Some(name)) if !pairs.is_empty() => {
                            w.adding = None;
                            w.loading = true;
                            let mut effects = Vec::new();
                            if let Some(key) = w.replacing.take() {
                                effects.push(Effect::Send(Request::WatchlistRemove {
                                    name: name.clone(),
                                    key,
                                }));
                            }
                            effects.push(Effect::Send(Request::WatchlistAdd { name, pairs }));
                            return effects;
                        }
                        (Err(e), _) => self.notice = Some(e),
                        _ => {}
                    }
                }
                _ => {}
            }
            return Vec::new();
        }
        let rows = w.lists.get(w.list).map_or(0, |l| l.rows.len());
        match action {
            Action::Quit => {
                self.quit = true;
                return vec![Effect::Cancel];
            }
            Action::Back => self.watchlists = None,
            Action::FocusNext | Action::FocusPrev | Action::Left | Action::Right => {
                let n = w.lists.len().max(1);
                w.list = if matches!(action, Action::FocusNext | Action::Right) {
                    (w.list + 1) % n
                } else {
                    (w.list + n - 1) % n
                };
                w.row = 0;
            }
            Action::Up => w.row = w.row.saturating_sub(1),
            Action::Down => w.row = (w.row + 1).min(rows.saturating_sub(1)),
            Action::Add => {
                w.replacing = None;
                w.adding = Some(String::new());
            }
            Action::Enter => {
                // Edit: the row as `col=value` pairs, replacing it when applied.
                let Some(l) = w.lists.get(w.list) else {
                    return Vec::new();
                };
                let key_col = l.columns.iter().position(|c| c == "SearchKey");
                if let (Some(k), Some(r)) = (key_col, l.rows.get(w.row)) {
                    let pairs: Vec<String> = l
                        .columns
                        .iter()
                        .zip(r)
                        .filter(|(c, _)| *c != "SearchKey")
                        .map(|(c, v)| format!("{c}={v}"))
                        .collect();
                    w.replacing = Some(r[k].clone());
                    w.adding = Some(pairs.join(", "));
                }
            }
            Action::Delete => {
                let Some(l) = w.lists.get(w.list) else {
                    return Vec::new();
                };
                let key_col = l.columns.iter().position(|c| c == "SearchKey");
                if let (Some(k), Some(r)) = (key_col, l.rows.get(w.row)) {
                    let (name, key) = (l.name.clone(), r[k].clone());
                    w.loading = true;
                    return vec![Effect::Send(Request::WatchlistRemove { name, key })];
                }
            }
            Action::Help => self.help = true,
            _ => {}
        }
        Vec::new()
    }

    fn console_key(&mut self, action: Action) -> Vec<Effect> {
        let Some(c) = self.console.as_mut() else {
            return Vec::new();
        };
        match action {
            Action::Quit => {
                self.quit = true;
                return vec![Effect::Cancel];
            }
            Action::Back => {
                self.history = c.history.clone();
                self.console = None;
            }
            Action::Confirm if !c.input.trim().is_empty() && !c.running => {
                let text = c.input.trim().to_string();
                if c.history.last() != Some(&text) {
                    c.history.push(text.clone());
                }
                c.position = None;
                c.running = true;
                return vec![Effect::Send(Request::Console(text))];
            }
            Action::Backspace => {
                c.input.pop();
            }
            Action::Newline => c.input.push('\n'),
            Action::HistoryPrev | Action::HistoryNext => {
                let n = c.history.len();
                let pos = match (action, c.position) {
                    (Action::HistoryPrev, None) => n.checked_sub(1),
                    (Action::HistoryPrev, Some(p)) => Some(p.saturating_sub(1)),
                    (_, Some(p)) if p + 1 < n => Some(p + 1),
                    _ => None,
                };
                c.position = pos;
                c.input = pos
                    .and_then(|p| c.history.get(p).cloned())
                    .unwrap_or_default();
            }
            Action::PageUp => c.row = c.row.saturating_sub(10),
            Action::PageDown => c.row = (c.row + 10).min(c.rows.len().saturating_sub(1)),
            Action::Left => c.col = c.col.saturating_sub(1),
            Action::Right => c.col = (c.col + 1).min(c.columns.len().saturating_sub(1)),
            _ => {}
        }
        Vec::new()
    }

    /// When the drill-down cursor is on its last row and more exist, reads the next page.
    fn next_drill_page(&mut self) -> Vec<Effect> {
        let Some(d) = self.drill.as_mut() else {
            return Vec::new();
        };
        if !d.more || d.loading || d.selected + 1 < d.rows.len() {
            return Vec::new();
        }
        let Some(h) = self.hunts.iter().find(|h| h.row.id == d.hunt) else {
            return Vec::new();
        };
        let Some(hit) = d.hit.clone() else {
            return Vec::new();
        };
        d.loading = true;
        vec![Effect::Send(Request::Drill {
            hunt: d.hunt.clone(),
            overrides: h.overrides.clone(),
            hit,
            offset: d.rows.len(),
        })]
    }

    fn move_cursor(&mut self, action: Action) {
        let step = |cur: usize, len: usize| -> usize {
            let last = len.saturating_sub(1);
            match action {
                Action::Up => cur.saturating_sub(1),
                Action::Down => (cur + 1).min(last),
                Action::PageUp => cur.saturating_sub(10),
                Action::PageDown => (cur + 10).min(last),
                Action::Top => 0,
                _ => last,
            }
        };
        if let Some(d) = self.drill.as_mut() {
            if d.detail.is_none() {
                d.selected = step(d.selected, d.rows.len());
            }
            return;
        }
        match self.focus() {
            Focus::Hunts => {
                let visible = self.visible_hunts();
                let pos = visible
                    .iter()
                    .position(|i| *i == self.selected)
                    .unwrap_or(0);
                if let Some(i) = visible.get(step(pos, visible.len())) {
                    self.selected = *i;
                }
            }
            Focus::Hits => {
                if let Some(h) = self.hunts.get_mut(self.selected) {
                    let n = h.shown();
                    h.hit = step(h.hit, n);
                }
            }
            Focus::Params => {
                let n = self.current().map_or(0, |h| h.params.len());
                self.param = step(self.param, n);
            }
        }
    }

    fn enter(&mut self) -> Vec<Effect> {
        if let Some(d) = self.drill.as_mut() {
            if !d.rows.is_empty() {
                d.detail = Some(d.selected);
            }
            return Vec::new();
        }
        match self.focus() {
            Focus::Hunts => {
                self.focus = Some(Focus::Hits);
                Vec::new()
            }
            Focus::Hits => {
                let Some(h) = self.current() else {
                    return Vec::new();
                };
                let Some(hit) = h.selected_hit().cloned() else {
                    return Vec::new();
                };
                let (hunt, overrides) = (h.row.id.clone(), h.overrides.clone());
                self.drill = Some(DrillView {
                    hunt: hunt.clone(),
                    loading: true,
                    hit: Some(hit.clone()),
                    ..DrillView::default()
                });
                vec![Effect::Send(Request::Drill {
                    hunt,
                    overrides,
                    hit,
                    offset: 0,
                })]
            }
            Focus::Params => {
                let Some(h) = self.current() else {
                    return Vec::new();
                };
                if let Some(p) = h.params.get(self.param) {
                    self.editing = Some(Editing {
                        index: self.param,
                        buffer: h.value_of(p),
                        error: None,
                    });
                }
                Vec::new()
            }
        }
    }

    fn confirm(&mut self, now: Instant) -> Vec<Effect> {
        let Some(edit) = self.editing.clone() else {
            return Vec::new();
        };
        let Some(h) = self.hunts.get_mut(self.selected) else {
            return Vec::new();
        };
        let Some(p) = h.params.get(edit.index) else {
            return Vec::new();
        };
        let declared = [Param {
            name: p.name.clone(),
            ty: p.ty,
            value: p.default.clone(),
            line: 0,
        }];
        match params::check(&declared, &[(p.name.clone(), edit.buffer.clone())]) {
            Ok(mut checked) => {
                let (name, value) = checked.remove(0);
                h.overrides.retain(|(n, _)| n != &name);
                if value != p.default {
                    h.overrides.push((name, value));
                }
                h.due = Some(now + DEBOUNCE);
                self.editing = None;
            }
            Err(e) => {
                if let Some(ed) = self.editing.as_mut() {
                    ed.error = Some(e);
                }
            }
        }
        Vec::new()
    }
}

/// Completes a typed path to the longest common prefix of the entries it starts.
pub fn complete_path(typed: &str) -> String {
    let path = std::path::Path::new(typed);
    let (dir, stem) = if typed.ends_with('/') || typed.is_empty() {
        (path.to_path_buf(), String::new())
    } else {
        (
            path.parent().map(|p| p.to_path_buf()).unwrap_or_default(),
            path.file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
        )
    };
    let listing = if dir.as_os_str().is_empty() {
        std::path::PathBuf::from(".")
    } else {
        dir.clone()
    };
    let Ok(entries) = std::fs::read_dir(&listing) else {
        return typed.to_string();
    };
    let mut names: Vec<(String, bool)> = entries
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                e.path().is_dir(),
            )
        })
        .filter(|(n, _)| n.starts_with(&stem))
        .collect();
    names.sort();
    let Some((first, first_dir)) = names.first().cloned() else {
        return typed.to_string();
    };
    let mut common = first.clone();
    for (n, _) in &names[1..] {
        let len = common
            .chars()
            .zip(n.chars())
            .take_while(|(a, b)| a == b)
            .count();
        common = common.chars().take(len).collect();
    }
    let mut out = dir.join(&common).to_string_lossy().into_owned();
    if names.len() == 1 && first_dir {
        out.push('/');
    }
    out
}

/// The hit count shown for a hunt, with its change since the run before.
pub fn hit_label(h: &HuntState, now: Instant) -> String {
    match (&h.state, &h.result) {
        (RunState::Running(since), _) => {
            format!("running {:.1}s", now.duration_since(*since).as_secs_f64())
        }
        (RunState::Queued, None) => "queued".into(),
        (_, Some(r)) => {
            let base = match r.status {
                Status::Hits => format!("{} hits", r.hit_count),
                Status::NoHits => "no hits".into(),
                Status::NotApplicable => "n/a".into(),
                Status::Error => "error".into(),
            };
            let change = match (r.status, h.before) {
                (Status::Hits | Status::NoHits, Some(b)) if b != r.hit_count as i64 => {
                    format!(" ({:+})", r.hit_count as i64 - b)
                }
                _ => String::new(),
            };
            let queued = if h.state == RunState::Queued {
                " …"
            } else {
                ""
            };
            format!("{base}{change}{queued}")
        }
        (RunState::Done, None) => String::new(),
    }
}

/// A JSON value as one line of display text.
pub fn cell(v: &Value) -> String {
    let s = match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    crate::sanitize::for_terminal(&s).into_owned()
}

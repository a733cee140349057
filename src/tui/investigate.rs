//! The workbench's investigation screens as state: the finding form, the value chooser, the
//! pivot stack (Esc walks back), the findings list and the coverage screen. Like the rest of
//! the app state, nothing here touches DuckDB: keys become requests to the worker.

use serde_json::{Map, Value};

use super::app::{cell, App, Effect, Focus, Prompt, PromptKind};
use super::keymap::Action;
use super::protocol::Request;
use crate::investigate::capture::Label;
use crate::investigate::coverage::{self, HuntTags, TacticRow};
use crate::investigate::entity::{pivot_values, Entity};
use crate::investigate::findings::{parse_tags, Edit, Finding, Severity};
use crate::investigate::pivot::Pivot;

/// What a finding form keeps.
#[derive(Debug, Clone)]
pub enum DraftTarget {
    /// A hunt's hit.
    Hit {
        /// Hunt id.
        hunt: String,
        /// Overrides of the run.
        overrides: Vec<(String, String)>,
        /// Parameter values in effect.
        params: Vec<(String, String)>,
        /// The SQL that ran.
        sql: String,
        /// The hit row.
        row: Value,
    },
    /// A raw event.
    Event {
        /// What found it.
        source: String,
        /// The query that found it.
        sql: String,
        /// The event.
        row: Value,
    },
    /// An existing finding being edited.
    Existing(i64),
}

/// The finding form: severity, tags and note.
#[derive(Debug, Clone)]
pub struct FindingDraft {
    /// What it keeps.
    pub target: DraftTarget,
    /// Severity (Space cycles it, a first letter picks it).
    pub severity: Severity,
    /// Tags, comma-separated.
    pub tags: String,
    /// The note.
    pub note: String,
    /// The field being typed: 0 severity, 1 tags, 2 note.
    pub field: usize,
}

impl FindingDraft {
    fn new(target: DraftTarget) -> Self {
        FindingDraft {
            target,
            severity: Severity::Medium,
            tags: String::new(),
            note: String::new(),
            field: 2,
        }
    }

    /// Types a character into the current field.
    pub fn type_char(&mut self, c: char) {
        match self.field {
            0 if c == ' ' => self.severity = self.severity.next(),
            0 => {
                if let Some(s) = Severity::ALL
                    .into_iter()
                    .find(|s| s.as_str().starts_with(c.to_ascii_lowercase()))
                {
                    self.severity = s;
                }
            }
            1 => self.tags.push(c),
            _ => self.note.push(c),
        }
    }

    fn label(&self) -> Label {
        Label {
            severity: self.severity,
            tags: parse_tags(&self.tags),
            note: self.note.clone(),
        }
    }
}

/// Choosing which value of a row to pivot on.
#[derive(Debug, Clone, Default)]
pub struct Picker {
    /// (column, value, entity) of each non-empty cell.
    pub items: Vec<(String, String, Entity)>,
    /// The chosen item.
    pub selected: usize,
}

/// One pivot on the stack.
#[derive(Debug, Clone)]
pub struct PivotView {
    /// What it is about.
    pub entity: Entity,
    /// The worker's answer, once it came.
    pub data: Option<Pivot>,
    /// The event table shown.
    pub table: usize,
    /// Selected event.
    pub row: usize,
    /// First visible column.
    pub col: usize,
    /// The timeline's selected bucket.
    pub bucket: usize,
}

/// The findings screen.
#[derive(Debug, Clone, Default)]
pub struct FindingsView {
    /// The findings, oldest first.
    pub list: Vec<Finding>,
    /// Selected finding.
    pub selected: usize,
    /// Waiting for the worker.
    pub loading: bool,
}

/// A row of JSON built from display columns and texts.
fn object(columns: &[String], texts: &[String]) -> Value {
    let mut map = Map::new();
    for (c, t) in columns.iter().zip(texts) {
        map.insert(c.clone(), Value::String(t.clone()));
    }
    Value::Object(map)
}

impl App {
    /// The columns and display texts of the selected row (pivot event, drill event or hit).
    fn selected_row(&self) -> Option<(Vec<String>, Vec<String>)> {
        if let Some(p) = self.pivots.last() {
            let t = p.data.as_ref()?.tables.get(p.table)?;
            let row = t.rows.get(p.row)?;
            let texts = t.columns.iter().map(|c| cell(&row[c.as_str()])).collect();
            return Some((t.columns.clone(), texts));
        }
        if let Some(d) = &self.drill {
            return Some((d.columns.clone(), d.rows.get(d.selected)?.clone()));
        }
        let h = self.current()?;
        let r = h.result.as_ref()?;
        let hit = h.selected_hit()?;
        let columns: Vec<String> = r.columns.iter().map(|c| c.name.clone()).collect();
        let texts = columns.iter().map(|c| cell(&hit[c.as_str()])).collect();
        Some((columns, texts))
    }

    /// `m`: opens the finding form for the selected pivot event, drill event or hit.
    pub(super) fn start_mark(&mut self) -> Vec<Effect> {
        let target = if let Some(p) = self.pivots.last() {
            let found = p.data.as_ref().and_then(|d| {
                let t = d.tables.get(p.table)?;
                Some((t.sql.clone(), t.rows.get(p.row)?.clone()))
            });
            found.map(|(sql, row)| DraftTarget::Event {
                source: format!("pivot on {} {}", p.entity.kind.as_str(), p.entity.value),
                sql,
                row,
            })
        } else if let Some(d) = &self.drill {
            d.rows.get(d.selected).map(|r| DraftTarget::Event {
                source: format!("drill-down of {}: {}", d.hunt, d.predicate),
                sql: String::new(),
                row: object(&d.columns, r),
            })
        } else if self.focus() != Focus::Params {
            self.current().and_then(|h| {
                let r = h.result.as_ref()?;
                let row = h.selected_hit()?.clone();
                Some(DraftTarget::Hit {
                    hunt: h.row.id.clone(),
                    overrides: h.overrides.clone(),
                    params: r.params.clone(),
                    sql: r.sql.clone(),
                    row,
                })
            })
        } else {
            None
        };
        match target {
            Some(t) => self.draft = Some(FindingDraft::new(t)),
            None => self.notice = Some("select a hit or an event to keep as a finding".into()),
        }
        Vec::new()
    }

    /// Keys of the finding form.
    pub(super) fn draft_key(&mut self, action: Action) -> Vec<Effect> {
        let Some(d) = self.draft.as_mut() else {
            return Vec::new();
        };
        match action {
            Action::Complete | Action::FocusNext => d.field = (d.field + 1) % 3,
            Action::Backspace => match d.field {
                1 => {
                    d.tags.pop();
                }
                2 => {
                    d.note.pop();
                }
                _ => {}
            },
            Action::Back => self.draft = None,
            Action::Quit => self.quit = true,
            Action::Confirm => {
                let Some(d) = self.draft.take() else {
                    return Vec::new();
                };
                let label = d.label();
                let request = match d.target {
                    DraftTarget::Hit {
                        hunt,
                        overrides,
                        params,
                        sql,
                        row,
                    } => Request::MarkHit {
                        hunt,
                        overrides,
                        params,
                        sql,
                        row,
                        label,
                    },
                    DraftTarget::Event { source, sql, row } => Request::MarkEvent {
                        source,
                        sql,
                        row,
                        label,
                    },
                    DraftTarget::Existing(id) => Request::EditFinding {
                        id,
                        edit: Edit {
                            severity: Some(label.severity),
                            tags: Some(label.tags),
                            note: Some(label.note),
                        },
                    },
                };
                self.notice = Some("keeping the finding…".into());
                return vec![Effect::Send(request)];
            }
            _ => {}
        }
        Vec::new()
    }

    /// `p`: offers the values of the selected row to pivot on.
    pub(super) fn start_pivot(&mut self) -> Vec<Effect> {
        let Some((columns, texts)) = self.selected_row() else {
            self.notice = Some("select a hit or an event to pivot from".into());
            return Vec::new();
        };
        let items: Vec<(String, String, Entity)> = columns
            .into_iter()
            .zip(texts)
            .flat_map(|(c, cell)| {
                pivot_values(&cell).into_iter().map(move |v| {
                    let e = Entity::detect(&v, Some(&c));
                    (c.clone(), v, e)
                })
            })
            .collect();
        if items.is_empty() {
            self.notice = Some("the row has no value to pivot on".into());
        } else {
            self.picker = Some(Picker { items, selected: 0 });
        }
        Vec::new()
    }

    /// Keys of the value chooser.
    pub(super) fn picker_key(&mut self, action: Action) -> Vec<Effect> {
        let Some(p) = self.picker.as_mut() else {
            return Vec::new();
        };
        match action {
            Action::Up => p.selected = p.selected.saturating_sub(1),
            Action::Down => p.selected = (p.selected + 1).min(p.items.len().saturating_sub(1)),
            Action::Back => self.picker = None,
            Action::Quit => self.quit = true,
            Action::Confirm | Action::Enter => {
                let entity = p.items.get(p.selected).map(|i| i.2.clone());
                self.picker = None;
                if let Some(entity) = entity {
                    return self.open_pivot(entity);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Pushes a pivot on the stack and asks the worker for it.
    pub fn open_pivot(&mut self, entity: Entity) -> Vec<Effect> {
        self.pivots.push(PivotView {
            entity: entity.clone(),
            data: None,
            table: 0,
            row: 0,
            col: 0,
            bucket: 0,
        });
        vec![Effect::Send(Request::Pivot(entity))]
    }

    /// Keys of the pivot screen.
    pub(super) fn pivot_key(&mut self, action: Action) -> Vec<Effect> {
        let Some(p) = self.pivots.last_mut() else {
            return Vec::new();
        };
        let tables = p.data.as_ref().map_or(0, |d| d.tables.len());
        let rows = p
            .data
            .as_ref()
            .and_then(|d| d.tables.get(p.table))
            .map_or(0, |t| t.rows.len());
        let buckets = p
            .data
            .as_ref()
            .and_then(|d| d.timeline.as_ref())
            .map_or(0, |t| t.counts.len());
        match action {
            Action::Back => {
                self.pivots.pop();
            }
            Action::Quit => self.quit = true,
            Action::Up => p.row = p.row.saturating_sub(1),
            Action::Down => p.row = (p.row + 1).min(rows.saturating_sub(1)),
            Action::PageUp => p.row = p.row.saturating_sub(10),
            Action::PageDown => p.row = (p.row + 10).min(rows.saturating_sub(1)),
            Action::Top => p.row = 0,
            Action::Bottom => p.row = rows.saturating_sub(1),
            Action::Left => p.col = p.col.saturating_sub(1),
            Action::Right => p.col += 1,
            Action::FocusNext | Action::FocusPrev if tables > 0 => {
                p.table = if action == Action::FocusNext {
                    (p.table + 1) % tables
                } else {
                    (p.table + tables - 1) % tables
                };
                p.row = 0;
                p.col = 0;
            }
            Action::PrevBucket => p.bucket = p.bucket.saturating_sub(1),
            Action::NextBucket => p.bucket = (p.bucket + 1).min(buckets.saturating_sub(1)),
            Action::Zoom => {
                let Some(t) = p.data.as_ref().and_then(|d| d.timeline.as_ref()) else {
                    return Vec::new();
                };
                let from = t.bucket_start(p.bucket);
                let to = t.bucket_start(p.bucket + 1);
                let text = format!(
                    "{} .. {}",
                    from.format("%Y-%m-%dT%H:%M:%SZ"),
                    to.format("%Y-%m-%dT%H:%M:%SZ")
                );
                self.notice = Some(format!("time window {text}…"));
                return vec![Effect::Send(Request::SetWindow(text))];
            }
            Action::Mark => return self.start_mark(),
            Action::Pivot => return self.start_pivot(),
            Action::Help => self.help = true,
            _ => {}
        }
        Vec::new()
    }

    /// Opens the findings screen.
    pub(super) fn open_findings(&mut self) -> Vec<Effect> {
        self.findings = Some(FindingsView {
            loading: true,
            ..FindingsView::default()
        });
        vec![Effect::Send(Request::Findings)]
    }

    /// Keys of the findings screen.
    pub(super) fn findings_key(&mut self, action: Action) -> Vec<Effect> {
        let Some(v) = self.findings.as_mut() else {
            return Vec::new();
        };
        let n = v.list.len();
        match action {
            Action::Back => self.findings = None,
            Action::Quit => self.quit = true,
            Action::Up => v.selected = v.selected.saturating_sub(1),
            Action::Down => v.selected = (v.selected + 1).min(n.saturating_sub(1)),
            Action::Enter => {
                if let Some(f) = v.list.get(v.selected) {
                    self.draft = Some(FindingDraft {
                        target: DraftTarget::Existing(f.id),
                        severity: f.body.severity,
                        tags: f.body.tags.join(", "),
                        note: f.body.note.clone(),
                        field: 2,
                    });
                }
            }
            Action::Delete => {
                if let Some(f) = v.list.get(v.selected) {
                    v.loading = true;
                    return vec![Effect::Send(Request::RemoveFinding(f.id))];
                }
            }
            Action::Help => self.help = true,
            _ => {}
        }
        Vec::new()
    }

    /// Keys of the coverage screen.
    pub(super) fn coverage_key(&mut self, action: Action) -> Vec<Effect> {
        let Some(top) = self.coverage.as_mut() else {
            return Vec::new();
        };
        match action {
            Action::Back | Action::Coverage => self.coverage = None,
            Action::Quit => self.quit = true,
            Action::Up => *top = top.saturating_sub(1),
            Action::Down => *top += 1,
            Action::PageUp => *top = top.saturating_sub(10),
            Action::PageDown => *top += 10,
            Action::Top => *top = 0,
            Action::Help => self.help = true,
            _ => {}
        }
        Vec::new()
    }

    /// The ATT&CK coverage of the loaded hunts with their latest hit counts.
    pub fn coverage_rows(&self) -> Vec<TacticRow> {
        let split = |s: &str| -> Vec<String> {
            s.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect()
        };
        let tags: Vec<HuntTags> = self
            .hunts
            .iter()
            .map(|h| HuntTags {
                id: h.row.id.clone(),
                tactics: split(&h.row.tactics),
                techniques: split(&h.row.techniques),
                hits: h.result.as_ref().map(|r| r.hit_count),
            })
            .collect();
        coverage::coverage(&tags)
    }

    /// Opens the prompt for the time window or the report path.
    pub(super) fn prompt_for(&mut self, kind: PromptKind) -> Vec<Effect> {
        let text = match kind {
            PromptKind::Window if self.window == "all time" => String::new(),
            PromptKind::Window => self.window.clone(),
            _ => "quarry-report.md".into(),
        };
        self.prompt = Some(Prompt { kind, text });
        Vec::new()
    }

    /// A pivot came back (with the hunts whose kept results mention the entity): it fills
    /// the pivot waiting for it.
    pub(super) fn on_pivoted(&mut self, p: Pivot) -> Vec<Effect> {
        if let Some(view) = self
            .pivots
            .iter_mut()
            .rev()
            .find(|v| v.entity == p.entity && v.data.is_none())
        {
            view.bucket = p
                .timeline
                .as_ref()
                .map_or(0, |t| t.counts.len().saturating_sub(1));
            view.data = Some(p);
        }
        Vec::new()
    }

    /// The findings changed or were read.
    pub(super) fn on_findings(
        &mut self,
        list: Vec<Finding>,
        notice: Option<String>,
    ) -> Vec<Effect> {
        if let Some(v) = self.findings.as_mut() {
            v.loading = false;
            v.selected = v.selected.min(list.len().saturating_sub(1));
            v.list = list;
        }
        if notice.is_some() {
            self.notice = notice;
        }
        Vec::new()
    }

    /// The time window changed: every hunt runs again, and open pivots are stale.
    pub(super) fn on_window(&mut self, label: String) -> Vec<Effect> {
        self.notice = Some(format!("time window {label}; every hunt runs again"));
        self.window = label;
        self.pivots.clear();
        self.run_all()
    }
}

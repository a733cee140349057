//! The keymap as data: every binding with the context it works in and a description. The
//! help screen is generated from this table, so it cannot drift from what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Everywhere except while editing a value.
    Global,
    /// The hunt list has focus.
    Hunts,
    /// The hits table has focus.
    Hits,
    /// The parameter panel has focus.
    Params,
    /// The drill-down or detail screen.
    Drill,
    /// Editing a parameter value.
    Editing,
    /// The console (typing a query).
    Console,
    /// The watchlist screen.
    Watchlists,
    /// The command palette.
    Palette,
    /// The entity pivot screen.
    Pivot,
    /// The findings screen.
    Findings,
    /// Choosing a value of the selected row to pivot on.
    Picker,
}

/// What a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Move the cursor up.
    Up,
    /// Move the cursor down.
    Down,
    /// One page up.
    PageUp,
    /// One page down.
    PageDown,
    /// First row.
    Top,
    /// Last row.
    Bottom,
    /// Scroll columns left.
    Left,
    /// Scroll columns right.
    Right,
    /// Next pane.
    FocusNext,
    /// Previous pane.
    FocusPrev,
    /// Open (drill into a hit, edit a parameter, open an event).
    Enter,
    /// Go back / cancel.
    Back,
    /// Run the selected hunt.
    Run,
    /// Run every hunt.
    RunAll,
    /// Reset the selected parameter to its default.
    Reset,
    /// Show or hide the help.
    Help,
    /// Quit.
    Quit,
    /// Confirm an edit.
    Confirm,
    /// Show the hunt's description, KQL and SQL.
    Detail,
    /// Filter the hits by text.
    Filter,
    /// Sort the hits by the next column.
    Sort,
    /// Reverse the sort order.
    Reverse,
    /// Open the KQL/SQL console.
    Console,
    /// The previous console entry.
    HistoryPrev,
    /// The next console entry.
    HistoryNext,
    /// Open the watchlist screen.
    OpenWatchlists,
    /// Add a row (watchlists).
    Add,
    /// Delete the selected row (watchlists).
    Delete,
    /// Load logs into the case.
    Load,
    /// Complete the typed path.
    Complete,
    /// Export the hunt's hits to a file.
    Export,
    /// Copy the selected row to the clipboard.
    Copy,
    /// Open the command palette.
    Palette,
    /// Set the investigation clock.
    SetClock,
    /// Show or hide empty fields in the event detail.
    ToggleEmpty,
    /// Start a new line in the console.
    Newline,
    /// Delete a character while editing.
    Backspace,
    /// Keep the selected hit or event as a finding.
    Mark,
    /// Pivot on a value of the selected row.
    Pivot,
    /// Open the findings screen.
    OpenFindings,
    /// Open the ATT&CK coverage screen.
    Coverage,
    /// Set the case's time window.
    SetWindow,
    /// Write the case report.
    Report,
    /// Narrow the time window to the timeline's selected bucket.
    Zoom,
    /// The timeline's previous bucket.
    PrevBucket,
    /// The timeline's next bucket.
    NextBucket,
}

/// One key binding.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// The key.
    pub key: KeyCode,
    /// Required modifiers.
    pub mods: KeyModifiers,
    /// Where it applies.
    pub context: Context,
    /// What it does.
    pub action: Action,
    /// The help text.
    pub help: &'static str,
}

const fn bind(key: KeyCode, context: Context, action: Action, help: &'static str) -> Binding {
    Binding {
        key,
        mods: KeyModifiers::NONE,
        context,
        action,
        help,
    }
}

/// Every binding, in the order the help lists them.
pub const BINDINGS: &[Binding] = &[
    bind(
        KeyCode::Char('?'),
        Context::Global,
        Action::Help,
        "show or hide this help",
    ),
    bind(KeyCode::Char('q'), Context::Global, Action::Quit, "quit"),
    Binding {
        key: KeyCode::Char('c'),
        mods: KeyModifiers::CONTROL,
        context: Context::Global,
        action: Action::Quit,
        help: "quit",
    },
    bind(
        KeyCode::Tab,
        Context::Global,
        Action::FocusNext,
        "next pane: hunts, hits, parameters",
    ),
    bind(
        KeyCode::BackTab,
        Context::Global,
        Action::FocusPrev,
        "previous pane",
    ),
    bind(KeyCode::Up, Context::Global, Action::Up, "move up"),
    bind(KeyCode::Char('k'), Context::Global, Action::Up, "move up"),
    bind(KeyCode::Down, Context::Global, Action::Down, "move down"),
    bind(
        KeyCode::Char('j'),
        Context::Global,
        Action::Down,
        "move down",
    ),
    bind(KeyCode::PageUp, Context::Global, Action::PageUp, "page up"),
    bind(
        KeyCode::PageDown,
        Context::Global,
        Action::PageDown,
        "page down",
    ),
    bind(
        KeyCode::Char('g'),
        Context::Global,
        Action::Top,
        "first row",
    ),
    bind(
        KeyCode::Char('G'),
        Context::Global,
        Action::Bottom,
        "last row",
    ),
    bind(
        KeyCode::Left,
        Context::Global,
        Action::Left,
        "scroll columns left",
    ),
    bind(
        KeyCode::Char('h'),
        Context::Global,
        Action::Left,
        "scroll columns left",
    ),
    bind(
        KeyCode::Right,
        Context::Global,
        Action::Right,
        "scroll columns right",
    ),
    bind(
        KeyCode::Char('l'),
        Context::Global,
        Action::Right,
        "scroll columns right",
    ),
    bind(
        KeyCode::Char('r'),
        Context::Hunts,
        Action::Run,
        "run the selected hunt",
    ),
    bind(
        KeyCode::Char('R'),
        Context::Global,
        Action::RunAll,
        "run every hunt",
    ),
    bind(
        KeyCode::Enter,
        Context::Hunts,
        Action::Enter,
        "show the hunt's hits",
    ),
    bind(
        KeyCode::Char('i'),
        Context::Global,
        Action::Detail,
        "the hunt: description, KQL, SQL",
    ),
    bind(
        KeyCode::Char('c'),
        Context::Global,
        Action::Console,
        "console: run KQL (or `sql ...`) on the case",
    ),
    bind(
        KeyCode::Enter,
        Context::Console,
        Action::Confirm,
        "run the query",
    ),
    bind(
        KeyCode::Esc,
        Context::Console,
        Action::Back,
        "close the console",
    ),
    bind(
        KeyCode::Up,
        Context::Console,
        Action::HistoryPrev,
        "previous query",
    ),
    bind(
        KeyCode::Down,
        Context::Console,
        Action::HistoryNext,
        "next query",
    ),
    bind(
        KeyCode::PageUp,
        Context::Console,
        Action::PageUp,
        "scroll the result up",
    ),
    bind(
        KeyCode::PageDown,
        Context::Console,
        Action::PageDown,
        "scroll the result down",
    ),
    bind(
        KeyCode::Left,
        Context::Console,
        Action::Left,
        "scroll columns left",
    ),
    bind(
        KeyCode::Right,
        Context::Console,
        Action::Right,
        "scroll columns right",
    ),
    bind(
        KeyCode::Backspace,
        Context::Console,
        Action::Backspace,
        "delete a character",
    ),
    bind(
        KeyCode::Char('/'),
        Context::Hits,
        Action::Filter,
        "filter the hits by text",
    ),
    bind(
        KeyCode::Char('s'),
        Context::Hits,
        Action::Sort,
        "sort by the next column",
    ),
    bind(
        KeyCode::Char('S'),
        Context::Hits,
        Action::Reverse,
        "reverse the sort order",
    ),
    bind(
        KeyCode::Enter,
        Context::Hits,
        Action::Enter,
        "drill into the hit: the events behind it",
    ),
    bind(
        KeyCode::Enter,
        Context::Params,
        Action::Enter,
        "edit the parameter (the hunt re-runs)",
    ),
    bind(
        KeyCode::Char('d'),
        Context::Params,
        Action::Reset,
        "reset the parameter to its default",
    ),
    bind(
        KeyCode::Enter,
        Context::Drill,
        Action::Enter,
        "open the event: every field",
    ),
    bind(KeyCode::Esc, Context::Drill, Action::Back, "back"),
    bind(
        KeyCode::Esc,
        Context::Global,
        Action::Back,
        "close help / back",
    ),
    bind(
        KeyCode::Enter,
        Context::Editing,
        Action::Confirm,
        "apply the value",
    ),
    bind(
        KeyCode::Esc,
        Context::Editing,
        Action::Back,
        "cancel the edit",
    ),
    bind(
        KeyCode::Backspace,
        Context::Editing,
        Action::Backspace,
        "delete a character",
    ),
    bind(
        KeyCode::Char('w'),
        Context::Global,
        Action::OpenWatchlists,
        "watchlists: browse, add and delete rows",
    ),
    bind(
        KeyCode::Char('a'),
        Context::Watchlists,
        Action::Add,
        "add a row: col=value, col=value",
    ),
    bind(
        KeyCode::Char('x'),
        Context::Watchlists,
        Action::Delete,
        "delete the selected row",
    ),
    bind(
        KeyCode::Tab,
        Context::Watchlists,
        Action::FocusNext,
        "next watchlist",
    ),
    bind(
        KeyCode::BackTab,
        Context::Watchlists,
        Action::FocusPrev,
        "previous watchlist",
    ),
    bind(
        KeyCode::Esc,
        Context::Watchlists,
        Action::Back,
        "close the watchlists",
    ),
    bind(
        KeyCode::Char('L'),
        Context::Global,
        Action::Load,
        "load logs: type a path (Tab completes)",
    ),
    bind(
        KeyCode::Tab,
        Context::Editing,
        Action::Complete,
        "complete the path (when loading)",
    ),
    bind(
        KeyCode::Char('e'),
        Context::Global,
        Action::Export,
        "export the hunt's hits (.csv, .json or .parquet)",
    ),
    bind(
        KeyCode::Char('y'),
        Context::Global,
        Action::Copy,
        "copy the selected row to the clipboard (OSC 52)",
    ),
    bind(
        KeyCode::Char(':'),
        Context::Global,
        Action::Palette,
        "command palette: every action, by name",
    ),
    bind(
        KeyCode::Enter,
        Context::Palette,
        Action::Confirm,
        "do the selected action",
    ),
    bind(
        KeyCode::Esc,
        Context::Palette,
        Action::Back,
        "close the palette",
    ),
    bind(KeyCode::Up, Context::Palette, Action::Up, "previous action"),
    bind(KeyCode::Down, Context::Palette, Action::Down, "next action"),
    bind(
        KeyCode::Backspace,
        Context::Palette,
        Action::Backspace,
        "delete a character",
    ),
    bind(
        KeyCode::Char('t'),
        Context::Global,
        Action::SetClock,
        "set the investigation clock (a time, or auto)",
    ),
    bind(
        KeyCode::Char('/'),
        Context::Hunts,
        Action::Filter,
        "filter the hunts by name or tactic",
    ),
    bind(
        KeyCode::Char('z'),
        Context::Drill,
        Action::ToggleEmpty,
        "show or hide empty fields of the event",
    ),
    bind(
        KeyCode::Enter,
        Context::Watchlists,
        Action::Enter,
        "edit the selected row",
    ),
    Binding {
        key: KeyCode::Enter,
        mods: KeyModifiers::ALT,
        context: Context::Console,
        action: Action::Newline,
        help: "new line (a query can span lines)",
    },
    bind(
        KeyCode::Esc,
        Context::Hunts,
        Action::Back,
        "cancel the running hunt",
    ),
    bind(
        KeyCode::Char('m'),
        Context::Global,
        Action::Mark,
        "keep the selected hit or event as a finding",
    ),
    bind(
        KeyCode::Char('p'),
        Context::Global,
        Action::Pivot,
        "pivot: everything about a value of the selected row",
    ),
    bind(
        KeyCode::Char('F'),
        Context::Global,
        Action::OpenFindings,
        "findings: list, edit and delete them",
    ),
    bind(
        KeyCode::Char('M'),
        Context::Global,
        Action::Coverage,
        "MITRE ATT&CK coverage of the hunts, with hits",
    ),
    bind(
        KeyCode::Char('W'),
        Context::Global,
        Action::SetWindow,
        "set the case's time window (FROM .. TO, or all)",
    ),
    bind(
        KeyCode::Char('P'),
        Context::Global,
        Action::Report,
        "write the case report (.md, .json or .html)",
    ),
    bind(
        KeyCode::Enter,
        Context::Picker,
        Action::Confirm,
        "pivot on the chosen value",
    ),
    bind(
        KeyCode::Esc,
        Context::Picker,
        Action::Back,
        "close the chooser",
    ),
    bind(
        KeyCode::Char('['),
        Context::Pivot,
        Action::PrevBucket,
        "timeline: previous bucket",
    ),
    bind(
        KeyCode::Char(']'),
        Context::Pivot,
        Action::NextBucket,
        "timeline: next bucket",
    ),
    bind(
        KeyCode::Char('z'),
        Context::Pivot,
        Action::Zoom,
        "zoom the time window to the timeline's bucket",
    ),
    bind(
        KeyCode::Tab,
        Context::Pivot,
        Action::FocusNext,
        "next table of events",
    ),
    bind(
        KeyCode::BackTab,
        Context::Pivot,
        Action::FocusPrev,
        "previous table of events",
    ),
    bind(
        KeyCode::Esc,
        Context::Pivot,
        Action::Back,
        "back to the previous pivot (or close)",
    ),
    bind(
        KeyCode::Enter,
        Context::Findings,
        Action::Enter,
        "edit the finding's severity, tags and note",
    ),
    bind(
        KeyCode::Char('x'),
        Context::Findings,
        Action::Delete,
        "delete the finding",
    ),
    bind(
        KeyCode::Esc,
        Context::Findings,
        Action::Back,
        "close the findings",
    ),
];

/// The bindings in effect: the built-in table with the user's overrides applied.
#[derive(Debug, Clone)]
pub struct Keymap(pub Vec<Binding>);

impl Default for Keymap {
    fn default() -> Self {
        Keymap(BINDINGS.to_vec())
    }
}

/// Action names as written in the config file's `[keys]` table.
pub const ACTION_NAMES: &[(&str, Action)] = &[
    ("up", Action::Up),
    ("down", Action::Down),
    ("page_up", Action::PageUp),
    ("page_down", Action::PageDown),
    ("top", Action::Top),
    ("bottom", Action::Bottom),
    ("left", Action::Left),
    ("right", Action::Right),
    ("next_pane", Action::FocusNext),
    ("previous_pane", Action::FocusPrev),
    ("run", Action::Run),
    ("run_all", Action::RunAll),
    ("reset", Action::Reset),
    ("help", Action::Help),
    ("quit", Action::Quit),
    ("detail", Action::Detail),
    ("filter", Action::Filter),
    ("sort", Action::Sort),
    ("reverse", Action::Reverse),
    ("console", Action::Console),
    ("watchlists", Action::OpenWatchlists),
    ("load", Action::Load),
    ("export", Action::Export),
    ("copy", Action::Copy),
    ("palette", Action::Palette),
    ("clock", Action::SetClock),
    ("mark", Action::Mark),
    ("pivot", Action::Pivot),
    ("findings", Action::OpenFindings),
    ("coverage", Action::Coverage),
    ("window", Action::SetWindow),
    ("report", Action::Report),
    ("zoom", Action::Zoom),
];

/// Reads a key as written in the config file: `x`, `Ctrl-x`, `Enter`, `F5`, `PgDn`, ...
pub fn parse_key(text: &str) -> Option<(KeyCode, KeyModifiers)> {
    let (mods, rest) = match text
        .strip_prefix("Ctrl-")
        .or_else(|| text.strip_prefix("ctrl-"))
    {
        Some(r) => (KeyModifiers::CONTROL, r),
        None => (KeyModifiers::NONE, text),
    };
    let code = match rest {
        "Enter" => KeyCode::Enter,
        "Esc" => KeyCode::Esc,
        "Tab" => KeyCode::Tab,
        "Backspace" => KeyCode::Backspace,
        "Space" => KeyCode::Char(' '),
        "Up" => KeyCode::Up,
        "Down" => KeyCode::Down,
        "Left" => KeyCode::Left,
        "Right" => KeyCode::Right,
        "PgUp" => KeyCode::PageUp,
        "PgDn" => KeyCode::PageDown,
        f if f.len() > 1 && f.starts_with('F') => KeyCode::F(f[1..].parse().ok()?),
        c if c.chars().count() == 1 => KeyCode::Char(c.chars().next()?),
        _ => return None,
    };
    Some((code, mods))
}

impl Keymap {
    /// Rebinds actions: (action name, key) pairs from the config file.
    pub fn rebind(&mut self, keys: &[(String, String)]) -> Result<(), String> {
        for (name, key) in keys {
            let Some((_, action)) = ACTION_NAMES.iter().find(|(n, _)| n == name) else {
                let names: Vec<&str> = ACTION_NAMES.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "unknown action `{name}` in [keys] (actions: {})",
                    names.join(", ")
                ));
            };
            let Some((code, mods)) = parse_key(key) else {
                return Err(format!("cannot read the key `{key}` for `{name}` (write x, Ctrl-x, Enter, F5, PgDn...)"));
            };
            // The new key replaces the action's keys outside typing contexts.
            self.0.retain(|b| {
                b.action != *action
                    || matches!(
                        b.context,
                        Context::Editing | Context::Console | Context::Palette
                    )
            });
            self.0.insert(
                0,
                Binding {
                    key: code,
                    mods,
                    context: Context::Global,
                    action: *action,
                    help: BINDINGS
                        .iter()
                        .find(|b| b.action == *action)
                        .map_or("", |b| b.help),
                },
            );
        }
        Ok(())
    }
}

/// The action of `key` in `context` (a context binding wins over a global one). While
/// editing, only editing bindings apply; other characters are typed.
pub fn lookup(bindings: &[Binding], key: &KeyEvent, context: Context) -> Option<Action> {
    let matches = |b: &&Binding| {
        b.key == key.code
            && (b.mods == key.modifiers
                || (b.mods.is_empty() && key.modifiers == KeyModifiers::SHIFT))
    };
    if matches!(
        context,
        Context::Editing | Context::Console | Context::Palette
    ) {
        return bindings
            .iter()
            .filter(|b| b.context == context)
            .find(matches)
            .map(|b| b.action)
            .or_else(|| {
                (key.code == KeyCode::Char('c') && key.modifiers == KeyModifiers::CONTROL)
                    .then_some(Action::Quit)
            });
    }
    bindings
        .iter()
        .filter(|b| b.context == context)
        .find(matches)
        .or_else(|| {
            bindings
                .iter()
                .filter(|b| b.context == Context::Global)
                .find(matches)
        })
        .map(|b| b.action)
}

/// A key as the help shows it.
pub fn key_name(b: &Binding) -> String {
    let base = match b.key {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Backspace => "Backspace".into(),
        other => format!("{other:?}"),
    };
    if b.mods.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{base}")
    } else {
        base
    }
}

/// The palette's entries: one per action that is not only for typing, with its first key
/// and description, filtered by `query` (case-insensitive, on the description).
pub fn palette_entries(bindings: &[Binding], query: &str) -> Vec<(Action, String, &'static str)> {
    let q = query.to_lowercase();
    let mut seen: Vec<Action> = Vec::new();
    let mut out = Vec::new();
    for b in bindings {
        if matches!(
            b.context,
            Context::Editing | Context::Console | Context::Palette
        ) || matches!(b.action, Action::Palette | Action::Up | Action::Down)
            || seen.contains(&b.action)
        {
            continue;
        }
        seen.push(b.action);
        if b.help.to_lowercase().contains(&q) {
            out.push((b.action, key_name(b), b.help));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn context_bindings_win_and_editing_types_characters() {
        assert_eq!(
            lookup(BINDINGS, &key(KeyCode::Enter), Context::Hits),
            Some(Action::Enter)
        );
        assert_eq!(
            lookup(BINDINGS, &key(KeyCode::Char('j')), Context::Hunts),
            Some(Action::Down)
        );
        assert_eq!(
            lookup(BINDINGS, &key(KeyCode::Char('q')), Context::Editing),
            None
        );
        assert_eq!(
            lookup(BINDINGS, &key(KeyCode::Esc), Context::Editing),
            Some(Action::Back)
        );
        assert_eq!(
            lookup(
                BINDINGS,
                &KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT),
                Context::Hits
            ),
            Some(Action::Bottom)
        );
    }

    #[test]
    fn every_binding_has_help() {
        assert!(BINDINGS.iter().all(|b| !b.help.is_empty()));
    }
}

//! Colour themes from `themes/*.toml` (built into the binary). `NO_COLOR` turns colour off;
//! meaning never rests on colour alone (states are also spelled out).

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// The built-in themes: (name, TOML).
pub const THEMES: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("solarized", include_str!("../../themes/solarized.toml")),
];

#[derive(Deserialize)]
struct ThemeFile {
    accent: String,
    muted: String,
    hits: String,
    quiet: String,
    error: String,
    selection_fg: String,
    selection_bg: String,
    border: String,
}

/// Styles the view draws with.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    /// Titles, focused borders, key names.
    pub accent: Style,
    /// Secondary text.
    pub muted: Style,
    /// Hunts with hits.
    pub hits: Style,
    /// Hunts without hits.
    pub quiet: Style,
    /// Errors.
    pub error: Style,
    /// The selected row.
    pub selection: Style,
    /// Unfocused borders.
    pub border: Style,
}

impl Theme {
    /// No colour: bold and reverse video only.
    pub fn plain() -> Theme {
        let s = Style::default();
        Theme {
            accent: s.add_modifier(Modifier::BOLD),
            muted: s,
            hits: s.add_modifier(Modifier::BOLD),
            quiet: s,
            error: s.add_modifier(Modifier::BOLD),
            selection: s.add_modifier(Modifier::REVERSED),
            border: s,
        }
    }

    /// The named theme, or the plain one when `NO_COLOR` is set.
    pub fn load(name: &str) -> Result<Theme, String> {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Ok(Theme::plain());
        }
        let Some((_, text)) = THEMES.iter().find(|(n, _)| *n == name) else {
            let names: Vec<&str> = THEMES.iter().map(|(n, _)| *n).collect();
            return Err(format!("no theme `{name}` (themes: {})", names.join(", ")));
        };
        let f: ThemeFile = toml::from_str(text).map_err(|e| format!("theme {name}: {e}"))?;
        let c = |v: &str| {
            v.parse::<Color>()
                .map_err(|_| format!("theme {name}: bad colour `{v}`"))
        };
        Ok(Theme {
            accent: Style::default()
                .fg(c(&f.accent)?)
                .add_modifier(Modifier::BOLD),
            muted: Style::default().fg(c(&f.muted)?),
            hits: Style::default()
                .fg(c(&f.hits)?)
                .add_modifier(Modifier::BOLD),
            quiet: Style::default().fg(c(&f.quiet)?),
            error: Style::default()
                .fg(c(&f.error)?)
                .add_modifier(Modifier::BOLD),
            selection: Style::default()
                .fg(c(&f.selection_fg)?)
                .bg(c(&f.selection_bg)?),
            border: Style::default().fg(c(&f.border)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_theme_parses() {
        for (name, _) in THEMES {
            if std::env::var_os("NO_COLOR").is_none() {
                assert!(Theme::load(name).is_ok(), "{name}");
            }
        }
        assert!(Theme::load("nope").is_err() || std::env::var_os("NO_COLOR").is_some());
    }
}

//! The report as Markdown.

use std::fmt::Write;

use serde_json::Value;

use super::cell_text;
use super::document::{write, Markup};

/// Markdown text being written.
#[derive(Default)]
struct Markdown(String);

fn esc(text: &str) -> String {
    cell_text(&Value::String(text.into())).replace('|', "\\|")
}

impl Markup for Markdown {
    fn heading(&mut self, level: usize, text: &str) {
        let _ = writeln!(self.0, "{} {}\n", "#".repeat(level), esc(text));
    }

    fn items(&mut self, items: &[(String, String)]) {
        for (label, value) in items {
            let _ = writeln!(self.0, "- {}: {}", esc(label), esc(value));
        }
        self.0.push('\n');
    }

    fn para(&mut self, text: &str) {
        let _ = writeln!(self.0, "{}\n", esc(text));
    }

    fn note(&mut self, text: &str) {
        for line in text.lines() {
            let _ = writeln!(self.0, "> {}", esc(line));
        }
        self.0.push('\n');
    }

    fn code(&mut self, lang: &str, text: &str) {
        let fence = if text.contains("```") { "~~~~" } else { "```" };
        let body = super::lines_text(text.trim_end());
        let _ = writeln!(self.0, "{fence}{lang}\n{body}\n{fence}\n");
    }

    fn table(&mut self, columns: &[String], rows: &[Value]) {
        if rows.is_empty() || columns.is_empty() {
            return;
        }
        let header: Vec<String> = columns.iter().map(|c| esc(c)).collect();
        let _ = writeln!(self.0, "| {} |", header.join(" | "));
        let _ = writeln!(self.0, "|{}", "---|".repeat(columns.len()));
        for r in rows {
            let cells: Vec<String> = columns
                .iter()
                .map(|c| cell_text(&r[c.as_str()]).replace('|', "\\|"))
                .collect();
            let _ = writeln!(self.0, "| {} |", cells.join(" | "));
        }
        self.0.push('\n');
    }
}

/// Renders the gathered report as Markdown.
pub fn render(report: &Value) -> String {
    let mut out = Markdown::default();
    write(report, &mut out);
    out.0
}

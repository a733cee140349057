//! The report as one HTML file: its style is inside, it loads nothing and runs no script,
//! so it opens offline and can be mailed as it is.

use std::fmt::Write;

use serde_json::Value;

use super::cell_text;
use super::document::{write, Markup};

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#1d2330}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccd;padding-bottom:.2em;margin-top:2em}h3{margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:12px;display:block;overflow-x:auto}
th,td{border:1px solid #ccd;padding:2px 6px;text-align:left;vertical-align:top;white-space:nowrap}
th{background:#eef0f6}pre{background:#f5f6fa;border:1px solid #dde;padding:.6em;overflow-x:auto}
blockquote{border-left:4px solid #8a9;margin:.6em 0;padding:.2em .8em;background:#f3f8f4}
ul{padding-left:1.2em}";

/// HTML text being written.
#[derive(Default)]
struct Html(String);

/// Escapes text for HTML, after making it inert for terminals (the file may be read in one).
fn esc(text: &str) -> String {
    let safe = super::lines_text(text);
    let mut out = String::with_capacity(safe.len());
    for c in safe.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl Markup for Html {
    fn heading(&mut self, level: usize, text: &str) {
        let _ = writeln!(self.0, "<h{level}>{}</h{level}>", esc(text));
    }

    fn items(&mut self, items: &[(String, String)]) {
        self.0.push_str("<ul>\n");
        for (label, value) in items {
            let _ = writeln!(self.0, "<li><b>{}</b>: {}</li>", esc(label), esc(value));
        }
        self.0.push_str("</ul>\n");
    }

    fn para(&mut self, text: &str) {
        let _ = writeln!(self.0, "<p>{}</p>", esc(text));
    }

    fn note(&mut self, text: &str) {
        let _ = writeln!(
            self.0,
            "<blockquote>{}</blockquote>",
            esc(text).replace('\n', "<br>")
        );
    }

    fn code(&mut self, lang: &str, text: &str) {
        let _ = writeln!(
            self.0,
            "<pre class=\"{lang}\"><code>{}</code></pre>",
            esc(text.trim_end())
        );
    }

    fn table(&mut self, columns: &[String], rows: &[Value]) {
        if rows.is_empty() || columns.is_empty() {
            return;
        }
        self.0.push_str("<table>\n<tr>");
        for c in columns {
            let _ = write!(self.0, "<th>{}</th>", esc(c));
        }
        self.0.push_str("</tr>\n");
        for r in rows {
            self.0.push_str("<tr>");
            for c in columns {
                let _ = write!(self.0, "<td>{}</td>", esc(&cell_text(&r[c.as_str()])));
            }
            self.0.push_str("</tr>\n");
        }
        self.0.push_str("</table>\n");
    }
}

/// Renders the gathered report as one self-contained HTML file.
pub fn render(report: &Value) -> String {
    let title = esc(&format!(
        "quarry case report: {}",
        cell_text(&report["case"])
    ));
    let mut out = Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n"
    ));
    write(report, &mut out);
    out.0.push_str("</body>\n</html>\n");
    out.0
}

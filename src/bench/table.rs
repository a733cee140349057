//! A titled table of benchmark figures, printed as Markdown so it pastes into BENCHMARKS.md.

use super::stats::Samples;

/// One line of figures.
pub type Row = Vec<String>;

/// A titled table.
#[derive(Debug, Clone)]
pub struct Table {
    /// What the table measures.
    pub title: String,
    /// Column headings.
    pub header: Vec<String>,
    /// The lines.
    pub rows: Vec<Row>,
}

impl Table {
    /// An empty table with `title` and `header`.
    pub fn new(title: &str, header: &[&str]) -> Table {
        Table {
            title: title.to_string(),
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a line.
    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// Writes the table as Markdown with aligned columns.
    pub fn print(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let width: Vec<usize> = (0..self.header.len())
            .map(|i| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .chain(std::iter::once(&self.header[i]))
                    .map(|c| c.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[String]| {
            let padded: Vec<String> = width
                .iter()
                .enumerate()
                .map(|(i, w)| format!("{:<w$}", cells.get(i).map_or("", String::as_str)))
                .collect();
            format!("| {} |", padded.join(" | "))
        };
        writeln!(out, "\n### {}\n", self.title)?;
        writeln!(out, "{}", line(&self.header))?;
        let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
        writeln!(out, "|-{}-|", rule.join("-|-"))?;
        for r in &self.rows {
            writeln!(out, "{}", line(r))?;
        }
        out.flush()
    }
}

/// Milliseconds of a sample set as `median (min–max)`.
pub fn ms(s: &Samples) -> String {
    if s.0.len() <= 1 {
        return format!("{:.1}", s.median() * 1e3);
    }
    format!(
        "{:.1} ({:.1}–{:.1})",
        s.median() * 1e3,
        s.min() * 1e3,
        s.max() * 1e3
    )
}

/// A ratio of medians, `a / b`, as `1.23x`.
pub fn ratio(a: &Samples, b: &Samples) -> String {
    if b.median() <= 0.0 {
        return "-".into();
    }
    format!("{:.2}x", a.median() / b.median())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_an_aligned_markdown_table() {
        let mut t = Table::new("Demo", &["name", "ms"]);
        t.push(vec!["long name".into(), "1.0".into()]);
        let mut out = Vec::new();
        t.print(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("### Demo"), "{text}");
        assert!(text.contains("| name      | ms  |"), "{text}");
        assert!(text.contains("| long name | 1.0 |"), "{text}");
        assert!(text.contains("|-----------|-----|"), "{text}");
    }

    #[test]
    fn formats_samples_and_ratios() {
        let a = Samples(vec![0.002, 0.001, 0.003]);
        let b = Samples(vec![0.001]);
        assert_eq!(ms(&a), "2.0 (1.0–3.0)");
        assert_eq!(ms(&b), "1.0");
        assert_eq!(ratio(&a, &b), "2.00x");
        assert_eq!(ratio(&a, &Samples::default()), "-");
    }
}

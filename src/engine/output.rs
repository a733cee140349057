//! Prints query results as an aligned table, CSV or JSON lines, streaming where the
//! format allows. Every cell passes through the terminal sanitiser before it is shown.

use std::io::Write;

use duckdb::types::Value;
use duckdb::Connection;
use unicode_width::UnicodeWidthStr;

use super::value::{to_json, to_text};
use super::{EngineError, Result};
use crate::sanitize::for_terminal;

/// How `quarry sql`, `quarry kql` and friends print rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for reading.
    #[default]
    Table,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// One JSON object per line.
    Json,
}

/// The widest a table cell is drawn before it is cut with an ellipsis.
const MAX_CELL: usize = 60;

/// Runs `sql` and returns its column names and up to `limit` rows as JSON objects.
pub fn query_rows(
    conn: &Connection,
    sql: &str,
    limit: usize,
) -> Result<(Vec<String>, Vec<serde_json::Value>)> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    let columns: Vec<String> = rows.as_ref().map(|s| s.column_names()).unwrap_or_default();
    let mut out = Vec::new();
    while out.len() < limit {
        let Some(row) = rows.next()? else { break };
        let mut object = serde_json::Map::new();
        for (i, name) in columns.iter().enumerate() {
            object.insert(name.clone(), to_json(&row.get::<_, Value>(i)?));
        }
        out.push(serde_json::Value::Object(object));
    }
    Ok((columns, out))
}

/// Runs `sql` and writes its rows to `out` in `format`. Columns whose index is in
/// `json_columns` hold JSON text and are emitted as JSON values, not strings.
/// Returns the number of rows written.
pub fn write_query(
    conn: &Connection,
    sql: &str,
    format: Format,
    json_columns: &[usize],
    out: &mut dyn Write,
) -> Result<usize> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    let columns: Vec<String> = rows.as_ref().map(|s| s.column_names()).unwrap_or_default();
    let mut sink: Box<dyn RowSink> = match format {
        Format::Table => Box::new(TableSink::default()),
        Format::Csv => Box::new(CsvSink),
        Format::Json => Box::new(JsonSink {
            json_columns: json_columns.to_vec(),
        }),
    };
    sink.header(&columns, out).map_err(io_error)?;
    let mut count = 0;
    while let Some(row) = rows.next()? {
        let values = (0..columns.len())
            .map(|i| row.get::<_, Value>(i))
            .collect::<duckdb::Result<Vec<_>>>()?;
        sink.row(&columns, &values, out).map_err(io_error)?;
        count += 1;
    }
    sink.finish(&columns, out).map_err(io_error)?;
    Ok(count)
}

fn io_error(source: std::io::Error) -> EngineError {
    EngineError::Io {
        context: "cannot write the result".into(),
        source,
    }
}

trait RowSink {
    fn header(&mut self, columns: &[String], out: &mut dyn Write) -> std::io::Result<()>;
    fn row(
        &mut self,
        columns: &[String],
        values: &[Value],
        out: &mut dyn Write,
    ) -> std::io::Result<()>;
    fn finish(&mut self, columns: &[String], out: &mut dyn Write) -> std::io::Result<()>;
}

/// Collects rows to size the columns, then prints them aligned.
#[derive(Default)]
struct TableSink {
    cells: Vec<Vec<String>>,
}

fn table_cell(v: &Value) -> String {
    let text = for_terminal(&to_text(v)).replace(['\n', '\r', '\t'], " ");
    if text.width() <= MAX_CELL {
        return text;
    }
    let mut cut = String::new();
    for ch in text.chars() {
        if cut.width() + 1 >= MAX_CELL {
            break;
        }
        cut.push(ch);
    }
    cut.push('…');
    cut
}

impl RowSink for TableSink {
    fn header(&mut self, _: &[String], _: &mut dyn Write) -> std::io::Result<()> {
        Ok(())
    }

    fn row(&mut self, _: &[String], values: &[Value], _: &mut dyn Write) -> std::io::Result<()> {
        self.cells.push(values.iter().map(table_cell).collect());
        Ok(())
    }

    fn finish(&mut self, columns: &[String], out: &mut dyn Write) -> std::io::Result<()> {
        let header: Vec<String> = columns
            .iter()
            .map(|c| for_terminal(c).into_owned())
            .collect();
        let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
        for row in &self.cells {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.width());
            }
        }
        let line = |cells: &[String], out: &mut dyn Write| -> std::io::Result<()> {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.width()))))
                .collect();
            writeln!(out, "{}", padded.join("  ").trim_end())
        };
        line(&header, out)?;
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(&rule, out)?;
        for row in &self.cells {
            line(row, out)?;
        }
        writeln!(out, "({} rows)", self.cells.len())
    }
}

/// Streams CSV rows.
struct CsvSink;

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

impl RowSink for CsvSink {
    fn header(&mut self, columns: &[String], out: &mut dyn Write) -> std::io::Result<()> {
        let fields: Vec<String> = columns
            .iter()
            .map(|c| csv_field(&for_terminal(c)))
            .collect();
        writeln!(out, "{}", fields.join(","))
    }

    fn row(&mut self, _: &[String], values: &[Value], out: &mut dyn Write) -> std::io::Result<()> {
        let fields: Vec<String> = values
            .iter()
            .map(|v| csv_field(&for_terminal(&to_text(v))))
            .collect();
        writeln!(out, "{}", fields.join(","))
    }

    fn finish(&mut self, _: &[String], _: &mut dyn Write) -> std::io::Result<()> {
        Ok(())
    }
}

/// Streams one JSON object per row; JSON escaping keeps control characters inert.
struct JsonSink {
    json_columns: Vec<usize>,
}

impl RowSink for JsonSink {
    fn header(&mut self, _: &[String], _: &mut dyn Write) -> std::io::Result<()> {
        Ok(())
    }

    fn row(
        &mut self,
        columns: &[String],
        values: &[Value],
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        let mut object = serde_json::Map::new();
        for (i, (name, v)) in columns.iter().zip(values).enumerate() {
            let value = match v {
                Value::Text(s) if self.json_columns.contains(&i) => {
                    serde_json::from_str(s).unwrap_or_else(|_| serde_json::Value::String(s.clone()))
                }
                other => to_json(other),
            };
            object.insert(name.clone(), value);
        }
        writeln!(
            out,
            "{}",
            crate::sanitize::json_for_terminal(&serde_json::Value::Object(object).to_string())
        )
    }

    fn finish(&mut self, _: &[String], _: &mut dyn Write) -> std::io::Result<()> {
        Ok(())
    }
}

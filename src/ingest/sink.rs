//! Streams rows parsed in Rust into the staging table through DuckDB's Arrow appender,
//! in column batches. Columns may be added while streaming (e.g. a CEF key seen late).

use std::sync::Arc;

use duckdb::arrow::array::{ArrayRef, Int64Builder, StringBuilder};
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::Connection;

use super::commit::{create_stage, STAGE};
use super::sql::ident;
use super::IngestError;

const BATCH: usize = 16 * 1024;

/// A batch writer into the staging table (`__line`, `__raw`, then text columns).
pub struct StageSink<'c> {
    conn: &'c Connection,
    names: Vec<String>,
    lines: Int64Builder,
    raws: StringBuilder,
    cols: Vec<StringBuilder>,
    rows: usize,
    keep_raw: bool,
}

impl<'c> StageSink<'c> {
    /// Creates the staging table with `names` and a sink writing to it. With `keep_raw`
    /// false the raw text is only kept when a row is marked bad by the parser.
    pub fn new(
        conn: &'c Connection,
        names: Vec<String>,
        keep_raw: bool,
    ) -> Result<StageSink<'c>, IngestError> {
        create_stage(conn, &names)?;
        let cols = names.iter().map(|_| StringBuilder::new()).collect();
        Ok(StageSink {
            conn,
            names,
            lines: Int64Builder::new(),
            raws: StringBuilder::new(),
            cols,
            rows: 0,
            keep_raw,
        })
    }

    /// The staging columns, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Index of column `name`, adding it to the staging table if new.
    pub fn column(&mut self, name: &str) -> Result<usize, IngestError> {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            return Ok(i);
        }
        self.flush()?;
        self.conn.execute_batch(&format!(
            "ALTER TABLE temp.{STAGE} ADD COLUMN {} VARCHAR",
            ident(name)
        ))?;
        self.names.push(name.to_string());
        self.cols.push(StringBuilder::new());
        Ok(self.names.len() - 1)
    }

    /// Appends one row: its line number, raw text, and one value per column (by index;
    /// missing trailing values are NULL).
    pub fn push(
        &mut self,
        line: u64,
        raw: &str,
        values: &[Option<&str>],
    ) -> Result<(), IngestError> {
        self.lines
            .append_value(i64::try_from(line).unwrap_or(i64::MAX));
        if self.keep_raw {
            self.raws.append_value(raw);
        } else {
            self.raws.append_null();
        }
        for (i, col) in self.cols.iter_mut().enumerate() {
            match values.get(i).copied().flatten() {
                Some(v) => col.append_value(v),
                None => col.append_null(),
            }
        }
        self.rows += 1;
        if self.rows >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the buffered rows into the staging table.
    pub fn flush(&mut self) -> Result<(), IngestError> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut fields = vec![
            Field::new("__line", DataType::Int64, true),
            Field::new("__raw", DataType::Utf8, true),
        ];
        fields.extend(
            self.names
                .iter()
                .map(|n| Field::new(n.as_str(), DataType::Utf8, true)),
        );
        let mut arrays: Vec<ArrayRef> =
            vec![Arc::new(self.lines.finish()), Arc::new(self.raws.finish())];
        arrays.extend(
            self.cols
                .iter_mut()
                .map(|c| Arc::new(c.finish()) as ArrayRef),
        );
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .map_err(|e| IngestError::Invalid(format!("staging batch: {e}")))?;
        let mut app = self
            .conn
            .appender_to_catalog_and_db(STAGE, "temp", "main")?;
        app.append_record_batch(batch)?;
        app.flush()?;
        self.rows = 0;
        Ok(())
    }
}

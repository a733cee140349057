//! Streams rows parsed in Rust into the staging table through DuckDB's Arrow appender,
//! in column batches. Columns may be added while streaming (e.g. a CEF key seen late).
//! `BatchBuilder` needs no connection, so a parser thread can fill it while the loading
//! thread appends finished batches with `append_batch`.

use std::sync::Arc;

use duckdb::arrow::array::{ArrayRef, Int64Builder, StringBuilder};
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::Connection;

use super::commit::{create_stage, STAGE};
use super::sql::ident;
use super::IngestError;

const BATCH: usize = 16 * 1024;

/// Rows of the staging table (`__line`, `__raw`, then text columns) as Arrow batches.
pub struct BatchBuilder {
    names: Vec<String>,
    lines: Int64Builder,
    raws: StringBuilder,
    cols: Vec<StringBuilder>,
    rows: usize,
    keep_raw: bool,
}

impl BatchBuilder {
    /// A builder for `names`; with `keep_raw` false the raw text is not kept.
    pub fn new(names: Vec<String>, keep_raw: bool) -> BatchBuilder {
        let cols = names.iter().map(|_| StringBuilder::new()).collect();
        BatchBuilder {
            names,
            lines: Int64Builder::new(),
            raws: StringBuilder::new(),
            cols,
            rows: 0,
            keep_raw,
        }
    }

    /// The columns, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Index of column `name`, adding it if new; a batch of the rows before it is returned
    /// when the column was added.
    pub fn column(&mut self, name: &str) -> Result<(usize, Option<RecordBatch>), IngestError> {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            return Ok((i, None));
        }
        let done = self.take()?;
        self.names.push(name.to_string());
        self.cols.push(StringBuilder::new());
        Ok((self.names.len() - 1, done))
    }

    /// Adds one row (values by column index; missing trailing values are NULL); returns a
    /// full batch when one is ready.
    pub fn push(
        &mut self,
        line: u64,
        raw: &str,
        values: &[Option<&str>],
    ) -> Result<Option<RecordBatch>, IngestError> {
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
            self.take()
        } else {
            Ok(None)
        }
    }

    /// The rows added so far as a batch (None when there are none).
    pub fn take(&mut self) -> Result<Option<RecordBatch>, IngestError> {
        if self.rows == 0 {
            return Ok(None);
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
        self.rows = 0;
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .map_err(|e| IngestError::Invalid(format!("staging batch: {e}")))?;
        Ok(Some(batch))
    }
}

/// Appends a batch to the staging table, first adding the columns it has that the table
/// (whose text columns are `stage_names`) lacks.
pub fn append_batch(
    conn: &Connection,
    batch: RecordBatch,
    stage_names: &mut Vec<String>,
) -> Result<(), IngestError> {
    let schema = batch.schema();
    for field in schema.fields().iter().skip(2 + stage_names.len()) {
        conn.execute_batch(&format!(
            "ALTER TABLE temp.{STAGE} ADD COLUMN {} VARCHAR",
            ident(field.name())
        ))?;
        stage_names.push(field.name().clone());
    }
    let mut app = conn.appender_to_catalog_and_db(STAGE, "temp", "main")?;
    app.append_record_batch(batch)?;
    app.flush()?;
    Ok(())
}

/// A batch writer into the staging table, on the loading thread.
pub struct StageSink<'c> {
    conn: &'c Connection,
    builder: BatchBuilder,
    stage_names: Vec<String>,
}

impl<'c> StageSink<'c> {
    /// Creates the staging table with `names` and a sink writing to it.
    pub fn new(
        conn: &'c Connection,
        names: Vec<String>,
        keep_raw: bool,
    ) -> Result<StageSink<'c>, IngestError> {
        create_stage(conn, &names)?;
        Ok(StageSink {
            conn,
            stage_names: names.clone(),
            builder: BatchBuilder::new(names, keep_raw),
        })
    }

    /// Appends one row (see `BatchBuilder::push`).
    pub fn push(
        &mut self,
        line: u64,
        raw: &str,
        values: &[Option<&str>],
    ) -> Result<(), IngestError> {
        if let Some(batch) = self.builder.push(line, raw, values)? {
            append_batch(self.conn, batch, &mut self.stage_names)?;
        }
        Ok(())
    }

    /// Writes the buffered rows into the staging table.
    pub fn flush(&mut self) -> Result<(), IngestError> {
        if let Some(batch) = self.builder.take()? {
            append_batch(self.conn, batch, &mut self.stage_names)?;
        }
        Ok(())
    }
}

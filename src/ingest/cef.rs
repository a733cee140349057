//! CEF over syslog → CommonSecurityLog. The line format needs a real parser (escaped `|`,
//! `=` and `\` in header and extension): it is `quarry_formats::cef`, and this module
//! streams what it returns into the stage.

use std::borrow::Cow;
use std::io::BufRead;

use chrono::{Datelike, Utc};
use foldhash::HashMap;

use crossbeam_channel::Sender;
use duckdb::arrow::record_batch::RecordBatch;
use quarry_formats::cef::{cef_time, parse_line};

use super::commit::{create_stage, Counts, Raw, Rows, Staged};
use super::load::{fill_raw_lines, reject_line, Reader};
use super::mapping::{mappings, Mapping};
use super::progress::Progress;
use super::readahead::ReadAhead;
use super::sink::{append_batch, BatchBuilder};
use super::source::SourceFile;
use super::IngestError;

/// The CEF header fields, in order, as CommonSecurityLog columns.
const HEADER: [&str; 6] = [
    "DeviceVendor",
    "DeviceProduct",
    "DeviceVersion",
    "DeviceEventClassID",
    "Activity",
    "LogSeverity",
];

/// What the parser thread sends to the loading thread.
enum Msg {
    /// A batch of parsed rows for the staging table.
    Batch(RecordBatch),
    /// A line that is not CEF: (line number, text, reason).
    Reject(u64, String, String),
}

/// Loads a CEF file into CommonSecurityLog: one thread parses lines into Arrow batches while
/// this one appends them to the staging table.
pub fn load(r: &mut Reader<'_>) -> Result<(String, Counts, u64), IngestError> {
    let all = mappings()?;
    let mapping = all
        .for_kind("cef")
        .ok_or_else(|| IngestError::Mapping("no CEF mapping".into()))?;
    let mut names: Vec<String> = vec!["TimeGenerated".into(), "Computer".into()];
    names.extend(HEADER.iter().map(|s| s.to_string()));
    names.push("AdditionalExtensions".into());
    create_stage(r.conn, &names)?;
    let source = &r.source;
    let progress = r.progress;
    let (parse_rejects, names) = std::thread::scope(|scope| {
        let (tx, rx) = crossbeam_channel::bounded::<Msg>(4);
        let initial = names.clone();
        let worker = scope.spawn(move || parse_file(source, mapping, progress, initial, &tx));
        let mut stage_names = names;
        let mut failure = None;
        for msg in rx.iter() {
            let done = match msg {
                Msg::Batch(batch) => append_batch(r.conn, batch, &mut stage_names),
                Msg::Reject(line, raw, reason) => reject_line(r, line, &raw, &reason),
            };
            if let Err(e) = done {
                failure = Some(e);
                break;
            }
        }
        drop(rx);
        let parsed = worker
            .join()
            .map_err(|_| IngestError::Invalid("the CEF parser thread panicked".into()))?;
        match failure {
            Some(e) => Err(e),
            None => parsed.map(|n| (n, stage_names)),
        }
    })?;
    let staged = Staged {
        columns: names
            .iter()
            .map(|n| (super::sql::ident(n), n.clone()))
            .collect(),
        line: "__line".into(),
        raw: Raw::FileLines,
        constants: Vec::new(),
        from: Rows::Stage,
    };
    let counts = r.commit(&staged, &mapping.table, Some(mapping))?;
    fill_raw_lines(r)?;
    Ok((mapping.table.clone(), counts, parse_rejects))
}

/// Parses every line of `source` into staging batches sent on `tx`; returns the number of
/// lines that are not CEF (sent as rejects).
fn parse_file(
    source: &SourceFile,
    mapping: &Mapping,
    progress: &Progress,
    names: Vec<String>,
    tx: &Sender<Msg>,
) -> Result<u64, IngestError> {
    let closed = || IngestError::Invalid("the CEF loader stopped".into());
    let mut builder = BatchBuilder::new(names, false);
    // Extension key → staging column index (None: goes to AdditionalExtensions).
    let mut slots: HashMap<String, Option<usize>> = HashMap::default();
    let mut reader = ReadAhead::new(source.reader()?);
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let mut rejects = 0u64;
    let now_year = Utc::now().year();
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| IngestError::Invalid(format!("{}: {e}", source.display())))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        progress.add(n as u64);
        // Valid UTF-8 is checked by the fast path; anything else is made valid.
        let text = match std::str::from_utf8(&buf) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(&buf),
        };
        let line = text.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let event = match parse_line(line, now_year) {
            Ok(e) => e,
            Err(reason) => {
                rejects += 1;
                tx.send(Msg::Reject(line_no, line.to_string(), reason))
                    .map_err(|_| closed())?;
                continue;
            }
        };
        let mut values: Vec<Option<Cow<'_, str>>> = vec![None; builder.names().len()];
        let mut time: Option<Cow<'_, str>> = None;
        let mut extra = String::new();
        for (key, value) in &event.ext {
            let slot = match slots.get(*key) {
                Some(slot) => *slot,
                None => {
                    let slot = match column_of(mapping, key) {
                        Some(col) => {
                            let (i, done) = builder.column(col)?;
                            if let Some(batch) = done {
                                tx.send(Msg::Batch(batch)).map_err(|_| closed())?;
                            }
                            Some(i)
                        }
                        None => None,
                    };
                    slots.insert((*key).to_string(), slot);
                    slot
                }
            };
            let Some(i) = slot else {
                if !extra.is_empty() {
                    extra.push(';');
                }
                extra.push_str(key);
                extra.push('=');
                extra.push_str(value);
                continue;
            };
            if i >= values.len() {
                values.resize(i + 1, None);
            }
            if *key == "rt" || (*key == "start" && time.is_none()) {
                time = cef_time(value).map(Cow::Owned);
            }
            // StartTime/EndTime are typed: normalise; ReceiptTime keeps the text.
            values[i] = Some(if matches!(*key, "start" | "end") {
                cef_time(value).map_or_else(|| value.clone(), Cow::Owned)
            } else {
                value.clone()
            });
        }
        values[0] = time.or_else(|| event.syslog_time.clone().map(Cow::Owned));
        values[1] = event.host.map(Cow::Borrowed);
        for (k, v) in event.header.iter().enumerate() {
            values[2 + k] = Some(v.clone());
        }
        if !extra.is_empty() {
            values[2 + HEADER.len()] = Some(Cow::Owned(extra));
        }
        let refs: Vec<Option<&str>> = values.iter().map(|v| v.as_deref()).collect();
        if let Some(batch) = builder.push(line_no, line, &refs)? {
            tx.send(Msg::Batch(batch)).map_err(|_| closed())?;
        }
    }
    if let Some(batch) = builder.take()? {
        tx.send(Msg::Batch(batch)).map_err(|_| closed())?;
    }
    Ok(rejects)
}

/// The CommonSecurityLog column of an extension key.
fn column_of<'m>(mapping: &'m Mapping, key: &str) -> Option<&'m str> {
    mapping.cef.get(key).map(String::as_str)
}

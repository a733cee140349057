//! AWS VPC flow logs (space-separated text, `-` for no value) → AWSVPCFlow via read_csv.

use super::commit::{Raw, Staged};
use super::exports::{csv_rows, record_csv_rejects, text_columns};
use super::load::{ReadResult, Reader};
use super::mapping::mappings;
use super::sql::lit;
use super::IngestError;

/// The version-2 default fields, used when the file has no header line.
const DEFAULT_FIELDS: [&str; 14] = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
];

/// Loads a VPC flow log file.
pub fn load(r: &mut Reader<'_>) -> ReadResult {
    let all = mappings()?;
    let mapping = all
        .for_kind("vpcflow")
        .ok_or_else(|| IngestError::Mapping("no VPC flow mapping".into()))?;
    let head = r.source.head_text();
    let first = head.lines().next().unwrap_or("").trim_end_matches('\r');
    let has_header = first.starts_with("version ");
    let fields: Vec<String> = if has_header {
        first.split_whitespace().map(str::to_string).collect()
    } else {
        DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect()
    };
    let path = r.source.csv_path()?;
    let options = format!(
        "delim=' ', quote='', escape='', header={has_header}, new_line={}",
        if head.contains("\r\n") {
            "'\\r\\n'"
        } else {
            "'\\n'"
        }
    );
    let (rows, line) = csv_rows(
        r,
        &path.display().to_string(),
        &options,
        &text_columns(fields.len()),
        u64::from(has_header),
    )?;
    let staged = Staged {
        columns: fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let col = format!("c{i}");
                let target = mapping.vpcflow.get(f).cloned().unwrap_or_else(|| f.clone());
                (format!("nullif({col}, {})", lit("-")), target)
            })
            .collect(),
        line,
        raw: Raw::FieldsJson,
        constants: Vec::new(),
        from: rows,
    };
    let counts = r.commit(&staged, &mapping.table, Some(mapping))?;
    let structural = record_csv_rejects(r, false, &fields)?;
    r.progress.add(r.source.size);
    Ok((mapping.table.clone(), counts, structural))
}

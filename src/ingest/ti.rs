//! Threat intelligence: Sentinel ThreatIntelligenceIndicator CSV exports (through the
//! export reader) and STIX 2.1 bundles (indicator patterns read here).

use std::path::Path;

use serde_json::Value;

use super::commit::{Raw, Rows, Staged};
use super::load::{load_file, reject_line, ReadResult, Reader};
use super::mapping::mappings;
use super::progress::Progress;
use super::sink::StageSink;
use super::sql::ident;
use super::{FileOutcome, FileStatus, IngestError};
use crate::engine::Case;

/// The TI table.
pub const TABLE: &str = "ThreatIntelligenceIndicator";

/// Constant columns of TI rows from `path`.
pub fn constants(path: &Path) -> Vec<(String, String)> {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    vec![("SourceFile".to_string(), absolute.display().to_string())]
}

/// Imports one TI file (indicator CSV or STIX 2.1 bundle) into ThreatIntelligenceIndicator.
pub fn import_ti(case: &Case, file: &Path) -> Result<FileOutcome, IngestError> {
    if !file.is_file() {
        return Err(IngestError::NotFound(file.to_path_buf()));
    }
    let outcome = load_file(
        case,
        file,
        true,
        Some(TABLE),
        &Progress::hidden(),
        constants(file),
    );
    if outcome.status == FileStatus::Loaded {
        case.refresh_auto_clock()?;
    }
    Ok(outcome)
}

/// Staging columns of STIX indicators.
const COLUMNS: [&str; 16] = [
    "TimeGenerated",
    "SourceSystem",
    "IndicatorId",
    "ExternalIndicatorId",
    "Description",
    "ThreatType",
    "ConfidenceScore",
    "ExpirationDateTime",
    "Active",
    "Tags",
    "NetworkIP",
    "NetworkDestinationIP",
    "NetworkSourceIP",
    "DomainName",
    "Url",
    "FileHashValue",
];

/// One observable of a STIX pattern: (object path, value).
pub fn pattern_terms(pattern: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = pattern;
    // Each comparison looks like `type:path = 'value'`; values escape ' and \ with \.
    while let Some(eq) = rest.find('=') {
        let lhs = rest[..eq].trim_end();
        let path_start = lhs
            .rfind(|c: char| c == '[' || c == '(' || c.is_whitespace())
            .map_or(0, |i| i + 1);
        let path = lhs[path_start..].trim_end_matches('!').to_string();
        let after = rest[eq + 1..].trim_start();
        let Some(body) = after.strip_prefix('\'') else {
            rest = &rest[eq + 1..];
            continue;
        };
        let mut value = String::new();
        let mut chars = body.char_indices();
        let mut end = body.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, n)) = chars.next() {
                        value.push(n);
                    }
                }
                '\'' => {
                    end = i + 1;
                    break;
                }
                _ => value.push(c),
            }
        }
        if path.contains(':') {
            out.push((path, value));
        }
        rest = &body[end.min(body.len())..];
    }
    out
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Loads a STIX 2.1 bundle's indicators (one row per observable in each pattern).
pub fn load_stix(r: &mut Reader<'_>) -> ReadResult {
    let all = mappings()?;
    let mapping = all
        .for_table(TABLE)
        .ok_or_else(|| IngestError::Mapping("no TI mapping".into()))?;
    let mut input = String::new();
    std::io::Read::read_to_string(&mut r.source.reader()?, &mut input)
        .map_err(|e| IngestError::Invalid(format!("{}: {e}", r.source.display())))?;
    let bundle: Value = serde_json::from_str(&input).map_err(|e| {
        IngestError::Invalid(format!("{}: not a STIX bundle: {e}", r.source.display()))
    })?;
    let objects = bundle
        .get("objects")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            IngestError::Invalid(format!("{}: the bundle has no objects", r.source.display()))
        })?;
    let mut names: Vec<String> = COLUMNS.iter().map(|s| s.to_string()).collect();
    names.push("FileHashType".into());
    let mut sink = StageSink::new(r.conn, names, true)?;
    let mut rejected = 0u64;
    let mut n = 0u64;
    for obj in objects {
        if obj.get("type").and_then(Value::as_str) != Some("indicator") {
            continue;
        }
        n += 1;
        let raw = obj.to_string();
        let pattern = text(obj, "pattern").unwrap_or_default();
        let pattern_type = text(obj, "pattern_type").unwrap_or_else(|| "stix".into());
        let terms: Vec<(String, String)> = if pattern_type == "stix" {
            pattern_terms(&pattern)
                .into_iter()
                .filter(|(p, _)| mapping.stix.contains_key(p))
                .collect()
        } else {
            Vec::new()
        };
        if terms.is_empty() {
            reject_line(r, n, &raw, "indicator pattern has no supported observable")?;
            rejected += 1;
            continue;
        }
        let time = text(obj, "modified").or_else(|| text(obj, "created"));
        let threat_type = obj
            .get("indicator_types")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .map(str::to_string);
        let tags = obj.get("labels").and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(",")
        });
        let active = if obj.get("revoked").and_then(Value::as_bool) == Some(true) {
            "false"
        } else {
            "true"
        };
        let description = text(obj, "description").or_else(|| text(obj, "name"));
        let confidence = text(obj, "confidence");
        let valid_until = text(obj, "valid_until");
        let id = obj.get("id").and_then(Value::as_str);
        for (path, value) in &terms {
            let column = mapping.stix.get(path).map(String::as_str).unwrap_or("");
            let mut row: Vec<Option<&str>> = vec![
                time.as_deref(),
                Some("STIX"),
                id,
                id,
                description.as_deref(),
                threat_type.as_deref(),
                confidence.as_deref(),
                valid_until.as_deref(),
                Some(active),
                tags.as_deref(),
            ];
            row.resize(COLUMNS.len() + 1, None);
            if let Some(i) = COLUMNS.iter().position(|c| *c == column) {
                row[i] = Some(value.as_str());
            }
            let hash_type = path
                .strip_prefix("file:hashes.")
                .map(|h| h.trim_matches('\'').to_string());
            row[COLUMNS.len()] = hash_type.as_deref();
            sink.push(n, &raw, &row)?;
        }
    }
    sink.flush()?;
    r.progress.add(r.source.size);
    let mut columns: Vec<(String, String)> =
        COLUMNS.iter().map(|c| (ident(c), c.to_string())).collect();
    columns.push((ident("FileHashType"), "FileHashType".into()));
    let staged = Staged {
        columns,
        line: "__line".into(),
        raw: Raw::Column("__raw".into()),
        constants: if r.constants.is_empty() {
            constants(&r.source.path)
        } else {
            r.constants.clone()
        },
        from: Rows::Stage,
    };
    let counts = r.commit(&staged, TABLE, Some(mapping))?;
    Ok((TABLE.to_string(), counts, rejected))
}

#[cfg(test)]
mod tests {
    use super::pattern_terms;

    #[test]
    fn patterns() {
        assert_eq!(
            pattern_terms("[ipv4-addr:value = '203.0.113.5']"),
            vec![("ipv4-addr:value".to_string(), "203.0.113.5".to_string())]
        );
        assert_eq!(
            pattern_terms("[domain-name:value = 'evil.example' OR url:value = 'http://x/a\\'b']"),
            vec![
                ("domain-name:value".to_string(), "evil.example".to_string()),
                ("url:value".to_string(), "http://x/a'b".to_string())
            ]
        );
        assert_eq!(
            pattern_terms("[file:hashes.'SHA-256' = 'abc']"),
            vec![("file:hashes.'SHA-256'".to_string(), "abc".to_string())]
        );
    }
}

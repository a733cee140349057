//! Writing a query's result to a file without letting the query touch files: the query runs
//! on a sandboxed case into a staging table, then quarry's own code copies that table to the
//! path the user gave, on a case opened with file access.

use std::path::Path;

use super::{Case, EngineError, Result};
use crate::kql::functions::quote_str;

/// The staging table between the two halves.
const STAGE: &str = "quarry_export_stage";

/// The DuckDB `COPY` options for an output file, chosen by its extension.
pub fn copy_format(path: &Path) -> Result<&'static str> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Ok("FORMAT csv, HEADER true"),
        Some("json") | Some("ndjson") | Some("jsonl") => Ok("FORMAT json"),
        Some("parquet") => Ok("FORMAT parquet"),
        _ => Err(EngineError::Other(format!(
            "cannot tell the format of {}: name it .csv, .json or .parquet",
            path.display()
        ))),
    }
}

/// First half, on a sandboxed case: keeps `query`'s result in the staging table.
pub fn stage(case: &Case, query: &str) -> Result<()> {
    let query = query.trim().trim_end_matches(';');
    case.conn()
        .execute_batch(&format!("CREATE OR REPLACE TABLE {STAGE} AS {query}"))?;
    Ok(())
}

/// Second half, on a case opened with file access: writes the staged rows to `out` and
/// drops the staging table. Returns the number of rows written.
pub fn write(case: &Case, out: &Path) -> Result<usize> {
    let options = copy_format(out)?;
    let target = quote_str(&out.to_string_lossy());
    let written = case
        .conn()
        .execute(&format!("COPY {STAGE} TO {target} ({options})"), []);
    case.conn()
        .execute_batch(&format!("DROP TABLE IF EXISTS {STAGE}"))?;
    Ok(written?)
}

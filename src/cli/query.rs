//! `quarry sql` and `quarry export`: run a query on the case and print or save its result.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::CaseArgs;
use crate::engine::output::{write_query, Format};

/// Arguments of `quarry sql`.
#[derive(Debug, clap::Args)]
pub struct SqlArgs {
    /// The DuckDB SQL query.
    pub query: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Runs `quarry sql`.
pub fn sql(case: &CaseArgs, args: &SqlArgs) -> anyhow::Result<()> {
    let case = case.open()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    write_query(case.conn(), &args.query, args.format, &[], &mut out)?;
    out.flush()?;
    Ok(())
}

/// Arguments of `quarry export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The DuckDB SQL query whose result to write.
    #[arg(long)]
    pub sql: String,
    /// The file to write; its extension (.csv, .json, .parquet) picks the format.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// The DuckDB `COPY` options for an output file, chosen by its extension.
fn copy_format(path: &Path) -> anyhow::Result<&'static str> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Ok("FORMAT csv, HEADER true"),
        Some("json") | Some("ndjson") | Some("jsonl") => Ok("FORMAT json"),
        Some("parquet") => Ok("FORMAT parquet"),
        _ => anyhow::bail!(
            "cannot tell the format of {}: name it .csv, .json or .parquet",
            path.display()
        ),
    }
}

/// Runs `quarry export`.
pub fn export(case: &CaseArgs, args: &ExportArgs) -> anyhow::Result<()> {
    let options = copy_format(&args.out)?;
    let case = case.open()?;
    let query = args.sql.clone();
    let target = args.out.to_string_lossy().replace('\'', "''");
    let query = query.trim().trim_end_matches(';');
    let rows = case
        .conn()
        .execute(&format!("COPY ({query}) TO '{target}' ({options})"), [])?;
    eprintln!("wrote {rows} rows to {}", args.out.display());
    Ok(())
}

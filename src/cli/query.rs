//! `quarry sql` and `quarry export`: run a query on the case and print or save its result.

use std::io::Write;
use std::path::PathBuf;

use super::CaseArgs;
use crate::engine::export;
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
    let case = case.open_sandboxed()?;
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

/// Runs `quarry export`: the query runs sandboxed, then quarry writes its rows.
pub fn export(case: &CaseArgs, args: &ExportArgs) -> anyhow::Result<()> {
    export::copy_format(&args.out)?;
    export::stage(&case.open_sandboxed()?, &args.sql)?;
    let rows = export::write(&case.open()?, &args.out)?;
    eprintln!("wrote {rows} rows to {}", args.out.display());
    Ok(())
}

//! `quarry kql`: compile a KQL query and run it on the case (or print its SQL).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use super::CaseArgs;
use crate::engine::output::{write_query, Format};
use crate::kql;

/// Arguments of `quarry kql`.
#[derive(Debug, clap::Args)]
pub struct KqlArgs {
    /// The KQL query (or give -f FILE).
    #[arg(required_unless_present = "file", conflicts_with = "file")]
    pub query: Option<String>,
    /// Read the query from a file.
    #[arg(short = 'f', long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Print the generated DuckDB SQL instead of running it.
    #[arg(long)]
    pub sql: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Runs `quarry kql`.
pub fn run(case: &CaseArgs, args: &KqlArgs) -> anyhow::Result<()> {
    let text = match (&args.query, &args.file) {
        (Some(q), _) => q.clone(),
        (None, Some(f)) => std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the query file {}", f.display()))?,
        (None, None) => anyhow::bail!("give a query or -f FILE"),
    };
    let case = case.open_sandboxed()?;
    let compiled = match kql::compile(&text, &case.catalog()?) {
        Ok(c) => c,
        Err(diags) => {
            // Multi-line diagnostics: sanitise each line so the caret layout survives.
            for line in diags.to_string().lines() {
                eprintln!("{}", crate::sanitize::for_terminal(line));
            }
            anyhow::bail!("the query does not compile");
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.sql {
        writeln!(out, "{}", compiled.sql)?;
    } else {
        for note in &compiled.notes {
            eprintln!("note: {}", crate::sanitize::for_terminal(note));
        }
        let json_columns = compiled.json_columns();
        write_query(
            case.conn(),
            &compiled.sql,
            args.format,
            &json_columns,
            &mut out,
        )?;
    }
    out.flush()?;
    Ok(())
}

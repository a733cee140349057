//! `quarry report`: the case written up as Markdown, JSON or one HTML file.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use super::hunts::{load_library, run_all, HuntSources};
use super::CaseArgs;
use crate::report::{gather, render, ReportFormat};

/// Arguments of `quarry report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
    pub format: ReportFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub sources: HuntSources,
}

/// Runs `quarry report`.
pub fn run(case_args: &CaseArgs, args: &ReportArgs) -> anyhow::Result<()> {
    let lib = load_library(&args.sources);
    // One thread: sets and ties come out in the same order on every run.
    let case = case_args.open_reproducible()?;
    let runs = run_all(&case, &lib)?;
    let report = gather(&case, &lib.hunts, &runs)?;
    let text = render(&report, args.format);
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("report written to {}", path.display());
        }
        None => {
            let text = match args.format {
                ReportFormat::Json => crate::sanitize::json_for_terminal(&text).into_owned(),
                _ => text,
            };
            std::io::stdout().lock().write_all(text.as_bytes())?;
        }
    }
    Ok(())
}

//! `quarry load`: bring log files into the case.

use std::path::PathBuf;

use super::CaseArgs;
use crate::ingest::{self, FileStatus, LoadOptions};
use crate::sanitize::for_terminal;

/// Arguments of `quarry load`.
#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// Files, folders (loaded recursively) or glob patterns.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Load tabular exports (CSV, JSON, Parquet) into this table instead of guessing it from the columns.
    #[arg(long, value_name = "TABLE")]
    pub table: Option<String>,
}

/// Runs `quarry load` and prints the per-file summary.
pub fn run(case: &CaseArgs, args: &LoadArgs) -> anyhow::Result<()> {
    let case = case.open()?;
    let options = LoadOptions {
        table: args.table.clone(),
        progress: true,
        observer: None,
    };
    let report = ingest::load_paths(&case, &args.paths, &options)?;
    let mut failed = 0;
    let (mut read, mut loaded, mut rejected) = (0u64, 0u64, 0u64);
    for file in &report.files {
        let path = for_terminal(&file.path.display().to_string()).into_owned();
        match &file.status {
            FileStatus::Loaded => {
                read += file.rows_read;
                loaded += file.rows_loaded;
                rejected += file.rows_rejected;
                println!(
                    "loaded   {path}  {} → {}  read {}  loaded {}  rejected {}",
                    file.format, file.table, file.rows_read, file.rows_loaded, file.rows_rejected
                );
            }
            FileStatus::AlreadyLoaded => println!("skipped  {path}  already loaded"),
            FileStatus::Skipped(why) => println!("skipped  {path}  {}", for_terminal(why)),
            FileStatus::Failed(why) => {
                failed += 1;
                eprintln!("failed   {path}  {}", for_terminal(why));
            }
        }
    }
    println!("total: read {read}  loaded {loaded}  rejected {rejected}");
    if rejected > 0 {
        println!("rejected lines are kept in the quarry_rejects table");
    }
    if failed > 0 {
        anyhow::bail!("{failed} file(s) could not be loaded");
    }
    Ok(())
}

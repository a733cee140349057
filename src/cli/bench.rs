//! `quarry bench`: the benchmark suite (see `crate::bench`).

use std::path::PathBuf;

use crate::bench::{run, BenchOptions};

/// Arguments of `quarry bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Network sessions the generated case should hold (roughly; other tables in proportion).
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    /// Small and fast (CI): about 40k sessions, one run each, a 20k-line lnav log.
    #[arg(long)]
    pub quick: bool,
    /// Runs per figure (median, min and max are taken over them).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Lines of the Zeek conn log for the lnav comparison (0 skips it).
    #[arg(long, default_value_t = 1_000_000)]
    pub lnav_lines: usize,
    /// The seed KQL corpus for compiled-versus-hand-written figures.
    #[arg(long, value_name = "DIR", default_value = "../shared/kql-corpus")]
    pub corpus: PathBuf,
    /// Keep the generated files and case here instead of a temporary folder (a later run with
    /// the same --rows reuses them).
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<PathBuf>,
    /// Run only these sections: ingest, hunts, edits, frame, seeds, startup, lnav.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub only: Vec<String>,
}

/// Runs `quarry bench`.
pub fn bench(args: &BenchArgs) -> anyhow::Result<()> {
    let options = if args.quick {
        BenchOptions {
            corpus: Some(args.corpus.clone()),
            workdir: args.workdir.clone(),
            only: args.only.clone(),
            ..BenchOptions::quick()
        }
    } else {
        BenchOptions {
            rows: args.rows,
            runs: args.runs,
            lnav_lines: args.lnav_lines,
            frame_rows: 1_000_000,
            corpus: Some(args.corpus.clone()),
            workdir: args.workdir.clone(),
            only: args.only.clone(),
        }
    };
    run(&options, &mut std::io::stdout().lock())
}

//! `quarry sample`: write the sample data set with planted attacks.

use std::path::PathBuf;

use crate::sample::{generate, SampleOptions};

/// Arguments of `quarry sample`.
#[derive(Debug, clap::Args)]
pub struct SampleArgs {
    /// Folder to write the data set into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Random seed; the same seed writes the same bytes.
    #[arg(long, default_value_t = SampleOptions::default().seed)]
    pub seed: u64,
    /// Days of traffic.
    #[arg(long, default_value_t = SampleOptions::default().days)]
    pub days: u32,
    /// Multiplies the background traffic volume.
    #[arg(long, default_value_t = SampleOptions::default().scale)]
    pub scale: u32,
}

/// Runs `quarry sample`.
pub fn run(args: &SampleArgs) -> anyhow::Result<()> {
    let options = SampleOptions {
        seed: args.seed,
        days: args.days,
        scale: args.scale,
    };
    let summary = generate(&args.out, &options)?;
    println!("{summary}");
    Ok(())
}

//! The command line: argument definitions and one handler module per command group.

mod bench;
mod case_args;
mod clock;
mod findings;
mod hunts;
mod intel;
mod kql;
mod load;
mod pivot;
mod query;
mod report;
mod sample;
mod tables;
mod window;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use case_args::CaseArgs;

/// quarry: hunt in network logs with Sentinel KQL, offline.
#[derive(Debug, Parser)]
#[command(name = "quarry", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Which case database to use.
    #[command(flatten)]
    pub case: CaseArgs,
    /// What to do; without a command, quarry prints this help.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Every subcommand of `quarry`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load log files, folders or globs into the case.
    Load(load::LoadArgs),
    /// Run DuckDB SQL on the case.
    Sql(query::SqlArgs),
    /// List the case's tables and views with row counts and the sources that fed them.
    Tables(tables::TablesArgs),
    /// Show or set the investigation clock that now() and ago() read.
    Clock(clock::ClockArgs),
    /// Show, set or clear the case's time window (events outside it are hidden from queries).
    Window(window::WindowArgs),
    /// Write a query result to a CSV, JSON or Parquet file.
    Export(query::ExportArgs),
    /// Import, list, show, edit and export watchlists (read by `_GetWatchlist('name')`).
    Watchlist(intel::WatchlistArgs),
    /// Import threat-intelligence indicators (CSV or STIX 2.1).
    Ti(intel::TiArgs),
    /// Compile a KQL query and run it on the case (--sql prints the SQL).
    Kql(kql::KqlArgs),
    /// Write the sample data set (a small company's logs with planted attacks).
    Sample(sample::SampleArgs),
    /// List the hunts.
    Hunts(hunts::HuntsArgs),
    /// Run a hunt (or all), drill into a hit, or explain a hunt.
    Hunt(hunts::HuntArgs),
    /// List, show, add, edit and delete the findings kept in the case.
    Findings(findings::FindingsArgs),
    /// Everything about one IP, host, domain, URL, process or port across the case.
    Pivot(pivot::PivotArgs),
    /// MITRE ATT&CK tactics and techniques the hunts cover, with hits on this case.
    Coverage(pivot::CoverageArgs),
    /// Write the case report (inputs, clock, window, hunts, coverage, findings).
    Report(report::ReportArgs),
    /// Open the workbench (what `quarry` alone does in a terminal).
    Tui(TuiArgs),
    /// Measure ingest, hunts, edits and drill-down on a generated case beside DuckDB and lnav.
    Bench(bench::BenchArgs),
}

/// Arguments of `quarry tui`.
#[derive(Debug, clap::Args)]
pub struct TuiArgs {
    /// Colour theme: dark, light, high-contrast or solarized (default: the settings file's,
    /// else dark; NO_COLOR turns colour off).
    #[arg(long)]
    pub theme: Option<String>,
    /// Also load hunts from this folder; repeatable.
    #[arg(long, value_name = "DIR")]
    pub hunts: Vec<PathBuf>,
}

/// Entry point of the binary: parses arguments, runs the command, maps errors to exit codes.
pub fn main() -> ExitCode {
    end_quietly_when_the_reader_leaves();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_text(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

/// A reader that stops early (`quarry hunt run --all --json | head`) ends quarry as it ends
/// other command-line tools, instead of a panic at the next line printed: Rust ignores
/// SIGPIPE, which makes every print to the closed pipe fail.
fn end_quietly_when_the_reader_leaves() {
    #[cfg(unix)]
    // SAFETY: restores the default action of one signal, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let Some(command) = cli.command else {
        use std::io::IsTerminal;
        if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
            return crate::tui::run(cli.case.path()?, None, Vec::new());
        }
        use clap::CommandFactory;
        Cli::command().print_help()?;
        return Ok(());
    };
    match command {
        Command::Load(args) => load::run(&cli.case, &args),
        Command::Sql(args) => query::sql(&cli.case, &args),
        Command::Tables(args) => tables::run(&cli.case, &args),
        Command::Clock(args) => clock::run(&cli.case, &args),
        Command::Window(args) => window::run(&cli.case, &args),
        Command::Export(args) => query::export(&cli.case, &args),
        Command::Watchlist(args) => intel::watchlist(&cli.case, &args),
        Command::Ti(args) => intel::ti(&cli.case, &args),
        Command::Kql(args) => kql::run(&cli.case, &args),
        Command::Sample(args) => sample::run(&args),
        Command::Hunts(args) => hunts::hunts(&cli.case, &args),
        Command::Hunt(args) => hunts::hunt(&cli.case, &args),
        Command::Bench(args) => bench::bench(&args),
        Command::Findings(args) => findings::run(&cli.case, &args),
        Command::Pivot(args) => pivot::run(&cli.case, &args),
        Command::Coverage(args) => pivot::coverage(&cli.case, &args),
        Command::Report(args) => report::run(&cli.case, &args),
        Command::Tui(args) => crate::tui::run(cli.case.path()?, args.theme.as_deref(), args.hunts),
    }
}

/// An error for the terminal: DuckDB's message once (its Rust binding repeats it and appends
/// a numeric code), each line made safe to print.
fn error_text(text: &str) -> String {
    let mut text = text;
    if let Some(at) = text.rfind(": Error code ") {
        text = &text[..at];
    }
    let halves = text
        .char_indices()
        .filter(|(_, c)| *c == ':')
        .find_map(|(i, _)| {
            let (left, right) = (&text[..i], text[i + 1..].trim_start());
            // "context: M: M" says M twice; keep "context: M".
            (!right.is_empty() && left.ends_with(right)).then_some(left)
        });
    halves
        .unwrap_or(text)
        .lines()
        .map(|l| crate::sanitize::for_terminal(l.trim_end()).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::error_text;

    #[test]
    fn duckdb_errors_are_said_once() {
        let raw = "Permission Error: no\nLINE 1: x: Permission Error: no\nLINE 1: x: Error code 1: Unknown error code";
        assert_eq!(error_text(raw), "Permission Error: no\nLINE 1: x");
        assert_eq!(error_text("plain: message"), "plain: message");
        assert_eq!(
            error_text("cannot open x: IO Error: ro: IO Error: ro"),
            "cannot open x: IO Error: ro"
        );
        let full =
            "T Error: Failed to commit: Could not write file \"/x.wal\": No space left on device";
        assert_eq!(error_text(&format!("{full}: {full}")), full);
        assert!(!error_text("bad \u{1b}[31m red").contains('\u{1b}'));
    }
}

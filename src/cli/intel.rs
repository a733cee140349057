//! `quarry watchlist` and `quarry ti`: the reference data hunts read.

use std::io::Write;
use std::path::PathBuf;

use super::CaseArgs;
use crate::engine::output::{write_query, Format};
use crate::ingest::{import_ti, import_watchlist, FileStatus};
use crate::sanitize::for_terminal;

/// Arguments of `quarry watchlist`.
#[derive(Debug, clap::Args)]
pub struct WatchlistArgs {
    /// What to do with watchlists.
    #[command(subcommand)]
    pub action: WatchlistAction,
}

/// The watchlist subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum WatchlistAction {
    /// Import a CSV file as watchlist NAME (replacing one of that name).
    Import {
        /// The watchlist's name, as `_GetWatchlist('NAME')` will call it.
        name: String,
        /// The CSV file.
        file: PathBuf,
        /// The column that becomes SearchKey (default: a SearchKey column, else the first).
        #[arg(long, value_name = "COLUMN")]
        key: Option<String>,
    },
    /// List the watchlists of the case with their row counts.
    List,
    /// Print the rows of one watchlist.
    Show {
        /// The watchlist's name.
        name: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Add a row: `quarry watchlist add NAME Host=scan02 Process=nmap Reason=...`
    /// (creates the watchlist, keyed on the first column, if it does not exist).
    Add {
        /// The watchlist's name.
        name: String,
        /// The row as column=value pairs.
        #[arg(value_name = "COLUMN=VALUE", value_parser = crate::ingest::watchlist_edit::parse_pair, required = true)]
        values: Vec<(String, String)>,
    },
    /// Remove the rows whose SearchKey is KEY.
    Remove {
        /// The watchlist's name.
        name: String,
        /// The SearchKey value.
        key: String,
    },
    /// Write the watchlist to a CSV file.
    Export {
        /// The watchlist's name.
        name: String,
        /// The CSV file to write.
        file: PathBuf,
    },
}

/// Arguments of `quarry ti`.
#[derive(Debug, clap::Args)]
pub struct TiArgs {
    /// What to do with threat intelligence.
    #[command(subcommand)]
    pub action: TiAction,
}

/// The threat-intelligence subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TiAction {
    /// Import an indicator CSV or a STIX 2.1 bundle into ThreatIntelligenceIndicator.
    Import {
        /// The file.
        file: PathBuf,
    },
}

/// Runs `quarry watchlist`.
pub fn watchlist(case: &CaseArgs, args: &WatchlistArgs) -> anyhow::Result<()> {
    let case = case.open()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match &args.action {
        WatchlistAction::Import { name, file, key } => {
            let rows = import_watchlist(&case, name, file, key.as_deref())?;
            writeln!(
                out,
                "watchlist {} now holds {rows} rows",
                for_terminal(name)
            )?;
        }
        WatchlistAction::List => {
            let sql = "SELECT name, search_key AS \"SearchKey column\", source FROM quarry_watchlists ORDER BY name";
            write_query(case.conn(), sql, Format::Table, &[], &mut out)?;
        }
        WatchlistAction::Show { name, format } => {
            let table: Option<String> = case
                .conn()
                .query_row(
                    "SELECT table_name FROM quarry_watchlists WHERE name = ?",
                    [name],
                    |r| r.get(0),
                )
                .ok();
            let Some(table) = table else {
                anyhow::bail!(
                    "no watchlist named {:?}; `quarry watchlist list` shows them",
                    for_terminal(name)
                );
            };
            let sql = format!("SELECT * FROM \"{}\"", table.replace('"', "\"\""));
            write_query(case.conn(), &sql, *format, &[], &mut out)?;
        }
        WatchlistAction::Add { name, values } => {
            crate::ingest::watchlist_edit::add(&case, name, values)?;
            writeln!(out, "added a row to watchlist {}", for_terminal(name))?;
        }
        WatchlistAction::Remove { name, key } => {
            let n = crate::ingest::watchlist_edit::remove(&case, name, key)?;
            writeln!(
                out,
                "removed {n} row(s) from watchlist {}",
                for_terminal(name)
            )?;
        }
        WatchlistAction::Export { name, file } => {
            let n = crate::ingest::watchlist_edit::export(&case, name, file)?;
            writeln!(
                out,
                "wrote {n} row(s) to {}",
                for_terminal(&file.display().to_string())
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Runs `quarry ti`.
pub fn ti(case: &CaseArgs, args: &TiArgs) -> anyhow::Result<()> {
    let case = case.open()?;
    match &args.action {
        TiAction::Import { file } => {
            let outcome = import_ti(&case, file)?;
            match &outcome.status {
                FileStatus::Failed(why) => anyhow::bail!("{}", for_terminal(why)),
                status => println!(
                    "{}: {status}  read {}  loaded {}  rejected {}",
                    for_terminal(&file.display().to_string()),
                    outcome.rows_read,
                    outcome.rows_loaded,
                    outcome.rows_rejected
                ),
            }
        }
    }
    Ok(())
}

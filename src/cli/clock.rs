//! `quarry clock`: the investigation clock that `now()` and `ago()` read.

use super::CaseArgs;
use crate::engine::{ClockSource, CLOCK_FORMAT};

/// Arguments of `quarry clock`.
#[derive(Debug, clap::Args)]
pub struct ClockArgs {
    /// What to do with the clock (default: show it).
    #[command(subcommand)]
    pub action: Option<ClockAction>,
}

/// The clock's subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ClockAction {
    /// Print the clock and whether it is pinned or automatic.
    Show,
    /// Pin the clock to a UTC time, e.g. 2025-03-01T12:00:00Z.
    Set {
        /// The time, ISO 8601 (a Z or +00:00 suffix is optional; offsets are converted to UTC).
        time: String,
    },
    /// Follow the latest event time loaded again.
    Auto,
}

/// Runs `quarry clock`.
pub fn run(case: &CaseArgs, args: &ClockArgs) -> anyhow::Result<()> {
    let case = case.open_sandboxed()?;
    match &args.action {
        None | Some(ClockAction::Show) => {}
        Some(ClockAction::Set { time }) => {
            case.set_clock(Some(crate::engine::parse_time(time)?))?
        }
        Some(ClockAction::Auto) => {
            case.set_clock(None)?;
            case.refresh_auto_clock()?;
        }
    }
    match case.clock_with_source()? {
        Some((t, source)) => {
            let how = match source {
                ClockSource::Override => "pinned (quarry clock auto follows the data again)",
                ClockSource::Auto => "automatic: the latest event time loaded",
            };
            println!("{}  {how}", t.format(CLOCK_FORMAT));
        }
        None => println!("not set: the case holds no events yet, so now() is the wall clock"),
    }
    Ok(())
}

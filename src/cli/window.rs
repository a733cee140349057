//! `quarry window`: the case-wide time window every hunt, pivot and console query sees.

use super::CaseArgs;

/// Arguments of `quarry window`.
#[derive(Debug, clap::Args)]
pub struct WindowArgs {
    /// What to do with the window (default: show it).
    #[command(subcommand)]
    pub action: Option<WindowAction>,
}

/// The window's subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum WindowAction {
    /// Print the window.
    Show,
    /// Keep the window `--from/--to` give in the case (an end not given stays as it was).
    Set,
    /// Let every event through again.
    Clear,
}

/// Runs `quarry window`.
pub fn run(args: &CaseArgs, cmd: &WindowArgs) -> anyhow::Result<()> {
    let flags = args.window_flags()?;
    let path = args.path()?;
    let mut case = crate::engine::Case::open_sandboxed(&path)?;
    match cmd.action {
        None | Some(WindowAction::Show) => {
            let shown = case.window().narrowed_by(flags);
            println!("{}", shown.label());
            return Ok(());
        }
        Some(WindowAction::Set) => {
            if flags.is_all() {
                anyhow::bail!(
                    "give --from, --to or both, e.g. quarry window set --from 2025-11-19T00:00:00Z"
                );
            }
            let window = case.window().narrowed_by(flags);
            case.set_window(window, true)?;
        }
        Some(WindowAction::Clear) => case.set_window(crate::engine::Window::default(), true)?,
    }
    println!("{}", case.window().label());
    Ok(())
}

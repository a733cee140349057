//! `--db` / `--case`: which case database a command works on.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::engine::{default_case_path, parse_time, Case, Window};

/// Options every subcommand takes to choose its case.
#[derive(Debug, Clone, clap::Args)]
pub struct CaseArgs {
    /// Path of the case database file.
    #[arg(long, global = true, value_name = "PATH", conflicts_with = "case")]
    pub db: Option<PathBuf>,
    /// Name of a case in quarry's data folder (default: "default").
    #[arg(long, global = true, value_name = "NAME")]
    pub case: Option<String>,
    /// Only events at or after this time (UTC, ISO 8601), for this command; narrows the
    /// case's time window (`quarry window`).
    #[arg(long, global = true, value_name = "TIME")]
    pub from: Option<String>,
    /// Only events before this time (UTC, ISO 8601), for this command.
    #[arg(long, global = true, value_name = "TIME")]
    pub to: Option<String>,
}

impl CaseArgs {
    /// The case file these options name.
    pub fn path(&self) -> anyhow::Result<PathBuf> {
        if let Some(db) = &self.db {
            return Ok(db.clone());
        }
        let name = self.case.as_deref().unwrap_or("default");
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            anyhow::bail!("a case name is a plain name like 'incident-42', not {name:?}");
        }
        Ok(default_case_path(name)?)
    }

    /// Opens the case these options name with file access (loading, importing, exporting).
    pub fn open(&self) -> anyhow::Result<Case> {
        let path = self.path()?;
        Case::open(&path).with_context(|| format!("cannot open the case {}", path.display()))
    }

    /// Opens the case these options name for queries: its tables and nothing else.
    pub fn open_sandboxed(&self) -> anyhow::Result<Case> {
        self.open_with(Case::open_sandboxed)
    }

    /// Opens the case sandboxed on one thread, for output that must repeat byte for byte.
    pub fn open_reproducible(&self) -> anyhow::Result<Case> {
        self.open_with(Case::open_reproducible)
    }

    /// Opens the case with `open`, then narrows its window by `--from/--to`.
    fn open_with(
        &self,
        open: impl FnOnce(&Path) -> crate::engine::Result<Case>,
    ) -> anyhow::Result<Case> {
        let path = self.path()?;
        let mut case =
            open(&path).with_context(|| format!("cannot open the case {}", path.display()))?;
        let flags = self.window_flags()?;
        if !flags.is_all() {
            let window = case.window().narrowed_by(flags);
            case.set_window(window, false)?;
        }
        Ok(case)
    }

    /// The window `--from/--to` give (all time when neither is given).
    pub fn window_flags(&self) -> anyhow::Result<Window> {
        let parse = |t: &Option<String>| t.as_deref().map(parse_time).transpose();
        Ok(Window {
            from: parse(&self.from)?,
            to: parse(&self.to)?,
        })
    }
}

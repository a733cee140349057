//! `quarry findings list | show | add | edit | rm`: the findings kept in the case.

use std::io::Write;

use anyhow::bail;

use super::hunts::{find, load_library, overrides, print_rows, HuntSources};
use super::CaseArgs;
use crate::hunts::run::{ensure_watchlists, run_hunt};
use crate::investigate::capture::{self, Label};
use crate::investigate::findings::{self, parse_tags, Edit, Finding, Severity};
use crate::report::columns_of;
use crate::sanitize::{for_terminal, json_for_terminal};

/// Arguments of `quarry findings`.
#[derive(Debug, clap::Args)]
pub struct FindingsArgs {
    #[command(subcommand)]
    command: FindingsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum FindingsCommand {
    /// List the findings, one line each.
    List {
        /// One JSON object per finding per line.
        #[arg(long)]
        json: bool,
    },
    /// One finding whole: its context, query and rows.
    Show {
        /// The finding's number.
        id: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Keep a hunt's hit (with the events behind it) or the rows of a KQL query as a finding.
    Add {
        /// The hunt whose hit to keep.
        #[arg(long, conflicts_with = "kql", required_unless_present = "kql")]
        hunt: Option<String>,
        /// A KQL query whose rows to keep.
        #[arg(long)]
        kql: Option<String>,
        /// Which row (1 is the first): a hunt's hit number, or one row of the query
        /// (default for a query: all its rows, up to 1000).
        #[arg(long)]
        row: Option<usize>,
        /// Parameter overrides of the hunt: --set threshold=10.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
        /// How bad it is.
        #[arg(long, value_enum, default_value_t = Severity::Medium)]
        severity: Severity,
        /// Tags, comma-separated or repeated.
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// The analyst's note.
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        sources: HuntSources,
    },
    /// Change a finding's severity, tags or note.
    Edit {
        /// The finding's number.
        id: i64,
        /// New severity.
        #[arg(long, value_enum)]
        severity: Option<Severity>,
        /// New tags (replacing the old), comma-separated or repeated.
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// New note.
        #[arg(long)]
        note: Option<String>,
    },
    /// Delete a finding.
    Rm {
        /// The finding's number.
        id: i64,
    },
}

fn tags_of(given: &[String]) -> Vec<String> {
    given.iter().flat_map(|t| parse_tags(t)).collect()
}

/// Runs `quarry findings`.
pub fn run(case_args: &CaseArgs, args: &FindingsArgs) -> anyhow::Result<()> {
    let case = case_args.open_sandboxed()?;
    let conn = case.conn();
    let mut out = std::io::stdout().lock();
    match &args.command {
        FindingsCommand::List { json } => {
            for f in findings::list(conn)? {
                if *json {
                    let text = f.to_json().to_string();
                    writeln!(out, "{}", json_for_terminal(&text))?;
                } else {
                    writeln!(out, "{}", for_terminal(&summary_line(&f)))?;
                }
            }
        }
        FindingsCommand::Show { id, json } => {
            let Some(f) = findings::get(conn, *id)? else {
                bail!("no finding {id} (see `quarry findings list`)");
            };
            if *json {
                let text = serde_json::to_string_pretty(&f.to_json())?;
                writeln!(out, "{}", json_for_terminal(&text))?;
            } else {
                show(&mut out, &f)?;
            }
        }
        FindingsCommand::Add {
            hunt,
            kql,
            row,
            set,
            severity,
            tags,
            note,
            sources,
        } => {
            let label = Label {
                severity: *severity,
                tags: tags_of(tags),
                note: note.clone(),
            };
            let new = if let Some(id) = hunt {
                let lib = load_library(sources);
                ensure_watchlists(&case, &lib.hunts)?;
                let catalog = case.catalog()?;
                let hunt = find(&lib, id)?;
                let overrides = overrides(set)?;
                let run = run_hunt(conn, &catalog, hunt, &overrides);
                if let Some(e) = &run.error {
                    bail!("{e}");
                }
                let Some(index) = row.unwrap_or(1).checked_sub(1) else {
                    bail!("--row counts from 1");
                };
                let hit = capture::hit_of(hunt, &overrides, &run, index)?;
                capture::hit(&case, &catalog, &hit, label)?
            } else {
                let text = kql.as_deref().unwrap_or_default();
                let catalog = case.catalog()?;
                let index = row.map(|r| r.saturating_sub(1));
                capture::query(&case, &catalog, text, index, "query", label)?
            };
            let id = findings::add(conn, &new)?;
            writeln!(
                out,
                "finding {id}: {} ({} row(s), {} event(s))",
                for_terminal(&new.title),
                new.rows.len(),
                new.events.len()
            )?;
        }
        FindingsCommand::Edit {
            id,
            severity,
            tags,
            note,
        } => {
            let edit = Edit {
                severity: *severity,
                tags: (!tags.is_empty()).then(|| tags_of(tags)),
                note: note.clone(),
            };
            if !findings::edit(conn, *id, &edit)? {
                bail!("no finding {id} (see `quarry findings list`)");
            }
            writeln!(out, "finding {id} changed")?;
        }
        FindingsCommand::Rm { id } => {
            if !findings::remove(conn, *id)? {
                bail!("no finding {id} (see `quarry findings list`)");
            }
            writeln!(out, "finding {id} deleted")?;
        }
    }
    Ok(())
}

/// `3  high    hit   01-outbound…: SrcIpAddr == "10.0.0.1"  [c2, scan]`
fn summary_line(f: &Finding) -> String {
    let tags = if f.body.tags.is_empty() {
        String::new()
    } else {
        format!("  [{}]", f.body.tags.join(", "))
    };
    format!(
        "{:<4} {:<8} {:<5} {}{tags}",
        f.id,
        f.body.severity.as_str(),
        f.body.kind,
        f.body.title
    )
}

fn show(out: &mut dyn Write, f: &Finding) -> anyhow::Result<()> {
    let b = &f.body;
    writeln!(out, "{}", for_terminal(&summary_line(f)))?;
    writeln!(out, "marked:  {}", for_terminal(&f.created_at))?;
    if let Some(h) = &b.hunt {
        writeln!(out, "hunt:    {}", for_terminal(h))?;
    }
    writeln!(
        out,
        "clock:   {}   window: {}",
        for_terminal(&b.clock),
        for_terminal(&b.window)
    )?;
    for (k, v) in &b.params {
        writeln!(out, "param:   {} = {}", for_terminal(k), for_terminal(v))?;
    }
    for line in b.note.lines() {
        writeln!(out, "note:    {}", for_terminal(line))?;
    }
    writeln!(out, "\nquery:")?;
    for line in b.kql.lines() {
        writeln!(out, "    {}", for_terminal(line))?;
    }
    writeln!(out, "\nrows ({}):", b.rows.len())?;
    let cols = columns_of(&b.rows);
    let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
    print_rows(out, &cols, &b.rows)?;
    if !b.events.is_empty() {
        writeln!(out, "\nevents behind it ({}):", b.events.len())?;
        let cols = columns_of(&b.events);
        let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
        print_rows(out, &cols, &b.events)?;
    }
    Ok(())
}

//! `quarry hunts list` and `quarry hunt run | drill | explain`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use serde_json::{json, Value};

use super::CaseArgs;
use crate::engine::output::{write_query, Format};
use crate::engine::Case;
use crate::hunts::library::Library;
use crate::hunts::run::{
    ensure_watchlists, history, record, run_hunt, run_many, RunResult, Status,
};
use crate::hunts::{drill, params, Hunt};
use crate::sanitize::for_terminal;

/// Where extra hunts come from.
#[derive(Debug, Clone, clap::Args)]
pub struct HuntSources {
    /// Also load hunts from this folder (or file); repeatable.
    #[arg(long = "hunts", value_name = "DIR", global = true)]
    pub dirs: Vec<PathBuf>,
}

/// Arguments of `quarry hunts`.
#[derive(Debug, clap::Args)]
pub struct HuntsArgs {
    #[command(subcommand)]
    command: HuntsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum HuntsCommand {
    /// List the hunts with their parameters and whether the case has their tables.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        sources: HuntSources,
    },
}

/// Arguments of `quarry hunt`.
#[derive(Debug, clap::Args)]
pub struct HuntArgs {
    #[command(subcommand)]
    command: HuntCommand,
}

#[derive(Debug, clap::Subcommand)]
enum HuntCommand {
    /// Run one hunt, or all of them.
    Run {
        /// Hunt id (or the start of it, or of its file name).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Run every hunt.
        #[arg(long)]
        all: bool,
        /// One JSON object per hunt per line.
        #[arg(long)]
        json: bool,
        /// Override a parameter: --set threshold=10 --set ports='[443,80]'.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
        #[command(flatten)]
        sources: HuntSources,
    },
    /// The raw rows behind one hit.
    Drill {
        /// Hunt id.
        id: String,
        /// The hit's number (1 is the first row of the hunt's result).
        #[arg(long, default_value_t = 1)]
        row: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Rows per page.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Rows to skip.
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// Parameter overrides, as for `run`.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
        #[command(flatten)]
        sources: HuntSources,
    },
    /// The hunt taken apart: stages, parameters, tables, watchlists, output columns.
    Explain {
        /// Hunt id.
        id: String,
        #[command(flatten)]
        sources: HuntSources,
    },
}

pub(super) fn overrides(set: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    set.iter()
        .map(|s| params::split_assignment(s).map_err(anyhow::Error::msg))
        .collect()
}

pub(super) fn load_library(sources: &HuntSources) -> Library {
    let lib = Library::load(&sources.dirs);
    for b in &lib.broken {
        eprintln!("warning: hunt not loaded: {}", for_terminal(&b.to_string()));
    }
    lib
}

pub(super) fn find<'a>(lib: &'a Library, id: &str) -> anyhow::Result<&'a Hunt> {
    lib.find(id)
        .with_context(|| format!("no hunt `{id}` (see `quarry hunts list`)"))
}

/// Runs every hunt of `lib` on `case` with its defaults (without recording the runs), in
/// library order.
pub(super) fn run_all(case: &Case, lib: &Library) -> anyhow::Result<Vec<RunResult>> {
    ensure_watchlists(case, &lib.hunts)?;
    let catalog = case.catalog()?;
    let all: Vec<&Hunt> = lib.hunts.iter().collect();
    run_many(case, &catalog, &all, &[], 2)
}

/// Runs `quarry hunts`.
pub fn hunts(case: &CaseArgs, args: &HuntsArgs) -> anyhow::Result<()> {
    let HuntsCommand::List { json, sources } = &args.command;
    let lib = load_library(sources);
    let case = case.open_sandboxed()?;
    ensure_watchlists(&case, &lib.hunts)?;
    let catalog = case.catalog()?;
    let runs = history(case.conn());
    let mut rows = Vec::new();
    for h in &lib.hunts {
        let compiled = crate::kql::compile(&h.query, &catalog);
        let (applicable, params, error) = match &compiled {
            Ok(c) => (true, c.params.clone(), None),
            Err(d) => (false, Vec::new(), Some(d.to_string())),
        };
        let params: Vec<Value> = params
            .iter()
            .map(|p| {
                let meta = h.params.get(&p.name);
                json!({"name": p.name, "type": params::type_name(p.ty), "value": p.value,
                       "description": meta.map(|m| m.description.clone()).unwrap_or_default(),
                       "min": meta.and_then(|m| m.min), "max": meta.and_then(|m| m.max)})
            })
            .collect();
        let last = runs.get(&h.id);
        rows.push(json!({
            "id": h.id, "name": h.name, "tactics": h.tactics, "techniques": h.techniques,
            "tables": h.tables, "params": params, "applicable": applicable,
            "reason": error, "origin": h.origin,
            "last_hits": last.and_then(|v| v.first()),
            "change": last.and_then(|v| (v.len() == 2).then(|| v[0] - v[1])),
        }));
    }
    let mut out = std::io::stdout().lock();
    if *json {
        let json = serde_json::to_string_pretty(&rows)?;
        writeln!(out, "{}", crate::sanitize::json_for_terminal(&json))?;
        return Ok(());
    }
    for r in &rows {
        let hits = match (r["last_hits"].as_i64(), r["change"].as_i64()) {
            (Some(n), Some(d)) if d != 0 => format!("{n} hits ({d:+})"),
            (Some(n), _) => format!("{n} hits"),
            (None, _) => "not run".into(),
        };
        let state = if r["applicable"].as_bool() == Some(true) {
            ""
        } else {
            "  [not applicable]"
        };
        writeln!(
            out,
            "{:<40} {:<14} {}{state}\n    {}",
            for_terminal(r["id"].as_str().unwrap_or_default()),
            hits,
            for_terminal(
                &r["tactics"]
                    .as_array()
                    .map(|t| t
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default()
            ),
            for_terminal(r["name"].as_str().unwrap_or_default()),
        )?;
    }
    for b in &lib.broken {
        writeln!(
            out,
            "{:<40} [broken] {}",
            for_terminal(&b.origin),
            for_terminal(&b.to_string())
        )?;
    }
    Ok(())
}

/// Runs `quarry hunt`.
pub fn hunt(case: &CaseArgs, args: &HuntArgs) -> anyhow::Result<()> {
    match &args.command {
        HuntCommand::Run {
            id,
            all,
            json,
            set,
            sources,
        } => {
            let lib = load_library(sources);
            let case = case.open_sandboxed()?;
            ensure_watchlists(&case, &lib.hunts)?;
            let catalog = case.catalog()?;
            let overrides = overrides(set)?;
            let chosen: Vec<&Hunt> = match (id, all) {
                (_, true) => lib.hunts.iter().collect(),
                (Some(id), false) => vec![find(&lib, id)?],
                (None, false) => bail!("give a hunt id or --all"),
            };
            if *all && !overrides.is_empty() {
                bail!("--set applies to one hunt: give its id instead of --all");
            }
            let results = if chosen.len() == 1 {
                vec![run_hunt(case.conn(), &catalog, chosen[0], &overrides)]
            } else {
                run_many(&case, &catalog, &chosen, &overrides, 2)?
            };
            let mut out = std::io::stdout().lock();
            let mut failed = false;
            for r in &results {
                record(case.conn(), r)?;
                if r.status == Status::Error && !*all {
                    failed = true;
                }
                if *json {
                    let json = r.to_json().to_string();
                    writeln!(out, "{}", crate::sanitize::json_for_terminal(&json))?;
                    continue;
                }
                let what = match r.status {
                    Status::Hits => format!("{} hits", r.hit_count),
                    Status::NoHits => "no hits".into(),
                    Status::NotApplicable => "not applicable".into(),
                    Status::Error => "error".into(),
                };
                writeln!(
                    out,
                    "{}  {}  ({} ms)  {}",
                    for_terminal(&r.id),
                    what,
                    r.elapsed_ms,
                    for_terminal(&r.name)
                )?;
                if let Some(e) = &r.error {
                    for line in e.lines() {
                        writeln!(out, "    {}", for_terminal(line))?;
                    }
                }
                if chosen.len() == 1 {
                    let cols: Vec<&str> = r.columns.iter().map(|c| c.name.as_str()).collect();
                    print_rows(&mut out, &cols, &r.hits)?;
                }
            }
            if failed {
                bail!("the hunt failed");
            }
            Ok(())
        }
        HuntCommand::Drill {
            id,
            row,
            format,
            limit,
            offset,
            set,
            sources,
        } => {
            let lib = load_library(sources);
            let case = case.open_sandboxed()?;
            ensure_watchlists(&case, &lib.hunts)?;
            let catalog = case.catalog()?;
            let hunt = find(&lib, id)?;
            let overrides = overrides(set)?;
            let result = run_hunt(case.conn(), &catalog, hunt, &overrides);
            if let Some(e) = &result.error {
                bail!("{e}");
            }
            let Some(hit) = row.checked_sub(1).and_then(|i| result.hits.get(i)) else {
                bail!(
                    "the hunt has {} hits; --row counts from 1",
                    result.hit_count
                );
            };
            let d = drill::drill(hunt, &catalog, &overrides, hit).map_err(anyhow::Error::msg)?;
            eprintln!("rows behind hit {row}: {}", for_terminal(&d.predicate));
            let sql = format!("SELECT * FROM ({}) LIMIT {limit} OFFSET {offset}", d.sql);
            let mut out = std::io::stdout().lock();
            write_query(
                case.conn(),
                &sql,
                *format,
                &d.compiled.json_columns(),
                &mut out,
            )?;
            Ok(())
        }
        HuntCommand::Explain { id, sources } => {
            let lib = load_library(sources);
            let case = case.open_sandboxed()?;
            ensure_watchlists(&case, &lib.hunts)?;
            let catalog = case.catalog()?;
            let hunt = find(&lib, id)?;
            let compiled = crate::kql::compile_drillable(&hunt.query, &catalog, &[])
                .map_err(|d| anyhow::anyhow!("{d}"))?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", for_terminal(&hunt.name))?;
            for line in hunt.description.lines() {
                writeln!(out, "{}", for_terminal(line))?;
            }
            writeln!(out)?;
            writeln!(
                out,
                "tactics: {}   techniques: {}",
                hunt.tactics.join(", "),
                hunt.techniques.join(", ")
            )?;
            writeln!(out, "tables: {}", hunt.tables.join(", "))?;
            if !hunt.watchlists.is_empty() {
                let names: Vec<&str> = hunt.watchlists.iter().map(|w| w.name.as_str()).collect();
                writeln!(out, "watchlists: {}", names.join(", "))?;
            }
            writeln!(out, "\nparameters:")?;
            for p in &compiled.params {
                let desc = hunt
                    .params
                    .get(&p.name)
                    .map(|m| m.description.as_str())
                    .unwrap_or("");
                writeln!(
                    out,
                    "  {} = {}   ({}) {}",
                    p.name,
                    for_terminal(&p.value),
                    params::type_name(p.ty),
                    for_terminal(desc)
                )?;
            }
            let filters = crate::hunts::explain::filters(&hunt.query);
            for (title, list) in [
                ("indicators (what it looks for)", &filters.indicators),
                ("exclusions (what it leaves out)", &filters.exclusions),
            ] {
                writeln!(out, "\n{title}:")?;
                for p in list {
                    writeln!(
                        out,
                        "  {} {} {}",
                        for_terminal(&p.field),
                        for_terminal(&p.operator),
                        for_terminal(&p.values)
                    )?;
                }
            }
            writeln!(out, "\nstages of the main pipeline:")?;
            for s in &compiled.stages {
                writeln!(out, "  {:<14} {} columns", s.op, s.columns.len())?;
            }
            if let Some(info) = &compiled.last_summarize {
                let keys: Vec<&str> = info.keys.iter().map(|(k, _)| k.as_str()).collect();
                writeln!(
                    out,
                    "\ndrill-down: the rows entering the last summarize ({} columns), by {}",
                    info.input_columns.len(),
                    keys.join(", ")
                )?;
            }
            writeln!(out, "\noutput columns:")?;
            for c in &compiled.columns {
                writeln!(out, "  {} ({})", c.name, params::type_name(c.ty))?;
            }
            for (t, i, c) in &hunt.entities {
                writeln!(out, "entity: {t}.{i} <- {c}")?;
            }
            Ok(())
        }
    }
}

/// Prints hits as an aligned text table (values sanitised, cut at 48 characters).
pub(super) fn print_rows(out: &mut dyn Write, cols: &[&str], hits: &[Value]) -> anyhow::Result<()> {
    if hits.is_empty() {
        return Ok(());
    }
    let cell = |v: &Value| -> String {
        let s = match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let s = for_terminal(&s).into_owned();
        if s.chars().count() > 48 {
            s.chars().take(47).collect::<String>() + "…"
        } else {
            s
        }
    };
    let rows: Vec<Vec<String>> = hits
        .iter()
        .map(|h| cols.iter().map(|c| cell(&h[*c])).collect())
        .collect();
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
                .max(c.chars().count())
        })
        .collect();
    let line = |vals: Vec<String>| -> String {
        vals.iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
    };
    writeln!(
        out,
        "{}",
        line(cols.iter().map(|c| for_terminal(c).into_owned()).collect())
    )?;
    for r in rows {
        writeln!(out, "{}", line(r))?;
    }
    Ok(())
}

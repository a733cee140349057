//! `quarry pivot VALUE` (everything about one entity) and `quarry coverage` (ATT&CK).

use std::io::Write;

use super::hunts::{load_library, print_rows, run_all, HuntSources};
use super::CaseArgs;
use crate::investigate::coverage;
use crate::investigate::entity::{Entity, EntityKind};
use crate::investigate::pivot::pivot;
use crate::sanitize::{for_terminal, json_for_terminal};

/// Arguments of `quarry pivot`.
#[derive(Debug, clap::Args)]
pub struct PivotArgs {
    /// The value: an IP, host, domain, URL, process or port.
    pub value: String,
    /// What the value is (default: guessed from it).
    #[arg(long = "as", value_enum)]
    pub kind: Option<EntityKind>,
    /// Events shown per table (newest first).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub sources: HuntSources,
}

/// Runs `quarry pivot`.
pub fn run(case_args: &CaseArgs, args: &PivotArgs) -> anyhow::Result<()> {
    let entity = match args.kind {
        Some(kind) => Entity::new(kind, &args.value),
        None => Entity::detect(&args.value, None),
    };
    let lib = load_library(&args.sources);
    let case = case_args.open_sandboxed()?;
    let runs = run_all(&case, &lib)?;
    let catalog = case.catalog()?;
    let p = pivot(&case, &catalog, &entity, &runs, args.limit)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let text = p.to_json().to_string();
        writeln!(out, "{}", json_for_terminal(&text))?;
        return Ok(());
    }
    writeln!(
        out,
        "{} {}: {} event(s) in {} table(s); window {}",
        entity.kind.as_str(),
        for_terminal(&entity.value),
        p.total(),
        p.tables.len(),
        p.window
    )?;
    for t in &p.tables {
        writeln!(
            out,
            "  {:<24} {:>8}  {} .. {}",
            for_terminal(&t.table),
            t.count,
            t.first,
            t.last
        )?;
    }
    writeln!(out, "\nhunts:")?;
    if p.hunts.is_empty() {
        writeln!(out, "  none of the hunts' hits mention it")?;
    }
    for h in &p.hunts {
        let hits: Vec<String> = h.hits.iter().map(usize::to_string).collect();
        writeln!(
            out,
            "  {}  hit(s) {}  {}",
            for_terminal(&h.id),
            hits.join(", "),
            for_terminal(&h.name)
        )?;
    }
    writeln!(out, "\nthreat intelligence:")?;
    if p.intel.is_empty() {
        writeln!(out, "  no indicator names it")?;
    }
    for i in &p.intel {
        let field = |k: &str| crate::report::cell_text(&i.indicator[k]);
        let age = i
            .age_days
            .map_or_else(|| "age unknown".into(), |d| format!("{d} days old"));
        writeln!(
            out,
            "  {} {}  {}  source {}  confidence {}  {age}",
            field("IndicatorId"),
            field("ThreatType"),
            field("Description"),
            for_terminal(&i.source),
            field("ConfidenceScore"),
        )?;
    }
    writeln!(out, "\nwatchlists:")?;
    if p.watchlists.is_empty() {
        writeln!(out, "  in none")?;
    }
    for w in &p.watchlists {
        writeln!(out, "  {} ({} row(s))", for_terminal(&w.name), w.rows.len())?;
    }
    if let Some(t) = &p.timeline {
        writeln!(out, "\ntimeline ({} buckets):", t.width_label())?;
        for line in t.text(40) {
            writeln!(out, "  {line}")?;
        }
    }
    for t in &p.tables {
        writeln!(
            out,
            "\n{} ({} of {}):",
            for_terminal(&t.table),
            t.rows.len(),
            t.count
        )?;
        let cols: Vec<&str> = t.columns.iter().map(String::as_str).collect();
        print_rows(&mut out, &cols, &t.rows)?;
    }
    Ok(())
}

/// Arguments of `quarry coverage`.
#[derive(Debug, clap::Args)]
pub struct CoverageArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub sources: HuntSources,
}

/// Runs `quarry coverage`: runs every hunt and lays their hits over ATT&CK.
pub fn coverage(case_args: &CaseArgs, args: &CoverageArgs) -> anyhow::Result<()> {
    let lib = load_library(&args.sources);
    let case = case_args.open_sandboxed()?;
    let runs = run_all(&case, &lib)?;
    let rows = coverage::coverage(&coverage::tags_of(&lib.hunts, &runs));
    let mut out = std::io::stdout().lock();
    if args.json {
        let text = coverage::to_json(&rows).to_string();
        writeln!(out, "{}", json_for_terminal(&text))?;
    } else {
        for line in coverage::text(&rows) {
            writeln!(out, "{}", for_terminal(&line))?;
        }
    }
    Ok(())
}

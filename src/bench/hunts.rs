//! The shipped hunts on the generated case: compile and run times, run-all, and what the
//! workbench does after an edit (threshold, list, watchlist) and on a drill-down.

use std::time::Instant;

use anyhow::Result;

use super::stats::{self, Samples};
use super::table::{ms, ratio, Table};
use crate::engine::{planned, Case};
use crate::hunts::cache::{AggregateCache, Reuse};
use crate::hunts::library::Library;
use crate::hunts::pages;
use crate::hunts::run::{ensure_watchlists, run_hunt, run_hunt_kept, run_many, RunResult};
use crate::hunts::{drill, Hunt};
use crate::kql::{self, Catalog, KqlType, Param};

/// The hunts that ship with quarry.
fn shipped() -> Vec<Hunt> {
    Library::load(&[])
        .hunts
        .into_iter()
        .filter(|h| h.origin.starts_with("built-in/"))
        .collect()
}

fn short(h: &Hunt) -> String {
    let name: String = h.name.chars().take(44).collect();
    if name.len() < h.name.len() {
        format!("{name}…")
    } else {
        name
    }
}

/// Compile time, run time, hits and peak memory of every shipped hunt, then run-all.
pub fn measure(case: &Case, runs: usize) -> Result<Table> {
    let hunts = shipped();
    ensure_watchlists(case, &hunts)?;
    let catalog = case.catalog()?;
    let mut table = Table::new(
        "Hunts on the case (ms: median (min–max))",
        &["hunt", "compile ms", "run ms", "hits", "peak RSS"],
    );
    for h in &hunts {
        // A first compile: each on a catalog of its own, whose probes (hunt 09's pivot reads
        // its columns from the data) have answered nothing yet.
        let mut compile = Samples::default();
        for _ in 0..runs * 10 {
            let fresh = case.catalog()?;
            let started = Instant::now();
            kql::compile(&h.query, &fresh).map_err(|d| anyhow::anyhow!("{}: {d}", h.name))?;
            compile.0.push(started.elapsed().as_secs_f64());
        }
        stats::reset_peak_memory();
        let (run, result) =
            Samples::time(runs, || checked(run_hunt(case.conn(), &catalog, h, &[])))?;
        table.push(vec![
            short(h),
            format!("{:.2}", compile.median() * 1e3),
            ms(&run),
            result.hit_count.to_string(),
            super::mb(stats::peak_memory_mb()),
        ]);
    }
    let refs: Vec<&Hunt> = hunts.iter().collect();
    stats::reset_peak_memory();
    let (all, results) = Samples::time(runs, || run_many(case, &catalog, &refs, &[], 2))?;
    let hits: usize = results.iter().map(|r| r.hit_count).sum();
    table.push(vec![
        format!("run-all ({} hunts, 2 connections)", hunts.len()),
        "-".into(),
        ms(&all),
        hits.to_string(),
        super::mb(stats::peak_memory_mb()),
    ]);
    Ok(table)
}

/// A failed run is an error of the benchmark, not a figure.
fn checked(r: RunResult) -> Result<RunResult> {
    match &r.error {
        Some(e) => anyhow::bail!("{}: {e}", r.name),
        None => Ok(r),
    }
}

/// The first numeric (`list` false) or list parameter, with a value no earlier step gave it:
/// a number plus `step`, or the list with one new element appended.
fn edited(params: &[Param], list: bool, step: i64) -> Option<(String, String)> {
    params.iter().find_map(|p| {
        let v = p.value.trim();
        if list != v.starts_with("dynamic(") {
            return None;
        }
        if list {
            let open = v.find('[')?;
            let close = v.rfind(']')?;
            let items = v[open + 1..close].trim();
            let extra = if items.starts_with(['"', '\'']) {
                format!("\"quarry-bench-{step}\"")
            } else {
                (900_000 + step).to_string()
            };
            let joined = if items.is_empty() {
                extra
            } else {
                format!("{items}, {extra}")
            };
            return Some((p.name.clone(), format!("dynamic([{joined}])")));
        }
        match p.ty {
            KqlType::Int | KqlType::Long => {
                let n: i64 = v.parse().ok()?;
                Some((p.name.clone(), (n + step).to_string()))
            }
            KqlType::Real => {
                let n: f64 = v.parse().ok()?;
                Some((p.name.clone(), format!("{:.1}", n + step as f64)))
            }
            _ => None,
        }
    })
}

/// Re-run latency after a threshold edit and a list edit (each with the aggregate cache the
/// workbench keeps), after a watchlist edit, and the first page of a drill-down.
pub fn edits(case: &Case, runs: usize) -> Result<Table> {
    let hunts = shipped();
    let catalog = case.catalog()?;
    let mut table = Table::new(
        "Edit to updated hit list, as the workbench runs it (ms: median (min–max))",
        &[
            "hunt",
            "edit",
            "parameter",
            "full run ms",
            "after edit ms",
            "speed-up",
            "path",
        ],
    );
    for h in &hunts {
        let declared = kql::compile(&h.query, &catalog)
            .map_err(|d| anyhow::anyhow!("{}: {d}", h.name))?
            .params;
        for (kind, list) in [("threshold", false), ("list", true)] {
            let Some(first) = edited(&declared, list, 1) else {
                continue;
            };
            let (full, _) =
                Samples::time(runs, || checked(run_hunt(case.conn(), &catalog, h, &[])))?;
            // As the workbench runs it: through the cache, keeping the hits for paging.
            let kept = pages::table_for(&h.id);
            let mut cache = AggregateCache::new();
            checked(run_hunt_kept(
                case.conn(),
                &catalog,
                h,
                &[],
                Some(&mut cache),
                &kept,
            ))?;
            let mut step = 0;
            let (after, last) = Samples::time(runs.max(3), || {
                step += 1;
                let over: Vec<(String, String)> =
                    edited(&declared, list, step).into_iter().collect();
                checked(run_hunt_kept(
                    case.conn(),
                    &catalog,
                    h,
                    &over,
                    Some(&mut cache),
                    &kept,
                ))
            })?;
            cache.clear(case.conn());
            table.push(vec![
                short(h),
                kind.into(),
                first.0,
                ms(&full),
                ms(&after),
                ratio(&full, &after),
                path(last.reuse).into(),
            ]);
        }
        if !h.watchlists.is_empty() {
            table.push(watchlist_edit(case, &catalog, h, runs)?);
        }
    }
    let mut drill_table = drill_latency(case, &catalog, &hunts)?;
    table.rows.append(&mut drill_table);
    Ok(table)
}

fn path(reuse: Reuse) -> &'static str {
    match reuse {
        Reuse::Hit => "kept aggregate re-filtered",
        Reuse::Stored => "full run (edit reaches the aggregate)",
        Reuse::NotApplicable => "full run (not summarize-then-filter)",
    }
}

/// Adds a row to the hunt's first watchlist and re-runs (the cache is cleared on such edits).
fn watchlist_edit(case: &Case, catalog: &Catalog, h: &Hunt, runs: usize) -> Result<Vec<String>> {
    let spec = &h.watchlists[0];
    let (full, _) = Samples::time(runs, || checked(run_hunt(case.conn(), catalog, h, &[])))?;
    let mut n = 0;
    let (after, _) = Samples::time(runs, || -> Result<RunResult> {
        n += 1;
        let pairs: Vec<(String, String)> = spec
            .columns
            .iter()
            .map(|c| (c.clone(), format!("bench-{n}")))
            .collect();
        crate::ingest::watchlist_edit::add(case, &spec.name, &pairs)?;
        let catalog = case.catalog()?;
        checked(run_hunt(case.conn(), &catalog, h, &[]))
    })?;
    Ok(vec![
        short(h),
        "watchlist row added".into(),
        spec.name.clone(),
        ms(&full),
        ms(&after),
        ratio(&full, &after),
        "full run (data changed)".into(),
    ])
}

/// First page (101 rows) of the raw events behind the first hit of every hunt with hits.
fn drill_latency(case: &Case, catalog: &Catalog, hunts: &[Hunt]) -> Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    for h in hunts {
        let result = checked(run_hunt(case.conn(), catalog, h, &[]))?;
        let Some(hit) = result.hits.first() else {
            continue;
        };
        let started = Instant::now();
        let d = match drill::drill(h, catalog, &[], hit) {
            Ok(d) => d,
            Err(e) => {
                rows.push(vec![
                    short(h),
                    "drill-down".into(),
                    e,
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                ]);
                continue;
            }
        };
        // As the workbench reads it: planned once, then read back.
        let first = format!("SELECT * FROM ({}) LIMIT 101", d.sql);
        let n = planned::read_once(case.conn(), &first, |rows| {
            super::handwritten::count(case, rows)
        })?;
        rows.push(vec![
            short(h),
            "drill-down first page".into(),
            format!("{n} rows"),
            format!("{}", result.elapsed_ms),
            format!("{:.1}", started.elapsed().as_secs_f64() * 1e3),
            "-".into(),
            "paged from DuckDB".into(),
        ]);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(name: &str, ty: KqlType, value: &str) -> Param {
        Param {
            name: name.into(),
            ty,
            value: value.into(),
            line: 1,
        }
    }

    #[test]
    fn edits_numbers_and_lists() {
        let ps = [
            param("window", KqlType::TimeSpan, "2m"),
            param("threshold", KqlType::Long, "5"),
            param("ports", KqlType::Dynamic, "dynamic([443, 53, 80])"),
        ];
        assert_eq!(
            edited(&ps, false, 2),
            Some(("threshold".into(), "7".into()))
        );
        assert_eq!(
            edited(&ps, true, 1),
            Some(("ports".into(), "dynamic([443, 53, 80, 900001])".into()))
        );
        let names = [param("names", KqlType::Dynamic, r#"dynamic(["a"])"#)];
        assert_eq!(
            edited(&names, true, 2),
            Some(("names".into(), r#"dynamic(["a", "quarry-bench-2"])"#.into()))
        );
        assert_eq!(edited(&ps[..1], false, 1), None);
    }
}

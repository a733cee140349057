//! Turns what the analyst is looking at (a hunt's hit, a console result) into a finding with
//! its context: parameter values, query text, clock, window, and the rows themselves.

use serde_json::Value;

use super::findings::{NewFinding, Severity};
use crate::engine::output::query_rows;
use crate::engine::{Case, CLOCK_FORMAT};
use crate::hunts::drill::drill;
use crate::hunts::run::RunResult;
use crate::hunts::Hunt;
use crate::kql::Catalog;

/// The most raw events a finding keeps behind one hit.
pub const MAX_EVENTS: usize = 1000;

/// How the analyst labels a finding.
#[derive(Debug, Clone)]
pub struct Label {
    /// Severity.
    pub severity: Severity,
    /// Tags.
    pub tags: Vec<String>,
    /// Note.
    pub note: String,
}

fn context(case: &Case) -> anyhow::Result<(String, String)> {
    let clock = case
        .clock()?
        .map(|t| t.format(CLOCK_FORMAT).to_string())
        .unwrap_or_default();
    Ok((clock, case.window().label()))
}

/// A hit of a hunt run: the row and what produced it.
#[derive(Debug, Clone)]
pub struct HitRef<'a> {
    /// The hunt.
    pub hunt: &'a Hunt,
    /// Parameter overrides of the run.
    pub overrides: &'a [(String, String)],
    /// Parameter values in effect: (name, KQL literal).
    pub params: &'a [(String, String)],
    /// The SQL that ran.
    pub sql: &'a str,
    /// The hit row.
    pub row: &'a Value,
}

/// The hit `index` (0-based) of `run`, a run of `hunt` with `overrides`.
pub fn hit_of<'a>(
    hunt: &'a Hunt,
    overrides: &'a [(String, String)],
    run: &'a RunResult,
    index: usize,
) -> anyhow::Result<HitRef<'a>> {
    let Some(row) = run.hits.get(index) else {
        anyhow::bail!(
            "the hunt has {} hits; there is no hit {}",
            run.hit_count,
            index.saturating_add(1)
        );
    };
    Ok(HitRef {
        hunt,
        overrides,
        params: &run.params,
        sql: &run.sql,
        row,
    })
}

/// A finding for a hunt's hit: the hit row and the raw events behind it.
pub fn hit(
    case: &Case,
    catalog: &Catalog,
    hit: &HitRef<'_>,
    label: Label,
) -> anyhow::Result<NewFinding> {
    let (hunt, row) = (hit.hunt, hit.row);
    let (events, predicate) = match drill(hunt, catalog, hit.overrides, row) {
        Ok(d) => (query_rows(case.conn(), &d.sql, MAX_EVENTS)?.1, d.predicate),
        // A hunt without summarize reports raw rows: the hit is the event.
        Err(_) => (vec![row.clone()], describe(row)),
    };
    let (clock, window) = context(case)?;
    Ok(NewFinding {
        severity: label.severity,
        tags: label.tags,
        note: label.note,
        kind: "hit".into(),
        title: format!("{}: {predicate}", hunt.name),
        hunt: Some(hunt.id.clone()),
        params: hit.params.to_vec(),
        kql: hunt.query.clone(),
        sql: hit.sql.to_string(),
        clock,
        window,
        rows: vec![row.clone()],
        events,
    })
}

/// A finding for the rows of a KQL query (all of them, or the 0-based `row` alone); `kind` is
/// `event` for raw events and `query` otherwise.
pub fn query(
    case: &Case,
    catalog: &Catalog,
    kql: &str,
    row: Option<usize>,
    kind: &str,
    label: Label,
) -> anyhow::Result<NewFinding> {
    let compiled = crate::kql::compile(kql, catalog).map_err(|d| anyhow::anyhow!("{d}"))?;
    let limit = row.map_or(MAX_EVENTS, |r| r + 1);
    let (_, mut rows) = query_rows(case.conn(), &compiled.sql, limit)?;
    if let Some(r) = row {
        if r >= rows.len() {
            anyhow::bail!(
                "the query returned {} rows; there is no row {}",
                rows.len(),
                r + 1
            );
        }
        rows = vec![rows.swap_remove(r)];
    }
    if rows.is_empty() {
        anyhow::bail!("the query returned no rows: nothing to keep");
    }
    let (clock, window) = context(case)?;
    let title = match rows.as_slice() {
        [one] => describe(one),
        many => format!("{} rows of: {}", many.len(), first_line(kql)),
    };
    Ok(NewFinding {
        severity: label.severity,
        tags: label.tags,
        note: label.note,
        kind: kind.into(),
        title,
        hunt: None,
        params: compiled
            .params
            .iter()
            .map(|p| (p.name.clone(), p.value.clone()))
            .collect(),
        kql: kql.into(),
        sql: compiled.sql.clone(),
        clock,
        window,
        rows,
        events: Vec::new(),
    })
}

/// A finding for one raw event shown in the workbench (a drill-down or pivot row), with the
/// query that found it.
pub fn event(case: &Case, source: &str, sql: &str, row: Value, label: Label) -> NewFinding {
    let (clock, window) = context(case).unwrap_or_default();
    NewFinding {
        severity: label.severity,
        tags: label.tags,
        note: label.note,
        kind: "event".into(),
        title: describe(&row),
        hunt: None,
        params: Vec::new(),
        kql: source.into(),
        sql: sql.into(),
        clock,
        window,
        rows: vec![row],
        events: Vec::new(),
    }
}

/// A short description of a row: its first few non-empty fields.
pub fn describe(row: &Value) -> String {
    let Some(object) = row.as_object() else {
        return row.to_string();
    };
    object
        .iter()
        .filter(|(_, v)| !v.is_null() && v.as_str() != Some(""))
        .take(4)
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn first_line(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.trim().chars().take(80).collect()
}

//! KQL → DuckDB SQL compiler: lexer → parser (AST) → SQL generator with a schema per stage.
//! The engine builds the [`Catalog`] (tables, views, watchlists, clock, time window) from the
//! case; [`compile`] turns a query into SQL or precise [`Diagnostics`].

pub mod ast;
mod builtins;
mod demand;
pub mod diag;
pub mod functions;
pub mod lexer;
pub mod parser;
mod regroup;
mod reshape;
mod series;
mod sources;
pub mod sqlgen;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::NaiveDateTime;
use demand::Demand;

pub use diag::{Diagnostic, Diagnostics};
pub use sqlgen::{Stage, SummarizeInfo};

/// The scalar types of KQL, as the compiler tracks them for every column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KqlType {
    /// `bool`
    Bool,
    /// `int` (32-bit)
    Int,
    /// `long` (64-bit)
    Long,
    /// `real` (double)
    Real,
    /// `decimal`
    Decimal,
    /// `string`
    String,
    /// `datetime` (UTC TIMESTAMP in DuckDB)
    DateTime,
    /// `timespan` (INTERVAL in DuckDB)
    TimeSpan,
    /// `guid`
    Guid,
    /// `dynamic` (JSON in DuckDB)
    Dynamic,
}

/// A column of a table as the compiler sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    /// Exact column name.
    pub name: String,
    /// KQL type of the column.
    pub ty: KqlType,
}

/// A watchlist of the case: its backing table and columns (including `SearchKey`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchlistDef {
    /// The DuckDB table holding the rows.
    pub table: String,
    /// Its columns.
    pub columns: Vec<ColumnDef>,
}

/// A table whose rows can be read without its view: the view adds the columns nothing
/// filled, as NULLs, and reading through it costs DuckDB a layer per query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTable {
    /// The SQL relation that holds the rows (`loaded."CommonSecurityLog"`).
    pub relation: String,
    /// The columns it holds.
    pub columns: BTreeSet<String>,
}

/// Runs a query during compilation and returns its first column as text: operators whose
/// output columns depend on the data (`bag_unpack`, `pivot`) read them through it.
pub trait Probe: Send + Sync {
    /// Runs `sql`; the first column of every row, as text.
    fn run(&self, sql: &str) -> Result<Vec<String>, String>;
}

/// What the compiler knows about the case it compiles for.
#[derive(Clone)]
pub struct Catalog {
    /// Tables and views by exact name.
    pub tables: BTreeMap<String, Vec<ColumnDef>>,
    /// Watchlists by name.
    pub watchlists: BTreeMap<String, WatchlistDef>,
    /// Tables (by name in `tables`) a query may read without their view when it reads only
    /// stored columns. Empty while a time window narrows the views.
    pub stored: BTreeMap<String, StoredTable>,
    /// The investigation clock: `now()` and `ago()` read it.
    pub now: NaiveDateTime,
    /// The case time window, for `{{StartTimeISO}}` and `{{EndTimeISO}}`.
    pub window: (NaiveDateTime, NaiveDateTime),
    /// Where `externaldata` URLs resolve to local files.
    pub externaldata_dir: Option<PathBuf>,
    /// Reads data-dependent column names; `None` compiles without data.
    pub probe: Option<std::sync::Arc<dyn Probe>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("tables", &self.tables.len())
            .field("watchlists", &self.watchlists.keys().collect::<Vec<_>>())
            .field("now", &self.now)
            .field("window", &self.window)
            .field("externaldata_dir", &self.externaldata_dir)
            .field("probe", &self.probe.is_some())
            .finish()
    }
}

/// A top-level scalar `let` bound to a literal: an editable parameter of the query.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The `let` name.
    pub name: String,
    /// Its KQL type.
    pub ty: KqlType,
    /// The literal as written in the query (or the override).
    pub value: String,
    /// 1-based line of the `let`.
    pub line: usize,
}

/// A compiled query.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// DuckDB SQL: one CTE per tabular operator, then the final SELECT.
    pub sql: String,
    /// The `name AS (...)` CTE definitions of every stage, in order (`sql` writes only the
    /// ones its result reads): a `WITH` over them can select from any stage (drill-down
    /// reads the input of the last `summarize`).
    pub ctes: Vec<String>,
    /// The final SELECT of `sql`, which reads the last stage.
    pub select: String,
    /// The result columns.
    pub columns: Vec<ColumnDef>,
    /// Notes for the user (exactness, approximations).
    pub notes: Vec<String>,
    /// Top-level scalar `let` literals.
    pub params: Vec<Param>,
    /// The stages of the query's main pipeline, source first.
    pub stages: Vec<Stage>,
    /// The last `summarize` of the main pipeline: where its input rows are and how its keys
    /// are computed from them (for drill-down).
    pub last_summarize: Option<SummarizeInfo>,
}

impl Compiled {
    /// Indexes of the result columns that hold dynamic (JSON) values.
    pub fn json_columns(&self) -> Vec<usize> {
        json_columns(&self.columns)
    }
}

/// Indexes of the columns that hold dynamic (JSON) values.
pub fn json_columns(columns: &[ColumnDef]) -> Vec<usize> {
    columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.ty == KqlType::Dynamic)
        .map(|(i, _)| i)
        .collect()
}

/// Compiles KQL `text` to DuckDB SQL for `catalog`.
pub fn compile(text: &str, catalog: &Catalog) -> Result<Compiled, Diagnostics> {
    compile_with(text, catalog, &[])
}

/// Like [`compile`], with parameter overrides: `(let name, KQL literal text)` pairs replace
/// the values of top-level scalar `let` statements.
pub fn compile_with(
    text: &str,
    catalog: &Catalog,
    overrides: &[(String, String)],
) -> Result<Compiled, Diagnostics> {
    compile_inner(text, catalog, overrides, false)
}

/// Like [`compile_with`], for drill-down: the rows entering the last `summarize` keep every
/// column of their table, where a run reads only the columns the query names.
pub fn compile_drillable(
    text: &str,
    catalog: &Catalog,
    overrides: &[(String, String)],
) -> Result<Compiled, Diagnostics> {
    compile_inner(text, catalog, overrides, true)
}

fn compile_inner(
    text: &str,
    catalog: &Catalog,
    overrides: &[(String, String)],
    drillable: bool,
) -> Result<Compiled, Diagnostics> {
    let (filled, query) = parse_filled(text, catalog)?;
    let text = filled.as_str();
    let mut gen = sqlgen::Gen::new(catalog);
    let mut params = Vec::new();
    for l in &query.lets {
        let line = diag::line_col(text, l.name_span.start).0;
        match &l.value {
            ast::LetValue::Function(f) => {
                gen.tables.remove(&l.name);
                gen.functions.insert(l.name.clone(), f.clone());
            }
            ast::LetValue::Tabular(p) => {
                let rel = gen
                    .pipeline(p, false)
                    .map_err(|d| Diagnostics::single(text, d))?;
                gen.tables.insert(l.name.clone(), rel);
            }
            ast::LetValue::Scalar(e) => {
                if let ast::ExprKind::Name(n) = &e.kind {
                    if !gen.scalars.contains_key(n) {
                        let rel = gen
                            .source(&ast::Source::Name(n.clone()), &e.span, Demand::All)
                            .map_err(|d| Diagnostics::single(text, d))?;
                        gen.tables.insert(l.name.clone(), rel);
                        continue;
                    }
                }
                let (typed, written) = match overrides.iter().find(|(n, _)| n == &l.name) {
                    Some((_, value)) => {
                        let over = |d: Diagnostic| {
                            let mut ds = Diagnostics::single(value, d);
                            for item in &mut ds.items {
                                item.message = format!("parameter `{}`: {}", l.name, item.message);
                            }
                            ds
                        };
                        let e = parser::parse_expr(value).map_err(over)?;
                        (gen.expr(&e, &[]).map_err(over)?, value.clone())
                    }
                    None => (
                        gen.expr(e, &[]).map_err(|d| Diagnostics::single(text, d))?,
                        text.get(e.span.clone()).unwrap_or_default().to_string(),
                    ),
                };
                if is_literal(&typed) {
                    params.push(Param {
                        name: l.name.clone(),
                        ty: typed.ty,
                        value: written,
                        line,
                    });
                }
                gen.tables.remove(&l.name);
                gen.scalars.insert(l.name.clone(), typed);
            }
        }
    }
    gen.drillable = drillable;
    let rel = gen
        .pipeline(&query.body, true)
        .map_err(|d| Diagnostics::single(text, d))?;
    Ok(Compiled {
        sql: gen.finish(&rel),
        ctes: gen.ctes.clone(),
        select: gen.select(&rel),
        columns: rel
            .cols
            .into_iter()
            .filter(|c| !c.name.starts_with('$'))
            .collect(),
        notes: gen.notes,
        params,
        stages: gen.stages,
        last_summarize: gen.last_summarize,
    })
}

/// The query with its placeholders filled, and its syntax tree.
fn parse_filled(text: &str, catalog: &Catalog) -> Result<(String, ast::Query), Diagnostics> {
    let filled = fill_placeholders(text, catalog).map_err(|d| Diagnostics::single(text, d))?;
    let query = parser::parse(&filled).map_err(|d| Diagnostics::single(&filled, d))?;
    Ok((filled, query))
}

/// Whether a compiled scalar is a literal or a list of literals (an editable parameter).
fn is_literal(typed: &functions::Typed) -> bool {
    typed.lit.is_some()
        || typed
            .list
            .as_ref()
            .is_some_and(|l| l.iter().all(|t| t.lit.is_some()))
}

/// The editable parameters of a query (its top-level scalar `let` literals) without compiling
/// its body: cheap, and never reads the data (the workbench lists them at start-up).
pub fn declared_params(text: &str, catalog: &Catalog) -> Result<Vec<Param>, Diagnostics> {
    let (filled, query) = parse_filled(text, catalog)?;
    let text = filled.as_str();
    let mut gen = sqlgen::Gen::new(catalog);
    let mut params = Vec::new();
    for l in &query.lets {
        let ast::LetValue::Scalar(e) = &l.value else {
            continue;
        };
        let Ok(typed) = gen.expr(e, &[]) else {
            continue;
        };
        if is_literal(&typed) {
            params.push(Param {
                name: l.name.clone(),
                ty: typed.ty,
                value: text.get(e.span.clone()).unwrap_or_default().to_string(),
                line: diag::line_col(text, l.name_span.start).0,
            });
        }
        gen.scalars.insert(l.name.clone(), typed);
    }
    Ok(params)
}

/// Fills Sentinel's `{{StartTimeISO}}` and `{{EndTimeISO}}` placeholders from the case's
/// time window; any other `{{...}}` placeholder is an error at its position.
fn fill_placeholders(text: &str, catalog: &Catalog) -> Result<String, Diagnostic> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let name = &rest[start + 2..start + len];
        let at = text.len() - rest.len() + start;
        let iso = |t: NaiveDateTime| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let value = match name.trim() {
            "StartTimeISO" => iso(catalog.window.0),
            "EndTimeISO" => iso(catalog.window.1),
            other => {
                return Err(Diagnostic::new(
                    at..at + len + 2,
                    format!(
                        "unknown placeholder `{{{{{other}}}}}` (quarry fills {{{{StartTimeISO}}}} and {{{{EndTimeISO}}}})"
                    ),
                ))
            }
        };
        out.push_str(&rest[..start]);
        out.push_str(&value);
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

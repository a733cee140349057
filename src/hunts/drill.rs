//! Drill-down: the raw rows behind one hit. By default these are the rows that entered the
//! hunt's last `summarize`, filtered by the hit's group-key values (a `bin()` key matches its
//! whole bin); a hunt's `drilldown` query replaces that, with its `let`s named like a hit
//! column (or `hit_` and the column's name) bound to the hit's values.

use serde_json::Value;

use super::run::compile_hunt;
use super::Hunt;
use crate::kql::functions::{quote_ident, quote_str, sql_type};
use crate::kql::{self, Catalog, ColumnDef, Compiled, KqlType};

/// What to run for a drill-down.
#[derive(Debug, Clone)]
pub struct Drill {
    /// The SQL (without paging).
    pub sql: String,
    /// Its columns.
    pub columns: Vec<ColumnDef>,
    /// The predicate, for display (`SrcIpAddr == "10.0.0.1" and ...`).
    pub predicate: String,
    /// The compiled form the SQL belongs to (for JSON columns).
    pub compiled: Compiled,
}

/// A hit value as a KQL literal (for `drilldown` lets and the shown predicate).
fn kql_literal(v: &Value, ty: KqlType) -> String {
    match (v, ty) {
        (Value::Null, _) => "dynamic(null)".into(),
        (Value::String(s), KqlType::DateTime) => format!("datetime({})", s.trim_end_matches('Z')),
        (Value::String(s), KqlType::TimeSpan) => format!("totimespan('{s}')"),
        (Value::String(s), _) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
        (Value::Array(_) | Value::Object(_), _) => format!("dynamic({v})"),
        (other, _) => other.to_string(),
    }
}

/// A hit value as a SQL literal of the key's type.
fn sql_literal(v: &Value, ty: KqlType) -> String {
    match (v, ty) {
        (Value::Null, _) => "NULL".into(),
        (Value::String(s), KqlType::DateTime) => {
            format!("CAST({} AS TIMESTAMP)", quote_str(s.trim_end_matches('Z')))
        }
        (Value::String(s), KqlType::Dynamic) => format!("CAST({} AS JSON)", quote_str(s)),
        (Value::String(s), t) => format!("CAST({} AS {})", quote_str(s), sql_type(t)),
        (Value::Array(_) | Value::Object(_), _) => {
            format!("CAST({} AS JSON)", quote_str(&v.to_string()))
        }
        (Value::Bool(b), _) => b.to_string(),
        (n, t) => format!("CAST({n} AS {})", sql_type(t)),
    }
}

/// Builds the drill-down for `hit` (a row of the hunt's result).
pub fn drill(
    hunt: &Hunt,
    catalog: &Catalog,
    overrides: &[(String, String)],
    hit: &Value,
) -> Result<Drill, String> {
    let Some(row) = hit.as_object() else {
        return Err("the hit is not a row".into());
    };
    let compiled = compile_hunt(hunt, catalog, overrides, true)?;
    if let Some(text) = &hunt.drilldown {
        let declared = kql::compile(text, catalog).map_err(|d| d.to_string())?;
        let mut binds = Vec::new();
        let mut shown = Vec::new();
        for p in &declared.params {
            let column = p.name.strip_prefix("hit_").unwrap_or(&p.name);
            if let Some(v) = row.get(column) {
                let ty = compiled
                    .columns
                    .iter()
                    .find(|c| c.name == column)
                    .map_or(p.ty, |c| c.ty);
                let lit = kql_literal(v, ty);
                shown.push(format!("{} == {lit}", p.name));
                binds.push((p.name.clone(), lit));
            }
        }
        let c = kql::compile_with(text, catalog, &binds).map_err(|d| d.to_string())?;
        return Ok(Drill {
            sql: c.sql.clone(),
            columns: c.columns.clone(),
            predicate: shown.join(" and "),
            compiled: c,
        });
    }
    let Some(info) = compiled.last_summarize.clone() else {
        return Err("this hunt has no summarize to drill into; its hits are the raw rows".into());
    };
    let stage = &compiled.stages[info.stage];
    let mut filters = Vec::new();
    let mut shown = Vec::new();
    for (name, expr) in &info.keys {
        let Some(v) = row.get(name) else {
            return Err(format!(
                "the hit has no `{name}` column to drill by (the hunt projects it away)"
            ));
        };
        let ty = stage
            .columns
            .iter()
            .find(|c| &c.name == name)
            .map_or(KqlType::String, |c| c.ty);
        filters.push(match v {
            Value::Null => format!("({expr}) IS NULL"),
            _ => format!("({expr}) = {}", sql_literal(v, ty)),
        });
        shown.push(format!("{name} == {}", kql_literal(v, ty)));
    }
    let cols: Vec<String> = info
        .input_columns
        .iter()
        .zip(&info.input_sql_columns)
        .filter(|(c, _)| !c.name.starts_with('$'))
        .map(|(c, id)| format!("{id} AS {}", quote_ident(&c.name)))
        .collect();
    let mut sql = String::new();
    if !compiled.ctes.is_empty() {
        sql.push_str("WITH ");
        sql.push_str(&compiled.ctes.join(",\n"));
        sql.push('\n');
    }
    sql.push_str(&format!(
        "SELECT {} FROM {}{}",
        cols.join(", "),
        info.input_cte,
        if filters.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", filters.join(" AND "))
        }
    ));
    let columns = info
        .input_columns
        .iter()
        .filter(|c| !c.name.starts_with('$'))
        .cloned()
        .collect();
    let mut shown_compiled = compiled;
    shown_compiled.columns = columns;
    Ok(Drill {
        sql,
        columns: shown_compiled.columns.clone(),
        predicate: shown.join(" and "),
        compiled: shown_compiled,
    })
}

//! Editing a watchlist table of the case in place (add and remove rows, export to CSV).
//! Hunts read watchlists when they run, so edits apply to the next run of every hunt.

use std::path::Path;

use crate::engine::Case;

fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The watchlist's table, its SearchKey source column and its columns.
fn describe(case: &Case, name: &str) -> anyhow::Result<Option<(String, String, Vec<String>)>> {
    let found: Option<(String, String)> = case
        .conn()
        .query_row(
            "SELECT table_name, search_key FROM quarry_watchlists WHERE name = ?",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok();
    let Some((table, key)) = found else {
        return Ok(None);
    };
    let mut stmt = case.conn().prepare(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
    )?;
    let cols = stmt
        .query_map([&table], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some((table, key, cols)))
}

/// Adds one row (`column=value` pairs) to watchlist `name`, creating the watchlist (keyed
/// on the first column given) if it does not exist.
pub fn add(case: &Case, name: &str, pairs: &[(String, String)]) -> anyhow::Result<()> {
    if pairs.is_empty() {
        anyhow::bail!("give the row as column=value pairs");
    }
    let (table, key, cols) = match describe(case, name)? {
        Some(d) => d,
        None => {
            // The naming rule of `quarry watchlist import`.
            let table = format!("watchlist__{name}");
            let mut cols: Vec<String> = pairs.iter().map(|(k, _)| k.clone()).collect();
            if !cols.iter().any(|c| c.eq_ignore_ascii_case("SearchKey")) {
                cols.push("SearchKey".into());
            }
            let defs: Vec<String> = cols
                .iter()
                .map(|c| format!("{} VARCHAR", ident(c)))
                .collect();
            case.conn().execute_batch(&format!(
                "CREATE TABLE {} ({})",
                ident(&table),
                defs.join(", ")
            ))?;
            case.conn().execute(
                "INSERT INTO quarry_watchlists (name, table_name, search_key, source) VALUES (?, ?, ?, 'quarry watchlist add')",
                [name, &table, &pairs[0].0],
            )?;
            (table, pairs[0].0.clone(), cols)
        }
    };
    let mut values: Vec<Option<String>> = vec![None; cols.len()];
    for (k, v) in pairs {
        let i = cols
            .iter()
            .position(|c| c.eq_ignore_ascii_case(k))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "watchlist {name} has no column {k:?} (columns: {})",
                    cols.join(", ")
                )
            })?;
        values[i] = Some(v.clone());
    }
    if let (Some(ki), Some(si)) = (
        cols.iter().position(|c| c.eq_ignore_ascii_case(&key)),
        cols.iter()
            .position(|c| c.eq_ignore_ascii_case("SearchKey")),
    ) {
        if values[si].is_none() {
            values[si] = values[ki].clone();
        }
    }
    let marks = vec!["?"; cols.len()].join(", ");
    let sql = format!("INSERT INTO {} VALUES ({marks})", ident(&table));
    case.conn()
        .execute(&sql, duckdb::params_from_iter(values.iter()))?;
    Ok(())
}

/// Removes the rows whose SearchKey is `key`; returns how many.
pub fn remove(case: &Case, name: &str, key: &str) -> anyhow::Result<usize> {
    let Some((table, _, _)) = describe(case, name)? else {
        anyhow::bail!("no watchlist named {name:?}");
    };
    let n = case.conn().execute(
        &format!("DELETE FROM {} WHERE SearchKey = ?", ident(&table)),
        [key],
    )?;
    if n == 0 {
        anyhow::bail!("watchlist {name} has no row with SearchKey {key:?}");
    }
    Ok(n)
}

/// Writes the watchlist as CSV with a header (the derived SearchKey column left out, so
/// the file imports back as it was). Returns the rows written.
pub fn export(case: &Case, name: &str, file: &Path) -> anyhow::Result<usize> {
    let Some((table, key, cols)) = describe(case, name)? else {
        anyhow::bail!("no watchlist named {name:?}");
    };
    let keep: Vec<String> = cols
        .iter()
        .filter(|c| c.as_str() != "SearchKey" || key.eq_ignore_ascii_case("SearchKey"))
        .map(|c| ident(c))
        .collect();
    let path = file.display().to_string().replace('\'', "''");
    let n = case.conn().execute(
        &format!(
            "COPY (SELECT {} FROM {}) TO '{path}' (FORMAT csv, HEADER true)",
            keep.join(", "),
            ident(&table)
        ),
        [],
    )?;
    Ok(n)
}

/// Splits a `COLUMN=VALUE` argument (no type check: watchlist cells are text).
pub fn parse_pair(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected COLUMN=VALUE, not {arg:?}")),
    }
}

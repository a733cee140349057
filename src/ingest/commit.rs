//! The step every reader ends with: a staging table of text columns becomes typed rows in
//! the target table; rows with a value that cannot be read go to quarry_rejects instead.

use std::collections::HashMap;

use duckdb::{params, Connection};

use super::mapping::{mappings, Mapping};
use super::sql::{convert, ident, kind_of, lit, timestamp, Kind};
use super::IngestError;
use crate::engine::stored;

/// The staging table readers fill (TEMP, all VARCHAR).
pub const STAGE: &str = "quarry_stage";

/// The file being loaded, as recorded in quarry_rejects.
pub struct Origin<'a> {
    /// sha256 of the file.
    pub sha256: &'a str,
    /// The file's path as text.
    pub path: &'a str,
}

/// A filled staging table and how its columns map to the target.
pub struct Staged {
    /// (SQL giving the text value from the staging row, target column) pairs.
    pub columns: Vec<(String, String)>,
    /// SQL for a row's line number in the file.
    pub line: String,
    /// Where a rejected row's raw text comes from.
    pub raw: Raw,
    /// Extra constant columns (e.g. the source file of TI rows).
    pub constants: Vec<(String, String)>,
    /// Where the rows are read from.
    pub from: Rows,
}

/// Where a commit reads the rows it converts.
pub enum Rows {
    /// The staging table.
    Stage,
    /// A reader's own query with a `rowid` column, read again by row number to record the
    /// rejects (Parquet is converted straight from the file).
    Numbered(String),
    /// A reader's own query, read once (delimited text straight from read_csv): a row that
    /// would be rejected ends the load with [`IngestError::HeldBack`], and the reader loads
    /// the file again through the staging table.
    OnePass(String),
}

/// The message of the SQL error a one-pass commit raises for a held-back row.
const HELD_BACK: &str = "quarry: row held back: ";

/// The raw text recorded with a rejected row.
pub enum Raw {
    /// This SQL expression over the staging row (e.g. `__raw`).
    Column(String),
    /// The row's fields as a JSON object (for readers that do not keep lines).
    FieldsJson,
    /// Left NULL; the reader fills it from the file by line number (see `fill_raw_lines`).
    FileLines,
}

/// Rows loaded and rejected by one commit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    /// Rows inserted.
    pub loaded: u64,
    /// Rows sent to quarry_rejects.
    pub rejected: u64,
}

/// Drops and recreates the staging table with the given text columns (+ `__line`, `__raw`).
pub fn create_stage(conn: &Connection, columns: &[String]) -> Result<(), IngestError> {
    let mut cols = vec!["__line BIGINT".to_string(), "__raw VARCHAR".to_string()];
    cols.extend(columns.iter().map(|c| format!("{} VARCHAR", ident(c))));
    conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS temp.{STAGE}; CREATE TEMP TABLE {STAGE} ({});",
        cols.join(", ")
    ))?;
    Ok(())
}

/// The SQL for a staged row's line number in its file, given the lines before the first row.
/// Row ids of a table written inside a transaction do not start at 0, so they are counted
/// from the first staged row.
pub fn line_of_row(lines_before: u64) -> String {
    format!(
        "(rowid - (SELECT min(rowid) FROM temp.{STAGE}) + {})",
        lines_before + 1
    )
}

/// Drops the staging table.
pub fn drop_stage(conn: &Connection) -> Result<(), IngestError> {
    conn.execute_batch(&format!("DROP TABLE IF EXISTS temp.{STAGE};"))?;
    Ok(())
}

/// The staged columns that readers filled with typed values (not VARCHAR): lower-cased
/// name → DuckDB type.
fn typed_stage_columns(
    conn: &Connection,
    from: &str,
) -> Result<HashMap<String, String>, IngestError> {
    let mut stmt = conn.prepare(&format!("DESCRIBE SELECT * FROM {from}"))?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut typed = HashMap::new();
    for row in rows {
        let (name, ty) = row?;
        if ty != "VARCHAR" {
            typed.insert(name.to_lowercase(), ty);
        }
    }
    Ok(typed)
}

pub use crate::engine::stored::Columns;

/// The real name and columns of the stored table `table`, or None when nothing was loaded
/// into it (see [`crate::engine::stored`]).
pub fn table_columns(
    conn: &Connection,
    table: &str,
) -> Result<Option<(String, Columns)>, IngestError> {
    Ok(stored::stored_columns(conn, table)?)
}

/// The whole schema of `table` (its real name when it exists): the mapping's columns, then
/// the columns earlier loads added, then those of `wanted` it lacks. Stored types win.
fn table_schema(
    conn: &Connection,
    table: &str,
    mapping: Option<&Mapping>,
    wanted: &[(String, String)],
) -> Result<(String, Columns), IngestError> {
    let mut schema: Columns = mapping.map(Mapping::columns).unwrap_or_default();
    let (name, existing) = table_columns(conn, table)?.unwrap_or((table.to_string(), Vec::new()));
    for (c, t) in &existing {
        match schema.iter_mut().find(|(s, _)| s.eq_ignore_ascii_case(c)) {
            Some(known) => known.1 = t.clone(),
            None => schema.push((c.clone(), t.clone())),
        }
    }
    for (c, t) in wanted {
        if !schema.iter().any(|(s, _)| s.eq_ignore_ascii_case(c)) {
            schema.push((c.clone(), t.clone()));
        }
    }
    Ok((name, schema))
}

/// Infers a DuckDB type for each staged text expression from its non-empty values:
/// BIGINT, DOUBLE, BOOLEAN, TIMESTAMP or JSON when every value reads as one, else VARCHAR.
fn infer_types(
    conn: &Connection,
    from: &str,
    exprs: &[String],
) -> Result<Vec<String>, IngestError> {
    if exprs.is_empty() {
        return Ok(Vec::new());
    }
    const CANDIDATES: [&str; 5] = ["BIGINT", "DOUBLE", "BOOLEAN", "TIMESTAMP", "JSON"];
    let mut aggs = Vec::new();
    for e in exprs {
        let v = format!("nullif(trim({e}), '')");
        let tests = [
            format!("regexp_full_match({v}, '-?(0|[1-9][0-9]{{0,17}})')"),
            format!("regexp_full_match({v}, '-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?')"),
            format!("lower({v}) IN ('true', 'false')"),
            format!(
                "CASE WHEN regexp_matches({v}, '[-/:]') THEN {} IS NOT NULL ELSE false END",
                timestamp(&v)
            ),
            format!(
                "CASE WHEN regexp_matches({v}, '^[\\[{{]') THEN json_valid({v}) ELSE false END"
            ),
        ];
        for t in tests {
            aggs.push(format!(
                "coalesce(bool_and({t}) FILTER (WHERE {v} IS NOT NULL), false)"
            ));
        }
    }
    let sql = format!("SELECT {} FROM {from}", aggs.join(", "));
    let flags: Vec<bool> = conn.query_row(&sql, [], |row| {
        (0..aggs.len()).map(|i| row.get::<_, bool>(i)).collect()
    })?;
    Ok(flags
        .chunks(CANDIDATES.len())
        .map(|f| {
            CANDIDATES
                .iter()
                .zip(f)
                .find(|(_, ok)| **ok)
                .map_or("VARCHAR", |(ty, _)| ty)
                .to_string()
        })
        .collect())
}

/// Converts the staging table into `table` (creating or widening it as needed) and records
/// rejects. Runs inside the caller's transaction.
pub fn commit(
    conn: &Connection,
    origin: &Origin<'_>,
    staged: &Staged,
    table: &str,
    mapping: Option<&Mapping>,
) -> Result<Counts, IngestError> {
    // Target names must be unique: a repeated header name gets a numbered twin column.
    let mut targets: Vec<String> = Vec::new();
    for (_, t) in &staged.columns {
        let mut name = t.clone();
        let mut n = 1;
        while targets.iter().any(|x| x.eq_ignore_ascii_case(&name)) {
            name = format!("{t}_{n}");
            n += 1;
        }
        targets.push(name);
    }
    // Columns neither the mapping nor the table knows get a type inferred from the data.
    let known: Columns = table_columns(conn, table)?
        .map(|(_, c)| c)
        .unwrap_or_default()
        .into_iter()
        .chain(mapping.map(Mapping::columns).unwrap_or_default())
        .collect();
    // A reader may stage typed values (Parquet): a staged column that is a plain stage
    // column of a type other than VARCHAR.
    let (from, one_pass) = match &staged.from {
        Rows::Stage => (format!("temp.{STAGE}"), false),
        Rows::Numbered(query) => (query.clone(), false),
        Rows::OnePass(query) => (query.clone(), true),
    };
    let stage_types = typed_stage_columns(conn, &from)?;
    let typed: Vec<Option<&String>> = staged
        .columns
        .iter()
        .map(|(expr, _)| stage_types.get(&expr.trim_matches('"').to_lowercase()))
        .collect();
    let new: Vec<usize> = (0..targets.len())
        .filter(|&i| {
            !known
                .iter()
                .any(|(c, _)| c.eq_ignore_ascii_case(&targets[i]))
        })
        .collect();
    let (new_typed, new_text): (Vec<usize>, Vec<usize>) =
        new.into_iter().partition(|&i| typed[i].is_some());
    let inferred = infer_types(
        conn,
        &from,
        &new_text
            .iter()
            .map(|&i| staged.columns[i].0.clone())
            .collect::<Vec<_>>(),
    )?;
    let mut wanted: Columns = targets
        .iter()
        .map(|t| (t.clone(), "VARCHAR".to_string()))
        .collect();
    for (&i, ty) in new_text.iter().zip(inferred) {
        wanted[i].1 = ty;
    }
    for &i in &new_typed {
        wanted[i].1 = typed[i].cloned().unwrap_or_default();
    }
    wanted.extend(
        staged
            .constants
            .iter()
            .map(|(c, _)| (c.clone(), "VARCHAR".to_string())),
    );
    let (table, columns) = table_schema(conn, table, mapping, &wanted)?;
    let type_of = |name: &str| -> (String, String) {
        columns
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(name))
            .cloned()
            .unwrap_or_else(|| (name.to_string(), "VARCHAR".to_string()))
    };

    // Level 0: the text value of every staged column. One-pass rows have no number: a
    // rejected row sends the file through the staging table, which has.
    let (rid, line) = if one_pass {
        ("NULL", "NULL")
    } else {
        ("rowid", staged.line.as_str())
    };
    let mut level0 = vec![
        format!("{rid} AS __rid"),
        format!("{line} AS __line"),
        format!(
            "{} AS __raw",
            match &staged.raw {
                Raw::Column(expr) => expr.clone(),
                _ => "NULL".into(),
            }
        ),
    ];
    // Level 1: typed columns under their target names, and the conversion failures.
    let mut level1 = vec!["__rid".to_string(), "__line".into(), "__raw".into()];
    let mut failures = Vec::new();
    let mut notes = Vec::new();
    for (i, ((expr, _), target)) in staged.columns.iter().zip(&targets).enumerate() {
        let (name, ty) = type_of(target);
        let s = format!("__s{i}");
        level0.push(format!("{expr} AS {s}"));
        level1.push(s.clone());
        if let Some(from) = typed[i] {
            // A typed value: kept as it is, or cast; a failed cast rejects the row.
            if from.eq_ignore_ascii_case(&ty) {
                level1.push(format!("{s} AS {}", ident(&name)));
                continue;
            }
            let value = if kind_of(&ty) == Kind::Json {
                format!("CAST(to_json({s}) AS JSON)")
            } else {
                format!("TRY_CAST({s} AS {ty})")
            };
            level1.push(format!("{value} AS {}", ident(&name)));
            failures.push(format!(
                "CASE WHEN {} IS NULL AND {s} IS NOT NULL THEN {} || left(CAST({s} AS VARCHAR), 60) || {} END",
                ident(&name),
                lit(&format!("{name}: cannot read ")),
                lit(&format!(" as {ty}"))
            ));
            continue;
        }
        level1.push(format!("{} AS {}", convert(&s, &ty), ident(&name)));
        let lenient = mapping
            .and_then(|m| m.lenient.as_ref())
            .is_some_and(|l| l.columns.iter().any(|c| c.eq_ignore_ascii_case(&name)));
        if lenient && kind_of(&ty) != Kind::Text {
            notes.push(format!(
                "CASE WHEN {} IS NULL AND trim({s}) <> '' THEN {} || {s} END",
                ident(&name),
                lit(&format!("{name}="))
            ));
        } else if kind_of(&ty) != Kind::Text {
            failures.push(format!(
                "CASE WHEN {} IS NULL AND trim({s}) <> '' THEN {} || left({s}, 60) || {} END",
                ident(&name),
                lit(&format!("{name}: cannot read ")),
                lit(&format!(" as {ty}"))
            ));
        }
    }
    failures.push("NULL".into());
    notes.push("NULL".into());
    let lenient_into = mapping
        .and_then(|m| m.lenient.as_ref())
        .map(|l| l.into.as_str());

    // Level 2: every table column, with defaults and constants filled in.
    let present: Vec<String> = targets.iter().map(|t| type_of(t).0).collect();
    let has = |c: &str| present.iter().any(|p| p.eq_ignore_ascii_case(c));
    let mut level2 = vec!["__rid".to_string(), "__line".into(), "__raw".into()];
    let mut filled = Vec::new();
    for (name, ty) in &columns {
        let mut options = Vec::new();
        if lenient_into.is_some_and(|c| c.eq_ignore_ascii_case(name)) {
            let own = if has(name) {
                ident(name)
            } else {
                "NULL".into()
            };
            options.push(format!(
                "nullif(concat_ws(';', {own}, nullif(__notes, '')), '')"
            ));
        } else if has(name) {
            options.push(ident(name));
        }
        if let Some(m) = mapping {
            if let Some(defs) = m.defaults.get(name) {
                options.extend(defs.iter().filter(|d| has(d)).map(|d| ident(d)));
            }
            if let Some(k) = m.constants.get(name) {
                options.push(convert(&lit(k), ty));
            }
        }
        if let Some((_, k)) = staged.constants.iter().find(|(c, _)| c == name) {
            options.push(convert(&lit(k), ty));
        }
        // Columns with no value at all stay out of the stored table (the view shows NULL),
        // and out of the conversion unless a requirement or a secondary insert reads them.
        let needed = mapping.is_some_and(|m| {
            !m.also.is_empty() || m.require.iter().any(|r| r.eq_ignore_ascii_case(name))
        });
        let has_value = !options.is_empty();
        if !has_value && !needed {
            continue;
        }
        let expr = match options.len() {
            0 => format!("CAST(NULL AS {ty})"),
            1 => options.remove(0),
            _ => format!("coalesce({})", options.join(", ")),
        };
        level2.push(format!("{expr} AS {}", ident(name)));
        if has_value {
            filled.push(name.clone());
        }
    }
    let mut reasons = vec!["nullif(__r1, '')".to_string()];
    if let Some(m) = mapping {
        for r in &m.require {
            reasons.push(format!(
                "CASE WHEN {} IS NULL THEN {} END",
                ident(r),
                lit(&format!("no {r}"))
            ));
        }
    }
    level2.push("__r1".into());

    // One query converts the staged rows and gives each its reasons for rejection ('' when
    // none). Good rows go straight into the table; only when some row was held back is the
    // query run again to record the rejects.
    let converted = format!(
        "SELECT * EXCLUDE (__r1), concat_ws('; ', {reasons}) AS __reason FROM (
           SELECT {l2} FROM (
             SELECT *, concat_ws('; ', {failures}) AS __r1, concat_ws(';', {notes}) AS __notes FROM (
               SELECT {l1} FROM (SELECT {l0} FROM {from}))))",
        reasons = reasons.join(", "),
        failures = failures.join(", "),
        notes = notes.join(", "),
        l2 = level2.join(", "),
        l1 = level1.join(", "),
        l0 = level0.join(", "),
    );
    stored::store(conn, &table, &columns, &filled)?;
    let cols = filled
        .iter()
        .map(|c| ident(c))
        .collect::<Vec<_>>()
        .join(", ");
    // The rows of one file need no order in the table, and keeping it makes DuckDB write
    // a wide table on one thread.
    let keep = if one_pass {
        format!(
            "CASE WHEN __reason = '' THEN true ELSE error({} || __reason) END",
            lit(HELD_BACK)
        )
    } else {
        "__reason = ''".to_string()
    };
    conn.execute_batch("SET preserve_insertion_order = false")?;
    let inserted = conn.execute(
        &format!(
            "INSERT INTO {} ({cols}) SELECT {cols} FROM ({converted}) WHERE {keep}",
            stored::qualified(&table)
        ),
        [],
    );
    let reset = conn.execute_batch("RESET preserve_insertion_order");
    let loaded = inserted.map_err(|e| {
        if e.to_string().contains(HELD_BACK) {
            IngestError::HeldBack
        } else {
            IngestError::Duck(e)
        }
    })? as u64;
    reset?;
    if let Some(m) = mapping {
        for (other, select) in &m.also {
            insert_also(conn, &converted, other, select)?;
        }
    }
    let rejected = if one_pass {
        0
    } else {
        let staged_rows: i64 =
            conn.query_row(&format!("SELECT count(*) FROM {from}"), [], |r| r.get(0))?;
        u64::try_from(staged_rows)
            .unwrap_or(0)
            .saturating_sub(loaded)
    };
    if rejected > 0 {
        let raw_json = if !matches!(staged.raw, Raw::FieldsJson) {
            "NULL".to_string()
        } else {
            let pairs: Vec<String> = staged
                .columns
                .iter()
                .zip(&targets)
                .map(|((expr, _), t)| format!("{}, {expr}", lit(t)))
                .collect();
            if pairs.is_empty() {
                "NULL".to_string()
            } else {
                format!("CAST(json_object({}) AS VARCHAR)", pairs.join(", "))
            }
        };
        conn.execute(
            &format!(
                "INSERT INTO quarry_rejects (source_sha256, path, line, raw, reason)
                 SELECT ?, ?, c.__line, coalesce(c.__raw, s.__json), c.__reason
                 FROM ({converted}) c
                 JOIN (SELECT rowid AS __rid2, {raw_json} AS __json FROM {from}) s
                   ON s.__rid2 = c.__rid
                 WHERE c.__reason <> ''"
            ),
            params![origin.sha256, origin.path],
        )?;
    }
    drop_stage(conn)?;
    Ok(Counts { loaded, rejected })
}

/// Writes the good rows of the `converted` query into another table too (e.g. Zeek dns →
/// DnsEvents).
fn insert_also(
    conn: &Connection,
    converted: &str,
    other: &str,
    select: &std::collections::BTreeMap<String, String>,
) -> Result<(), IngestError> {
    let all = mappings()?;
    let wanted: Columns = select
        .keys()
        .map(|k| (k.clone(), "VARCHAR".to_string()))
        .collect();
    let (name, columns) = table_schema(conn, other, all.for_table(other), &wanted)?;
    let mut filled = Vec::new();
    let mut exprs = Vec::new();
    for (col, expr) in select {
        let (col, ty) = columns
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(col))
            .cloned()
            .unwrap_or_else(|| (col.clone(), "VARCHAR".into()));
        exprs.push(format!("TRY_CAST(({}) AS {ty})", all.sessions.expand(expr)));
        filled.push(col);
    }
    stored::store(conn, &name, &columns, &filled)?;
    conn.execute_batch(&format!(
        "INSERT INTO {} ({}) SELECT {} FROM ({converted}) WHERE __reason = ''",
        stored::qualified(&name),
        filled
            .iter()
            .map(|c| ident(c))
            .collect::<Vec<_>>()
            .join(", "),
        exprs.join(", ")
    ))?;
    Ok(())
}

//! Findings: hits, events or query rows an analyst marked, kept in the case with everything
//! needed to check them later: the hunt, its parameter values, the query text, the clock and
//! window in effect, and a copy of the rows themselves (so a finding survives threshold
//! changes and new loads).

use duckdb::{params, Connection, OptionalExt};
use serde_json::{json, Value};

use crate::engine::Result;
use crate::hunts::run::params_json;

const DDL: &str = "CREATE TABLE IF NOT EXISTS quarry_findings (
    id BIGINT PRIMARY KEY, created_at VARCHAR, severity VARCHAR, tags VARCHAR, note VARCHAR,
    kind VARCHAR, title VARCHAR, hunt VARCHAR, params VARCHAR, kql VARCHAR, sql VARCHAR,
    clock VARCHAR, time_window VARCHAR, rows VARCHAR, events VARCHAR)";

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Every severity, mildest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The word stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Reads a stored word (unknown words read as medium).
    pub fn parse(text: &str) -> Severity {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text.trim()))
            .unwrap_or(Severity::Medium)
    }

    /// The next severity, wrapping round (for a key that cycles it).
    pub fn next(self) -> Severity {
        let i = Severity::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Severity::ALL[(i + 1) % Severity::ALL.len()]
    }
}

/// A finding about to be saved.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFinding {
    /// How bad it is.
    pub severity: Severity,
    /// Free tags.
    pub tags: Vec<String>,
    /// The analyst's note.
    pub note: String,
    /// `hit` (a hunt's result row), `event` (a raw event) or `query` (console rows).
    pub kind: String,
    /// A one-line summary.
    pub title: String,
    /// The hunt it came from, if any.
    pub hunt: Option<String>,
    /// Parameter values in effect: (name, KQL literal).
    pub params: Vec<(String, String)>,
    /// The KQL that produced the rows.
    pub kql: String,
    /// The SQL that ran.
    pub sql: String,
    /// The investigation clock then.
    pub clock: String,
    /// The time window then.
    pub window: String,
    /// The rows it points to.
    pub rows: Vec<Value>,
    /// The raw events behind them (a hit's drill-down).
    pub events: Vec<Value>,
}

/// A saved finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Its number in the case.
    pub id: i64,
    /// When it was marked (UTC).
    pub created_at: String,
    /// What was saved.
    pub body: NewFinding,
}

impl Finding {
    /// The JSON form of `quarry findings show --json` and the report.
    pub fn to_json(&self) -> Value {
        let b = &self.body;
        let params = params_json(&b.params);
        json!({
            "id": self.id,
            "created_at": self.created_at,
            "severity": b.severity.as_str(),
            "tags": b.tags,
            "note": b.note,
            "kind": b.kind,
            "title": b.title,
            "hunt": b.hunt,
            "params": params,
            "kql": b.kql,
            "sql": b.sql,
            "clock": b.clock,
            "window": b.window,
            "rows": b.rows,
            "events": b.events,
        })
    }
}

/// Creates the findings table if the case lacks it.
pub fn ensure_table(conn: &Connection) -> Result<()> {
    conn.execute_batch(DDL)?;
    Ok(())
}

/// Saves a finding and returns its number.
pub fn add(conn: &Connection, f: &NewFinding) -> Result<i64> {
    ensure_table(conn)?;
    let id: i64 = conn.query_row(
        "SELECT coalesce(max(id), 0) + 1 FROM quarry_findings",
        [],
        |r| r.get(0),
    )?;
    let params_json = Value::Object(
        f.params
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    );
    conn.execute(
        "INSERT INTO quarry_findings VALUES (?, strftime(now(), '%Y-%m-%dT%H:%M:%SZ'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            id,
            f.severity.as_str(),
            Value::from(f.tags.clone()).to_string(),
            f.note,
            f.kind,
            f.title,
            f.hunt,
            params_json.to_string(),
            f.kql,
            f.sql,
            f.clock,
            f.window,
            Value::from(f.rows.clone()).to_string(),
            Value::from(f.events.clone()).to_string(),
        ],
    )?;
    Ok(id)
}

const COLUMNS: &str = "id, created_at, severity, tags, note, kind, title, hunt, params, kql, sql, clock, time_window, rows, events";

fn from_row(r: &duckdb::Row<'_>) -> duckdb::Result<Finding> {
    let json_of = |i: usize| -> duckdb::Result<Value> {
        let text: Option<String> = r.get(i)?;
        Ok(text
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null))
    };
    let list = |v: Value| match v {
        Value::Array(items) => items,
        _ => Vec::new(),
    };
    let params = match json_of(8)? {
        Value::Object(m) => m
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
            .collect(),
        _ => Vec::new(),
    };
    Ok(Finding {
        id: r.get(0)?,
        created_at: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        body: NewFinding {
            severity: Severity::parse(&r.get::<_, Option<String>>(2)?.unwrap_or_default()),
            tags: list(json_of(3)?)
                .into_iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect(),
            note: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            kind: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            title: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            hunt: r.get(7)?,
            params,
            kql: r.get::<_, Option<String>>(9)?.unwrap_or_default(),
            sql: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
            clock: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
            window: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
            rows: list(json_of(13)?),
            events: list(json_of(14)?),
        },
    })
}

/// Every finding, oldest first.
pub fn list(conn: &Connection) -> Result<Vec<Finding>> {
    ensure_table(conn)?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM quarry_findings ORDER BY id"
    ))?;
    let found = stmt
        .query_map([], from_row)?
        .collect::<duckdb::Result<Vec<_>>>()?;
    Ok(found)
}

/// One finding by number.
pub fn get(conn: &Connection, id: i64) -> Result<Option<Finding>> {
    ensure_table(conn)?;
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM quarry_findings WHERE id = ?"),
            [id],
            from_row,
        )
        .optional()?)
}

/// Deletes a finding; false when there was none with that number.
pub fn remove(conn: &Connection, id: i64) -> Result<bool> {
    ensure_table(conn)?;
    Ok(conn.execute("DELETE FROM quarry_findings WHERE id = ?", [id])? > 0)
}

/// What an edit changes (`None` keeps the old value).
#[derive(Debug, Clone, Default)]
pub struct Edit {
    /// New severity.
    pub severity: Option<Severity>,
    /// New tags (replacing the old ones).
    pub tags: Option<Vec<String>>,
    /// New note.
    pub note: Option<String>,
}

/// Changes a finding's severity, tags or note; false when there was none with that number.
pub fn edit(conn: &Connection, id: i64, e: &Edit) -> Result<bool> {
    let Some(old) = get(conn, id)? else {
        return Ok(false);
    };
    let severity = e.severity.unwrap_or(old.body.severity);
    let tags = e.tags.clone().unwrap_or(old.body.tags);
    let note = e.note.clone().unwrap_or(old.body.note);
    conn.execute(
        "UPDATE quarry_findings SET severity = ?, tags = ?, note = ? WHERE id = ?",
        params![severity.as_str(), Value::from(tags).to_string(), note, id],
    )?;
    Ok(true)
}

/// Splits `a, b ,c` into tags (empty pieces dropped).
pub fn parse_tags(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

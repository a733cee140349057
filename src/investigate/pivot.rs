//! Entity pivot: everything the case knows about one value. Every event that involves it in
//! every event table (inside the time window), the hunts whose hits mention it, the
//! watchlist rows and threat-intelligence indicators that name it, and a timeline of its
//! activity.

use chrono::NaiveDateTime;
use duckdb::Connection;
use serde_json::{json, Value};

use super::entity::{Entity, EntityKind};
use super::timeline::{width_for, Timeline};
use crate::engine::output::query_rows;
use crate::engine::{Case, CLOCK_FORMAT};
use crate::hunts::pages::rows_containing;
use crate::hunts::run::RunResult;
use crate::kql::functions::quote_ident;
use crate::kql::{Catalog, ColumnDef};

/// The events of one table that involve the entity.
#[derive(Debug, Clone)]
pub struct TableMatches {
    /// The table.
    pub table: String,
    /// How many events match.
    pub count: u64,
    /// The first and last match (UTC).
    pub first: String,
    /// The last match.
    pub last: String,
    /// The query that finds them (newest first).
    pub sql: String,
    /// Column names of `rows`.
    pub columns: Vec<String>,
    /// The newest matching events, up to the pivot's limit.
    pub rows: Vec<Value>,
}

/// A hunt whose hits mention the entity.
#[derive(Debug, Clone)]
pub struct HuntMatch {
    /// Hunt id.
    pub id: String,
    /// Hunt name.
    pub name: String,
    /// Hit numbers (1-based) that mention it.
    pub hits: Vec<usize>,
}

/// Watchlist rows that name the entity.
#[derive(Debug, Clone)]
pub struct WatchlistMatch {
    /// Watchlist name.
    pub name: String,
    /// The rows.
    pub rows: Vec<Value>,
}

/// A threat-intelligence indicator that names the entity.
#[derive(Debug, Clone)]
pub struct IntelMatch {
    /// The indicator row (id, type, description, source, confidence, dates, activity).
    pub indicator: Value,
    /// Where it came from (`SourceSystem`, else the file it was loaded from).
    pub source: String,
    /// Days between the indicator's time and the investigation clock.
    pub age_days: Option<f64>,
}

/// Everything found for one entity.
#[derive(Debug, Clone)]
pub struct Pivot {
    /// What was looked for.
    pub entity: Entity,
    /// The time window in effect.
    pub window: String,
    /// Matching events per table (tables without any are left out).
    pub tables: Vec<TableMatches>,
    /// Hunts whose hits mention it.
    pub hunts: Vec<HuntMatch>,
    /// Watchlists that name it.
    pub watchlists: Vec<WatchlistMatch>,
    /// Indicators that name it.
    pub intel: Vec<IntelMatch>,
    /// Its activity over time (all tables together).
    pub timeline: Option<Timeline>,
}

impl Pivot {
    /// Events found in all tables.
    pub fn total(&self) -> u64 {
        self.tables.iter().map(|t| t.count).sum()
    }

    /// The JSON form of `quarry pivot --json`.
    pub fn to_json(&self) -> Value {
        json!({
            "entity": {"kind": self.entity.kind.as_str(), "value": self.entity.value},
            "window": self.window,
            "events": self.total(),
            "tables": self.tables.iter().map(|t| json!({
                "table": t.table, "count": t.count, "first": t.first, "last": t.last,
                "rows": t.rows,
            })).collect::<Vec<_>>(),
            "hunts": self.hunts.iter().map(|h| json!({
                "id": h.id, "name": h.name, "hits": h.hits,
            })).collect::<Vec<_>>(),
            "watchlists": self.watchlists.iter().map(|w| json!({
                "name": w.name, "rows": w.rows,
            })).collect::<Vec<_>>(),
            "intel": self.intel.iter().map(|i| json!({
                "source": i.source, "age_days": i.age_days, "indicator": i.indicator,
            })).collect::<Vec<_>>(),
            "timeline": self.timeline.as_ref().map(Timeline::to_json),
        })
    }
}

/// The tables of events: every loaded table with a `TimeGenerated` except reference data
/// (views such as NetworkSessions are left out: they repeat these rows).
pub fn event_tables(conn: &Connection) -> crate::engine::Result<Vec<String>> {
    let windowed = crate::engine::window::windowed_relations(conn)?;
    let base = crate::engine::stored::stored_tables(conn)?;
    Ok(windowed.into_iter().filter(|t| base.contains(t)).collect())
}

/// Looks for `entity` everywhere in the case; `hunt_runs` are the latest hunt results to
/// search, and `limit` caps the events kept per table.
pub fn pivot(
    case: &Case,
    catalog: &Catalog,
    entity: &Entity,
    hunt_runs: &[RunResult],
    limit: usize,
) -> anyhow::Result<Pivot> {
    let conn = case.conn();
    let mut tables = Vec::new();
    let mut selects = Vec::new();
    for table in event_tables(conn)? {
        let Some(columns) = catalog.tables.get(&table) else {
            continue;
        };
        let conditions: Vec<String> = columns
            .iter()
            .filter_map(|c| entity.column_condition(c))
            .collect();
        if conditions.is_empty() {
            continue;
        }
        let from = format!(
            "FROM {} WHERE {}",
            quote_ident(&table),
            conditions.join(" OR ")
        );
        let (count, first, last): (i64, Option<String>, Option<String>) = conn.query_row(
            &format!(
                "SELECT count(*), strftime(min(TimeGenerated), '%Y-%m-%dT%H:%M:%SZ'),
                 strftime(max(TimeGenerated), '%Y-%m-%dT%H:%M:%SZ') {from}"
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        if count == 0 {
            continue;
        }
        let sql = format!("SELECT * {from} ORDER BY TimeGenerated DESC");
        let (names, rows) = query_rows(conn, &sql, limit)?;
        selects.push(format!("SELECT TimeGenerated {from}"));
        tables.push(TableMatches {
            table,
            count: count as u64,
            first: first.unwrap_or_default(),
            last: last.unwrap_or_default(),
            sql,
            columns: names,
            rows,
        });
    }
    let timeline = timeline(conn, &tables, &selects)?;
    Ok(Pivot {
        entity: entity.clone(),
        window: case.window().label(),
        hunts: hunt_matches(entity, hunt_runs),
        watchlists: watchlist_matches(conn, entity)?,
        intel: intel_matches(case, catalog, entity)?,
        tables,
        timeline,
    })
}

fn timeline(
    conn: &Connection,
    tables: &[TableMatches],
    selects: &[String],
) -> anyhow::Result<Option<Timeline>> {
    let parse = |t: &str| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%SZ").ok();
    let first = tables.iter().filter_map(|t| parse(&t.first)).min();
    let last = tables.iter().filter_map(|t| parse(&t.last)).max();
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(None);
    };
    let width = width_for((last - first).num_seconds());
    let sql = format!(
        "SELECT floor(epoch(TimeGenerated) / {width})::BIGINT AS b, count(*) FROM ({}) GROUP BY b",
        selects.join(" UNION ALL ")
    );
    let mut stmt = conn.prepare(&sql)?;
    let buckets = stmt
        .query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)? as u64))
        })?
        .collect::<duckdb::Result<Vec<_>>>()?;
    Ok(Timeline::from_buckets(width, &buckets))
}

/// A hunt's result kept in a temporary table (see `hunts::pages`).
pub struct KeptResult<'a> {
    /// Hunt id.
    pub id: &'a str,
    /// Hunt name.
    pub name: &'a str,
    /// The temporary table holding every hit.
    pub table: String,
    /// The result's columns.
    pub columns: &'a [ColumnDef],
}

/// The hunts whose kept results mention the entity, with the hit numbers: every hit is
/// searched, not only those the workbench holds. A result no longer kept is left out.
pub fn kept_hunt_matches(
    conn: &Connection,
    entity: &Entity,
    kept: &[KeptResult<'_>],
) -> anyhow::Result<Vec<HuntMatch>> {
    let needles = entity.needles();
    let mut out = Vec::new();
    for result in kept {
        let rows = match rows_containing(conn, &result.table, result.columns, &needles) {
            Ok(rows) => rows,
            Err(e) if e.to_string().contains("does not exist") => continue,
            Err(e) => return Err(e),
        };
        let hits: Vec<usize> = rows
            .iter()
            .filter(|(_, row)| entity.matches_json(row))
            .map(|(position, _)| *position)
            .collect();
        if !hits.is_empty() {
            out.push(HuntMatch {
                id: result.id.to_string(),
                name: result.name.to_string(),
                hits,
            });
        }
    }
    Ok(out)
}

/// The hunts whose hits mention the entity, with the hit numbers.
pub fn hunt_matches(entity: &Entity, runs: &[RunResult]) -> Vec<HuntMatch> {
    runs.iter()
        .filter_map(|r| {
            let hits: Vec<usize> = r
                .hits
                .iter()
                .enumerate()
                .filter(|(_, h)| entity.matches_json(h))
                .map(|(i, _)| i + 1)
                .collect();
            (!hits.is_empty()).then(|| HuntMatch {
                id: r.id.clone(),
                name: r.name.clone(),
                hits,
            })
        })
        .collect()
}

fn watchlist_matches(conn: &Connection, entity: &Entity) -> anyhow::Result<Vec<WatchlistMatch>> {
    let mut stmt = conn.prepare("SELECT name, table_name FROM quarry_watchlists ORDER BY name")?;
    let lists = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<duckdb::Result<Vec<_>>>()?;
    let mut out = Vec::new();
    for (name, table) in lists {
        let (_, rows) = query_rows(
            conn,
            &format!("SELECT * FROM {}", quote_ident(&table)),
            usize::MAX,
        )?;
        let rows: Vec<Value> = rows
            .into_iter()
            .filter(|r| entity.matches_json(r))
            .collect();
        if !rows.is_empty() {
            out.push(WatchlistMatch { name, rows });
        }
    }
    Ok(out)
}

/// Indicator columns that can name each kind of entity.
fn intel_columns(kind: EntityKind) -> &'static [&'static str] {
    match kind {
        EntityKind::Ip => &[
            "NetworkIP",
            "NetworkSourceIP",
            "NetworkDestinationIP",
            "EmailSourceIpAddress",
            "NetworkCidrBlock",
            "NetworkSourceCidrBlock",
            "NetworkDestinationCidrBlock",
        ],
        EntityKind::Domain | EntityKind::Host => &["DomainName", "EmailSourceDomain", "Url"],
        EntityKind::Url => &["Url"],
        EntityKind::Process => &["FileName"],
        EntityKind::Port => &["NetworkPort", "NetworkDestinationPort", "NetworkSourcePort"],
    }
}

fn intel_matches(
    case: &Case,
    catalog: &Catalog,
    entity: &Entity,
) -> anyhow::Result<Vec<IntelMatch>> {
    const TABLE: &str = "ThreatIntelligenceIndicator";
    let Some(columns) = catalog.tables.get(TABLE) else {
        return Ok(Vec::new());
    };
    let has = |name: &str| columns.iter().any(|c| c.name == name);
    let wanted: Vec<&str> = intel_columns(entity.kind)
        .iter()
        .copied()
        .filter(|c| has(c))
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let shown: Vec<&str> = [
        "IndicatorId",
        "ThreatType",
        "Description",
        "SourceSystem",
        "SourceFile",
        "ConfidenceScore",
        "Active",
        "TimeGenerated",
        "ExpirationDateTime",
    ]
    .into_iter()
    .filter(|c| has(c))
    .collect();
    let select: Vec<String> = shown
        .iter()
        .chain(&wanted)
        .map(|c| quote_ident(c))
        .collect();
    let filter: Vec<String> = wanted
        .iter()
        .map(|c| format!("{} IS NOT NULL", quote_ident(c)))
        .collect();
    let (_, rows) = query_rows(
        case.conn(),
        &format!(
            "SELECT {} FROM {TABLE} WHERE {} ORDER BY ALL",
            select.join(", "),
            filter.join(" OR ")
        ),
        usize::MAX,
    )?;
    let clock = case.clock()?;
    Ok(rows
        .into_iter()
        .filter(|row| {
            wanted.iter().any(|c| match &row[*c] {
                Value::String(s) => entity.matches_text(s),
                Value::Number(n) => entity.matches_text(&n.to_string()),
                _ => false,
            })
        })
        .map(|row| {
            let text = |k: &str| row[k].as_str().unwrap_or_default().to_string();
            let source = Some(text("SourceSystem"))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| text("SourceFile"));
            let age_days = NaiveDateTime::parse_from_str(&text("TimeGenerated"), CLOCK_FORMAT)
                .ok()
                .zip(clock)
                .map(|(t, now)| ((now - t).num_minutes() as f64 / 1440.0 * 10.0).round() / 10.0);
            IntelMatch {
                indicator: row,
                source,
                age_days,
            }
        })
        .collect())
}

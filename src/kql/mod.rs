//! KQL → DuckDB SQL compiler. Today this holds what the compiler works from: the catalog
//! of the case (tables, views, watchlists, clock and time window) and KQL's scalar types;
//! the engine builds the catalog from the case's schema.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDateTime;

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

/// What the compiler knows about the case it compiles for.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Tables and views by exact name.
    pub tables: BTreeMap<String, Vec<ColumnDef>>,
    /// Watchlists by name.
    pub watchlists: BTreeMap<String, WatchlistDef>,
    /// The investigation clock: `now()` and `ago()` read it.
    pub now: NaiveDateTime,
    /// The case time window, for `{{StartTimeISO}}` and `{{EndTimeISO}}`.
    pub window: (NaiveDateTime, NaiveDateTime),
    /// Where `externaldata` URLs resolve to local files.
    pub externaldata_dir: Option<PathBuf>,
}

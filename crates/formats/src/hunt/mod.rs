//! Hunts as read from their files: KQL queries with metadata (Sentinel hunting-query YAML,
//! or plain `.kql`). The root crate's `hunts` builds its library, parameters and runs on
//! these types.

pub mod file;

use std::collections::BTreeMap;

pub use file::{parse_kql, parse_yaml};

/// What a hunt says about one of its `let` parameters (quarry's `params` key).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct ParamMeta {
    /// What the parameter means.
    #[serde(default)]
    pub description: String,
    /// Smallest sensible value (numbers).
    #[serde(default)]
    pub min: Option<f64>,
    /// Largest sensible value (numbers).
    #[serde(default)]
    pub max: Option<f64>,
}

/// A watchlist a hunt reads, created empty when the case lacks it (quarry's `watchlists` key).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct WatchlistSpec {
    /// Watchlist name.
    pub name: String,
    /// Its columns.
    pub columns: Vec<String>,
    /// The search-key column.
    pub key: String,
}

/// A hunt ready to run.
#[derive(Debug, Clone)]
pub struct Hunt {
    /// Stable id (the YAML `id`, or the file name of a `.kql` hunt).
    pub id: String,
    /// Short name.
    pub name: String,
    /// What it finds and why.
    pub description: String,
    /// MITRE ATT&CK tactics.
    pub tactics: Vec<String>,
    /// MITRE ATT&CK techniques.
    pub techniques: Vec<String>,
    /// Tables it reads (from `requiredDataConnectors`).
    pub tables: Vec<String>,
    /// The KQL.
    pub query: String,
    /// 1-based line of the file where the query text starts.
    pub query_line: usize,
    /// Parameter descriptions and ranges.
    pub params: BTreeMap<String, ParamMeta>,
    /// A custom drill-down query (hit columns bind its same-named `let`s).
    pub drilldown: Option<String>,
    /// Watchlists it reads.
    pub watchlists: Vec<WatchlistSpec>,
    /// Entity mappings: (entity type, identifier, column).
    pub entities: Vec<(String, String, String)>,
    /// Where it came from (`built-in/NAME` or a path).
    pub origin: String,
}

/// A hunt file that could not be read.
#[derive(Debug, Clone)]
pub struct BrokenHunt {
    /// The file.
    pub origin: String,
    /// 1-based line and column of the problem.
    pub line: usize,
    /// Column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for BrokenHunt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.origin, self.line, self.column, self.message
        )
    }
}

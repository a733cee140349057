//! Hunts: KQL queries with metadata (Sentinel hunting-query YAML, or plain `.kql`), their
//! library (built in, user folder, `--hunts DIR`), parameters, runs and drill-down.

pub mod cache;
pub mod drill;
pub mod explain;
pub mod file;
pub mod library;
pub mod pages;
pub mod params;
pub mod run;

/// The hunt types live with their file parser in `quarry_formats::hunt`.
pub use quarry_formats::hunt::{BrokenHunt, Hunt, ParamMeta, WatchlistSpec};

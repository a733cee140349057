//! quarry: an offline threat-hunting workbench.
//!
//! Data flows one way: `ingest` loads log files into the case database owned by `engine`;
//! the engine describes the case to `kql` as a catalog; `hunts` are KQL with metadata run on
//! it; `investigate` keeps findings and pivots across the case, and `report` writes the case
//! up; `cli` (headless) and `tui` (the workbench) drive them and print through `sanitize`.
//! The pure parsers of log formats and hunt files are `formats` (crate quarry-formats).
//! `sample` writes the bundled data set with planted attacks; `bench` measures it all.

pub mod bench;
pub mod cli;
pub mod engine;
pub use quarry_formats as formats;
pub mod hunts;
pub mod ingest;
pub mod investigate;
pub use quarry_kql as kql;
pub mod report;
pub mod sample;
pub mod sanitize;
pub mod tui;

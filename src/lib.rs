//! quarry: an offline threat-hunting workbench.
//!
//! Data flows one way: `ingest` loads log files into the case database owned by `engine`;
//! the engine describes the case to `kql` as a catalog; `cli` (and later the TUI) drive
//! them and print results through `sanitize`.

pub mod cli;
pub mod engine;
pub mod hunts;
pub mod ingest;
pub mod kql;
pub mod sample;
pub mod sanitize;

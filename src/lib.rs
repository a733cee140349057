//! quarry: an offline threat-hunting workbench.
//!
//! Data flows one way: `ingest` loads log files into the case database owned by `engine`;
//! `kql` compiles hunting queries against the engine's catalog; `cli` (and later the TUI)
//! drive both and print results through `sanitize`.

pub mod cli;
pub mod engine;
pub mod ingest;
pub mod kql;
pub mod sample;
pub mod sanitize;

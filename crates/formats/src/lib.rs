//! The pure parsers of quarry: text in, plain Rust values out, no DuckDB, no Arrow, no
//! threads. The root crate's `ingest` and `hunts` load what these return into the case.
//!
//! - [`cef`]: CEF events over syslog (header, extension, syslog prefix, times).
//! - [`zeek`]: the `#` header of a Zeek TSV log.
//! - [`winevent`]: Windows event XML (Sysmon and any other provider).
//! - [`hunt`]: hunt files (Sentinel hunting-query YAML or plain `.kql`) and their types.
//!
//! Every parser takes arbitrary input and answers with a value or an error, never a panic;
//! the fuzz targets in `fuzz/` hold them to that.

#![warn(missing_docs)]

pub mod cef;
pub mod hunt;
pub mod winevent;
pub mod zeek;

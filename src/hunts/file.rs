//! Reading one hunt file: Sentinel hunting-query YAML, or a plain `.kql` file. The parser
//! lives in `quarry_formats::hunt::file`; this path keeps working through the re-export.

pub use quarry_formats::hunt::file::{parse_kql, parse_yaml};

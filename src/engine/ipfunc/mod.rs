//! Kusto's IP functions as DuckDB scalar functions, so hunts and plain SQL can call
//! `ipv4_is_match(SourceIP, '10.0.0.0/8')` and friends. Input that does not parse gives
//! NULL, as in Kusto, never an error that stops the query.

mod net;
mod scalar;

use duckdb::Connection;

pub use net::{compare_v4, in_range_v4, is_private_v4, match_v4, match_v6, parse_ipv4, V4List};

/// Registers every IP function on `conn` (and so on its clones):
/// `ipv4_is_private(ip)`, `ipv4_is_match(ip, net[, prefix])`, `ipv4_is_match_any(ip, list)`,
/// `ipv4_is_in_range(ip, net)`, `ipv4_is_in_any_range(ip, list)`, `ipv4_compare(a, b[, prefix])`,
/// `parse_ipv4(ip)` and `ipv6_is_match(a, b[, prefix])`.
pub fn register(conn: &Connection) -> duckdb::Result<()> {
    scalar::register_all(conn)
}

//! Parsing and matching of IP addresses and CIDR networks with Kusto's rules.
//! Every function answers `None` where Kusto answers null: input that does not parse.

use std::net::{Ipv4Addr, Ipv6Addr};

/// An IPv4 address with the prefix length it was written with (32 when none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V4 {
    /// The address as an integer.
    pub addr: u32,
    /// The prefix length, 0..=32.
    pub prefix: u8,
}

/// An IPv6 address (IPv4 mapped into `::ffff:0:0/96`) with its prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V6 {
    /// The address as an integer.
    pub addr: u128,
    /// The prefix length, 0..=128.
    pub prefix: u8,
}

fn split_prefix(text: &str) -> Option<(&str, Option<u8>)> {
    let text = text.trim();
    match text.split_once('/') {
        None => Some((text, None)),
        Some((addr, bits)) => Some((addr.trim(), Some(bits.trim().parse().ok()?))),
    }
}

/// Parses `a.b.c.d` or `a.b.c.d/n`.
pub fn parse_v4(text: &str) -> Option<V4> {
    let (addr, prefix) = split_prefix(text)?;
    let addr: Ipv4Addr = addr.parse().ok()?;
    let prefix = prefix.unwrap_or(32);
    (prefix <= 32).then_some(V4 {
        addr: u32::from(addr),
        prefix,
    })
}

/// Parses an IPv6 or IPv4 address, optionally with a prefix.
pub fn parse_v6(text: &str) -> Option<V6> {
    let (addr, prefix) = split_prefix(text)?;
    if let Ok(v4) = addr.parse::<Ipv4Addr>() {
        let prefix = prefix.unwrap_or(32);
        return (prefix <= 32).then_some(V6 {
            addr: u128::from(v4.to_ipv6_mapped()),
            prefix: prefix + 96,
        });
    }
    let addr: Ipv6Addr = addr.parse().ok()?;
    let prefix = prefix.unwrap_or(128);
    (prefix <= 128).then_some(V6 {
        addr: u128::from(addr),
        prefix,
    })
}

fn mask_v4(addr: u32, prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        addr & (u32::MAX << (32 - u32::from(prefix)))
    }
}

fn mask_v6(addr: u128, prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        addr & (u128::MAX << (128 - u32::from(prefix)))
    }
}

/// The address as an integer after applying its own prefix (Kusto's `parse_ipv4`).
pub fn parse_ipv4(text: &str) -> Option<i64> {
    parse_v4(text).map(|ip| i64::from(mask_v4(ip.addr, ip.prefix)))
}

/// Compares two IPv4 addresses over the shortest of their prefixes and `prefix`:
/// -1, 0 or 1 (Kusto's `ipv4_compare`).
pub fn compare_v4(a: &str, b: &str, prefix: Option<u8>) -> Option<i32> {
    let (a, b) = (parse_v4(a)?, parse_v4(b)?);
    let bits = a.prefix.min(b.prefix).min(prefix.unwrap_or(32).min(32));
    Some(match mask_v4(a.addr, bits).cmp(&mask_v4(b.addr, bits)) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    })
}

/// True when two IPv4 addresses or networks match (Kusto's `ipv4_is_match`).
pub fn match_v4(a: &str, b: &str, prefix: Option<u8>) -> Option<bool> {
    compare_v4(a, b, prefix).map(|c| c == 0)
}

/// True when `ip` lies inside `range` (Kusto's `ipv4_is_in_range`).
pub fn in_range_v4(ip: &str, range: &str) -> Option<bool> {
    let (ip, range) = (parse_v4(ip)?, parse_v4(range)?);
    let bits = range.prefix.min(ip.prefix);
    Some(mask_v4(ip.addr, bits) == mask_v4(range.addr, bits))
}

/// True when `ip` is in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (Kusto's `ipv4_is_private`).
pub fn is_private_v4(ip: &str) -> Option<bool> {
    const PRIVATE: [(u32, u8); 3] = [(0x0A00_0000, 8), (0xAC10_0000, 12), (0xC0A8_0000, 16)];
    let ip = parse_v4(ip)?;
    Some(
        PRIVATE
            .iter()
            .any(|&(net, bits)| ip.prefix >= bits && mask_v4(ip.addr, bits) == net),
    )
}

/// True when two IPv6 (or IPv4) addresses or networks match (Kusto's `ipv6_is_match`).
pub fn match_v6(a: &str, b: &str, prefix: Option<u8>) -> Option<bool> {
    let (a, b) = (parse_v6(a)?, parse_v6(b)?);
    let bits = a.prefix.min(b.prefix).min(prefix.unwrap_or(128).min(128));
    Some(mask_v6(a.addr, bits) == mask_v6(b.addr, bits))
}

/// A parsed list of IPv4 networks; entries that are not IPv4 (IPv6 ranges in a mixed
/// list, blanks) are left out, so a list like the seeds' `PrivateIPRanges` with `::1/128`
/// still works for IPv4 addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct V4List(Vec<V4>);

impl V4List {
    /// Parses every entry of a list.
    pub fn parse<'a>(entries: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        V4List(entries.into_iter().flatten().filter_map(parse_v4).collect())
    }

    /// True when `ip` lies in any network of the list; `None` when `ip` is not IPv4.
    pub fn contains(&self, ip: &str) -> Option<bool> {
        let ip = parse_v4(ip)?;
        Some(self.0.iter().any(|net| {
            let bits = net.prefix.min(ip.prefix);
            mask_v4(ip.addr, bits) == mask_v4(net.addr, bits)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses_and_prefixes() {
        assert_eq!(parse_ipv4("127.0.0.1"), Some(2_130_706_433));
        assert_eq!(parse_ipv4("192.168.1.77/24"), Some(3_232_235_776));
        assert_eq!(parse_ipv4("192.168.1.1/33"), None);
        assert_eq!(parse_ipv4("300.1.1.1"), None);
        assert_eq!(parse_ipv4(""), None);
        assert_eq!(parse_ipv4("10.0.0.1/0"), Some(0));
    }

    #[test]
    fn matches_over_the_shortest_prefix() {
        assert_eq!(
            match_v4("192.168.1.1", "192.168.1.255", Some(24)),
            Some(true)
        );
        assert_eq!(
            match_v4("192.168.1.1/24", "192.168.1.255", None),
            Some(true)
        );
        assert_eq!(match_v4("192.168.1.1", "192.168.1.255", None), Some(false));
        assert_eq!(match_v4("1.2.3.4", "garbage", None), None);
        assert_eq!(compare_v4("10.0.0.2", "10.0.0.1", None), Some(1));
        assert_eq!(compare_v4("10.0.0.0", "10.0.0.1", None), Some(-1));
        assert_eq!(in_range_v4("8.8.8.8", "0.0.0.0/0"), Some(true));
        assert_eq!(in_range_v4("10.1.2.3", "10.1.2.3/32"), Some(true));
        assert_eq!(in_range_v4("10.1.2.4", "10.1.2.3/32"), Some(false));
    }

    #[test]
    fn private_ranges_are_kustos_three() {
        assert_eq!(is_private_v4("172.31.255.1"), Some(true));
        assert_eq!(is_private_v4("172.32.0.1"), Some(false));
        assert_eq!(is_private_v4("127.0.0.1"), Some(false));
        assert_eq!(is_private_v4("not an ip"), None);
    }

    #[test]
    fn ipv6_matches_and_maps_ipv4() {
        assert_eq!(
            match_v6(
                "fe80::85d:e82c:9446:7994",
                "fe80::85d:e82c:9446:7995",
                Some(127)
            ),
            Some(true)
        );
        assert_eq!(match_v6("fe80::1", "fe80::2", None), Some(false));
        assert_eq!(
            match_v6("192.168.1.1", "::ffff:c0a8:0101", None),
            Some(true)
        );
        assert_eq!(match_v6("::1", "zz", None), None);
    }

    #[test]
    fn lists_skip_entries_that_are_not_ipv4() {
        let list = V4List::parse([
            Some("10.0.0.0/8"),
            None,
            Some("::1/128"),
            Some("192.168.0.0/16"),
        ]);
        assert_eq!(list.contains("10.9.9.9"), Some(true));
        assert_eq!(list.contains("8.8.8.8"), Some(false));
        assert_eq!(list.contains("x"), None);
    }
}

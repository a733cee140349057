//! Entities an analyst pivots on (an IP, host, domain, URL, process or port), how to tell
//! which one a value is, and how to find it in a column (SQL) or a cell (Rust).

use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::Value;

use crate::kql::functions::{quote_ident, quote_str};
use crate::kql::{ColumnDef, KqlType};

/// What kind of thing a pivot value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EntityKind {
    /// An IPv4 or IPv6 address.
    Ip,
    /// A host name (matched alone or as the first label of a longer name).
    Host,
    /// A domain (matched with its subdomains and inside URLs).
    Domain,
    /// A URL, matched exactly.
    Url,
    /// A process image (matched by file name, whatever its folder).
    Process,
    /// A port number (matched in port columns).
    Port,
}

impl EntityKind {
    /// The word shown for it.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Ip => "ip",
            EntityKind::Host => "host",
            EntityKind::Domain => "domain",
            EntityKind::Url => "url",
            EntityKind::Process => "process",
            EntityKind::Port => "port",
        }
    }
}

/// A value to pivot on, with its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    /// What it is.
    pub kind: EntityKind,
    /// The value as matched (domains, hosts and processes lower-cased).
    pub value: String,
}

impl Entity {
    /// An entity of a given kind.
    pub fn new(kind: EntityKind, value: &str) -> Entity {
        let value = value.trim();
        let value = match kind {
            EntityKind::Domain => value.trim_end_matches('.').to_lowercase(),
            EntityKind::Host | EntityKind::Process => value.to_lowercase(),
            EntityKind::Ip => value
                .parse::<IpAddr>()
                .map_or_else(|_| value.to_string(), |ip| ip.to_string()),
            EntityKind::Url | EntityKind::Port => value.to_string(),
        };
        Entity { kind, value }
    }

    /// Guesses the kind of `value`, helped by the name of the column it came from.
    pub fn detect(value: &str, column: Option<&str>) -> Entity {
        let v = value.trim();
        let column = column.unwrap_or_default().to_ascii_lowercase();
        let kind = if v.parse::<IpAddr>().is_ok() {
            EntityKind::Ip
        } else if v.contains("://") {
            EntityKind::Url
        } else if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()) {
            EntityKind::Port
        } else if v.contains('\\')
            || column.contains("process")
            || column.contains("image")
            || column.contains("filename")
            || v.to_ascii_lowercase().ends_with(".exe")
        {
            EntityKind::Process
        } else if column.contains("device")
            || column.contains("computer")
            || (column.ends_with("hostname") && !column.contains("url"))
            || !v.contains('.')
        {
            EntityKind::Host
        } else {
            EntityKind::Domain
        };
        Entity::new(kind, v)
    }

    /// A SQL condition true where `column` holds this entity, or `None` when the column can't.
    pub fn column_condition(&self, column: &ColumnDef) -> Option<String> {
        let c = quote_ident(&column.name);
        let v = &self.value;
        if self.kind == EntityKind::Port {
            let named_port = column.name.to_ascii_lowercase().contains("port");
            return match column.ty {
                KqlType::Int | KqlType::Long if named_port => Some(format!("{c} = {v}")),
                KqlType::String if named_port => Some(format!("{c} = {}", quote_str(v))),
                _ => None,
            };
        }
        if column.ty != KqlType::String {
            return None;
        }
        let lower = format!("lower({c})");
        Some(match self.kind {
            EntityKind::Ip | EntityKind::Url => format!("{c} = {}", quote_str(v)),
            EntityKind::Host => format!(
                "({lower} = {} OR starts_with({lower}, {}))",
                quote_str(v),
                quote_str(&format!("{v}."))
            ),
            EntityKind::Domain => {
                let trimmed = format!("rtrim({lower}, '.')");
                format!(
                    "({trimmed} = {v0} OR ends_with({trimmed}, {dot}) OR contains({lower}, {scheme}) OR contains({lower}, {path}))",
                    v0 = quote_str(v),
                    dot = quote_str(&format!(".{v}")),
                    scheme = quote_str(&format!("://{v}")),
                    path = quote_str(&format!(".{v}/")),
                )
            }
            EntityKind::Process => format!(
                "({lower} = {} OR ends_with({lower}, {}) OR ends_with({lower}, {}))",
                quote_str(v),
                quote_str(&format!("\\{v}")),
                quote_str(&format!("/{v}"))
            ),
            EntityKind::Port => unreachable!("handled above"),
        })
    }

    /// Whether a cell's text is (or, for networks, contains) this entity.
    pub fn matches_text(&self, cell: &str) -> bool {
        let cell = cell.trim();
        let v = self.value.as_str();
        match self.kind {
            EntityKind::Ip => {
                cell == v
                    || cell.parse::<IpAddr>().is_ok_and(|ip| ip.to_string() == v)
                    || (cell.contains('/')
                        && cell
                            .parse::<IpNet>()
                            .is_ok_and(|net| v.parse::<IpAddr>().is_ok_and(|ip| net.contains(&ip))))
            }
            EntityKind::Url | EntityKind::Port => cell == v,
            EntityKind::Host => {
                let c = cell.to_lowercase();
                c == v || c.starts_with(&format!("{v}."))
            }
            EntityKind::Domain => {
                let c = cell.to_lowercase();
                let t = c.trim_end_matches('.');
                t == v
                    || t.ends_with(&format!(".{v}"))
                    || c.contains(&format!("://{v}"))
                    || c.contains(&format!(".{v}/"))
            }
            EntityKind::Process => {
                let c = cell.to_lowercase();
                c == v || c.ends_with(&format!("\\{v}")) || c.ends_with(&format!("/{v}"))
            }
        }
    }

    /// Lower-cased texts of which every cell naming the entity contains one: the value
    /// (also as JSON writes it, for cells holding JSON), and for addresses `/` (a network
    /// that holds it) and, for IPv6, `:` (another spelling of it). A prefilter for SQL.
    pub fn needles(&self) -> Vec<String> {
        let value = self.value.to_lowercase();
        let mut out = vec![value.clone()];
        let escaped = Value::String(value.clone()).to_string();
        let escaped = escaped.trim_matches('"');
        if escaped != value {
            out.push(escaped.to_string());
        }
        if self.kind == EntityKind::Ip {
            out.push("/".into());
            if value.contains(':') {
                out.push(":".into());
            }
        }
        out
    }

    /// Whether any value in a JSON row (searching inside lists) is this entity.
    pub fn matches_json(&self, value: &Value) -> bool {
        match value {
            Value::String(s) => self.matches_text(s),
            Value::Number(n) => self.matches_text(&n.to_string()),
            Value::Array(items) => items.iter().any(|v| self.matches_json(v)),
            Value::Object(fields) => fields.values().any(|v| self.matches_json(v)),
            Value::Bool(_) | Value::Null => false,
        }
    }
}

/// How many items of a list cell are offered to pivot on.
const LIST_ITEMS: usize = 20;

/// The values of a cell one can pivot on: the cell itself, or the items of a JSON list (the
/// addresses a `make_set` gathered); nothing for an empty cell, a time or very long text.
pub fn pivot_values(cell: &str) -> Vec<String> {
    let v = cell.trim();
    if v.is_empty() || v.len() >= 2_000 || is_time(v) {
        return Vec::new();
    }
    if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(v) {
        return items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s.trim().to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty() && !is_time(s))
            .take(LIST_ITEMS)
            .collect();
    }
    vec![v.to_string()]
}

/// Whether text is a date and time as quarry writes them (ISO 8601, `T` or space).
fn is_time(text: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(text).is_ok()
        || chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").is_ok()
        || chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_offer_their_items_and_times_are_not_values() {
        assert_eq!(pivot_values(" 10.0.0.5 "), vec!["10.0.0.5"]);
        assert_eq!(
            pivot_values(r#"["10.20.1.25", "10.20.1.26", 443, null, ""]"#),
            vec!["10.20.1.25", "10.20.1.26", "443"]
        );
        assert!(pivot_values("2025-11-19T16:00:00Z").is_empty());
        assert!(pivot_values("2025-11-19 16:00:00.123").is_empty());
        assert!(pivot_values("   ").is_empty());
        assert_eq!(pivot_values("[not json"), vec!["[not json"]);
        let many: Vec<String> = (0..50).map(|i| format!("\"h{i}\"")).collect();
        assert_eq!(
            pivot_values(&format!("[{}]", many.join(","))).len(),
            LIST_ITEMS
        );
    }

    #[test]
    fn kinds_are_told_apart() {
        let kind = |v: &str, c: Option<&str>| Entity::detect(v, c).kind;
        assert_eq!(kind("203.0.113.45", None), EntityKind::Ip);
        assert_eq!(kind("2001:db8::1", None), EntityKind::Ip);
        assert_eq!(kind("https://a.example/x", None), EntityKind::Url);
        assert_eq!(kind("4444", Some("RemotePort")), EntityKind::Port);
        assert_eq!(kind("C:\\Windows\\rundll32.exe", None), EntityKind::Process);
        assert_eq!(
            kind("rundll32.exe", Some("InitiatingProcessFileName")),
            EntityKind::Process
        );
        assert_eq!(kind("ws-eng-09", Some("DeviceName")), EntityKind::Host);
        assert_eq!(
            kind("ws-eng-09.corp.example", Some("DeviceName")),
            EntityKind::Host
        );
        assert_eq!(
            kind("update-msft-cdn.com", Some("QueriedDomain")),
            EntityKind::Domain
        );
    }

    #[test]
    fn cells_match_like_an_analyst_expects() {
        let ip = Entity::detect("198.51.100.23", None);
        assert!(ip.matches_text("198.51.100.23"));
        assert!(ip.matches_text("198.51.100.0/24"));
        assert!(!ip.matches_text("198.51.100.230"));
        let domain = Entity::detect("Filedrop-Sync.net", Some("Domain"));
        assert!(domain.matches_text("upload.filedrop-sync.net"));
        assert!(domain.matches_text("https://upload.filedrop-sync.net/api"));
        assert!(domain.matches_text("filedrop-sync.net."));
        assert!(!domain.matches_text("notfiledrop-sync.net"));
        let process = Entity::new(EntityKind::Process, "rundll32.exe");
        assert!(process.matches_text("C:\\Windows\\System32\\RUNDLL32.EXE"));
        assert!(!process.matches_text("xrundll32.exe"));
        let port = Entity::detect("4444", Some("RemotePort"));
        assert!(port.matches_json(&serde_json::json!({"RemotePorts": [4444]})));
        assert!(!port.matches_json(&serde_json::json!({"RemotePorts": [44444]})));
    }

    #[test]
    fn port_conditions_only_touch_port_columns() {
        let port = Entity::new(EntityKind::Port, "4444");
        let col = |name: &str, ty| ColumnDef {
            name: name.into(),
            ty,
        };
        assert_eq!(
            port.column_condition(&col("RemotePort", KqlType::Int)),
            Some("\"RemotePort\" = 4444".into())
        );
        assert_eq!(
            port.column_condition(&col("SentBytes", KqlType::Long)),
            None
        );
        let ip = Entity::new(EntityKind::Ip, "10.0.0.1");
        assert_eq!(ip.column_condition(&col("SentBytes", KqlType::Long)), None);
    }
}

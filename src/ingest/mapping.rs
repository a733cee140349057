//! Declarative source mappings: one TOML file per source kind, embedded in the binary.
//!
//! A mapping names its Sentinel table and that table's columns and types, the header columns
//! that recognise an export of it, and optionally its ASIM NetworkSession projection.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::IngestError;

/// The embedded mapping files, by file name.
const FILES: &[(&str, &str)] = &[
    (
        "common_security_log.toml",
        include_str!("mappings/common_security_log.toml"),
    ),
    ("zeek_conn.toml", include_str!("mappings/zeek_conn.toml")),
    ("zeek_dns.toml", include_str!("mappings/zeek_dns.toml")),
    ("zeek_http.toml", include_str!("mappings/zeek_http.toml")),
    ("zeek_ssl.toml", include_str!("mappings/zeek_ssl.toml")),
    (
        "device_network_events.toml",
        include_str!("mappings/device_network_events.toml"),
    ),
    ("dns_events.toml", include_str!("mappings/dns_events.toml")),
    (
        "vm_connection.toml",
        include_str!("mappings/vm_connection.toml"),
    ),
    (
        "aws_vpc_flow.toml",
        include_str!("mappings/aws_vpc_flow.toml"),
    ),
    ("event.toml", include_str!("mappings/event.toml")),
    (
        "threat_intelligence_indicator.toml",
        include_str!("mappings/threat_intelligence_indicator.toml"),
    ),
];

/// The NetworkSessions view definition and shared SQL templates.
const NETWORK_SESSION: &str = include_str!("mappings/network_session.toml");

/// One source mapping (one TOML file).
#[derive(Debug, Clone, Deserialize)]
pub struct Mapping {
    /// Target Sentinel table.
    pub table: String,
    /// Which reader feeds it natively (cef, zeek, export, vpcflow, winevent, ti).
    pub kind: String,
    /// Zeek `#path` for Zeek mappings.
    #[serde(default)]
    pub zeek_path: Option<String>,
    /// Header columns that, all present, identify an export of this table.
    #[serde(default)]
    pub signature: Vec<String>,
    /// Columns a row must have after conversion, or it is rejected.
    #[serde(default)]
    pub require: Vec<String>,
    /// "Name" (VARCHAR) or "Name:TYPE", in table order.
    columns: Vec<String>,
    /// Column → source columns tried in order when the row lacks it.
    #[serde(default)]
    pub defaults: BTreeMap<String, Vec<String>>,
    /// Column → constant text used when the row lacks it.
    #[serde(default)]
    pub constants: BTreeMap<String, String>,
    /// CEF extension key → column.
    #[serde(default)]
    pub cef: BTreeMap<String, String>,
    /// VPC flow log field → column.
    #[serde(default)]
    pub vpcflow: BTreeMap<String, String>,
    /// STIX object path → column.
    #[serde(default)]
    pub stix: BTreeMap<String, String>,
    /// Windows event settings.
    #[serde(default)]
    pub winevent: Option<WinEventSettings>,
    /// ASIM NetworkSession column → SQL over this table.
    #[serde(default)]
    pub network_session: BTreeMap<String, String>,
    /// Other table → (column → SQL over this table's converted row).
    #[serde(default)]
    pub also: BTreeMap<String, BTreeMap<String, String>>,
    /// The ASIM Dns view over this table.
    #[serde(default)]
    pub asim_dns: Option<ViewDef>,
    /// Columns whose unreadable values are kept as text in another column, not rejected.
    #[serde(default)]
    pub lenient: Option<Lenient>,
}

/// Columns whose values, when they do not fit the column type, are appended as
/// `Column=value` to a text column instead of rejecting the row.
#[derive(Debug, Clone, Deserialize)]
pub struct Lenient {
    /// The text column receiving `Column=value` pairs (`;`-separated).
    pub into: String,
    /// The lenient columns.
    pub columns: Vec<String>,
}

/// Constants for the Windows event reader.
#[derive(Debug, Clone, Deserialize)]
pub struct WinEventSettings {
    /// SourceSystem value.
    pub source_system: String,
    /// MG value.
    pub mg: String,
    /// ManagementGroupName value.
    pub management_group_name: String,
    /// sourceHealthServiceId attribute of the DataItem.
    pub source_health_service_id: String,
    /// _ResourceId value.
    pub resource_id: String,
    /// Level number → name.
    pub levels: BTreeMap<String, String>,
    /// SID → account name.
    pub sids: BTreeMap<String, String>,
    /// Sysmon event ID → title.
    pub sysmon_titles: BTreeMap<String, String>,
}

/// A view defined as one SQL expression per typed column.
#[derive(Debug, Clone, Deserialize)]
pub struct ViewDef {
    /// View name.
    pub view: String,
    /// "Name" or "Name:TYPE" in view order.
    columns: Vec<String>,
    /// Column → SQL expression.
    #[serde(default)]
    pub select: BTreeMap<String, String>,
}

impl ViewDef {
    /// The view's columns with their DuckDB types.
    pub fn columns(&self) -> Vec<(String, String)> {
        parse_columns(&self.columns)
    }
}

/// The NetworkSessions view definition.
#[derive(Debug, Deserialize)]
pub struct SessionView {
    /// View name.
    pub view: String,
    /// Views that are the same data under another name.
    pub aliases: Vec<String>,
    /// "Name" or "Name:TYPE" in view order.
    columns: Vec<String>,
    /// Column → SQL over the union applied to every source.
    pub derived: BTreeMap<String, String>,
    /// Template name → SQL with `{0}` for its argument.
    pub templates: BTreeMap<String, String>,
    /// Timestamp layouts.
    pub timestamps: Timestamps,
}

/// Timestamp layouts tried after ISO 8601 and epochs.
#[derive(Debug, Deserialize)]
pub struct Timestamps {
    /// strptime formats.
    pub formats: Vec<String>,
}

impl SessionView {
    /// The view's columns with their DuckDB types.
    pub fn columns(&self) -> Vec<(String, String)> {
        parse_columns(&self.columns)
    }

    /// Expands `{name(arg)}` templates in a SQL expression.
    pub fn expand(&self, sql: &str) -> String {
        let mut out = String::with_capacity(sql.len());
        let mut rest = sql;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let tail = &rest[start..];
            let expanded = tail.find(")}").and_then(|end| {
                let inner = &tail[1..end];
                let (name, arg) = inner.split_once('(')?;
                let template = self.templates.get(name.trim())?;
                Some((template.replace("{0}", arg.trim()), end + 2))
            });
            match expanded {
                Some((text, used)) => {
                    out.push_str(&text);
                    rest = &tail[used..];
                }
                None => {
                    out.push('{');
                    rest = &tail[1..];
                }
            }
        }
        out.push_str(rest);
        out
    }
}

impl Mapping {
    /// The table's columns with their DuckDB types.
    pub fn columns(&self) -> Vec<(String, String)> {
        parse_columns(&self.columns)
    }

    /// A mapping for a Zeek log quarry has no file for: `TimeGenerated` from `ts`, the
    /// given typed columns, anything else as text.
    pub fn generic_zeek(table: &str, columns: Vec<(String, String)>) -> Mapping {
        let mut spec = vec![
            "TimeGenerated:TIMESTAMP".to_string(),
            "ts:TIMESTAMP".to_string(),
        ];
        spec.extend(
            columns
                .into_iter()
                .filter(|(n, _)| n != "ts" && n != "TimeGenerated")
                .map(|(n, t)| format!("{n}:{t}")),
        );
        Mapping {
            table: table.to_string(),
            kind: "zeek".into(),
            zeek_path: None,
            signature: Vec::new(),
            require: vec!["TimeGenerated".into()],
            columns: spec,
            defaults: BTreeMap::from([("TimeGenerated".to_string(), vec!["ts".to_string()])]),
            constants: BTreeMap::new(),
            cef: BTreeMap::new(),
            vpcflow: BTreeMap::new(),
            stix: BTreeMap::new(),
            winevent: None,
            network_session: BTreeMap::new(),
            also: BTreeMap::new(),
            asim_dns: None,
            lenient: None,
        }
    }
}

fn parse_columns(spec: &[String]) -> Vec<(String, String)> {
    spec.iter()
        .map(|c| match c.rsplit_once(':') {
            Some((name, ty)) => (name.to_string(), ty.to_string()),
            None => (c.clone(), "VARCHAR".to_string()),
        })
        .collect()
}

/// All mappings, parsed once.
pub struct Mappings {
    /// Source mappings in file order.
    pub sources: Vec<Mapping>,
    /// The NetworkSessions view.
    pub sessions: SessionView,
}

impl Mappings {
    /// The mapping whose table is `table` (case-insensitive).
    pub fn for_table(&self, table: &str) -> Option<&Mapping> {
        self.sources
            .iter()
            .find(|m| m.table.eq_ignore_ascii_case(table))
    }

    /// The mapping of a Zeek log path (`conn`, `dns`, …).
    pub fn for_zeek_path(&self, path: &str) -> Option<&Mapping> {
        self.sources
            .iter()
            .find(|m| m.zeek_path.as_deref() == Some(path))
    }

    /// The mapping of a given reader kind (first one).
    pub fn for_kind(&self, kind: &str) -> Option<&Mapping> {
        self.sources.iter().find(|m| m.kind == kind)
    }

    /// The table recognised from an export's header: the mapping whose whole signature is
    /// present, preferring the longest signature.
    pub fn recognise(&self, header: &[String]) -> Option<&Mapping> {
        self.sources
            .iter()
            .filter(|m| !m.signature.is_empty())
            .filter(|m| m.signature.iter().all(|s| header.iter().any(|h| h == s)))
            .max_by_key(|m| m.signature.len())
    }
}

/// The parsed mappings (parsed on first use; the files are part of the binary).
pub fn mappings() -> Result<&'static Mappings, IngestError> {
    static CELL: OnceLock<Result<Mappings, String>> = OnceLock::new();
    CELL.get_or_init(load)
        .as_ref()
        .map_err(|e| IngestError::Mapping(e.clone()))
}

fn load() -> Result<Mappings, String> {
    let mut sources = Vec::new();
    for (name, text) in FILES {
        let m: Mapping = toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        sources.push(m);
    }
    let sessions: SessionView =
        toml::from_str(NETWORK_SESSION).map_err(|e| format!("network_session.toml: {e}"))?;
    Ok(Mappings { sources, sessions })
}

/// Zeek TSV `#path` → table name: mapped paths use their mapping, others `Zeek<Path>`.
pub fn zeek_table_name(path: &str) -> String {
    if let Ok(m) = mappings() {
        if let Some(m) = m.for_zeek_path(path) {
            return m.table.clone();
        }
    }
    let mut name = String::from("Zeek");
    for part in path.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.extend(chars);
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_mappings_parse() {
        let m = mappings().expect("mappings parse");
        assert!(m.for_table("CommonSecurityLog").is_some());
        assert!(m.for_zeek_path("dns").is_some());
        assert_eq!(
            m.for_kind("vpcflow").map(|m| m.table.as_str()),
            Some("AWSVPCFlow")
        );
    }

    #[test]
    fn templates_expand() {
        let m = mappings().expect("mappings parse");
        let sql = m.sessions.expand("x AND {private_ip(SrcIpAddr)}");
        assert!(sql.starts_with("x AND regexp_matches(coalesce(SrcIpAddr, ''),"));
        assert_eq!(m.sessions.expand("{nope}"), "{nope}");
    }

    #[test]
    fn zeek_names() {
        assert_eq!(zeek_table_name("conn"), "ZeekConn");
        assert_eq!(zeek_table_name("rdp"), "ZeekRdp");
        assert_eq!(zeek_table_name("known_hosts"), "ZeekKnownHosts");
    }
}

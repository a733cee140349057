//! Reading one hunt file: Sentinel hunting-query YAML, or a plain `.kql` file.

use std::collections::BTreeMap;

use quarry_kql as kql;
use serde::Deserialize;

use super::{BrokenHunt, Hunt, ParamMeta, WatchlistSpec};

/// A `requiredDataConnectors` entry: the tables it brings.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connector {
    #[serde(default)]
    data_types: Vec<String>,
}

/// One `fieldMappings` entry of an entity mapping.
#[derive(Deserialize)]
struct FieldMapping {
    identifier: String,
    #[serde(rename = "columnName")]
    column_name: String,
}

/// An `entityMappings` entry.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntityMapping {
    entity_type: String,
    #[serde(default)]
    field_mappings: Vec<FieldMapping>,
}

/// The YAML document: Sentinel's keys plus quarry's `params`, `drilldown`, `watchlists`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HuntYaml {
    id: String,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    tactics: Vec<String>,
    #[serde(default)]
    relevant_techniques: Vec<String>,
    #[serde(default)]
    required_data_connectors: Vec<Connector>,
    query: String,
    #[serde(default)]
    entity_mappings: Vec<EntityMapping>,
    #[serde(default)]
    params: BTreeMap<String, ParamMeta>,
    #[serde(default)]
    drilldown: Option<String>,
    #[serde(default)]
    watchlists: Vec<WatchlistSpec>,
}

/// A [`BrokenHunt`] at `line`:`column` of `origin`.
fn broken(origin: &str, line: usize, column: usize, message: impl Into<String>) -> BrokenHunt {
    BrokenHunt {
        origin: origin.to_string(),
        line,
        column,
        message: message.into(),
    }
}

/// The 1-based line where the `query:` value starts (the line after a `query: |`).
fn query_line(text: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with("query:"))
        .map_or(1, |i| {
            let inline = text.lines().nth(i).is_some_and(|l| {
                let v = l.trim_start_matches("query:").trim();
                !v.is_empty() && !v.starts_with('|') && !v.starts_with('>')
            });
            if inline {
                i + 1
            } else {
                i + 2
            }
        })
}

/// Checks the KQL syntax; an error points into the file.
fn check_syntax(
    origin: &str,
    query: &str,
    first_line: usize,
    indent: usize,
) -> Result<(), BrokenHunt> {
    kql::parser::parse(query).map(|_| ()).map_err(|d| {
        let (line, col) = kql::diag::line_col(query, d.span.start);
        broken(origin, first_line + line - 1, col + indent, d.message)
    })
}

/// Parses a Sentinel hunting-query YAML file.
pub fn parse_yaml(origin: &str, text: &str) -> Result<Hunt, BrokenHunt> {
    let doc: HuntYaml = serde_yaml_ng::from_str(text).map_err(|e| {
        let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        broken(origin, line, col, e.to_string())
    })?;
    let first = query_line(text);
    let indent = text
        .lines()
        .nth(first - 1)
        .map_or(0, |l| l.len() - l.trim_start().len());
    check_syntax(origin, &doc.query, first, indent)?;
    let mut tables: Vec<String> = doc
        .required_data_connectors
        .into_iter()
        .flat_map(|c| c.data_types)
        .collect();
    tables.dedup();
    Ok(Hunt {
        id: doc.id,
        name: doc.name,
        description: doc.description.trim().to_string(),
        tactics: doc.tactics,
        techniques: doc.relevant_techniques,
        tables,
        query: doc.query,
        query_line: first,
        params: doc.params,
        drilldown: doc.drilldown,
        watchlists: doc.watchlists,
        entities: doc
            .entity_mappings
            .into_iter()
            .flat_map(|m| {
                let t = m.entity_type;
                m.field_mappings
                    .into_iter()
                    .map(move |f| (t.clone(), f.identifier, f.column_name))
            })
            .collect(),
        origin: origin.to_string(),
    })
}

/// Parses a plain `.kql` hunt: the id is the file stem, the name the first comment line.
pub fn parse_kql(origin: &str, stem: &str, text: &str) -> Result<Hunt, BrokenHunt> {
    check_syntax(origin, text, 1, 1)?;
    let name = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("//"))
        .map(|l| l.trim_start_matches('/').trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| stem.to_string());
    Ok(Hunt {
        id: stem.to_string(),
        name,
        description: String::new(),
        tactics: Vec::new(),
        techniques: Vec::new(),
        tables: Vec::new(),
        query: text.to_string(),
        query_line: 1,
        params: BTreeMap::new(),
        drilldown: None,
        watchlists: Vec::new(),
        entities: Vec::new(),
        origin: origin.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_errors_and_kql_errors_point_into_the_file() {
        let e = parse_yaml("x.yaml", "id: a\nname: [unclosed\nquery: T\n").unwrap_err();
        assert_eq!(e.origin, "x.yaml");
        assert!(e.line >= 2, "{e}");
        let e = parse_yaml("y.yaml", "id: a\nname: b\nquery: |\n  T\n  | where (x\n").unwrap_err();
        assert_eq!(e.line, 5, "{e}");
        let e = parse_kql("z.kql", "z", "// z\nT | where").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }

    #[test]
    fn kql_hunts_take_their_name_from_the_first_comment() {
        let h = parse_kql("a.kql", "a", "// Beacons to rare hosts\nT | take 1").unwrap();
        assert_eq!(h.name, "Beacons to rare hosts");
        assert_eq!(h.id, "a");
    }
}

//! MITRE ATT&CK coverage: which tactics and techniques the loaded hunts cover, and how many
//! hits each has on this case. Technique names come from a small table shipped with quarry
//! (`attack.toml`), so it works offline.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::hunts::run::{RunResult, Status};
use crate::hunts::Hunt;

/// A tactic of the ATT&CK table.
#[derive(Debug, Clone, Deserialize)]
pub struct Tactic {
    /// The name Sentinel hunts use (`CommandAndControl`).
    pub key: String,
    /// ATT&CK id (`TA0011`).
    pub id: String,
    /// Display name.
    pub name: String,
}

/// A technique of the ATT&CK table.
#[derive(Debug, Clone, Deserialize)]
pub struct Technique {
    /// Display name.
    pub name: String,
    /// Tactic keys it serves.
    pub tactics: Vec<String>,
}

/// The shipped ATT&CK table.
#[derive(Debug, Deserialize)]
pub struct Attack {
    /// Tactics in kill-chain order.
    pub tactics: Vec<Tactic>,
    /// Techniques by id.
    pub techniques: BTreeMap<String, Technique>,
}

/// The shipped table, parsed once.
pub fn attack() -> &'static Attack {
    static TABLE: OnceLock<Attack> = OnceLock::new();
    TABLE.get_or_init(|| {
        toml::from_str(include_str!("attack.toml")).expect("attack.toml is valid (tested)")
    })
}

/// A hunt under a technique, with its hits on this case (`None`: not run or failed).
#[derive(Debug, Clone, PartialEq)]
pub struct CoveringHunt {
    /// Hunt id.
    pub id: String,
    /// Hits in its latest run.
    pub hits: Option<usize>,
}

/// One technique under a tactic.
#[derive(Debug, Clone)]
pub struct TechniqueRow {
    /// Technique id, or empty for hunts that name the tactic alone.
    pub id: String,
    /// Its name (from the table; "unknown technique" when the table lacks it).
    pub name: String,
    /// Hunts covering it.
    pub hunts: Vec<CoveringHunt>,
}

/// One tactic and what covers it.
#[derive(Debug, Clone)]
pub struct TacticRow {
    /// The tactic.
    pub tactic: Tactic,
    /// Techniques covered under it (empty: not covered).
    pub techniques: Vec<TechniqueRow>,
}

impl TacticRow {
    /// Total hits of the hunts under this tactic (each hunt counted once).
    pub fn hits(&self) -> usize {
        let mut seen = BTreeMap::new();
        for h in self.techniques.iter().flat_map(|t| &t.hunts) {
            seen.insert(h.id.as_str(), h.hits.unwrap_or(0));
        }
        seen.values().sum()
    }
}

/// What coverage needs of one hunt.
#[derive(Debug, Clone)]
pub struct HuntTags {
    /// Hunt id.
    pub id: String,
    /// Its tactics (Sentinel names).
    pub tactics: Vec<String>,
    /// Its technique ids.
    pub techniques: Vec<String>,
    /// Hits of its latest run (`None`: not run, or it failed).
    pub hits: Option<usize>,
}

/// The tags of `hunts` with the hit counts of `runs`.
pub fn tags_of(hunts: &[Hunt], runs: &[RunResult]) -> Vec<HuntTags> {
    hunts
        .iter()
        .map(|h| HuntTags {
            id: h.id.clone(),
            tactics: h.tactics.clone(),
            techniques: h.techniques.clone(),
            hits: runs
                .iter()
                .find(|r| r.id == h.id)
                .filter(|r| matches!(r.status, Status::Hits | Status::NoHits))
                .map(|r| r.hit_count),
        })
        .collect()
}

/// Lays `hunts` over the ATT&CK table: every tactic with the techniques covered under it.
pub fn coverage(hunts: &[HuntTags]) -> Vec<TacticRow> {
    let table = attack();
    let mut by_tactic: BTreeMap<String, BTreeMap<String, Vec<CoveringHunt>>> = BTreeMap::new();
    for hunt in hunts {
        let covering = CoveringHunt {
            id: hunt.id.clone(),
            hits: hunt.hits,
        };
        let mut placed = false;
        for technique in &hunt.techniques {
            let known = lookup(technique);
            let served: Vec<String> = match known {
                Some(t) => {
                    let both: Vec<String> = hunt
                        .tactics
                        .iter()
                        .filter(|k| t.tactics.contains(k))
                        .cloned()
                        .collect();
                    if both.is_empty() {
                        t.tactics.clone()
                    } else {
                        both
                    }
                }
                None => hunt.tactics.clone(),
            };
            for tactic in served {
                by_tactic
                    .entry(tactic)
                    .or_default()
                    .entry(technique.clone())
                    .or_default()
                    .push(covering.clone());
                placed = true;
            }
        }
        if !placed {
            for tactic in &hunt.tactics {
                by_tactic
                    .entry(tactic.clone())
                    .or_default()
                    .entry(String::new())
                    .or_default()
                    .push(covering.clone());
            }
        }
    }
    table
        .tactics
        .iter()
        .map(|tactic| TacticRow {
            tactic: tactic.clone(),
            techniques: by_tactic
                .remove(&tactic.key)
                .unwrap_or_default()
                .into_iter()
                .map(|(id, hunts)| TechniqueRow {
                    name: if id.is_empty() {
                        "(no technique named)".into()
                    } else {
                        lookup(&id).map_or_else(|| "unknown technique".into(), |t| t.name.clone())
                    },
                    id,
                    hunts,
                })
                .collect(),
        })
        .collect()
}

/// A technique by id; a sub-technique the table lacks falls back to its parent's name.
fn lookup(id: &str) -> Option<&'static Technique> {
    let table = attack();
    table
        .techniques
        .get(id)
        .or_else(|| table.techniques.get(id.split('.').next()?))
}

/// The JSON form of `quarry coverage --json` and the report.
pub fn to_json(rows: &[TacticRow]) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| {
                json!({
                    "tactic": r.tactic.name, "id": r.tactic.id, "hits": r.hits(),
                    "techniques": r.techniques.iter().map(|t| json!({
                        "id": t.id, "name": t.name,
                        "hunts": t.hunts.iter().map(|h| json!({"id": h.id, "hits": h.hits})).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// Coverage as text lines: one per tactic, then one per technique under it.
pub fn text(rows: &[TacticRow]) -> Vec<String> {
    let mut out = Vec::new();
    for r in rows {
        if r.techniques.is_empty() {
            out.push(format!("{} ({})  not covered", r.tactic.name, r.tactic.id));
            continue;
        }
        let hunts: usize = r.techniques.iter().map(|t| t.hunts.len()).sum();
        out.push(format!(
            "{} ({})  {} technique(s), {hunts} hunt(s), {} hit(s)",
            r.tactic.name,
            r.tactic.id,
            r.techniques.iter().filter(|t| !t.id.is_empty()).count(),
            r.hits()
        ));
        for t in &r.techniques {
            let hunts: Vec<String> = t
                .hunts
                .iter()
                .map(|h| match h.hits {
                    Some(n) => format!("{} ({n})", h.id),
                    None => format!("{} (not run)", h.id),
                })
                .collect();
            out.push(format!(
                "  {:<10} {:<44} {}",
                t.id,
                t.name,
                hunts.join(", ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_names_its_tactics() {
        let table = attack();
        assert_eq!(table.tactics.len(), 14);
        for t in table.techniques.values() {
            for k in &t.tactics {
                assert!(
                    table.tactics.iter().any(|x| &x.key == k),
                    "{} names unknown tactic {k}",
                    t.name
                );
            }
        }
        assert_eq!(
            lookup("T1071.004").unwrap().name,
            "Application Layer Protocol: DNS"
        );
        assert_eq!(
            lookup("T1071.999").unwrap().name,
            "Application Layer Protocol"
        );
    }
}

//! The ASIM views: NetworkSessions (and `_Im_NetworkSession`) over every loaded session
//! source through its mapping's projection, and `_Im_Dns` over DnsEvents.

use super::commit::table_columns;
use super::mapping::{mappings, Mapping, SessionView};
use super::sql::ident;
use super::IngestError;
use crate::engine::Case;

/// Recreates NetworkSessions, `_Im_NetworkSession` and `_Im_Dns` over the tables that exist
/// (empty, typed views when none does).
pub fn rebuild_views(case: &Case) -> Result<(), IngestError> {
    let conn = case.conn();
    let all = mappings()?;
    let sessions = &all.sessions;
    let columns = sessions.columns();
    let mut branches = Vec::new();
    for m in all.sources.iter().filter(|m| !m.network_session.is_empty()) {
        if let Some((table, _)) = table_columns(conn, &m.table)? {
            branches.push(branch(sessions, m, &table, &columns));
        }
    }
    if branches.is_empty() {
        branches.push(empty_select(&columns));
    }
    let union = branches.join("\nUNION ALL BY NAME\n");
    let outer: Vec<String> = columns
        .iter()
        .map(|(name, ty)| match sessions.derived.get(name) {
            Some(expr) => format!(
                "CAST(({}) AS {ty}) AS {}",
                sessions.expand(expr),
                ident(name)
            ),
            None => ident(name),
        })
        .collect();
    let mut sql = format!(
        "CREATE OR REPLACE VIEW {} AS SELECT {} FROM (\n{union}\n);\n",
        ident(&sessions.view),
        outer.join(", ")
    );
    for alias in &sessions.aliases {
        sql.push_str(&format!(
            "CREATE OR REPLACE VIEW {} AS SELECT * FROM {};\n",
            ident(alias),
            ident(&sessions.view)
        ));
    }
    for m in &all.sources {
        if let Some(def) = &m.asim_dns {
            let cols = def.columns();
            let body = match table_columns(conn, &m.table)? {
                Some((table, _)) => {
                    let select: Vec<String> = cols
                        .iter()
                        .map(|(name, ty)| {
                            let expr = def.select.get(name).map(|e| sessions.expand(e));
                            match expr {
                                Some(e) => format!("TRY_CAST(({e}) AS {ty}) AS {}", ident(name)),
                                None => format!("CAST(NULL AS {ty}) AS {}", ident(name)),
                            }
                        })
                        .collect();
                    format!("SELECT {} FROM {}", select.join(", "), ident(&table))
                }
                None => empty_select(&cols),
            };
            sql.push_str(&format!(
                "CREATE OR REPLACE VIEW {} AS {body};\n",
                ident(&def.view)
            ));
        }
    }
    conn.execute_batch(&sql)?;
    Ok(())
}

/// One source's SELECT with every view column (NULL where the mapping has none).
fn branch(
    sessions: &SessionView,
    m: &Mapping,
    table: &str,
    columns: &[(String, String)],
) -> String {
    let select: Vec<String> = columns
        .iter()
        .map(|(name, ty)| {
            let expr = m.network_session.get(name).map(|e| sessions.expand(e));
            match expr {
                Some(e) => format!("TRY_CAST(({e}) AS {ty}) AS {}", ident(name)),
                None => format!("CAST(NULL AS {ty}) AS {}", ident(name)),
            }
        })
        .collect();
    format!("SELECT {} FROM {}", select.join(", "), ident(table))
}

fn empty_select(columns: &[(String, String)]) -> String {
    let select: Vec<String> = columns
        .iter()
        .map(|(name, ty)| format!("CAST(NULL AS {ty}) AS {}", ident(name)))
        .collect();
    format!("SELECT {} WHERE false", select.join(", "))
}

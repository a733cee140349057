//! The ASIM views: NetworkSessions (and `_Im_NetworkSession`) over every loaded session
//! source through its mapping's projection, and `_Im_Dns` over DnsEvents.

use super::commit::{table_columns, Columns};
use super::mapping::{mappings, Mapping, SessionView};
use super::sql::ident;
use super::IngestError;
use crate::engine::hasterm::has_term;
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
        if let Some((table, stored)) = table_columns(conn, &m.table)? {
            let exprs: Vec<String> = m
                .network_session
                .values()
                .map(|e| sessions.expand(e))
                .collect();
            let from = stored_rows(m, &table, &stored, &exprs);
            branches.push(branch(sessions, m, &from, &columns));
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
                Some((table, stored)) => {
                    let exprs: Vec<String> =
                        def.select.values().map(|e| sessions.expand(e)).collect();
                    let from = stored_rows(m, &table, &stored, &exprs);
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
                    format!("SELECT {} FROM {from}", select.join(", "))
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

/// The rows of a source's stored table for a view's expressions `exprs`, read from the
/// stored table itself rather than through the table's view: binding every column of a
/// wide view (CommonSecurityLog's 157) cost each query reading NetworkSessions milliseconds.
/// A column of the table's schema that was never stored is a typed NULL, when an expression
/// may read it (its name appears in one as a whole term, in any case).
fn stored_rows(m: &Mapping, table: &str, stored: &Columns, exprs: &[String]) -> String {
    let stored_table = crate::engine::stored::qualified(table);
    let missing: Vec<String> = m
        .columns()
        .into_iter()
        .filter(|(c, _)| !stored.iter().any(|(s, _)| s.eq_ignore_ascii_case(c)))
        .filter(|(c, _)| exprs.iter().any(|e| has_term(e, c, true)))
        .map(|(c, ty)| format!("CAST(NULL AS {ty}) AS {}", ident(&c)))
        .collect();
    if missing.is_empty() {
        stored_table
    } else {
        format!("(SELECT *, {} FROM {stored_table})", missing.join(", "))
    }
}

/// One source's SELECT from `from` with every view column (NULL where the mapping has none).
fn branch(sessions: &SessionView, m: &Mapping, from: &str, columns: &[(String, String)]) -> String {
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
    format!("SELECT {} FROM {from}", select.join(", "))
}

fn empty_select(columns: &[(String, String)]) -> String {
    let select: Vec<String> = columns
        .iter()
        .map(|(name, ty)| format!("CAST(NULL AS {ty}) AS {}", ident(name)))
        .collect();
    format!("SELECT {} WHERE false", select.join(", "))
}

#[cfg(test)]
mod tests {
    use super::has_term;

    #[test]
    fn a_column_is_mentioned_as_a_whole_word() {
        let mentions = |expr: &str, name: &str| has_term(expr, name, true);
        assert!(mentions("coalesce(DeviceName, Computer)", "computer"));
        assert!(mentions("\"id.orig_h\"", "id.orig_h"));
        assert!(!mentions("coalesce(DeviceName, Computer)", "Device"));
        assert!(!mentions("SourceIP", "IP"));
    }
}

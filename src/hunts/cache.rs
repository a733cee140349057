//! The threshold fast path. A hunt that summarizes and then filters the aggregate (`summarize
//! ... | where Count > threshold`) keeps the output of its last `summarize` in a temporary
//! table, keyed by the exact SQL that produced it. A re-run whose aggregate SQL is unchanged
//! (only the stages after it changed, as a threshold edit does) reads the kept table instead
//! of scanning the logs again. A parameter used before the `summarize` changes that SQL, so
//! it misses; loads, watchlist edits and clock changes clear the cache through
//! [`AggregateCache::clear`].

use std::collections::{BTreeSet, HashMap, VecDeque};

use duckdb::Connection;
use regex::Regex;

use crate::kql::sqlgen::used_ctes;
use crate::kql::Compiled;

/// How many aggregates are kept at once; the oldest is dropped first.
const CAPACITY: usize = 24;

/// How a run used the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// The hunt has no stage after its last `summarize`: it ran as compiled.
    NotApplicable,
    /// The aggregate was computed and kept for the next run.
    Stored,
    /// The kept aggregate was read; the logs were not scanned.
    Hit,
}

/// A query split at its last `summarize`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// SQL computing the aggregate on its own (the cache key).
    pub aggregate: String,
    /// The CTE name of the aggregate, quoted.
    pub cte: String,
    /// Index of the aggregate's definition in `Compiled::ctes`.
    index: usize,
}

/// Splits `compiled` at its last `summarize` when stages follow it.
pub fn split(compiled: &Compiled) -> Option<Split> {
    let info = compiled.last_summarize.as_ref()?;
    if info.stage + 1 >= compiled.stages.len() {
        return None;
    }
    let cte = compiled.stages.get(info.stage)?.cte.clone();
    let names: Vec<&str> = compiled
        .ctes
        .iter()
        .map(|c| c.split(" AS (").next().unwrap_or_default())
        .collect();
    let index = names.iter().position(|n| *n == cte)?;
    // A query that ends with its aggregate has nothing after it to re-run.
    let read = used_ctes(&compiled.ctes, &compiled.select);
    if !read.iter().any(|c| c.starts_with(&format!("{cte} AS ("))) {
        return None;
    }
    let reference = Regex::new(r#""s\d+""#).ok()?;
    // What each CTE reads, directly: earlier CTEs by index, or something else (a table).
    let reads: Vec<(BTreeSet<usize>, bool)> = compiled
        .ctes
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let body = text.split_once(" AS (").map_or("", |(_, b)| b);
            let ctes: BTreeSet<usize> = reference
                .find_iter(body)
                .filter_map(|m| names.iter().position(|n| *n == m.as_str()))
                .filter(|&j| j < i)
                .collect();
            (ctes, !reads_only_ctes(body, &names))
        })
        .collect();
    // Worth it only when everything after the aggregate is computed from it: a later stage
    // that scans logs again (a join back to the events, say) would redo the expensive part.
    let later_scans = (index + 1..compiled.ctes.len())
        .any(|i| reads[i].1 || reads[i].0.iter().any(|&j| j < index));
    if later_scans {
        return None;
    }
    let body = used_ctes(&compiled.ctes, &cte);
    Some(Split {
        aggregate: format!("WITH {}\nSELECT * FROM {cte}", body.join(",\n")),
        cte,
        index,
    })
}

/// Whether everything `body` reads (after each `FROM` and `JOIN`) is one of the CTEs.
fn reads_only_ctes(body: &str, names: &[&str]) -> bool {
    [" FROM ", " JOIN "].iter().all(|kw| {
        body.match_indices(kw).all(|(at, _)| {
            let rest = &body[at + kw.len()..];
            let source = match rest.strip_prefix('"') {
                Some(quoted) => quoted.find('"').map_or(rest, |e| &rest[..e + 2]),
                None => rest.split([' ', ',', ')']).next().unwrap_or(rest),
            };
            names.contains(&source)
        })
    })
}

/// `compiled`'s SQL with the aggregate's definition replaced by a read of `table`.
fn rewrite(compiled: &Compiled, split: &Split, table: &str) -> Option<String> {
    let mut ctes = compiled.ctes.clone();
    *ctes.get_mut(split.index)? = format!("{} AS (SELECT * FROM {table})", split.cte);
    Some(format!("WITH {}\n{}", ctes.join(",\n"), compiled.select))
}

/// Aggregates of earlier runs, as temporary tables of one connection.
#[derive(Debug, Default)]
pub struct AggregateCache {
    tables: HashMap<String, String>,
    order: VecDeque<String>,
    counter: usize,
}

impl AggregateCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The SQL to run for `compiled` on `conn`, computing and keeping its aggregate first
    /// when it is not kept yet.
    pub fn prepare(
        &mut self,
        conn: &Connection,
        compiled: &Compiled,
    ) -> duckdb::Result<(String, Reuse)> {
        let Some(split) = split(compiled) else {
            return Ok((compiled.sql.clone(), Reuse::NotApplicable));
        };
        if let Some(table) = self.tables.get(&split.aggregate) {
            if let Some(sql) = rewrite(compiled, &split, table) {
                return Ok((sql, Reuse::Hit));
            }
        }
        self.counter += 1;
        let table = format!("quarry_aggregate_{}", self.counter);
        conn.execute_batch(&format!(
            "CREATE OR REPLACE TEMP TABLE {table} AS {}",
            split.aggregate
        ))?;
        let Some(sql) = rewrite(compiled, &split, &table) else {
            let _ = conn.execute_batch(&format!("DROP TABLE IF EXISTS temp.{table}"));
            return Ok((compiled.sql.clone(), Reuse::NotApplicable));
        };
        self.tables.insert(split.aggregate.clone(), table);
        self.order.push_back(split.aggregate);
        while self.order.len() > CAPACITY {
            if let Some(old) = self.order.pop_front() {
                if let Some(t) = self.tables.remove(&old) {
                    let _ = conn.execute_batch(&format!("DROP TABLE IF EXISTS temp.{t}"));
                }
            }
        }
        Ok((sql, Reuse::Stored))
    }

    /// Drops every kept aggregate: the data they summarize may have changed.
    pub fn clear(&mut self, conn: &Connection) {
        for (_, t) in self.tables.drain() {
            let _ = conn.execute_batch(&format!("DROP TABLE IF EXISTS temp.{t}"));
        }
        self.order.clear();
    }

    /// How many aggregates are kept.
    pub fn len(&self) -> usize {
        self.tables.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }
}

//! Group first, compute after: `extend X = f(K) | where p(X, K) | summarize ... by X, K`, where
//! `f` and `p` read only group keys, gives the same rows as `summarize ... by K | extend X =
//! f(K) | where p(X, K)` with the keys in their first order. The second computes `f` and
//! tests `p` once per group instead of once per row. Hunts write the first (a registered
//! domain extracted from every session's host name, then tested against a list).

use std::collections::BTreeSet;

use super::ast::*;
use super::demand::visit;
use super::sqlgen::Gen;

/// Calls whose value depends on the row's place or on chance: never moved.
const ROW_BOUND: &[&str] = &["prev", "next", "rand", "new_guid"];

impl Gen<'_> {
    /// `ops` with the first `extend | where* | summarize` that can group first rewritten so
    /// (see the module doc), or `None` when none can.
    pub(super) fn keys_first(&self, ops: &[Op]) -> Option<Vec<Op>> {
        (0..ops.len()).find_map(|i| self.regroup_at(ops, i))
    }

    fn regroup_at(&self, ops: &[Op], i: usize) -> Option<Vec<Op>> {
        let OpKind::Extend(assigns) = &ops.get(i)?.kind else {
            return None;
        };
        let wheres = ops[i + 1..]
            .iter()
            .take_while(|o| matches!(o.kind, OpKind::Where(_)))
            .count();
        let at = i + 1 + wheres;
        let OpKind::Summarize { aggs, by } = &ops.get(at)?.kind else {
            return None;
        };
        // Every key is a column by its own name.
        let keys: Vec<&str> = by
            .iter()
            .map(|k| match (&k.name, &k.expr.kind) {
                (None, ExprKind::Name(n)) => Some(n.as_str()),
                _ => None,
            })
            .collect::<Option<_>>()?;
        // Every computed column is a key, made from the other keys only.
        let made: BTreeSet<&str> = assigns
            .iter()
            .map(|a| a.name.as_ref().map(|(n, _)| n.as_str()))
            .collect::<Option<_>>()?;
        let kept: BTreeSet<&str> = keys.iter().copied().filter(|k| !made.contains(k)).collect();
        if !made.iter().all(|m| keys.contains(m)) || kept.is_empty() {
            return None;
        }
        if !assigns.iter().all(|a| self.reads_only(&a.expr, &kept)) {
            return None;
        }
        let all_keys: BTreeSet<&str> = keys.iter().copied().collect();
        let filters_ok = ops[i + 1..at].iter().all(|o| match &o.kind {
            OpKind::Where(p) => self.reads_only(p, &all_keys),
            _ => false,
        });
        // The aggregations must not read what is computed after them.
        let aggs_ok = aggs.iter().all(|a| {
            let mut named = BTreeSet::new();
            super::sqlgen::names(&a.expr, &mut named);
            let mut star = false;
            visit(&a.expr, &mut |x| {
                star |= matches!(x.kind, ExprKind::Star | ExprKind::AnyColumnHas(_))
            });
            !star && named.iter().all(|n| !made.contains(n.as_str()))
        });
        if !filters_ok || !aggs_ok {
            return None;
        }
        let summarize = &ops[at];
        let mut out = ops[..i].to_vec();
        out.push(Op {
            kind: OpKind::Summarize {
                aggs: aggs.clone(),
                by: by
                    .iter()
                    .filter(
                        |k| matches!(&k.expr.kind, ExprKind::Name(n) if kept.contains(n.as_str())),
                    )
                    .cloned()
                    .collect(),
            },
            span: summarize.span.clone(),
        });
        out.extend(ops[i..at].iter().cloned());
        out.push(Op {
            kind: OpKind::ProjectReorder(
                keys.iter()
                    .map(|k| (k.to_string(), summarize.span.clone()))
                    .collect(),
            ),
            span: summarize.span.clone(),
        });
        out.extend(ops[at + 1..].iter().cloned());
        Some(out)
    }

    /// Whether `e` reads no column outside `columns` (names bound by `let` or a function's
    /// parameters are values, not columns) and calls nothing bound to the row's place.
    fn reads_only(&self, e: &Expr, columns: &BTreeSet<&str>) -> bool {
        let mut ok = true;
        visit(e, &mut |x| match &x.kind {
            ExprKind::Name(n) => {
                let value = self.scalars.contains_key(n)
                    || self.tables.contains_key(n)
                    || self.locals.iter().any(|l| l.contains_key(n));
                ok &= value || columns.contains(n.as_str());
            }
            ExprKind::Call(f, _, _) => {
                ok &= !ROW_BOUND.contains(&f.as_str())
                    && !f.starts_with("row_")
                    && !self.functions.contains_key(f);
            }
            ExprKind::Star | ExprKind::AnyColumnHas(_) => ok = false,
            _ => {}
        });
        ok
    }
}

//! Column demand: which columns a pipeline reads from its source, worked out backwards from
//! what reads its result. A table source is then bound with only those columns, which keeps
//! DuckDB from binding every column of a wide table (CommonSecurityLog has 157) through each
//! stage of a join or a union.

use std::collections::{BTreeSet, HashMap};

use super::ast::*;
use super::lexer::Span;
use super::reshape::JOIN_KINDS;
use super::sqlgen::{names, Gen};

/// The columns read from a relation.
#[derive(Debug, Clone, PartialEq)]
pub enum Demand {
    /// Every column: the rows are the result, or an operator reads columns it does not name.
    All,
    /// Only these names. Extra names (of later columns, of `let`s) are harmless.
    Names(BTreeSet<String>),
}

impl Demand {
    /// No column at all (`count`).
    fn nothing() -> Demand {
        Demand::Names(BTreeSet::new())
    }

    /// This demand plus the names an operator reads; `None` (unknown names) gives `All`.
    fn plus(self, read: Option<BTreeSet<String>>) -> Demand {
        match (self, read) {
            (Demand::Names(mut have), Some(more)) => {
                have.extend(more);
                Demand::Names(have)
            }
            _ => Demand::All,
        }
    }

    /// Adds the name each join-renamed column (`Name1`, `Name2`) was made from, so a column
    /// that forces the rename on the other side is kept and the rename still happens.
    fn with_unrenamed(self) -> Demand {
        match self {
            Demand::All => Demand::All,
            Demand::Names(have) => {
                let bases: Vec<String> = have
                    .iter()
                    .map(|n| n.trim_end_matches(|c: char| c.is_ascii_digit()))
                    .filter(|b| !b.is_empty())
                    .map(str::to_string)
                    .collect();
                Demand::Names(have.into_iter().chain(bases).collect())
            }
        }
    }

    /// Whether column `name` is read.
    pub fn wants(&self, name: &str) -> bool {
        match self {
            Demand::All => true,
            Demand::Names(have) => have.contains(name),
        }
    }
}

/// Calls `f` on `e` and on every expression inside it (not inside `toscalar()`).
pub(super) fn visit<'e>(e: &'e Expr, f: &mut impl FnMut(&'e Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Lit(_)
        | ExprKind::Name(_)
        | ExprKind::NullDynamic
        | ExprKind::Star
        | ExprKind::ToScalar(_)
        | ExprKind::AnyColumnHas(_) => {}
        ExprKind::Call(_, _, args) | ExprKind::Dynamic(args) => {
            args.iter().for_each(|a| visit(a, f))
        }
        ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) | ExprKind::Matches(a, b) => {
            visit(a, f);
            visit(b, f);
        }
        ExprKind::Neg(a) | ExprKind::Member(a, _) => visit(a, f),
        ExprKind::In { expr, list, .. } | ExprKind::HasAny { expr, list, .. } => {
            visit(expr, f);
            list.iter().for_each(|a| visit(a, f));
        }
        ExprKind::Between { expr, lo, hi, .. } => {
            visit(expr, f);
            visit(lo, f);
            visit(hi, f);
        }
    }
}

/// Whether an expression may read columns it does not name (`*`, `* has "x"`).
fn opaque(e: &Expr) -> bool {
    let mut found = false;
    visit(e, &mut |x| {
        found |= matches!(x.kind, ExprKind::Star | ExprKind::AnyColumnHas(_))
    });
    found
}

/// How many times the `where`s of `ops` name each column, up to the first operator that
/// replaces the columns (`project`, `summarize`, ...).
pub(super) fn filter_reads(ops: &[Op]) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for op in ops {
        match &op.kind {
            OpKind::Where(p) => visit(p, &mut |x| {
                if let ExprKind::Name(n) = &x.kind {
                    *out.entry(n.clone()).or_default() += 1;
                }
            }),
            OpKind::Extend(_) | OpKind::Sort(_) | OpKind::Take(_) | OpKind::Top(..) => {}
            _ => break,
        }
    }
    out
}

/// What a `lookup` reads from its left and right inputs when `after` is read from its output.
pub(super) fn lookup_demands(on: &[(String, String, Span)], after: &Demand) -> (Demand, Demand) {
    let kept = after.clone().with_unrenamed();
    let left = on.iter().map(|(l, _, _)| l.clone()).collect();
    let right = on.iter().map(|(_, r, _)| r.clone()).collect();
    (kept.clone().plus(Some(left)), kept.plus(Some(right)))
}

impl Gen<'_> {
    /// The names `exprs` read, or `None` when they may read columns they do not name. A call
    /// of a scalar user function reads what its body names too, and `column_ifexists` the
    /// column its first argument names.
    fn reads<'e>(&self, exprs: impl IntoIterator<Item = &'e Expr>) -> Option<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        for e in exprs {
            if opaque(e) {
                return None;
            }
            names(e, &mut out);
            let mut called = Vec::new();
            visit(e, &mut |x| {
                if let ExprKind::Call(name, _, args) = &x.kind {
                    called.push(name.as_str());
                    // `column_ifexists("Name", default)` names its column in a string.
                    if let (
                        "column_ifexists",
                        Some(Expr {
                            kind: ExprKind::Lit(Lit::Str(column)),
                            ..
                        }),
                    ) = (name.as_str(), args.first())
                    {
                        out.insert(column.clone());
                    }
                }
            });
            for f in called.iter().filter_map(|n| self.functions.get(*n)) {
                match &f.body {
                    FnBody::Scalar(body) if f.lets.is_empty() && !opaque(body) => {
                        names(body, &mut out)
                    }
                    _ => return None,
                }
            }
        }
        Some(out)
    }

    /// The demand at the input of each operator (`[i]` before `ops[i]`, the last entry is
    /// `end`). With `whole_summarize_input`, the last `summarize` reads every column of its
    /// input, which drill-down shows.
    pub(super) fn demands(
        &self,
        ops: &[Op],
        end: Demand,
        whole_summarize_input: bool,
    ) -> Vec<Demand> {
        let last_summarize = ops
            .iter()
            .rposition(|o| matches!(o.kind, OpKind::Summarize { .. }));
        let mut out = vec![end];
        for (i, op) in ops.iter().enumerate().rev() {
            let after = out.last().cloned().unwrap_or(Demand::All);
            let before = if whole_summarize_input && Some(i) == last_summarize {
                Demand::All
            } else {
                self.before(op, after)
            };
            out.push(before);
        }
        out.reverse();
        out
    }

    /// What `op` reads from its input when `after` is read from its output.
    fn before(&self, op: &Op, after: Demand) -> Demand {
        let assigned = |a: &[Assign]| self.reads(a.iter().map(|a| &a.expr));
        match &op.kind {
            OpKind::Where(p) => after.plus(self.reads([p])),
            OpKind::Extend(a) => after.plus(assigned(a)),
            // `distinct *` (no columns named) compares whole rows.
            OpKind::Distinct(a) if a.is_empty() => Demand::All,
            OpKind::Project(a) | OpKind::Distinct(a) => Demand::nothing().plus(assigned(a)),
            OpKind::Summarize { aggs, by } => {
                Demand::nothing().plus(self.reads(aggs.iter().chain(by).map(|a| &a.expr)))
            }
            OpKind::Count => Demand::nothing(),
            OpKind::Take(_) | OpKind::ProjectAway(_) | OpKind::ProjectReorder(_) => after,
            OpKind::ProjectRename(pairs) => {
                after.plus(Some(pairs.iter().map(|(_, old, _)| old.clone()).collect()))
            }
            OpKind::Sort(keys) => after.plus(self.reads(keys.iter().map(|k| &k.expr))),
            OpKind::Top(_, key) => after.plus(self.reads([&key.expr])),
            OpKind::MvExpand { columns, .. } => {
                after.plus(self.reads(columns.iter().map(|c| &c.1)))
            }
            OpKind::Parse { expr, .. } => after.plus(self.reads([expr])),
            OpKind::Union { .. } => after,
            OpKind::Join { kind, on, .. } => self.join_demands(kind, on, &after).0,
            OpKind::Lookup { on, .. } => lookup_demands(on, &after).0,
            OpKind::Evaluate(..)
            | OpKind::Invoke(..)
            | OpKind::MvApply { .. }
            | OpKind::MakeSeries { .. }
            | OpKind::ProjectKeep(_)
            | OpKind::TopNested(_)
            | OpKind::Search(_)
            | OpKind::Passthrough(_) => Demand::All,
        }
    }

    /// What a join reads from its left and right inputs when `after` is read from its
    /// output. A side the join does not keep (semi and anti joins) gives only its keys.
    pub(super) fn join_demands(&self, kind: &str, on: &JoinOn, after: &Demand) -> (Demand, Demand) {
        let (left_keys, right_keys) = match on {
            JoinOn::Keys(keys) => (
                Some(keys.iter().map(|(l, _, _)| l.clone()).collect()),
                Some(keys.iter().map(|(_, r, _)| r.clone()).collect()),
            ),
            JoinOn::Where(p) => (self.reads([p]), self.reads([p])),
        };
        // An unknown kind fails later, in the generator; read everything until then.
        let (keeps_left, keeps_right) = JOIN_KINDS
            .iter()
            .find(|k| k.0 == kind)
            .map_or((true, true), |k| (k.2, k.3));
        let kept = after.clone().with_unrenamed();
        let left = if keeps_left {
            kept.clone()
        } else {
            Demand::nothing()
        };
        let right = if keeps_right { kept } else { Demand::nothing() };
        (left.plus(left_keys), right.plus(right_keys))
    }
}

//! What a hunt looks for and what it leaves out, read from its parsed main pipeline: every
//! top-level `where` conjunct is an indicator, or an exclusion when it is negated (`!in`,
//! `!=`, `!has`, `not(...)`, `... == false`); a `leftanti` join is an exclusion of the rows
//! its right side matches.

use serde::Serialize;

use crate::kql::ast::{BinOp, Expr, ExprKind, JoinOn, OpKind, Source};

/// One top-level predicate of a hunt: a field, an operator and the values tested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Predicate {
    /// The tested expression (usually a column), as written.
    pub field: String,
    /// The operator as written (`!in`, `==`, `startswith`, `not`, `leftanti join`...).
    pub operator: String,
    /// The compared values, list or right side, as written.
    pub values: String,
}

/// The indicators and exclusions of a hunt's main pipeline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filters {
    /// Positive predicates: what the hunt looks for.
    pub indicators: Vec<Predicate>,
    /// Negated predicates and anti-joins: what the hunt leaves out.
    pub exclusions: Vec<Predicate>,
}

/// The filters of `query` (a hunt's KQL); empty if it does not parse.
pub fn filters(query: &str) -> Filters {
    let mut out = Filters::default();
    let Ok(parsed) = crate::kql::parser::parse(query) else {
        return out;
    };
    for op in &parsed.body.ops {
        match &op.kind {
            OpKind::Where(e) => {
                let mut parts = Vec::new();
                conjuncts(e, &mut parts);
                for part in parts {
                    let (negated, p) = predicate(query, part);
                    if negated {
                        out.exclusions.push(p);
                    } else {
                        out.indicators.push(p);
                    }
                }
            }
            OpKind::Join { kind, right, on } if kind.eq_ignore_ascii_case("leftanti") => {
                let field = match on {
                    JoinOn::Keys(keys) => keys
                        .iter()
                        .map(|(l, _, _)| l.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    JoinOn::Where(e) => text(query, e),
                };
                let values = match &right.source {
                    Source::Name(n) if right.ops.is_empty() => n.clone(),
                    _ => query
                        .get(right.source_span.clone())
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                };
                out.exclusions.push(Predicate {
                    field,
                    operator: "leftanti join".into(),
                    values,
                });
            }
            _ => {}
        }
    }
    out
}

fn text(query: &str, e: &Expr) -> String {
    query
        .get(e.span.clone())
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn conjuncts<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match &e.kind {
        ExprKind::Binary(BinOp::And, l, r) => {
            conjuncts(l, out);
            conjuncts(r, out);
        }
        _ => out.push(e),
    }
}

/// Whether `e` is negated, and its field / operator / values as written.
fn predicate(query: &str, e: &Expr) -> (bool, Predicate) {
    let s = |x: &Expr| text(query, x);
    let p = |field: String, operator: &str, values: String| Predicate {
        field,
        operator: operator.to_string(),
        values,
    };
    let list = |l: &[Expr]| l.iter().map(s).collect::<Vec<_>>().join(", ");
    match &e.kind {
        ExprKind::Call(f, _, args) if f == "not" && args.len() == 1 => {
            (true, p(s(&args[0]), "not", String::new()))
        }
        ExprKind::In {
            expr,
            list: l,
            negated,
            ci,
        } => {
            let op = match (negated, ci) {
                (true, true) => "!in~",
                (true, false) => "!in",
                (false, true) => "in~",
                (false, false) => "in",
            };
            (*negated, p(s(expr), op, list(l)))
        }
        ExprKind::Between {
            expr,
            lo,
            hi,
            negated,
        } => {
            let op = if *negated { "!between" } else { "between" };
            (*negated, p(s(expr), op, format!("{} .. {}", s(lo), s(hi))))
        }
        ExprKind::HasAny { expr, list: l, all } => {
            let op = if *all { "has_all" } else { "has_any" };
            (false, p(s(expr), op, list(l)))
        }
        ExprKind::Binary(op, l, r) if !matches!(op, BinOp::Or) => {
            let negated = match op {
                BinOp::Ne | BinOp::NeCi => true,
                BinOp::Str(_, neg) => *neg,
                BinOp::Eq => s(r) == "false",
                _ => false,
            };
            let written = query
                .get(l.span.end..r.span.start)
                .unwrap_or_default()
                .trim()
                .to_string();
            (negated, p(s(l), &written, s(r)))
        }
        _ => (false, p(s(e), "", String::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negated_conjuncts_and_anti_joins_are_exclusions() {
        let q = "let L = dynamic([1]);\nT\n| where a !in (L) and b == \"x\" and not(c)\n\
                 | where f(d) == false or e > 3\n| join kind=leftanti W on h\n| where g !startswith \"10.\"";
        let f = filters(q);
        let ex: Vec<(&str, &str, &str)> = f
            .exclusions
            .iter()
            .map(|p| (p.field.as_str(), p.operator.as_str(), p.values.as_str()))
            .collect();
        assert_eq!(
            ex,
            [
                ("a", "!in", "L"),
                ("c", "not", ""),
                ("h", "leftanti join", "W"),
                ("g", "!startswith", "\"10.\"")
            ]
        );
        let ind: Vec<&str> = f.indicators.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(ind, ["b", "f(d) == false or e > 3"]);
    }
}

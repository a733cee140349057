//! Aggregations with structure: `make-series` (one row per group with each aggregation as
//! an array over a fixed time axis; empty bins take the `default =` value, 0 unless given)
//! and `top-nested` (the top values of one column, then of the next within each of them).

use super::ast::*;
use super::functions::{self, Typed};
use super::sqlgen::{err, Gen, Rel, R};
use super::{ColumnDef, KqlType};

/// The parts of a `make-series` operator.
pub(super) struct SeriesSpec<'a> {
    /// Aggregations with their defaults.
    pub aggs: &'a [(Assign, Option<Expr>)],
    /// The axis column.
    pub on: &'a Expr,
    /// Axis start.
    pub from: Option<&'a Expr>,
    /// Axis end (exclusive).
    pub to: Option<&'a Expr>,
    /// Bin size.
    pub step: &'a Expr,
    /// Group keys.
    pub by: &'a [Assign],
}

impl Gen<'_> {
    /// Compiles `make-series`.
    pub(super) fn make_series(&mut self, op: &Op, spec: &SeriesSpec, rel: Rel) -> R<Rel> {
        let axis = self.expr(spec.on, &rel.cols)?;
        if axis.ty != KqlType::DateTime {
            return err(
                &spec.on.span,
                "make-series needs a datetime axis (on TimeGenerated ...)",
            );
        }
        let step_us = match self.expr(spec.step, &rel.cols)?.lit {
            Some(Lit::TimeSpan(us)) if us > 0 => us,
            _ => {
                return err(
                    &spec.step.span,
                    "make-series needs a constant positive timespan step",
                )
            }
        };
        let from = match spec.from {
            Some(e) => self.expr(e, &rel.cols)?.sql,
            None => format!("(SELECT min({}) FROM {})", axis.sql, rel.from),
        };
        let to = match spec.to {
            Some(e) => self.expr(e, &rel.cols)?.sql,
            None => format!(
                "(SELECT max({}) + INTERVAL '{step_us} microseconds' FROM {})",
                axis.sql, rel.from
            ),
        };
        let mut key_sel = Vec::new();
        let mut cols: Vec<ColumnDef> = Vec::new();
        for (i, k) in spec.by.iter().enumerate() {
            let t = self.expr(&k.expr, &rel.cols)?;
            let name = match (&k.name, &k.expr.kind) {
                (Some((n, _)), _) => n.clone(),
                (None, ExprKind::Name(n)) => n.clone(),
                _ => format!("Column{}", i + 1),
            };
            let sql = if t.ty == KqlType::String {
                functions::to_string(&t).sql
            } else {
                t.sql
            };
            key_sel.push(format!("{sql} AS \"$k{i}\""));
            cols.push(ColumnDef { name, ty: t.ty });
        }
        let mut agg_sel = Vec::new();
        let mut defaults = Vec::new();
        let mut names = Vec::new();
        for (i, (a, default)) in spec.aggs.iter().enumerate() {
            self.allow_agg = true;
            let t = self.expr(&a.expr, &rel.cols);
            self.allow_agg = false;
            let t: Typed = t?;
            let name = match (&a.name, &a.expr.kind) {
                (Some((n, _)), _) => n.clone(),
                (None, ExprKind::Call(f, _, args)) => {
                    let arg = match args.first().map(|e| &e.kind) {
                        Some(ExprKind::Name(n)) => n.clone(),
                        _ => String::new(),
                    };
                    format!("{}_{arg}", functions::agg_prefix(f))
                }
                _ => format!("Column{}", i + 1),
            };
            let d = match default {
                Some(e) => self.expr(e, &rel.cols)?.sql,
                None => "0".into(),
            };
            agg_sel.push(format!("{} AS \"$a{i}\"", t.sql));
            defaults.push(d);
            names.push(name);
        }
        if agg_sel.is_empty() {
            return err(&op.span, "make-series needs an aggregation");
        }
        let bin = format!(
            "CAST(floor((epoch_us({}) - epoch_us(bounds.f)) / {step_us}) AS BIGINT)",
            axis.sql
        );
        let keys_n = spec.by.len();
        let key_refs: Vec<String> = (0..keys_n).map(|i| format!("\"$k{i}\"")).collect();
        let group = if keys_n == 0 {
            "\"$b\"".to_string()
        } else {
            format!("{}, \"$b\"", key_refs.join(", "))
        };
        let mut select = key_sel.clone();
        select.push(format!("{bin} AS \"$b\""));
        select.extend(agg_sel);
        let bounds = self.push_cte(format!("SELECT {from} AS f, {to} AS t"));
        let base = self.push_cte(format!(
            "SELECT {} FROM {}, {bounds} AS bounds WHERE {} >= bounds.f AND {} < bounds.t GROUP BY {group}",
            select.join(", "),
            rel.from,
            axis.sql,
            axis.sql
        ));
        let keys = if keys_n == 0 {
            self.push_cte("SELECT 1 AS \"$one\"".into())
        } else {
            self.push_cte(format!(
                "SELECT DISTINCT {} FROM {base}",
                key_refs.join(", ")
            ))
        };
        let grid = self.push_cte(format!(
            "SELECT unnest(range(0, CAST(ceil((epoch_us(bounds.t) - epoch_us(bounds.f)) / {step_us}) AS BIGINT))) AS \"$b\", bounds.f AS f FROM {bounds} AS bounds"
        ));
        let mut out_sel: Vec<String> = (0..keys_n)
            .map(|i| format!("k.\"$k{i}\" AS {}", self.id(&cols[i].name)))
            .collect();
        for (i, name) in names.iter().enumerate() {
            out_sel.push(format!(
                "to_json(list(coalesce(b.\"$a{i}\", {}) ORDER BY g.\"$b\")) AS {}",
                defaults[i],
                self.id(name)
            ));
            cols.push(ColumnDef {
                name: name.clone(),
                ty: KqlType::Dynamic,
            });
        }
        let axis_name = match &spec.on.kind {
            ExprKind::Name(n) => n.clone(),
            _ => "TimeGenerated".into(),
        };
        out_sel.push(format!(
            "to_json(list(strftime(make_timestamp(epoch_us(g.f) + g.\"$b\" * {step_us}), '%Y-%m-%dT%H:%M:%SZ') ORDER BY g.\"$b\")) AS {}",
            self.id(&axis_name)
        ));
        cols.push(ColumnDef {
            name: axis_name,
            ty: KqlType::Dynamic,
        });
        let on_keys: Vec<String> = (0..keys_n)
            .map(|i| format!("b.\"$k{i}\" IS NOT DISTINCT FROM k.\"$k{i}\""))
            .chain(["b.\"$b\" = g.\"$b\"".to_string()])
            .collect();
        let group_out = if keys_n == 0 {
            String::new()
        } else {
            let k: Vec<String> = (0..keys_n).map(|i| format!("k.\"$k{i}\"")).collect();
            format!(" GROUP BY {}", k.join(", "))
        };
        let from = self.push_cte(format!(
            "SELECT {} FROM {keys} AS k CROSS JOIN {grid} AS g LEFT JOIN {base} AS b ON {}{group_out}",
            out_sel.join(", "),
            on_keys.join(" AND ")
        ));
        Ok(Rel {
            from,
            cols,
            ordered: false,
        })
    }
}

impl Gen<'_> {
    /// Compiles `top-nested`: level k groups by the first k columns, ranks by its
    /// aggregation within its parent, and keeps the top N.
    pub(super) fn top_nested(&mut self, levels: &[TopLevel], rel: Rel) -> R<Rel> {
        let mut keys: Vec<(String, String, KqlType)> = Vec::new();
        let mut aggs: Vec<(String, KqlType)> = Vec::new();
        let mut level_ctes: Vec<String> = Vec::new();
        for (depth, level) in levels.iter().enumerate() {
            let n = match self.expr(&level.n, &rel.cols)?.lit {
                Some(Lit::Long(v)) if v >= 0 => v,
                _ => return err(&level.n.span, "top-nested needs a constant count"),
            };
            let of = self.expr(&level.of.expr, &rel.cols)?;
            let of_name = match (&level.of.name, &level.of.expr.kind) {
                (Some((n, _)), _) => n.clone(),
                (None, ExprKind::Name(n)) => n.clone(),
                _ => format!("Column{}", depth + 1),
            };
            self.allow_agg = true;
            let agg = self.expr(&level.by.expr, &rel.cols);
            self.allow_agg = false;
            let agg = agg?;
            let agg_name = match &level.by.name {
                Some((n, _)) => n.clone(),
                None => format!("aggregated_{of_name}"),
            };
            let key_sql = if of.ty == KqlType::String {
                functions::to_string(&of).sql
            } else {
                of.sql.clone()
            };
            keys.push((of_name, key_sql, of.ty));
            aggs.push((agg_name, agg.ty));
            let sel: Vec<String> = keys
                .iter()
                .enumerate()
                .map(|(i, (_, sql, _))| format!("{sql} AS \"$k{i}\""))
                .collect();
            let parents: Vec<String> = (0..depth).map(|i| format!("\"$k{i}\"")).collect();
            let partition = if parents.is_empty() {
                String::new()
            } else {
                format!("PARTITION BY {} ", parents.join(", "))
            };
            let filter = match level_ctes.last() {
                None => String::new(),
                Some(prev) => {
                    let cond: Vec<String> = (0..depth)
                        .map(|i| format!("p.\"$k{i}\" IS NOT DISTINCT FROM {}", keys[i].1))
                        .collect();
                    format!(
                        " WHERE EXISTS (SELECT 1 FROM {prev} AS p WHERE {})",
                        cond.join(" AND ")
                    )
                }
            };
            let order = if level.asc { "ASC" } else { "DESC" };
            let positions: Vec<String> = (1..=depth + 1).map(|i| i.to_string()).collect();
            let sql = format!(
                "SELECT {}, {} AS \"$a{depth}\" FROM {}{filter} GROUP BY {} \
                 QUALIFY row_number() OVER ({partition}ORDER BY \"$a{depth}\" {order}) <= {n}",
                sel.join(", "),
                agg.sql,
                rel.from,
                positions.join(", ")
            );
            level_ctes.push(self.push_cte(sql));
        }
        // Join the levels: the deepest level's rows carry every key; add each level's aggregate.
        let deepest = level_ctes.len() - 1;
        let mut sel = Vec::new();
        let mut cols = Vec::new();
        for (i, (name, _, ty)) in keys.iter().enumerate() {
            sel.push(format!("d.\"$k{i}\" AS {}", self.id(name)));
            cols.push(ColumnDef {
                name: name.clone(),
                ty: *ty,
            });
            let (aname, aty) = &aggs[i];
            sel.push(format!("l{i}.\"$a{i}\" AS {}", self.id(aname)));
            cols.push(ColumnDef {
                name: aname.clone(),
                ty: *aty,
            });
        }
        let mut from = format!("{} AS d", level_ctes[deepest]);
        for (i, cte) in level_ctes.iter().enumerate() {
            let cond: Vec<String> = (0..=i)
                .map(|k| format!("l{i}.\"$k{k}\" IS NOT DISTINCT FROM d.\"$k{k}\""))
                .collect();
            from.push_str(&format!(" JOIN {cte} AS l{i} ON {}", cond.join(" AND ")));
        }
        let from = self.push_cte(format!("SELECT {} FROM {from}", sel.join(", ")));
        Ok(Rel {
            from,
            cols,
            ordered: false,
        })
    }
}

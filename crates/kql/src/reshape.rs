//! Operators that reshape rows: `join`, `mv-expand`, `parse`, and the `evaluate` plugins
//! `bag_unpack` and `pivot` (whose output columns depend on the data, read by a probe).

use std::collections::HashMap;

use super::ast::*;
use super::demand::lookup_demands;
use super::functions::{self, quote_ident, quote_str, sql_type, to_string, type_by_name, Typed};
use super::lexer::Span;
use super::sqlgen::{err, is_hidden, regex_escape, Gen, Joined, Rel, R};
use super::{ColumnDef, KqlType};

/// Most distinct values a data-dependent plugin turns into columns.
const MAX_DYNAMIC_COLUMNS: usize = 1000;

/// Join flavours: (name, SQL join, keep left columns, keep right columns, dedupe left).
pub(super) const JOIN_KINDS: &[(&str, &str, bool, bool, bool)] = &[
    ("innerunique", "JOIN", true, true, true),
    ("inner", "JOIN", true, true, false),
    ("leftouter", "LEFT JOIN", true, true, false),
    ("rightouter", "RIGHT JOIN", true, true, false),
    ("fullouter", "FULL JOIN", true, true, false),
    ("leftsemi", "SEMI JOIN", true, false, false),
    ("leftanti", "ANTI JOIN", true, false, false),
    ("anti", "ANTI JOIN", true, false, false),
    ("leftantisemi", "ANTI JOIN", true, false, false),
    ("rightsemi", "SEMI JOIN", false, true, false),
    ("rightanti", "ANTI JOIN", false, true, false),
    ("rightantisemi", "ANTI JOIN", false, true, false),
];

impl Gen<'_> {
    /// `join`: right-side columns whose names the left side has get a numeric suffix.
    pub(super) fn join(
        &mut self,
        op: &Op,
        kind: &str,
        right: &Pipeline,
        on: &JoinOn,
        left: Rel,
    ) -> R<Rel> {
        if !JOIN_KINDS.iter().any(|k| k.0 == kind) {
            return err(&op.span, format!("join kind={kind} is not supported"));
        }
        let (_, read) = self.join_demands(kind, on, &self.after);
        let right = self.pipeline_for(right, false, read)?;
        self.join_rel(op, kind, right, on, left)
    }

    /// Joins two compiled relations.
    fn join_rel(&mut self, op: &Op, kind: &str, right: Rel, on: &JoinOn, left: Rel) -> R<Rel> {
        let Some(&(_, sql_join, keep_left, keep_right, dedupe)) =
            JOIN_KINDS.iter().find(|k| k.0 == kind)
        else {
            return err(&op.span, format!("join kind={kind} is not supported"));
        };
        let lcols: Vec<ColumnDef> = left
            .cols
            .iter()
            .filter(|c| !is_hidden(c))
            .cloned()
            .collect();
        let rcols: Vec<ColumnDef> = right
            .cols
            .iter()
            .filter(|c| !is_hidden(c))
            .cloned()
            .collect();
        // Right-side output names.
        let mut out_names: Vec<String> = lcols.iter().map(|c| c.name.clone()).collect();
        let mut rnames = Vec::new();
        for c in &rcols {
            let mut name = c.name.clone();
            let mut n = 0;
            while keep_left && out_names.contains(&name) {
                n += 1;
                name = format!("{}{n}", c.name);
            }
            out_names.push(name.clone());
            rnames.push(name);
        }
        // Semi/anti joins swap sides so the kept side is on the left in SQL.
        let (lq, rq) = ("l", "r");
        let cond = match on {
            JoinOn::Keys(keys) => {
                let mut parts = Vec::new();
                for (lk, rk, span) in keys {
                    let (a, lty) = self.join_key(&lcols, lk, lq, "left", span)?;
                    let (b, rty) = self.join_key(&rcols, rk, rq, "right", span)?;
                    // Kusto has no null string: a missing key is '' and matches ''. When
                    // a `where` kept one side's key non-empty, plain equality is the same
                    // and lets DuckDB push the other side's keys into its scan.
                    let known = |rel: &Rel, key: &String| {
                        self.filters
                            .get(&rel.from)
                            .is_some_and(|f| f.nonempty.contains(key))
                    };
                    parts.push(match (lty, rty) {
                        (KqlType::String, KqlType::String)
                            if known(&left, lk) || known(&right, rk) =>
                        {
                            format!("{a} = {b}")
                        }
                        (KqlType::String, KqlType::String) => {
                            format!("coalesce({a}, '') = coalesce({b}, '')")
                        }
                        _ if lty == rty => format!("{a} IS NOT DISTINCT FROM {b}"),
                        _ => format!("CAST({a} AS VARCHAR) = CAST({b} AS VARCHAR)"),
                    });
                }
                parts.join(" AND ")
            }
            JoinOn::Where(_) => {
                if !matches!(kind, "inner" | "innerunique") {
                    return err(&op.span, "join ... where works with kind=inner only");
                }
                "true".to_string()
            }
        };
        let left_from = if dedupe {
            let keys: Vec<String> = match on {
                JoinOn::Keys(keys) => keys.iter().map(|(l, _, _)| self.id(l)).collect(),
                JoinOn::Where(_) => Vec::new(),
            };
            let part = if keys.is_empty() {
                String::new()
            } else {
                format!("PARTITION BY {}", keys.join(", "))
            };
            let sql = format!(
                "SELECT {} FROM {} QUALIFY row_number() OVER ({part}) = 1",
                self.col_list(&lcols, false),
                left.from
            );
            self.push_cte(sql)
        } else {
            left.from.clone()
        };
        let mut sel = Vec::new();
        let mut cols = Vec::new();
        let mut sources = HashMap::new();
        if keep_left {
            for c in &lcols {
                sel.push(format!("{lq}.{}", self.id(&c.name)));
                sources.insert(self.id(&c.name), format!("{lq}.{}", self.id(&c.name)));
                cols.push(c.clone());
            }
        }
        if keep_right {
            for (c, n) in rcols.iter().zip(&rnames) {
                sel.push(functions::named(
                    &format!("{rq}.{}", self.id(&c.name)),
                    &self.id(n),
                ));
                sources.insert(self.id(n), format!("{rq}.{}", self.id(&c.name)));
                cols.push(ColumnDef {
                    name: n.clone(),
                    ty: c.ty,
                });
            }
        }
        // An inner join reads a `where` on its left side through, under its predicates:
        // for an inner join, filtering the joined rows is the same, and DuckDB binds one
        // SELECT less. The predicates name columns unqualified, so no column of the right
        // side may share a name with one of the left.
        let shared = self.visible_names(&right).is_none_or(|names| {
            left.cols.iter().any(|l| {
                names
                    .iter()
                    .any(|r| self.id(&l.name).eq_ignore_ascii_case(r))
            })
        });
        let (left_from, left_where) = match on {
            JoinOn::Keys(_) if kind == "inner" && keep_left && !dedupe && !shared => {
                let (input, filter) = self.through_filter(&left);
                (input.from, filter)
            }
            _ => (left_from, String::new()),
        };
        let joins = if keep_left {
            format!(
                "{left_from} AS {lq} {sql_join} {} AS {rq} ON {cond}{left_where}",
                right.from
            )
        } else {
            format!(
                "{} AS {rq} {sql_join} {left_from} AS {lq} ON {cond}",
                right.from
            )
        };
        let from = self.push_cte(format!("SELECT {} FROM {joins}", sel.join(", ")));
        if matches!(on, JoinOn::Keys(_)) {
            let joined = Joined {
                columns: sources,
                from: joins,
            };
            self.joins.insert(from.clone(), joined);
        }
        let joined = Rel {
            from,
            cols,
            ordered: false,
        };
        let JoinOn::Where(pred) = on else {
            return Ok(joined);
        };
        // `join ... where`: the predicate sees both sides' columns under their output names.
        let p = self.expr(pred, &joined.cols)?;
        if p.ty != KqlType::Bool {
            return err(&pred.span, "the join condition must be boolean");
        }
        let sql = format!(
            "SELECT {} FROM {} WHERE {}",
            self.col_list(&joined.cols, false),
            joined.from,
            p.sql
        );
        let from = self.push_cte(sql);
        Ok(Rel { from, ..joined })
    }

    /// A join key column of one side, qualified; after `bag_unpack`/`pivot` saw no rows,
    /// a missing key reads as null (it matches nothing).
    fn join_key(
        &mut self,
        cols: &[ColumnDef],
        name: &str,
        side: &str,
        label: &str,
        span: &Span,
    ) -> R<(String, KqlType)> {
        match cols.iter().find(|c| c.name == name) {
            Some(c) => Ok((format!("{side}.{}", self.id(&c.name)), c.ty)),
            None if self.open_schema => Ok(("CAST(NULL AS VARCHAR)".into(), KqlType::String)),
            None => err(
                span,
                format!("the {label} side of the join has no column `{name}`"),
            ),
        }
    }

    /// `lookup`: a left outer (or inner) join that keeps the right side's key columns out.
    pub(super) fn lookup(
        &mut self,
        op: &Op,
        kind: &str,
        right: &Pipeline,
        on: &[(String, String, Span)],
        left: Rel,
    ) -> R<Rel> {
        if !matches!(kind, "leftouter" | "inner") {
            return err(&op.span, format!("lookup kind={kind} is not supported"));
        }
        let (_, read) = lookup_demands(on, &self.after);
        let right = self.pipeline_for(right, false, read)?;
        let right_visible: Vec<String> = right
            .cols
            .iter()
            .filter(|c| !is_hidden(c))
            .map(|c| c.name.clone())
            .collect();
        let nleft = left.cols.iter().filter(|c| !is_hidden(c)).count();
        let joined = self.join_rel(op, kind, right, &JoinOn::Keys(on.to_vec()), left)?;
        // Drop the right side's copies of the keys.
        let cols: Vec<ColumnDef> = joined
            .cols
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                *i < nleft
                    || !on
                        .iter()
                        .any(|(_, r, _)| right_visible.get(i - nleft) == Some(r))
            })
            .map(|(_, c)| c.clone())
            .collect();
        let sql = format!(
            "SELECT {} FROM {}",
            self.col_list(&cols, false),
            joined.from
        );
        let from = self.push_cte(sql);
        Ok(Rel {
            from,
            cols,
            ..joined
        })
    }

    /// `mv-expand`: one row per element of each expanded array (arrays expand side by side).
    pub(super) fn mv_expand(
        &mut self,
        op: &Op,
        bag_as_array: bool,
        columns: &[(Option<String>, Expr, Option<String>)],
        limit: Option<i64>,
        rel: Rel,
    ) -> R<Rel> {
        if limit.is_some() {
            return err(&op.span, "mv-expand limit is not supported yet");
        }
        let mut cols = rel.cols.clone();
        let mut sel: Vec<String> = rel.cols.iter().map(|c| self.id(&c.name)).collect();
        for (name, e, ty) in columns {
            let name = match (name, &e.kind) {
                (Some(n), _) => n.clone(),
                (None, ExprKind::Name(n)) => n.clone(),
                (None, _) => {
                    return err(&e.span, "name the expanded value: `mv-expand name = expr`")
                }
            };
            let t = self.expr(e, &rel.cols)?;
            let x = functions::to_dynamic(&t);
            // The engine's `kql_mv_items` cuts the value into its items in one pass; null is
            // one null item.
            let items = format!(
                "coalesce(kql_mv_items({}, {bag_as_array}), [CAST(NULL AS JSON)])",
                x.sql
            );
            let (value, out_ty) = match ty {
                None => ("unnest(".to_string() + &items + ")", KqlType::Dynamic),
                Some(tn) => {
                    let Some(k) = type_by_name(tn) else {
                        return err(&e.span, format!("unknown type `{tn}`"));
                    };
                    let v = Typed::new(format!("unnest({items})"), KqlType::Dynamic);
                    (functions::convert_dynamic(&v, k).sql, k)
                }
            };
            let item = format!("{value} AS {}", self.id(&name));
            set_column(&mut cols, &mut sel, name, item, out_ty);
        }
        // Over a stage or a whole table this is `* REPLACE (unnest(...) AS x)`, shorter for
        // DuckDB to parse and bind than every column by name.
        if !rel.ordered && !self.keeps.contains_key(&rel.from) {
            return Ok(self.flush_extend(&sel, cols, &rel));
        }
        // Rows are filtered before the select list, unnest included.
        let (input, filter) = self.through_stage(&rel);
        let from = self.push_cte(format!("SELECT {} FROM {input}{filter}", sel.join(", ")));
        Ok(Rel {
            from,
            cols,
            ordered: false,
        })
    }

    /// `mv-apply`: each input row's expansion goes through the subquery on its own (its
    /// rows are numbered and every grouping step is partitioned by that number), then the
    /// results are joined back to the row's other columns.
    pub(super) fn mv_apply(
        &mut self,
        op: &Op,
        columns: &[(Option<String>, Expr, Option<String>)],
        ops: &[Op],
        rel: Rel,
    ) -> R<Rel> {
        const RID: &str = "$rid";
        let rid = self.id(RID);
        let numbered = self.push_cte(format!(
            "SELECT {}, row_number() OVER () AS {rid} FROM {}",
            self.col_list(&rel.cols, false),
            rel.from
        ));
        let mut cols = rel.cols.clone();
        cols.push(ColumnDef {
            name: RID.into(),
            ty: KqlType::Long,
        });
        let input = Rel {
            from: numbered.clone(),
            cols,
            ordered: false,
        };
        let mut cur = self.mv_expand(op, false, columns, None, input.clone())?;
        let rid_expr = Expr {
            kind: ExprKind::Name(RID.into()),
            span: op.span.clone(),
        };
        for sub in ops {
            cur = match &sub.kind {
                OpKind::Where(_) | OpKind::Extend(_) | OpKind::Sort(_) => self.op(sub, cur)?.1,
                OpKind::Project(items) => {
                    let mut items = items.clone();
                    items.push(Assign { name: None, expr: rid_expr.clone() });
                    let with_rid = Op { kind: OpKind::Project(items), span: sub.span.clone() };
                    self.op(&with_rid, cur)?.1
                }
                OpKind::Summarize { aggs, by } => {
                    let mut by = by.clone();
                    by.insert(0, Assign { name: None, expr: rid_expr.clone() });
                    let grouped = Op {
                        kind: OpKind::Summarize { aggs: aggs.clone(), by },
                        span: sub.span.clone(),
                    };
                    self.op(&grouped, cur)?.1
                }
                OpKind::Take(n) | OpKind::Top(n, _) => {
                    let n = match self.expr(n, &cur.cols)?.lit {
                        Some(Lit::Long(v)) if v >= 0 => v,
                        _ => return err(&n.span, "expected a non-negative integer constant"),
                    };
                    let order = match &sub.kind {
                        OpKind::Top(_, key) => {
                            let e = self.expr(&key.expr, &cur.cols)?;
                            format!(" ORDER BY {} {}", e.sql, if key.asc { "ASC NULLS FIRST" } else { "DESC NULLS LAST" })
                        }
                        _ => String::new(),
                    };
                    let sql = format!(
                        "SELECT {} FROM {} QUALIFY row_number() OVER (PARTITION BY {rid}{order}) <= {n}",
                        self.col_list(&cur.cols, false),
                        cur.from
                    );
                    let from = self.push_cte(sql);
                    Rel { from, ordered: false, ..cur }
                }
                _ => return err(&sub.span, "only where, extend, project, summarize, sort, take and top work inside mv-apply yet"),
            };
        }
        let expanded: Vec<String> = columns
            .iter()
            .filter_map(|(n, e, _)| match (n, &e.kind) {
                (Some(n), _) => Some(n.clone()),
                (None, ExprKind::Name(n)) => Some(n.clone()),
                _ => None,
            })
            .collect();
        let sub_cols: Vec<ColumnDef> = cur.cols.iter().filter(|c| !is_hidden(c)).cloned().collect();
        let left: Vec<ColumnDef> = rel
            .cols
            .iter()
            .filter(|c| {
                !is_hidden(c)
                    && !expanded.contains(&c.name)
                    && !sub_cols.iter().any(|s| s.name == c.name)
            })
            .cloned()
            .collect();
        let mut sel: Vec<String> = left
            .iter()
            .map(|c| format!("l.{}", self.id(&c.name)))
            .collect();
        sel.extend(sub_cols.iter().map(|c| format!("r.{}", self.id(&c.name))));
        let mut out = left;
        out.extend(sub_cols);
        let from = self.push_cte(format!(
            "SELECT {} FROM {numbered} AS l JOIN {} AS r ON l.{rid} = r.{rid}",
            sel.join(", "),
            cur.from
        ));
        Ok(Rel {
            from,
            cols: out,
            ordered: false,
        })
    }

    /// `parse expr with * "text" Col:type ...`: a regular expression built from the pattern.
    pub(super) fn parse_op(
        &mut self,
        expr: &Expr,
        parts: &[ParsePart],
        regex: bool,
        rel: Rel,
    ) -> R<Rel> {
        let src = to_string(&self.expr(expr, &rel.cols)?).sql;
        let mut re = String::from("(?s)^");
        let mut targets = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            match p {
                ParsePart::Any => re.push_str(if last { ".*" } else { ".*?" }),
                ParsePart::Text(t) if regex => re.push_str(&format!("(?:{t})")),
                ParsePart::Text(t) => re.push_str(&regex_escape(t)),
                ParsePart::Column(c, ty) => {
                    re.push_str(if last { "(.*)" } else { "(.*?)" });
                    let k = match ty {
                        None => KqlType::String,
                        Some(tn) => match type_by_name(tn) {
                            Some(k) => k,
                            None => return err(&expr.span, format!("unknown type `{tn}`")),
                        },
                    };
                    targets.push((c.clone(), k));
                }
            }
        }
        if matches!(
            parts.last(),
            Some(ParsePart::Column(..)) | Some(ParsePart::Any)
        ) {
            re.push('$');
        }
        let mut cols = rel.cols.clone();
        let mut sel: Vec<String> = rel.cols.iter().map(|c| self.id(&c.name)).collect();
        for (group, (name, k)) in targets.into_iter().enumerate() {
            let raw = format!("regexp_extract({src}, {}, {})", quote_str(&re), group + 1);
            let value = if k == KqlType::String {
                raw
            } else {
                format!("TRY_CAST(NULLIF({raw}, '') AS {})", sql_type(k))
            };
            let item = format!("{value} AS {}", self.id(&name));
            set_column(&mut cols, &mut sel, name, item, k);
        }
        if rel.ordered {
            sel.push(quote_ident(super::sqlgen::ORD));
        }
        let from = self.push_cte(format!("SELECT {} FROM {}", sel.join(", "), rel.from));
        Ok(Rel { from, cols, ..rel })
    }

    /// `evaluate bag_unpack(col)` and `evaluate pivot(col, agg, keys...)`.
    pub(super) fn evaluate(&mut self, name: &str, span: &Span, args: &[Expr], rel: Rel) -> R<Rel> {
        match name {
            "bag_unpack" => self.bag_unpack(span, args, rel),
            "pivot" => self.pivot(span, args, rel),
            "ipv4_lookup" => self.ipv4_lookup(span, args, rel),
            other => err(span, format!("evaluate {other} is not supported yet")),
        }
    }

    /// `evaluate ipv4_lookup(Table, ip_column, network_column)`: rows joined to the
    /// networks that contain their address.
    fn ipv4_lookup(&mut self, span: &Span, args: &[Expr], rel: Rel) -> R<Rel> {
        let [table, ip, net, rest @ ..] = args else {
            return err(
                span,
                "ipv4_lookup() takes a table, an address column and a network column",
            );
        };
        if !rest.is_empty() {
            return err(
                &rest[0].span,
                "ipv4_lookup(): return_unmatched is not supported yet",
            );
        }
        let ExprKind::Name(tname) = &table.kind else {
            return err(&table.span, "ipv4_lookup() needs a table name");
        };
        let right = Pipeline {
            source: Source::Name(tname.clone()),
            source_span: table.span.clone(),
            ops: Vec::new(),
        };
        let pred = Expr {
            kind: ExprKind::Call(
                "ipv4_is_match".into(),
                span.clone(),
                vec![ip.clone(), net.clone()],
            ),
            span: span.clone(),
        };
        let op = Op {
            kind: OpKind::Passthrough("evaluate".into()),
            span: span.clone(),
        };
        self.join(&op, "inner", &right, &JoinOn::Where(pred), rel)
    }

    /// Runs a probe query for data-dependent column names.
    fn probe(&mut self, span: &Span, what: &str, select: String) -> R<Vec<String>> {
        let Some(probe) = self.catalog.probe.clone() else {
            return err(
                span,
                format!("{what} reads its columns from the data: open a case"),
            );
        };
        // Only the stages the probe reads: fewer to bind, and the same text (so the same kept
        // answer) whatever the query holds beside them.
        let mut sql = String::new();
        let used = super::sqlgen::used_ctes(&self.ctes, &select);
        if !used.is_empty() {
            sql.push_str("WITH ");
            sql.push_str(&used.join(",\n"));
            sql.push('\n');
        }
        sql.push_str(&select);
        sql.push_str(&format!(" LIMIT {}", MAX_DYNAMIC_COLUMNS + 1));
        let values = probe
            .run(&sql)
            .or_else(|m| err(span, format!("{what}: {m}")))?;
        if values.is_empty() {
            self.open_schema = true;
        }
        if values.len() > MAX_DYNAMIC_COLUMNS {
            return err(
                span,
                format!("{what} would make more than {MAX_DYNAMIC_COLUMNS} columns"),
            );
        }
        Ok(values)
    }

    fn bag_unpack(&mut self, span: &Span, args: &[Expr], rel: Rel) -> R<Rel> {
        let (col, prefix) = match args {
            [c] => (c, String::new()),
            [c, p] => match &p.kind {
                ExprKind::Lit(Lit::Str(s)) => (c, s.clone()),
                _ => return err(&p.span, "bag_unpack(): the prefix must be a string literal"),
            },
            _ => return err(span, "bag_unpack() takes a column and an optional prefix"),
        };
        let ExprKind::Name(cname) = &col.kind else {
            return err(&col.span, "bag_unpack() takes a column name");
        };
        let Some(c) = rel.cols.iter().find(|c| &c.name == cname).cloned() else {
            return err(&col.span, format!("unknown column `{cname}`"));
        };
        let x = functions::to_dynamic(&Typed::new(self.id(&c.name), c.ty)).sql;
        let keys = self.probe(
            span,
            "bag_unpack",
            format!(
                "SELECT DISTINCT k FROM (SELECT unnest(json_keys({x})) AS k FROM {} \
                 WHERE json_type({x}) = 'OBJECT') ORDER BY k",
                rel.from
            ),
        )?;
        let mut cols: Vec<ColumnDef> = rel
            .cols
            .iter()
            .filter(|k| k.name != c.name)
            .cloned()
            .collect();
        let mut sel: Vec<String> = cols.iter().map(|k| self.id(&k.name)).collect();
        for k in keys {
            let name = format!("{prefix}{k}");
            if cols.iter().any(|o| o.name == name) {
                return err(
                    span,
                    format!("bag_unpack(): the key `{name}` clashes with an existing column"),
                );
            }
            sel.push(format!(
                "json_extract({x}, {}) AS {}",
                quote_str(&format!("$.\"{}\"", k.replace('"', "\\\""))),
                self.id(&name)
            ));
            cols.push(ColumnDef {
                name,
                ty: KqlType::Dynamic,
            });
        }
        let from = self.push_cte(format!("SELECT {} FROM {}", sel.join(", "), rel.from));
        Ok(Rel {
            from,
            cols,
            ordered: false,
        })
    }

    fn pivot(&mut self, span: &Span, args: &[Expr], rel: Rel) -> R<Rel> {
        let Some(pcol) = args.first() else {
            return err(span, "pivot() needs the pivot column");
        };
        let ExprKind::Name(pname) = &pcol.kind else {
            return err(
                &pcol.span,
                "pivot(): the pivot column must be a column name",
            );
        };
        let Some(pc) = rel.cols.iter().find(|c| &c.name == pname).cloned() else {
            return err(&pcol.span, format!("unknown column `{pname}`"));
        };
        self.allow_agg = true;
        let agg = match args.get(1) {
            Some(a) => self.expr(a, &rel.cols),
            None => Ok(Typed::new("count(*)", KqlType::Long)),
        };
        self.allow_agg = false;
        let agg = agg?;
        if agg.sql.contains("FILTER") {
            return err(
                span,
                "pivot() with a conditional aggregation is not supported yet",
            );
        }
        let mut keys = Vec::new();
        for k in args.iter().skip(2) {
            let ExprKind::Name(n) = &k.kind else {
                return err(&k.span, "pivot(): group columns must be column names");
            };
            let Some(c) = rel.cols.iter().find(|c| &c.name == n) else {
                return err(&k.span, format!("unknown column `{n}`"));
            };
            keys.push(c.clone());
        }
        if args.len() <= 2 {
            let mut used = std::collections::BTreeSet::new();
            if let Some(a) = args.get(1) {
                super::sqlgen::names(a, &mut used);
            }
            keys = rel
                .cols
                .iter()
                .filter(|c| !is_hidden(c) && c.name != pc.name && !used.contains(&c.name))
                .cloned()
                .collect();
        }
        let pv = to_string(&Typed::new(self.id(&pc.name), pc.ty)).sql;
        let values = self.probe(
            span,
            "pivot",
            format!("SELECT DISTINCT {pv} AS v FROM {} ORDER BY v", rel.from),
        )?;
        let mut sel: Vec<String> = keys.iter().map(|k| self.id(&k.name)).collect();
        let mut cols = keys.clone();
        for v in values {
            if cols.iter().any(|c| c.name == v) {
                continue;
            }
            sel.push(format!(
                "{} FILTER (WHERE {pv} = {}) AS {}",
                agg.sql,
                quote_str(&v),
                self.id(&v)
            ));
            cols.push(ColumnDef {
                name: v,
                ty: agg.ty,
            });
        }
        let group = if keys.is_empty() {
            String::new()
        } else {
            let pos: Vec<String> = (1..=keys.len()).map(|i| i.to_string()).collect();
            format!(" GROUP BY {}", pos.join(", "))
        };
        let from = self.push_cte(format!(
            "SELECT {} FROM {}{group}",
            sel.join(", "),
            rel.from
        ));
        Ok(Rel {
            from,
            cols,
            ordered: false,
        })
    }
}

/// Replaces column `name` (its select item and type) or appends it.
fn set_column(
    cols: &mut Vec<ColumnDef>,
    sel: &mut Vec<String>,
    name: String,
    item: String,
    ty: KqlType,
) {
    match cols.iter().position(|c| c.name == name) {
        Some(i) => {
            sel[i] = item;
            cols[i].ty = ty;
        }
        None => {
            sel.push(item);
            cols.push(ColumnDef { name, ty });
        }
    }
}

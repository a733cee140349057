//! Where pipelines start: tables and `let` names, `union`, `print`, `datatable`,
//! `externaldata`, watchlists, ASIM parser functions and user-defined functions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::ast::*;
use super::demand::Demand;
use super::functions::{named, quote_ident, quote_str, sql_type, to_string, type_by_name, Typed};
use super::lexer::Span;
use super::sqlgen::{err, is_hidden, Gen, Rel, R, TABLE_COL};
use super::{ColumnDef, KqlType};

/// ASIM parser functions and the views they read.
const ASIM_VIEWS: &[(&str, &str)] = &[
    ("_Im_NetworkSession", "_Im_NetworkSession"),
    ("_ASim_NetworkSession", "_Im_NetworkSession"),
    ("imNetworkSession", "_Im_NetworkSession"),
    ("_Im_Dns", "_Im_Dns"),
    ("_ASim_Dns", "_Im_Dns"),
    ("imDns", "_Im_Dns"),
];

/// A function call's parameter bindings: scalar values, and the tabular `let` names it
/// shadowed (with their previous relations, to restore afterwards).
type Bindings = (HashMap<String, Typed>, Vec<(String, Option<Rel>)>);

/// How an ASIM parser parameter filters rows.
#[derive(Clone, Copy)]
enum AsimParam {
    /// Rows at or after a datetime.
    From,
    /// Rows at or before a datetime.
    To,
    /// A column starts with any string of a list.
    AnyPrefix,
    /// A column has any term of a list.
    HasAny,
    /// A column equals any value of a list.
    InList,
    /// A column equals a value (`*` or empty: no filter).
    Equals,
}

/// The documented ASIM parser parameters quarry honours: (name, filter, columns).
const ASIM_PARAMS: &[(&str, AsimParam, &[&str])] = &[
    ("starttime", AsimParam::From, &["TimeGenerated"]),
    ("endtime", AsimParam::To, &["TimeGenerated"]),
    (
        "srcipaddr_has_any_prefix",
        AsimParam::AnyPrefix,
        &["SrcIpAddr"],
    ),
    (
        "dstipaddr_has_any_prefix",
        AsimParam::AnyPrefix,
        &["DstIpAddr"],
    ),
    (
        "ipaddr_has_any_prefix",
        AsimParam::AnyPrefix,
        &["SrcIpAddr", "DstIpAddr"],
    ),
    ("dstportnumber", AsimParam::Equals, &["DstPortNumber"]),
    (
        "hostname_has_any",
        AsimParam::HasAny,
        &["SrcHostname", "DstHostname"],
    ),
    ("dvcaction", AsimParam::InList, &["DvcAction"]),
    ("eventresult", AsimParam::Equals, &["EventResult"]),
    ("srcipaddr", AsimParam::Equals, &["SrcIpAddr"]),
    ("domain_has_any", AsimParam::HasAny, &["DnsQuery"]),
    (
        "responsecodename",
        AsimParam::Equals,
        &["DnsResponseCodeName"],
    ),
    ("eventtype", AsimParam::Equals, &["EventType"]),
];

/// The SQL filter for one ASIM parameter value; `None` when the value filters nothing.
fn asim_filter(kind: AsimParam, columns: &[&str], v: &Typed) -> Option<String> {
    let items: Vec<Typed> = v.list.clone().unwrap_or_else(|| vec![v.clone()]);
    let texts: Vec<String> = items
        .iter()
        .filter(|t| !matches!(t.lit, Some(Lit::Null)))
        .map(|t| to_string(t).sql)
        .collect();
    let col = |c: &str| format!("CAST({} AS VARCHAR)", quote_ident(c));
    let any_col = |f: &dyn Fn(&str) -> String| {
        let parts: Vec<String> = columns.iter().map(|c| f(c)).collect();
        format!("({})", parts.join(" OR "))
    };
    match kind {
        AsimParam::From => Some(format!("\"TimeGenerated\" >= {}", v.sql)),
        AsimParam::To => Some(format!("\"TimeGenerated\" <= {}", v.sql)),
        _ if texts.is_empty() => None,
        AsimParam::Equals if v.str_lit().is_some_and(|s| s.is_empty() || s == "*") => None,
        AsimParam::Equals => Some(any_col(&|c| format!("{} = {}", col(c), texts[0]))),
        AsimParam::InList => Some(any_col(&|c| {
            format!("{} IN ({})", col(c), texts.join(", "))
        })),
        AsimParam::AnyPrefix => Some(any_col(&|c| {
            let parts: Vec<String> = texts
                .iter()
                .map(|t| format!("starts_with({}, {t})", col(c)))
                .collect();
            parts.join(" OR ")
        })),
        AsimParam::HasAny => Some(any_col(&|c| {
            let parts: Vec<String> = texts
                .iter()
                .map(|t| format!("contains(lower({}), lower({t}))", col(c)))
                .collect();
            parts.join(" OR ")
        })),
    }
}

impl Gen<'_> {
    /// Resolves the source of a pipeline to a relation, of which `demand` is read.
    pub(super) fn source(&mut self, src: &Source, span: &Span, demand: Demand) -> R<Rel> {
        match src {
            Source::Name(n) => self.named(n, span, &demand),
            Source::Paren(p) => self.pipeline_for(p, false, demand),
            Source::Materialize(p) => {
                let rel = self.pipeline(p, false)?;
                if let Some(last) = self.ctes.last_mut() {
                    if last.starts_with(rel.from.as_str()) {
                        *last = last.replacen(" AS (", " AS MATERIALIZED (", 1);
                    }
                }
                Ok(rel)
            }
            Source::Union {
                fuzzy,
                with_source,
                legs,
            } => self.union(*fuzzy, with_source.as_deref(), None, legs, span, demand),
            Source::Print(assigns) => self.print(assigns),
            Source::AllTables => {
                let legs: Vec<Pipeline> = self
                    .catalog
                    .tables
                    .keys()
                    .filter(|t| {
                        !t.starts_with("quarry_")
                            && !t.starts_with("watchlist__")
                            && !t.starts_with('_')
                            && *t != "NetworkSessions"
                    })
                    .map(|t| Pipeline {
                        source: Source::Name(t.clone()),
                        source_span: span.clone(),
                        ops: Vec::new(),
                    })
                    .collect();
                if legs.is_empty() {
                    return err(
                        span,
                        "the case has no tables to search: load logs with `quarry load`",
                    );
                }
                self.union(true, None, None, &legs, span, Demand::All)
            }
            Source::Datatable { columns, values } => self.datatable(columns, values, span),
            Source::Externaldata {
                columns,
                urls,
                props,
            } => self.externaldata(columns, urls, props, span),
            Source::Call(name, args) => self.source_call(name, args, span, &demand),
        }
    }

    /// A table, view or tabular `let`; a table or view keeps the columns `demand` reads.
    fn named(&mut self, name: &str, span: &Span, demand: &Demand) -> R<Rel> {
        if let Some(rel) = self.tables.get(name) {
            return Ok(rel.clone());
        }
        if let Some(f) = self.functions.get(name).cloned() {
            return self.call_tabular_function(name, &f, None, &[], span);
        }
        if let Some(cols) = self.catalog.tables.get(name) {
            let read = cols.iter().filter(|c| demand.wants(&c.name)).cloned();
            return Ok(self.base_table(name, read.collect()));
        }
        let hint = self
            .catalog
            .tables
            .keys()
            .find(|k| k.eq_ignore_ascii_case(name))
            .map(|k| format!(" (names are case-sensitive: did you mean `{k}`?)"))
            .unwrap_or_default();
        err(
            span,
            format!("unknown table `{name}`{hint}: load it with `quarry load`"),
        )
    }

    /// A catalog table; columns whose SQL identifier differs from their name are aliased.
    /// A table read only for columns it stores is read from its stored relation.
    pub(super) fn base_table(&mut self, name: &str, cols: Vec<ColumnDef>) -> Rel {
        let relation = match self.catalog.stored.get(name) {
            Some(s) if cols.iter().all(|c| s.columns.contains(&c.name)) => s.relation.clone(),
            _ => quote_ident(name),
        };
        let renamed = cols
            .iter()
            .any(|c| self.id(&c.name) != quote_ident(&c.name));
        let from = if renamed {
            let sel: Vec<String> = cols
                .iter()
                .map(|c| format!("{} AS {}", quote_ident(&c.name), self.id(&c.name)))
                .collect();
            self.push_cte(format!("SELECT {} FROM {relation}", sel.join(", ")))
        } else {
            relation
        };
        Rel {
            from,
            cols,
            ordered: false,
        }
    }

    /// `union`: columns by name across legs; a missing column reads as null. Each leg is
    /// compiled for `demand`.
    pub(super) fn union(
        &mut self,
        fuzzy: bool,
        with_source: Option<&str>,
        first: Option<Rel>,
        legs: &[Pipeline],
        span: &Span,
        demand: Demand,
    ) -> R<Rel> {
        let mut compiled: Vec<(String, Rel)> = Vec::new();
        if let Some(rel) = first {
            // `T | union U`: the rows so far come first; their table is the pipeline's.
            compiled.push(("union_arg0".into(), rel));
        }
        let mut skipped = Vec::new();
        for (i, leg) in legs.iter().enumerate() {
            let label = match &leg.source {
                Source::Name(n) if leg.ops.is_empty() => n.clone(),
                _ => format!("union_arg{i}"),
            };
            let ctes = self.ctes.len();
            match self.pipeline_for(leg, false, demand.clone()) {
                Ok(rel) => compiled.push((label, rel)),
                Err(d) if fuzzy && d.message.starts_with("unknown table") => {
                    self.ctes.truncate(ctes);
                    skipped.push(d.message.clone());
                }
                Err(d) => return Err(d),
            }
        }
        for s in skipped {
            self.note(&format!("union isfuzzy=true skipped a leg: {s}"));
        }
        if compiled.is_empty() {
            return err(span, "no leg of the union could be resolved");
        }
        // Output columns: by name, first appearance first; clashing types keep the first.
        let mut cols: Vec<ColumnDef> = Vec::new();
        for (_, rel) in &compiled {
            for c in rel.cols.iter().filter(|c| !is_hidden(c)) {
                if !cols.iter().any(|o| o.name == c.name) {
                    cols.push(c.clone());
                }
            }
        }
        let source_col = with_source.unwrap_or(TABLE_COL).to_string();
        // Each row's table is written only when something after the union reads it (or
        // when it is the only column, for a union whose rows are only counted).
        let labelled = cols.is_empty()
            || match &demand {
                Demand::All => true,
                Demand::Names(names) => names.contains(&source_col),
            };
        let mut selects = Vec::new();
        for (label, rel) in &compiled {
            let mut sel: Vec<String> = cols
                .iter()
                .map(|c| match rel.cols.iter().find(|r| r.name == c.name) {
                    Some(r) if r.ty == c.ty => self.id(&c.name),
                    Some(_) => format!("TRY_CAST({} AS {})", self.id(&c.name), sql_type(c.ty)),
                    None => format!("CAST(NULL AS {})", sql_type(c.ty)),
                })
                .map(|v| v.to_string())
                .zip(cols.iter())
                .map(|(v, c)| named(&v, &self.id(&c.name)))
                .collect();
            if labelled {
                sel.push(format!("{} AS {}", quote_str(label), self.id(&source_col)));
            }
            selects.push(format!("SELECT {} FROM {}", sel.join(", "), rel.from));
        }
        if labelled {
            cols.push(ColumnDef {
                name: source_col,
                ty: KqlType::String,
            });
        }
        let from = self.push_cte(selects.join(" UNION ALL "));
        Ok(Rel {
            from,
            cols,
            ordered: false,
        })
    }

    /// `print a, name = b`: one row; unnamed columns are `print_0`, `print_1`, ...
    fn print(&mut self, assigns: &[Assign]) -> R<Rel> {
        let mut sel = Vec::new();
        let mut cols = Vec::new();
        for (i, a) in assigns.iter().enumerate() {
            let t = self.expr(&a.expr, &[])?;
            let name = a
                .name
                .as_ref()
                .map_or_else(|| format!("print_{i}"), |(n, _)| n.clone());
            sel.push(format!("{} AS {}", t.sql, self.id(&name)));
            cols.push(ColumnDef { name, ty: t.ty });
        }
        let from = self.push_cte(format!("SELECT {}", sel.join(", ")));
        Ok(Rel {
            from,
            cols,
            ordered: false,
        })
    }

    /// Column declarations `(name:type)` resolved to KQL types.
    fn declared(&self, columns: &[(String, String)], span: &Span) -> R<Vec<ColumnDef>> {
        columns
            .iter()
            .map(|(n, t)| match type_by_name(t) {
                Some(ty) => Ok(ColumnDef {
                    name: n.clone(),
                    ty,
                }),
                None => err(span, format!("unknown type `{t}` for column `{n}`")),
            })
            .collect()
    }

    /// `datatable(cols)[values]`
    fn datatable(&mut self, columns: &[(String, String)], values: &[Expr], span: &Span) -> R<Rel> {
        let cols = self.declared(columns, span)?;
        if cols.is_empty() || !values.len().is_multiple_of(cols.len()) {
            return err(
                span,
                format!(
                    "datatable has {} columns but {} values",
                    cols.len(),
                    values.len()
                ),
            );
        }
        let mut rows = Vec::new();
        for row in values.chunks(cols.len()) {
            let mut cells = Vec::new();
            for (v, c) in row.iter().zip(&cols) {
                let t = self.expr(v, &[])?;
                cells.push(format!("CAST({} AS {})", t.sql, sql_type(c.ty)));
            }
            rows.push(format!("({})", cells.join(", ")));
        }
        let names: Vec<String> = cols.iter().map(|c| self.id(&c.name)).collect();
        let from = self.push_cte(format!(
            "SELECT * FROM (VALUES {}) AS t({})",
            rows.join(", "),
            names.join(", ")
        ));
        Ok(Rel {
            from,
            cols,
            ordered: false,
        })
    }

    /// `externaldata`: the URL's file name is looked up in the case's externaldata folder
    /// (zip archives are read from the folder extracted beside them at load time).
    fn externaldata(
        &mut self,
        columns: &[(String, String)],
        urls: &[String],
        props: &[(String, String)],
        span: &Span,
    ) -> R<Rel> {
        let cols = self.declared(columns, span)?;
        let Some(dir) = self.catalog.externaldata_dir.clone() else {
            return err(
                span,
                "externaldata needs a case on disk (this case is in memory)",
            );
        };
        let prop = |k: &str| {
            props
                .iter()
                .find(|(p, _)| p.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        if let Some(f) = prop("format") {
            if !matches!(f.to_ascii_lowercase().as_str(), "csv" | "txt") {
                return err(
                    span,
                    format!("externaldata format `{f}` is not supported yet"),
                );
            }
        }
        let skip_header = prop("ignoreFirstRecord").is_some_and(|v| v == "true");
        let mut files = Vec::new();
        for url in urls {
            let name = url
                .rsplit('/')
                .next()
                .unwrap_or(url)
                .split('?')
                .next()
                .unwrap_or_default();
            match local_files(&dir, name) {
                Some(found) => files.extend(found),
                None => {
                    return err(
                        span,
                        format!(
                            "externaldata file `{name}` is not in {}: put it in an \
                             `externaldata/` folder and load that folder with `quarry load`",
                            dir.display()
                        ),
                    )
                }
            }
        }
        let paths: Vec<String> = files
            .iter()
            .map(|p| quote_str(&p.to_string_lossy()))
            .collect();
        let types: Vec<String> = cols
            .iter()
            .map(|c| {
                format!(
                    "{}: {}",
                    quote_str(&self.id(&c.name).replace('"', "")),
                    quote_str(sql_type(c.ty))
                )
            })
            .collect();
        let from = self.push_cte(format!(
            "SELECT * FROM read_csv([{}], header = false, skip = {}, auto_detect = false, \
             columns = {{{}}}, ignore_errors = true)",
            paths.join(", "),
            u8::from(skip_header),
            types.join(", ")
        ));
        Ok(Rel {
            from,
            cols,
            ordered: false,
        })
    }

    /// `name(args)` as a source: watchlists, ASIM parsers, `table()`, user functions. A
    /// watchlist or ASIM view keeps the columns `demand` reads.
    fn source_call(&mut self, name: &str, args: &[Arg], span: &Span, demand: &Demand) -> R<Rel> {
        if name == "_GetWatchlist" || name == "table" {
            let [Arg {
                value:
                    Expr {
                        kind: ExprKind::Lit(Lit::Str(arg)),
                        ..
                    },
                ..
            }] = args
            else {
                return err(span, format!("{name}() takes one string literal"));
            };
            if name == "table" {
                return self.named(arg, span, &Demand::All);
            }
            let Some(w) = self.catalog.watchlists.get(arg) else {
                return err(
                    span,
                    format!(
                        "unknown watchlist `{arg}`: import it with `quarry watchlist import {arg} FILE.csv`"
                    ),
                );
            };
            let table = w.table.clone();
            let read = w.columns.iter().filter(|c| demand.wants(&c.name)).cloned();
            return Ok(self.base_table(&table, read.collect()));
        }
        if let Some((_, view)) = ASIM_VIEWS.iter().find(|(f, _)| *f == name) {
            return self.asim(view, args, span, demand);
        }
        if let Some(f) = self.functions.get(name).cloned() {
            return self.call_tabular_function(name, &f, None, args, span);
        }
        err(span, format!("unknown function `{name}`"))
    }

    /// An ASIM parser call: the view, filtered by the `starttime`/`endtime` parameters, with
    /// the columns `demand` reads.
    fn asim(&mut self, view: &str, args: &[Arg], span: &Span, demand: &Demand) -> R<Rel> {
        let Some(cols) = self.catalog.tables.get(view).cloned() else {
            return err(
                span,
                format!("`{view}` has no data: load network or DNS logs with `quarry load`"),
            );
        };
        let mut filters = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let pname = a
                .name
                .clone()
                .unwrap_or_else(|| ["starttime", "endtime"].get(i).unwrap_or(&"").to_string());
            let v = self.expr(&a.value, &[])?;
            let Some(&(_, kind, columns)) = ASIM_PARAMS.iter().find(|p| p.0 == pname) else {
                return err(
                    &a.value.span,
                    format!("ASIM parameter `{pname}` is not supported"),
                );
            };
            if let Some(f) = asim_filter(kind, columns, &v) {
                filters.push(f);
            }
        }
        let read = cols.into_iter().filter(|c| demand.wants(&c.name));
        let rel = self.base_table(view, read.collect());
        if filters.is_empty() {
            return Ok(rel);
        }
        let sql = format!(
            "SELECT {} FROM {} WHERE {}",
            self.col_list(&rel.cols, false),
            rel.from,
            filters.join(" AND ")
        );
        let from = self.push_cte(sql);
        Ok(Rel { from, ..rel })
    }

    /// Binds a function's parameters: tabular ones to relations, scalar ones to values.
    fn bind_params(
        &mut self,
        name: &str,
        f: &Function,
        input: Option<Rel>,
        args: &[Arg],
        cols: &[ColumnDef],
        span: &Span,
    ) -> R<Bindings> {
        let mut scalars = HashMap::new();
        let mut tables = Vec::new();
        let mut args = args.iter();
        let mut input = input;
        for p in &f.params {
            if p.tabular {
                let rel = match input.take() {
                    Some(r) => r,
                    None => match args.next() {
                        Some(Arg {
                            value:
                                Expr {
                                    kind: ExprKind::Name(t),
                                    span,
                                },
                            ..
                        }) => self.named(t, span, &Demand::All)?,
                        _ => return err(span, format!("{name}() needs a table for `{}`", p.name)),
                    },
                };
                tables.push((p.name.clone(), self.tables.insert(p.name.clone(), rel)));
                continue;
            }
            let value = match (args.next(), &p.default) {
                (Some(a), _) => self.expr(&a.value, cols)?,
                (None, Some(d)) => self.expr(d, cols)?,
                (None, None) => {
                    return err(span, format!("{name}() needs a value for `{}`", p.name))
                }
            };
            scalars.insert(p.name.clone(), value);
        }
        if args.next().is_some() {
            return err(span, format!("too many arguments for {name}()"));
        }
        Ok((scalars, tables))
    }

    /// Compiles a tabular user function with `input` bound to its first tabular parameter.
    pub(super) fn call_tabular_function(
        &mut self,
        name: &str,
        f: &Function,
        input: Option<Rel>,
        args: &[Arg],
        span: &Span,
    ) -> R<Rel> {
        let FnBody::Tabular(body) = &f.body else {
            return err(span, format!("`{name}` is a scalar function, not a table"));
        };
        let bindings = self.bind_params(name, f, input, args, &[], span)?;
        self.in_scope(bindings, &f.lets, |g| g.pipeline(body, false))
    }

    /// Runs `body` with a call's bindings and body `let`s in scope, then restores the
    /// outer scope.
    fn in_scope<T>(
        &mut self,
        (scalars, saved): Bindings,
        lets: &[Let],
        body: impl FnOnce(&mut Self) -> R<T>,
    ) -> R<T> {
        self.locals.push(scalars);
        let result = self.function_lets(lets).and_then(|_| body(self));
        self.locals.pop();
        for (n, old) in saved {
            match old {
                Some(r) => self.tables.insert(n, r),
                None => self.tables.remove(&n),
            };
        }
        result
    }

    /// Inlines a scalar user function call.
    pub(super) fn call_scalar_function(
        &mut self,
        name: &str,
        f: &Function,
        span: &Span,
        args: &[Expr],
        cols: &[ColumnDef],
    ) -> R<Typed> {
        let FnBody::Scalar(body) = &f.body else {
            return err(span, format!("`{name}` returns a table, not a value"));
        };
        let args: Vec<Arg> = args
            .iter()
            .map(|e| Arg {
                name: None,
                value: e.clone(),
            })
            .collect();
        let bindings = self.bind_params(name, f, None, &args, cols, span)?;
        self.in_scope(bindings, &f.lets, |g| g.expr(body, cols))
    }

    /// `let` statements inside a function body (added to the innermost scope).
    fn function_lets(&mut self, lets: &[Let]) -> R<()> {
        for l in lets {
            match &l.value {
                LetValue::Scalar(e) => {
                    let t = self.expr(e, &[])?;
                    if let Some(scope) = self.locals.last_mut() {
                        scope.insert(l.name.clone(), t);
                    }
                }
                LetValue::Tabular(p) => {
                    let rel = self.pipeline(p, false)?;
                    self.tables.insert(l.name.clone(), rel);
                }
                LetValue::Function(f) => {
                    self.functions.insert(l.name.clone(), f.clone());
                }
            }
        }
        Ok(())
    }

    /// `| invoke f(args)`: the current rows become the function's table parameter.
    pub(super) fn invoke(&mut self, name: &str, span: &Span, args: &[Arg], rel: Rel) -> R<Rel> {
        let Some(f) = self.functions.get(name).cloned() else {
            return err(span, format!("unknown function `{name}`"));
        };
        if !f.params.first().is_some_and(|p| p.tabular) {
            return err(
                span,
                format!("`{name}` does not take a table as its first parameter"),
            );
        }
        self.call_tabular_function(name, &f, Some(rel), args, span)
    }
}

/// The local files for an externaldata file name: the file itself, or the CSV files
/// extracted from it when it is a zip archive.
fn local_files(dir: &Path, name: &str) -> Option<Vec<PathBuf>> {
    let path = dir.join(name);
    let extracted = dir.join(format!("{name}.d"));
    if extracted.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&extracted)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        return (!files.is_empty()).then_some(files);
    }
    (path.is_file() && !name.to_ascii_lowercase().ends_with(".zip")).then(|| vec![path])
}

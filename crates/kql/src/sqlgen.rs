//! SQL generation: resolves names against the catalog, tracks the schema of every stage and
//! emits one CTE per tabular operator.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::ast::*;
use super::demand::{filter_reads, visit, Demand};
use super::diag::Diagnostic;
use super::functions::{self, quote_ident, quote_str, to_string, Typed};
use super::lexer::Span;
use super::{Catalog, ColumnDef, KqlType};

/// Hidden column carrying the row order established by `sort`/`top`.
pub(super) const ORD: &str = "__quarry_ord";

/// The KQL name of the hidden column `union` adds with each row's table (`$table`).
pub(super) const TABLE_COL: &str = "$table";

/// Whether a column is internal (kept through the pipeline, never output).
pub(super) fn is_hidden(c: &ColumnDef) -> bool {
    c.name.starts_with('$')
}

/// A relation the next stage selects from.
#[derive(Debug, Clone)]
pub struct Rel {
    /// SQL name (quoted table or CTE name).
    pub from: String,
    /// Visible columns.
    pub cols: Vec<ColumnDef>,
    /// Whether the hidden order column is present.
    pub ordered: bool,
}

/// One emitted stage, kept for later features (drill-down, editing).
#[derive(Debug, Clone)]
pub struct Stage {
    /// The operator (`where`, `summarize`, ...), or `source` for the table.
    pub op: String,
    /// The CTE name (or quoted table name for the source).
    pub cte: String,
    /// The schema after the stage (internal columns such as `$table` included).
    pub columns: Vec<ColumnDef>,
    /// The quoted SQL identifier of each column in `columns`, in the same order
    /// (a name that differs only in case from another gets a suffix in SQL).
    pub sql_columns: Vec<String>,
}

/// Where the rows behind a summarized hit come from: the input of the last `summarize`.
#[derive(Debug, Clone)]
pub struct SummarizeInfo {
    /// Index of the `summarize` in the stages.
    pub stage: usize,
    /// The CTE (or table) the summarize reads.
    pub input_cte: String,
    /// Its columns.
    pub input_columns: Vec<ColumnDef>,
    /// Their SQL identifiers.
    pub input_sql_columns: Vec<String>,
    /// Each group key: its output column name and the SQL expression over the input that
    /// makes its value (a `bin()` key is the binned expression).
    pub keys: Vec<(String, String)>,
}

/// The generator's state for one query.
pub struct Gen<'a> {
    pub(super) catalog: &'a Catalog,
    /// KQL column name → SQL identifier (see [`Gen::id`]).
    pub(super) idents: std::cell::RefCell<(HashMap<String, String>, HashSet<String>)>,
    /// User-defined functions in scope.
    pub(super) functions: HashMap<String, Function>,
    /// Scalar bindings of function parameters, innermost last; they shadow columns.
    pub(super) locals: Vec<HashMap<String, Typed>>,
    /// What the rest of the pipeline reads from the output of the operator being compiled
    /// (a join or union passes it on to the pipelines it reads).
    pub(super) after: Demand,
    /// Whether the main pipeline's last `summarize` reads every column of its input, for
    /// drill-down to show.
    pub(super) drillable: bool,
    /// Each `sort` stage: the relation it sorts, its ORDER BY, and whether every key is a
    /// column by name.
    sorts: HashMap<String, (Rel, String, bool)>,
    /// Each `summarize` stage's SELECT by its CTE name, for a query that ends with it.
    aggregates: HashMap<String, String>,
    /// How many times the `where`s after the operator being compiled read each column.
    filter_reads: HashMap<String, usize>,
    /// `name AS (sql)` entries, in order.
    pub ctes: Vec<String>,
    /// Scalar `let` values.
    pub scalars: HashMap<String, Typed>,
    /// Tabular `let` values.
    pub tables: HashMap<String, Rel>,
    /// Notes for the user (approximations, exactness).
    pub notes: Vec<String>,
    /// Stages of the main pipeline.
    pub stages: Vec<Stage>,
    /// The last `summarize` of the main pipeline (for drill-down).
    pub last_summarize: Option<SummarizeInfo>,
    /// Group keys of the `summarize` just compiled: (output name, SQL over its input).
    keys_of_last: Vec<(String, String)>,
    pub(super) allow_agg: bool,
    /// Set when `bag_unpack`/`pivot` saw no rows: their columns are unknown, so unknown
    /// names read as null instead of failing.
    pub(super) open_schema: bool,
    /// While compiling `extend`/`project`: whether the rows are serialized (window
    /// functions such as `prev()` need it). `None` elsewhere.
    window: Option<bool>,
    /// Each `where` stage by its CTE name.
    pub(super) filters: HashMap<String, Filter>,
    /// Each `project` that only keeps columns as they are, by its CTE name: the relation it
    /// reads and the WHERE clause it applies (see [`Gen::through_stage`]).
    pub(super) keeps: HashMap<String, (String, String)>,
    /// Each join stage, and each projection of one, by its CTE name (see [`Joined`]).
    pub(super) joins: HashMap<String, Joined>,
    /// The text columns of a `summarize` stage that are never null (its keys, coalesced
    /// already), by its CTE name.
    never_null: HashMap<String, BTreeSet<String>>,
}

/// A `where` stage: a run of `where`s becomes one filter over the relation the first one
/// reads (each extra layer over a wide table costs DuckDB milliseconds to bind and run).
#[derive(Debug, Clone)]
pub(super) struct Filter {
    /// The relation the run of `where`s filters.
    base: String,
    /// Every predicate of the run, as SQL.
    preds: Vec<String>,
    /// The columns the run keeps non-empty (`isnotempty`), so a join on one of them can
    /// compare keys as they are: an empty key matches nothing there.
    pub(super) nonempty: BTreeSet<String>,
}

/// A join stage (or a projection that only picks and renames a join's columns), for the
/// `project` or `summarize` after it: that stage selects from the joined sides itself, its
/// column references qualified, so DuckDB binds one SELECT instead of two.
#[derive(Debug, Clone)]
pub(super) struct Joined {
    /// Each output column's quoted name → its qualified SQL (`l."X"`, `r."Y"`).
    pub(super) columns: HashMap<String, String>,
    /// `<left> AS l JOIN <right> AS r ON ...`.
    pub(super) from: String,
}

pub(super) type R<T> = Result<T, Diagnostic>;

pub(super) fn err<T>(span: &Span, msg: impl Into<String>) -> R<T> {
    Err(Diagnostic::new(span.clone(), msg))
}

/// Matches a `project-away` pattern with `*` wildcards.
fn glob(pat: &str, name: &str) -> bool {
    match pat.split_once('*') {
        None => pat == name,
        Some((head, rest)) => {
            let Some(tail) = name.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|i| tail.is_char_boundary(*i))
                .any(|i| glob(rest, &tail[i..]))
        }
    }
}

/// Names referenced by an expression.
pub(super) fn names(e: &Expr, out: &mut BTreeSet<String>) {
    visit(e, &mut |x| {
        if let ExprKind::Name(n) = &x.kind {
            out.insert(n.clone());
        }
    });
}

/// The columns a `where` predicate keeps non-empty: `isnotempty(c)` among its top-level
/// `and`s.
fn required_nonempty(e: &Expr, out: &mut BTreeSet<String>) {
    match &e.kind {
        ExprKind::Binary(BinOp::And, a, b) => {
            required_nonempty(a, out);
            required_nonempty(b, out);
        }
        ExprKind::Call(f, _, args) if f == "isnotempty" => {
            if let [Expr {
                kind: ExprKind::Name(n),
                ..
            }] = args.as_slice()
            {
                out.insert(n.clone());
            }
        }
        _ => {}
    }
}

/// The column name Kusto derives for an expression: a column, or the column inside
/// a conversion or `bin()`.
fn derived_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(n.clone()),
        ExprKind::Call(f, _, args)
            if matches!(
                f.as_str(),
                "bin"
                    | "floor"
                    | "tostring"
                    | "toint"
                    | "tolong"
                    | "todouble"
                    | "toreal"
                    | "tolower"
                    | "toupper"
            ) && !args.is_empty() =>
        {
            derived_name(&args[0])
        }
        _ => None,
    }
}

/// `Column1`, `Column2`, ...: the first not in `taken`.
fn fresh_column(taken: &[ColumnDef], extra: &[String]) -> String {
    (1..)
        .map(|i| format!("Column{i}"))
        .find(|n| !taken.iter().any(|c| &c.name == n) && !extra.contains(n))
        .unwrap_or_default()
}

/// SQL calls that cost much more per row than a comparison: IP range tests, regular
/// expressions, quarry's text readers, JSON parsing.
const COSTLY_CALLS: &[&str] = &[
    "ipv4_",
    "ipv6_",
    "parse_ipv4",
    "regexp_",
    "kql_extract",
    "kql_has",
    "quarry_url_host",
    "json_",
];

fn is_int(t: KqlType) -> bool {
    matches!(t, KqlType::Int | KqlType::Long)
}

impl<'a> Gen<'a> {
    /// A generator for `catalog`.
    pub fn new(catalog: &'a Catalog) -> Self {
        Gen {
            catalog,
            ctes: Vec::new(),
            scalars: HashMap::new(),
            tables: HashMap::new(),
            notes: Vec::new(),
            stages: Vec::new(),
            last_summarize: None,
            keys_of_last: Vec::new(),
            allow_agg: false,
            open_schema: false,
            window: None,
            filters: HashMap::new(),
            keeps: HashMap::new(),
            joins: HashMap::new(),
            never_null: HashMap::new(),
            after: Demand::All,
            filter_reads: HashMap::new(),
            sorts: HashMap::new(),
            aggregates: HashMap::new(),
            drillable: false,
            idents: Default::default(),
            functions: HashMap::new(),
            locals: Vec::new(),
        }
    }

    /// The SQL of computed column `name`. DuckDB copies a computed column's expression into
    /// each filter that reads it, so a costly string or boolean expression that later
    /// `where`s read more than once ran once per reading and once more for the column. It is
    /// wrapped in the volatile `quarry_once()` then, which DuckDB does not copy.
    fn computed_once(&self, t: &Typed, name: &str) -> String {
        let costly = COSTLY_CALLS.iter().any(|c| t.sql.contains(c));
        let reread = self.filter_reads.get(name).is_some_and(|n| *n > 1);
        if costly && reread && matches!(t.ty, KqlType::String | KqlType::Bool) {
            format!("quarry_once({})", t.sql)
        } else {
            t.sql.clone()
        }
    }

    /// The SQL identifier of KQL column `name`. DuckDB compares identifiers without case,
    /// so a name differing only in case from one seen before gets a suffix.
    pub fn id(&self, name: &str) -> String {
        if name == TABLE_COL {
            return quote_ident("__quarry_table");
        }
        let mut ids = self.idents.borrow_mut();
        if let Some(id) = ids.0.get(name) {
            return quote_ident(id);
        }
        let mut id = name.to_string();
        let mut n = 1;
        while ids.1.contains(&id.to_lowercase()) {
            n += 1;
            id = format!("{name}__{n}");
        }
        ids.1.insert(id.to_lowercase());
        ids.0.insert(name.to_string(), id.clone());
        quote_ident(&id)
    }

    /// The select list for a relation's columns (plus the order column when present).
    pub fn col_list(&self, cols: &[ColumnDef], ordered: bool) -> String {
        let mut v: Vec<String> = cols.iter().map(|c| self.id(&c.name)).collect();
        if ordered {
            v.push(quote_ident(ORD));
        }
        if v.is_empty() {
            "NULL AS \"__quarry_empty\"".into()
        } else {
            v.join(", ")
        }
    }

    pub(super) fn note(&mut self, n: &str) {
        if !self.notes.iter().any(|x| x == n) {
            self.notes.push(n.to_string());
        }
    }

    /// Whether `SELECT *` from `rel` gives exactly its columns (and its order column when
    /// it has one): true for the stages this generator wrote, and for a table or view read
    /// whole.
    fn star_ok(&self, rel: &Rel) -> bool {
        let prefix = format!("{} AS (", rel.from);
        if self.ctes.iter().any(|c| c.starts_with(&prefix)) {
            return true;
        }
        !rel.ordered
            && self
                .catalog
                .tables
                .iter()
                .any(|(name, cols)| quote_ident(name) == rel.from && *cols == rel.cols)
    }

    /// The relation a stage reading `rel` selects from, and the WHERE clause it adds: a
    /// `where` stage is read through, as its base under its predicates, so that the two are
    /// one SELECT for DuckDB to bind instead of two. The base has the same columns.
    pub(super) fn through_filter(&self, rel: &Rel) -> (Rel, String) {
        match self.filters.get(&rel.from) {
            Some(f) => (
                Rel {
                    from: f.base.clone(),
                    ..rel.clone()
                },
                format!(" WHERE {}", f.preds.join(" AND ")),
            ),
            None => (rel.clone(), String::new()),
        }
    }

    /// Like [`Gen::through_filter`], and also through a `project` that only keeps columns:
    /// the relation to select from and the WHERE clause to add, for a stage that names every
    /// column it reads (never `*`, since the relation read may have more columns).
    pub(super) fn through_stage(&self, rel: &Rel) -> (String, String) {
        match self.keeps.get(&rel.from) {
            Some((base, filter)) => (base.clone(), filter.clone()),
            None => {
                let (input, filter) = self.through_filter(rel);
                (input.from, filter)
            }
        }
    }

    /// Every column name a SELECT reading `rel` can see: a stage of this query has exactly
    /// its columns, a table or view all of its own; `None` for anything else.
    pub(super) fn visible_names(&self, rel: &Rel) -> Option<Vec<String>> {
        let prefix = format!("{} AS (", rel.from);
        if self.ctes.iter().any(|c| c.starts_with(&prefix)) {
            return Some(rel.cols.iter().map(|c| self.id(&c.name)).collect());
        }
        self.catalog
            .tables
            .iter()
            .find(|(name, _)| quote_ident(name) == rel.from)
            .map(|(_, cols)| cols.iter().map(|c| quote_ident(&c.name)).collect())
    }

    pub(super) fn push_cte(&mut self, sql: String) -> String {
        let name = format!("s{}", self.ctes.len());
        self.ctes.push(format!("{} AS ({sql})", quote_ident(&name)));
        quote_ident(&name)
    }

    /// Compiles a pipeline whose every column is read; `record` keeps its stages for the
    /// compiled form.
    pub fn pipeline(&mut self, p: &Pipeline, record: bool) -> R<Rel> {
        self.pipeline_for(p, record, Demand::All)
    }

    /// Compiles a pipeline of which `end` is read: a table source keeps only the columns
    /// the operators and `end` read.
    pub(super) fn pipeline_for(&mut self, p: &Pipeline, record: bool, end: Demand) -> R<Rel> {
        // A pipeline nested in an operator (a join's right side, `toscalar()`) leaves the
        // operator's own context as it found it.
        let outer = (self.after.clone(), std::mem::take(&mut self.filter_reads));
        let rel = self.pipeline_ops(p, record, end);
        (self.after, self.filter_reads) = outer;
        rel
    }

    fn pipeline_ops(&mut self, p: &Pipeline, record: bool, end: Demand) -> R<Rel> {
        let regrouped = self.keys_first(&p.ops);
        let ops = regrouped.as_deref().unwrap_or(&p.ops);
        let mut demands = self.demands(ops, end, record && self.drillable).into_iter();
        let first = demands.next().unwrap_or(Demand::All);
        let mut rel = self.source(&p.source, &p.source_span, first)?;
        if record {
            self.record_stage("source", &rel);
        }
        for (i, (op, after)) in ops.iter().zip(demands).enumerate() {
            let input = rel.clone();
            self.after = after;
            self.filter_reads = filter_reads(&ops[i + 1..]);
            let (name, next) = self.op(op, rel)?;
            rel = next;
            if record {
                if name == "summarize" {
                    self.last_summarize = Some(SummarizeInfo {
                        stage: self.stages.len(),
                        input_cte: input.from.clone(),
                        input_columns: input.cols.clone(),
                        input_sql_columns: input.cols.iter().map(|c| self.id(&c.name)).collect(),
                        keys: std::mem::take(&mut self.keys_of_last),
                    });
                }
                self.record_stage(name, &rel);
            }
        }
        Ok(rel)
    }

    fn record_stage(&mut self, op: &str, rel: &Rel) {
        let sql_columns = rel.cols.iter().map(|c| self.id(&c.name)).collect();
        self.stages.push(Stage {
            op: op.into(),
            cte: rel.from.clone(),
            columns: rel.cols.clone(),
            sql_columns,
        });
    }

    /// The whole query over a relation: the stages it reads, then [`Gen::select`].
    pub fn finish(&self, rel: &Rel) -> String {
        let mut sql = String::new();
        let select = self.select(rel);
        let used = used_ctes(&self.ctes, &select);
        if !used.is_empty() {
            let written: Vec<String> = used
                .iter()
                .map(|cte| materialised_if_shared(cte, &used, &select))
                .collect();
            sql.push_str("WITH ");
            sql.push_str(&written.join(",\n"));
            sql.push('\n');
        }
        sql.push_str(&select);
        sql
    }

    /// The final SELECT over a relation, restoring the sort order. A relation that is a
    /// `sort` of another is selected from that one with ORDER BY: the row numbers that carry
    /// the order through later stages are not needed at the end.
    pub fn select(&self, rel: &Rel) -> String {
        if let Some((input, order, by_name)) = self.sorts.get(&rel.from) {
            let unsorted = Rel {
                ordered: false,
                ..input.clone()
            };
            let select = match self.whole_aggregate(&unsorted) {
                Some(aggregate) if *by_name => aggregate.clone(),
                _ => self.select(&unsorted),
            };
            return format!("{select} ORDER BY {order}");
        }
        if let Some(aggregate) = self.whole_aggregate(rel) {
            return aggregate.clone();
        }
        let (input, filter) = self.through_stage(rel);
        let never_null = self.never_null.get(&input);
        let visible: Vec<String> = rel
            .cols
            .iter()
            .filter(|c| !is_hidden(c))
            .map(|c| {
                // Kusto strings are never null: absent values print as empty strings.
                let filled = never_null.is_some_and(|n| n.contains(&c.name));
                let v = if c.ty == KqlType::String && !filled {
                    format!("coalesce({}, '')", self.id(&c.name))
                } else {
                    self.id(&c.name)
                };
                functions::named(&v, &quote_ident(&c.name))
            })
            .collect();
        let list = if visible.is_empty() {
            "NULL AS \"__quarry_empty\"".to_string()
        } else {
            visible.join(", ")
        };
        let mut sql = format!("SELECT {list} FROM {input}{filter}");
        if rel.ordered {
            sql.push_str(&format!(" ORDER BY {}", quote_ident(ORD)));
        }
        sql
    }

    /// The SELECT of the `summarize` that made `rel` when a final SELECT over it would
    /// repeat its columns as they are (no hidden column, no text that may be null): the query
    /// then ends with that SELECT, one less for DuckDB to bind.
    fn whole_aggregate(&self, rel: &Rel) -> Option<&String> {
        let aggregate = self.aggregates.get(&rel.from)?;
        let never_null = self.never_null.get(&rel.from)?;
        let as_is = !rel.ordered
            && rel.cols.iter().all(|c| {
                !is_hidden(c) && (c.ty != KqlType::String || never_null.contains(&c.name))
            });
        as_is.then_some(aggregate)
    }

    pub(super) fn op(&mut self, op: &Op, rel: Rel) -> R<(&'static str, Rel)> {
        let from = rel.from.clone();
        Ok(match &op.kind {
            OpKind::Where(pred) => {
                let p = self.expr(pred, &rel.cols)?;
                if p.ty != KqlType::Bool {
                    return err(&pred.span, "`where` needs a boolean expression");
                }
                let mut filter = self.filters.get(&from).cloned().unwrap_or_else(|| Filter {
                    base: from.clone(),
                    preds: Vec::new(),
                    nonempty: BTreeSet::new(),
                });
                filter.preds.push(format!("({})", p.sql));
                required_nonempty(pred, &mut filter.nonempty);
                let input = Rel {
                    from: filter.base.clone(),
                    ..rel.clone()
                };
                // A stage of this query has exactly the relation's columns: `*` keeps the
                // SQL short.
                let list = if self.star_ok(&input) {
                    "*".to_string()
                } else {
                    self.col_list(&rel.cols, rel.ordered)
                };
                let sql = format!(
                    "SELECT {list} FROM {} WHERE {}",
                    filter.base,
                    filter.preds.join(" AND ")
                );
                let from = self.push_cte(sql);
                self.filters.insert(from.clone(), filter);
                ("where", Rel { from, ..rel })
            }
            OpKind::Take(n) => {
                let n = self.limit(n, &rel.cols)?;
                let order = if rel.ordered {
                    format!(" ORDER BY {}", quote_ident(ORD))
                } else {
                    String::new()
                };
                let sql = format!(
                    "SELECT {} FROM {from}{order} LIMIT {n}",
                    self.col_list(&rel.cols, rel.ordered)
                );
                let from = self.push_cte(sql);
                ("take", Rel { from, ..rel })
            }
            OpKind::Count => {
                let from = self.push_cte(format!("SELECT count(*) AS \"Count\" FROM {from}"));
                let cols = vec![ColumnDef {
                    name: "Count".into(),
                    ty: KqlType::Long,
                }];
                (
                    "count",
                    Rel {
                        from,
                        cols,
                        ordered: false,
                    },
                )
            }
            OpKind::Extend(assigns) => {
                self.window = Some(rel.ordered);
                let r = self.extend(assigns, rel);
                self.window = None;
                ("extend", r?)
            }
            OpKind::Project(assigns) => {
                self.window = Some(rel.ordered);
                let items = self.projection(assigns, &rel.cols);
                self.window = None;
                let items = items?;
                ("project", self.pick(items, &rel))
            }
            OpKind::ProjectAway(pats) => {
                for (pat, span) in pats {
                    if !pat.contains('*') && !rel.cols.iter().any(|c| &c.name == pat) {
                        return err(span, format!("unknown column `{pat}`"));
                    }
                }
                let items = rel
                    .cols
                    .iter()
                    .filter(|c| !pats.iter().any(|(p, _)| glob(p, &c.name)))
                    .map(|c| (self.id(&c.name), c.clone()))
                    .collect();
                ("project-away", self.pick(items, &rel))
            }
            OpKind::ProjectRename(pairs) => {
                let mut items: Vec<(String, ColumnDef)> = rel
                    .cols
                    .iter()
                    .map(|c| (self.id(&c.name), c.clone()))
                    .collect();
                for (new, old, span) in pairs {
                    let Some(i) = items.iter().position(|(_, c)| &c.name == old) else {
                        return err(span, format!("unknown column `{old}`"));
                    };
                    items[i].1.name = new.clone();
                }
                ("project-rename", self.pick(items, &rel))
            }
            OpKind::Sort(keys) => {
                let order = self.order_by(keys, &rel.cols)?;
                let by_name = keys
                    .iter()
                    .all(|k| matches!(&k.expr.kind, ExprKind::Name(n) if rel.cols.iter().any(|c| &c.name == n)));
                let sql = format!(
                    "SELECT {}, row_number() OVER (ORDER BY {order}) AS {} FROM {from}",
                    self.col_list(&rel.cols, false),
                    quote_ident(ORD)
                );
                let input = rel.clone();
                let from = self.push_cte(sql);
                self.sorts.insert(from.clone(), (input, order, by_name));
                (
                    "sort",
                    Rel {
                        from,
                        ordered: true,
                        ..rel
                    },
                )
            }
            OpKind::Top(n, key) => {
                let n = self.limit(n, &rel.cols)?;
                let order = self.order_by(std::slice::from_ref(key), &rel.cols)?;
                let cols = self.col_list(&rel.cols, false);
                let sql = format!(
                    "SELECT {cols}, row_number() OVER (ORDER BY {order}) AS {} FROM \
                     (SELECT {cols} FROM {from} ORDER BY {order} LIMIT {n})",
                    quote_ident(ORD)
                );
                let from = self.push_cte(sql);
                (
                    "top",
                    Rel {
                        from,
                        ordered: true,
                        ..rel
                    },
                )
            }
            OpKind::Distinct(assigns) => {
                let items = if assigns.is_empty() {
                    rel.cols
                        .iter()
                        .filter(|c| !is_hidden(c))
                        .map(|c| (self.id(&c.name), c.clone()))
                        .collect()
                } else {
                    self.projection(assigns, &rel.cols)?
                };
                // Absent and empty strings are the same value in Kusto.
                let sel: Vec<String> = items
                    .iter()
                    .map(|(sql, c)| {
                        let v = Typed::new(sql.clone(), c.ty);
                        functions::named(&group_value(&v).to_string(), &self.id(&c.name))
                    })
                    .collect();
                let cols = items.into_iter().map(|(_, c)| c).collect();
                let from = self.push_cte(format!("SELECT DISTINCT {} FROM {from}", sel.join(", ")));
                (
                    "distinct",
                    Rel {
                        from,
                        cols,
                        ordered: false,
                    },
                )
            }
            OpKind::Summarize { aggs, by } => ("summarize", self.summarize(op, aggs, by, rel)?),
            OpKind::Join { kind, right, on } => ("join", self.join(op, kind, right, on, rel)?),
            OpKind::MvExpand {
                bag_as_array,
                columns,
                limit,
            } => (
                "mv-expand",
                self.mv_expand(op, *bag_as_array, columns, *limit, rel)?,
            ),
            OpKind::Parse { expr, parts, regex } => {
                ("parse", self.parse_op(expr, parts, *regex, rel)?)
            }
            OpKind::Evaluate(name, span, args) => {
                ("evaluate", self.evaluate(name, span, args, rel)?)
            }
            OpKind::Invoke(name, span, args) => ("invoke", self.invoke(name, span, args, rel)?),
            OpKind::MvApply { columns, ops } => ("mv-apply", self.mv_apply(op, columns, ops, rel)?),
            OpKind::MakeSeries {
                aggs,
                on,
                from,
                to,
                step,
                by,
            } => {
                let spec = super::series::SeriesSpec {
                    aggs,
                    on,
                    from: from.as_ref(),
                    to: to.as_ref(),
                    step,
                    by,
                };
                ("make-series", self.make_series(op, &spec, rel)?)
            }
            OpKind::Lookup { kind, right, on } => {
                ("lookup", self.lookup(op, kind, right, on, rel)?)
            }
            OpKind::Union {
                fuzzy,
                with_source,
                legs,
            } => (
                "union",
                self.union(
                    *fuzzy,
                    with_source.as_deref(),
                    Some(rel),
                    legs,
                    &op.span,
                    self.after.clone(),
                )?,
            ),
            OpKind::TopNested(levels) => ("top-nested", self.top_nested(levels, rel)?),
            OpKind::Search(pred) => {
                let p = self.expr(pred, &rel.cols)?;
                let sql = format!(
                    "SELECT {} FROM {from} WHERE {}",
                    self.col_list(&rel.cols, rel.ordered),
                    p.sql
                );
                let from = self.push_cte(sql);
                ("search", Rel { from, ..rel })
            }
            OpKind::Passthrough(name) if name == "serialize" && !rel.ordered => {
                // Number the rows in their current order so next()/prev() can read it.
                let sql = format!(
                    "SELECT {}, row_number() OVER () AS {} FROM {from}",
                    self.col_list(&rel.cols, false),
                    quote_ident(ORD)
                );
                let from = self.push_cte(sql);
                (
                    "serialize",
                    Rel {
                        from,
                        ordered: true,
                        ..rel
                    },
                )
            }
            OpKind::Passthrough(name) => {
                if name == "render" {
                    self.note("render is ignored: quarry shows tables");
                }
                ("passthrough", rel)
            }
            OpKind::ProjectReorder(pats) | OpKind::ProjectKeep(pats) => {
                let keep = matches!(op.kind, OpKind::ProjectKeep(_));
                let mut cols: Vec<ColumnDef> = Vec::new();
                for (pat, span) in pats {
                    let hits: Vec<&ColumnDef> =
                        rel.cols.iter().filter(|c| glob(pat, &c.name)).collect();
                    if hits.is_empty() && !pat.contains('*') {
                        return err(span, format!("unknown column `{pat}`"));
                    }
                    for c in hits {
                        if !cols.iter().any(|o| o.name == c.name) {
                            cols.push(c.clone());
                        }
                    }
                }
                if !keep {
                    for c in &rel.cols {
                        if !cols.iter().any(|o| o.name == c.name) {
                            cols.push(c.clone());
                        }
                    }
                }
                let items = cols.into_iter().map(|c| (self.id(&c.name), c)).collect();
                let name = if keep {
                    "project-keep"
                } else {
                    "project-reorder"
                };
                (name, self.pick(items, &rel))
            }
        })
    }

    /// The stage of a `project` (or `project-away`, `-keep`, `-rename`, `-reorder`): each
    /// item is the SQL of an output column over `rel`. A stage that only picks and renames
    /// the columns of a join selects from the join itself; any other reads through a `where`
    /// or a column-keeping `project` (see [`Gen::through_stage`]), and is one itself when it
    /// keeps its columns as they are.
    fn pick(&mut self, items: Vec<(String, ColumnDef)>, rel: &Rel) -> Rel {
        let keeps = items
            .iter()
            .all(|(sql, c)| *sql == self.id(&c.name) && rel.cols.iter().any(|i| i.name == c.name));
        let joined = self.joins.get(&rel.from).and_then(|j| {
            let sources = items
                .iter()
                .map(|(sql, c)| Some((self.id(&c.name), j.columns.get(sql)?.clone())))
                .collect::<Option<Vec<_>>>()?;
            let picked: Vec<String> = sources
                .iter()
                .map(|(id, q)| format!("{q} AS {id}"))
                .collect();
            let sql = format!("SELECT {} FROM {}", picked.join(", "), j.from);
            let columns = sources.into_iter().collect();
            Some((
                sql,
                Joined {
                    columns,
                    from: j.from.clone(),
                },
            ))
        });
        let (input, filter) = self.through_stage(rel);
        let (sql, joined) = match joined {
            Some((sql, joined)) if !rel.ordered => (sql, Some(joined)),
            _ => {
                let mut sel: Vec<String> = items
                    .iter()
                    .map(|(sql, c)| functions::named(sql, &self.id(&c.name)))
                    .collect();
                if rel.ordered {
                    sel.push(quote_ident(ORD));
                }
                if sel.is_empty() {
                    sel.push("NULL AS \"__quarry_empty\"".into());
                }
                (
                    format!("SELECT {} FROM {input}{filter}", sel.join(", ")),
                    None,
                )
            }
        };
        let from = self.push_cte(sql);
        if keeps {
            self.keeps.insert(from.clone(), (input, filter));
        }
        if let Some(joined) = joined {
            self.joins.insert(from.clone(), joined);
        }
        Rel {
            from,
            cols: items.into_iter().map(|(_, c)| c).collect(),
            ordered: rel.ordered,
        }
    }

    fn limit(&mut self, n: &Expr, cols: &[ColumnDef]) -> R<i64> {
        match self.expr(n, cols)?.lit {
            Some(Lit::Long(v)) if v >= 0 => Ok(v),
            _ => err(&n.span, "expected a non-negative integer constant"),
        }
    }

    fn order_by(&mut self, keys: &[SortKey], cols: &[ColumnDef]) -> R<String> {
        let mut parts = Vec::new();
        for k in keys {
            let e = self.expr(&k.expr, cols)?;
            // Kusto: nulls first when ascending, last when descending, unless told.
            let nulls_first = k.nulls_first.unwrap_or(k.asc);
            parts.push(format!(
                "{} {} NULLS {}",
                e.sql,
                if k.asc { "ASC" } else { "DESC" },
                if nulls_first { "FIRST" } else { "LAST" }
            ));
        }
        Ok(parts.join(", "))
    }

    /// `project`-style list: returns select items and the new schema.
    fn projection(
        &mut self,
        assigns: &[Assign],
        cols: &[ColumnDef],
    ) -> R<Vec<(String, ColumnDef)>> {
        let mut sel = Vec::new();
        let mut out: Vec<ColumnDef> = Vec::new();
        for a in assigns {
            let t = self.expr(&a.expr, cols)?;
            let name = match (&a.name, &a.expr.kind) {
                (Some((n, _)), _) => n.clone(),
                (None, ExprKind::Name(n)) => n.clone(),
                (None, _) => fresh_column(&out, &[]),
            };
            if out.iter().any(|c| c.name == name) {
                let span = a.name.as_ref().map_or(&a.expr.span, |(_, s)| s);
                return err(span, format!("column `{name}` is produced twice"));
            }
            sel.push(self.computed_once(&t, &name));
            out.push(ColumnDef { name, ty: t.ty });
        }
        Ok(sel.into_iter().zip(out).collect())
    }

    fn extend(&mut self, assigns: &[Assign], mut rel: Rel) -> R<Rel> {
        // Select items per current column; new names assigned in this stage are `pending`.
        let mut sel: Vec<String> = rel.cols.iter().map(|c| self.id(&c.name)).collect();
        let mut cols = rel.cols.clone();
        let mut pending: BTreeSet<String> = BTreeSet::new();
        for a in assigns {
            let mut used = BTreeSet::new();
            names(&a.expr, &mut used);
            if used.iter().any(|n| pending.contains(n)) {
                // A later assignment reads an earlier one: close this stage first.
                rel = self.flush_extend(&sel, cols.clone(), &rel);
                sel = cols.iter().map(|c| self.id(&c.name)).collect();
                pending.clear();
            }
            let t = self.expr(&a.expr, &rel.cols)?;
            let name = match &a.name {
                Some((n, _)) => n.clone(),
                None => fresh_column(&cols, &[]),
            };
            let item = format!("{} AS {}", self.computed_once(&t, &name), self.id(&name));
            match cols.iter().position(|c| c.name == name) {
                Some(i) => {
                    sel[i] = item;
                    cols[i].ty = t.ty;
                }
                None => {
                    sel.push(item);
                    cols.push(ColumnDef {
                        name: name.clone(),
                        ty: t.ty,
                    });
                }
            }
            pending.insert(name);
        }
        Ok(self.flush_extend(&sel, cols, &rel))
    }

    /// Closes an extend stage over `input`: `sel` has one item per column of `input`, then
    /// one per new column. Over a stage or a whole table it is written as
    /// `* REPLACE (...), new...`, which is shorter to bind than every column by name.
    pub(super) fn flush_extend(
        &mut self,
        sel: &[String],
        cols: Vec<ColumnDef>,
        input: &Rel,
    ) -> Rel {
        let (input, filter) = self.through_filter(input);
        let input = &input;
        let ids: Vec<String> = input.cols.iter().map(|c| self.id(&c.name)).collect();
        let list = if self.star_ok(input) && sel.len() >= ids.len() {
            let replaced: Vec<&str> = sel
                .iter()
                .zip(&ids)
                .filter(|(s, id)| s != id)
                .map(|(s, _)| s.as_str())
                .collect();
            let mut list = if replaced.is_empty() {
                "*".to_string()
            } else {
                format!("* REPLACE ({})", replaced.join(", "))
            };
            for item in &sel[ids.len()..] {
                list.push_str(", ");
                list.push_str(item);
            }
            list
        } else {
            let mut list = sel.join(", ");
            if input.ordered {
                list.push_str(&format!(", {}", quote_ident(ORD)));
            }
            list
        };
        let from = self.push_cte(format!("SELECT {list} FROM {}{filter}", input.from));
        Rel {
            from,
            cols,
            ordered: input.ordered,
        }
    }

    fn summarize(&mut self, op: &Op, aggs: &[Assign], by: &[Assign], rel: Rel) -> R<Rel> {
        let mut sel = Vec::new();
        let mut cols: Vec<ColumnDef> = Vec::new();
        let mut push = |name: String, t: Typed, span: &Span, cols: &mut Vec<ColumnDef>| {
            if cols.iter().any(|c| c.name == name) {
                return err(span, format!("column `{name}` is produced twice"));
            }
            sel.push(t.sql);
            cols.push(ColumnDef { name, ty: t.ty });
            Ok(())
        };
        let mut keys = Vec::new();
        for k in by {
            let t = self.expr(&k.expr, &rel.cols)?;
            let t = Typed::new(group_value(&t), t.ty);
            let name = match &k.name {
                Some((n, _)) => n.clone(),
                None => derived_name(&k.expr).unwrap_or_else(|| fresh_column(&cols, &[])),
            };
            keys.push((name.clone(), t.sql.clone()));
            push(name, t, &k.expr.span, &mut cols)?;
        }
        self.keys_of_last = keys;
        let nkeys = cols.len();
        for a in aggs {
            if let ExprKind::Call(f, fspan, args) = &a.expr.kind {
                if matches!(f.as_str(), "arg_max" | "arg_min" | "percentiles") {
                    let keys: Vec<String> = cols.iter().map(|c| c.name.clone()).collect();
                    for (name, t) in self.multi_aggregate(f, fspan, args, &rel.cols, &keys)? {
                        push(name, t, &a.expr.span, &mut cols)?;
                    }
                    continue;
                }
            }
            self.allow_agg = true;
            let t = self.expr(&a.expr, &rel.cols);
            self.allow_agg = false;
            let t = t?;
            let name = match (&a.name, &a.expr.kind) {
                (Some((n, _)), _) => n.clone(),
                (None, ExprKind::Call(f, _, args)) if functions::is_aggregate(f) => {
                    let prefix = functions::agg_prefix(f);
                    let arg = args.first().and_then(derived_name).unwrap_or_default();
                    match (f.as_str(), args.get(1).map(|a| &a.kind)) {
                        ("percentile", Some(ExprKind::Lit(Lit::Long(p)))) => {
                            format!("{prefix}_{arg}_{p}")
                        }
                        _ => format!("{prefix}_{arg}"),
                    }
                }
                (None, _) => fresh_column(&cols, &[]),
            };
            push(name, t, &a.expr.span, &mut cols)?;
        }
        if cols.is_empty() {
            return err(&op.span, "summarize needs an aggregation or a `by` key");
        }
        // Over a join (or a projection of one), the columns are read from the joined sides
        // directly: one SELECT instead of two.
        let over_join = self.joins.get(&rel.from).and_then(|j| {
            let items = sel
                .iter()
                .zip(&cols)
                .map(|(sql, c)| {
                    Some(functions::named(
                        &qualify(sql, &j.columns)?,
                        &self.id(&c.name),
                    ))
                })
                .collect::<Option<Vec<_>>>()?;
            Some(format!("SELECT {} FROM {}", items.join(", "), j.from))
        });
        let sel: Vec<String> = sel
            .iter()
            .zip(&cols)
            .map(|(sql, c)| functions::named(sql, &self.id(&c.name)))
            .collect();
        let (input, filter) = self.through_stage(&rel);
        let mut sql =
            over_join.unwrap_or_else(|| format!("SELECT {} FROM {input}{filter}", sel.join(", ")));
        if nkeys > 0 {
            let pos: Vec<String> = (1..=nkeys).map(|i| i.to_string()).collect();
            sql.push_str(&format!(" GROUP BY {}", pos.join(", ")));
        }
        let from = self.push_cte(sql.clone());
        self.aggregates.insert(from.clone(), sql);
        let keys = cols[..nkeys].iter().filter(|c| c.ty == KqlType::String);
        self.never_null
            .insert(from.clone(), keys.map(|c| c.name.clone()).collect());
        Ok(Rel {
            from,
            cols,
            ordered: false,
        })
    }

    /// Aggregations that make several columns: `arg_max(e, cols | *)`, `arg_min`, and
    /// `percentiles(x, p1, p2, ...)`.
    fn multi_aggregate(
        &mut self,
        f: &str,
        span: &Span,
        args: &[Expr],
        cols: &[ColumnDef],
        keys: &[String],
    ) -> R<Vec<(String, Typed)>> {
        let Some(first) = args.first() else {
            return err(span, format!("{f}() needs an argument"));
        };
        let x = self.expr(first, cols)?;
        let base = derived_name(first).unwrap_or_else(|| fresh_column(cols, &[]));
        if f == "percentiles" {
            let mut out = Vec::new();
            for p in &args[1..] {
                let pv = match self.expr(p, cols)?.lit {
                    Some(Lit::Long(n)) => n as f64,
                    Some(Lit::Real(r)) => r,
                    _ => return err(&p.span, "percentiles() needs constant percentages"),
                };
                let label = format!("{pv}").replace('.', "_");
                out.push((
                    format!("percentile_{base}_{label}"),
                    Typed::new(format!("quantile_disc({}, {})", x.sql, pv / 100.0), x.ty),
                ));
            }
            return Ok(out);
        }
        let (agg, pick) = if f == "arg_max" {
            ("max", "arg_max")
        } else {
            ("min", "arg_min")
        };
        let mut out = vec![(base.clone(), Typed::new(format!("{agg}({})", x.sql), x.ty))];
        let mut wanted: Vec<ColumnDef> = Vec::new();
        for a in &args[1..] {
            match &a.kind {
                ExprKind::Star => wanted.extend(
                    cols.iter()
                        .filter(|c| !is_hidden(c) && c.name != base && !keys.contains(&c.name))
                        .cloned(),
                ),
                ExprKind::Name(n) => match cols.iter().find(|c| &c.name == n) {
                    Some(c) => wanted.push(c.clone()),
                    None => return err(&a.span, format!("unknown column `{n}`")),
                },
                _ => {
                    return err(
                        &a.span,
                        format!("{f}() takes column names or `*` after the first argument"),
                    )
                }
            }
        }
        for c in wanted {
            if out.iter().any(|(n, _)| n == &c.name) {
                continue;
            }
            let sql = format!("{pick}({}, {})", self.id(&c.name), x.sql);
            out.push((c.name.clone(), Typed::new(sql, c.ty)));
        }
        Ok(out)
    }

    /// Compiles a scalar expression against the columns `cols`.
    pub fn expr(&mut self, e: &Expr, cols: &[ColumnDef]) -> R<Typed> {
        match &e.kind {
            ExprKind::Lit(l) => Ok(Typed::lit(l.clone())),
            ExprKind::Star => err(&e.span, "`*` as an argument is not supported yet"),
            ExprKind::Name(n) => {
                if let Some(t) = self.locals.last().and_then(|l| l.get(n)) {
                    return Ok(t.clone());
                }
                if let Some(c) = cols.iter().find(|c| &c.name == n) {
                    return Ok(Typed::new(self.id(&c.name), c.ty));
                }
                if let Some(t) = self.scalars.get(n) {
                    return Ok(t.clone());
                }
                if n == "null" {
                    return Ok(Typed::lit(Lit::Null));
                }
                if self.open_schema {
                    self.note(&format!(
                        "`{n}` reads as null: no rows reached bag_unpack/pivot to make it a column"
                    ));
                    return Ok(Typed::new("CAST(NULL AS JSON)", KqlType::Dynamic));
                }
                err(&e.span, format!("unknown column or name `{n}`"))
            }
            ExprKind::NullDynamic => Ok(Typed::new("CAST(NULL AS JSON)", KqlType::Dynamic)),
            ExprKind::Dynamic(items) => {
                let mut list = Vec::new();
                for i in items {
                    list.push(self.expr(i, cols)?);
                }
                let sql = format!(
                    "json_array({})",
                    list.iter()
                        .map(|t| t.sql.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                Ok(Typed {
                    list: Some(list),
                    ..Typed::new(sql, KqlType::Dynamic)
                })
            }
            ExprKind::Member(base, key) => {
                let b = self.expr(base, cols)?;
                Ok(functions::member(&b, key))
            }
            ExprKind::Index(base, index) => {
                let b = self.expr(base, cols)?;
                let i = self.expr(index, cols)?;
                functions::index(&b, &i).or_else(|m| err(&e.span, m))
            }
            ExprKind::ToScalar(p) => {
                let rel = self.pipeline(p, false)?;
                let Some(first) = rel.cols.iter().find(|c| !is_hidden(c)) else {
                    return err(
                        &e.span,
                        "toscalar() needs a tabular expression with a column",
                    );
                };
                Ok(Typed::new(
                    format!(
                        "(SELECT {} FROM {} LIMIT 1)",
                        self.id(&first.name),
                        rel.from
                    ),
                    first.ty,
                ))
            }
            ExprKind::AnyColumnHas(term) => {
                let needle = Typed::lit(Lit::Str(term.clone()));
                let parts: Vec<String> = cols
                    .iter()
                    .filter(|c| !is_hidden(c) && matches!(c.ty, KqlType::String | KqlType::Dynamic))
                    .map(|c| {
                        let v = to_string(&Typed::new(self.id(&c.name), c.ty));
                        format!("coalesce({}, false)", string_op(StrOp::Has, &v, &needle))
                    })
                    .collect();
                Ok(Typed::new(
                    if parts.is_empty() {
                        "false".to_string()
                    } else {
                        format!("({})", parts.join(" OR "))
                    },
                    KqlType::Bool,
                ))
            }
            ExprKind::Matches(a, b) => {
                let x = self.expr(a, cols)?;
                let r = self.expr(b, cols)?;
                Ok(Typed::new(
                    format!(
                        "coalesce(regexp_matches({}, {}), false)",
                        str_side(&x),
                        str_side(&r)
                    ),
                    KqlType::Bool,
                ))
            }
            ExprKind::Neg(a) => {
                let t = self.expr(a, cols)?;
                // Fold constants (a negated timespan parameter stays a constant for now()).
                Ok(match t.lit {
                    Some(Lit::TimeSpan(us)) => Typed::lit(Lit::TimeSpan(-us)),
                    Some(Lit::Long(n)) => Typed::lit(Lit::Long(-n)),
                    Some(Lit::Real(r)) => Typed::lit(Lit::Real(-r)),
                    _ => Typed::new(format!("(- {})", t.sql), t.ty),
                })
            }
            ExprKind::Call(name, span, args) => self.call(name, span, args, cols),
            ExprKind::Binary(op, a, b) => {
                let l = self.expr(a, cols)?;
                let r = self.expr(b, cols)?;
                self.binary(*op, l, r, e)
            }
            ExprKind::In {
                expr,
                list,
                negated,
                ci,
            } => {
                let x = self.expr(expr, cols)?;
                if let Some(sub) = self.tabular_list(list, cols) {
                    let (col, from, ty) = sub?;
                    let lhs = if *ci {
                        format!("lower({})", str_side(&x))
                    } else if ty == KqlType::String {
                        str_side(&x)
                    } else {
                        x.sql.clone()
                    };
                    let col = if *ci {
                        format!("lower({col})")
                    } else if ty == KqlType::String {
                        format!("coalesce({col}, '')")
                    } else {
                        col
                    };
                    let op = if *negated { "NOT IN" } else { "IN" };
                    return Ok(Typed::new(
                        format!("({lhs} {op} (SELECT {col} FROM {from} WHERE {col} IS NOT NULL))"),
                        KqlType::Bool,
                    ));
                }
                let items = self.list_items(list, cols)?;
                if items.is_empty() {
                    return Ok(Typed::new(
                        if *negated { "true" } else { "false" },
                        KqlType::Bool,
                    ));
                }
                let string = x.ty == KqlType::String || *ci;
                let list: Vec<String> = items
                    .iter()
                    .map(|t| match (string, *ci) {
                        (_, true) => lower(&to_string(t)),
                        (true, false) => to_string(t).sql,
                        _ => t.sql.clone(),
                    })
                    .collect();
                let list = list.join(", ");
                let lhs = match (string, *ci) {
                    (_, true) => format!("lower({})", str_side(&x)),
                    (true, false) if *negated => str_side(&x),
                    _ => x.sql,
                };
                let op = if *negated { "NOT IN" } else { "IN" };
                Ok(Typed::new(format!("({lhs} {op} ({list}))"), KqlType::Bool))
            }
            ExprKind::HasAny { expr, list, all } => {
                let x = self.expr(expr, cols)?;
                let items = self.list_items(list, cols)?;
                if items.is_empty() {
                    return Ok(Typed::new("false", KqlType::Bool));
                }
                let terms: Option<Vec<&str>> = items.iter().map(|t| t.str_lit()).collect();
                let sql = match terms {
                    Some(terms) if !*all => format!(
                        "regexp_matches({}, {})",
                        str_side(&x),
                        quote_str(&format!("(?i){}", any_term_pattern(&terms)))
                    ),
                    _ => {
                        let parts: Vec<String> = items
                            .iter()
                            .map(|t| string_op(StrOp::Has, &x, &to_string(t)))
                            .collect();
                        format!("({})", parts.join(if *all { " AND " } else { " OR " }))
                    }
                };
                Ok(Typed::new(sql, KqlType::Bool))
            }
            ExprKind::Between {
                expr,
                lo,
                hi,
                negated,
            } => {
                let x = self.expr(expr, cols)?;
                let l = self.expr(lo, cols)?;
                let mut h = self.expr(hi, cols)?;
                if x.ty == KqlType::DateTime && h.ty == KqlType::TimeSpan {
                    h = Typed::new(format!("({} + {})", l.sql, h.sql), KqlType::DateTime);
                }
                let sql = format!("({} BETWEEN {} AND {})", x.sql, l.sql, h.sql);
                Ok(Typed::new(
                    if *negated {
                        format!("(NOT {sql})")
                    } else {
                        sql
                    },
                    KqlType::Bool,
                ))
            }
        }
    }

    /// `x in (T)` where `T` is a tabular `let` (or a parenthesised pipeline): the first
    /// column of `T` as (SQL column, relation, type). `None` when the list is not tabular.
    fn tabular_list(
        &mut self,
        list: &[Expr],
        cols: &[ColumnDef],
    ) -> Option<R<(String, String, KqlType)>> {
        let [item] = list else { return None };
        let ExprKind::Name(n) = &item.kind else {
            return None;
        };
        if cols.iter().any(|c| &c.name == n)
            || self.scalars.contains_key(n)
            || self.locals.last().is_some_and(|l| l.contains_key(n))
        {
            return None;
        }
        let rel = self.tables.get(n)?.clone();
        Some(match rel.cols.iter().find(|c| !is_hidden(c)) {
            Some(c) => Ok((self.id(&c.name), rel.from.clone(), c.ty)),
            None => err(&item.span, format!("`{n}` has no column to compare with")),
        })
    }

    /// The elements of an `in`/`has_any` list, with `dynamic` arrays spliced in.
    fn list_items(&mut self, list: &[Expr], cols: &[ColumnDef]) -> R<Vec<Typed>> {
        let mut items = Vec::new();
        for i in list {
            let t = self.expr(i, cols)?;
            match t.list {
                Some(inner) => items.extend(inner),
                None if t.ty == KqlType::Dynamic => {
                    return err(&i.span, "a list from a dynamic column is not supported yet")
                }
                None => items.push(t),
            }
        }
        Ok(items)
    }

    fn call(&mut self, name: &str, span: &Span, args: &[Expr], cols: &[ColumnDef]) -> R<Typed> {
        if let Some(f) = self.functions.get(name).cloned() {
            return self.call_scalar_function(name, &f, span, args, cols);
        }
        if matches!(name, "prev" | "next" | "row_number") {
            return self.window_call(name, span, args, cols);
        }
        if name == "column_ifexists" {
            // The column if this stage has it, else the default value.
            let [col, default] = args else {
                return err(
                    span,
                    "column_ifexists() takes a column name and a default value",
                );
            };
            let ExprKind::Lit(Lit::Str(n)) = &col.kind else {
                return err(
                    &col.span,
                    "column_ifexists() needs the column name as a string literal",
                );
            };
            return match cols.iter().find(|c| &c.name == n) {
                Some(c) => Ok(Typed::new(self.id(&c.name), c.ty)),
                None => self.expr(default, cols),
            };
        }
        let known = if functions::is_aggregate(name) {
            functions::aggregate(name, &[]).is_some()
        } else {
            functions::scalar(name, &[], self.catalog.now).is_some()
        };
        if !known {
            return err(span, format!("{name} is not supported yet"));
        }
        let mut targs = Vec::new();
        for a in args {
            targs.push(self.expr(a, cols)?);
        }
        if functions::is_aggregate(name) {
            if !self.allow_agg {
                return err(
                    span,
                    format!("{name}() is an aggregation: use it in `summarize`"),
                );
            }
            return match functions::aggregate(name, &targs) {
                Some(Ok(a)) => {
                    if name.starts_with("dcount") {
                        self.note("dcount() is exact in quarry (Kusto estimates it)");
                    }
                    Ok(a)
                }
                Some(Err(m)) => err(span, m),
                None => err(span, format!("{name} is not supported yet")),
            };
        }
        match functions::scalar(name, &targs, self.catalog.now) {
            Some(Ok(t)) => Ok(t),
            Some(Err(m)) => err(span, m),
            None => err(span, format!("{name} is not supported yet")),
        }
    }

    /// `prev(x[, n[, default]])`, `next(...)` and `row_number([start])` over serialized rows.
    fn window_call(
        &mut self,
        name: &str,
        span: &Span,
        args: &[Expr],
        cols: &[ColumnDef],
    ) -> R<Typed> {
        match self.window {
            Some(true) => {}
            Some(false) => {
                return err(
                    span,
                    format!(
                    "{name}() needs serialized rows: add `| serialize` or `| sort by ...` first"
                ),
                )
            }
            None => {
                return err(
                    span,
                    format!("{name}() can only be used in extend or project"),
                )
            }
        }
        let over = format!("OVER (ORDER BY {})", quote_ident(ORD));
        let mut targs = Vec::new();
        for a in args {
            targs.push(self.expr(a, cols)?);
        }
        if name == "row_number" {
            let start = targs.first().map_or("1".to_string(), |t| t.sql.clone());
            return Ok(Typed::new(
                format!("(row_number() {over} + ({start}) - 1)"),
                KqlType::Long,
            ));
        }
        let Some(x) = targs.first() else {
            return err(span, format!("{name}() needs a column"));
        };
        let n = targs.get(1).map_or("1".to_string(), |t| t.sql.clone());
        let f = if name == "prev" { "lag" } else { "lead" };
        let sql = match targs.get(2) {
            Some(d) => format!("{f}({}, {n}, {}) {over}", x.sql, d.sql),
            None => format!("{f}({}, {n}) {over}", x.sql),
        };
        Ok(Typed::new(sql, x.ty))
    }

    fn binary(&mut self, op: BinOp, l: Typed, r: Typed, e: &Expr) -> R<Typed> {
        use KqlType as K;
        let bool_op = |kw: &str| -> R<Typed> {
            if l.ty != K::Bool || r.ty != K::Bool {
                return err(
                    &e.span,
                    format!("`{}` needs boolean operands", kw.to_lowercase()),
                );
            }
            Ok(Typed::new(format!("({} {kw} {})", l.sql, r.sql), K::Bool))
        };
        match op {
            BinOp::And => bool_op("AND"),
            BinOp::Or => bool_op("OR"),
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let sym = match op {
                    BinOp::Eq => "=",
                    BinOp::Ne => "<>",
                    BinOp::Lt => "<",
                    BinOp::Le => "<=",
                    BinOp::Gt => ">",
                    _ => ">=",
                };
                let nonempty_lit = |t: &Typed| t.str_lit().is_some_and(|v| !v.is_empty());
                if op == BinOp::Eq
                    && l.ty == K::String
                    && r.ty == K::String
                    && (nonempty_lit(&l) || nonempty_lit(&r))
                {
                    // NULL = 'x' is NULL (false), as '' = 'x' would be.
                    return Ok(Typed::new(format!("({} = {})", l.sql, r.sql), K::Bool));
                }
                if l.ty == K::String || r.ty == K::String {
                    // Kusto strings are never null: compare absent values as ''.
                    let (a, b) = (str_side(&l), str_side(&r));
                    return Ok(Typed::new(format!("({a} {sym} {b})"), K::Bool));
                }
                Ok(Typed::new(format!("({} {sym} {})", l.sql, r.sql), K::Bool))
            }
            BinOp::EqCi | BinOp::NeCi => {
                let sym = if op == BinOp::EqCi { "=" } else { "<>" };
                let keep_null = op == BinOp::EqCi
                    && l.ty == K::String
                    && r.str_lit().is_some_and(|v| !v.is_empty());
                let a = if keep_null {
                    format!("lower({})", l.sql)
                } else {
                    lower(&l)
                };
                let b = lower(&r);
                Ok(Typed::new(format!("({a} {sym} {b})"), K::Bool))
            }
            BinOp::Str(s, negated) => {
                let pos = string_op(s, &l, &r);
                Ok(Typed::new(
                    if negated {
                        format!("(NOT coalesce({pos}, false))")
                    } else {
                        pos
                    },
                    K::Bool,
                ))
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
                let sym = match op {
                    BinOp::Add => "+",
                    BinOp::Sub => "-",
                    BinOp::Mul => "*",
                    BinOp::Div => "/",
                    _ => "%",
                };
                let ty = match (op, l.ty, r.ty) {
                    (BinOp::Add, K::DateTime, K::TimeSpan)
                    | (BinOp::Add, K::TimeSpan, K::DateTime) => K::DateTime,
                    (BinOp::Sub, K::DateTime, K::TimeSpan) => K::DateTime,
                    (BinOp::Sub, K::DateTime, K::DateTime) => K::TimeSpan,
                    (BinOp::Add | BinOp::Sub, K::TimeSpan, K::TimeSpan) => K::TimeSpan,
                    (BinOp::Mul, K::TimeSpan, t) | (BinOp::Mul, t, K::TimeSpan) if is_int(t) => {
                        K::TimeSpan
                    }
                    (_, a, b) if is_int(a) && is_int(b) => {
                        if a == K::Long || b == K::Long {
                            K::Long
                        } else {
                            K::Int
                        }
                    }
                    (_, a, b) if l.is_numeric() && r.is_numeric() => {
                        if a == K::Decimal && b == K::Decimal {
                            K::Decimal
                        } else {
                            K::Real
                        }
                    }
                    (_, a, b) => {
                        return err(
                            &e.span,
                            format!("`{sym}` on {a:?} and {b:?} is not supported yet"),
                        )
                    }
                };
                // Kusto integer division truncates toward zero.
                let sql = if op == BinOp::Div && is_int(l.ty) && is_int(r.ty) {
                    // Truncates toward zero; dividing by zero gives null.
                    format!("CAST(trunc({} / nullif({}, 0)) AS BIGINT)", l.sql, r.sql)
                } else if op == BinOp::Mod && is_int(l.ty) && is_int(r.ty) {
                    // Kusto's remainder is never negative: -7 % 3 is 2.
                    format!(
                        "((({a} % nullif({b}, 0)) + abs({b})) % nullif(abs({b}), 0))",
                        a = l.sql,
                        b = r.sql
                    )
                } else {
                    format!("({} {sym} {})", l.sql, r.sql)
                };
                Ok(Typed::new(sql, ty))
            }
        }
    }
}

/// A grouping value: strings read NULL as '' so absent and empty group together.
fn group_value(t: &Typed) -> String {
    if t.ty == KqlType::String && t.lit.is_none() {
        to_string(t).sql
    } else {
        t.sql.clone()
    }
}

/// A string operand for comparisons: columns and expressions read NULL as ''.
fn str_side(t: &Typed) -> String {
    if t.lit.is_some() {
        t.sql.clone()
    } else {
        to_string(t).sql
    }
}

/// Lower-cased string operand, folded for literals.
fn lower(t: &Typed) -> String {
    match t.str_lit() {
        Some(s) => quote_str(&s.to_lowercase()),
        None => format!("lower({})", str_side(t)),
    }
}

/// The regular expression for a whole-term match of `term` (`has`): a side of the term
/// that is alphanumeric must sit at a term boundary; a side that is punctuation is its own
/// boundary, so `has ".microsoft.com"` finds `www.microsoft.com`.
fn term_pattern(term: &str) -> String {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    let open = if alnum(term.chars().next()) {
        "(^|[^[:alnum:]])"
    } else {
        ""
    };
    let close = if alnum(term.chars().last()) {
        "($|[^[:alnum:]])"
    } else {
        ""
    };
    format!("(?:{open}{}{close})", regex_escape(term))
}

/// The regular expression for `has_any`: the terms that are words at both ends share one
/// pair of boundaries (`(^|\W)(?:a|b|c)($|\W)`, which RE2 runs much faster than one group per
/// term); the others keep their own.
fn any_term_pattern(terms: &[&str]) -> String {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    let (words, others): (Vec<&str>, Vec<&str>) = terms
        .iter()
        .partition(|t| alnum(t.chars().next()) && alnum(t.chars().last()));
    let mut alternatives: Vec<String> = Vec::new();
    if !words.is_empty() {
        let escaped: Vec<String> = words.iter().map(|w| regex_escape(w)).collect();
        alternatives.push(format!(
            "(?:(^|[^[:alnum:]])(?:{})($|[^[:alnum:]]))",
            escaped.join("|")
        ));
    }
    alternatives.extend(others.iter().map(|t| term_pattern(t)));
    alternatives.join("|")
}

/// Escapes RE2 metacharacters.
pub(super) fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `sql` with every quoted identifier outside string literals replaced by its SQL in
/// `columns` (`"Name"` → `l."Name"`); `None` when one is not there.
fn qualify(sql: &str, columns: &HashMap<String, String>) -> Option<String> {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    while let Some(at) = rest.find(['\'', '"']) {
        out.push_str(&rest[..at]);
        let quote = rest.as_bytes()[at];
        // The end of the literal or identifier: the next lone quote (a doubled one is part of it).
        let mut end = at + 1;
        loop {
            let next = end + rest[end..].find(quote as char)?;
            if rest.as_bytes().get(next + 1) == Some(&quote) {
                end = next + 2;
            } else {
                end = next + 1;
                break;
            }
        }
        let token = &rest[at..end];
        if quote == b'"' {
            out.push_str(columns.get(token)?);
        } else {
            out.push_str(token);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    Some(out)
}

/// The positive form of a word string operator.
fn string_op(s: StrOp, l: &Typed, r: &Typed) -> String {
    let x = if l.ty == KqlType::String && r.str_lit().is_some_and(|n| !n.is_empty()) {
        // NULL gives NULL (false), as '' would: no need to coalesce.
        l.sql.clone()
    } else {
        str_side(l)
    };
    match s {
        StrOp::Has | StrOp::HasCs => {
            let flags = if s == StrOp::Has { "(?i)" } else { "" };
            match r.str_lit() {
                Some(n) => format!(
                    "regexp_matches({x}, {})",
                    quote_str(&format!("{flags}{}", term_pattern(n)))
                ),
                None if s == StrOp::Has => format!("kql_has({}, {})", str_side(l), str_side(r)),
                None => format!("kql_has_cs({}, {})", str_side(l), str_side(r)),
            }
        }
        StrOp::HasPrefix | StrOp::HasPrefixCs | StrOp::HasSuffix | StrOp::HasSuffixCs => {
            let flags = if matches!(s, StrOp::HasPrefix | StrOp::HasSuffix) {
                "(?i)"
            } else {
                ""
            };
            let prefix = matches!(s, StrOp::HasPrefix | StrOp::HasPrefixCs);
            let (open, close) = if prefix {
                ("(^|[^[:alnum:]])", "")
            } else {
                ("", "($|[^[:alnum:]])")
            };
            let needle = match r.str_lit() {
                Some(n) => quote_str(&regex_escape(n)),
                None => format!("regexp_escape({})", str_side(r)),
            };
            format!("regexp_matches({x}, '{flags}{open}' || {needle} || '{close}')")
        }
        StrOp::Contains => format!("contains(lower({x}), {})", lower(r)),
        StrOp::ContainsCs => format!("contains({x}, {})", str_side(r)),
        StrOp::StartsWith => format!("starts_with(lower({x}), {})", lower(r)),
        StrOp::StartsWithCs => format!("starts_with({x}, {})", str_side(r)),
        StrOp::EndsWith => format!("suffix(lower({x}), {})", lower(r)),
        StrOp::EndsWithCs => format!("suffix({x}, {})", str_side(r)),
    }
}

/// `cte` as written, except that a `MATERIALIZED` stage (`materialize()`) which only one
/// place of the query reads becomes a plain one: keeping a result read once only costs
/// DuckDB a copy.
fn materialised_if_shared(cte: &str, ctes: &[&str], select: &str) -> String {
    let Some(end) = cte.find(" AS MATERIALIZED (") else {
        return cte.to_string();
    };
    let name = &cte[..end];
    // Each stage's text after its own name, and the final SELECT.
    let reads: usize = ctes
        .iter()
        .map(|c| c.find(" AS ").map_or("", |at| &c[at..]))
        .chain([select])
        .map(|text| text.matches(name).count())
        .sum();
    if reads > 1 {
        cte.to_string()
    } else {
        cte.replacen(" AS MATERIALIZED (", " AS (", 1)
    }
}

/// The stages `reader` (a final SELECT, or a stage's quoted name) reads, directly or through
/// other stages, in their order. Every stage is written as `"sN" AS (…)` and read as `"sN"`,
/// so a stage is kept when the reader or a kept stage's text names it. Stages no one reads (the source of a `where` that was merged into
/// the next one, say) are left out: DuckDB binds every stage of a WITH, and on wide tables
/// binding is much of a short query's time.
pub fn used_ctes<'a>(ctes: &'a [String], reader: &str) -> Vec<&'a str> {
    let mut wanted: Vec<String> = (0..ctes.len())
        .map(|j| quote_ident(&format!("s{j}")))
        .filter(|n| reader.contains(n.as_str()))
        .collect();
    let mut kept = Vec::new();
    for (i, cte) in ctes.iter().enumerate().rev() {
        let name = quote_ident(&format!("s{i}"));
        if !wanted.contains(&name) {
            continue;
        }
        let body = &cte[name.len()..];
        wanted.extend(
            (0..i)
                .map(|j| quote_ident(&format!("s{j}")))
                .filter(|n| body.contains(n.as_str())),
        );
        kept.push(cte.as_str());
    }
    kept.reverse();
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_materialised_stage_read_once_is_written_plain() {
        let ctes = [
            r#""s0" AS MATERIALIZED (SELECT 1 AS x)"#,
            r#""s1" AS (SELECT * FROM "s0")"#,
        ];
        let once = r#"SELECT * FROM "s1""#;
        let twice = r#"SELECT * FROM "s1", "s0""#;
        assert_eq!(
            materialised_if_shared(ctes[0], &ctes, once),
            r#""s0" AS (SELECT 1 AS x)"#
        );
        assert_eq!(materialised_if_shared(ctes[0], &ctes, twice), ctes[0]);
        assert_eq!(materialised_if_shared(ctes[1], &ctes, once), ctes[1]);
    }

    #[test]
    fn glob_matches_wildcards() {
        assert!(glob("Src*", "SrcIp"));
        assert!(glob("*Ip", "SrcIp"));
        assert!(glob("S*c*p", "SrcIp"));
        assert!(!glob("Dst*", "SrcIp"));
        assert!(glob("a", "a") && !glob("a", "ab"));
    }

    #[test]
    fn has_any_shares_the_boundaries_of_word_terms() {
        let terms = ["Cisco", "Fortinet", ".example.com"];
        assert_eq!(
            any_term_pattern(&terms),
            "(?:(^|[^[:alnum:]])(?:Cisco|Fortinet)($|[^[:alnum:]]))|(?:\\.example\\.com($|[^[:alnum:]]))"
        );
    }

    #[test]
    fn only_the_stages_the_result_reads_are_written() {
        let ctes: Vec<String> = [
            r#""s0" AS (SELECT * FROM "T")"#,
            r#""s1" AS (SELECT * FROM "T" WHERE a)"#,
            r#""s2" AS (SELECT * FROM "U")"#,
            r#""s3" AS (SELECT * FROM "s1" JOIN "s2" USING (k))"#,
            r#""s4" AS (SELECT * FROM "s3" WHERE b)"#,
        ]
        .map(String::from)
        .into();
        assert_eq!(
            used_ctes(&ctes, r#""s4""#),
            vec![&ctes[1], &ctes[2], &ctes[3], &ctes[4]]
        );
        assert_eq!(used_ctes(&ctes, r#""s2""#), vec![&ctes[2]]);
        assert!(used_ctes(&ctes, r#""T""#).is_empty());
    }

    #[test]
    fn qualify_replaces_identifiers_outside_literals() {
        let columns: HashMap<String, String> = [
            (r#""A""#.to_string(), r#"l."A""#.to_string()),
            (r#""B""#.to_string(), r#"r."X""#.to_string()),
        ]
        .into();
        assert_eq!(
            qualify(r#"coalesce("A", 'it''s "B"') || "B""#, &columns).as_deref(),
            Some(r#"coalesce(l."A", 'it''s "B"') || r."X""#)
        );
        assert_eq!(qualify(r#""C" + 1"#, &columns), None);
        assert_eq!(qualify("count(*)", &columns).as_deref(), Some("count(*)"));
    }

    #[test]
    fn regex_escape_escapes_metacharacters() {
        assert_eq!(regex_escape("10.0.0.1"), "10\\.0\\.0\\.1");
    }
}

//! The syntax tree of a KQL query, as the parser builds it (no names resolved yet).

use chrono::NaiveDateTime;

use super::lexer::Span;

/// A whole query: `let` statements, then one tabular expression.
#[derive(Debug, Clone)]
pub struct Query {
    /// The `let` statements, in order.
    pub lets: Vec<Let>,
    /// The tabular expression the query returns.
    pub body: Pipeline,
}

/// `let name = value;`
#[derive(Debug, Clone)]
pub struct Let {
    /// The bound name.
    pub name: String,
    /// Span of the name.
    pub name_span: Span,
    /// The bound value.
    pub value: LetValue,
}

/// What a `let` binds.
#[derive(Debug, Clone)]
pub enum LetValue {
    /// A scalar expression (span covers the expression text).
    Scalar(Expr),
    /// A tabular expression.
    Tabular(Pipeline),
    /// A user-defined function: `(params) { body }`.
    Function(Function),
}

/// A user-defined function: scalar (body is an expression) or tabular (body is a pipeline).
#[derive(Debug, Clone)]
pub struct Function {
    /// Parameters in order.
    pub params: Vec<FnParam>,
    /// `let` statements inside the body.
    pub lets: Vec<Let>,
    /// The body.
    pub body: FnBody,
}

/// A function parameter: `name:type`, or `T:(schema)` / `T:(*)` for a table.
#[derive(Debug, Clone)]
pub struct FnParam {
    /// Parameter name.
    pub name: String,
    /// Whether it takes a table.
    pub tabular: bool,
    /// Default value for scalar parameters (`name:type = value`).
    pub default: Option<Expr>,
}

/// The body of a user-defined function.
#[derive(Debug, Clone)]
pub enum FnBody {
    /// A scalar expression.
    Scalar(Expr),
    /// A tabular expression.
    Tabular(Pipeline),
}

/// `Source | op | op ...`
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// What the pipeline starts from.
    pub source: Source,
    /// Span of the source.
    pub source_span: Span,
    /// The operators, in order.
    pub ops: Vec<Op>,
}

/// A named argument `name = value` or a positional one.
#[derive(Debug, Clone)]
pub struct Arg {
    /// The name, for `name = value` arguments.
    pub name: Option<String>,
    /// The value.
    pub value: Expr,
}

/// Where a pipeline's rows come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A table, view or tabular `let` name.
    Name(String),
    /// `f(args)`: a function (`_GetWatchlist`, `_Im_NetworkSession`, a user function).
    Call(String, Vec<Arg>),
    /// `( pipeline )`
    Paren(Box<Pipeline>),
    /// `materialize(pipeline)`
    Materialize(Box<Pipeline>),
    /// `union [isfuzzy=true] [withsource=Name] leg, leg, ...`
    Union {
        /// Skip legs whose tables are missing.
        fuzzy: bool,
        /// Column naming each row's table.
        with_source: Option<String>,
        /// The legs, each a name or a parenthesised pipeline.
        legs: Vec<Pipeline>,
    },
    /// `print [name =] expr, ...`
    Print(Vec<Assign>),
    /// Every table of the case (for `search` without `in`).
    AllTables,
    /// `datatable(col:type, ...) [values]`
    Datatable {
        /// Column names and type names.
        columns: Vec<(String, String)>,
        /// The values, row after row.
        values: Vec<Expr>,
    },
    /// `externaldata(col:type, ...) [urls] with (props)`
    Externaldata {
        /// Column names and type names.
        columns: Vec<(String, String)>,
        /// The URLs.
        urls: Vec<String>,
        /// `with (...)` properties.
        props: Vec<(String, String)>,
    },
}

/// One expanded column of `mv-expand` / `mv-apply`: (name, expression, target type name).
pub type ExpandColumn = (Option<String>, Expr, Option<String>);

/// One clause of `top-nested`.
#[derive(Debug, Clone)]
pub struct TopLevel {
    /// How many values to keep per parent.
    pub n: Expr,
    /// The grouped column (or expression, with an optional name).
    pub of: Assign,
    /// The aggregation that ranks them (with an optional name).
    pub by: Assign,
    /// Ascending rather than descending.
    pub asc: bool,
}

/// How `join` matches rows.
#[derive(Debug, Clone)]
pub enum JoinOn {
    /// `on a, $left.b == $right.c`: pairs of (left column, right column).
    Keys(Vec<(String, String, Span)>),
    /// `where predicate` over the columns of both sides.
    Where(Expr),
}

/// One part of a `parse` pattern.
#[derive(Debug, Clone)]
pub enum ParsePart {
    /// `*`
    Any,
    /// A string literal.
    Text(String),
    /// A column to extract, with an optional type name.
    Column(String, Option<String>),
}

/// One tabular operator with its span (the operator keyword).
#[derive(Debug, Clone)]
pub struct Op {
    /// The operator.
    pub kind: OpKind,
    /// Span of the operator name.
    pub span: Span,
}

/// The tabular operators the parser knows.
#[derive(Debug, Clone)]
pub enum OpKind {
    /// `where pred`
    Where(Expr),
    /// `extend [name =] expr, ...`
    Extend(Vec<Assign>),
    /// `project [name =] expr, ...`
    Project(Vec<Assign>),
    /// `project-away name, pattern*, ...`
    ProjectAway(Vec<(String, Span)>),
    /// `project-rename new = old, ...`
    ProjectRename(Vec<(String, String, Span)>),
    /// `take n` / `limit n`
    Take(Expr),
    /// `count`
    Count,
    /// `sort by` / `order by`
    Sort(Vec<SortKey>),
    /// `top n by key`
    Top(Expr, SortKey),
    /// `distinct a, b` (empty = `*`)
    Distinct(Vec<Assign>),
    /// `join [kind=k] right on keys` or `join [kind=k] right where pred`
    Join {
        /// The join flavour (`innerunique` when not given).
        kind: String,
        /// The right side.
        right: Box<Pipeline>,
        /// The match condition.
        on: JoinOn,
    },
    /// `mv-expand [bagexpansion=bag|array] col [to typeof(t)], ... [limit n]`
    MvExpand {
        /// Expand property bags into `[key, value]` arrays rather than `{key: value}` bags.
        bag_as_array: bool,
        /// The expanded columns.
        columns: Vec<ExpandColumn>,
        /// Row limit per input row.
        limit: Option<i64>,
    },
    /// `parse [kind=simple|relaxed] expr with pattern`
    Parse {
        /// The parsed value.
        expr: Expr,
        /// The pattern.
        parts: Vec<ParsePart>,
        /// `kind=regex`: text parts are regular expressions.
        regex: bool,
    },
    /// `evaluate plugin(args)`
    Evaluate(String, Span, Vec<Expr>),
    /// `invoke f(args)`
    Invoke(String, Span, Vec<Arg>),
    /// `mv-apply col = expr [to typeof(t)], ... on (subquery)`
    MvApply {
        /// The expanded columns.
        columns: Vec<ExpandColumn>,
        /// The subquery's operators, applied to each input row's expansion.
        ops: Vec<Op>,
    },
    /// `make-series aggs on TimeCol from a to b step s by keys`
    MakeSeries {
        /// Aggregations with their `default =` values.
        aggs: Vec<(Assign, Option<Expr>)>,
        /// The axis column.
        on: Expr,
        /// Start of the axis (inclusive); the data's minimum when absent.
        from: Option<Expr>,
        /// End of the axis (exclusive); the data's maximum when absent.
        to: Option<Expr>,
        /// Bin size.
        step: Expr,
        /// Group keys.
        by: Vec<Assign>,
    },
    /// `project-reorder a, b*` (named columns first, in that order)
    ProjectReorder(Vec<(String, Span)>),
    /// `project-keep a, b*`
    ProjectKeep(Vec<(String, Span)>),
    /// `lookup [kind=leftouter|inner] right on keys`
    Lookup {
        /// `leftouter` (default) or `inner`.
        kind: String,
        /// The right (dimension) side.
        right: Box<Pipeline>,
        /// The key pairs.
        on: Vec<(String, String, Span)>,
    },
    /// `| union [options] T2, ...`: the rows so far, then the legs.
    Union {
        /// Skip legs whose tables are missing.
        fuzzy: bool,
        /// Column naming each row's table.
        with_source: Option<String>,
        /// The other legs.
        legs: Vec<Pipeline>,
    },
    /// `top-nested N of Col by agg [asc|desc], ...`: one level per clause.
    TopNested(Vec<TopLevel>),
    /// `search "term"`, `search Col:"term"`, joined by and/or: rows where a string column
    /// (or the named one) has the term.
    Search(Expr),
    /// An operator that does not change rows here (`render`, `serialize`, `as`).
    Passthrough(String),
    /// `summarize aggs by keys`
    Summarize {
        /// Aggregations.
        aggs: Vec<Assign>,
        /// Group keys.
        by: Vec<Assign>,
    },
}

/// `[name =] expr` in extend, project, summarize.
#[derive(Debug, Clone)]
pub struct Assign {
    /// Explicit name and its span, if given.
    pub name: Option<(String, Span)>,
    /// The value.
    pub expr: Expr,
}

/// `expr [asc|desc] [nulls first|last]`
#[derive(Debug, Clone)]
pub struct SortKey {
    /// The key.
    pub expr: Expr,
    /// Ascending order (Kusto's default is descending).
    pub asc: bool,
    /// Explicit null placement: `Some(true)` = nulls first.
    pub nulls_first: Option<bool>,
}

/// An expression with its span.
#[derive(Debug, Clone)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// Expression forms.
#[derive(Debug, Clone)]
pub enum ExprKind {
    /// A literal.
    Lit(Lit),
    /// A column or `let` name.
    Name(String),
    /// `f(args)` with the span of the name.
    Call(String, Span, Vec<Expr>),
    /// `*` as a function argument (`arg_max(TimeGenerated, *)`).
    Star,
    /// `dynamic([...])`.
    Dynamic(Vec<Expr>),
    /// `dynamic(null)`: a dynamic value that is null.
    NullDynamic,
    /// Binary operator.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// Unary minus.
    Neg(Box<Expr>),
    /// `x in (...)`, `x !in (...)`, with `~` for case-insensitive.
    In {
        /// The tested value.
        expr: Box<Expr>,
        /// The list.
        list: Vec<Expr>,
        /// `!in`
        negated: bool,
        /// `in~`
        ci: bool,
    },
    /// `x has_any (...)` / `x has_all (...)`: whole-term, case-insensitive.
    HasAny {
        /// The searched value.
        expr: Box<Expr>,
        /// The terms.
        list: Vec<Expr>,
        /// `has_all` rather than `has_any`.
        all: bool,
    },
    /// `x.name` or `x['name']` on a dynamic value.
    Member(Box<Expr>, String),
    /// `x[i]` on a dynamic array.
    Index(Box<Expr>, Box<Expr>),
    /// `toscalar(pipeline)`
    ToScalar(Box<Pipeline>),
    /// A bare `search` term: any string column has it.
    AnyColumnHas(String),
    /// `x matches regex "re"`
    Matches(Box<Expr>, Box<Expr>),
    /// `x between (lo .. hi)` (inclusive).
    Between {
        /// The tested value.
        expr: Box<Expr>,
        /// Lower bound.
        lo: Box<Expr>,
        /// Upper bound.
        hi: Box<Expr>,
        /// `!between`
        negated: bool,
    },
}

/// Literal values.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    /// `true` / `false`
    Bool(bool),
    /// An integer.
    Long(i64),
    /// A real.
    Real(f64),
    /// A string.
    Str(String),
    /// A timespan, in microseconds.
    TimeSpan(i64),
    /// A datetime (UTC).
    DateTime(NaiveDateTime),
    /// A typed null (`datetime(null)`).
    Null,
}

/// Binary operators. String operators carry their negation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `=~`
    EqCi,
    /// `!~`
    NeCi,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// A string operator (`has`, `contains`, ...); `true` = negated form.
    Str(StrOp, bool),
}

/// Word string operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrOp {
    /// `has` (whole term, case-insensitive)
    Has,
    /// `has_cs`
    HasCs,
    /// `contains`
    Contains,
    /// `contains_cs`
    ContainsCs,
    /// `startswith`
    StartsWith,
    /// `startswith_cs`
    StartsWithCs,
    /// `endswith`
    EndsWith,
    /// `endswith_cs`
    EndsWithCs,
    /// `hasprefix` (a term starts with it, case-insensitive)
    HasPrefix,
    /// `hasprefix_cs`
    HasPrefixCs,
    /// `hassuffix` (a term ends with it, case-insensitive)
    HasSuffix,
    /// `hassuffix_cs`
    HasSuffixCs,
}

impl StrOp {
    /// Recognises an operator word (without any leading `!`).
    pub fn from_word(w: &str) -> Option<StrOp> {
        Some(match w {
            "has" => StrOp::Has,
            "has_cs" => StrOp::HasCs,
            "contains" => StrOp::Contains,
            "contains_cs" => StrOp::ContainsCs,
            "startswith" => StrOp::StartsWith,
            "startswith_cs" => StrOp::StartsWithCs,
            "endswith" => StrOp::EndsWith,
            "endswith_cs" => StrOp::EndsWithCs,
            "hasprefix" => StrOp::HasPrefix,
            "hasprefix_cs" => StrOp::HasPrefixCs,
            "hassuffix" => StrOp::HasSuffix,
            "hassuffix_cs" => StrOp::HasSuffixCs,
            _ => return None,
        })
    }
}

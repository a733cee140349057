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
}

/// `Source | op | op ...`
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The table (or tabular `let` name) the pipeline starts from.
    pub source: String,
    /// Span of the source name.
    pub source_span: Span,
    /// The operators, in order.
    pub ops: Vec<Op>,
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
    /// `dynamic([...])` or `dynamic(null)` etc.
    Dynamic(Vec<Expr>),
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
            _ => return None,
        })
    }
}

//! Recursive-descent parser for KQL with precedence climbing for expressions.

use chrono::{NaiveDate, NaiveDateTime};

use super::ast::*;
use super::diag::Diagnostic;
use super::lexer::{lex, Span, Tok, Token};

/// Tabular operators and sources that quarry recognises but does not compile yet.
const UNSUPPORTED_OPS: &[&str] = &[
    "parse-where",
    "parse-kv",
    "top-hitters",
    "sample",
    "sample-distinct",
    "getschema",
    "extend-if",
    "partition",
    "scan",
    "facet",
    "fork",
    "reduce",
    "consume",
    "find",
];

/// Names that start a tabular expression quarry does not compile yet.
const UNSUPPORTED_SOURCES: &[&str] = &["range", "find", "cluster", "database"];

/// Words that start a tabular expression.
const TABULAR_STARTS: &[&str] = &[
    "search",
    "union",
    "print",
    "datatable",
    "externaldata",
    "materialize",
    "_GetWatchlist",
    "_Im_NetworkSession",
    "_Im_Dns",
];

/// Word operators quarry recognises but does not compile yet.
const UNSUPPORTED_WORD_OPS: &[&str] = &["like", "notlike"];

/// Parses a whole query.
pub fn parse(src: &str) -> Result<Query, Diagnostic> {
    let mut p = Parser::new(src)?;
    let q = p.query()?;
    Ok(q)
}

/// Parses a single scalar expression (used for parameter overrides).
pub fn parse_expr(src: &str) -> Result<Expr, Diagnostic> {
    let mut p = Parser::new(src)?;
    let e = p.expr()?;
    p.expect_eof()?;
    Ok(e)
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    src: String,
}

impl Parser {
    fn new(src: &str) -> Result<Self, Diagnostic> {
        Ok(Parser {
            toks: lex(src)?,
            pos: 0,
            src: src.to_string(),
        })
    }

    /// Whether the token at the cursor was written `['name']`.
    fn is_bracketed_ident(&self) -> bool {
        matches!(self.tok(), Tok::Ident(_))
            && self
                .src
                .get(self.span().start..)
                .is_some_and(|r| r.starts_with('['))
    }

    /// Whether a tabular expression starts at token offset `n`: a source keyword, a
    /// parenthesised tabular expression, or a name (or call) followed by `|`.
    fn tabular_at(&self, mut n: usize) -> bool {
        while matches!(self.tok_at(n), Tok::Punct("(")) {
            n += 1;
        }
        let Tok::Ident(w) = self.tok_at(n) else {
            return false;
        };
        if TABULAR_STARTS.contains(&w.as_str()) || UNSUPPORTED_SOURCES.contains(&w.as_str()) {
            return true;
        }
        n += 1;
        if matches!(self.tok_at(n), Tok::Punct("(")) {
            let mut depth = 0usize;
            loop {
                match self.tok_at(n) {
                    Tok::Punct("(") => depth += 1,
                    Tok::Punct(")") => {
                        depth -= 1;
                        if depth == 0 {
                            n += 1;
                            break;
                        }
                    }
                    Tok::Eof => return false,
                    _ => {}
                }
                n += 1;
            }
        }
        matches!(self.tok_at(n), Tok::Punct("|"))
    }

    fn tok(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].tok
    }

    fn tok_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].tok
    }

    fn span(&self) -> Span {
        self.toks[self.pos.min(self.toks.len() - 1)].span.clone()
    }

    fn prev_end(&self) -> usize {
        if self.pos == 0 {
            0
        } else {
            self.toks[self.pos - 1].span.end
        }
    }

    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos.min(self.toks.len() - 1)].clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn is_punct(&self, p: &str) -> bool {
        matches!(self.tok(), Tok::Punct(q) if *q == p)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.tok(), Tok::Ident(x) if x == w)
    }

    fn eat_punct(&mut self, p: &str) -> bool {
        let yes = self.is_punct(p);
        if yes {
            self.bump();
        }
        yes
    }

    fn eat_word(&mut self, w: &str) -> bool {
        let yes = self.is_word(w);
        if yes {
            self.bump();
        }
        yes
    }

    fn found(&self) -> String {
        match self.tok() {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Str(_) => "a string".into(),
            Tok::Long(_) | Tok::Real(_) => "a number".into(),
            Tok::TimeSpan(_) => "a timespan".into(),
            Tok::DateTime(_) => "a datetime".into(),
            Tok::Punct(p) => format!("`{p}`"),
            Tok::Eof => "the end of the query".into(),
        }
    }

    fn expected(&self, what: &str) -> Diagnostic {
        Diagnostic::new(
            self.span(),
            format!("expected {what}, found {}", self.found()),
        )
    }

    fn expect_punct(&mut self, p: &str) -> Result<(), Diagnostic> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            Err(self.expected(&format!("`{p}`")))
        }
    }

    fn expect_word(&mut self, w: &str) -> Result<(), Diagnostic> {
        if self.eat_word(w) {
            Ok(())
        } else {
            Err(self.expected(&format!("`{w}`")))
        }
    }

    fn expect_eof(&self) -> Result<(), Diagnostic> {
        if matches!(self.tok(), Tok::Eof) {
            Ok(())
        } else {
            Err(self.expected("the end of the query"))
        }
    }

    fn ident(&mut self, what: &str) -> Result<(String, Span), Diagnostic> {
        match self.tok().clone() {
            Tok::Ident(s) if !s.starts_with('!') => {
                let t = self.bump();
                Ok((s, t.span))
            }
            _ => Err(self.expected(what)),
        }
    }

    /// A name made of adjacent words and dashes (`project-away`, `mv-apply`).
    fn dashed_name(&mut self) -> Result<(String, Span), Diagnostic> {
        let (mut name, mut span) = self.ident("an operator name")?;
        while self.is_punct("-") && self.span().start == span.end {
            if let Tok::Ident(next) = self.tok_at(1).clone() {
                let next_span = self.toks[self.pos + 1].span.clone();
                if next_span.start != span.end + 1 {
                    break;
                }
                self.bump();
                self.bump();
                name = format!("{name}-{next}");
                span = span.start..next_span.end;
            } else {
                break;
            }
        }
        Ok((name, span))
    }

    fn query(&mut self) -> Result<Query, Diagnostic> {
        let mut lets = Vec::new();
        while self.is_word("let") {
            self.bump();
            lets.push(self.let_stmt()?);
            while self.eat_punct(";") {}
        }
        if matches!(self.tok(), Tok::Eof) {
            return Err(self.expected("a tabular expression after the `let` statements"));
        }
        let body = self.pipeline()?;
        while self.eat_punct(";") {}
        if !matches!(self.tok(), Tok::Eof) {
            return Err(self.expected("`|` or the end of the query"));
        }
        Ok(Query { lets, body })
    }

    fn let_stmt(&mut self) -> Result<Let, Diagnostic> {
        let (name, name_span) = self.ident("a name after `let`")?;
        self.expect_punct("=")?;
        // `view () { ... }` is a function a bare name calls (and that `union *` would include).
        if self.is_word("view") && matches!(self.tok_at(1), Tok::Punct("(")) {
            self.bump();
        }
        let function = self.is_punct("(")
            && (matches!(self.tok_at(1), Tok::Punct(")"))
                || (matches!(self.tok_at(1), Tok::Ident(_))
                    && matches!(self.tok_at(2), Tok::Punct(":"))));
        let value = if function {
            LetValue::Function(self.function()?)
        } else if self.tabular_at(0) {
            LetValue::Tabular(self.pipeline()?)
        } else {
            LetValue::Scalar(self.expr()?)
        };
        if !self.is_punct(";") {
            return Err(self.expected("`;` after the `let` statement"));
        }
        Ok(Let {
            name,
            name_span,
            value,
        })
    }

    /// `(params) { [let ...;] body }`
    fn function(&mut self) -> Result<Function, Diagnostic> {
        self.expect_punct("(")?;
        let mut params = Vec::new();
        while !self.is_punct(")") {
            let (name, _) = self.ident("a parameter name")?;
            self.expect_punct(":")?;
            let mut tabular = false;
            let mut default = None;
            if self.eat_punct("(") {
                tabular = true;
                let mut depth = 1;
                while depth > 0 {
                    match self.bump().tok {
                        Tok::Punct("(") => depth += 1,
                        Tok::Punct(")") => depth -= 1,
                        Tok::Eof => return Err(self.expected("`)`")),
                        _ => {}
                    }
                }
            } else {
                self.ident("a type name")?;
                if self.eat_punct("=") {
                    default = Some(self.expr()?);
                }
            }
            params.push(FnParam {
                name,
                tabular,
                default,
            });
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect_punct(")")?;
        self.expect_punct("{")?;
        let mut lets = Vec::new();
        while self.eat_word("let") {
            lets.push(self.let_stmt()?);
            while self.eat_punct(";") {}
        }
        let body = if self.tabular_at(0) {
            FnBody::Tabular(self.pipeline()?)
        } else {
            FnBody::Scalar(self.expr()?)
        };
        while self.eat_punct(";") {}
        self.expect_punct("}")?;
        Ok(Function { params, lets, body })
    }

    /// Column declarations `(name:type, ...)`.
    fn column_decls(&mut self) -> Result<Vec<(String, String)>, Diagnostic> {
        self.expect_punct("(")?;
        let mut cols = Vec::new();
        while !self.is_punct(")") {
            let (name, _) = self.ident("a column name")?;
            self.expect_punct(":")?;
            let (ty, _) = self.ident("a type name")?;
            cols.push((name, ty));
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect_punct(")")?;
        Ok(cols)
    }

    /// Call arguments after `(`: positional or `name = value`.
    fn call_args(&mut self) -> Result<Vec<Arg>, Diagnostic> {
        let mut args = Vec::new();
        while !self.is_punct(")") {
            let name = if matches!(self.tok(), Tok::Ident(_))
                && matches!(self.tok_at(1), Tok::Punct("="))
            {
                let (n, _) = self.ident("a name")?;
                self.bump();
                Some(n)
            } else {
                None
            };
            args.push(Arg {
                name,
                value: self.expr()?,
            });
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect_punct(")")?;
        Ok(args)
    }

    /// `name = value` options such as `isfuzzy=true`, `kind=inner`, `hint.x=y`.
    fn option(&mut self, names: &[&str]) -> Option<(String, String)> {
        let Tok::Ident(w) = self.tok().clone() else {
            return None;
        };
        let mut n = 1;
        let mut key = w.clone();
        while matches!(self.tok_at(n), Tok::Punct(".")) {
            let Tok::Ident(part) = self.tok_at(n + 1).clone() else {
                return None;
            };
            key = format!("{key}.{part}");
            n += 2;
        }
        if !(names.contains(&key.as_str()) || key.starts_with("hint."))
            || !matches!(self.tok_at(n), Tok::Punct("="))
        {
            return None;
        }
        let value = match self.tok_at(n + 1).clone() {
            Tok::Ident(v) | Tok::Str(v) => v,
            Tok::Long(v) => v.to_string(),
            _ => return None,
        };
        for _ in 0..n + 2 {
            self.bump();
        }
        Some((key, value))
    }

    fn source(&mut self) -> Result<(Source, Span), Diagnostic> {
        let start = self.span();
        let word = match self.tok().clone() {
            Tok::Punct("(") => {
                self.bump();
                let inner = self.pipeline()?;
                self.expect_punct(")")?;
                return Ok((Source::Paren(Box::new(inner)), start.start..self.prev_end()));
            }
            Tok::Ident(w) => w,
            _ => return Err(self.expected("a table name")),
        };
        if UNSUPPORTED_SOURCES.contains(&word.as_str()) {
            return Err(Diagnostic::new(
                start,
                format!("{word} is not supported yet"),
            ));
        }
        let bracketed = self.is_bracketed_ident();
        self.bump();
        let source = match word.as_str() {
            _ if bracketed => Source::Name(word),
            "union" => {
                let (fuzzy, with_source, legs) = self.union_body(&start)?;
                Source::Union {
                    fuzzy,
                    with_source,
                    legs,
                }
            }
            "search" => {
                let mut legs = Vec::new();
                if self.eat_word("in") {
                    self.expect_punct("(")?;
                    loop {
                        legs.push(self.table_leg()?);
                        if !self.eat_punct(",") {
                            break;
                        }
                    }
                    self.expect_punct(")")?;
                }
                let pred = self.search_predicate()?;
                let span = start.start..self.prev_end();
                let op = Op {
                    kind: OpKind::Search(pred),
                    span: span.clone(),
                };
                let source = if legs.is_empty() {
                    Source::AllTables
                } else {
                    Source::Union {
                        fuzzy: true,
                        with_source: None,
                        legs,
                    }
                };
                Source::Paren(Box::new(Pipeline {
                    source,
                    source_span: span,
                    ops: vec![op],
                }))
            }
            "print" => Source::Print(self.assigns()?),
            "datatable" => {
                let columns = self.column_decls()?;
                self.expect_punct("[")?;
                let mut values = Vec::new();
                while !self.is_punct("]") {
                    values.push(self.expr()?);
                    if !self.eat_punct(",") {
                        break;
                    }
                }
                self.expect_punct("]")?;
                Source::Datatable { columns, values }
            }
            "externaldata" => {
                let columns = self.column_decls()?;
                self.expect_punct("[")?;
                let mut urls = Vec::new();
                while let Tok::Str(u) = self.tok().clone() {
                    self.bump();
                    urls.push(u);
                    if !self.eat_punct(",") {
                        break;
                    }
                }
                self.expect_punct("]")?;
                let mut props = Vec::new();
                if self.eat_word("with") {
                    self.expect_punct("(")?;
                    while !self.is_punct(")") {
                        let (k, _) = self.ident("a property name")?;
                        self.expect_punct("=")?;
                        let v = match self.bump().tok {
                            Tok::Ident(v) | Tok::Str(v) => v,
                            Tok::Long(n) => n.to_string(),
                            _ => return Err(self.expected("a property value")),
                        };
                        props.push((k, v));
                        if !self.eat_punct(",") {
                            break;
                        }
                    }
                    self.expect_punct(")")?;
                }
                Source::Externaldata {
                    columns,
                    urls,
                    props,
                }
            }
            "materialize" => {
                self.expect_punct("(")?;
                let inner = self.pipeline()?;
                self.expect_punct(")")?;
                Source::Materialize(Box::new(inner))
            }
            _ if self.is_punct("(") => {
                self.bump();
                Source::Call(word, self.call_args()?)
            }
            _ => Source::Name(word),
        };
        Ok((source, start.start..self.prev_end()))
    }

    fn pipeline(&mut self) -> Result<Pipeline, Diagnostic> {
        let (source, source_span) = self.source()?;
        let mut ops = Vec::new();
        while self.eat_punct("|") {
            ops.push(self.op()?);
        }
        Ok(Pipeline {
            source,
            source_span,
            ops,
        })
    }

    fn op(&mut self) -> Result<Op, Diagnostic> {
        let (name, span) = self.dashed_name()?;
        let kind = match name.as_str() {
            "where" | "filter" => OpKind::Where(self.expr()?),
            "extend" => OpKind::Extend(self.assigns()?),
            "project" => OpKind::Project(self.assigns()?),
            "project-away" => OpKind::ProjectAway(self.patterns()?),
            "project-rename" => OpKind::ProjectRename(self.renames()?),
            "take" | "limit" => OpKind::Take(self.expr()?),
            "count" => OpKind::Count,
            "sort" | "order" => {
                self.expect_word("by")?;
                let mut keys = vec![self.sort_key()?];
                while self.eat_punct(",") {
                    keys.push(self.sort_key()?);
                }
                OpKind::Sort(keys)
            }
            "top" => {
                let n = self.expr()?;
                self.expect_word("by")?;
                let key = self.sort_key()?;
                if self.is_punct(",") {
                    return Err(Diagnostic::new(
                        self.span(),
                        "`top` with several keys is not supported yet",
                    ));
                }
                OpKind::Top(n, key)
            }
            "distinct" => {
                if self.eat_punct("*") {
                    OpKind::Distinct(Vec::new())
                } else {
                    OpKind::Distinct(self.assigns()?)
                }
            }
            "summarize" => {
                let aggs = if self.is_word("by") {
                    Vec::new()
                } else {
                    self.assigns()?
                };
                let by = if self.eat_word("by") {
                    self.assigns()?
                } else {
                    Vec::new()
                };
                OpKind::Summarize { aggs, by }
            }
            "join" => {
                let mut kind = "innerunique".to_string();
                while let Some((k, v)) = self.option(&["kind"]) {
                    if k == "kind" {
                        kind = v;
                    }
                }
                let right = if self.is_punct("(") {
                    self.bump();
                    let p = self.pipeline()?;
                    self.expect_punct(")")?;
                    p
                } else {
                    let (name, span) = self.ident("the right side of the join")?;
                    Pipeline {
                        source: Source::Name(name),
                        source_span: span,
                        ops: Vec::new(),
                    }
                };
                let on = if self.eat_word("where") {
                    JoinOn::Where(self.expr()?)
                } else {
                    self.expect_word("on")?;
                    JoinOn::Keys(self.join_keys()?)
                };
                OpKind::Join {
                    kind,
                    right: Box::new(right),
                    on,
                }
            }
            "mv-expand" => {
                let mut bag_as_array = false;
                while let Some((k, v)) = self.option(&["bagexpansion", "kind"]) {
                    if k == "bagexpansion" || k == "kind" {
                        bag_as_array = v == "array";
                    }
                }
                if self.is_word("with_itemindex") {
                    return Err(Diagnostic::new(
                        self.span(),
                        "mv-expand with_itemindex is not supported yet",
                    ));
                }
                let columns = self.expand_columns()?;
                let limit = if self.eat_word("limit") {
                    match self.bump().tok {
                        Tok::Long(n) => Some(n),
                        _ => return Err(self.expected("a row limit")),
                    }
                } else {
                    None
                };
                OpKind::MvExpand {
                    bag_as_array,
                    columns,
                    limit,
                }
            }
            "parse" => {
                let mut regex = false;
                while let Some((k, v)) = self.option(&["kind", "flags"]) {
                    if k == "kind" {
                        match v.as_str() {
                            "simple" | "relaxed" => {}
                            "regex" => regex = true,
                            other => {
                                return Err(Diagnostic::new(
                                    span,
                                    format!("parse kind={other} is not supported"),
                                ))
                            }
                        }
                    }
                }
                let expr = self.binary(4)?;
                self.expect_word("with")?;
                let mut parts = Vec::new();
                loop {
                    match self.tok().clone() {
                        Tok::Punct("*") => {
                            self.bump();
                            parts.push(ParsePart::Any);
                        }
                        Tok::Str(t) => {
                            self.bump();
                            parts.push(ParsePart::Text(t));
                        }
                        Tok::Ident(c) if !c.starts_with('!') => {
                            self.bump();
                            let ty = if self.eat_punct(":") {
                                Some(self.ident("a type name")?.0)
                            } else {
                                None
                            };
                            parts.push(ParsePart::Column(c, ty));
                        }
                        _ => break,
                    }
                }
                if parts.is_empty() {
                    return Err(self.expected("a parse pattern"));
                }
                OpKind::Parse { expr, parts, regex }
            }
            "evaluate" => {
                while self.option(&[]).is_some() {}
                let (name, nspan) = self.ident("a plugin name")?;
                self.expect_punct("(")?;
                let mut args = Vec::new();
                while !self.is_punct(")") {
                    args.push(self.expr()?);
                    if !self.eat_punct(",") {
                        break;
                    }
                }
                self.expect_punct(")")?;
                OpKind::Evaluate(name, nspan, args)
            }
            "mv-apply" => {
                if self.is_word("with_itemindex") || self.is_word("kind") {
                    return Err(Diagnostic::new(
                        self.span(),
                        "mv-apply options are not supported yet",
                    ));
                }
                let columns = self.expand_columns()?;
                self.expect_word("on")?;
                self.expect_punct("(")?;
                let mut ops = vec![self.op()?];
                while self.eat_punct("|") {
                    ops.push(self.op()?);
                }
                self.expect_punct(")")?;
                OpKind::MvApply { columns, ops }
            }
            "make-series" => {
                let mut aggs = Vec::new();
                loop {
                    let a = self.assign()?;
                    let default = if self.eat_word("default") {
                        self.expect_punct("=")?;
                        Some(self.expr()?)
                    } else {
                        None
                    };
                    aggs.push((a, default));
                    if !self.eat_punct(",") {
                        break;
                    }
                }
                self.expect_word("on")?;
                // Above comparison precedence, so `in range(...)` is not read as `in (...)`.
                let on = self.binary(4)?;
                let (mut from, mut to, step);
                if self.eat_word("in") {
                    // `in range(from, to, step)`
                    self.expect_word("range")?;
                    self.expect_punct("(")?;
                    from = Some(self.expr()?);
                    self.expect_punct(",")?;
                    to = Some(self.expr()?);
                    self.expect_punct(",")?;
                    step = self.expr()?;
                    self.expect_punct(")")?;
                } else {
                    from = None;
                    to = None;
                    if self.eat_word("from") {
                        from = Some(self.expr()?);
                    }
                    if self.eat_word("to") {
                        to = Some(self.expr()?);
                    }
                    self.expect_word("step")?;
                    step = self.expr()?;
                }
                let by = if self.eat_word("by") {
                    self.assigns()?
                } else {
                    Vec::new()
                };
                OpKind::MakeSeries {
                    aggs,
                    on,
                    from,
                    to,
                    step,
                    by,
                }
            }
            "search" => OpKind::Search(self.search_predicate()?),
            "union" => {
                let (fuzzy, with_source, legs) = self.union_body(&span)?;
                OpKind::Union {
                    fuzzy,
                    with_source,
                    legs,
                }
            }
            "top-nested" => {
                let mut levels = Vec::new();
                loop {
                    let n = self.binary(4)?;
                    self.expect_word("of")?;
                    let of = self.assign()?;
                    if self.is_word("with") {
                        return Err(Diagnostic::new(
                            self.span(),
                            "top-nested with others is not supported yet",
                        ));
                    }
                    self.expect_word("by")?;
                    let by = self.assign()?;
                    let asc = self.eat_word("asc");
                    if !asc {
                        self.eat_word("desc");
                    }
                    levels.push(TopLevel { n, of, by, asc });
                    if !self.eat_punct(",") {
                        break;
                    }
                    let (w, wspan) = self.dashed_name()?;
                    if w != "top-nested" {
                        return Err(Diagnostic::new(wspan, "expected `top-nested` after `,`"));
                    }
                }
                OpKind::TopNested(levels)
            }
            "project-reorder" => OpKind::ProjectReorder(self.patterns()?),
            "project-keep" => OpKind::ProjectKeep(self.patterns()?),
            "render" | "serialize" | "as" => {
                // Skip the operator's arguments up to the next `|`.
                while !matches!(
                    self.tok(),
                    Tok::Punct("|") | Tok::Punct(")") | Tok::Punct(";") | Tok::Eof
                ) {
                    if self.is_punct("(") {
                        let mut depth = 0usize;
                        loop {
                            match self.bump().tok {
                                Tok::Punct("(") => depth += 1,
                                Tok::Punct(")") => {
                                    depth -= 1;
                                    if depth == 0 {
                                        break;
                                    }
                                }
                                Tok::Eof => return Err(self.expected("`)`")),
                                _ => {}
                            }
                        }
                    } else {
                        self.bump();
                    }
                }
                OpKind::Passthrough(name.clone())
            }
            "lookup" => {
                let mut kind = "leftouter".to_string();
                while let Some((k, v)) = self.option(&["kind"]) {
                    if k == "kind" {
                        kind = v;
                    }
                }
                let right = if self.is_punct("(") {
                    self.bump();
                    let p = self.pipeline()?;
                    self.expect_punct(")")?;
                    p
                } else {
                    let (name, span) = self.ident("the right side of the lookup")?;
                    Pipeline {
                        source: Source::Name(name),
                        source_span: span,
                        ops: Vec::new(),
                    }
                };
                self.expect_word("on")?;
                OpKind::Lookup {
                    kind,
                    right: Box::new(right),
                    on: self.join_keys()?,
                }
            }
            "invoke" => {
                let (name, nspan) = self.ident("a function name")?;
                self.expect_punct("(")?;
                OpKind::Invoke(name, nspan, self.call_args()?)
            }
            other if UNSUPPORTED_OPS.contains(&other) => {
                return Err(Diagnostic::new(
                    span,
                    format!("{other} is not supported yet"),
                ))
            }
            other => {
                return Err(Diagnostic::new(
                    span,
                    format!("unknown tabular operator `{other}`"),
                ))
            }
        };
        Ok(Op { kind, span })
    }

    /// A bare table name as a pipeline of its own.
    fn table_leg(&mut self) -> Result<Pipeline, Diagnostic> {
        let (name, span) = self.ident("a table name")?;
        Ok(Pipeline {
            source: Source::Name(name),
            source_span: span,
            ops: Vec::new(),
        })
    }

    /// The options and legs of `union` (as a source or an operator).
    fn union_body(
        &mut self,
        at: &Span,
    ) -> Result<(bool, Option<String>, Vec<Pipeline>), Diagnostic> {
        let mut fuzzy = false;
        let mut with_source = None;
        while let Some((k, v)) = self.option(&["isfuzzy", "kind", "withsource"]) {
            match k.as_str() {
                "isfuzzy" => fuzzy = v == "true",
                "withsource" => with_source = Some(v),
                "kind" if v != "outer" => {
                    return Err(Diagnostic::new(
                        at.clone(),
                        format!("union kind={v} is not supported yet"),
                    ))
                }
                _ => {}
            }
        }
        let mut legs = Vec::new();
        loop {
            if self.is_punct("(") {
                self.bump();
                let p = self.pipeline()?;
                self.expect_punct(")")?;
                legs.push(p);
            } else {
                legs.push(self.table_leg()?);
            }
            if !self.eat_punct(",") {
                return Ok((fuzzy, with_source, legs));
            }
        }
    }

    /// A `search` predicate: terms (`"x"` or `Col:"x"`) joined by `and` / `or`.
    fn search_predicate(&mut self) -> Result<Expr, Diagnostic> {
        let mut lhs = self.search_term()?;
        loop {
            let op = if self.eat_word("and") {
                BinOp::And
            } else if self.eat_word("or") {
                BinOp::Or
            } else {
                return Ok(lhs);
            };
            let rhs = self.search_term()?;
            let span = lhs.span.start..rhs.span.end;
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
    }

    fn search_term(&mut self) -> Result<Expr, Diagnostic> {
        let span = self.span();
        match self.tok().clone() {
            Tok::Str(t) => {
                self.bump();
                Ok(Expr {
                    kind: ExprKind::AnyColumnHas(t),
                    span,
                })
            }
            Tok::Ident(c) if matches!(self.tok_at(1), Tok::Punct(":")) => {
                self.bump();
                self.bump();
                let Tok::Str(t) = self.tok().clone() else {
                    return Err(self.expected("a quoted search term"));
                };
                let end = self.bump().span.end;
                let col = Expr {
                    kind: ExprKind::Name(c),
                    span: span.clone(),
                };
                Ok(Expr {
                    kind: ExprKind::Binary(
                        BinOp::Str(StrOp::Has, false),
                        Box::new(col),
                        Box::new(lit(Lit::Str(t), span.end..end)),
                    ),
                    span: span.start..end,
                })
            }
            _ => Err(self.expected("a quoted search term")),
        }
    }

    /// The columns of `mv-expand` / `mv-apply`: `[name =] expr [to typeof(type)], ...`.
    fn expand_columns(&mut self) -> Result<Vec<ExpandColumn>, Diagnostic> {
        let mut columns = Vec::new();
        loop {
            let a = self.assign()?;
            let ty = if self.eat_word("to") {
                self.expect_word("typeof")?;
                self.expect_punct("(")?;
                let (t, _) = self.ident("a type name")?;
                self.expect_punct(")")?;
                Some(t)
            } else {
                None
            };
            columns.push((a.name.map(|(n, _)| n), a.expr, ty));
            if !self.eat_punct(",") {
                return Ok(columns);
            }
        }
    }

    /// `on` keys: `a`, `$left.a == $right.b` (either order), separated by commas.
    fn join_keys(&mut self) -> Result<Vec<(String, String, Span)>, Diagnostic> {
        let mut keys = Vec::new();
        loop {
            let start = self.span();
            let e = self.expr()?;
            let span = start.start..self.prev_end();
            let side = |e: &Expr| match &e.kind {
                ExprKind::Member(b, name) => match &b.kind {
                    ExprKind::Name(s) if s == "$left" => Some((true, name.clone())),
                    ExprKind::Name(s) if s == "$right" => Some((false, name.clone())),
                    _ => None,
                },
                _ => None,
            };
            match &e.kind {
                ExprKind::Name(n) => keys.push((n.clone(), n.clone(), span)),
                ExprKind::Binary(BinOp::Eq, a, b) => match (side(a), side(b)) {
                    (Some((true, l)), Some((false, r))) | (Some((false, r)), Some((true, l))) => {
                        keys.push((l, r, span))
                    }
                    _ => {
                        return Err(Diagnostic::new(
                            span,
                            "a join key is a column name or `$left.a == $right.b`",
                        ))
                    }
                },
                _ => {
                    return Err(Diagnostic::new(
                        span,
                        "a join key is a column name or `$left.a == $right.b`",
                    ))
                }
            }
            if !self.eat_punct(",") {
                return Ok(keys);
            }
        }
    }

    fn assigns(&mut self) -> Result<Vec<Assign>, Diagnostic> {
        let mut out = vec![self.assign()?];
        while self.eat_punct(",") {
            out.push(self.assign()?);
        }
        Ok(out)
    }

    fn assign(&mut self) -> Result<Assign, Diagnostic> {
        if matches!(self.tok(), Tok::Ident(_)) && matches!(self.tok_at(1), Tok::Punct("=")) {
            let (name, span) = self.ident("a column name")?;
            self.bump();
            return Ok(Assign {
                name: Some((name, span)),
                expr: self.expr()?,
            });
        }
        if self.is_punct("(") && matches!(self.tok_at(1), Tok::Ident(_)) {
            if let Tok::Punct(",") = self.tok_at(2) {
                return Err(Diagnostic::new(
                    self.span(),
                    "assigning several names at once is not supported yet",
                ));
            }
        }
        Ok(Assign {
            name: None,
            expr: self.expr()?,
        })
    }

    fn patterns(&mut self) -> Result<Vec<(String, Span)>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            let start = self.span().start;
            let mut pat = String::new();
            let mut end = start;
            loop {
                match self.tok().clone() {
                    Tok::Ident(s)
                        if !s.starts_with('!') && (pat.is_empty() || self.span().start == end) =>
                    {
                        pat.push_str(&s);
                    }
                    Tok::Punct("*") if pat.is_empty() || self.span().start == end => pat.push('*'),
                    _ => break,
                }
                end = self.bump().span.end;
            }
            if pat.is_empty() {
                return Err(self.expected("a column name"));
            }
            out.push((pat, start..end));
            if !self.eat_punct(",") {
                return Ok(out);
            }
        }
    }

    fn renames(&mut self) -> Result<Vec<(String, String, Span)>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            let (new, _) = self.ident("a new column name")?;
            self.expect_punct("=")?;
            let (old, span) = self.ident("an existing column name")?;
            out.push((new, old, span));
            if !self.eat_punct(",") {
                return Ok(out);
            }
        }
    }

    fn sort_key(&mut self) -> Result<SortKey, Diagnostic> {
        let expr = self.expr()?;
        let asc = if self.eat_word("asc") {
            true
        } else {
            self.eat_word("desc");
            false
        };
        let nulls_first = if self.eat_word("nulls") {
            if self.eat_word("first") {
                Some(true)
            } else {
                self.expect_word("last")?;
                Some(false)
            }
        } else {
            None
        };
        Ok(SortKey {
            expr,
            asc,
            nulls_first,
        })
    }

    /// A full expression.
    fn expr(&mut self) -> Result<Expr, Diagnostic> {
        self.binary(1)
    }

    /// The binary operator at the cursor with its precedence and token count.
    fn peek_binop(&self) -> Option<(BinOp, u8)> {
        Some(match self.tok() {
            Tok::Ident(w) => match w.as_str() {
                "or" => (BinOp::Or, 1),
                "and" => (BinOp::And, 2),
                w => {
                    let (neg, base) = match w.strip_prefix('!') {
                        Some(b) => (true, b),
                        None => (false, w),
                    };
                    (BinOp::Str(StrOp::from_word(base)?, neg), 3)
                }
            },
            Tok::Punct(p) => match *p {
                "==" => (BinOp::Eq, 3),
                "!=" => (BinOp::Ne, 3),
                "=~" => (BinOp::EqCi, 3),
                "!~" => (BinOp::NeCi, 3),
                "<" => (BinOp::Lt, 3),
                "<=" => (BinOp::Le, 3),
                ">" => (BinOp::Gt, 3),
                ">=" => (BinOp::Ge, 3),
                "+" => (BinOp::Add, 4),
                "-" => (BinOp::Sub, 4),
                "*" => (BinOp::Mul, 5),
                "/" => (BinOp::Div, 5),
                "%" => (BinOp::Mod, 5),
                _ => return None,
            },
            _ => return None,
        })
    }

    fn binary(&mut self, min_prec: u8) -> Result<Expr, Diagnostic> {
        let mut lhs = self.unary()?;
        loop {
            if let Tok::Ident(w) = self.tok().clone() {
                let ci = matches!(self.tok_at(1), Tok::Punct("~"))
                    && self.toks[(self.pos + 1).min(self.toks.len() - 1)]
                        .span
                        .start
                        == self.span().end;
                let word = if ci { format!("{w}~") } else { w.clone() };
                if UNSUPPORTED_WORD_OPS.contains(&word.as_str()) {
                    let span = self.span();
                    return Err(Diagnostic::new(
                        span,
                        format!("{word} is not supported yet"),
                    ));
                }
                if min_prec <= 3
                    && matches!(
                        word.as_str(),
                        "in" | "!in" | "in~" | "!in~" | "has_any" | "has_all"
                    )
                {
                    self.bump();
                    if ci {
                        self.bump();
                    }
                    self.expect_punct("(")?;
                    let mut list = Vec::new();
                    if !self.is_punct(")") {
                        list.push(self.expr()?);
                        while self.eat_punct(",") {
                            list.push(self.expr()?);
                        }
                    }
                    self.expect_punct(")")?;
                    let span = lhs.span.start..self.prev_end();
                    let expr = Box::new(lhs);
                    let kind = if word.starts_with("has_") {
                        ExprKind::HasAny {
                            expr,
                            list,
                            all: word == "has_all",
                        }
                    } else {
                        ExprKind::In {
                            expr,
                            list,
                            negated: word.starts_with('!'),
                            ci,
                        }
                    };
                    lhs = Expr { kind, span };
                    continue;
                }
                if min_prec <= 3
                    && w == "matches"
                    && matches!(self.tok_at(1), Tok::Ident(r) if r == "regex")
                {
                    self.bump();
                    self.bump();
                    let rhs = self.binary(4)?;
                    let span = lhs.span.start..rhs.span.end;
                    lhs = Expr {
                        kind: ExprKind::Matches(Box::new(lhs), Box::new(rhs)),
                        span,
                    };
                    continue;
                }
                if min_prec <= 3 && (w == "between" || w == "!between") {
                    self.bump();
                    self.expect_punct("(")?;
                    let lo = self.binary(4)?;
                    self.expect_punct("..")?;
                    let hi = self.binary(4)?;
                    self.expect_punct(")")?;
                    let span = lhs.span.start..self.prev_end();
                    lhs = Expr {
                        kind: ExprKind::Between {
                            expr: Box::new(lhs),
                            lo: Box::new(lo),
                            hi: Box::new(hi),
                            negated: w == "!between",
                        },
                        span,
                    };
                    continue;
                }
            }
            let Some((op, prec)) = self.peek_binop() else {
                return Ok(lhs);
            };
            if prec < min_prec {
                return Ok(lhs);
            }
            self.bump();
            let rhs = self.binary(prec + 1)?;
            let span = lhs.span.start..rhs.span.end;
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
    }

    fn unary(&mut self) -> Result<Expr, Diagnostic> {
        if self.is_punct("-") {
            let start = self.bump().span.start;
            let inner = self.unary()?;
            let span = start..inner.span.end;
            return Ok(match inner.kind {
                ExprKind::Lit(Lit::Long(n)) => lit(Lit::Long(-n), span),
                ExprKind::Lit(Lit::Real(n)) => lit(Lit::Real(-n), span),
                ExprKind::Lit(Lit::TimeSpan(n)) => lit(Lit::TimeSpan(-n), span),
                _ => Expr {
                    kind: ExprKind::Neg(Box::new(inner)),
                    span,
                },
            });
        }
        let mut e = self.primary()?;
        loop {
            let adjacent = self.span().start == self.prev_end();
            if self.is_punct(".") && matches!(self.tok_at(1), Tok::Ident(_)) {
                self.bump();
                let (name, span) = self.ident("a property name")?;
                e = Expr {
                    span: e.span.start..span.end,
                    kind: ExprKind::Member(Box::new(e), name),
                };
            } else if adjacent && self.is_bracketed_ident() {
                let (name, span) = self.ident("a property name")?;
                e = Expr {
                    span: e.span.start..span.end,
                    kind: ExprKind::Member(Box::new(e), name),
                };
            } else if self.is_punct("[") {
                self.bump();
                let i = self.expr()?;
                self.expect_punct("]")?;
                e = Expr {
                    span: e.span.start..self.prev_end(),
                    kind: ExprKind::Index(Box::new(e), Box::new(i)),
                };
            } else {
                return Ok(e);
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, Diagnostic> {
        let span = self.span();
        match self.tok().clone() {
            Tok::Long(n) => {
                self.bump();
                Ok(lit(Lit::Long(n), span))
            }
            Tok::Real(n) => {
                self.bump();
                Ok(lit(Lit::Real(n), span))
            }
            Tok::Str(s) => {
                self.bump();
                Ok(lit(Lit::Str(s), span))
            }
            Tok::TimeSpan(n) => {
                self.bump();
                Ok(lit(Lit::TimeSpan(n), span))
            }
            Tok::DateTime(raw) => {
                self.bump();
                let value = parse_datetime(&raw).ok_or_else(|| {
                    Diagnostic::new(span.clone(), format!("cannot read datetime({raw})"))
                })?;
                Ok(lit(value, span))
            }
            Tok::Punct("(") => {
                self.bump();
                let mut e = self.expr()?;
                self.expect_punct(")")?;
                e.span = span.start..self.prev_end();
                Ok(e)
            }
            Tok::Ident(w) if w == "true" || w == "false" => {
                self.bump();
                Ok(lit(Lit::Bool(w == "true"), span))
            }
            Tok::Ident(w)
                if UNSUPPORTED_SOURCES.contains(&w.as_str())
                    && matches!(self.tok_at(1), Tok::Punct("(")) =>
            {
                Err(Diagnostic::new(span, format!("{w} is not supported yet")))
            }
            Tok::Ident(w) if w == "toscalar" && matches!(self.tok_at(1), Tok::Punct("(")) => {
                self.bump();
                self.bump();
                let p = self.pipeline()?;
                self.expect_punct(")")?;
                Ok(Expr {
                    kind: ExprKind::ToScalar(Box::new(p)),
                    span: span.start..self.prev_end(),
                })
            }
            Tok::Ident(w) if w == "dynamic" && matches!(self.tok_at(1), Tok::Punct("(")) => {
                self.bump();
                self.bump();
                let kind = if self.eat_punct("[") {
                    let mut items = Vec::new();
                    if !self.is_punct("]") {
                        items.push(self.expr()?);
                        while self.eat_punct(",") {
                            items.push(self.expr()?);
                        }
                    }
                    self.expect_punct("]")?;
                    ExprKind::Dynamic(items)
                } else if self.eat_word("null") {
                    ExprKind::NullDynamic
                } else {
                    return Err(Diagnostic::new(
                        self.span(),
                        "dynamic values other than arrays are not supported yet",
                    ));
                };
                self.expect_punct(")")?;
                Ok(Expr {
                    kind,
                    span: span.start..self.prev_end(),
                })
            }
            Tok::Ident(w) if !w.starts_with('!') => {
                self.bump();
                if !self.is_punct("(") {
                    return Ok(Expr {
                        kind: ExprKind::Name(w),
                        span,
                    });
                }
                self.bump();
                let mut args = Vec::new();
                if !self.is_punct(")") {
                    loop {
                        if self.is_punct("*") {
                            let span = self.bump().span;
                            args.push(Expr {
                                kind: ExprKind::Star,
                                span,
                            });
                        } else {
                            args.push(self.expr()?);
                        }
                        if !self.eat_punct(",") {
                            break;
                        }
                    }
                }
                self.expect_punct(")")?;
                Ok(Expr {
                    kind: ExprKind::Call(w, span.clone(), args),
                    span: span.start..self.prev_end(),
                })
            }
            Tok::Punct("$") => {
                self.bump();
                let (w, wspan) = self.ident("`left`, `right` or `table` after `$`")?;
                if !matches!(w.as_str(), "left" | "right" | "table") || wspan.start != span.end {
                    return Err(Diagnostic::new(
                        span.start..wspan.end,
                        format!("unknown name `${w}`"),
                    ));
                }
                Ok(Expr {
                    kind: ExprKind::Name(format!("${w}")),
                    span: span.start..wspan.end,
                })
            }
            _ => Err(self.expected("an expression")),
        }
    }
}

fn lit(l: Lit, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Lit(l),
        span,
    }
}

/// Reads the text of `datetime(...)`: ISO dates with optional time, `T`, fractions and `Z`.
fn parse_datetime(raw: &str) -> Option<Lit> {
    let t = raw.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    if t == "null" {
        return Some(Lit::Null);
    }
    let t = t.trim_end_matches('Z').replace('T', " ");
    if let Ok(d) = NaiveDate::parse_from_str(&t, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(Lit::DateTime);
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S%.f",
    ] {
        if let Ok(v) = NaiveDateTime::parse_from_str(&t, fmt) {
            return Some(Lit::DateTime(v));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lets_and_pipelines() {
        let q = parse("let n = 5; let L = dynamic(['a','b']); T | where x > n and y in (L) | project-away a*, b | count").unwrap();
        assert_eq!(q.lets.len(), 2);
        assert!(matches!(&q.body.source, Source::Name(n) if n == "T"));
        assert_eq!(q.body.ops.len(), 3);
        assert!(matches!(&q.body.ops[1].kind, OpKind::ProjectAway(p) if p[0].0 == "a*"));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let e = parse_expr("a == 1 or b == 2 and c == 3").unwrap();
        assert!(matches!(e.kind, ExprKind::Binary(BinOp::Or, _, _)));
        let e = parse_expr("1 + 2 * 3 > 4").unwrap();
        match e.kind {
            ExprKind::Binary(BinOp::Gt, l, _) => {
                assert!(matches!(l.kind, ExprKind::Binary(BinOp::Add, _, _)))
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn names_unsupported_operators_at_their_position() {
        let e = parse("T\n| facet by x").unwrap_err();
        assert_eq!(e.message, "facet is not supported yet");
        assert_eq!(e.span, 4..9);
        let e = parse_expr("a like 'x'").unwrap_err();
        assert_eq!(e.message, "like is not supported yet");
    }

    #[test]
    fn reads_datetime_literals() {
        assert!(matches!(
            parse_datetime("2024-01-02T03:04:05Z"),
            Some(Lit::DateTime(_))
        ));
        assert!(matches!(
            parse_datetime("2024-01-02"),
            Some(Lit::DateTime(_))
        ));
        assert_eq!(parse_datetime("null"), Some(Lit::Null));
        assert_eq!(parse_datetime("yesterday"), None);
    }

    #[test]
    fn hostile_input_gives_errors_not_panics() {
        for s in [
            "",
            "|",
            "T |",
            "let",
            "let x =",
            "T | where (",
            "T | top",
            "T | sort by",
            "[",
            "dynamic(",
            "T | summarize by",
        ] {
            let _ = parse(s);
        }
    }
}

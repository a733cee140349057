//! Recursive-descent parser for KQL with precedence climbing for expressions.

use chrono::{NaiveDate, NaiveDateTime};

use super::ast::*;
use super::diag::Diagnostic;
use super::lexer::{lex, Span, Tok, Token};

/// Tabular operators and sources that quarry recognises but does not compile yet.
const UNSUPPORTED_OPS: &[&str] = &[
    "join",
    "lookup",
    "union",
    "mv-expand",
    "mv-apply",
    "parse",
    "parse-where",
    "parse-kv",
    "evaluate",
    "serialize",
    "make-series",
    "search",
    "render",
    "invoke",
    "as",
    "top-nested",
    "top-hitters",
    "project-reorder",
    "project-keep",
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
const UNSUPPORTED_SOURCES: &[&str] = &[
    "materialize",
    "toscalar",
    "datatable",
    "externaldata",
    "view",
    "range",
    "print",
    "union",
    "search",
    "find",
    "_GetWatchlist",
    "_Im_NetworkSession",
    "_Im_Dns",
    "table",
    "cluster",
    "database",
];

/// Word operators quarry recognises but does not compile yet.
const UNSUPPORTED_WORD_OPS: &[&str] = &[
    "hasprefix",
    "hassuffix",
    "!hasprefix",
    "!hassuffix",
    "hasprefix_cs",
    "hassuffix_cs",
    "!hasprefix_cs",
    "!hassuffix_cs",
    "matches",
    "like",
    "notlike",
    "!contains_cs",
    "!startswith_cs",
    "!endswith_cs",
];

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
}

impl Parser {
    fn new(src: &str) -> Result<Self, Diagnostic> {
        Ok(Parser {
            toks: lex(src)?,
            pos: 0,
        })
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
        if self.is_punct("(") {
            return Err(Diagnostic::new(
                self.span(),
                "user-defined functions (`let f = (...) { ... }`) are not supported yet",
            ));
        }
        let tabular = match self.tok() {
            Tok::Ident(w) => {
                UNSUPPORTED_SOURCES.contains(&w.as_str())
                    || matches!(self.tok_at(1), Tok::Punct("|"))
            }
            _ => false,
        };
        let value = if tabular {
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

    fn pipeline(&mut self) -> Result<Pipeline, Diagnostic> {
        let (source, source_span) = match self.tok().clone() {
            Tok::Ident(s) if UNSUPPORTED_SOURCES.contains(&s.as_str()) => {
                return Err(Diagnostic::new(
                    self.span(),
                    format!("{s} is not supported yet"),
                ))
            }
            Tok::Ident(_) => self.ident("a table name")?,
            _ => return Err(self.expected("a table name")),
        };
        if self.is_punct("(") {
            return Err(Diagnostic::new(
                source_span,
                format!("calling `{source}` as a function is not supported yet"),
            ));
        }
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
        let e = self.primary()?;
        if self.is_punct(".") || self.is_punct("[") {
            return Err(Diagnostic::new(
                self.span(),
                "property and index access on dynamic values is not supported yet",
            ));
        }
        Ok(e)
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
            Tok::Ident(w) if w == "dynamic" && matches!(self.tok_at(1), Tok::Punct("(")) => {
                self.bump();
                self.bump();
                let items = if self.eat_punct("[") {
                    let mut items = Vec::new();
                    if !self.is_punct("]") {
                        items.push(self.expr()?);
                        while self.eat_punct(",") {
                            items.push(self.expr()?);
                        }
                    }
                    self.expect_punct("]")?;
                    items
                } else if self.eat_word("null") {
                    Vec::new()
                } else {
                    return Err(Diagnostic::new(
                        self.span(),
                        "dynamic values other than arrays are not supported yet",
                    ));
                };
                self.expect_punct(")")?;
                Ok(Expr {
                    kind: ExprKind::Dynamic(items),
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
            Tok::Punct("$") => Err(Diagnostic::new(
                span,
                "`$left`/`$right` are only valid in join conditions (join is not supported yet)",
            )),
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
        assert_eq!(q.body.source, "T");
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
        let e = parse("T\n| mv-apply x on (take 1)").unwrap_err();
        assert_eq!(e.message, "mv-apply is not supported yet");
        assert_eq!(e.span, 4..12);
        let e = parse_expr("a matches regex 'x'").unwrap_err();
        assert_eq!(e.message, "matches is not supported yet");
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

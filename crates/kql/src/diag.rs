//! Compiler diagnostics: a message tied to a span of the query, rendered with line, column,
//! the source line and a caret under the offending token.

use std::fmt;

use super::lexer::Span;

/// One problem found in a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Byte span of the offending text.
    pub span: Span,
    /// What is wrong, in plain words.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at `span`.
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            span,
            message: message.into(),
        }
    }
}

/// The diagnostics of one compilation, with the source they point into.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    /// The query text.
    pub source: String,
    /// The problems, in the order found.
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Wraps a single diagnostic.
    pub fn single(source: &str, d: Diagnostic) -> Self {
        Diagnostics {
            source: source.to_string(),
            items: vec![d],
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(&self.source, offset)
    }
}

/// 1-based line and column (in characters) of byte `offset` in `src`.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = floor_boundary(src, offset.min(src.len()));
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, src[line_start..offset].chars().count() + 1)
}

fn floor_boundary(src: &str, mut i: usize) -> usize {
    while !src.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, d) in self.items.iter().enumerate() {
            if n > 0 {
                writeln!(f)?;
            }
            let start = floor_boundary(&self.source, d.span.start.min(self.source.len()));
            let (line, col) = line_col(&self.source, start);
            let line_start = self.source[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = self.source[start..]
                .find('\n')
                .map_or(self.source.len(), |i| start + i);
            let text = self.source[line_start..line_end].replace('\t', " ");
            let end = floor_boundary(&self.source, d.span.end.clamp(start, line_end));
            let width = self.source[start..end].chars().count().max(1);
            writeln!(f, "{line}:{col}: {}", d.message)?;
            writeln!(f, "  {text}")?;
            write!(f, "  {}{}", " ".repeat(col - 1), "^".repeat(width))?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_line_column_and_caret() {
        let src = "T\n| where Foo == 1";
        let d = Diagnostics::single(src, Diagnostic::new(10..13, "unknown column `Foo`"));
        assert_eq!(
            d.to_string(),
            "2:9: unknown column `Foo`\n  | where Foo == 1\n          ^^^"
        );
        assert_eq!(d.line_col(0), (1, 1));
    }

    #[test]
    fn survives_spans_out_of_range() {
        let d = Diagnostics::single("é", Diagnostic::new(1..99, "x"));
        assert!(d.to_string().starts_with("1:1: x"));
    }
}

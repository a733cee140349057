//! The KQL lexer: turns query text into tokens, each with the byte span it came from.

use super::diag::Diagnostic;

/// A byte range in the query text.
pub type Span = std::ops::Range<usize>;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A name: plain, `['bracketed']`, or `!word` operators such as `!has` (kept with the `!`).
    Ident(String),
    /// A string literal, escapes resolved.
    Str(String),
    /// An integer literal.
    Long(i64),
    /// A real literal.
    Real(f64),
    /// A timespan literal (`2m`, `1d`, `100ms`), in microseconds.
    TimeSpan(i64),
    /// `datetime(...)` with the raw text between the parentheses.
    DateTime(String),
    /// Punctuation and symbolic operators.
    Punct(&'static str),
    /// End of input.
    Eof,
}

/// A token and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Its byte span in the source.
    pub span: Span,
}

const PUNCTS: &[&str] = &[
    "==", "!=", "=~", "!~", "<=", ">=", "..", "=", "<", ">", "|", "(", ")", "[", "]", "{", "}",
    ",", ";", ".", "+", "-", "*", "/", "%", ":", "$", "!", "~",
];

/// Microseconds per timespan unit suffix.
fn unit_micros(unit: &str) -> Option<f64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "d" | "day" | "days" => 86_400e6,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600e6,
        "m" | "min" | "minute" | "minutes" => 60e6,
        "s" | "sec" | "second" | "seconds" => 1e6,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1e3,
        "microsecond" | "microseconds" => 1.0,
        "tick" | "ticks" => 0.1,
        _ => return None,
    })
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Splits `src` into tokens; the last token is always [`Tok::Eof`].
pub fn lex(src: &str) -> Result<Vec<Token>, Diagnostic> {
    Lexer { src, pos: 0 }.run()
}

/// Whether the tokens so far end with `dynamic(`: there `["a"]` is an array of one string,
/// not the bracketed name `a`.
fn opens_dynamic(out: &[Token]) -> bool {
    matches!(
        out,
        [.., Token { tok: Tok::Ident(w), .. }, Token { tok: Tok::Punct("("), .. }] if w == "dynamic"
    )
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(n)
    }

    fn run(mut self) -> Result<Vec<Token>, Diagnostic> {
        let mut out = Vec::new();
        loop {
            self.skip_space();
            let start = self.pos;
            let Some(c) = self.peek() else {
                // The end sits right after the last token, so "expected ..." points there.
                let end = out.last().map_or(0, |t: &Token| t.span.end);
                out.push(Token {
                    tok: Tok::Eof,
                    span: end..end,
                });
                return Ok(out);
            };
            let tok = if c == '\'' || c == '"' {
                self.string(false)?
            } else if (c == '@' || c == 'h' || c == 'H')
                && matches!(self.peek_at(1), Some('\'') | Some('"'))
            {
                self.pos += 1;
                self.string(c == '@')?
            } else if c.is_ascii_digit() {
                self.number()?
            } else if is_ident_start(c) {
                self.word()?
            } else if let Some(name) = (!opens_dynamic(&out)).then(|| self.bracketed()).flatten() {
                name
            } else if c == '!' && self.peek_at(1).is_some_and(is_ident_start) {
                self.pos += 1;
                match self.word()? {
                    Tok::Ident(w) => Tok::Ident(format!("!{w}")),
                    _ => return Err(Diagnostic::new(start..self.pos, "unexpected `!`")),
                }
            } else {
                let rest = &self.src[self.pos..];
                match PUNCTS.iter().find(|p| rest.starts_with(**p)) {
                    Some(p) => {
                        self.pos += p.len();
                        Tok::Punct(p)
                    }
                    None => {
                        let end = self.pos + c.len_utf8();
                        return Err(Diagnostic::new(
                            start..end,
                            format!("unexpected character {c:?}"),
                        ));
                    }
                }
            };
            out.push(Token {
                tok,
                span: start..self.pos,
            });
        }
    }

    fn skip_space(&mut self) {
        loop {
            let rest = &self.src[self.pos..];
            if rest.starts_with("//") {
                self.pos += rest.find('\n').unwrap_or(rest.len());
            } else if let Some(c) = self.peek().filter(|c| c.is_whitespace()) {
                self.pos += c.len_utf8();
            } else {
                return;
            }
        }
    }

    /// A quoted string starting at the quote; `verbatim` strings have no escapes.
    fn string(&mut self, verbatim: bool) -> Result<Tok, Diagnostic> {
        let start = self.pos;
        let quote = self.peek().unwrap_or('"');
        self.pos += 1;
        let mut text = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(Diagnostic::new(start..self.pos, "unterminated string"));
            };
            self.pos += c.len_utf8();
            if c == quote {
                if verbatim && self.peek() == Some(quote) {
                    self.pos += 1;
                    text.push(quote);
                    continue;
                }
                return Ok(Tok::Str(text));
            }
            if c == '\n' {
                return Err(Diagnostic::new(start..self.pos, "unterminated string"));
            }
            if c == '\\' && !verbatim {
                let Some(e) = self.peek() else { continue };
                self.pos += e.len_utf8();
                text.push(match e {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '0' => '\0',
                    other => other,
                });
            } else {
                text.push(c);
            }
        }
    }

    /// `['name']` or `["name"]`; `None` (cursor unchanged) when the text is something else,
    /// such as an array of strings.
    fn bracketed(&mut self) -> Option<Tok> {
        let start = self.pos;
        if self.peek() != Some('[') || !matches!(self.peek_at(1), Some('\'') | Some('"')) {
            return None;
        }
        self.pos += 1;
        if let Ok(Tok::Str(name)) = self.string(false) {
            self.skip_space();
            if self.peek() == Some(']') {
                self.pos += 1;
                return Some(Tok::Ident(name));
            }
        }
        self.pos = start;
        None
    }

    fn number(&mut self) -> Result<Tok, Diagnostic> {
        let start = self.pos;
        let bytes = self.src.as_bytes();
        let digits = |p: &mut usize| {
            while *p < bytes.len() && bytes[*p].is_ascii_digit() {
                *p += 1;
            }
        };
        let mut p = self.pos;
        if self.src[p..].starts_with("0x") || self.src[p..].starts_with("0X") {
            p += 2;
            let hs = p;
            while p < bytes.len() && bytes[p].is_ascii_hexdigit() {
                p += 1;
            }
            self.pos = p;
            return i64::from_str_radix(&self.src[hs..p], 16)
                .map(Tok::Long)
                .map_err(|_| Diagnostic::new(start..p, "bad hexadecimal number"));
        }
        digits(&mut p);
        let mut real = false;
        if p + 1 < bytes.len() && bytes[p] == b'.' && bytes[p + 1].is_ascii_digit() {
            real = true;
            p += 1;
            digits(&mut p);
        }
        if p < bytes.len() && (bytes[p] == b'e' || bytes[p] == b'E') {
            let mut q = p + 1;
            if q < bytes.len() && (bytes[q] == b'+' || bytes[q] == b'-') {
                q += 1;
            }
            if q < bytes.len() && bytes[q].is_ascii_digit() {
                real = true;
                digits(&mut q);
                p = q;
            }
        }
        let num = &self.src[start..p];
        // A unit suffix directly after the number makes a timespan.
        let mut u = p;
        while u < bytes.len() && (bytes[u] as char).is_ascii_alphabetic() {
            u += 1;
        }
        if u > p {
            let unit = &self.src[p..u];
            let Some(per) = unit_micros(unit) else {
                return Err(Diagnostic::new(
                    start..u,
                    format!("unknown timespan unit `{unit}`"),
                ));
            };
            self.pos = u;
            let value: f64 = num
                .parse()
                .map_err(|_| Diagnostic::new(start..u, "bad number"))?;
            let micros = (value * per).round();
            if !micros.is_finite() || micros.abs() > 9.0e18 {
                return Err(Diagnostic::new(start..u, "timespan out of range"));
            }
            return Ok(Tok::TimeSpan(micros as i64));
        }
        self.pos = p;
        if real {
            num.parse()
                .map(Tok::Real)
                .map_err(|_| Diagnostic::new(start..p, "bad number"))
        } else {
            num.parse()
                .map(Tok::Long)
                .map_err(|_| Diagnostic::new(start..p, "integer out of range"))
        }
    }

    fn word(&mut self) -> Result<Tok, Diagnostic> {
        let start = self.pos;
        while self.peek().is_some_and(is_ident_char) {
            self.pos += 1;
        }
        let word = &self.src[start..self.pos];
        if word == "datetime" {
            let save = self.pos;
            self.skip_space();
            if self.peek() == Some('(') {
                let open = self.pos;
                let Some(close) = self.src[open..].find(')') else {
                    return Err(Diagnostic::new(start..self.src.len(), "missing `)`"));
                };
                self.pos = open + close + 1;
                return Ok(Tok::DateTime(self.src[open + 1..open + close].to_string()));
            }
            self.pos = save;
        }
        Ok(Tok::Ident(word.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn lexes_operators_literals_and_spans() {
        assert_eq!(
            toks("T | where a !has 'x' and b =~ @'c\\d' and t > 1h"),
            vec![
                Tok::Ident("T".into()),
                Tok::Punct("|"),
                Tok::Ident("where".into()),
                Tok::Ident("a".into()),
                Tok::Ident("!has".into()),
                Tok::Str("x".into()),
                Tok::Ident("and".into()),
                Tok::Ident("b".into()),
                Tok::Punct("=~"),
                Tok::Str("c\\d".into()),
                Tok::Ident("and".into()),
                Tok::Ident("t".into()),
                Tok::Punct(">"),
                Tok::TimeSpan(3_600_000_000),
                Tok::Eof,
            ]
        );
        let t = lex("ab  'cd'").unwrap();
        assert_eq!(t[1].span, 4..8);
    }

    #[test]
    fn lexes_numbers_timespans_and_names() {
        assert_eq!(
            toks("1.5 2 100ms 2d ['a b'] 1..3 datetime(2024-01-01 10:00)"),
            vec![
                Tok::Real(1.5),
                Tok::Long(2),
                Tok::TimeSpan(100_000),
                Tok::TimeSpan(172_800_000_000),
                Tok::Ident("a b".into()),
                Tok::Long(1),
                Tok::Punct(".."),
                Tok::Long(3),
                Tok::DateTime("2024-01-01 10:00".into()),
                Tok::Eof,
            ]
        );
    }

    #[test]
    fn reports_bad_input_without_panicking() {
        assert!(lex("'abc").is_err());
        assert!(lex("3xyz").is_err());
        assert!(lex("a # b").is_err());
        assert!(lex("99999999999999999999").is_err());
        assert!(lex("datetime(").is_err());
    }
}

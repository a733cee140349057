//! Reading log text as typed values, for the loaders' conversion step:
//! `quarry_text_timestamp(text)`, `quarry_text_int(text)` and `quarry_text_bool(text)`.
//!
//! Each returns NULL for text it cannot read; the loader then tries DuckDB's own casts (and
//! the configured timestamp layouts) for that row only. Written by hand because the SQL they
//! replace (regular expressions, `IN` lists, repeated `TRY_CAST`s) was most of a load's time.

use std::marker::PhantomData;

use chrono::NaiveDate;
use duckdb::core::{DataChunkHandle, LogicalTypeHandle, LogicalTypeId};
use duckdb::vscalar::{ScalarFunctionSignature, VScalar};
use duckdb::vtab::arrow::WritableVector;
use duckdb::Connection;

use super::vectors::{map_strings, write_values, Outcome};

/// Microseconds since 1970 (DuckDB's TIMESTAMP) of a log timestamp in UTC:
/// `YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][Z| UTC|(±HH:MM|±HHMM)]` (an offset is applied,
/// a fraction beyond microseconds is cut), Unix seconds (9–10 digits, optional fraction) or
/// Unix milliseconds (12–13 digits), or the US layout of portal exports
/// `M/D/YYYY[,] h:mm[:ss[.fraction]][ AM| PM]`. Surrounding whitespace is ignored.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let t = text.trim();
    let b = t.as_bytes();
    if b.iter().take(6).any(|c| *c == b'/') {
        return parse_us(b);
    }
    if b.first()?.is_ascii_digit() && b.len() >= 9 && b[4] != b'-' {
        return parse_epoch(t);
    }
    parse_iso(b)
}

/// Reads 1 or 2 ASCII digits at `*at` and moves past them.
fn short_number(b: &[u8], at: &mut usize) -> Option<u32> {
    let n = b[*at..]
        .iter()
        .take(2)
        .take_while(|c| c.is_ascii_digit())
        .count();
    let value = digits(b, *at, n.max(1))?;
    *at += n;
    Some(value)
}

fn parse_us(b: &[u8]) -> Option<i64> {
    let mut at = 0;
    let month = short_number(b, &mut at)?;
    (b.get(at) == Some(&b'/')).then_some(())?;
    at += 1;
    let day = short_number(b, &mut at)?;
    (b.get(at) == Some(&b'/')).then_some(())?;
    let year = digits(b, at + 1, 4)?;
    at += 5;
    if b.get(at) == Some(&b',') {
        at += 1;
    }
    (b.get(at) == Some(&b' ')).then_some(())?;
    at += 1;
    let mut hour = short_number(b, &mut at)?;
    (b.get(at) == Some(&b':')).then_some(())?;
    let minute = digits(b, at + 1, 2)?;
    at += 3;
    let (mut second, mut micros) = (0, 0);
    if b.get(at) == Some(&b':') {
        second = digits(b, at + 1, 2)?;
        at += 3;
        if b.get(at) == Some(&b'.') {
            let (value, end) = fraction(b, at + 1)?;
            micros = value;
            at = end;
        }
    }
    match &b[at..] {
        b"" => {}
        [b' ', half @ (b'A' | b'a' | b'P' | b'p'), b'M' | b'm'] => {
            if !(1..=12).contains(&hour) {
                return None;
            }
            hour %= 12;
            if matches!(half, b'P' | b'p') {
                hour += 12;
            }
        }
        _ => return None,
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    Some(
        date.and_hms_opt(hour, minute, second)?
            .and_utc()
            .timestamp_micros()
            + micros,
    )
}

/// The fraction of a second whose digits start at `start`, as microseconds (cut, not
/// rounded, as DuckDB's cast does), and where its digits end; `None` when there are none.
fn fraction(b: &[u8], start: usize) -> Option<(i64, usize)> {
    let end = start + b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
    if end == start {
        return None;
    }
    let kept = end.min(start + 6);
    let value = b[start..kept]
        .iter()
        .fold(0, |acc, d| acc * 10 + i64::from(d - b'0'));
    Some((value * 10_i64.pow(6 - (kept - start) as u32), end))
}

fn parse_epoch(t: &str) -> Option<i64> {
    let (whole, fraction) = match t.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (t, None),
    };
    if !whole.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: i64 = whole.parse().ok()?;
    match (whole.len(), fraction) {
        (9 | 10, None) => n.checked_mul(1_000_000),
        (9 | 10, Some(f)) if f.bytes().all(|c| c.is_ascii_digit()) => {
            Some(n * 1_000_000 + rounded_micros(f.as_bytes()))
        }
        (12 | 13, None) => n.checked_mul(1_000),
        _ => None,
    }
}

/// The first six digits of a fraction of a second as microseconds, rounded on the seventh.
fn rounded_micros(digits: &[u8]) -> i64 {
    let mut micros = 0;
    for i in 0..6 {
        micros = micros * 10 + digits.get(i).map_or(0, |d| i64::from(d - b'0'));
    }
    micros + i64::from(digits.get(6).is_some_and(|d| *d >= b'5'))
}

/// Reads `n` ASCII digits at `at`.
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = b.get(at..at + n)?;
    part.iter().try_fold(0u32, |acc, d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    })
}

fn parse_iso(b: &[u8]) -> Option<i64> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(digits(b, 0, 4)?).ok()?,
        digits(b, 5, 2)?,
        digits(b, 8, 2)?,
    )?;
    let mut at = 10;
    let (mut hour, mut minute, mut second, mut micros) = (0, 0, 0, 0);
    if matches!(b.get(at), Some(b'T' | b' ')) && b.get(at + 1).is_some_and(u8::is_ascii_digit) {
        hour = digits(b, at + 1, 2)?;
        if b.get(at + 3) != Some(&b':') {
            return None;
        }
        minute = digits(b, at + 4, 2)?;
        at += 6;
        if b.get(at) == Some(&b':') {
            second = digits(b, at + 1, 2)?;
            at += 3;
            if b.get(at) == Some(&b'.') {
                let (value, end) = fraction(b, at + 1)?;
                micros = value;
                at = end;
            }
        }
    }
    let offset_minutes = zone(&b[at..])?;
    let time = date.and_hms_opt(hour, minute, second)?;
    Some(time.and_utc().timestamp_micros() + micros - offset_minutes * 60_000_000)
}

/// The UTC offset in minutes of what follows the time: nothing, `Z`, ` UTC`, or
/// `±HH:MM` / `±HHMM` (optionally after a space); `None` for anything else.
fn zone(rest: &[u8]) -> Option<i64> {
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    match rest {
        b"" | b"Z" | b"UTC" => Some(0),
        [sign @ (b'+' | b'-'), ..] => {
            let tail = &rest[1..];
            let (h, m) = match tail.len() {
                5 if tail[2] == b':' => (digits(tail, 0, 2)?, digits(tail, 3, 2)?),
                4 => (digits(tail, 0, 2)?, digits(tail, 2, 2)?),
                _ => return None,
            };
            let minutes = i64::from(h * 60 + m);
            Some(if *sign == b'-' { -minutes } else { minutes })
        }
        _ => None,
    }
}

/// A whole number: optional sign and decimal digits, or a decimal or exponent form whose
/// value is whole (`12.0`, `1e3`); `12.5`, hexadecimal and empty text are not.
pub fn parse_int(text: &str) -> Option<i64> {
    let t = text.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) {
        return t.strip_prefix('+').unwrap_or(t).parse().ok();
    }
    if !t.contains(['.', 'e', 'E']) || t.contains(['x', 'X', '_']) {
        return None;
    }
    let value: f64 = t.parse().ok()?;
    // i64::MAX is not exact as a double; the bound keeps the cast exact.
    (value.is_finite() && value.fract() == 0.0 && value.abs() < 9.2e18).then_some(value as i64)
}

/// `true`, `t`, `1`, `yes`, `y` or `false`, `f`, `0`, `no`, `n`, in any case.
pub fn parse_bool(text: &str) -> Option<bool> {
    let t = text.trim();
    if t.len() > 5 {
        return None;
    }
    match t.to_ascii_lowercase().as_str() {
        "true" | "t" | "1" | "yes" | "y" => Some(true),
        "false" | "f" | "0" | "no" | "n" => Some(false),
        _ => None,
    }
}

/// One of the readers above, as a DuckDB function from VARCHAR to `RESULT`.
trait TextReader {
    /// The value in DuckDB's storage (i64 for BIGINT and TIMESTAMP, bool for BOOLEAN).
    type Value: Copy;
    /// The function's result type.
    const RESULT: LogicalTypeId;
    /// Reads one text; `None` becomes NULL.
    fn read(text: &str) -> Option<Self::Value>;
}

struct Timestamps;
impl TextReader for Timestamps {
    type Value = i64;
    const RESULT: LogicalTypeId = LogicalTypeId::Timestamp;
    fn read(text: &str) -> Option<i64> {
        parse_timestamp(text)
    }
}

struct Integers;
impl TextReader for Integers {
    type Value = i64;
    const RESULT: LogicalTypeId = LogicalTypeId::Bigint;
    fn read(text: &str) -> Option<i64> {
        parse_int(text)
    }
}

struct Booleans;
impl TextReader for Booleans {
    type Value = bool;
    const RESULT: LogicalTypeId = LogicalTypeId::Boolean;
    fn read(text: &str) -> Option<bool> {
        parse_bool(text)
    }
}

struct TextFunction<R>(PhantomData<R>);
impl<R: TextReader> VScalar for TextFunction<R> {
    type State = ();
    fn invoke(_: &(), input: &mut DataChunkHandle, output: &mut dyn WritableVector) -> Outcome {
        let values = map_strings(input, 0, |_, t| R::read(t?));
        write_values(output, values.into_iter());
        Ok(())
    }
    fn signatures() -> Vec<ScalarFunctionSignature> {
        vec![ScalarFunctionSignature::exact(
            vec![LogicalTypeHandle::from(LogicalTypeId::Varchar)],
            LogicalTypeHandle::from(R::RESULT),
        )]
    }
}

/// Registers the three conversion functions on `conn`.
pub fn register(conn: &Connection) -> duckdb::Result<()> {
    conn.register_scalar_function::<TextFunction<Timestamps>>("quarry_text_timestamp")?;
    conn.register_scalar_function::<TextFunction<Integers>>("quarry_text_int")?;
    conn.register_scalar_function::<TextFunction<Booleans>>("quarry_text_bool")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Option<String> {
        parse_timestamp(text).map(|us| {
            chrono::DateTime::from_timestamp_micros(us)
                .expect("in range")
                .naive_utc()
                .to_string()
        })
    }

    #[test]
    fn timestamps() {
        let cases = [
            ("2025-11-09T15:46:34.034Z", Some("2025-11-09 15:46:34.034")),
            (" 2025-11-09 15:46:34 ", Some("2025-11-09 15:46:34")),
            (
                "2025-11-09T15:46:34.1234567Z",
                Some("2025-11-09 15:46:34.123456"),
            ),
            ("2025-11-09T16:46:34+01:00", Some("2025-11-09 15:46:34")),
            ("2025-11-09 10:46:34 -0500", Some("2025-11-09 15:46:34")),
            ("2025-11-09 15:46:34 UTC", Some("2025-11-09 15:46:34")),
            ("2025-11-09T15:46", Some("2025-11-09 15:46:00")),
            ("2025-11-09", Some("2025-11-09 00:00:00")),
            ("1762703194.034", Some("2025-11-09 15:46:34.034")),
            ("1762703194.0000005", Some("2025-11-09 15:46:34.000001")),
            ("1762703194", Some("2025-11-09 15:46:34")),
            ("1762703194034", Some("2025-11-09 15:46:34.034")),
            ("2025-02-30 00:00:00", None),
            ("2025-11-09 25:00:00", None),
            ("2025-11-09T15:46:34+1", None),
            ("2025-11-09 15:46:34.", None),
            ("11/9/2025, 3:46:34.034 PM", Some("2025-11-09 15:46:34.034")),
            ("11/9/2025, 3:46:34 AM", Some("2025-11-09 03:46:34")),
            ("11/19/2025 12:05:00 AM", Some("2025-11-19 00:05:00")),
            (
                "10/21/2025, 12:00:01.633 pm",
                Some("2025-10-21 12:00:01.633"),
            ),
            ("11/19/2025 17:05", Some("2025-11-19 17:05:00")),
            ("11/19/2025 13:05:00 PM", None),
            ("13/19/2025 10:05:00", None),
            ("Nov 9, 2025 3:46:34 PM", None),
            ("17627031940", None),
            ("yesterday", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(ts(text).as_deref(), want, "{text:?}");
        }
    }

    #[test]
    fn integers() {
        let cases = [
            (" 42 ", Some(42)),
            ("+5", Some(5)),
            ("-7", Some(-7)),
            ("42.0", Some(42)),
            ("1e3", Some(1000)),
            ("42.5", None),
            ("0x10", None),
            ("1_000", None),
            ("9223372036854775807", Some(i64::MAX)),
            ("9223372036854775808", None),
            ("-", None),
            ("", None),
            ("inf", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_int(text), want, "{text:?}");
        }
    }

    #[test]
    fn booleans() {
        for t in ["true", "T", " yes", "Y", "1"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for t in ["False", "f", "NO", "n", "0 "] {
            assert_eq!(parse_bool(t), Some(false), "{t}");
        }
        for t in ["maybe", "", "truest", "2"] {
            assert_eq!(parse_bool(t), None, "{t}");
        }
    }
}

//! CEF and syslog times → `YYYY-MM-DD hh:mm:ss.ffffff`.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike};

/// An RFC 3339 time as [`format_ts`] text, in UTC.
pub(super) fn iso_time(s: &str) -> Option<String> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| format_ts(t.naive_utc()))
}

/// `YYYY-MM-DD hh:mm:ss.ffffff`, the text the loader's commit reads back as a TIMESTAMP.
/// A leap second (`:60`, which chrono keeps as second 59 with a fraction of one second or
/// more) becomes the last microsecond of second 59, as DuckDB has no leap seconds.
pub(super) fn format_ts(t: NaiveDateTime) -> String {
    let micros = t.and_utc().timestamp_subsec_micros().min(999_999);
    let year = match u32::try_from(t.year()) {
        Ok(year) if year <= 9999 => year,
        _ => {
            return format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{micros:06}",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        }
    };
    // Every line of a firewall log has a time or two: digits are written, not formatted.
    let mut out = String::with_capacity(26);
    for (value, width, after) in [
        (year, 4, '-'),
        (t.month(), 2, '-'),
        (t.day(), 2, ' '),
        (t.hour(), 2, ':'),
        (t.minute(), 2, ':'),
        (t.second(), 2, '.'),
    ] {
        push_digits(&mut out, value, width);
        out.push(after);
    }
    push_digits(&mut out, micros, 6);
    out
}

/// Writes the last `width` decimal digits of `value`, zero-padded.
fn push_digits(out: &mut String, mut value: u32, width: usize) {
    let mut digits = [b'0'; 10];
    for d in digits[..width].iter_mut().rev() {
        *d = b'0' + (value % 10) as u8;
        value /= 10;
    }
    out.extend(digits[..width].iter().map(|&d| char::from(d)));
}

/// Normalises a CEF time value (epoch milliseconds or `MMM dd yyyy HH:mm:ss[.SSS] [zone]`).
pub fn cef_time(v: &str) -> Option<String> {
    let v = v.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = v.parse().ok()?;
        let t = if v.len() >= 12 {
            DateTime::from_timestamp_millis(n)?
        } else {
            DateTime::from_timestamp(n, 0)?
        };
        return Some(format_ts(t.naive_utc()));
    }
    if let Some(t) = iso_time(v) {
        return Some(t);
    }
    let trimmed = ["UTC", "GMT", "Z", "+0000", "+00:00"]
        .iter()
        .find_map(|z| v.strip_suffix(z))
        .unwrap_or(v)
        .trim();
    for f in [
        "%b %d %Y %H:%M:%S%.f",
        "%b %d %Y %H:%M:%S",
        "%b %d %H:%M:%S%.f %Y",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(trimmed, f) {
            return Some(format_ts(t));
        }
    }
    NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(format_ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(
            cef_time("1762703194034").as_deref(),
            Some("2025-11-09 15:46:34.034000")
        );
        assert_eq!(
            cef_time("Nov 09 2025 15:46:34 UTC").as_deref(),
            Some("2025-11-09 15:46:34.000000")
        );
        assert_eq!(cef_time("garbage"), None);
    }

    #[test]
    fn written_digits_are_zero_padded_like_formatted_ones() {
        let at = |y, mo, d, h, mi, s, us| {
            NaiveDate::from_ymd_opt(y, mo, d)
                .and_then(|d| d.and_hms_micro_opt(h, mi, s, us))
                .unwrap()
        };
        assert_eq!(
            format_ts(at(987, 1, 2, 3, 4, 5, 6)),
            "0987-01-02 03:04:05.000006"
        );
        assert_eq!(
            format_ts(at(2025, 12, 31, 23, 59, 58, 999_999)),
            "2025-12-31 23:59:58.999999"
        );
        assert_eq!(
            format_ts(at(12345, 1, 1, 0, 0, 0, 0)),
            "12345-01-01 00:00:00.000000"
        );
    }

    #[test]
    fn a_leap_second_is_the_last_microsecond_of_its_minute() {
        for leap in ["2016-12-31T23:59:60Z", "2016-12-31T23:59:60.5Z"] {
            assert_eq!(
                cef_time(leap).as_deref(),
                Some("2016-12-31 23:59:59.999999"),
                "{leap}"
            );
        }
    }
}

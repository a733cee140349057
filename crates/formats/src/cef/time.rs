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
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.and_utc().timestamp_subsec_micros().min(999_999)
    )
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

//! Converts DuckDB values to the text and JSON forms quarry prints.

use duckdb::types::{TimeUnit, Value};
use serde_json::json;

/// Microseconds in a `TimeUnit` step.
fn micros(unit: TimeUnit, v: i64) -> i64 {
    match unit {
        TimeUnit::Second => v.saturating_mul(1_000_000),
        TimeUnit::Millisecond => v.saturating_mul(1_000),
        TimeUnit::Microsecond => v,
        TimeUnit::Nanosecond => v / 1_000,
    }
}

/// Formats a UTC timestamp (microseconds since the epoch) as ISO 8601 with a `Z`,
/// the way Kusto prints datetimes.
pub fn format_timestamp(us: i64) -> String {
    match chrono::DateTime::from_timestamp_micros(us) {
        Some(t) if us % 1_000_000 == 0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(t) => {
            let text = t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
            format!("{}Z", text.trim_end_matches('0'))
        }
        None => us.to_string(),
    }
}

/// Formats an interval the way Kusto prints a timespan: `[-][d.]hh:mm:ss[.fffffff]`.
pub fn format_interval(months: i32, days: i32, nanos: i64) -> String {
    let total_days = i64::from(months) * 30 + i64::from(days);
    let total = total_days as i128 * 86_400_000_000_000 + nanos as i128;
    let sign = if total < 0 { "-" } else { "" };
    let total = total.unsigned_abs();
    let ns_per_s = 1_000_000_000u128;
    let (secs, frac) = (total / ns_per_s, total % ns_per_s);
    let (d, h, m, s) = (secs / 86_400, secs / 3_600 % 24, secs / 60 % 60, secs % 60);
    let mut out = String::from(sign);
    if d > 0 {
        out.push_str(&format!("{d}."));
    }
    out.push_str(&format!("{h:02}:{m:02}:{s:02}"));
    if frac > 0 {
        out.push_str(&format!(".{:07}", frac / 100));
    }
    out
}

/// The plain-text form of a value, for tables and CSV (NULL becomes the empty string).
pub fn to_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Text(s) | Value::Enum(s) => s.clone(),
        Value::Timestamp(unit, t) => format_timestamp(micros(*unit, *t)),
        Value::Interval {
            months,
            days,
            nanos,
        } => format_interval(*months, *days, *nanos),
        Value::List(_) | Value::Array(_) | Value::Struct(_) | Value::Map(_) => {
            to_json(v).to_string()
        }
        other => match to_json(other) {
            serde_json::Value::String(s) => s,
            j => j.to_string(),
        },
    }
}

/// The JSON form of a value, for `--format json` and the hunt runner.
pub fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Boolean(b) => json!(b),
        Value::TinyInt(i) => json!(i),
        Value::SmallInt(i) => json!(i),
        Value::Int(i) => json!(i),
        Value::BigInt(i) => json!(i),
        Value::HugeInt(i) => i64::try_from(*i).map_or_else(|_| json!(i.to_string()), |x| json!(x)),
        Value::UHugeInt(i) => u64::try_from(*i).map_or_else(|_| json!(i.to_string()), |x| json!(x)),
        Value::UTinyInt(i) => json!(i),
        Value::USmallInt(i) => json!(i),
        Value::UInt(i) => json!(i),
        Value::UBigInt(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Double(f) => json!(f),
        Value::Decimal(d) => json!(d.to_string()),
        Value::Timestamp(unit, t) => json!(format_timestamp(micros(*unit, *t))),
        Value::Text(s) | Value::Enum(s) => json!(s),
        Value::Blob(b) | Value::Geometry(b) => {
            json!(b.iter().map(|x| format!("{x:02x}")).collect::<String>())
        }
        Value::Date32(d) => {
            let date = chrono::NaiveDate::from_num_days_from_ce_opt(*d + 719_163);
            json!(date.map_or_else(|| d.to_string(), |x| x.to_string()))
        }
        Value::Time64(unit, t) => {
            let us = micros(*unit, *t);
            json!(format_interval(0, 0, us.saturating_mul(1_000)))
        }
        Value::Interval {
            months,
            days,
            nanos,
        } => json!(format_interval(*months, *days, *nanos)),
        Value::List(items) | Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(to_json).collect())
        }
        Value::Struct(fields) => serde_json::Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        Value::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(k, v)| (to_text(k), to_json(v)))
                .collect(),
        ),
        Value::Union(inner) => to_json(inner),
        other => json!(format!("{other:?}")),
    }
}

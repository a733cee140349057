//! SQL text helpers: quoting, and the VARCHAR → typed conversions every loader shares.

use super::mapping::mappings;

/// Quotes an identifier for DuckDB.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a string literal for DuckDB.
pub fn lit(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The broad kind of a DuckDB column type, for conversions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// VARCHAR and anything unknown: kept as text.
    Text,
    /// TIMESTAMP (UTC).
    Timestamp,
    /// BOOLEAN.
    Bool,
    /// Integers and floating point: TRY_CAST.
    Number,
    /// JSON (Kusto dynamic).
    Json,
}

/// Classifies a DuckDB type name.
pub fn kind_of(ty: &str) -> Kind {
    let t = ty.to_ascii_uppercase();
    if t.starts_with("TIMESTAMP") || t == "DATE" {
        Kind::Timestamp
    } else if t == "BOOLEAN" || t == "BOOL" {
        Kind::Bool
    } else if t == "JSON" || t.ends_with("[]") || t.starts_with("STRUCT") || t.starts_with("MAP") {
        Kind::Json
    } else if matches!(
        t.as_str(),
        "TINYINT"
            | "SMALLINT"
            | "INTEGER"
            | "BIGINT"
            | "HUGEINT"
            | "UTINYINT"
            | "USMALLINT"
            | "UINTEGER"
            | "UBIGINT"
            | "DOUBLE"
            | "FLOAT"
            | "REAL"
    ) || t.starts_with("DECIMAL")
    {
        Kind::Number
    } else {
        Kind::Text
    }
}

/// SQL converting the VARCHAR expression `x` to type `ty`; NULL when it cannot be read.
/// Empty and blank text is NULL for every type but VARCHAR. Timestamps, whole numbers and
/// booleans are read by quarry's own functions (`engine::textconv`); DuckDB's casts are the
/// fallback for the rows those do not read.
pub fn convert(x: &str, ty: &str) -> String {
    match kind_of(ty) {
        Kind::Text => x.to_string(),
        Kind::Number => {
            let t = ty.to_ascii_uppercase();
            if t == "BIGINT" {
                format!("quarry_text_int({x})")
            } else if t.contains("INT") {
                format!("TRY_CAST(quarry_text_int({x}) AS {t})")
            } else {
                format!("TRY_CAST(nullif(trim({x}), '') AS {t})")
            }
        }
        Kind::Bool => format!("quarry_text_bool({x})"),
        Kind::Json => {
            let v = format!("nullif(trim({x}), '')");
            format!(
                "CASE WHEN {v} IS NULL THEN NULL WHEN json_valid({v}) THEN CAST({v} AS JSON) \
                 ELSE CAST(to_json({x}) AS JSON) END"
            )
        }
        Kind::Timestamp => timestamp(x),
    }
}

/// SQL reading a timestamp from text: ISO 8601 with `Z` or an offset, Unix seconds or
/// milliseconds (`quarry_text_timestamp`), then whatever else DuckDB's cast reads, then
/// the layouts listed in network_session.toml (portal exports and the like).
pub fn timestamp(x: &str) -> String {
    let formats = mappings()
        .map(|m| {
            m.sessions
                .timestamps
                .formats
                .iter()
                .map(|f| lit(f))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let layouts = if formats.is_empty() {
        String::new()
    } else {
        format!(", try_strptime(trim({x}), [{formats}])")
    };
    format!("coalesce(quarry_text_timestamp({x}), TRY_CAST({x} AS TIMESTAMP){layouts})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(ident("id.orig_h"), "\"id.orig_h\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(lit("it's"), "'it''s'");
    }

    fn eval(case: &crate::engine::Case, input: &str, ty: &str) -> Option<String> {
        let sql = format!("SELECT CAST({} AS VARCHAR)", convert(&lit(input), ty));
        case.conn()
            .query_row(&sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    #[test]
    fn conversions() {
        let case = crate::engine::Case::open_in_memory().expect("case");
        let ts = |s: &str| eval(&case, s, "TIMESTAMP");
        assert_eq!(
            ts("2025-11-09T15:46:34.034Z").as_deref(),
            Some("2025-11-09 15:46:34.034")
        );
        assert_eq!(
            ts("2025-11-09 15:46:34").as_deref(),
            Some("2025-11-09 15:46:34")
        );
        assert_eq!(
            ts("2025-11-09T15:46:34.0340000Z").as_deref(),
            Some("2025-11-09 15:46:34.034")
        );
        assert_eq!(
            ts("2025-11-09T15:46:34.1234567Z").as_deref(),
            Some("2025-11-09 15:46:34.123456")
        );
        assert_eq!(
            ts("11/9/2025, 3:46:34.034 PM").as_deref(),
            Some("2025-11-09 15:46:34.034")
        );
        assert_eq!(
            ts("11/9/2025, 3:46:34 AM").as_deref(),
            Some("2025-11-09 03:46:34")
        );
        assert_eq!(
            ts("11/19/2025 12:05:00 AM").as_deref(),
            Some("2025-11-19 00:05:00")
        );
        assert_eq!(
            ts("Nov 9, 2025 3:46:34 PM").as_deref(),
            Some("2025-11-09 15:46:34")
        );
        assert_eq!(
            ts("1762703194.034").as_deref(),
            Some("2025-11-09 15:46:34.034")
        );
        assert_eq!(
            ts("1762703194034").as_deref(),
            Some("2025-11-09 15:46:34.034")
        );
        assert_eq!(
            ts("2025-11-09T16:46:34+01:00").as_deref(),
            Some("2025-11-09 15:46:34")
        );
        assert_eq!(
            ts("2025-11-09 10:46:34 -0500").as_deref(),
            Some("2025-11-09 15:46:34")
        );
        assert_eq!(ts("yesterday"), None);
        assert_eq!(ts(""), None);
        assert_eq!(eval(&case, " 42 ", "INTEGER").as_deref(), Some("42"));
        assert_eq!(eval(&case, "42.0", "BIGINT").as_deref(), Some("42"));
        assert_eq!(eval(&case, "42.5", "BIGINT"), None);
        assert_eq!(eval(&case, "x", "DOUBLE"), None);
        assert_eq!(eval(&case, "T", "BOOLEAN").as_deref(), Some("true"));
        assert_eq!(eval(&case, "False", "BOOLEAN").as_deref(), Some("false"));
        assert_eq!(eval(&case, "maybe", "BOOLEAN"), None);
        assert_eq!(eval(&case, "[1, 2]", "JSON").as_deref(), Some("[1, 2]"));
        assert_eq!(eval(&case, "plain", "JSON").as_deref(), Some("\"plain\""));
        assert_eq!(eval(&case, " keep ", "VARCHAR").as_deref(), Some(" keep "));
    }

    #[test]
    fn kinds() {
        assert_eq!(kind_of("TIMESTAMP"), Kind::Timestamp);
        assert_eq!(kind_of("BIGINT"), Kind::Number);
        assert_eq!(kind_of("VARCHAR"), Kind::Text);
        assert_eq!(kind_of("JSON"), Kind::Json);
        assert_eq!(kind_of("boolean"), Kind::Bool);
    }
}

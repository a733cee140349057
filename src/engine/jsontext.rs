//! `kql_json_text(json)`: Kusto's `tostring()` of a dynamic value. A string is its text, a
//! JSON null is empty, anything else (number, boolean, array, object) is its JSON text. One
//! function call binds quicker than the CASE over `json_type` it replaces.

use duckdb::Connection;

use super::textmap::{self, TextMap};

/// The text Kusto's `tostring()` gives for the JSON value `json`.
pub fn json_text(json: &str) -> Option<String> {
    let value = json.trim();
    if value.starts_with('"') {
        return Some(serde_json::from_str::<String>(value).unwrap_or_else(|_| value.to_string()));
    }
    if value == "null" {
        return Some(String::new());
    }
    Some(value.to_string())
}

/// `kql_json_text(VARCHAR) -> VARCHAR`.
struct JsonText;

impl TextMap for JsonText {
    fn map(text: &str) -> Option<String> {
        json_text(text)
    }
}

/// Registers `kql_json_text` on `conn`.
pub fn register(conn: &Connection) -> duckdb::Result<()> {
    textmap::register::<JsonText>(conn, "kql_json_text")
}

#[cfg(test)]
mod tests {
    use super::json_text;

    #[test]
    fn strings_lose_their_quotes_and_null_is_empty() {
        assert_eq!(json_text(r#""a \"b\"""#).as_deref(), Some(r#"a "b""#));
        assert_eq!(json_text("null").as_deref(), Some(""));
        assert_eq!(json_text("12.5").as_deref(), Some("12.5"));
        assert_eq!(json_text(r#"["x",1]"#).as_deref(), Some(r#"["x",1]"#));
    }
}

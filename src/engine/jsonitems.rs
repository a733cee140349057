//! `kql_mv_items(json, pairs)`: the items `mv-expand` makes of a dynamic value, as JSON
//! texts: an array's elements, an object's members (`{"key":value}`, or `["key",value]`
//! with `pairs`, Kusto's `bagexpansion=array`), or any other value alone. One pass over the
//! text finds the items' bounds and copies them; DuckDB's own JSON functions would parse the
//! value once to learn its type and again to cut it, and bind a lambda for objects.

use std::borrow::Cow;

use duckdb::core::{DataChunkHandle, Inserter, LogicalTypeHandle, LogicalTypeId};
use duckdb::vscalar::{ScalarFunctionSignature, VScalar};
use duckdb::vtab::arrow::WritableVector;
use duckdb::Connection;

use super::vectors::{json_type, map_strings, Outcome};

/// The items of the JSON value `text` (see the module documentation). A text that is not
/// well-formed JSON is one item, as it is.
pub fn items(text: &str, pairs: bool) -> Vec<Cow<'_, str>> {
    let value = text.trim_matches(is_space);
    let cut = match value.as_bytes().first() {
        Some(b'[') => members(value, false),
        Some(b'{') => members(value, true),
        _ => None,
    };
    let Some(parts) = cut else {
        return vec![Cow::Borrowed(value)];
    };
    parts
        .into_iter()
        .map(|part| match part {
            Part::Element(e) => compact(e),
            Part::Member(key, v) => {
                let v = compact(v);
                let (open, between, close) = if pairs {
                    ('[', ',', ']')
                } else {
                    ('{', ':', '}')
                };
                Cow::Owned(format!("{open}{key}{between}{v}{close}"))
            }
        })
        .collect()
}

/// One item of a container: an element of an array, or a member of an object (the key as
/// its JSON string token, and the value).
enum Part<'a> {
    Element(&'a str),
    Member(&'a str, &'a str),
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// The items of the array or object `value` (starting with its bracket), or `None` when the
/// brackets or strings do not balance.
fn members(value: &str, object: bool) -> Option<Vec<Part<'_>>> {
    let bytes = value.as_bytes();
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut quotes = Quotes::default();
    // Where the current item (or, in an object, its value) starts, and its key.
    let mut start = 1;
    let mut key: Option<&str> = None;
    let mut closed = false;
    for (i, &b) in bytes.iter().enumerate().skip(1) {
        if quotes.step(b) {
            continue;
        }
        match b {
            b'[' | b'{' => depth += 1,
            b']' | b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 && object && key.is_none() => {
                key = Some(value[start..i].trim_matches(is_space));
                start = i + 1;
            }
            b',' | b']' | b'}' if depth == 0 => {
                let item = value[start..i].trim_matches(is_space);
                let last = b != b',';
                // `[]` and `{}` have no items; anything else empty is malformed.
                if !(item.is_empty() && last && parts.is_empty() && key.is_none()) {
                    if item.is_empty() {
                        return None;
                    }
                    parts.push(match (object, key.take()) {
                        (false, _) => Part::Element(item),
                        (true, Some(k)) if k.starts_with('"') => Part::Member(k, item),
                        (true, _) => return None,
                    });
                }
                start = i + 1;
                if last {
                    closed = i + 1 == bytes.len();
                    break;
                }
            }
            _ => {}
        }
    }
    closed.then_some(parts)
}

/// Where a scan of JSON text is: inside a string (and just after a backslash there) or not.
#[derive(Default)]
struct Quotes {
    in_string: bool,
    escaped: bool,
}

impl Quotes {
    /// Moves past byte `b`; whether it belongs to a string (its quotes included).
    fn step(&mut self, b: u8) -> bool {
        if !self.in_string {
            self.in_string = b == b'"';
            return self.in_string;
        }
        match b {
            _ if self.escaped => self.escaped = false,
            b'\\' => self.escaped = true,
            b'"' => self.in_string = false,
            _ => {}
        }
        true
    }
}

/// `text` without the white space between its tokens, as DuckDB writes JSON.
fn compact(text: &str) -> Cow<'_, str> {
    let space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let mut quotes = Quotes::default();
    if !text.bytes().any(|b| !quotes.step(b) && space(b)) {
        return Cow::Borrowed(text);
    }
    let mut quotes = Quotes::default();
    let kept: Vec<u8> = text
        .bytes()
        .filter(|&b| quotes.step(b) || !space(b))
        .collect();
    // Only ASCII spaces were left out, so the bytes are still UTF-8.
    Cow::Owned(String::from_utf8(kept).unwrap_or_default())
}

/// The DuckDB function `kql_mv_items(VARCHAR, BOOLEAN) -> JSON[]` (NULL for NULL, as DuckDB
/// calls a function only for rows without a NULL argument).
struct MvItems;

impl VScalar for MvItems {
    type State = ();

    fn invoke(_: &(), input: &mut DataChunkHandle, output: &mut dyn WritableVector) -> Outcome {
        let pairs = input.flat_vector(1);
        // SAFETY: argument 1 is declared BOOLEAN, stored as one byte per row.
        let pairs = unsafe { pairs.as_slice_with_len::<bool>(input.len()) }.to_vec();
        let rows: Vec<Option<Vec<String>>> = map_strings(input, 0, |i, text| {
            text.map(|t| {
                items(t, pairs.get(i).copied().unwrap_or(false))
                    .into_iter()
                    .map(Cow::into_owned)
                    .collect()
            })
        });
        let total: usize = rows.iter().flatten().map(Vec::len).sum();
        let mut list = output.list_vector();
        let child = list.child(total);
        let mut at = 0;
        for (row, items) in rows.iter().enumerate() {
            match items {
                Some(items) => {
                    for (k, item) in items.iter().enumerate() {
                        child.insert(at + k, item.as_str());
                    }
                    list.set_entry(row, at, items.len());
                    at += items.len();
                }
                None => list.set_null(row),
            }
        }
        list.set_len(total);
        Ok(())
    }

    fn signatures() -> Vec<ScalarFunctionSignature> {
        vec![ScalarFunctionSignature::exact(
            vec![
                LogicalTypeHandle::from(LogicalTypeId::Varchar),
                LogicalTypeHandle::from(LogicalTypeId::Boolean),
            ],
            LogicalTypeHandle::list(&json_type()),
        )]
    }
}

/// Registers `kql_mv_items` on `conn`.
pub fn register(conn: &Connection) -> duckdb::Result<()> {
    conn.register_scalar_function::<MvItems>("kql_mv_items")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str, pairs: bool) -> Vec<String> {
        items(text, pairs)
            .into_iter()
            .map(Cow::into_owned)
            .collect()
    }

    #[test]
    fn arrays_objects_and_other_values() {
        assert_eq!(
            texts(r#"[1, "a,b", [2,3], {"k":"]"}]"#, false),
            ["1", r#""a,b""#, "[2,3]", r#"{"k":"]"}"#]
        );
        assert_eq!(
            texts(r#"{"a": 1, "b\"c": [1, 2]}"#, false),
            [r#"{"a":1}"#, r#"{"b\"c":[1,2]}"#]
        );
        assert_eq!(
            texts(r#"{"a":1,"b":{"c":null}}"#, true),
            [r#"["a",1]"#, r#"["b",{"c":null}]"#]
        );
        assert_eq!(texts(r#" "text" "#, false), [r#""text""#]);
        assert_eq!(texts("[]", false), Vec::<String>::new());
        assert_eq!(texts("{ }", true), Vec::<String>::new());
    }

    #[test]
    fn malformed_text_is_one_item() {
        for bad in ["[1,", "[1,,2]", r#"{"a"}"#, r#"{1:2}"#, "[1] 2", r#"["a]"#] {
            assert_eq!(texts(bad, false), [bad], "{bad}");
        }
    }

    #[test]
    fn agrees_with_duckdbs_json_functions() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let samples = [
            r#"[1,"x",null,true,[1,[2]],{"a":{"b":[1]}}]"#,
            r#"{"k":"v","n":2.5,"o":{"x":[1,2]},"q\"uote":"a\\b"}"#,
            r##"[ {"@Name" : "DestinationIp", "#text" : "203.0.113.9"} , {"@Name":"Image"} ]"##,
            r#""plain""#,
            "42",
            "[]",
            "{}",
        ];
        for pairs in [false, true] {
            let bag = if pairs { "json_array" } else { "json_object" };
            for s in samples {
                let (ours, theirs): (String, String) = conn
                    .query_row(
                        &format!(
                            "SELECT CAST(kql_mv_items(x, {pairs}) AS VARCHAR),
                                    CAST(CASE json_type(x) WHEN 'ARRAY' THEN json_extract(x, '$[*]')
                                         WHEN 'OBJECT' THEN list_transform(json_keys(x),
                                              lambda k: {bag}(k, json_extract(x, '$.\"' || replace(k, '\"', '\\\"') || '\"')))
                                         ELSE [x] END AS VARCHAR)
                             FROM (SELECT CAST(? AS JSON) AS x)"
                        ),
                        [s],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .unwrap();
                assert_eq!(ours, theirs, "{s} (pairs: {pairs})");
            }
        }
        let null: bool = conn
            .query_row("SELECT kql_mv_items(NULL, false) IS NULL", [], |r| r.get(0))
            .unwrap();
        assert!(
            null,
            "NULL has no items (the compiler makes it one NULL item)"
        );
    }
}

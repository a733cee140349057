//! KQL's `parse_xml()`: XML text to JSON, as a DuckDB scalar function `kql_parse_xml`.
//! The mapping is the usual one: attributes become `@name` keys, text next to attributes or
//! children becomes `#text`, repeated child elements become arrays, an element with only
//! text becomes that string, an empty element becomes null. Bad XML gives NULL.

use duckdb::core::DataChunkHandle;
use duckdb::vscalar::{ScalarFunctionSignature, VScalar};
use duckdb::vtab::arrow::WritableVector;
use duckdb::Connection;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{Map, Value};

/// An element being built: its name, attributes, children and text.
struct Node {
    name: String,
    fields: Map<String, Value>,
    text: String,
}

impl Node {
    fn start(e: &BytesStart<'_>) -> Option<Node> {
        let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
        let mut fields = Map::new();
        for a in e.attributes() {
            let a = a.ok()?;
            let key = format!("@{}", String::from_utf8_lossy(a.key.as_ref()));
            let value = a.unescape_value().ok()?.into_owned();
            fields.insert(key, Value::String(value));
        }
        Some(Node {
            name,
            fields,
            text: String::new(),
        })
    }

    /// The JSON value of the finished element.
    fn finish(mut self) -> (String, Value) {
        let text = self.text.trim().to_string();
        let value = if self.fields.is_empty() {
            if text.is_empty() {
                Value::Null
            } else {
                Value::String(text)
            }
        } else {
            if !text.is_empty() {
                self.fields.insert("#text".into(), Value::String(text));
            }
            Value::Object(self.fields)
        };
        (self.name, value)
    }

    /// Adds a child; a repeated name turns into an array.
    fn add(&mut self, name: String, value: Value) {
        match self.fields.get_mut(&name) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                self.fields.insert(name, value);
            }
        }
    }
}

/// Converts an XML document to JSON text; `None` when the XML is malformed.
pub fn xml_to_json(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Node> = vec![Node {
        name: String::new(),
        fields: Map::new(),
        text: String::new(),
    }];
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => stack.push(Node::start(&e)?),
            Event::Empty(e) => {
                let (name, value) = Node::start(&e)?.finish();
                stack.last_mut()?.add(name, value);
            }
            Event::End(_) => {
                if stack.len() < 2 {
                    return None;
                }
                let (name, value) = stack.pop()?.finish();
                stack.last_mut()?.add(name, value);
            }
            Event::Text(t) => {
                let text = t.decode().ok()?;
                let text = quick_xml::escape::unescape(&text).ok()?;
                stack.last_mut()?.text.push_str(&text);
            }
            Event::CData(t) => {
                let text = String::from_utf8_lossy(&t.into_inner()).into_owned();
                stack.last_mut()?.text.push_str(&text);
            }
            Event::GeneralRef(r) => {
                let name = r.decode().ok()?;
                let entity = format!("&{name};");
                let resolved = quick_xml::escape::unescape(&entity).ok()?.into_owned();
                stack.last_mut()?.text.push_str(&resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return None;
    }
    let root = stack.pop()?;
    if root.fields.is_empty() {
        return None;
    }
    serde_json::to_string(&Value::Object(root.fields)).ok()
}

/// `kql_parse_xml(VARCHAR) -> VARCHAR` (JSON text).
struct ParseXml;

impl VScalar for ParseXml {
    type State = ();
    fn invoke(
        _: &(),
        input: &mut DataChunkHandle,
        output: &mut dyn WritableVector,
    ) -> Result<(), Box<dyn std::error::Error>> {
        super::urlhost::map_varchar(input, output, xml_to_json);
        Ok(())
    }

    fn signatures() -> Vec<ScalarFunctionSignature> {
        super::urlhost::varchar_to_varchar()
    }
}

/// Registers `kql_parse_xml` on `conn`.
pub fn register(conn: &Connection) -> duckdb::Result<()> {
    conn.register_scalar_function::<ParseXml>("kql_parse_xml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_text_and_repeats() {
        let j = xml_to_json(
            r#"<DataItem type="x"><EventData><Data Name="A">1 &amp; 2</Data><Data Name="B"/></EventData></DataItem>"#,
        )
        .unwrap();
        let v: Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v["DataItem"]["@type"], "x");
        let data = &v["DataItem"]["EventData"]["Data"];
        assert_eq!(data[0]["@Name"], "A");
        assert_eq!(data[0]["#text"], "1 & 2");
        assert_eq!(data[1]["@Name"], "B");
        assert!(data[1].get("#text").is_none());
    }

    #[test]
    fn plain_text_elements_are_strings_and_bad_xml_is_none() {
        let v: Value = serde_json::from_str(&xml_to_json("<a><b>t</b><c/></a>").unwrap()).unwrap();
        assert_eq!(v["a"]["b"], "t");
        assert!(v["a"]["c"].is_null());
        assert_eq!(xml_to_json("<a><b></a>"), None);
        assert_eq!(xml_to_json("not xml"), None);
    }
}

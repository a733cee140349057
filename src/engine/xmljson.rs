//! KQL's `parse_xml()`: XML text to JSON, as a DuckDB scalar function `kql_parse_xml`.
//! The mapping is the usual one: attributes become `@name` keys, text next to attributes or
//! children becomes `#text`, repeated child elements become arrays, an element with only
//! text becomes that string, an empty element becomes null. Bad XML gives NULL.

use duckdb::Connection;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::textmap::{self, TextMap};

/// An element read from the document: its name, attributes, child elements (indexes into
/// the document's elements) and text.
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<usize>,
    text: String,
}

impl Element {
    fn new(name: String) -> Element {
        Element {
            name,
            attributes: Vec::new(),
            children: Vec::new(),
            text: String::new(),
        }
    }

    fn start(e: &BytesStart<'_>) -> Option<Element> {
        let mut element = Element::new(String::from_utf8_lossy(e.name().as_ref()).into_owned());
        for a in e.attributes() {
            let a = a.ok()?;
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            element
                .attributes
                .push((key, a.unescape_value().ok()?.into_owned()));
        }
        Some(element)
    }
}

/// Converts an XML document to JSON text; `None` when the XML is malformed.
pub fn xml_to_json(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    // Element 0 stands for the document; `open` holds the elements not closed yet.
    let mut elements = vec![Element::new(String::new())];
    let mut open = vec![0usize];
    loop {
        let parent = *open.last()?;
        match reader.read_event().ok()? {
            Event::Start(e) => {
                elements.push(Element::start(&e)?);
                let at = elements.len() - 1;
                elements[parent].children.push(at);
                open.push(at);
            }
            Event::Empty(e) => {
                elements.push(Element::start(&e)?);
                let at = elements.len() - 1;
                elements[parent].children.push(at);
            }
            Event::End(_) => {
                if open.len() < 2 {
                    return None;
                }
                open.pop();
            }
            Event::Text(t) => {
                let text = t.decode().ok()?;
                let text = quick_xml::escape::unescape(&text).ok()?;
                elements[parent].text.push_str(&text);
            }
            Event::CData(t) => {
                let text = String::from_utf8_lossy(&t.into_inner()).into_owned();
                elements[parent].text.push_str(&text);
            }
            Event::GeneralRef(r) => {
                let name = r.decode().ok()?;
                let entity = format!("&{name};");
                let resolved = quick_xml::escape::unescape(&entity).ok()?.into_owned();
                elements[parent].text.push_str(&resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if open.len() != 1 || elements[0].children.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(xml.len());
    write_fields(&elements, 0, &mut out);
    Some(out)
}

/// Writes an element's JSON value: null when it is empty, its text when it has only text,
/// else an object of `@attribute`s, children (a repeated name becomes an array, at the
/// place of its first child) and `#text`.
fn write_value(elements: &[Element], at: usize, out: &mut String) {
    let e = &elements[at];
    let text = e.text.trim();
    if e.attributes.is_empty() && e.children.is_empty() {
        if text.is_empty() {
            out.push_str("null");
        } else {
            write_string(text, out);
        }
        return;
    }
    write_fields(elements, at, out);
}

/// Writes an element as a JSON object (the document's text is not kept).
fn write_fields(elements: &[Element], at: usize, out: &mut String) {
    let e = &elements[at];
    out.push('{');
    let mut first = true;
    let mut key = |prefix: &str, name: &str, out: &mut String| {
        if !std::mem::take(&mut first) {
            out.push(',');
        }
        out.push('"');
        out.push_str(prefix);
        write_escaped(name, out);
        out.push_str("\":");
    };
    for (name, value) in &e.attributes {
        key("@", name, out);
        write_string(value, out);
    }
    // Children by name, in the order each name first appears.
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for &child in &e.children {
        let name = elements[child].name.as_str();
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, members)) => members.push(child),
            None => groups.push((name, vec![child])),
        }
    }
    for (name, members) in groups {
        key("", name, out);
        if let [only] = members[..] {
            write_value(elements, only, out);
            continue;
        }
        out.push('[');
        for (i, &member) in members.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_value(elements, member, out);
        }
        out.push(']');
    }
    let text = e.text.trim();
    if at != 0 && !text.is_empty() {
        key("", "#text", out);
        write_string(text, out);
    }
    out.push('}');
}

/// Writes `text` as a JSON string.
fn write_string(text: &str, out: &mut String) {
    out.push('"');
    write_escaped(text, out);
    out.push('"');
}

/// Writes `text` escaped for the inside of a JSON string: runs of plain text are copied
/// whole (the bytes escaped are ASCII, never part of a longer character).
fn write_escaped(text: &str, out: &mut String) {
    let mut plain = 0;
    for (i, b) in text.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[plain..i]);
        if escape.is_empty() {
            out.push_str(&format!("\\u{b:04x}"));
        } else {
            out.push_str(escape);
        }
        plain = i + 1;
    }
    out.push_str(&text[plain..]);
}

/// `kql_parse_xml(VARCHAR) -> VARCHAR` (JSON text).
struct ParseXml;

impl TextMap for ParseXml {
    fn map(text: &str) -> Option<String> {
        xml_to_json(text)
    }
}

/// Registers `kql_parse_xml` on `conn`.
pub fn register(conn: &Connection) -> duckdb::Result<()> {
    textmap::register::<ParseXml>(conn, "kql_parse_xml")
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

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
    fn text_is_escaped_and_keys_keep_their_order() {
        let j = xml_to_json("<a z=\"q&quot;\"><c>x\\y\ttab</c><b>1</b><c>2</c>mixed\u{1}é</a>")
            .unwrap();
        assert_eq!(
            j,
            r##"{"a":{"@z":"q\"","c":["x\\y\ttab","2"],"b":"1","#text":"mixed\u0001é"}}"##
        );
        let v: Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v["a"]["c"][0], "x\\y\ttab");
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

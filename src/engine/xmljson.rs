//! KQL's `parse_xml()`: XML text to JSON, as a DuckDB scalar function `kql_parse_xml`.
//! The mapping is the usual one: attributes become `@name` keys, text next to attributes or
//! children becomes `#text`, repeated child elements become arrays, an element with only
//! text becomes that string, an empty element becomes null. Bad XML gives NULL.

use std::borrow::Cow;
use std::ops::Range;

use duckdb::Connection;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::textmap::{self, TextMap};

/// An element read from the document: its name, attributes (a range of the document's
/// list), child elements (indexes into the document's elements) and text. Names, values and
/// text borrow the document where they can: a Sysmon event has some forty of them.
struct Element<'a> {
    name: Cow<'a, str>,
    attributes: Range<usize>,
    children: Vec<usize>,
    text: Cow<'a, str>,
}

/// A parsed document: its elements (element 0 stands for the document) and attributes.
struct Document<'a> {
    xml: &'a str,
    elements: Vec<Element<'a>>,
    attributes: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Document<'a> {
    fn new(xml: &'a str) -> Document<'a> {
        Document {
            xml,
            elements: vec![Element {
                name: Cow::Borrowed(""),
                attributes: 0..0,
                children: Vec::new(),
                text: Cow::Borrowed(""),
            }],
            attributes: Vec::new(),
        }
    }

    /// `part` as a slice of the document when the reader handed out one (it does for
    /// anything not unescaped), else a copy.
    fn text_of(&self, part: &[u8]) -> Cow<'a, str> {
        let start = (part.as_ptr() as usize).wrapping_sub(self.xml.as_ptr() as usize);
        let inside = start <= self.xml.len() && part.len() <= self.xml.len() - start;
        match inside
            .then(|| self.xml.get(start..start + part.len()))
            .flatten()
        {
            Some(text) => Cow::Borrowed(text),
            None => Cow::Owned(String::from_utf8_lossy(part).into_owned()),
        }
    }

    /// Adds the element `e` opens under `parent`; its index.
    fn start(&mut self, parent: usize, e: &BytesStart<'_>) -> Option<usize> {
        let first = self.attributes.len();
        for a in e.attributes() {
            let a = a.ok()?;
            let key = self.text_of(a.key.as_ref());
            let value = if a.value.contains(&b'&') {
                Cow::Owned(a.unescape_value().ok()?.into_owned())
            } else {
                self.text_of(&a.value)
            };
            self.attributes.push((key, value));
        }
        let name = self.text_of(e.name().as_ref());
        self.elements.push(Element {
            name,
            attributes: first..self.attributes.len(),
            children: Vec::new(),
            text: Cow::Borrowed(""),
        });
        let at = self.elements.len() - 1;
        self.elements[parent].children.push(at);
        Some(at)
    }

    /// Appends `text` to the element `at`.
    fn add_text(&mut self, at: usize, text: Cow<'a, str>) {
        let own = &mut self.elements[at].text;
        if own.is_empty() {
            *own = text;
        } else {
            own.to_mut().push_str(&text);
        }
    }
}

/// Converts an XML document to JSON text; `None` when the XML is malformed.
pub fn xml_to_json(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    let mut doc = Document::new(xml);
    // The elements not closed yet, the document first.
    let mut open = vec![0usize];
    loop {
        let parent = *open.last()?;
        match reader.read_event().ok()? {
            Event::Start(e) => {
                let at = doc.start(parent, &e)?;
                open.push(at);
            }
            Event::Empty(e) => {
                doc.start(parent, &e)?;
            }
            Event::End(_) => {
                if open.len() < 2 {
                    return None;
                }
                open.pop();
            }
            Event::Text(t) => {
                let text = if t.contains(&b'&') {
                    let decoded = t.decode().ok()?;
                    Cow::Owned(quick_xml::escape::unescape(&decoded).ok()?.into_owned())
                } else {
                    doc.text_of(&t)
                };
                doc.add_text(parent, text);
            }
            Event::CData(t) => {
                let text = String::from_utf8_lossy(&t.into_inner()).into_owned();
                doc.add_text(parent, Cow::Owned(text));
            }
            Event::GeneralRef(r) => {
                let name = r.decode().ok()?;
                let entity = format!("&{name};");
                let resolved = quick_xml::escape::unescape(&entity).ok()?.into_owned();
                doc.add_text(parent, Cow::Owned(resolved));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if open.len() != 1 || doc.elements[0].children.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(xml.len());
    write_fields(&doc, 0, &mut out);
    Some(out)
}

/// Writes an element's JSON value: null when it is empty, its text when it has only text,
/// else an object of `@attribute`s, children (a repeated name becomes an array, at the
/// place of its first child) and `#text`.
fn write_value(doc: &Document<'_>, at: usize, out: &mut String) {
    let e = &doc.elements[at];
    let text = e.text.trim();
    if e.attributes.is_empty() && e.children.is_empty() {
        if text.is_empty() {
            out.push_str("null");
        } else {
            write_string(text, out);
        }
        return;
    }
    write_fields(doc, at, out);
}

/// Writes an element as a JSON object (the document's text is not kept).
fn write_fields(doc: &Document<'_>, at: usize, out: &mut String) {
    let e = &doc.elements[at];
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
    for (name, value) in &doc.attributes[e.attributes.clone()] {
        key("@", name, out);
        write_string(value, out);
    }
    // Children by name, in the order each name first appears.
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for &child in &e.children {
        let name = doc.elements[child].name.as_ref();
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, members)) => members.push(child),
            None => groups.push((name, vec![child])),
        }
    }
    for (name, members) in groups {
        key("", name, out);
        if let [only] = members[..] {
            write_value(doc, only, out);
            continue;
        }
        out.push('[');
        for (i, &member) in members.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_value(doc, member, out);
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

    const MEMO: bool = false;

    const JSON: bool = true;
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
    fn text_around_children_and_entities_is_joined() {
        assert_eq!(
            xml_to_json(r#"<a>x<b/>y&amp;z <c k="&lt;"/></a>"#).unwrap(),
            r##"{"a":{"b":null,"c":{"@k":"<"},"#text":"xy&z"}}"##
        );
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

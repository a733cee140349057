//! KQL's `parse_xml()`: XML text to JSON, as a DuckDB scalar function `kql_parse_xml`.
//! The mapping is the usual one: attributes become `@name` keys, text next to attributes or
//! children becomes `#text`, repeated child elements become arrays, an element with only
//! text becomes that string, an empty element becomes null. Bad XML gives NULL.

use std::borrow::Cow;
use std::ops::Range;
use std::rc::Rc;

use duckdb::core::{DataChunkHandle, Inserter, LogicalTypeHandle, LogicalTypeId};
use duckdb::vscalar::{ScalarFunctionSignature, VScalar};
use duckdb::vtab::arrow::WritableVector;
use duckdb::Connection;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::textmap::{self, TextMap};
use super::vectors::{json_type, map_strings, Outcome};

/// An element read from the document: its name, attributes (a range of the document's
/// list), child elements (a chain of indexes into the document's elements, so an element
/// costs no allocation of its own) and text. Names, values and text borrow the document
/// where they can: a Sysmon event has some forty of them.
struct Element<'a> {
    name: Cow<'a, str>,
    attributes: Range<usize>,
    /// The first and last child; 0 for none (element 0, the document, is nobody's child).
    first_child: usize,
    last_child: usize,
    /// The next child of the same parent; 0 for none.
    next_sibling: usize,
    text: Cow<'a, str>,
}

impl Element<'_> {
    /// Whether the element has child elements.
    fn has_children(&self) -> bool {
        self.first_child != 0
    }
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
                first_child: 0,
                last_child: 0,
                next_sibling: 0,
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
            first_child: 0,
            last_child: 0,
            next_sibling: 0,
            text: Cow::Borrowed(""),
        });
        let at = self.elements.len() - 1;
        match self.elements[parent].last_child {
            0 => self.elements[parent].first_child = at,
            last => self.elements[last].next_sibling = at,
        }
        self.elements[parent].last_child = at;
        Some(at)
    }

    /// The child elements of element `at`, in document order.
    fn children(&self, at: usize) -> impl Iterator<Item = usize> + Clone + '_ {
        let first = self.elements[at].first_child;
        std::iter::successors((first != 0).then_some(first), |&c| {
            let next = self.elements[c].next_sibling;
            (next != 0).then_some(next)
        })
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
    let doc = parse(xml)?;
    let mut out = String::with_capacity(xml.len());
    write_fields(&doc, 0, &mut out);
    Some(out)
}

/// The JSON text of the part of an XML document's JSON (see [`xml_to_json`]) that `path`
/// selects; `None` when the XML is malformed or the path leads nowhere. The same as reading
/// the path from the whole document's JSON, without writing the rest.
pub fn xml_path_to_json(xml: &str, path: &[Step]) -> Option<String> {
    let doc = parse(xml)?;
    let mut node = Node::Element(0);
    for step in path {
        node = match (node, step) {
            (Node::Element(at), Step::Key(key)) => member(&doc, at, key)?,
            (Node::Group(members), Step::Index(i)) => {
                let n = usize::try_from(i.unsigned_abs()).ok()?;
                let at = if *i < 0 {
                    members.len().checked_sub(n)?
                } else {
                    n
                };
                Node::Element(*members.get(at)?)
            }
            _ => return None,
        };
    }
    let mut out = String::new();
    match node {
        Node::Element(0) => write_fields(&doc, 0, &mut out),
        Node::Element(at) => write_value(&doc, at, &mut out),
        Node::Group(members) => write_group(&doc, members.into_iter(), &mut out),
        Node::Text(text) => write_string(text, &mut out),
    }
    Some(out)
}

/// One step of a JSON path: a member by name, or an array element by position (a negative
/// position counts from the end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `."name"` or `.name`.
    Key(String),
    /// `[n]`, or `[#-n]` from the end.
    Index(i64),
}

/// Reads a JSON path as DuckDB writes it: `$` then steps `."key"` (a quote inside escaped
/// with a backslash), `.key`, `[n]` and `[#-n]`; `None` for anything else.
pub fn path_steps(path: &str) -> Option<Vec<Step>> {
    let mut rest = path.strip_prefix('$')?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix(".\"") {
            let mut key = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next()? {
                    (_, '\\') => key.push(chars.next()?.1),
                    (i, '"') => break i,
                    (_, c) => key.push(c),
                }
            };
            steps.push(Step::Key(key));
            rest = &quoted[end + 1..];
        } else if let Some(bare) = rest.strip_prefix('.') {
            let end = bare.find(['.', '[']).unwrap_or(bare.len());
            steps.push(Step::Key(bare[..end].to_string()));
            rest = &bare[end..];
        } else {
            let inner = rest.strip_prefix('[')?;
            let end = inner.find(']')?;
            let n = match inner[..end].strip_prefix('#') {
                Some(back) => back.parse::<i64>().ok().filter(|n| *n < 0)?,
                None => inner[..end].parse::<i64>().ok().filter(|n| *n >= 0)?,
            };
            steps.push(Step::Index(n));
            rest = &inner[end + 1..];
        }
    }
    Some(steps)
}

/// A value in a document's JSON: an element's value (element 0, the document, is an
/// object), the array of a repeated child's elements, or a string.
enum Node<'d> {
    Element(usize),
    Group(Vec<usize>),
    Text(&'d str),
}

/// The member `key` of element `at`'s JSON value, when that value is an object that has it.
fn member<'d>(doc: &'d Document<'_>, at: usize, key: &str) -> Option<Node<'d>> {
    let e = &doc.elements[at];
    // An element with only text is a string, and an empty one null: neither has members.
    if at != 0 && e.attributes.is_empty() && !e.has_children() {
        return None;
    }
    if let Some(name) = key.strip_prefix('@') {
        if let Some((_, value)) = doc.attributes[e.attributes.clone()]
            .iter()
            .find(|(n, _)| n == name)
        {
            return Some(Node::Text(value));
        }
    }
    if key == "#text" && at != 0 {
        let text = e.text.trim();
        return (!text.is_empty()).then_some(Node::Text(text));
    }
    let members: Vec<usize> = doc
        .children(at)
        .filter(|&c| doc.elements[c].name == key)
        .collect();
    match members[..] {
        [] => None,
        [only] => Some(Node::Element(only)),
        _ => Some(Node::Group(members)),
    }
}

/// Parses an XML document; `None` when it is malformed or has no element.
fn parse(xml: &str) -> Option<Document<'_>> {
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
    if open.len() != 1 || !doc.elements[0].has_children() {
        return None;
    }
    Some(doc)
}

/// Writes an element's JSON value: null when it is empty, its text when it has only text,
/// else an object of `@attribute`s, children (a repeated name becomes an array, at the
/// place of its first child) and `#text`.
fn write_value(doc: &Document<'_>, at: usize, out: &mut String) {
    let e = &doc.elements[at];
    let text = e.text.trim();
    if e.attributes.is_empty() && !e.has_children() {
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
    // Children by name, each name where it first appears.
    for child in doc.children(at) {
        let name = doc.elements[child].name.as_ref();
        let named = |c: &usize| doc.elements[*c].name == name;
        if doc
            .children(at)
            .take_while(|&c| c != child)
            .any(|c| named(&c))
        {
            continue;
        }
        key("", name, out);
        let mut members = doc.children(at).skip_while(|&c| c != child).filter(named);
        if members.clone().nth(1).is_none() {
            write_value(doc, child, out);
        } else {
            write_group(doc, &mut members, out);
        }
    }
    let text = e.text.trim();
    if at != 0 && !text.is_empty() {
        key("", "#text", out);
        write_string(text, out);
    }
    out.push('}');
}

/// Writes the elements of a repeated child as a JSON array.
fn write_group(doc: &Document<'_>, members: impl Iterator<Item = usize>, out: &mut String) {
    out.push('[');
    for (i, member) in members.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_value(doc, member, out);
    }
    out.push(']');
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
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    let mut plain = 0;
    while let Some(found) = bytes[plain..]
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
    {
        let at = plain + found;
        out.push_str(&text[plain..at]);
        match bytes[at] {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
        plain = at + 1;
    }
    out.push_str(&text[plain..]);
}

/// `kql_parse_xml(VARCHAR) -> JSON`.
struct ParseXml;

impl TextMap for ParseXml {
    fn map(text: &str) -> Option<String> {
        xml_to_json(text)
    }

    const MEMO: bool = false;

    const JSON: bool = true;
}

/// `kql_xml_path(VARCHAR xml, VARCHAR path) -> JSON`: [`xml_path_to_json`], the compiled
/// form of a member chain on `parse_xml()` such as `parse_xml(x).DataItem.EventData.Data`.
struct XmlPath;

impl VScalar for XmlPath {
    type State = ();

    fn invoke(_: &(), input: &mut DataChunkHandle, output: &mut dyn WritableVector) -> Outcome {
        // The path is a constant of the query: read once per distinct text, and shared.
        let mut last: Option<(String, Option<Rc<[Step]>>)> = None;
        let paths = map_strings(input, 1, |_, text| {
            let text = text?;
            if last.as_ref().is_none_or(|(t, _)| t != text) {
                last = Some((text.to_string(), path_steps(text).map(Rc::from)));
            }
            last.as_ref().and_then(|(_, steps)| steps.clone())
        });
        let mut out = output.flat_vector();
        map_strings(input, 0, |i, xml| {
            match xml
                .zip(paths[i].as_deref())
                .and_then(|(x, p)| xml_path_to_json(x, p))
            {
                Some(json) => out.insert(i, json.as_str()),
                None => out.set_null(i),
            }
        });
        Ok(())
    }

    fn signatures() -> Vec<ScalarFunctionSignature> {
        let text = || LogicalTypeHandle::from(LogicalTypeId::Varchar);
        vec![ScalarFunctionSignature::exact(
            vec![text(), text()],
            json_type(),
        )]
    }
}

/// Registers `kql_parse_xml` and `kql_xml_path` on `conn`.
pub fn register(conn: &Connection) -> duckdb::Result<()> {
    textmap::register::<ParseXml>(conn, "kql_parse_xml")?;
    conn.register_scalar_function::<XmlPath>("kql_xml_path")
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
    fn paths_read_as_duckdb_writes_them() {
        assert_eq!(
            path_steps(r#"$."Data"[2].b."q\"x"[#-1]"#),
            Some(vec![
                Step::Key("Data".into()),
                Step::Index(2),
                Step::Key("b".into()),
                Step::Key("q\"x".into()),
                Step::Index(-1),
            ])
        );
        assert_eq!(path_steps("$"), Some(vec![]));
        for bad in ["Data", "$[x]", "$[#1]", "$[-1]", r#"$."open"#, "$[1"] {
            assert_eq!(path_steps(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_path_reads_what_json_extract_reads_from_the_whole_document() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let xml = r#"<DataItem type="System"><EventData><Data Name="RuleName">technique_id=T1,x</Data><Data Name="DestinationIp">203.0.113.9</Data><Data Name="Empty"/></EventData><Solo k="v">text</Solo><Plain>only</Plain><Nothing/></DataItem>"#;
        let paths = [
            "$",
            r#"$."DataItem""#,
            r#"$."DataItem"."@type""#,
            r#"$."DataItem"."EventData"."Data""#,
            r#"$."DataItem"."EventData"."Data"[1]"#,
            r#"$."DataItem"."EventData"."Data"[#-1]"#,
            r##"$."DataItem"."EventData"."Data"[1]."#text""##,
            r#"$."DataItem"."EventData"."Data"[0]."@Name""#,
            r#"$."DataItem"."EventData"."Data"[3]"#,
            r#"$."DataItem"."EventData"."Data"[#-4]"#,
            r#"$."DataItem"."Solo""#,
            r##"$."DataItem"."Solo"."#text""##,
            r#"$."DataItem"."Plain""#,
            r#"$."DataItem"."Plain"."x""#,
            r#"$."DataItem"."Nothing""#,
            r#"$."DataItem"."Missing""#,
            r#"$."DataItem"[0]"#,
            r#"$."DataItem"."@type"."x""#,
        ];
        for path in paths {
            let (ours, whole): (Option<String>, Option<String>) = conn
                .query_row(
                    "SELECT CAST(kql_xml_path(?1, ?2) AS VARCHAR),
                            CAST(json_extract(kql_parse_xml(?1), ?2) AS VARCHAR)",
                    [xml, path],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            assert_eq!(ours, whole, "{path}");
        }
        let bad: Option<String> = conn
            .query_row("SELECT kql_xml_path('<a><b></a>', '$.a')", [], |r| r.get(0))
            .unwrap();
        assert_eq!(bad, None);
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

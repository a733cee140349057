//! Windows event XML exports (Sysmon and any other provider) → [`WinEvent`]s, plus the text
//! forms the root crate's `ingest::sysmon` stores in the Event table.

use quick_xml::events::Event;

mod attrs;
mod render;

pub use render::{event_data_xml, normalise_time};

/// One Windows event as read from the XML.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct WinEvent {
    /// Provider Name.
    pub provider: String,
    /// EventID.
    pub event_id: String,
    /// Level.
    pub level: String,
    /// Task.
    pub task: String,
    /// TimeCreated SystemTime.
    pub time: String,
    /// Channel.
    pub channel: String,
    /// Computer.
    pub computer: String,
    /// Security UserID.
    pub user_sid: String,
    /// EventData Data items (Name, value).
    pub data: Vec<(String, String)>,
    /// RenderingInfo Message, when the export has it.
    pub message: Option<String>,
}

/// The document is not well-formed XML; the text says what and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedXml(pub String);

impl std::fmt::Display for MalformedXml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed XML: {}", self.0)
    }
}

impl std::error::Error for MalformedXml {}

/// Reads every `<Event>` of a Windows Event XML document, handing each to `each` as soon as
/// it ends; returns how many there were. An error of `each` stops the reading.
pub fn parse_events<R, E>(
    input: R,
    mut each: impl FnMut(WinEvent) -> Result<(), E>,
) -> Result<u64, E>
where
    R: std::io::BufRead,
    E: From<MalformedXml>,
{
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut current: Option<WinEvent> = None;
    let mut data_name: Option<String> = None;
    let mut text = String::new();
    let mut count = 0u64;
    let bad = |e: &dyn std::fmt::Display| E::from(MalformedXml(e.to_string()));
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| bad(&format!("{e} at byte {}", reader.buffer_position())))?;
        match event {
            Event::Start(e) => {
                let name = attrs::local(&e);
                if name == "Event" {
                    current = Some(WinEvent::default());
                }
                if let Some(ev) = current.as_mut() {
                    attrs::attributes(ev, &name, &e, &mut data_name);
                }
                path.push(name);
                text.clear();
            }
            Event::Empty(e) => {
                let name = attrs::local(&e);
                if let Some(ev) = current.as_mut() {
                    attrs::attributes(ev, &name, &e, &mut data_name);
                    if name == "Data" {
                        let key = data_name.take().unwrap_or_default();
                        ev.data.push((key, String::new()));
                    }
                }
            }
            Event::Text(t) => text.push_str(&t.xml_content().map_err(|e| bad(&e))?),
            Event::CData(t) => text.push_str(&t.decode().map_err(|e| bad(&e))?),
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| bad(&e))?;
                match r.resolve_char_ref().map_err(|e| bad(&e))? {
                    Some(c) => text.push(c),
                    None => text.push_str(match name.as_ref() {
                        "lt" => "<",
                        "gt" => ">",
                        "amp" => "&",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    }),
                }
            }
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                if let Some(ev) = current.as_mut() {
                    let value = std::mem::take(&mut text);
                    match name.as_str() {
                        "EventID" => ev.event_id = value.trim().to_string(),
                        "Level" => ev.level = value.trim().to_string(),
                        "Task" => ev.task = value.trim().to_string(),
                        "Channel" => ev.channel = value.trim().to_string(),
                        "Computer" => ev.computer = value.trim().to_string(),
                        "Message" => ev.message = Some(value),
                        "Data" => {
                            let key = data_name.take().unwrap_or_default();
                            ev.data.push((key, value));
                        }
                        "Event" => {
                            if let Some(done) = current.take() {
                                count += 1;
                                each(done)?;
                            }
                        }
                        _ => {}
                    }
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Events><Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385f-c22a-43e0-bf4c-06f5698ffbd9}"/><EventID>3</EventID><Level>4</Level><Task>3</Task><TimeCreated SystemTime="2025-11-09T15:46:34.0340000Z"/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>srv01.corp.local</Computer><Security UserID="S-1-5-18"/></System><EventData><Data Name="RuleName">technique_id=T1046,technique_name=Scan</Data><Data Name="Image">C:\a&amp;b.exe</Data><Data Name="DestinationIp">203.0.113.9</Data><Data Name="Empty"/></EventData></Event></Events>"#;

    #[test]
    fn parses_sysmon_event() {
        let mut events = Vec::new();
        let n = parse_events(XML.as_bytes(), |e| {
            events.push(e);
            Ok::<(), MalformedXml>(())
        })
        .expect("parses");
        assert_eq!(n, 1);
        let e = &events[0];
        assert_eq!(e.provider, "Microsoft-Windows-Sysmon");
        assert_eq!(e.event_id, "3");
        assert_eq!(e.computer, "srv01.corp.local");
        assert_eq!(e.user_sid, "S-1-5-18");
        assert_eq!(e.data[1], ("Image".to_string(), "C:\\a&b.exe".to_string()));
        assert_eq!(e.data[3], ("Empty".to_string(), String::new()));
        let xml = event_data_xml(e, &e.time, "x");
        assert!(xml.contains("<Data Name=\"Image\">C:\\a&amp;b.exe</Data>"));
        assert!(xml.starts_with("<DataItem type=\"System.XmlData\""));
    }

    #[test]
    fn malformed_xml_is_an_error() {
        let r = parse_events("<Events><Event><System></Event>".as_bytes(), |_| {
            Ok::<(), MalformedXml>(())
        });
        let e = r.unwrap_err();
        assert!(e.to_string().starts_with("malformed XML: "), "{e}");
    }
}

//! Windows Event XML exports (Sysmon event 3 and any other event) → Event, stored the way
//! Sentinel's agent stores it: EventData wrapped in a `DataItem`, so that
//! `parse_xml(EventData).DataItem.EventData.Data` works in KQL.

use std::io::BufReader;

use quick_xml::escape::escape;
use quick_xml::events::{BytesStart, Event};

use super::commit::{Raw, Staged};
use super::load::{ReadResult, Reader};
use super::mapping::{mappings, WinEventSettings};
use super::sink::StageSink;
use super::sql::ident;
use super::IngestError;

/// Staging columns, in order.
const COLUMNS: [&str; 16] = [
    "TimeGenerated",
    "Source",
    "EventLog",
    "Computer",
    "EventLevel",
    "EventLevelName",
    "ParameterXml",
    "EventData",
    "EventID",
    "RenderedDescription",
    "EventCategory",
    "UserName",
    "MG",
    "ManagementGroupName",
    "SourceSystem",
    "_ResourceId",
];

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

/// Reads every `<Event>` of a Windows Event XML document.
pub fn parse_events<R: std::io::BufRead>(
    input: R,
    mut each: impl FnMut(WinEvent) -> Result<(), IngestError>,
) -> Result<u64, IngestError> {
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut current: Option<WinEvent> = None;
    let mut data_name: Option<String> = None;
    let mut text = String::new();
    let mut count = 0u64;
    let bad = |e: &dyn std::fmt::Display| IngestError::Invalid(format!("malformed XML: {e}"));
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| bad(&format!("{e} at byte {}", reader.buffer_position())))?;
        match event {
            Event::Start(e) => {
                let name = local(&e);
                if name == "Event" {
                    current = Some(WinEvent::default());
                }
                if let Some(ev) = current.as_mut() {
                    attributes(ev, &name, &e, &mut data_name);
                }
                path.push(name);
                text.clear();
            }
            Event::Empty(e) => {
                let name = local(&e);
                if let Some(ev) = current.as_mut() {
                    attributes(ev, &name, &e, &mut data_name);
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

fn local(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == key.as_bytes())
            .then(|| a.unescape_value().ok().map(|v| v.into_owned()))
            .flatten()
    })
}

fn attributes(ev: &mut WinEvent, name: &str, e: &BytesStart<'_>, data_name: &mut Option<String>) {
    match name {
        "Provider" => {
            if let Some(v) = attr(e, "Name") {
                ev.provider = v;
            }
        }
        "TimeCreated" => {
            if let Some(v) = attr(e, "SystemTime") {
                ev.time = v;
            }
        }
        "Security" => {
            if let Some(v) = attr(e, "UserID") {
                ev.user_sid = v;
            }
        }
        "Data" => *data_name = attr(e, "Name"),
        _ => {}
    }
}

/// `2025-11-09T15:46:34.0340000Z` → `2025-11-09 15:46:34.034000` (at most 6 decimals).
pub fn normalise_time(t: &str) -> String {
    let t = t.trim().trim_end_matches('Z').replace('T', " ");
    match t.split_once('.') {
        Some((secs, frac)) => {
            let digits: String = frac
                .chars()
                .take_while(char::is_ascii_digit)
                .take(6)
                .collect();
            format!("{secs}.{digits}")
        }
        None => t,
    }
}

/// The EventData column as Sentinel's agent stores it.
pub fn event_data_xml(ev: &WinEvent, time: &str, health_id: &str) -> String {
    let mut out = format!(
        "<DataItem type=\"System.XmlData\" time=\"{}\" sourceHealthServiceId=\"{}\">\
         <EventData xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">",
        escape(time),
        escape(health_id)
    );
    for (k, v) in &ev.data {
        out.push_str(&format!(
            "<Data Name=\"{}\">{}</Data>",
            escape(k.as_str()),
            escape(v.as_str())
        ));
    }
    out.push_str("</EventData></DataItem>");
    out
}

fn rendered(ev: &WinEvent, s: &WinEventSettings) -> Option<String> {
    if let Some(m) = &ev.message {
        return Some(m.clone());
    }
    let title = if ev.provider == "Microsoft-Windows-Sysmon" {
        s.sysmon_titles.get(&ev.event_id).cloned()
    } else {
        None
    }?;
    let mut out = format!("{title}:");
    for (k, v) in &ev.data {
        out.push_str(&format!("\r\n{k}: {v}"));
    }
    Some(out)
}

/// Loads a Windows Event XML file into Event.
pub fn load(r: &mut Reader<'_>) -> ReadResult {
    let all = mappings()?;
    let mapping = all
        .for_kind("winevent")
        .ok_or_else(|| IngestError::Mapping("no Windows event mapping".into()))?;
    let settings = mapping
        .winevent
        .as_ref()
        .ok_or_else(|| IngestError::Mapping("event.toml lacks [winevent]".into()))?;
    let names: Vec<String> = COLUMNS.iter().map(|s| s.to_string()).collect();
    let mut sink = StageSink::new(r.conn, names, false)?;
    let input = BufReader::with_capacity(1 << 20, r.source.reader()?);
    let mut n = 0u64;
    parse_events(input, |ev| {
        n += 1;
        let time = ev.time.clone();
        let level_name = settings.levels.get(&ev.level).cloned();
        let user = settings
            .sids
            .get(&ev.user_sid)
            .cloned()
            .or_else(|| (!ev.user_sid.is_empty()).then(|| ev.user_sid.clone()));
        let params: String = ev
            .data
            .iter()
            .map(|(_, v)| format!("<Param>{}</Param>", escape(v.as_str())))
            .collect();
        let data = event_data_xml(&ev, &time, &settings.source_health_service_id);
        let desc = rendered(&ev, settings);
        let ts = normalise_time(&time);
        let values: [Option<&str>; 16] = [
            Some(ts.as_str()).filter(|t| !t.is_empty()),
            Some(ev.provider.as_str()),
            Some(ev.channel.as_str()),
            Some(ev.computer.as_str()),
            Some(ev.level.as_str()),
            level_name.as_deref(),
            Some(params.as_str()),
            Some(data.as_str()),
            Some(ev.event_id.as_str()),
            desc.as_deref(),
            Some(ev.task.as_str()),
            user.as_deref(),
            Some(settings.mg.as_str()),
            Some(settings.management_group_name.as_str()),
            Some(settings.source_system.as_str()),
            Some(settings.resource_id.as_str()),
        ];
        sink.push(n, "", &values)
    })?;
    sink.flush()?;
    r.progress.add(r.source.size);
    let staged = Staged {
        columns: COLUMNS.iter().map(|c| (ident(c), c.to_string())).collect(),
        line: "__line".into(),
        raw: Raw::FieldsJson,
        constants: Vec::new(),
    };
    let counts = r.commit(&staged, &mapping.table, Some(mapping))?;
    Ok((mapping.table.clone(), counts, 0))
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
            Ok(())
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
        assert!(parse_events("<Events><Event><System></Event>".as_bytes(), |_| Ok(())).is_err());
    }

    #[test]
    fn times() {
        assert_eq!(
            normalise_time("2025-11-09T15:46:34.0340000Z"),
            "2025-11-09 15:46:34.034000"
        );
    }
}

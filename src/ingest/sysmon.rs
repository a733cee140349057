//! Windows Event XML exports (Sysmon event 3 and any other event) → Event, stored the way
//! Sentinel's agent stores it: EventData wrapped in a `DataItem`, so that
//! `parse_xml(EventData).DataItem.EventData.Data` works in KQL. The XML is read by
//! `quarry_formats::winevent`.

use std::io::BufReader;

use quarry_formats::winevent::{
    event_data_xml, normalise_time, parse_events, MalformedXml, WinEvent,
};
use quick_xml::escape::escape;

use super::commit::{Raw, Rows, Staged};
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

impl From<MalformedXml> for IngestError {
    fn from(e: MalformedXml) -> Self {
        IngestError::Invalid(e.to_string())
    }
}

/// The rendered description: the export's Message, or a Sysmon title with the Data items.
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
        from: Rows::Stage,
    };
    let counts = r.commit(&staged, &mapping.table, Some(mapping))?;
    Ok((mapping.table.clone(), counts, 0))
}

//! Text forms of a [`WinEvent`] as Sentinel's agent stores them.

use quick_xml::escape::escape;

use super::WinEvent;

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

/// The EventData column as Sentinel's agent stores it: the Data items wrapped in a
/// `DataItem`, so that `parse_xml(EventData).DataItem.EventData.Data` works in KQL.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(
            normalise_time("2025-11-09T15:46:34.0340000Z"),
            "2025-11-09 15:46:34.034000"
        );
    }
}

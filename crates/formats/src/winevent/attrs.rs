//! The attributes of Windows event XML elements that [`super::WinEvent`] keeps.

use quick_xml::events::BytesStart;

use super::WinEvent;

/// The element's name without its namespace prefix.
pub(super) fn local(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

/// The unescaped value of attribute `key` (namespace prefix ignored), if present and valid.
fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == key.as_bytes())
            .then(|| a.unescape_value().ok().map(|v| v.into_owned()))
            .flatten()
    })
}

/// Copies the attributes that matter of element `name` into `ev` (or, for `Data`, its
/// `Name` into `data_name`).
pub(super) fn attributes(
    ev: &mut WinEvent,
    name: &str,
    e: &BytesStart<'_>,
    data_name: &mut Option<String>,
) {
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

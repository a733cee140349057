//! The syslog header before `CEF:` (RFC 5424 or RFC 3164): host name and time.

use chrono::{NaiveDate, NaiveDateTime, Utc};

use super::time::{format_ts, iso_time};

/// Reads the syslog header before `CEF:`: (hostname, time as ISO 8601).
pub(super) fn syslog_prefix(prefix: &str, year: i32) -> (Option<&str>, Option<String>) {
    let mut p = prefix.trim();
    if p.starts_with('<') {
        if let Some(end) = p.find('>') {
            p = &p[end + 1..];
        }
    }
    let words: Vec<&str> = p.split_whitespace().collect();
    if words.is_empty() {
        return (None, None);
    }
    // RFC 5424: VERSION TIMESTAMP HOST APP PROCID MSGID [SD]
    if words[0].bytes().all(|b| b.is_ascii_digit()) && words.len() >= 3 {
        let time = iso_time(words[1]);
        return (Some(words[2]).filter(|h| *h != "-"), time);
    }
    // RFC 5424 without version, or ISO timestamp first.
    if let Some(t) = iso_time(words[0]) {
        return (words.get(1).copied(), Some(t));
    }
    // RFC 3164: Mmm dd hh:mm:ss HOST
    if words.len() >= 3 {
        if let Some(t) = bsd_time(words[0], words[1], words[2], year) {
            return (words.get(3).copied(), Some(format_ts(t)));
        }
    }
    (words.last().copied(), None)
}

/// `Mmm dd hh:mm:ss` of a BSD syslog header in `year` (the year before when that would
/// be more than a day in the future).
fn bsd_time(month: &str, day: &str, time: &str, year: i32) -> Option<NaiveDateTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|x| x.eq_ignore_ascii_case(month))? as u32 + 1;
    let d: u32 = day.parse().ok()?;
    let mut hms = time.splitn(3, ':').map(|p| p.parse::<u32>().ok());
    let (h, mi, se) = (hms.next()??, hms.next()??, hms.next()??);
    let at = |y: i32| NaiveDate::from_ymd_opt(y, m, d).and_then(|d| d.and_hms_opt(h, mi, se));
    let t = at(year)?;
    if t > Utc::now().naive_utc() + chrono::Duration::days(1) {
        at(year - 1)
    } else {
        Some(t)
    }
}

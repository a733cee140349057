//! Each seed query of the KQL corpus compiled by quarry against hand-written DuckDB SQL for
//! the same logic, on the same case.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;

use super::stats::Samples;
use super::table::{ms, ratio, Table};
use crate::engine::{planned, Case};
use crate::kql::{compile, StoredTable};

const PRIVATE: &str = "['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']::VARCHAR[]";
const NOW: &str = "TIMESTAMP '2025-11-20 12:00:00'";

/// The Data fields of a Sysmon network connection event (event 3).
const SYSMON_3_FIELDS: &[&str] = &[
    "RuleName",
    "UtcTime",
    "ProcessGuid",
    "ProcessId",
    "Image",
    "User",
    "Protocol",
    "Initiated",
    "SourceIsIpv6",
    "SourceIp",
    "SourceHostname",
    "SourcePort",
    "SourcePortName",
    "DestinationIsIpv6",
    "DestinationIp",
    "DestinationHostname",
    "DestinationPort",
    "DestinationPortName",
];

/// Hand-written SQL per seed query file name.
fn hand_written(name: &str, extdir: &Path) -> Option<String> {
    let top = extdir.join("top-1m.csv.zip.d/top-1m.csv");
    Some(match &name[..2] {
        "01" => "SELECT SrcIpAddr, time_bucket(INTERVAL 2 MINUTE, TimeGenerated) AS TimeGenerated, count(DISTINCT DstPortNumber) AS PortCount
                 FROM NetworkSessions
                 WHERE DstPortNumber IS NOT NULL AND NOT ipv4_is_private(DstIpAddr)
                   AND NOT (DstPortNumber BETWEEN 49512 AND 65535) AND DstPortNumber NOT IN (443, 53, 389, 80, 0, 880, 8888, 8080)
                   AND EventResult = 'Failure'
                 GROUP BY ALL HAVING count(DISTINCT DstPortNumber) > 5".into(),
        "02" => format!(
            "WITH top AS (SELECT DISTINCT lower(regexp_extract(column1, '([^.]*).{{0,7}}$', 1)) AS d FROM read_csv('{}', header = false)),
             rare AS (SELECT lower(regexp_extract(UrlHostname, '([^.]*).{{0,7}}$', 1)) AS SndLevelDomain, UrlHostname, sum(SrcBytes) AS BytesSent
                      FROM NetworkSessions
                      WHERE coalesce(UrlHostname, '') <> '' AND NOT (suffix(lower(UrlHostname), '.local') OR suffix(lower(UrlHostname), '.lan') OR suffix(lower(UrlHostname), '.home'))
                      GROUP BY ALL)
             SELECT t.SndLevelDomain, t.TotalBytes, r.UrlHostname, r.BytesSent
             FROM (SELECT SndLevelDomain, sum(BytesSent) AS TotalBytes FROM rare WHERE SndLevelDomain NOT IN (SELECT d FROM top) GROUP BY 1) t
             JOIN rare r USING (SndLevelDomain) ORDER BY t.TotalBytes DESC",
            top.display()
        ),
        "03" => format!(
            "WITH ti AS (SELECT NetworkIP, to_json(list_distinct(list(Description))) AS set_Description FROM ThreatIntelligenceIndicator
                         WHERE TimeGenerated > {NOW} - INTERVAL 1 DAY AND coalesce(NetworkIP, '') <> '' GROUP BY 1)
             SELECT c.SourceIP, c.DestinationIP, c.DestinationPort, c.DeviceAction, CAST(ti.set_Description AS VARCHAR) AS Reason, count(*) AS Count
             FROM CommonSecurityLog c JOIN ti ON c.DestinationIP = ti.NetworkIP
             WHERE c.TimeGenerated > {NOW} - INTERVAL 1 DAY
               AND regexp_matches(c.DeviceVendor, '(?i)(^|[^[:alnum:]])(PaloAltoNetworks|Fortinet|Cisco|CheckPoint|Microsoft)($|[^[:alnum:]])')
               AND c.DeviceAction IN ('Deny', 'Block', 'Drop') AND ipv4_is_match_any(c.SourceIP, {PRIVATE})
             GROUP BY ALL ORDER BY Count DESC"
        ),
        "04" => format!(
            "SELECT DeviceName, LocalIP, RemoteIP, RemoteUrl, count(*) AS Connections, count(DISTINCT InitiatingProcessFileName) AS Processes,
                    to_json(list_slice(list_distinct(list(RemotePort)), 1, 5)) AS RemotePorts
             FROM DeviceNetworkEvents
             WHERE TimeGenerated > {NOW} - INTERVAL 1 DAY AND ActionType = 'NetworkConnectionSuccess' AND coalesce(RemoteIP, '') <> ''
               AND ipv4_is_match_any(LocalIP, {PRIVATE}) AND NOT ipv4_is_match_any(RemoteIP, {PRIVATE})
               AND RemotePort IS NOT NULL AND RemotePort NOT IN (80, 443, 53, 22, 21, 25, 110, 143, 993, 995, 3389, 135, 137, 138, 139, 445)
             GROUP BY ALL ORDER BY Connections DESC"
        ),
        "05" => format!(
            "SELECT SourceIP, DestinationIP, round(sum(CAST(SentBytes AS DOUBLE)) / (1024 * 1024), 2) AS TotalSentBytes_MB
             FROM CommonSecurityLog
             WHERE TimeGenerated > {NOW} - INTERVAL 1 DAY AND SentBytes IS NOT NULL AND ReceivedBytes IS NOT NULL
               AND regexp_matches(DeviceVendor, '(?i)(^|[^[:alnum:]])(PaloAltoNetworks|Fortinet|Cisco|CheckPoint|Microsoft)($|[^[:alnum:]])')
               AND coalesce(SourceIP, '') <> '' AND coalesce(DestinationIP, '') <> ''
               AND ipv4_is_match_any(SourceIP, {PRIVATE}) AND NOT ipv4_is_match_any(DestinationIP, {PRIVATE})
             GROUP BY ALL HAVING sum(CAST(SentBytes AS DOUBLE)) > 100 * 1024 * 1024 ORDER BY 3 DESC"
        ),
        "06" => format!(
            "WITH ti AS (SELECT DomainName, to_json(list_distinct(list(Description))) AS set_Description FROM ThreatIntelligenceIndicator
                         WHERE TimeGenerated > {NOW} - INTERVAL 1 DAY AND coalesce(DomainName, '') <> '' GROUP BY 1)
             SELECT d.ClientIP, d.DeviceName, d.Name AS QueriedDomain, d.QueryType, CAST(ti.set_Description AS VARCHAR) AS ThreatDescription, count(*) AS Count
             FROM DnsEvents d JOIN ti ON d.Name = ti.DomainName
             WHERE d.TimeGenerated > {NOW} - INTERVAL 1 DAY AND coalesce(d.ClientIP, '') <> '' AND ipv4_is_match_any(d.ClientIP, {PRIVATE})
               AND d.QueryType IN ('A', 'AAAA', 'CNAME')
             GROUP BY ALL ORDER BY Count DESC"
        ),
        "07" => format!(
            "WITH rows AS (
               SELECT TimeGenerated, LocalIP AS s, RemoteIP AS d, 'DeviceNetworkEvents' AS t FROM DeviceNetworkEvents
               UNION ALL SELECT TimeGenerated, SourceIP, DestinationIP, 'CommonSecurityLog' FROM CommonSecurityLog
               UNION ALL SELECT TimeGenerated, SourceIp, DestinationIp, 'VMConnection' FROM VMConnection),
             tagged AS (SELECT *, ipv4_is_match_any(s, {PRIVATE}) AS sp, ipv4_is_match_any(d, {PRIVATE}) AS dp FROM rows),
             baseline AS (SELECT DISTINCT CASE WHEN NOT sp THEN s WHEN NOT dp THEN d END AS ip FROM tagged
                          WHERE TimeGenerated BETWEEN {NOW} - INTERVAL 14 DAY AND {NOW} - INTERVAL 1 DAY)
             SELECT CASE WHEN NOT sp THEN s ELSE d END AS External_IP, min(TimeGenerated) AS FirstSeen, max(TimeGenerated) AS LastSeen,
                    count(*) AS ConnectionCount, to_json(list_distinct(list(CASE WHEN sp THEN s ELSE d END))) AS InternalIPs,
                    to_json(list_distinct(list(t))) AS Tables
             FROM tagged
             WHERE TimeGenerated > {NOW} - INTERVAL 1 DAY AND sp <> dp
               AND CASE WHEN NOT sp THEN s ELSE d END NOT IN (SELECT ip FROM baseline WHERE ip IS NOT NULL)
             GROUP BY 1 ORDER BY FirstSeen"
        ),
        "08" => format!(
            "WITH c AS (SELECT * FROM DeviceNetworkEvents WHERE DeviceName IN ('server1', 'server2', 'etc.') AND ActionType = 'ConnectionSuccess'
                        AND coalesce(RemoteIPType, '') NOT IN ('Private', 'Loopback') AND NOT starts_with(RemoteIP, '169.254.')),
             rare AS (SELECT RemoteIP, to_json(list_distinct(list(RemoteUrl))) AS set_RemoteUrl, count(*) AS count_
                      FROM c WHERE Timestamp > {NOW} - INTERVAL 30 DAY GROUP BY 1
                      HAVING count(*) < 50 AND NOT regexp_matches(CAST(to_json(list_distinct(list(RemoteUrl))) AS VARCHAR),
                        '(?i)(\\.microsoft\\.com|\\.windowsupdate\\.com|login\\.microsoftonline\\.com|login\\.live\\.com|autodiscover-s\\.outlook\\.com|ocsp\\.digicert\\.com|ocsp\\.verisign\\.com|login\\.windows\\.net|outlook\\.office365\\.com|accounts\\.accesscontrol\\.windows\\.net)'))
             SELECT rare.*, c.* FROM rare JOIN c ON rare.RemoteIP = c.RemoteIP WHERE c.Timestamp > {NOW} - INTERVAL 5 DAY"
        ),
        "09" => {
            // The same columns as the seed: every Data field of the event, the technique
            // parsed out of RuleName; one regular expression per field.
            let fields: Vec<String> = SYSMON_3_FIELDS
                .iter()
                .map(|f| format!("regexp_extract(EventData, '<Data Name=\"{f}\">([^<]*)</Data>', 1) AS {f}"))
                .collect();
            format!(
                "WITH ev AS (SELECT TimeGenerated, Source, EventLog, Computer, EventLevel, EventLevelName, EventID, UserName,
                                    split_part(RenderedDescription, ':', 1) AS RenderedDescription, MG, ManagementGroupName, Type, _ResourceId,
                                    {}
                             FROM Event WHERE TimeGenerated > {NOW} - INTERVAL 30 DAY AND Computer IN ('server1', 'server2', 'etc.')
                               AND Source = 'Microsoft-Windows-Sysmon' AND EventID = 3),
                 ext AS (SELECT *, regexp_extract(RuleName, 'technique_id=([^,]*),.*technique_name=(.*)$', 1) AS TechniqueId,
                                   regexp_extract(RuleName, 'technique_id=([^,]*),.*technique_name=(.*)$', 2) AS TechniqueName
                         FROM ev WHERE NOT regexp_matches(DestinationIp, '^127\\.|^10\\.|^172\\.1[6-9]\\.|^172\\.2[0-9]\\.|^172\\.3[0-1]\\.|^192\\.168\\.')),
                 rare AS (SELECT DestinationIp, count(*) AS count_ FROM ext GROUP BY 1 HAVING count(*) < 50)
                 SELECT rare.*, ext.* FROM rare JOIN ext ON rare.DestinationIp = ext.DestinationIp WHERE ext.TimeGenerated > {NOW} - INTERVAL 5 DAY",
                fields.join(", ")
            )
        }
        "10" => format!(
            "WITH rules AS (
               SELECT trim(p.unnest) AS Ports, pr.unnest AS Protocol, d.unnest AS Direction, a.unnest AS Action, TRY_CAST(Threshold AS INTEGER) AS Threshold, Name, Description, Severity, Tactic
               FROM watchlist__NetworkSession_Monitor_Configuration w,
                    unnest(string_split(w.Ports, ',')) p, unnest(string_split(w.Protocol, ',')) pr,
                    unnest(string_split(w.Direction, ',')) d, unnest(string_split(w.Action, ',')) a
               WHERE Type = 'Hunting' AND ThresholdType = 'Static' AND coalesce(Severity, '') <> 'Disabled'),
             counts AS (SELECT CAST(DstPortNumber AS INTEGER) AS DstPortNumber, NetworkProtocol, NetworkDirection, DvcAction, count(*) AS Sum
                        FROM _Im_NetworkSession
                        WHERE TimeGenerated > time_bucket(INTERVAL 10 MINUTE, {NOW} - INTERVAL 10 MINUTE)
                          AND TimeGenerated <= time_bucket(INTERVAL 10 MINUTE, {NOW}) AND DstPortNumber IS NOT NULL
                        GROUP BY ALL)
             SELECT Name, Severity, Tactic, c.DstPortNumber, Description,
                    to_json(list_distinct(list(NetworkProtocol))) AS NetworkProtocols, to_json(list_distinct(list(NetworkDirection))) AS NetworkDirections,
                    to_json(list_distinct(list(DvcAction))) AS DvcActions
             FROM counts c JOIN rules r ON regexp_matches(r.Ports, '(^|[^[:alnum:]])' || CAST(c.DstPortNumber AS VARCHAR) || '($|[^[:alnum:]])')
             WHERE c.Sum > r.Threshold AND (r.Protocol = '*' OR lower(r.Protocol) = lower(c.NetworkProtocol))
               AND (r.Direction = '*' OR lower(r.Direction) = lower(c.NetworkDirection)) AND (r.Action = '*' OR lower(r.Action) = lower(c.DvcAction))
             GROUP BY ALL"
        ),
        "11" => format!(
            "SELECT DeviceName, RemoteIP, InitiatingProcessFileName, count(DISTINCT RemotePort) AS RemotePortCount
             FROM DeviceNetworkEvents
             WHERE (Timestamp > {NOW} - INTERVAL 1 DAY AND starts_with(RemoteIP, '172.16')) OR starts_with(RemoteIP, '192.168')
             GROUP BY ALL HAVING count(DISTINCT RemotePort) > 10"
        ),
        _ => return None,
    })
}

/// `sql` with every table after `FROM` or `JOIN` that has a stored relation read from it.
fn on_stored(sql: &str, stored: &BTreeMap<String, StoredTable>) -> String {
    let mut out = sql.to_string();
    for (name, table) in stored {
        for keyword in ["FROM ", "JOIN "] {
            let pattern = format!("{keyword}{name}");
            let mut at = 0;
            while let Some(found) = out[at..].find(&pattern) {
                let start = at + found;
                let end = start + pattern.len();
                let next = out[end..].chars().next();
                if next.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    at = end;
                    continue;
                }
                let replacement = format!("{keyword}{}", table.relation);
                out.replace_range(start..end, &replacement);
                at = start + replacement.len();
            }
        }
    }
    out
}

/// Runs `sql` to the end as a hunt runs (planned once); the number of rows.
fn rows(case: &Case, sql: &str) -> Result<usize> {
    planned::read_once(case.conn(), sql, |rows| count(case, rows))
}

/// The number of rows of `sql`.
pub fn count(case: &Case, sql: &str) -> Result<usize> {
    let n: i64 = case
        .conn()
        .query_row(&format!("SELECT count(*) FROM ({sql})"), [], |r| r.get(0))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Times every corpus query (file names starting with its number) both ways.
pub fn compare(case: &Case, corpus: &Path, runs: usize) -> Result<Table> {
    let mut files: Vec<_> = std::fs::read_dir(corpus)?
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let catalog = case.catalog()?;
    let extdir = case
        .externaldata_dir()
        .ok_or_else(|| anyhow::anyhow!("the benchmark case has no externaldata folder"))?;
    let mut table = Table::new(
        "Seed queries: compiled KQL vs hand-written DuckDB SQL (ms: median (min–max) of runs taken in turns)",
        &["query", "KQL ms", "SQL ms", "ratio", "KQL rows", "SQL rows"],
    );
    for f in files {
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let Some(sql) = name.get(..2).and_then(|_| hand_written(&name, &extdir)) else {
            continue;
        };
        // Like the compiler, the hand-written SQL reads the stored tables themselves when
        // they hold every column it reads (it fails to prepare when they do not).
        let direct = on_stored(&sql, &catalog.stored);
        let sql = if case.conn().prepare(&direct).is_ok() {
            direct
        } else {
            sql
        };
        let text = std::fs::read_to_string(&f)?;
        let compiled = compile(&text, &catalog).map_err(|d| anyhow::anyhow!("{name}: {d}"))?;
        let ((k, kr), (s, sr)) =
            Samples::alternating(runs, || rows(case, &compiled.sql), || rows(case, &sql))?;
        table.push(vec![
            name,
            ms(&k),
            ms(&s),
            ratio(&k, &s),
            kr.to_string(),
            sr.to_string(),
        ]);
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tables_after_from_or_join_move_to_their_stored_relation() {
        let mut stored = BTreeMap::new();
        stored.insert(
            "Event".to_string(),
            StoredTable {
                relation: "loaded.\"Event\"".into(),
                columns: Default::default(),
            },
        );
        assert_eq!(
            on_stored(
                "SELECT 'Event' FROM Event e JOIN Event2 x JOIN Event ON 1",
                &stored
            ),
            "SELECT 'Event' FROM loaded.\"Event\" e JOIN Event2 x JOIN loaded.\"Event\" ON 1"
        );
    }
}

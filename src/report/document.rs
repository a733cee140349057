//! The report's outline, written once for every markup: headings, lists, notes, code and
//! tables go to a [`Markup`] that renders them as Markdown or HTML.

use serde_json::{json, Value};

use super::{cell_text, columns_of};

/// What a report is made of; each output format renders these.
pub trait Markup {
    /// A heading of `level` (1 to 3).
    fn heading(&mut self, level: usize, text: &str);
    /// A list of `label: value` lines.
    fn items(&mut self, items: &[(String, String)]);
    /// A paragraph.
    fn para(&mut self, text: &str);
    /// A quoted note.
    fn note(&mut self, text: &str);
    /// A query text.
    fn code(&mut self, lang: &str, text: &str);
    /// A table of JSON rows under `columns`.
    fn table(&mut self, columns: &[String], rows: &[Value]);
}

fn s(v: &Value) -> String {
    cell_text(v)
}

fn list(v: &Value) -> String {
    v.as_array()
        .map(|a| a.iter().map(s).collect::<Vec<_>>().join(", "))
        .unwrap_or_default()
}

fn cols(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// Writes the gathered report `r` to `out`.
pub fn write(r: &Value, out: &mut dyn Markup) {
    let rows = |v: &Value| v.as_array().cloned().unwrap_or_default();
    out.heading(1, &format!("Case report: {}", s(&r["case"])));
    out.items(&[
        (
            "Investigation clock".into(),
            format!("{} ({})", s(&r["clock"]), s(&r["clock_source"])),
        ),
        ("Time window".into(), s(&r["window"])),
        (
            "Written by".into(),
            format!("quarry {}", s(&r["quarry_version"])),
        ),
    ]);

    out.heading(2, "Input files");
    let sources = rows(&r["sources"]);
    if sources.is_empty() {
        out.para("No files loaded.");
    }
    out.table(
        &cols(&[
            "path",
            "format",
            "table",
            "sha256",
            "rows_read",
            "rows_loaded",
            "rows_rejected",
        ]),
        &sources,
    );
    out.heading(2, "Event tables");
    out.table(
        &cols(&["table", "rows", "rows_in_window"]),
        &rows(&r["tables"]),
    );

    out.heading(2, "Hunts");
    let hunts = rows(&r["hunts"]);
    let summary: Vec<Value> = hunts
        .iter()
        .map(|h| json!({"hunt": h["id"], "name": h["name"], "status": h["status"], "hits": h["hit_count"]}))
        .collect();
    out.table(&cols(&["hunt", "name", "status", "hits"]), &summary);
    for h in &hunts {
        out.heading(3, &format!("{}: {}", s(&h["id"]), s(&h["name"])));
        let mut items = vec![
            (
                "Status".to_string(),
                format!("{}, {} hit(s)", s(&h["status"]), s(&h["hit_count"])),
            ),
            ("Tactics".to_string(), list(&h["tactics"])),
            ("Techniques".to_string(), list(&h["techniques"])),
        ];
        let params: Vec<String> = rows(&h["params"])
            .iter()
            .map(|p| format!("{} = {}", s(&p["name"]), s(&p["value"])))
            .collect();
        if !params.is_empty() {
            items.push(("Parameters".into(), params.join(", ")));
        }
        if !h["error"].is_null() {
            items.push(("Error".into(), s(&h["error"])));
        }
        out.items(&items);
        out.code("kql", h["kql"].as_str().unwrap_or_default());
        let hits = rows(&h["hits"]);
        let columns: Vec<String> = rows(&h["columns"]).iter().map(s).collect();
        out.table(&columns, &hits);
        let total = h["hit_count"].as_u64().unwrap_or(0) as usize;
        if total > hits.len() {
            out.para(&format!("{} of {total} hits shown.", hits.len()));
        }
    }

    out.heading(2, "ATT&CK coverage");
    let mut coverage = Vec::new();
    for t in rows(&r["coverage"]) {
        let tactic = format!("{} ({})", s(&t["tactic"]), s(&t["id"]));
        let techniques = rows(&t["techniques"]);
        if techniques.is_empty() {
            coverage.push(json!({"tactic": tactic, "technique": "not covered"}));
        }
        for x in techniques {
            let hunts: Vec<String> = rows(&x["hunts"])
                .iter()
                .map(|h| match h["hits"].as_u64() {
                    Some(n) => format!("{} ({n})", s(&h["id"])),
                    None => format!("{} (not run)", s(&h["id"])),
                })
                .collect();
            coverage.push(json!({
                "tactic": tactic,
                "technique": format!("{} {}", s(&x["id"]), s(&x["name"])).trim(),
                "hunts (hits)": hunts.join(", "),
            }));
        }
    }
    out.table(&cols(&["tactic", "technique", "hunts (hits)"]), &coverage);

    let runs = rows(&r["recorded_runs"]);
    if !runs.is_empty() {
        out.heading(2, "Runs recorded in the case");
        out.table(&columns_of(&runs), &runs);
    }

    out.heading(2, "Findings");
    let found = rows(&r["findings"]);
    if found.is_empty() {
        out.para("No findings.");
    }
    for f in &found {
        out.heading(
            3,
            &format!(
                "Finding {} [{}]: {}",
                s(&f["id"]),
                s(&f["severity"]),
                s(&f["title"])
            ),
        );
        let mut items = vec![("Kind".to_string(), s(&f["kind"]))];
        if !f["hunt"].is_null() {
            items.push(("Hunt".into(), s(&f["hunt"])));
        }
        let tags = list(&f["tags"]);
        if !tags.is_empty() {
            items.push(("Tags".into(), tags));
        }
        items.push(("Marked".into(), s(&f["created_at"])));
        items.push(("Clock".into(), s(&f["clock"])));
        items.push(("Window".into(), s(&f["window"])));
        if let Some(p) = f["params"].as_object().filter(|p| !p.is_empty()) {
            let shown: Vec<String> = p.iter().map(|(k, v)| format!("{k} = {}", s(v))).collect();
            items.push(("Parameters".into(), shown.join(", ")));
        }
        out.items(&items);
        let note = f["note"].as_str().unwrap_or_default();
        if !note.is_empty() {
            out.note(note);
        }
        out.code("kql", f["kql"].as_str().unwrap_or_default());
        let kept = rows(&f["rows"]);
        out.table(&columns_of(&kept), &kept);
        let events = rows(&f["events"]);
        if !events.is_empty() {
            out.para(&format!(
                "Events behind it ({} of {}):",
                events.len(),
                s(&f["event_count"])
            ));
            out.table(&columns_of(&events), &events);
        }
    }
}

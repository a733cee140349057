//! The whole compiler (parse, type, generate SQL) on arbitrary text against a small catalog:
//! SQL or diagnostics, never a panic.
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use quarry_kql::{compile, Catalog, ColumnDef, KqlType};

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let col = |name: &str, ty| ColumnDef {
            name: name.into(),
            ty,
        };
        let columns = vec![
            col("TimeGenerated", KqlType::DateTime),
            col("SrcIpAddr", KqlType::String),
            col("DstIpAddr", KqlType::String),
            col("DstPortNumber", KqlType::Int),
            col("SrcBytes", KqlType::Long),
            col("Score", KqlType::Real),
            col("Allowed", KqlType::Bool),
            col("Duration", KqlType::TimeSpan),
            col("Extra", KqlType::Dynamic),
        ];
        let mut tables = BTreeMap::new();
        tables.insert("NetworkSessions".to_string(), columns.clone());
        tables.insert("CommonSecurityLog".to_string(), columns);
        let now = NaiveDate::from_ymd_opt(2025, 11, 20)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .unwrap_or_default();
        Catalog {
            tables,
            watchlists: BTreeMap::new(),
            stored: BTreeMap::new(),
            now,
            window: (now - chrono::Duration::days(30), now),
            externaldata_dir: None,
            probe: None,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = compile(text, catalog());
    }
});

//! The real Zeek logs in ../shared/real-logs load with their exact row counts.

mod ingest_common;

use ingest_common::{int, load, shared};
use quarry::engine::Case;
use quarry::ingest::FileStatus;

fn check(file: &str, table: &str, rows: i64) -> Option<Case> {
    let path = shared(&format!("real-logs/{file}"))?;
    let case = Case::open_in_memory().expect("case");
    let report = load(&case, &[path]);
    let o = &report.files[0];
    assert_eq!(o.status, FileStatus::Loaded, "{o:?}");
    assert_eq!(o.table, table);
    assert_eq!(o.rows_rejected, 0, "{file}");
    assert_eq!(o.rows_loaded as i64, rows, "{file}");
    assert_eq!(int(&case, &format!("SELECT count(*) FROM {table}")), rows);
    assert_eq!(
        int(
            &case,
            &format!("SELECT count(*) FROM {table} WHERE TimeGenerated IS NULL")
        ),
        0
    );
    Some(case)
}

#[test]
fn zeek_dns_tsv_gz() {
    if let Some(case) = check(
        "brimdata-zed-sample-data_zeek-default_dns.log.gz",
        "ZeekDns",
        53_615,
    ) {
        assert_eq!(int(&case, "SELECT count(*) FROM DnsEvents"), 53_615);
        assert_eq!(int(&case, "SELECT count(*) FROM _Im_Dns"), 53_615);
    }
}

#[test]
fn zeek_dns_json_gz() {
    if let Some(case) = check(
        "brimdata-zed-sample-data_zeek-json_dns.json.gz",
        "ZeekDns",
        53_615,
    ) {
        assert_eq!(int(&case, "SELECT count(*) FROM DnsEvents"), 53_615);
    }
}

#[test]
fn zeek_dns_tsv_and_json_agree() {
    let (Some(tsv), Some(json)) = (
        shared("real-logs/brimdata-zed-sample-data_zeek-default_dns.log.gz"),
        shared("real-logs/brimdata-zed-sample-data_zeek-json_dns.json.gz"),
    ) else {
        return;
    };
    let a = Case::open_in_memory().expect("case");
    load(&a, &[tsv]);
    let b = Case::open_in_memory().expect("case");
    load(&b, &[json]);
    let digest = "SELECT count(DISTINCT uid), count(DISTINCT query), sum(\"id.orig_p\"), count(*) FILTER (WHERE rcode IS NULL), sum(epoch_ms(ts) % 1000) FROM ZeekDns";
    let row = |c: &Case| -> (i64, i64, i64, i64, i64) {
        c.conn()
            .query_row(digest, [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .expect("digest")
    };
    assert_eq!(row(&a), row(&b));
}

#[test]
fn zeek_rdp_ssh_notice() {
    check(
        "brimdata-zed-sample-data_zeek-default_rdp.log",
        "ZeekRdp",
        4_122,
    );
    check(
        "brimdata-zed-sample-data_zeek-default_rdp.log.gz",
        "ZeekRdp",
        4_122,
    );
    check(
        "brimdata-zed-sample-data_zeek-default_ssh.log",
        "ZeekSsh",
        22,
    );
    check(
        "brimdata-zed-sample-data_zeek-default_ssh.log.gz",
        "ZeekSsh",
        22,
    );
    check("brimdata-zed-sample-data_zeek-json_ssh.json", "ZeekSsh", 22);
    check(
        "brimdata-zed-sample-data_zeek-json_ssh.json.gz",
        "ZeekSsh",
        22,
    );
    if let Some(case) = check(
        "brimdata-zed-sample-data_zeek-default_notice.log",
        "ZeekNotice",
        207,
    ) {
        assert_eq!(
            int(
                &case,
                "SELECT count(*) FROM ZeekNotice WHERE json_array_length(actions) = 1"
            ),
            207
        );
    }
    check(
        "brimdata-zed-sample-data_zeek-default_notice.log.gz",
        "ZeekNotice",
        207,
    );
}

#[test]
fn a_log_and_its_gzip_copy_load_once() {
    let Some(dir) = shared("real-logs") else {
        return;
    };
    let case = Case::open_in_memory().expect("case");
    let pattern = format!(
        "{}/brimdata-zed-sample-data_zeek-default_rdp.log*",
        dir.display()
    );
    let report = load(&case, &[std::path::PathBuf::from(pattern)]);
    let statuses: Vec<&FileStatus> = report.files.iter().map(|f| &f.status).collect();
    assert_eq!(
        statuses,
        vec![&FileStatus::Loaded, &FileStatus::AlreadyLoaded]
    );
    assert_eq!(int(&case, "SELECT count(*) FROM ZeekRdp"), 4_122);
}

//! A histogram of event times: a bucket width chosen from the span, counts per bucket, and a
//! text rendering for the terminal.

use chrono::{DateTime, NaiveDateTime};
use serde_json::{json, Value};

/// The most buckets a timeline aims for.
pub const MAX_BUCKETS: i64 = 48;

/// Bucket widths tried, in seconds, narrowest first.
const WIDTHS: [i64; 12] = [
    60, 300, 900, 1_800, 3_600, 10_800, 21_600, 43_200, 86_400, 259_200, 604_800, 2_592_000,
];

/// Event counts per fixed-width time bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// Start of the first bucket (UTC).
    pub start: NaiveDateTime,
    /// Bucket width in seconds.
    pub width: i64,
    /// Events per bucket.
    pub counts: Vec<u64>,
}

/// The narrowest bucket width that covers `span_secs` in at most [`MAX_BUCKETS`] buckets.
pub fn width_for(span_secs: i64) -> i64 {
    WIDTHS
        .into_iter()
        .find(|w| span_secs / w < MAX_BUCKETS)
        .unwrap_or_else(|| (span_secs / MAX_BUCKETS + 1).max(1))
}

impl Timeline {
    /// Builds a timeline from (bucket number since the epoch, count) pairs of `width` seconds.
    pub fn from_buckets(width: i64, buckets: &[(i64, u64)]) -> Option<Timeline> {
        let first = buckets.iter().map(|b| b.0).min()?;
        let last = buckets.iter().map(|b| b.0).max()?;
        let mut counts = vec![0; (last - first + 1) as usize];
        for (b, n) in buckets {
            counts[(b - first) as usize] += n;
        }
        let start = DateTime::from_timestamp(first * width, 0)?.naive_utc();
        Some(Timeline {
            start,
            width,
            counts,
        })
    }

    /// Start of bucket `i`.
    pub fn bucket_start(&self, i: usize) -> NaiveDateTime {
        self.start + chrono::Duration::seconds(self.width * i as i64)
    }

    /// The bucket width in words (`5m`, `1h`, `1d`).
    pub fn width_label(&self) -> String {
        let w = self.width;
        if w % 86_400 == 0 {
            format!("{}d", w / 86_400)
        } else if w % 3_600 == 0 {
            format!("{}h", w / 3_600)
        } else if w % 60 == 0 {
            format!("{}m", w / 60)
        } else {
            format!("{w}s")
        }
    }

    /// One line per bucket: its start, a bar scaled to `bar_width`, and the count.
    pub fn text(&self, bar_width: usize) -> Vec<String> {
        let most = self.counts.iter().copied().max().unwrap_or(0).max(1);
        self.counts
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let len = (*n as usize * bar_width).div_ceil(most as usize);
                format!(
                    "{}  {:<bar_width$} {n}",
                    self.bucket_start(i).format("%Y-%m-%dT%H:%MZ"),
                    "█".repeat(len),
                )
            })
            .collect()
    }

    /// The JSON form (in pivots and the report).
    pub fn to_json(&self) -> Value {
        json!({
            "start": self.start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "bucket_seconds": self.width,
            "counts": self.counts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_fit_the_span() {
        assert_eq!(width_for(0), 60);
        assert_eq!(width_for(40 * 60), 60);
        assert_eq!(width_for(3 * 3_600), 300);
        assert_eq!(width_for(30 * 86_400), 86_400);
        assert!(width_for(10_000 * 86_400) * MAX_BUCKETS >= 10_000 * 86_400);
    }

    #[test]
    fn buckets_fill_gaps_and_draw() {
        let t = Timeline::from_buckets(3_600, &[(480_000, 2), (480_003, 4)]).unwrap();
        assert_eq!(t.counts, vec![2, 0, 0, 4]);
        assert_eq!(t.width_label(), "1h");
        let lines = t.text(4);
        assert_eq!(lines.len(), 4);
        assert!(lines[3].ends_with("████ 4"), "{lines:?}");
        assert!(lines[1].ends_with(" 0"));
        assert!(Timeline::from_buckets(60, &[]).is_none());
    }
}

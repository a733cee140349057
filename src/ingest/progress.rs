//! A byte-based progress bar on stderr, shown only when asked for and stderr is a terminal.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Progress of a load over all its files' bytes.
pub struct Progress {
    bar: Option<ProgressBar>,
    observer: Option<super::LoadObserver>,
    total: u64,
    file: std::sync::Mutex<String>,
}

impl Progress {
    /// A bar over `total` bytes when `wanted` and stderr is a terminal; else a no-op.
    pub fn new(wanted: bool, total: u64, observer: Option<super::LoadObserver>) -> Progress {
        let bar = (wanted && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            observer,
            total,
            file: std::sync::Mutex::new(String::new()),
        }
    }

    /// A progress that shows nothing.
    pub fn hidden() -> Progress {
        Progress::new(false, 0, None)
    }

    /// Names the file being loaded.
    pub fn file(&self, name: &str) {
        if let Some(b) = &self.bar {
            b.set_message(name.to_string());
        }
        if let Ok(mut f) = self.file.lock() {
            *f = name.to_string();
        }
    }

    /// Advances by `bytes`.
    pub fn add(&self, bytes: u64) {
        if let Some(b) = &self.bar {
            b.inc(bytes);
        }
    }

    /// Tells the observer, if any (once per finished file: byte counts inside a file are
    /// of decompressed data and would not add up to the total).
    fn notify(&self, done: u64) {
        if let (Some(o), Ok(f)) = (&self.observer, self.file.lock()) {
            (o.0)(done, self.total, &f);
        }
    }

    /// Sets the position to `bytes` done.
    pub fn set(&self, bytes: u64) {
        if let Some(b) = &self.bar {
            b.set_position(bytes);
        }
        self.notify(bytes);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

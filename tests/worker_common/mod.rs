//! Helpers shared by the tests that drive the workbench's worker without a terminal.

use std::time::Duration;

use quarry::tui::protocol::Reply;
use quarry::tui::worker::WorkerHandle;

/// The worker's next reply that is not progress (load progress, a run starting); panics
/// after two minutes without one.
pub fn next_reply(worker: &WorkerHandle) -> Reply {
    loop {
        match worker.rx.recv_timeout(Duration::from_secs(120)).unwrap() {
            Reply::LoadProgress { .. } | Reply::Started { .. } => continue,
            other => return other,
        }
    }
}

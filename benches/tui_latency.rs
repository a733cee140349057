//! Key-to-frame latency while the worker runs a long query: the UI thread handles a key and
//! draws the next frame without waiting on DuckDB. Uses the real worker on a sample case.
//! Prints milliseconds; asserts nothing about time. Run: `cargo bench --bench tui_latency`.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use quarry::tui::app::{App, Effect};
use quarry::tui::protocol::{Reply, Request};
use quarry::tui::theme::Theme;
use quarry::tui::view::draw;
use quarry::tui::worker;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut handle = worker::spawn(dir.path().join("case.duckdb"), Vec::new());
    let mut app = App::default();
    // Wait for the case (the worker loads the sample into it).
    let ready = handle
        .rx
        .recv_timeout(Duration::from_secs(120))
        .expect("ready");
    assert!(matches!(ready, Reply::Ready { .. }), "{ready:?}");
    app.on_reply(ready, Instant::now());
    // A query that keeps DuckDB busy for seconds.
    let long = "sql SELECT count(*) FROM range(3000000000) a WHERE a.range % 7 = 3".to_string();
    handle.tx.send(Request::Console(long)).expect("send");
    std::thread::sleep(Duration::from_millis(200));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let theme = Theme::plain();
    let keys = [KeyCode::Down, KeyCode::Up, KeyCode::Tab, KeyCode::BackTab];
    let mut worst = Duration::ZERO;
    let mut total = Duration::ZERO;
    let n = 400;
    for i in 0..n {
        let started = Instant::now();
        let effects = app.on_key(
            KeyEvent::new(keys[i % keys.len()], KeyModifiers::NONE),
            Instant::now(),
        );
        for e in effects {
            if let Effect::Send(r) = e {
                let _ = handle.tx.send(r);
            }
        }
        terminal
            .draw(|f| draw(f, &app, &theme, Instant::now()))
            .expect("draw");
        let took = started.elapsed();
        worst = worst.max(took);
        total += took;
    }
    let busy = handle.rx.try_recv().is_err();
    println!(
        "key to frame over {n} keys while a long query runs: mean {:.3} ms, worst {:.3} ms (worker still busy: {busy})",
        total.as_secs_f64() * 1e3 / n as f64,
        worst.as_secs_f64() * 1e3
    );
    handle.stop();
}

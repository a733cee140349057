//! The real binary in a pseudo-terminal: open an empty case (the workbench loads the sample),
//! wait for the hunts to finish, drill into a hit, keep it as a finding, pivot on its source,
//! raise a threshold and see the hit go, quit, and check the terminal was restored.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, CommandBuilder, PtySize};

/// The screen as vt100 sees it, fed by a reader thread.
struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
}

impl Screen {
    fn text(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until the screen contains `needle`.
    fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let text = self.text();
            if text.contains(needle) {
                return text;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {needle:?}; screen:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn workbench_in_a_pseudo_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("case.duckdb");
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 34,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_quarry"));
    cmd.args(["tui", "--db"]);
    cmd.arg(&db);
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("NO_COLOR");
    let mut child = pty.slave.spawn_command(cmd).unwrap();
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let mut writer = pty.master.take_writer().unwrap();
    let screen = Screen {
        parser: Arc::new(Mutex::new(vt100::Parser::new(34, 120, 0))),
        raw: Arc::new(Mutex::new(Vec::new())),
    };
    let (parser, raw) = (screen.parser.clone(), screen.raw.clone());
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            parser.lock().unwrap().process(&buf[..n]);
            raw.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let mut send = |keys: &[u8]| {
        writer.write_all(keys).unwrap();
        writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
    };

    // The empty case loads the sample; every hunt finishes (nothing queued or running).
    let text = screen.wait_for("loaded the bundled sample logs", Duration::from_secs(60));
    assert!(text.contains("Hunts"));
    screen.wait_for(" idle ", Duration::from_secs(60));
    let text = screen.text();
    assert!(text.contains("12 hits"), "{text}");

    // Drill into the first hunt's hit: the refused connections behind it.
    send(b"\t");
    send(b"\r");
    let text = screen.wait_for("2025-11-20T09:14:05Z", Duration::from_secs(20));
    assert!(
        text.contains("events where SrcIpAddr == \"10.20.2.24\""),
        "{text}"
    );
    send(b"\x1b");

    // Keep the hit as a finding, pivot on its source address, and see the finding listed.
    send(b"m");
    screen.wait_for("Keep as a finding", Duration::from_secs(5));
    send(b"probe from engineering\r");
    screen.wait_for("finding 1 kept", Duration::from_secs(20));
    send(b"p");
    screen.wait_for("Pivot on which value?", Duration::from_secs(5));
    send(b"\r");
    let text = screen.wait_for("Timeline", Duration::from_secs(30));
    assert!(text.contains("Pivot 1: ip 10.20.2.24"), "{text}");
    send(b"\x1b");
    send(b"F");
    let text = screen.wait_for("probe from engineering", Duration::from_secs(20));
    assert!(text.contains("Findings"), "{text}");
    send(b"\x1b");

    // Raise the threshold past the planted probe (12 ports): the hit goes away.
    send(b"\t");
    send(b"\r");
    send(b"\x7f12\r");
    screen.wait_for("no hits (-1)", Duration::from_secs(20));

    // Sanction the planted internal scanner: the sweep hunt re-runs and its hit goes away.
    send(b"w");
    screen.wait_for("SanctionedScanners (2 rows)", Duration::from_secs(20));
    send(b"\t");
    send(b"a");
    send(b"Host=ws-fin-07, Process=powershell.exe\r");
    screen.wait_for("SanctionedScanners (3 rows)", Duration::from_secs(20));
    send(b"\x1b");
    let start = Instant::now();
    while screen.text().matches("no hits (-1)").count() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{}",
            screen.text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // The console runs KQL on the case.
    send(b"c");
    send(b"DeviceNetworkEvents | where InitiatingProcessFileName == 'rundll32.exe' | count\r");
    screen.wait_for("Result: 1 rows", Duration::from_secs(20));
    send(b"\x1b");

    // Help, then quit; the terminal leaves the alternate screen.
    send(b"?");
    screen.wait_for("Keys (Esc or ? to close)", Duration::from_secs(5));
    send(b"\x1b");
    send(b"q");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "quarry did not exit"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    std::thread::sleep(Duration::from_millis(200));
    let raw = String::from_utf8_lossy(&screen.raw.lock().unwrap()).into_owned();
    assert!(
        raw.contains("\x1b[?1049h"),
        "never entered the alternate screen"
    );
    assert!(
        raw.contains("\x1b[?1049l"),
        "did not leave the alternate screen"
    );
}

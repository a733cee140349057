//! The workbench: a keyboard-driven terminal UI over the hunts of a case.
//!
//! One direction of flow: terminal events and worker replies → [`app::App`] (state) →
//! [`view`] (drawing); the app's effects go to the [`worker`], which alone talks to DuckDB.

pub mod app;
pub mod config;
pub mod investigate;
pub mod keymap;
pub mod protocol;
pub mod screens;
pub mod theme;
pub mod view;
pub mod worker;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyEventKind};
use ratatui::DefaultTerminal;

use app::{App, Effect};
use theme::Theme;
use worker::WorkerHandle;

/// How often the screen refreshes while nothing happens (running timers tick).
const FRAME: Duration = Duration::from_millis(50);

/// Opens the workbench on the case at `case`; `theme` overrides the settings file's.
pub fn run(case: PathBuf, theme: Option<&str>, extra_hunts: Vec<PathBuf>) -> anyhow::Result<()> {
    let config = config::Config::load().map_err(anyhow::Error::msg)?;
    let theme = theme.or(config.theme.as_deref()).unwrap_or("dark");
    let theme = Theme::load(theme).map_err(anyhow::Error::msg)?;
    let mut keymap = keymap::Keymap::default();
    keymap
        .rebind(&config.key_pairs())
        .map_err(anyhow::Error::msg)?;
    let mut worker = worker::spawn(case, extra_hunts);
    let mut terminal = ratatui::init();
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);
    let result = event_loop(&mut terminal, &mut worker, &theme, keymap);
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    ratatui::restore();
    worker.stop();
    result
}

fn apply(worker: &WorkerHandle, effects: Vec<Effect>) {
    for e in effects {
        match e {
            Effect::Send(r) => {
                let _ = worker.tx.send(r);
            }
            Effect::Cancel => worker.cancel(),
            Effect::Copy(text) => copy_to_clipboard(&text),
        }
    }
}

/// Asks the terminal to put `text` on the clipboard (OSC 52; works over SSH).
fn copy_to_clipboard(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{}\x07", base64(text.as_bytes()));
    let _ = out.flush();
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    worker: &mut WorkerHandle,
    theme: &Theme,
    keymap: keymap::Keymap,
) -> anyhow::Result<()> {
    let mut app = App {
        keymap,
        ..App::default()
    };
    loop {
        let now = Instant::now();
        terminal.draw(|f| view::draw(f, &app, theme, now))?;
        if app.quit {
            return Ok(());
        }
        while let Ok(reply) = worker.rx.try_recv() {
            let effects = app.on_reply(reply, Instant::now());
            apply(worker, effects);
        }
        if event::poll(FRAME)? {
            let effects = match event::read()? {
                Event::Key(key) if key.kind == KeyEventKind::Press => {
                    app.on_key(key, Instant::now())
                }
                Event::Mouse(m) => {
                    let size = terminal.size()?;
                    app.on_mouse(m.kind, m.column, m.row, size.width, size.height)
                }
                _ => Vec::new(),
            };
            apply(worker, effects);
        }
        let effects = app.tick(Instant::now());
        apply(worker, effects);
    }
}

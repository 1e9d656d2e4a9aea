//! A one-line progress bar on stderr, drawn only when stderr is a terminal.

use std::io::Write;
use std::time::{Duration, Instant};

/// Progress of `total` units of work; redraws at most every 100 ms.
pub struct Progress {
    total: u64,
    label: String,
    enabled: bool,
    last_draw: Option<Instant>,
}

impl Progress {
    /// A bar for `total` units, shown only if stderr is a terminal and `enabled`.
    pub fn new(total: u64, label: impl Into<String>, enabled: bool) -> Self {
        Progress { total, label: label.into(), enabled: enabled && super::stderr_is_terminal(), last_draw: None }
    }

    /// Redraws for `done` units finished.
    pub fn update(&mut self, done: u64) {
        if !self.enabled {
            return;
        }
        if self.last_draw.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) && done < self.total {
            return;
        }
        self.last_draw = Some(Instant::now());
        let width = 30u64;
        let filled = (done * width).checked_div(self.total).unwrap_or(width).min(width) as usize;
        let bar = format!("{}{}", "#".repeat(filled), "-".repeat(width as usize - filled));
        let _ = write!(std::io::stderr(), "\r{} [{bar}] {done}/{}", self.label, self.total);
    }

    /// Clears the bar's line.
    pub fn finish(&mut self) {
        if self.enabled && self.last_draw.is_some() {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

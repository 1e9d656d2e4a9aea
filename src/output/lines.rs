//! Standard output for a stream of log lines written in batches (serve's request log): the writer
//! hands each batch to a thread of its own that writes it to stdout, so the writer (the receiver's
//! journal, which also writes the history) never waits for a slow reader. When stdout stops taking
//! them (a paused terminal, a stuck pipe), batches past [`QUEUE_BYTES`] are dropped and their lines
//! counted, then said on stderr. The bytes are written as given: the caller formats them for
//! stdout's colour decision ([`super::style::Pen`]), so nothing is stripped here byte by byte.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::style;

/// Bytes waiting for stdout; past this whole batches are dropped (and their lines counted).
pub const QUEUE_BYTES: usize = 1024 * 1024;

/// What the writer and the stdout thread share.
struct Shared {
    queued: AtomicUsize,
    dropped: AtomicU64,
}

/// The writing end: each `write` is one batch of whole lines, handed over without waiting.
pub struct LinesOut {
    tx: mpsc::Sender<Vec<u8>>,
    /// Buffers the stdout thread has written, handed back for the next batches: a fresh buffer per
    /// batch cost page faults (perf).
    spare: mpsc::Receiver<Vec<u8>>,
    shared: Arc<Shared>,
}

/// A buffer handed back is kept only up to this capacity.
const SPARE_BYTES: usize = 256 * 1024;

impl Write for LinesOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let len = buf.len();
        let before = self.shared.queued.fetch_add(len, Ordering::AcqRel);
        if before > 0 && before + len > QUEUE_BYTES {
            self.shared.queued.fetch_sub(len, Ordering::AcqRel);
            let lines = buf.iter().filter(|&&b| b == b'\n').count() as u64;
            self.shared.dropped.fetch_add(lines, Ordering::Relaxed);
            return Ok(len);
        }
        let mut batch = self.spare.try_recv().unwrap_or_default();
        batch.clear();
        batch.extend_from_slice(buf);
        if self.tx.send(batch).is_err() {
            self.shared.queued.fetch_sub(len, Ordering::AcqRel);
        }
        Ok(len)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The stdout thread; ends once every [`LinesOut`] is dropped and what they handed over is written.
pub struct Pump {
    done: mpsc::Receiver<()>,
    _thread: JoinHandle<()>,
}

impl Pump {
    /// Waits for the thread to write what is queued, at most `limit` (a stdout that never takes it
    /// must not keep the program from exiting).
    pub fn finish(self, limit: Duration) {
        let _ = self.done.recv_timeout(limit);
    }
}

/// A [`LinesOut`] writing to stdout through its own thread, and that thread.
pub fn stdout() -> io::Result<(LinesOut, Pump)> {
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let shared = Arc::new(Shared { queued: AtomicUsize::new(0), dropped: AtomicU64::new(0) });
    let (done_tx, done) = mpsc::channel();
    let (back, spare) = mpsc::channel::<Vec<u8>>();
    let s = shared.clone();
    let thread = std::thread::Builder::new().name("topgg-int-stdout".into()).spawn(move || {
        while let Ok(batch) = rx.recv() {
            let mut out = io::stdout().lock();
            // A closed stdout (`| head`) loses the lines; the receiver goes on.
            let _ = out.write_all(&batch).and_then(|()| out.flush());
            drop(out);
            s.queued.fetch_sub(batch.len(), Ordering::AcqRel);
            say_dropped(&s.dropped);
            if batch.capacity() <= SPARE_BYTES {
                let _ = back.send(batch);
            }
        }
        say_dropped(&s.dropped);
        let _ = done_tx.send(());
    })?;
    Ok((LinesOut { tx, spare, shared }, Pump { done, _thread: thread }))
}

/// Says on stderr how many log lines were dropped since last said.
fn say_dropped(dropped: &AtomicU64) {
    let n = dropped.swap(0, Ordering::Relaxed);
    if n > 0 {
        super::note(format!(
            "{} {n} log line{} dropped: standard output is not keeping up",
            style::warn("note:"),
            if n == 1 { "" } else { "s" }
        ));
    }
}

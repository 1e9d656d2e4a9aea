//! The capture folder of `serve --capture-dir`: one raw `.http` file per request (0600, since an
//! `integration.create` holds a webhook secret), named `NNNNNN-<event>.http` to sort by arrival.
//!
//! Bounded by default: only the newest [`Captures::keep`] files and at most [`MAX_BYTES`] are
//! kept; older captures (files of that naming only, never anything else in the folder) are
//! deleted as new ones arrive. Nothing here prints.

use std::collections::VecDeque;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::store;
use crate::error::{Error, Result};

/// Captures kept unless `serve --capture-keep` says otherwise.
pub const DEFAULT_KEEP: usize = 1_000;
/// The most the capture folder holds, in bytes, whatever the count.
pub const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// An open capture folder.
#[derive(Debug)]
pub struct Captures {
    dir: PathBuf,
    keep: usize,
    max_bytes: u64,
    seq: AtomicU64,
    kept: Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    files: VecDeque<(PathBuf, u64)>,
    bytes: u64,
}

/// The sequence number of a capture file name (`000042-vote.create.http`), if it is one.
fn capture_seq(name: &str) -> Option<u64> {
    let digits: String = name.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || !name.ends_with(".http") {
        return None;
    }
    digits.parse().ok()
}

impl Captures {
    /// Opens (creating 0700) the folder; numbering goes on after the highest capture in it.
    pub fn open(dir: &Path, keep: usize, max_bytes: u64) -> Result<Captures> {
        store::create_private_dir(dir).map_err(|e| Error::io("create the capture directory", dir, &e))?;
        let entries = fs::read_dir(dir).map_err(|e| Error::io("read the capture directory", dir, &e))?;
        let mut found: Vec<(u64, PathBuf, u64)> = entries
            .flatten()
            .filter_map(|e| {
                let seq = capture_seq(&e.file_name().to_string_lossy())?;
                let len = e.metadata().ok().filter(|m| m.is_file())?.len();
                Some((seq, e.path(), len))
            })
            .collect();
        found.sort();
        let next = found.last().map_or(1, |f| f.0 + 1);
        let c = Captures {
            dir: dir.to_path_buf(),
            keep: keep.max(1),
            max_bytes,
            seq: AtomicU64::new(next),
            kept: Mutex::new(Kept::default()),
        };
        {
            let mut kept = c.lock();
            for (_, path, len) in found {
                kept.bytes += len;
                kept.files.push_back((path, len));
            }
            c.evict(&mut kept);
        }
        Ok(c)
    }

    /// How many captures are kept.
    pub fn keep(&self) -> usize {
        self.keep
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes the next sequence number (at arrival, so names sort by arrival).
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::SeqCst)
    }

    /// Writes capture `seq` labelled with the event type, then deletes the oldest beyond the bound.
    pub fn write(&self, seq: u64, label: &str, raw: &[u8]) -> std::io::Result<PathBuf> {
        let file = self.dir.join(format!("{seq:06}-{}.http", sanitize(label)));
        let mut o = fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        store::private_mode(&mut o);
        std::io::Write::write_all(&mut o.open(&file)?, raw)?;
        let mut kept = self.lock();
        kept.bytes += raw.len() as u64;
        kept.files.push_back((file.clone(), raw.len() as u64));
        self.evict(&mut kept);
        Ok(file)
    }

    /// Writes the capture of a request now answered; the error is one sentence for the warning.
    pub fn save(&self, seq: u64, label: &str, raw: &[u8]) -> std::result::Result<PathBuf, String> {
        self.write(seq, label, raw).map_err(|e| {
            format!("could not write a capture in {}: {}", self.dir.display(), crate::error::io_reason(&e))
        })
    }

    fn evict(&self, kept: &mut Kept) {
        while kept.files.len() > self.keep || (kept.bytes > self.max_bytes && kept.files.len() > 1) {
            let Some((old, len)) = kept.files.pop_front() else { break };
            kept.bytes -= len;
            let _ = fs::remove_file(old);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn sanitize(label: &str) -> String {
    label.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        n.sort();
        n
    }

    #[test]
    fn keeps_the_newest_and_leaves_other_files_alone() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("000007-old.http"), b"x").unwrap();
        fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
        let c = Captures::open(dir.path(), 2, MAX_BYTES).unwrap();
        for _ in 0..3 {
            let seq = c.next_seq();
            c.write(seq, "vote.create", b"POST / HTTP/1.1\r\n\r\n").unwrap();
        }
        assert_eq!(names(dir.path()), ["000009-vote.create.http", "000010-vote.create.http", "notes.txt"]);
        // Reopening goes on numbering and applies the bound to what is there.
        let c = Captures::open(dir.path(), 1, MAX_BYTES).unwrap();
        assert_eq!(c.next_seq(), 11);
        assert_eq!(names(dir.path()), ["000010-vote.create.http", "notes.txt"]);
    }

    #[test]
    fn a_byte_budget_bounds_big_captures() {
        let dir = tempfile::tempdir().unwrap();
        let c = Captures::open(dir.path(), 100, 25).unwrap();
        for _ in 0..4 {
            let seq = c.next_seq();
            c.write(seq, "request", &[b'x'; 10]).unwrap();
        }
        assert_eq!(names(dir.path()), ["000003-request.http", "000004-request.http"]);
    }
}

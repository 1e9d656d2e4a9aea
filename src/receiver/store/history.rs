//! The request history: one frame per answered request (a [`Record`] with its raw bytes), appended
//! by the store's journal thread in batches to segment files under [`DIR`] in the data dir, with an
//! index in memory for the inspector's list, its filters and reads by id.
//!
//! Why files and not SQLite, measured with `bench/serve` (then `bench/serve-cpu --count 30000`; server
//! CPU per signed `vote.create`, 32 connections, fresh ids; medians of 8 runs interleaved on a
//! shared 2-core machine, profiling build), with this journal writing the history to each:
//!
//! | history kept in | history on | `--history 0` | cost of the history |
//! |---|---|---|---|
//! | SQLite rows (a transaction per 2 ms batch, own connection, NORMAL, prepared statements) | 36.7 µs | 23.3 µs | 13.4 µs |
//! | segment files (one `write` per batch) | 28.0 µs | 21.8 µs | 6.2 µs |
//!
//! A row in SQLite binds 21 parameters, copies the ~850-byte request into a b-tree page, then into
//! a WAL frame (checksummed) and, at the checkpoint, into the database file; a frame here is encoded
//! once into the batch's buffer and written once: by perf, appending the frames is 2.5 % of serve's
//! CPU (under 1 µs a request); the rest of the difference is outside this file (the request's bytes
//! copied for the history on the request path, the inspector's live event). Nothing here needs
//! SQL: the history is written in id order, read newest first, trimmed oldest first, and bounded
//! (10,000 rows by default), so an index of a few words per row in memory answers every filter.
//!
//! Format: a segment is named by the first id it holds (`00000000000000000042.seg`, 0600, in a 0700
//! directory) and is a run of frames, each a little-endian `u32` length and an encoded record
//! (`encode`). A segment is never rewritten: the history is trimmed by dropping rows from the
//! index (`--history N`) and deleting whole segments from the oldest, before a batch would take the
//! files past their share of `--history-bytes` (`Bounds::files_bytes`), so the files never hold
//! more than the bound. Writes are not synced, as the database's history was not: a write survives
//! the process being killed, only a power cut can lose the last batch; a frame cut short (or
//! unreadable) at open ends its segment there, and the segment is truncated to it. The client's
//! address, warnings and capture paths are not kept.

use std::collections::VecDeque;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::Duration;

use super::files::{create_private_dir, private_mode};
use super::journal::Bounds;
use crate::receiver::record::{Forwarded, Record};

/// The directory of the segment files, inside the data dir.
pub const DIR: &str = "history";

/// Which history rows [`super::Store::history`] returns: newest first, only ids below
/// `before`, at most `limit`, and only those matching every filter given.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    /// Only rows with an id below this (the id of the last row of the previous page).
    pub before: Option<i64>,
    /// At most this many rows; 0 means 100.
    pub limit: usize,
    /// Only this event type (`vote.create`, …).
    pub event: Option<String>,
    /// Only this connection id.
    pub connection: Option<String>,
    /// Only this verdict (`ok`, `signature-mismatch`, …).
    pub verdict: Option<String>,
}

/// What a row costs beyond its bytes (its fields, the index entry), for the queue's byte bound.
const ROW_OVERHEAD: usize = 256;

/// The bytes a record takes against the hand-over queue's bound: its raw request and forwarded
/// body, its short text fields and a fixed overhead.
pub(super) fn row_bytes(e: &Record) -> usize {
    ROW_OVERHEAD
        + e.request.as_ref().map_or(0, Vec::len)
        + e.path.len()
        + e.detail.as_ref().map_or(0, String::len)
        + e.forwarded.as_ref().map_or(0, |f| {
            f.body.len() + f.url.len() + f.headers.iter().map(|(n, v)| n.len() + v.len() + 4).sum::<usize>()
        })
}

/// One row in the index: where its frame is, and what the filters compare (hashes, checked against
/// the frame itself on a match).
#[derive(Debug, Clone, Copy)]
struct Entry {
    id: i64,
    /// The segment's first id (its name).
    segment: i64,
    offset: u64,
    len: u32,
    event: u64,
    connection: u64,
    verdict: u64,
}

/// A segment file and its size.
#[derive(Debug, Clone, Copy)]
struct Segment {
    first: i64,
    bytes: u64,
}

#[derive(Default)]
struct Index {
    /// The rows kept, oldest first (ids increase).
    entries: VecDeque<Entry>,
    /// The segment files, oldest first; the last is the one appended to.
    segments: VecDeque<Segment>,
}

impl Index {
    fn files_bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.bytes).sum()
    }
}

/// The history's files and index. Reads (`History::list`, `History::get`) run on any thread;
/// `History::append` and the trims only on the journal's.
pub struct History {
    dir: PathBuf,
    bounds: Bounds,
    index: RwLock<Index>,
    /// The segment appended to, open (only the journal appends).
    current: std::sync::Mutex<Option<(i64, File)>>,
}

/// A filter field's hash (FNV-1a, with a tag byte for an absent field): cheap enough per row on
/// the journal thread, and a match is checked against the frame anyway.
fn key(s: Option<&str>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    match s {
        None => eat(0),
        Some(s) => {
            eat(1);
            s.bytes().for_each(&mut eat);
        }
    }
    h
}

fn segment_path(dir: &Path, first: i64) -> PathBuf {
    dir.join(format!("{first:020}.seg"))
}

impl History {
    /// Opens (creating it 0700) the history directory `dir`, reads every segment into the index
    /// (cutting a segment at a frame that cannot be read) and trims it to `bounds`.
    pub(super) fn open(dir: &Path, bounds: Bounds) -> std::io::Result<History> {
        create_private_dir(dir)?;
        let mut firsts: Vec<i64> = fs::read_dir(dir)?
            .filter_map(|e| {
                let name = e.ok()?.file_name();
                name.to_str()?.strip_suffix(".seg")?.parse().ok()
            })
            .collect();
        firsts.sort_unstable();
        let mut index = Index::default();
        for first in firsts {
            let path = segment_path(dir, first);
            let raw = fs::read(&path)?;
            let mut at = 0usize;
            while let Some(len) = raw.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize) {
                let Some(frame) = raw.get(at + 4..at + 4 + len) else { break };
                let Some(r) = decode(frame, false) else { break };
                if index.entries.back().is_some_and(|e| e.id >= r.id) {
                    break;
                }
                index.entries.push_back(entry(&r, first, at as u64, len as u32));
                at += 4 + len;
            }
            if at < raw.len() {
                // A frame cut short by a crash, or damage: what follows cannot be read in order.
                fs::OpenOptions::new().write(true).open(&path)?.set_len(at as u64)?;
            }
            index.segments.push_back(Segment { first, bytes: at as u64 });
        }
        let h = History { dir: dir.to_path_buf(), bounds, index: RwLock::new(index), current: Default::default() };
        h.trim(0)?;
        Ok(h)
    }

    /// The highest id kept, 0 for an empty history: new ids continue from it.
    pub(super) fn max_id(&self) -> i64 {
        self.read().entries.back().map_or(0, |e| e.id)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends records (ids increasing, above [`History::max_id`]) in one write, encoded in
    /// `buf` (cleared first), after trimming the oldest segments so the files stay within their
    /// bound; then trims to `--history` rows.
    pub(super) fn append(&self, records: &[&Record], buf: &mut Vec<u8>) -> std::io::Result<()> {
        buf.clear();
        if records.is_empty() {
            return Ok(());
        }
        let mut placed = Vec::with_capacity(records.len());
        for r in records {
            let at = buf.len();
            buf.extend_from_slice(&[0; 4]);
            encode(r, buf);
            let len = (buf.len() - at - 4) as u32;
            buf[at..at + 4].copy_from_slice(&len.to_le_bytes());
            placed.push((at as u64, len));
        }
        let segment_bytes = self.bounds.segment_bytes();
        let (first, start) = {
            let mut ix = self.index.write().unwrap_or_else(|e| e.into_inner());
            let current = ix.segments.back().copied();
            let seg = match current {
                Some(s) if s.bytes == 0 || s.bytes + buf.len() as u64 <= segment_bytes => s,
                _ => {
                    let s = Segment { first: records[0].id, bytes: 0 };
                    ix.segments.push_back(s);
                    s
                }
            };
            drop(ix);
            self.trim(buf.len() as u64)?;
            (seg.first, seg.bytes)
        };
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().is_none_or(|(s, _)| *s != first) {
            let mut o = fs::OpenOptions::new();
            o.create(true).append(true);
            private_mode(&mut o);
            *current = Some((first, o.open(segment_path(&self.dir, first))?));
        }
        let Some((_, f)) = current.as_mut() else { return Ok(()) };
        if let Err(e) = f.write_all(buf) {
            // Nothing half-written stays: the next open would stop reading there.
            let _ = f.set_len(start);
            return Err(e);
        }
        let mut ix = self.index.write().unwrap_or_else(|e| e.into_inner());
        for (r, (at, len)) in records.iter().zip(placed) {
            ix.entries.push_back(entry(r, first, start + at, len));
        }
        if let Some(s) = ix.segments.back_mut() {
            s.bytes = start + buf.len() as u64;
        }
        drop(ix);
        self.trim(0)
    }

    /// Drops the oldest rows beyond `--history` from the index, and deletes the oldest segments
    /// while the files and `incoming` bytes would be over their bound, or hold no row kept. The
    /// segment appended to is never deleted.
    fn trim(&self, incoming: u64) -> std::io::Result<()> {
        if self.bounds.rows == 0 {
            // `--history 0` writes nothing; what an earlier run kept is left as it is.
            return Ok(());
        }
        let mut ix = self.index.write().unwrap_or_else(|e| e.into_inner());
        while ix.entries.len() > self.bounds.rows {
            ix.entries.pop_front();
        }
        let limit = self.bounds.files_bytes();
        let mut result = Ok(());
        while ix.segments.len() > 1 {
            let oldest = ix.segments[0];
            let unused = ix.entries.front().is_none_or(|e| e.segment != oldest.first);
            if !unused && ix.files_bytes() + incoming <= limit {
                break;
            }
            while ix.entries.front().is_some_and(|e| e.segment == oldest.first) {
                ix.entries.pop_front();
            }
            ix.segments.pop_front();
            if let Err(e) = fs::remove_file(segment_path(&self.dir, oldest.first))
                && e.kind() != std::io::ErrorKind::NotFound
            {
                result = Err(e);
            }
        }
        result
    }

    /// The rows `q` selects, newest first, without their request bytes.
    pub(super) fn list(&self, q: &HistoryQuery) -> std::io::Result<Vec<Record>> {
        let limit = if q.limit == 0 { 100 } else { q.limit };
        let wanted = [&q.event, &q.connection, &q.verdict].map(|v| v.as_deref().map(|s| key(Some(s))));
        let ix = self.read();
        let mut files = Files::new(&self.dir);
        let mut out = Vec::new();
        for e in ix.entries.iter().rev() {
            if out.len() >= limit {
                break;
            }
            if q.before.is_some_and(|b| e.id >= b) {
                continue;
            }
            let keys = [e.event, e.connection, e.verdict];
            if wanted.iter().zip(keys).any(|(w, k)| w.is_some_and(|w| w != k)) {
                continue;
            }
            let Some(r) = files.read(e, false)? else { continue };
            // The hashes matched; the fields must too.
            let fields = [r.event.as_deref(), r.connection.as_deref(), Some(r.verdict.as_str())];
            if [&q.event, &q.connection, &q.verdict].iter().zip(fields).all(|(w, f)| w.is_none() || w.as_deref() == f) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// One row with its request bytes.
    pub(super) fn get(&self, id: i64) -> std::io::Result<Option<Record>> {
        let ix = self.read();
        let Ok(at) = ix.entries.binary_search_by_key(&id, |e| e.id) else { return Ok(None) };
        let e = ix.entries[at];
        Files::new(&self.dir).read(&e, true)
    }
}

fn entry(r: &Record, segment: i64, offset: u64, len: u32) -> Entry {
    Entry {
        id: r.id,
        segment,
        offset,
        len,
        event: key(r.event.as_deref()),
        connection: key(r.connection.as_deref()),
        verdict: key(Some(&r.verdict)),
    }
}

/// Segment files opened for one read.
struct Files<'a> {
    dir: &'a Path,
    open: Option<(i64, File)>,
}

impl<'a> Files<'a> {
    fn new(dir: &'a Path) -> Files<'a> {
        Files { dir, open: None }
    }

    /// The record at `e`; `None` when its frame cannot be read back as written.
    fn read(&mut self, e: &Entry, with_bytes: bool) -> std::io::Result<Option<Record>> {
        if self.open.as_ref().is_none_or(|(s, _)| *s != e.segment) {
            self.open = Some((e.segment, File::open(segment_path(self.dir, e.segment))?));
        }
        let Some((_, f)) = self.open.as_mut() else { return Ok(None) };
        f.seek(SeekFrom::Start(e.offset + 4))?;
        let mut frame = vec![0; e.len as usize];
        f.read_exact(&mut frame)?;
        Ok(decode(&frame, with_bytes).filter(|r| r.id == e.id))
    }
}

/// The frame format's version, its first byte.
const VERSION: u8 = 1;
/// An absent string or byte string.
const NONE: u32 = u32::MAX;

/// Encodes a record (without the fields the history does not keep) into `out`.
fn encode(r: &Record, out: &mut Vec<u8>) {
    out.push(VERSION);
    out.extend_from_slice(&r.id.to_le_bytes());
    out.extend_from_slice(&(r.time_unix_nanos as i64).to_le_bytes());
    out.extend_from_slice(&r.status.to_le_bytes());
    out.extend_from_slice(&(r.latency.as_micros() as u64).to_le_bytes());
    out.push(u8::from(r.retry));
    opt_i64(out, r.replay_of);
    opt_i64(out, r.body_cut.map(|n| n as i64));
    bytes(out, Some(r.method.as_bytes()));
    bytes(out, Some(r.path.as_bytes()));
    bytes(out, r.event.as_deref().map(str::as_bytes));
    bytes(out, r.connection.as_deref().map(str::as_bytes));
    bytes(out, Some(r.verdict.as_bytes()));
    bytes(out, r.detail.as_deref().map(str::as_bytes));
    bytes(out, r.trace.as_deref().map(str::as_bytes));
    match &r.forwarded {
        None => out.push(0),
        Some(f) => {
            out.push(1);
            bytes(out, Some(f.url.as_bytes()));
            opt_i64(out, f.status.map(i64::from));
            out.extend_from_slice(&f.latency_us.to_le_bytes());
            out.extend_from_slice(&(f.headers.len() as u32).to_le_bytes());
            for (n, v) in &f.headers {
                bytes(out, Some(n.as_bytes()));
                bytes(out, Some(v.as_bytes()));
            }
            bytes(out, f.error.as_deref().map(str::as_bytes));
            bytes(out, Some(&f.body));
        }
    }
    bytes(out, r.request.as_deref());
}

fn opt_i64(out: &mut Vec<u8>, v: Option<i64>) {
    match v {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

fn bytes(out: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        None => out.extend_from_slice(&NONE.to_le_bytes()),
        Some(b) => {
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        }
    }
}

/// Reads an encoded record; `None` when it is not one. Without `with_bytes` the request and the
/// forwarded body are left out (a listing).
fn decode(frame: &[u8], with_bytes: bool) -> Option<Record> {
    let mut c = Cursor(frame);
    if c.take(1)?[0] != VERSION {
        return None;
    }
    let id = c.i64()?;
    let time_unix_nanos = i128::from(c.i64()?);
    let status = u16::from_le_bytes(c.take(2)?.try_into().ok()?);
    let latency = Duration::from_micros(c.i64()? as u64);
    let retry = c.take(1)?[0] == 1;
    let replay_of = c.opt_i64()?;
    let body_cut = c.opt_i64()?.map(|n| n.max(0) as u64);
    let method = c.string()??;
    let path = c.string()??;
    let event = c.string()?;
    let connection = c.string()?;
    let verdict = c.string()??;
    let detail = c.string()?;
    let trace = c.string()?;
    let forwarded = match c.take(1)?[0] {
        0 => None,
        _ => {
            let url = c.string()??;
            let status = c.opt_i64()?.and_then(|s| u16::try_from(s).ok());
            let latency_us = c.i64()?;
            let n = u32::from_le_bytes(c.take(4)?.try_into().ok()?);
            let mut headers = Vec::new();
            for _ in 0..n {
                headers.push((c.string()??, c.string()??));
            }
            let error = c.string()?;
            let body = c.bytes()?.unwrap_or_default();
            Some(Forwarded {
                url,
                status,
                latency_us,
                headers,
                body: if with_bytes { body.to_vec() } else { Vec::new() },
                error,
            })
        }
    };
    let request = c.bytes()?.filter(|_| with_bytes).map(<[u8]>::to_vec);
    Some(Record {
        id,
        time_unix_nanos,
        method,
        path,
        event,
        connection,
        verdict,
        detail,
        status,
        latency,
        trace,
        retry,
        request,
        body_cut,
        replay_of,
        forwarded,
        ..Record::default()
    })
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = rest;
        Some(head)
    }

    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn opt_i64(&mut self) -> Option<Option<i64>> {
        match self.take(1)?[0] {
            0 => Some(None),
            _ => Some(Some(self.i64()?)),
        }
    }

    /// `Some(None)` for an absent byte string, `None` for a broken frame.
    fn bytes(&mut self) -> Option<Option<&'a [u8]>> {
        let n = u32::from_le_bytes(self.take(4)?.try_into().ok()?);
        if n == NONE {
            return Some(None);
        }
        Some(Some(self.take(n as usize)?))
    }

    fn string(&mut self) -> Option<Option<String>> {
        match self.bytes()? {
            None => Some(None),
            Some(b) => Some(Some(String::from_utf8(b.to_vec()).ok()?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_as_written() {
        let r = Record {
            id: 7,
            time_unix_nanos: 1_700_000_000_123_456_789,
            method: "POST".into(),
            path: "/webhooks/1".into(),
            event: Some("vote.create".into()),
            connection: None,
            verdict: "ok".into(),
            detail: Some("d".into()),
            status: 204,
            latency: Duration::from_micros(1500),
            trace: Some("t".into()),
            retry: true,
            request: Some(b"POST / HTTP/1.1\r\n\r\n{}".to_vec()),
            body_cut: Some(9),
            replay_of: Some(3),
            forwarded: Some(Forwarded {
                url: "http://a/".into(),
                status: Some(201),
                latency_us: 12,
                headers: vec![("a".into(), "b".into())],
                body: b"hi".to_vec(),
                error: None,
            }),
            ..Record::default()
        };
        let mut buf = Vec::new();
        encode(&r, &mut buf);
        assert_eq!(decode(&buf, true).as_ref(), Some(&r));
        let listed = decode(&buf, false).unwrap();
        assert_eq!((listed.request, listed.forwarded.unwrap().body), (None, Vec::new()));
        for cut in 0..buf.len() {
            assert!(decode(&buf[..cut], true).is_none(), "a frame cut at {cut} is refused");
        }
    }
}

//! The store's recorder thread: seen vote ids and history rows, written after the fact in batches.
//!
//! One transaction per batch at `synchronous=NORMAL` (see the store's module comment for why);
//! a failed batch is dropped, never retried, because the answers already went out.

use std::sync::Mutex;
use std::time::Duration;
use std::sync::mpsc::{Receiver as Rx, SyncSender};

use rusqlite::TransactionBehavior;

use super::SEEN_VOTES;
use crate::receiver::history::{self, HistoryEntry};

/// What the recorder is handed.
pub(super) enum Record {
    Vote(String),
    History(Box<HistoryEntry>),
    Flush(SyncSender<()>),
}

/// How long the recorder lets records gather after the first of a batch. Woken for every record,
/// it wrote batches of one or two under load: a commit, a WAL frame and a futex wake per request
/// took a third of serve's CPU (bench/serve, history on). Nothing waits on a row except a flush,
/// which skips the wait.
const GATHER: Duration = Duration::from_millis(2);

/// The most records one transaction writes.
const MAX_BATCH: usize = 4096;

/// Writes queued records in batches, one transaction each, until the store closes.
pub(super) fn record_loop(db: &Mutex<rusqlite::Connection>, rx: &Rx<Record>, history_limit: usize) {
    let mut batch = Vec::new();
    while let Ok(first) = rx.recv() {
        let flush = matches!(first, Record::Flush(_));
        batch.push(first);
        if !flush {
            std::thread::sleep(GATHER);
        }
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let mut c = db.lock().unwrap_or_else(|e| e.into_inner());
        // A failed batch (full disk) is dropped: the answers already went out.
        let _ = write_batch(&mut c, &batch, history_limit);
        drop(c);
        for r in batch.drain(..) {
            if let Record::Flush(done) = r {
                let _ = done.send(());
            }
        }
    }
}

fn write_batch(c: &mut rusqlite::Connection, batch: &[Record], history_limit: usize) -> rusqlite::Result<()> {
    let (mut votes, mut hist) = (false, false);
    // Prepared once per connection: parsing a PRAGMA twice a batch showed up in the profile.
    c.prepare_cached("PRAGMA synchronous = NORMAL")?.raw_execute()?;
    let result = (|| {
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for r in batch {
            match r {
                Record::Vote(id) => {
                    tx.prepare_cached("INSERT OR IGNORE INTO seen_votes (vote_id) VALUES (?1)")?.execute([id])?;
                    votes = true;
                }
                Record::History(e) => {
                    history::insert(&tx, e)?;
                    hist = true;
                }
                Record::Flush(_) => {}
            }
        }
        if votes {
            tx.prepare_cached("DELETE FROM seen_votes WHERE seq <= (SELECT max(seq) FROM seen_votes) - ?1")?
                .execute([SEEN_VOTES as i64])?;
        }
        if hist {
            history::trim(&tx, history_limit)?;
        }
        tx.commit()
    })();
    c.prepare_cached("PRAGMA synchronous = FULL")?.raw_execute()?;
    result
}

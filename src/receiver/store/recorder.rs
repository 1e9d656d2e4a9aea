//! The store's recorder thread: seen vote ids and history rows, written after the fact in batches.
//!
//! One transaction per batch at `synchronous=NORMAL` (see the store's module comment for why);
//! a failed batch is dropped, never retried, because the answers already went out.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver as Rx, SyncSender};

use rusqlite::TransactionBehavior;

use super::SEEN_VOTES;
use super::history;
use crate::receiver::record::Record;

/// What the recorder is handed.
pub(super) enum Queued {
    Vote(String),
    History(Box<Record>),
    Flush(SyncSender<()>),
}

/// Writes queued records in batches, one transaction each, until the store closes.
pub(super) fn record_loop(db: &Mutex<rusqlite::Connection>, rx: &Rx<Queued>, history_limit: usize) {
    let mut batch = Vec::new();
    while let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < 1024 {
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
            if let Queued::Flush(done) = r {
                let _ = done.send(());
            }
        }
    }
}

fn write_batch(c: &mut rusqlite::Connection, batch: &[Queued], history_limit: usize) -> rusqlite::Result<()> {
    let (mut votes, mut hist) = (false, false);
    c.pragma_update(None, "synchronous", "NORMAL")?;
    let result = (|| {
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for r in batch {
            match r {
                Queued::Vote(id) => {
                    tx.prepare_cached("INSERT OR IGNORE INTO seen_votes (vote_id) VALUES (?1)")?.execute([id])?;
                    votes = true;
                }
                Queued::History(e) => {
                    history::insert(&tx, e)?;
                    hist = true;
                }
                Queued::Flush(_) => {}
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
    c.pragma_update(None, "synchronous", "FULL")?;
    result
}

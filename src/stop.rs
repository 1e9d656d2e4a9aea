//! One cancellation for a run: set once, with the reason, by whoever stops it (the CLI's signal
//! listener, `cli/interrupt.rs`), and seen by everything that waits or loops: `serve` and the
//! `--inspect` holds block in [`Stop::wait`], the receiver's accept loops, connections and event
//! streams and load mode's tasks `select!` on [`Stop::stopped`], retry waits sleep in
//! [`Stop::sleep`], and the conformance runner asks [`Stop::is_stopped`] between steps. A part
//! that must also stop on its own (a receiver being shut down) holds a [`Stop::child`]: stopped
//! with its parent, or alone. Nothing here knows about signals or exit codes; a [`Reason`] is all
//! a caller needs to pick one.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

use tokio::sync::watch;

/// Why the run was asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The user interrupted it (Ctrl-C, SIGINT).
    Interrupted,
    /// Something asked it to end normally (SIGTERM: a service manager's stop).
    Terminated,
}

impl Reason {
    fn code(self) -> u8 {
        match self {
            Reason::Interrupted => 1,
            Reason::Terminated => 2,
        }
    }

    fn from_code(code: u8) -> Option<Reason> {
        match code {
            1 => Some(Reason::Interrupted),
            2 => Some(Reason::Terminated),
            _ => None,
        }
    }
}

/// A cheap, cloneable handle on one cancellation; every clone sees the same state.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    inner: Arc<Inner>,
}

/// The state once, and the ways to be woken by it: a condition variable for threads that block,
/// a watch channel for tasks that await, the children to pass it on to. [`Stop::cancel`] is the
/// only writer of all of them.
#[derive(Debug)]
struct Inner {
    /// The reason, written under `reason`'s lock, so `is_stopped` (asked on every request the
    /// receiver answers) takes no lock.
    code: AtomicU8,
    reason: Mutex<Option<Reason>>,
    blocked: Condvar,
    awaited: watch::Sender<Option<Reason>>,
    children: Mutex<Vec<Weak<Inner>>>,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            code: AtomicU8::new(0),
            reason: Mutex::new(None),
            blocked: Condvar::new(),
            awaited: watch::Sender::new(None),
            children: Mutex::default(),
        }
    }
}

impl Stop {
    /// A cancellation not yet requested.
    pub fn new() -> Self {
        Self::default()
    }

    /// A cancellation of its own that this one's also sets (with its reason): cancelling the
    /// child leaves the parent alone. Stopped already when the parent is.
    pub fn child(&self) -> Stop {
        let child = Stop::new();
        let mut children = self.inner.children.lock().unwrap_or_else(|p| p.into_inner());
        // Read under `children`'s lock: a cancel after this point finds the child in the list.
        match *self.inner.reason.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(r) => {
                child.cancel(r);
            }
            None => {
                children.retain(|c| c.strong_count() > 0);
                children.push(Arc::downgrade(&child.inner));
            }
        }
        child
    }

    /// Requests the stop, and of every child. The first reason stays; returns whether this call
    /// was the first.
    pub fn cancel(&self, reason: Reason) -> bool {
        let mut current = self.inner.reason.lock().unwrap_or_else(|p| p.into_inner());
        if current.is_some() {
            return false;
        }
        *current = Some(reason);
        self.inner.code.store(reason.code(), Ordering::Release);
        drop(current);
        self.inner.blocked.notify_all();
        self.inner.awaited.send_replace(Some(reason));
        let children = std::mem::take(&mut *self.inner.children.lock().unwrap_or_else(|p| p.into_inner()));
        for inner in children.iter().filter_map(Weak::upgrade) {
            Stop { inner }.cancel(reason);
        }
        true
    }

    /// The reason, once stopped.
    pub fn reason(&self) -> Option<Reason> {
        Reason::from_code(self.inner.code.load(Ordering::Acquire))
    }

    /// Whether a stop was requested.
    pub fn is_stopped(&self) -> bool {
        self.reason().is_some()
    }

    /// Blocks this thread until stopped.
    pub fn wait(&self) -> Reason {
        let mut current = self.inner.reason.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(r) = *current {
                return r;
            }
            current = self.inner.blocked.wait(current).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Blocks this thread for `d`, or less if stopped meanwhile; returns whether it was stopped.
    pub fn sleep(&self, d: Duration) -> bool {
        let current = self.inner.reason.lock().unwrap_or_else(|p| p.into_inner());
        let (current, _) =
            self.inner.blocked.wait_timeout_while(current, d, |r| r.is_none()).unwrap_or_else(|p| p.into_inner());
        current.is_some()
    }

    /// Resolves once stopped, at once if it is already (for tasks on a runtime; never blocks a
    /// worker).
    pub async fn stopped(&self) -> Reason {
        let mut rx = self.inner.awaited.subscribe();
        let r = match rx.wait_for(Option::is_some).await {
            Ok(r) => *r,
            // The sender lives in `self`, so it cannot be gone while this is awaited.
            Err(_) => None,
        };
        r.unwrap_or(Reason::Interrupted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_reason_stays_and_every_clone_sees_it() {
        let stop = Stop::new();
        let other = stop.clone();
        assert!(!other.is_stopped());
        assert!(stop.cancel(Reason::Terminated));
        assert!(!other.cancel(Reason::Interrupted), "a second request changes nothing");
        assert_eq!(other.reason(), Some(Reason::Terminated));
        assert_eq!(other.wait(), Reason::Terminated);
        assert!(other.sleep(Duration::from_secs(60)), "a stopped sleep returns at once");
    }

    #[test]
    fn waiting_threads_and_tasks_are_woken() {
        let stop = Stop::new();
        let (blocked, awaited) = (stop.clone(), stop.clone());
        let thread = std::thread::spawn(move || blocked.wait());
        let sleeper = {
            let s = stop.clone();
            std::thread::spawn(move || s.sleep(Duration::from_secs(60)))
        };
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let task = rt.spawn(async move { awaited.stopped().await });
        stop.cancel(Reason::Interrupted);
        assert_eq!(thread.join().unwrap(), Reason::Interrupted);
        assert!(sleeper.join().unwrap());
        assert_eq!(rt.block_on(task).unwrap(), Reason::Interrupted);
    }

    #[test]
    fn a_child_stops_with_its_parent_and_alone() {
        let parent = Stop::new();
        let alone = parent.child();
        let follows = parent.child();
        assert!(alone.cancel(Reason::Terminated));
        assert!(!parent.is_stopped(), "a child's stop is its own");
        parent.cancel(Reason::Interrupted);
        assert_eq!(follows.reason(), Some(Reason::Interrupted), "the parent's stop reaches its children");
        assert_eq!(alone.reason(), Some(Reason::Terminated), "the first reason stays");
        assert_eq!(parent.child().reason(), Some(Reason::Interrupted), "born stopped after the parent was");
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        assert_eq!(rt.block_on(follows.stopped()), Reason::Interrupted);
    }
}

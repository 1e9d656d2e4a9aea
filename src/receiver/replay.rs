//! Refusing a replayed state change: a captured `integration.create` sent again verbatim after its
//! delete would bring the connection back, and its signature is still valid within the window.
//! Top.gg's own retries carry a fresh `t` and signature (protocol.md §5), so an exact `(t, v1)`
//! seen again for `integration.create` or `integration.delete` is a replay, refused with 409
//! `replayed-signature`. Pairs are kept while their `t` is inside the replay window (and at most
//! [`MAX_PAIRS`] of them), in memory, and in the store with the change they made, so a restart
//! does not forget them (a create replayed after its delete and a quick restart is still refused).

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

/// The most `(t, v1)` pairs remembered, whatever the window.
pub const MAX_PAIRS: usize = 100_000;

/// The `(t, v1)` pairs of state changes accepted recently.
#[derive(Debug, Default)]
pub struct ReplayGuard {
    inner: Mutex<Pairs>,
}

#[derive(Debug, Default)]
struct Pairs {
    seen: HashSet<(i64, [u8; 32])>,
    order: VecDeque<(i64, [u8; 32])>,
}

impl ReplayGuard {
    /// Claims `(t, v1)` for a state change about to be made: false when it was claimed before
    /// (a replay). `tolerance` 0 (no window) keeps pairs until [`MAX_PAIRS`] push them out.
    pub fn claim(&self, t: i64, v1: [u8; 32], now: i64, tolerance: u64) -> bool {
        let mut p = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        // Pairs whose t is out of the window would be refused by the timestamp check anyway.
        while let Some(&(old, _)) = p.order.front() {
            let expired = tolerance > 0 && i128::from(now) - i128::from(old) > i128::from(tolerance);
            if !(expired || p.order.len() >= MAX_PAIRS) {
                break;
            }
            let gone = p.order.pop_front();
            if let Some(gone) = gone {
                p.seen.remove(&gone);
            }
        }
        if !p.seen.insert((t, v1)) {
            return false;
        }
        p.order.push_back((t, v1));
        true
    }

    /// Gives a claim back: the change was not made (the store failed), so the same request may
    /// come again.
    pub fn release(&self, t: i64, v1: [u8; 32]) {
        let mut p = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if p.seen.remove(&(t, v1)) {
            p.order.retain(|x| *x != (t, v1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exact_pair_is_claimed_once_within_the_window() {
        let g = ReplayGuard::default();
        assert!(g.claim(100, [1; 32], 100, 30));
        assert!(!g.claim(100, [1; 32], 110, 30), "the same (t, v1) again is a replay");
        assert!(g.claim(101, [1; 32], 110, 30), "a fresh t is not");
        assert!(g.claim(100, [2; 32], 110, 30), "nor another signature");
        g.release(101, [1; 32]);
        assert!(g.claim(101, [1; 32], 110, 30), "a released claim can be made again");
        // Once out of the window the pair is forgotten (the timestamp check refuses it anyway).
        assert!(g.claim(200, [9; 32], 200, 30));
        assert!(g.claim(100, [1; 32], 200, 30));
    }
}

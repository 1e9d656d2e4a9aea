//! Reading a request body under the receiver's limits: the byte cap (413), the deadline (408),
//! broken framing (400) and the memory budget that all large bodies share (503). Nothing here
//! knows a route or builds an answer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;

/// Why a body could not be read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Over the cap (413).
    TooLarge,
    /// The deadline passed with this many bytes read (408).
    Timeout(usize),
    /// The client closed the connection after this many bytes (400).
    Closed(usize),
    /// The framing was wrong (400): a malformed chunk, a bad trailer.
    Malformed,
    /// A large body that does not fit in the [`BodyBudget`] now (503).
    Busy,
}

/// Bodies up to this size are read without touching the [`BodyBudget`]: a delivery is a few
/// KB, so an attacker holding the budget with big bodies cannot make real deliveries wait.
pub const SMALL_BODY: usize = 64 * 1024;
/// The most bytes of large bodies held in memory at once, unless configured otherwise.
pub const DEFAULT_BODY_BUDGET: usize = 256 * 1024 * 1024;

/// The memory all connections together may hold in large bodies: 10,000 connections each
/// sending 2 MiB would otherwise hold 20 GB.
#[derive(Debug)]
pub struct BodyBudget {
    left: AtomicUsize,
}

impl BodyBudget {
    /// A budget of `bytes`.
    pub fn new(bytes: usize) -> BodyBudget {
        BodyBudget { left: AtomicUsize::new(bytes) }
    }

    fn take(&self, n: usize) -> bool {
        self.left.fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| left.checked_sub(n)).is_ok()
    }
}

/// Bytes of one body held against the [`BodyBudget`], given back when dropped (after the request
/// is handled, when its body is no longer held).
#[derive(Debug)]
pub struct Held<'a> {
    budget: &'a BodyBudget,
    bytes: usize,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.budget.left.fetch_add(self.bytes, Ordering::AcqRel);
    }
}

/// Reads a whole body, refusing it as soon as it passes `cap` bytes or `deadline` passes, or
/// when a large one does not fit in the budget (reserved up front when `declared`).
/// Trailers are read (so their framing is checked) and dropped.
pub async fn read_body<'a>(
    mut body: Incoming,
    cap: usize,
    deadline: Instant,
    budget: &'a BodyBudget,
    declared: Option<u64>,
) -> Result<(Bytes, Held<'a>), BodyError> {
    let mut held = Held { budget, bytes: 0 };
    if let Some(n) = declared.map(|n| n as usize).filter(|&n| n > SMALL_BODY) {
        if !budget.take(n) {
            return Err(BodyError::Busy);
        }
        held.bytes = n;
    }
    let mut out = bytes::BytesMut::new();
    loop {
        let frame = match tokio::time::timeout_at(deadline.into(), body.frame()).await {
            Err(_) => return Err(BodyError::Timeout(out.len())),
            Ok(None) => return Ok((out.freeze(), held)),
            Ok(Some(Err(e))) if e.is_incomplete_message() => return Err(BodyError::Closed(out.len())),
            Ok(Some(Err(_))) => return Err(BodyError::Malformed),
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            let total = out.len().saturating_add(data.len());
            if total > cap {
                return Err(BodyError::TooLarge);
            }
            if total > SMALL_BODY && total > held.bytes {
                if !budget.take(total - held.bytes) {
                    return Err(BodyError::Busy);
                }
                held.bytes = total;
            }
            if out.is_empty() && body_is_done(&body) {
                // One frame is the whole body (the usual Content-Length case): no copy.
                return Ok((data, held));
            }
            out.extend_from_slice(&data);
        }
    }
}

fn body_is_done(body: &Incoming) -> bool {
    hyper::body::Body::is_end_stream(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_budget_is_given_back() {
        let b = BodyBudget::new(10);
        assert!(b.take(6));
        let held = Held { budget: &b, bytes: 6 };
        assert!(!b.take(6), "only 4 left");
        drop(held);
        assert!(b.take(10));
    }
}

//! `rejects-verbatim-replay`: a delivery accepted just inside the window, sent again byte for
//! byte once it is outside (see the module documentation of [`super`]).

use std::time::Duration;

use serde_json::json;

use super::body::{encode_body, vote_value};
use super::cases::Verdict;
use super::http::{Answer, SendFailure};
use super::runner::{Headers, Outcome, Runner, describe, outcome};
use crate::protocol::signature::DEFAULT_TOLERANCE_SECS;
use crate::protocol::time::now_unix;

impl Runner<'_, '_> {
    /// Sends the replay case's original delivery, signed just inside the window so that it can be
    /// sent again byte for byte once outside it, a second or two later, without waiting 30 s.
    pub(super) fn replay_original(&mut self) -> Replay {
        let t = now_unix() - (DEFAULT_TOLERANCE_SECS as i64 - 1);
        if let Err(skip) = self.webhook() {
            return Replay { t, headers: Vec::new(), body: Vec::new(), first: Err(skip) };
        }
        let body = encode_body(&vote_value());
        let headers = self.signed(&self.webhook_secret.clone(), t, &body);
        let first = self.deliver("rejects-verbatim-replay", &headers, body.clone());
        Replay { t, headers, body, first: Ok(first) }
    }

    pub(super) fn replay_again(&mut self, original: Replay) -> Outcome {
        let first = match original.first {
            Err(skip) => return skip,
            Ok(Ok(a)) if a.is_success() => a,
            Ok(first) => {
                let detail = format!(
                    "inconclusive: the original, signed {} s ago, was not accepted ({}); the receiver's window \
                     may be under {DEFAULT_TOLERANCE_SECS} s or its clock off from this machine's",
                    DEFAULT_TOLERANCE_SECS - 1,
                    describe(&first)
                );
                return outcome(Verdict::Skip, detail);
            }
        };
        // Outside the window by a whole second, so `> window` and `>= window` receivers agree.
        let due = original.t + DEFAULT_TOLERANCE_SECS as i64 + 1;
        let left = i128::from(due) * 1_000_000_000 - crate::protocol::time::now_unix_nanos();
        // The wait is up to half a minute: a stop ends it at once.
        if self.stop_requested() || (left > 0 && self.pause(Duration::from_nanos(left as u64))) {
            return self.not_run_stopped();
        }
        let result = self.deliver("rejects-verbatim-replay", &original.headers, original.body);
        let age = now_unix() - original.t;
        let (verdict, detail, mut facts) = self.judge_rejection("rejects-verbatim-replay", result, Ok(()));
        facts.insert("original".into(), json!(first.status));
        let detail = match verdict {
            Verdict::Fail if detail.starts_with("accepted") => format!(
                "the original was accepted with {}, and the same bytes again {age} s after t were {detail}: \
                 check the timestamp before any duplicate short-cut",
                first.status
            ),
            _ => format!("original accepted with {}; the same bytes {age} s after t: {detail}", first.status),
        };
        (verdict, detail, facts)
    }
}

/// The replay case's original delivery, kept to be sent again later.
pub(super) struct Replay {
    t: i64,
    headers: Headers,
    body: Vec<u8>,
    first: Result<Result<Answer, SendFailure>, Outcome>,
}

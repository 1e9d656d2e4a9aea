//! Whether the receiver is still answering. A receiver that crashes on one of the suite's requests
//! (the node SDK does on a malformed `v1`) turns every later case into "connection refused"; those
//! are not failures of their own. This tracker names the case after which the receiver stopped
//! answering, so the runner can report the rest as not run and fail `keeps-answering` instead.

use super::http::{FailureKind, SendFailure};

/// This many requests in a row without any answer (timeouts, closed connections) mean the
/// receiver hangs. One or two happen to correct receivers: the oversized body may be cut off.
const HANG_STREAK: usize = 3;

/// What the run has seen of the receiver's answers so far.
#[derive(Debug, Default)]
pub(super) struct Liveness {
    /// The last case that got an answer.
    last_answered: Option<&'static str>,
    /// The first request of the current run of requests without an answer: its case and whether
    /// it connected.
    streak_start: Option<(&'static str, bool)>,
    streak: usize,
    stopped_after: Option<&'static str>,
}

impl Liveness {
    /// Notes the outcome of one request sent during `case`.
    pub(super) fn note(&mut self, case: &'static str, result: Result<(), &SendFailure>) {
        let failure = match result {
            Ok(()) => {
                self.last_answered = Some(case);
                self.streak = 0;
                self.streak_start = None;
                return;
            }
            Err(f) => f,
        };
        let connected = failure.kind != FailureKind::Connect;
        self.streak += 1;
        let (first_case, first_connected) = *self.streak_start.get_or_insert((case, connected));
        if self.stopped_after.is_some() {
            return;
        }
        // Nothing to compare with before the first answer: that is an unreachable receiver, which
        // the handshake reports on its own.
        let Some(last_answered) = self.last_answered else { return };
        if !connected || self.streak >= HANG_STREAK {
            // A request that connected and then got nothing is the one the receiver died on; a
            // refused one means it was already gone after the last case it answered.
            self.stopped_after = Some(if first_connected { first_case } else { last_answered });
        }
    }

    /// The case after which the receiver stopped answering, once it has.
    pub(super) fn stopped_after(&self) -> Option<&'static str> {
        self.stopped_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn failure(kind: FailureKind) -> SendFailure {
        SendFailure { kind, message: String::new(), elapsed: Duration::ZERO }
    }

    #[test]
    fn a_crash_is_named_after_the_request_that_caused_it() {
        let mut l = Liveness::default();
        l.note("handshake", Ok(()));
        l.note("delivery", Ok(()));
        l.note("rejects-malformed-header", Err(&failure(FailureKind::Broken)));
        assert_eq!(l.stopped_after(), None);
        l.note("rejects-malformed-header", Err(&failure(FailureKind::Connect)));
        assert_eq!(l.stopped_after(), Some("rejects-malformed-header"));
        l.note("delete", Err(&failure(FailureKind::Connect)));
        assert_eq!(l.stopped_after(), Some("rejects-malformed-header"));
    }

    #[test]
    fn a_refusal_names_the_last_case_answered_and_single_misses_are_forgiven() {
        let mut l = Liveness::default();
        l.note("handshake", Err(&failure(FailureKind::Connect)));
        assert_eq!(l.stopped_after(), None, "never answered: unreachable, not stopped");
        l.note("handshake", Ok(()));
        l.note("rejects-oversized-body", Err(&failure(FailureKind::Broken)));
        l.note("idempotent-retry", Ok(()));
        l.note("slow-head", Err(&failure(FailureKind::Timeout)));
        l.note("slow-body", Ok(()));
        assert_eq!(l.stopped_after(), None);
        l.note("trace-header", Err(&failure(FailureKind::Connect)));
        assert_eq!(l.stopped_after(), Some("slow-body"));
    }

    #[test]
    fn three_requests_in_a_row_without_an_answer_are_a_hang() {
        let mut l = Liveness::default();
        l.note("delivery", Ok(()));
        for case in ["a", "b", "c"] {
            l.note(case, Err(&failure(FailureKind::Timeout)));
        }
        assert_eq!(l.stopped_after(), Some("a"));
    }
}

//! One delivery the way Top.gg makes it (protocol.md §5): exact bytes, exact headers, a 5 s timeout
//! per attempt, and retries after a timeout or 5xx with a fresh `t` over the same body and trace.
//!
//! Two layers, so `simulate` and `check` share them: [`Client::send`] (in [`super::client`]) is one
//! attempt, and [`deliver`] is the retry schedule on top of any [`Transport`], re-signing every
//! attempt through [`Auth`]. The schedule's one step is [`RetryPolicy::next_wait`], which load
//! mode ([`super::load`]) follows too. Nothing here prints; callers watch attempts through a
//! callback.

use std::time::{Duration, Instant};

pub use super::client::{
    AttemptError, Client, ClientOptions, DEFAULT_TIMEOUT, MAX_ANSWER, Request, Response, Transport, USER_AGENT,
};
pub use super::target::{Url, parse_url};

use crate::protocol::secret::Secret;
use crate::protocol::signature::{SIGNATURE_HEADER, Signer, TRACE_HEADER};
use crate::protocol::time::now_unix;
use crate::stop::Stop;

/// Top.gg's number of retries after the first attempt.
pub const DEFAULT_RETRIES: u32 = 3;
/// Top.gg's delays before each retry (the "Webhooks" page; the other page says up to ~8 s).
pub const DEFAULT_RETRY_DELAYS: [Duration; 3] =
    [Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(4)];

/// How each attempt authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// v1: `x-topgg-signature` over the exact body, with a fresh `t` per attempt. With `timestamp`,
    /// the first attempt is signed at that time and retries move on from it by the time elapsed.
    Signed {
        /// The keyed secret.
        signer: Signer,
        /// Sign as if the clock read this at the first attempt.
        timestamp: Option<i64>,
    },
    /// v0: `Authorization: <secret>` verbatim, no signature.
    Legacy(Secret),
    /// Send these headers as they are, on every attempt (a verbatim replay keeps its old signature).
    Verbatim(Vec<(String, String)>),
}

/// What to deliver: one body to one URL, with one trace id kept across retries.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Where to POST.
    pub url: Url,
    /// The exact bytes.
    pub body: Vec<u8>,
    /// `x-topgg-trace`, the same on every attempt (not sent with [`Auth::Verbatim`], whose headers
    /// are taken as they are).
    pub trace: String,
    /// How attempts authenticate.
    pub auth: Auth,
    /// Headers added to every attempt (`--header`), each replacing a header of the same name.
    pub extra_headers: Vec<(String, String)>,
}

impl Delivery {
    /// The request for an attempt signed at `t`: headers exactly as protocol.md §3 lists them.
    pub fn request_at(&self, t: i64) -> Request {
        let mut headers: Vec<(String, String)> = Vec::with_capacity(4);
        match &self.auth {
            Auth::Signed { signer, .. } => {
                headers.push(("Content-Type".into(), "application/json".into()));
                headers.push(("User-Agent".into(), USER_AGENT.into()));
                headers.push((SIGNATURE_HEADER.into(), signer.sign(t, &self.body)));
                headers.push((TRACE_HEADER.into(), self.trace.clone()));
            }
            Auth::Legacy(secret) => {
                headers.push(("Content-Type".into(), "application/json".into()));
                headers.push(("User-Agent".into(), USER_AGENT.into()));
                headers.push(("Authorization".into(), secret.expose().into()));
            }
            Auth::Verbatim(h) => headers.extend(h.iter().cloned()),
        }
        for (name, value) in &self.extra_headers {
            match headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                Some(slot) => slot.1 = value.clone(),
                None => headers.push((name.clone(), value.clone())),
            }
        }
        Request { method: "POST".into(), url: self.url.clone(), headers, body: self.body.clone() }
    }

    /// The `t` of the first attempt: the fixed timestamp if given, else now.
    pub fn first_timestamp(&self) -> i64 {
        self.fixed_timestamp().unwrap_or_else(now_unix)
    }

    /// The `t` the first attempt is signed at when `--timestamp` fixed it.
    pub fn fixed_timestamp(&self) -> Option<i64> {
        match &self.auth {
            Auth::Signed { timestamp: Some(t), .. } => Some(*t),
            _ => None,
        }
    }
}

/// Top.gg's retry schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// Delay before retry 1, 2, …; the last one repeats if there are more retries than delays.
    pub delays: Vec<Duration>,
    /// Also retry after a 4xx.
    pub retry_on_4xx: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { retries: DEFAULT_RETRIES, delays: DEFAULT_RETRY_DELAYS.to_vec(), retry_on_4xx: false }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy { retries: 0, delays: Vec::new(), retry_on_4xx: false }
    }

    /// The wait before retry `n` (1-based).
    pub fn delay(&self, n: u32) -> Duration {
        let i = (n as usize).saturating_sub(1);
        self.delays.get(i).or(self.delays.last()).copied().unwrap_or_default()
    }

    /// The one step of the schedule, for a single delivery ([`deliver`]) and load mode alike:
    /// after attempt `number` (1 for the first) ended with `result`, the wait before the next
    /// attempt, or `None` when the delivery is over.
    pub fn next_wait(&self, number: u32, result: &Result<Response, AttemptError>) -> Option<Duration> {
        (number <= self.retries && self.wants_retry(result)).then(|| self.delay(number))
    }

    /// Whether this result calls for another attempt: a timeout, a failed connection, a 5xx, and a
    /// 4xx only when asked.
    pub fn wants_retry(&self, result: &Result<Response, AttemptError>) -> bool {
        match result {
            Ok(r) => r.status >= 500 || (self.retry_on_4xx && (400..500).contains(&r.status)),
            // A TLS failure is the same on every attempt: the certificate will not change in 7 s.
            Err(AttemptError::Other(_) | AttemptError::Tls { .. }) => false,
            Err(_) => true,
        }
    }
}

/// One attempt of a delivery.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// 1 for the first attempt.
    pub number: u32,
    /// The delay waited before it (zero for the first).
    pub waited: Duration,
    /// The `t` it was signed with (v1 only).
    pub timestamp: Option<i64>,
    /// The headers sent.
    pub headers: Vec<(String, String)>,
    /// The answer, or why there was none.
    pub result: Result<Response, AttemptError>,
}

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A 2xx.
    Acknowledged,
    /// The last attempt got an answer that is not a 2xx.
    Rejected,
    /// The last attempt got no answer (connect failure, timeout, TLS).
    Unreachable,
}

/// Every attempt of one delivery.
#[derive(Debug, Clone)]
pub struct Report {
    /// The URL delivered to.
    pub url: Url,
    /// The trace id every attempt carried.
    pub trace: String,
    /// The body every attempt carried.
    pub body: Vec<u8>,
    /// The attempts, in order (at least one).
    pub attempts: Vec<Attempt>,
    /// From the first attempt to the end of the last one, waits included.
    pub elapsed: Duration,
}

impl Report {
    /// The last attempt.
    pub fn last(&self) -> &Attempt {
        // deliver always makes at least one attempt.
        &self.attempts[self.attempts.len() - 1]
    }

    /// The verdict of the last attempt.
    pub fn verdict(&self) -> Verdict {
        match &self.last().result {
            Ok(r) if r.is_success() => Verdict::Acknowledged,
            Ok(_) => Verdict::Rejected,
            Err(_) => Verdict::Unreachable,
        }
    }

    /// The last answer, if there was one.
    pub fn response(&self) -> Option<&Response> {
        self.last().result.as_ref().ok()
    }
}

/// Delivers with retries: attempt, and after a timeout, failed connection or 5xx (or 4xx, when the
/// policy says) wait and try again, re-signing with a fresh `t` over the same body and trace.
/// `on_attempt` sees each attempt as it ends. Once `stop` is stopped no retry is made, and a wait
/// for one ends at once; the attempt in flight finishes.
pub fn deliver(
    transport: &mut dyn Transport,
    delivery: &Delivery,
    policy: &RetryPolicy,
    on_attempt: &mut dyn FnMut(&Attempt),
    stop: &Stop,
) -> Report {
    deliver_until(transport, delivery, policy, on_attempt, stop, &|| false)
}

/// [`deliver`], whose retries also end once `give_up` says so (load mode's rule for a target that
/// refuses every connection).
pub fn deliver_until(
    transport: &mut dyn Transport,
    delivery: &Delivery,
    policy: &RetryPolicy,
    on_attempt: &mut dyn FnMut(&Attempt),
    stop: &Stop,
    give_up: &dyn Fn() -> bool,
) -> Report {
    let started = Instant::now();
    let first_t = delivery.first_timestamp();
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut waited = Duration::ZERO;
    loop {
        let number = attempts.len() as u32 + 1;
        let t = first_t + started.elapsed().as_secs() as i64;
        let req = delivery.request_at(t);
        let result = transport.send(&req);
        let timestamp = matches!(delivery.auth, Auth::Signed { .. }).then_some(t);
        let attempt = Attempt { number, waited, timestamp, headers: req.headers, result };
        on_attempt(&attempt);
        let next = policy.next_wait(number, &attempt.result);
        attempts.push(attempt);
        let Some(wait) = next.filter(|_| !stop.is_stopped() && !give_up()) else { break };
        waited = wait;
        if stop.sleep(wait) {
            break;
        }
    }
    Report {
        url: delivery.url.clone(),
        trace: delivery.trace.clone(),
        body: delivery.body.clone(),
        attempts,
        elapsed: started.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_repeat_the_last() {
        let p = RetryPolicy {
            retries: 5,
            delays: vec![Duration::from_millis(1), Duration::from_millis(2)],
            ..RetryPolicy::none()
        };
        assert_eq!(p.delay(1), Duration::from_millis(1));
        assert_eq!(p.delay(2), Duration::from_millis(2));
        assert_eq!(p.delay(5), Duration::from_millis(2));
        assert_eq!(RetryPolicy::none().delay(1), Duration::ZERO);
    }

    #[test]
    fn retries_on_5xx_and_timeouts_not_4xx() {
        let ok =
            |status| Ok(Response { status, headers: vec![], body: vec![], truncated: false, latency: Duration::ZERO });
        let p = RetryPolicy::default();
        assert!(p.wants_retry(&ok(503)));
        assert!(!p.wants_retry(&ok(401)));
        assert!(!p.wants_retry(&ok(204)));
        assert!(p.wants_retry(&Err(AttemptError::Timeout { after: DEFAULT_TIMEOUT, target: "x".into() })));
        assert!(RetryPolicy { retry_on_4xx: true, ..p }.wants_retry(&ok(401)));
    }
}

//! The runner: one connection made by the handshake, the cases run in order against it, each
//! result recorded, and the connection deleted at the end whatever failed. The cases themselves
//! live in the sibling files, one per family, as methods on [`Runner`].

use crate::stop::{Reason, Stop};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::Config;
use super::body::{encode_body, event_value, vote_value};
use super::cases::{CASES, CaseResult, Report, Verdict, find_case};
use super::http::{Answer, FailureKind, SendFailure, Sender};
use super::liveness::Liveness;
use crate::error::Result;
use crate::protocol::ANSWERED_BY_HEADER;
use crate::protocol::generate;
use crate::protocol::payload::Event;
use crate::protocol::secret::{Secret, WEBHOOK_SECRET_PREFIX};
use crate::protocol::signature::{SIGNATURE_HEADER, TRACE_HEADER, sign};
use crate::protocol::time::{format_duration, now_unix};

pub(super) fn connection_id_of(create: &Event) -> String {
    match create {
        Event::IntegrationCreate(c) => c.connection_id.clone(),
        _ => String::new(),
    }
}

/// Runs the selected cases against `config.config_url`. Returns an error only when the HTTP
/// client cannot be set up; an unreachable receiver is a report with `unreachable` set.
pub fn run(config: &Config) -> Result<Report> {
    run_with_progress(config, &mut |_| {})
}

/// [`run`], calling `progress` with each result as its case finishes (in run order, which is
/// [`CASES`] order but for `rejects-verbatim-replay`).
pub fn run_with_progress(config: &Config, progress: &mut dyn FnMut(&CaseResult)) -> Result<Report> {
    let started = Instant::now();
    let sender = Sender::new(config.timeout, config.insecure, config.no_proxy)?;
    let (create, mut webhook_secret) = generate::integration_create()?;
    let mut connection_id = connection_id_of(&create);
    let mut webhook_url = Err("the handshake did not run".into());
    let mut left_out = Vec::new();
    if let Some(plain) = &config.webhook {
        webhook_secret = plain.secret.clone();
        webhook_url = Ok(plain.url.clone());
        connection_id.clear();
        left_out = config.selection.integration_only();
    }
    let mut run = Runner {
        cfg: config,
        http: sender,
        results: Vec::new(),
        exchanges: Vec::new(),
        rejections: Map::new(),
        connection_id,
        webhook_secret,
        webhook_url,
        create_accepted: false,
        vote_accepted: false,
        vote_refusal: None,
        unreachable: None,
        server_header: None,
        current: "handshake",
        liveness: Liveness::default(),
        on_result: progress,
    };
    run.all(create);
    let stopped = run.cfg.stop.as_ref().and_then(Stop::reason);
    let mut results = std::mem::take(&mut run.results);
    results.sort_by_key(|r| CASES.iter().position(|c| c.name == r.case.name));
    Ok(Report {
        config_url: config.webhook.as_ref().map_or_else(|| config.config_url.clone(), |w| w.url.clone()),
        plain_webhook: config.webhook.is_some(),
        left_out,
        results,
        unreachable: run.unreachable,
        interrupted: stopped == Some(Reason::Interrupted),
        terminated: stopped == Some(Reason::Terminated),
        stopped_after: run.liveness.stopped_after(),
        duration: started.elapsed(),
    })
}

/// Cases that send nothing: they are computed from what the others saw, and still run after the
/// receiver stopped answering.
const COMPUTED: [&str; 6] =
    ["not-v0-only", "keeps-answering", "fast", "rejection-statuses", "latency", "server-header"];

/// Cases run whatever `--only` selected whose failure is reported even when not selected.
const ALWAYS_REPORTED_FAILURES: [&str; 3] = ["handshake", "delete", "keeps-answering"];

fn not_running(after: &str) -> Outcome {
    outcome(Verdict::Skip, format!("not run: the receiver stopped answering after {after}"))
}

/// One request's outcome, kept for `fast`, `latency` and `rejection-statuses`.
pub(super) struct Exchange {
    pub(super) label: &'static str,
    pub(super) latency: Option<Duration>,
}

pub(super) type Headers = Vec<(&'static str, String)>;

pub(super) struct Runner<'a, 'p> {
    pub(super) cfg: &'a Config,
    pub(super) http: Sender,
    pub(super) results: Vec<CaseResult>,
    pub(super) exchanges: Vec<Exchange>,
    pub(super) rejections: Map<String, Value>,
    pub(super) connection_id: String,
    pub(super) webhook_secret: Secret,
    /// The webhook URL, or why there is none.
    pub(super) webhook_url: Result<String, String>,
    /// The config URL answered the valid integration.create with 2xx.
    pub(super) create_accepted: bool,
    /// A correctly signed vote.create was acknowledged: refusals of bad ones mean something.
    pub(super) vote_accepted: bool,
    /// The answer that refused the correctly signed vote.create of `delivery`, if one did.
    pub(super) vote_refusal: Option<Answer>,
    pub(super) unreachable: Option<String>,
    pub(super) server_header: Option<String>,
    /// The case being run, for [`Liveness`].
    pub(super) current: &'static str,
    pub(super) liveness: Liveness,
    on_result: &'p mut dyn FnMut(&CaseResult),
}

/// A case's verdict, detail and facts.
pub(super) type Outcome = (Verdict, String, Map<String, Value>);

pub(super) fn outcome(verdict: Verdict, detail: impl Into<String>) -> Outcome {
    (verdict, detail.into(), Map::new())
}

impl Runner<'_, '_> {
    pub(super) fn all(&mut self, create: Event) {
        let plain_webhook = self.cfg.webhook.is_some();
        if !plain_webhook {
            self.timed("handshake", true, |r| r.handshake(&create));
            if self.skip_all_after("handshake", "the config URL") {
                return;
            }
            self.case("config-rejects-bad-signature", Self::config_rejects_bad_signature);
        }
        self.timed("delivery", true, Self::delivery);
        if plain_webhook && self.skip_all_after("delivery", "the webhook URL") {
            return;
        }
        self.case("not-v0-only", Self::not_v0_only);
        let replay = if self.selected("rejects-verbatim-replay") {
            self.current = "rejects-verbatim-replay";
            Some(self.replay_original())
        } else {
            None
        };
        self.rejection_case("rejects-bad-signature", |r, _| {
            let forged = hex::encode(generate::random_bytes::<32>());
            r.headers(Some(format!("t={},v1={forged}", now_unix())))
        });
        self.rejection_case("rejects-missing-signature", |r, _| r.headers(None));
        self.case("rejects-tampered-body", Self::tampered_body);
        self.rejection_case("rejects-wrong-secret", |r, body| {
            r.headers(Some(sign(&generate::wrong_secret(), now_unix(), body)))
        });
        self.case("rejects-unverified-unparseable", Self::unverified_unparseable);
        self.case("rejects-overlong-v1", Self::overlong_v1);
        self.rejection_case("rejects-stale-timestamp", |r, body| {
            r.headers(Some(sign(&r.webhook_secret, now_unix() - 600, body)))
        });
        self.rejection_case("rejects-future-timestamp", |r, body| {
            r.headers(Some(sign(&r.webhook_secret, now_unix() + 600, body)))
        });
        self.case("rejects-malformed-header", Self::malformed_header);
        self.case("rejects-oversized-body", Self::oversized_body);
        self.rejection_case("rejects-prefix-stripped-secret", |r, body| {
            r.headers(Some(sign(&without_prefix(&r.webhook_secret), now_unix(), body)))
        });
        self.case("idempotent-retry", Self::idempotent_retry);
        self.case("unknown-event-acknowledged", Self::unknown_event);
        self.case("trace-header", Self::trace_header);
        self.case("tolerates-unknown-fields", Self::unknown_fields);
        self.case("tolerates-missing-query", Self::missing_query);
        self.case("user-ids", Self::user_ids);
        self.case("slow-head", Self::slow_head);
        self.case("slow-body", Self::slow_body);
        self.case("distinguishes-v0-from-v1", Self::legacy_discrimination);
        if let Some(original) = replay {
            self.timed("rejects-verbatim-replay", false, |r| r.replay_again(original));
        }
        if !plain_webhook {
            self.timed("delete", true, Self::delete);
        }
        // Run whatever `--only` chose: a receiver that stopped answering fails the run, so the
        // reports must show the failure that the exit code stands for.
        self.timed("keeps-answering", true, |r| match r.liveness.stopped_after() {
            Some(after) => outcome(
                Verdict::Fail,
                format!("the receiver stopped answering after {after}; the cases after it were not run"),
            ),
            None => outcome(Verdict::Pass, format!("answered until the end ({} requests)", r.exchanges.len())),
        });
        self.case("fast", Self::fast);
        self.case("rejection-statuses", |r| {
            let detail = if r.rejections.is_empty() {
                "no rejection case ran".to_string()
            } else {
                r.rejections.iter().map(|(k, v)| format!("{k} {}", plain(v))).collect::<Vec<_>>().join(", ")
            };
            (Verdict::Info, detail, r.rejections.clone())
        });
        self.case("latency", Self::latency);
        self.case("server-header", |r| {
            let detail = r.server_header.clone().unwrap_or_else(|| "none".into());
            let mut facts = Map::new();
            facts.insert("server".into(), r.server_header.clone().map_or(Value::Null, Value::String));
            (Verdict::Info, detail, facts)
        });
    }

    /// When the target never answered: records every case but `first` as not run and says so.
    fn skip_all_after(&mut self, first: &str, target: &str) -> bool {
        let Some(reason) = self.unreachable.clone() else { return false };
        let skipped = format!("not run: {target} did not answer ({reason})");
        for c in CASES.iter().filter(|c| c.name != first) {
            self.record(c.name, outcome(Verdict::Skip, skipped.clone()), Duration::ZERO);
        }
        true
    }

    pub(super) fn stop_requested(&self) -> bool {
        self.cfg.stop.as_ref().is_some_and(Stop::is_stopped)
    }

    /// Why a case was not run after a stop.
    pub(super) fn not_run_stopped(&self) -> Outcome {
        let why = match self.cfg.stop.as_ref().and_then(Stop::reason) {
            Some(Reason::Terminated) => "not run: the run was stopped",
            _ => "not run: interrupted",
        };
        outcome(Verdict::Skip, why)
    }

    /// Waits `d`, or less if the run is stopped meanwhile; returns whether it was.
    pub(super) fn pause(&self, d: Duration) -> bool {
        match &self.cfg.stop {
            Some(stop) => stop.sleep(d),
            None => {
                std::thread::sleep(d);
                false
            }
        }
    }

    pub(super) fn selected(&self, name: &str) -> bool {
        self.cfg.selection.contains(name)
            && !(self.cfg.webhook.is_some() && super::cases::INTEGRATION_ONLY.contains(&name))
    }

    /// Runs a selected case and records its result.
    pub(super) fn case(&mut self, name: &'static str, f: impl FnOnce(&mut Self) -> Outcome) {
        self.timed(name, false, f);
    }

    /// Runs `f` when `name` is selected or `always` (setup and cleanup), and records the result
    /// only when selected.
    pub(super) fn timed(&mut self, name: &'static str, always: bool, f: impl FnOnce(&mut Self) -> Outcome) {
        if !always && !self.selected(name) {
            return;
        }
        if name != "delete" && self.stop_requested() {
            let skipped = self.not_run_stopped();
            self.record(name, skipped, Duration::ZERO);
            return;
        }
        let sends = !COMPUTED.contains(&name);
        if sends && let Some(after) = self.liveness.stopped_after() {
            // The connection is still deleted in case the receiver came back; anything else
            // would only be "connection refused" again.
            let result = if name == "delete" { self.delete() } else { not_running(after) };
            let result = if result.0 == Verdict::Pass { result } else { not_running(after) };
            self.record(name, result, Duration::ZERO);
            return;
        }
        self.current = name;
        let started = Instant::now();
        let mut result = f(self);
        if sends
            && let Some(after) = self.liveness.stopped_after()
            && after != name
        {
            // This case only found the receiver gone; the case it died on keeps its verdict.
            result = not_running(after);
        }
        self.record(name, result, started.elapsed());
    }

    /// Keeps a result when its case is selected, and also, whatever `--only` selected, a failure
    /// of the setup (`handshake`, `delete`) or of `keeps-answering`: each fails the run, and every
    /// output (table, JSON, JUnit) must count what the exit code counts. A plain webhook's run
    /// records no [`INTEGRATION_ONLY`] case: they are left out.
    ///
    /// [`INTEGRATION_ONLY`]: super::cases::INTEGRATION_ONLY
    pub(super) fn record(&mut self, name: &'static str, (verdict, detail, facts): Outcome, duration: Duration) {
        let Some(case) = find_case(name) else { return };
        let fails_the_run = verdict == Verdict::Fail && ALWAYS_REPORTED_FAILURES.contains(&name);
        if self.selected(name) || fails_the_run {
            let result = CaseResult { case, verdict, detail, facts, duration };
            (self.on_result)(&result);
            self.results.push(result);
        }
    }

    /// Sends one request and keeps its latency.
    pub(super) fn send(
        &mut self,
        label: &'static str,
        url: &str,
        headers: &Headers,
        body: Vec<u8>,
    ) -> Result<Answer, SendFailure> {
        let borrowed: Vec<(&str, String)> = headers.iter().map(|(n, v)| (*n, v.clone())).collect();
        let result = self.http.post(url, &borrowed, body);
        self.liveness.note(self.current, result.as_ref().map(|_| ()));
        self.exchanges.push(Exchange { label, latency: result.as_ref().ok().map(|a| a.latency) });
        result
    }

    /// Content-Type, the signature header when given, and a fresh trace id.
    pub(super) fn headers(&self, signature: Option<String>) -> Headers {
        let mut h = vec![("content-type", "application/json".to_string())];
        if let Some(sig) = signature {
            h.push((SIGNATURE_HEADER, sig));
        }
        h.push((TRACE_HEADER, generate::trace_id()));
        h
    }

    pub(super) fn signed(&self, secret: &Secret, t: i64, body: &[u8]) -> Headers {
        self.headers(Some(sign(secret, t, body)))
    }

    pub(super) fn config_post(
        &mut self,
        label: &'static str,
        secret: &Secret,
        event: &Event,
    ) -> Result<Answer, SendFailure> {
        let body = encode_body(&event_value(event));
        let headers = self.signed(secret, now_unix(), &body);
        let url = self.cfg.config_url.clone();
        self.send(label, &url, &headers, body)
    }

    /// The webhook URL, or a skip outcome saying why there is none.
    pub(super) fn webhook(&self) -> Result<String, Outcome> {
        self.webhook_url.clone().map_err(|why| outcome(Verdict::Skip, format!("no webhook URL: {why}")))
    }

    pub(super) fn deliver(
        &mut self,
        label: &'static str,
        headers: &Headers,
        body: Vec<u8>,
    ) -> Result<Answer, SendFailure> {
        match self.webhook_url.clone() {
            Ok(url) => self.send(label, &url, headers, body),
            Err(why) => Err(SendFailure { kind: FailureKind::Connect, message: why, elapsed: Duration::ZERO }),
        }
    }

    /// Why a refusal would prove nothing, if it would.
    pub(super) fn refusal_inconclusive(&self) -> Result<(), &'static str> {
        if self.vote_accepted { Ok(()) } else { Err("a correctly signed vote.create is refused too (see delivery)") }
    }

    /// Sends a fresh vote with the headers `make` builds for its body, and expects a 4xx.
    pub(super) fn rejection_case(&mut self, name: &'static str, make: impl FnOnce(&Self, &[u8]) -> Headers) {
        self.case(name, |r| {
            if let Err(skip) = r.webhook() {
                return skip;
            }
            let body = encode_body(&vote_value());
            let headers = make(r, &body);
            let result = r.deliver(name, &headers, body);
            let conclusive = r.refusal_inconclusive();
            r.judge_rejection(name, result, conclusive)
        });
    }

    /// A refusal case's verdict: 2xx fails; 4xx passes when conclusive; anything else fails.
    pub(super) fn judge_rejection(
        &mut self,
        name: &'static str,
        result: Result<Answer, SendFailure>,
        conclusive: Result<(), &str>,
    ) -> Outcome {
        let label = name.strip_prefix("rejects-").unwrap_or(name);
        self.rejections.insert(label.into(), result_fact(&result));
        let mut facts = Map::new();
        facts.insert("status".into(), result_fact(&result));
        let (verdict, detail) = match &result {
            // serve --forward-to refused it before the app saw it: nothing is known of the app.
            Ok(a) if !by_serve(a).is_empty() => (
                Verdict::Skip,
                format!("inconclusive: {}{}; check your app directly to judge this case", a.status, by_serve(a)),
            ),
            Ok(a) if a.is_success() => (Verdict::Fail, format!("accepted with {}{}", a.status, acceptance_hint(name))),
            Ok(a) if (400..500).contains(&a.status) => match conclusive {
                Ok(()) => (Verdict::Pass, format!("refused with {}", a.status)),
                Err(why) => (Verdict::Skip, format!("inconclusive: refused with {}, but {why}", a.status)),
            },
            Ok(a) => (Verdict::Fail, format!("answered {}; a refusal should be 4xx (Top.gg retries 5xx)", a.status)),
            Err(f) => (Verdict::Fail, f.message.clone()),
        };
        (verdict, detail, facts)
    }
}

/// The secret minus its `whs_` prefix: the key a receiver that strips it verifies with.
pub(super) fn without_prefix(secret: &Secret) -> Secret {
    let s = secret.expose();
    Secret::new(s.strip_prefix(WEBHOOK_SECRET_PREFIX).unwrap_or(s))
}

/// What to fix when a request this case forged was accepted.
pub(super) fn acceptance_hint(name: &str) -> &'static str {
    match name {
        "config-rejects-bad-signature" => ": verify integration.create with the integration secret",
        "rejects-bad-signature" | "rejects-missing-signature" => ": verify x-topgg-signature on every delivery",
        "rejects-tampered-body" => ": compute the HMAC over the raw body and compare it in constant time",
        "rejects-wrong-secret" => ": verify with the webhook_secret of the connection the URL belongs to",
        "rejects-stale-timestamp" | "rejects-future-timestamp" => ": refuse |now - t| over 30 s",
        "rejects-malformed-header" => ": refuse headers without t or with a v1 that is not 64 hex digits",
        "rejects-unverified-unparseable" => ": verify the signature before parsing the body",
        "rejects-overlong-v1" => ": refuse a v1 that is not exactly 64 hex digits",
        "rejects-oversized-body" => ": cap bodies at 2 MiB (413)",
        "rejects-prefix-stripped-secret" => ": the HMAC key is the whole secret, whs_ included",
        _ => "",
    }
}

/// ` (body: "…")` with the first 80 characters of a non-empty body, else nothing.
pub(super) fn body_snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let cut: String = text.chars().take(80).collect();
    let more = if text.chars().count() > 80 { "…" } else { "" };
    format!(" (body: {cut:?}{more})")
}

/// `204 in 3 ms`, or the failure.
pub(super) fn describe(result: &Result<Answer, SendFailure>) -> String {
    match result {
        Ok(a) => format!("{} in {}{}", a.status, format_duration(a.latency), by_serve(a)),
        Err(f) => f.message.clone(),
    }
}

/// ` (answered by serve, not your app)` for an answer `serve --forward-to` gave itself, which
/// says nothing about the app behind it; empty otherwise.
pub(super) fn by_serve(a: &Answer) -> &'static str {
    if a.header(ANSWERED_BY_HEADER).is_some_and(|v| v.eq_ignore_ascii_case("serve")) {
        " (answered by serve, not your app)"
    } else {
        ""
    }
}

/// The status as JSON, or a short word for a failure.
pub(super) fn result_fact(result: &Result<Answer, SendFailure>) -> Value {
    match result {
        Ok(a) => json!(a.status),
        Err(f) => json!(match f.kind {
            FailureKind::Connect => "unreachable",
            FailureKind::Timeout => "timeout",
            FailureKind::Broken => "closed",
        }),
    }
}

/// A JSON value as text without quotes for strings.
pub(super) fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

//! The conformance suite behind `topgg-int check`: what a receiver must (and should) do, each case
//! with a stable name, a severity and a one-line explanation, a runner that sends real requests
//! (some deliberately broken) to a config URL and the webhook URL it hands out, and the results
//! as data. Rendering (table, JSON, JUnit) is the command's job; this module never prints.
//!
//! The run creates its own connection with `integration.create` and always ends with
//! `integration.delete`, whatever failed in between. Cases whose verdict would be meaningless
//! (a refusal proves nothing when valid deliveries are refused too) are skipped with the reason.
//!
//! Two choices worth knowing when reading a result:
//! - Bodies are written as .NET's System.Text.Json writes them by default (non-ASCII and `+ < > &
//!   ' \`` as `\uXXXX`; see [`encode_body`]). Every vote has a `+` in its dates, so a receiver that
//!   parses and re-serialises the JSON before computing the HMAC fails `delivery`, as it would on
//!   any sender whose bytes differ from its own serialiser's.
//! - `rejects-verbatim-replay` cannot wait 30 s. It sends a vote signed with `t = now - 29 s`
//!   (inside the window, so it must be accepted), and sends the same bytes and headers again once
//!   `now - t` is 31 s, a second or two later. That proves the window is enforced on a request the
//!   receiver has already seen and accepted, which catches a duplicate short-cut placed before
//!   verification ("seen this vote id, answer 200"). It does not ask for a replay cache inside the
//!   window: Top.gg re-signs its retries, and the protocol requires none. It assumes the 30 s
//!   window of protocol.md §3; a receiver with a shorter window, or a clock more than a second off,
//!   makes it inconclusive (skipped), not failed.

pub mod http;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::protocol::generate;
use crate::protocol::payload::Event;
use crate::protocol::secret::{Secret, WEBHOOK_SECRET_PREFIX};
use crate::protocol::signature::{DEFAULT_TOLERANCE_SECS, SIGNATURE_HEADER, TRACE_HEADER, sign};
use crate::protocol::time::format_duration;
use crate::protocol::time::now_unix;
use http::{Answer, FailureKind, SendFailure, Sender};

/// How much a case counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Failing it fails the run.
    Required,
    /// Failing it is a warning; `--strict` makes it required.
    Recommended,
    /// Reports a fact; never fails.
    Info,
}

impl Severity {
    /// `required`, `recommended` or `info`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Required => "required",
            Severity::Recommended => "recommended",
            Severity::Info => "info",
        }
    }
}

/// A case of the suite: stable name, severity, and what it proves.
#[derive(Debug, PartialEq, Eq)]
pub struct CaseInfo {
    /// Stable kebab-case name, as `--only` and `--skip` take it.
    pub name: &'static str,
    /// How much it counts.
    pub severity: Severity,
    /// One line: what is sent and what is expected.
    pub explanation: &'static str,
}

const fn case(name: &'static str, severity: Severity, explanation: &'static str) -> CaseInfo {
    CaseInfo { name, severity, explanation }
}

use Severity::{Info, Recommended, Required};

/// Every case, in the order they are reported (and, but for the replay case, run).
pub const CASES: [CaseInfo; 21] = [
    case(
        "handshake",
        Required,
        "a signed integration.create to the config URL is answered 2xx with {webhook_url, routes}: an absolute http(s) URL and known scopes",
    ),
    case(
        "config-rejects-bad-signature",
        Recommended,
        "an integration.create signed with another secret is refused with 4xx (else anyone can register a webhook)",
    ),
    case("delivery", Required, "a signed webhook.test and a signed vote.create to the webhook URL are answered 2xx"),
    case("rejects-bad-signature", Required, "a vote.create whose v1 is not the body's HMAC is refused with 4xx"),
    case("rejects-missing-signature", Required, "a vote.create without x-topgg-signature is refused with 4xx"),
    case(
        "rejects-tampered-body",
        Required,
        "a vote.create whose body changed after signing (weight 1 -> 2) is refused with 4xx",
    ),
    case("rejects-wrong-secret", Required, "a vote.create signed with another connection's secret is refused with 4xx"),
    case("rejects-stale-timestamp", Recommended, "a vote.create signed with t 10 minutes old is refused with 4xx"),
    case("rejects-future-timestamp", Recommended, "a vote.create signed with t 10 minutes ahead is refused with 4xx"),
    case(
        "rejects-malformed-header",
        Recommended,
        "x-topgg-signature with a truncated v1, and one without t, are each refused with 4xx",
    ),
    case(
        "rejects-oversized-body",
        Recommended,
        "a correctly signed body over 2 MiB is refused with 4xx (413) or the connection closed, never 2xx",
    ),
    case(
        "rejects-prefix-stripped-secret",
        Recommended,
        "a vote.create signed with the secret minus its whs_ prefix is refused with 4xx (the key is the whole secret)",
    ),
    case(
        "idempotent-retry",
        Recommended,
        "the same vote.create sent twice with fresh signatures, as Top.gg retries, is answered 2xx both times",
    ),
    case(
        "unknown-event-acknowledged",
        Recommended,
        "a verified event of an unknown type is answered 2xx, so Top.gg does not retry it",
    ),
    case(
        "rejects-verbatim-replay",
        Recommended,
        "a vote.create accepted with t 29 s old is sent again byte for byte once t is 31 s old and is refused with 4xx: \
         the window also guards requests already seen (no duplicate short-cut before verification)",
    ),
    case("delete", Required, "a signed integration.delete for the suite's connection is answered 2xx"),
    case("fast", Recommended, "every answer but the oversized upload came in under 1 s (Top.gg gives up after 5 s)"),
    case(
        "trace-header",
        Info,
        "whether a signed vote.create without x-topgg-trace is accepted (Top.gg always sends it)",
    ),
    case("rejection-statuses", Info, "the status codes the receiver uses for each kind of rejection"),
    case("latency", Info, "answer latency percentiles over every request but the oversized one"),
    case("server-header", Info, "the Server header of the config URL's answer"),
];

/// The case with this name.
pub fn find_case(name: &str) -> Option<&'static CaseInfo> {
    CASES.iter().find(|c| c.name == name)
}

/// Which cases to run and report.
#[derive(Debug, Clone)]
pub struct Selection(Vec<&'static str>);

impl Selection {
    /// Every case.
    pub fn all() -> Self {
        Selection(CASES.iter().map(|c| c.name).collect())
    }

    /// `--only` (empty: all) minus `--skip`. An unknown name is unusable input naming the valid ones.
    pub fn from_lists(only: &[String], skip: &[String]) -> Result<Self> {
        for name in only.iter().chain(skip) {
            if find_case(name).is_none() {
                let valid: Vec<&str> = CASES.iter().map(|c| c.name).collect();
                return Err(Error::input(format!("unknown case {name:?}; valid cases: {}", valid.join(", "))));
            }
        }
        let chosen = CASES
            .iter()
            .map(|c| c.name)
            .filter(|n| only.is_empty() || only.iter().any(|o| o == n))
            .filter(|n| !skip.iter().any(|s| s == n))
            .collect::<Vec<_>>();
        if chosen.is_empty() {
            return Err(Error::input("--only and --skip leave no case to run"));
        }
        Ok(Selection(chosen))
    }

    /// Whether `name` is selected.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(&name)
    }
}

/// What happened to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It did what the case expects.
    Pass,
    /// It did not.
    Fail,
    /// Not run, or inconclusive; the detail says why.
    Skip,
    /// An info case: a fact, not a verdict.
    Info,
}

/// How a result counts once `--strict` is taken into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Passed.
    Passed,
    /// Failed a required case (or a recommended one under `--strict`): the run fails.
    Failed,
    /// Failed a recommended case without `--strict`.
    Warning,
    /// Skipped or inconclusive.
    Skipped,
    /// Info.
    Info,
}

impl Status {
    /// `pass`, `fail`, `warn`, `skip` or `info`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Passed => "pass",
            Status::Failed => "fail",
            Status::Warning => "warn",
            Status::Skipped => "skip",
            Status::Info => "info",
        }
    }
}

/// One case's result.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case.
    pub case: &'static CaseInfo,
    /// What happened.
    pub verdict: Verdict,
    /// One sentence: the statuses seen, or why it failed or was skipped.
    pub detail: String,
    /// Machine-readable facts (statuses, latencies) for JSON output.
    pub facts: Map<String, Value>,
    /// Wall time spent in the case.
    pub duration: Duration,
}

impl CaseResult {
    /// How this result counts; `strict` makes recommended cases required.
    pub fn status(&self, strict: bool) -> Status {
        match (self.verdict, self.case.severity) {
            (Verdict::Pass, _) => Status::Passed,
            (Verdict::Skip, _) => Status::Skipped,
            (Verdict::Info, _) | (_, Severity::Info) => Status::Info,
            (Verdict::Fail, Severity::Required) => Status::Failed,
            (Verdict::Fail, Severity::Recommended) if strict => Status::Failed,
            (Verdict::Fail, Severity::Recommended) => Status::Warning,
        }
    }
}

/// The whole run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The config URL checked.
    pub config_url: String,
    /// Results of the selected cases, in [`CASES`] order.
    pub results: Vec<CaseResult>,
    /// Set when the config URL could not be reached at all (exit 3): the reason.
    pub unreachable: Option<String>,
    /// The run was stopped early by [`Config::stop`]; the remaining cases are skipped.
    pub interrupted: bool,
    /// Wall time of the run.
    pub duration: Duration,
}

impl Report {
    /// Whether no result counts as failed.
    pub fn passed(&self, strict: bool) -> bool {
        self.results.iter().all(|r| r.status(strict) != Status::Failed)
    }

    /// How many results have this status.
    pub fn count(&self, status: Status, strict: bool) -> usize {
        self.results.iter().filter(|r| r.status(strict) == status).count()
    }
}

/// What to check and how.
#[derive(Debug, Clone)]
pub struct Config {
    /// The receiver's config URL (absolute http or https).
    pub config_url: String,
    /// The secret that signs requests to the config URL.
    pub integration_secret: Secret,
    /// Per-request timeout (Top.gg's is 5 s).
    pub timeout: Duration,
    /// Accept invalid TLS certificates.
    pub insecure: bool,
    /// Ignore proxy variables: set when checking the built-in receiver, which is on loopback.
    pub no_proxy: bool,
    /// The cases to run and report.
    pub selection: Selection,
    /// When this becomes true (Ctrl-C), the remaining cases are skipped and the connection is
    /// still deleted.
    pub stop: Option<Arc<AtomicBool>>,
}

/// Checks that `url` is an absolute http(s) URL, returning it unchanged.
pub fn validate_url(url: &str) -> Result<String> {
    crate::send::delivery::parse_url(url).map_err(|why| Error::input(format!("--url {why}")))?;
    Ok(url.to_string())
}

/// A body Top.gg-like senders produce and re-serialisers do not: compact JSON with non-ASCII and
/// `+ < > & ' \`` escaped as `\uXXXX`, as .NET's System.Text.Json writes by default (the 7-digit
/// fractions in Top.gg's dates are .NET's). `created_at` always has a `+`, so a receiver that
/// parses and re-serialises before verifying computes its HMAC over different bytes and fails.
pub fn encode_body(value: &Value) -> Vec<u8> {
    use serde::Serialize;
    let mut out = Vec::new();
    let res = value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, EscapingFormatter));
    // Serialising a Value into a Vec cannot fail.
    debug_assert!(res.is_ok());
    out
}

struct EscapingFormatter;

impl serde_json::ser::Formatter for EscapingFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(&mut self, w: &mut W, fragment: &str) -> std::io::Result<()> {
        let mut plain_from = 0;
        for (i, c) in fragment.char_indices() {
            if c.is_ascii() && !matches!(c, '+' | '<' | '>' | '&' | '\'' | '`') {
                continue;
            }
            w.write_all(&fragment.as_bytes()[plain_from..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(w, "\\u{unit:04X}")?;
            }
            plain_from = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[plain_from..])
    }
}

fn event_value(event: &Event) -> Value {
    serde_json::to_value(event).unwrap_or(Value::Null)
}

/// A fresh vote.create as a JSON value; cases vary it, then [`encode_body`] makes the bytes.
fn vote_value() -> Value {
    event_value(&Event::VoteCreate(generate::vote_create()))
}

/// The bodies over the cap are this big: 2 MiB and 1 KiB.
const OVERSIZED_BYTES: usize = 2 * 1024 * 1024 + 1024;

/// Answers slower than this fail `fast`.
const FAST_LIMIT: Duration = Duration::from_secs(1);

fn connection_id_of(create: &Event) -> String {
    match create {
        Event::IntegrationCreate(c) => c.connection_id.clone(),
        _ => String::new(),
    }
}

/// Runs the selected cases against `config.config_url`. Returns an error only when the HTTP
/// client cannot be set up; an unreachable receiver is a report with `unreachable` set.
pub fn run(config: &Config) -> Result<Report> {
    let started = Instant::now();
    let sender = Sender::new(config.timeout, config.insecure, config.no_proxy)?;
    let (create, webhook_secret) = generate::integration_create()?;
    let connection_id = connection_id_of(&create);
    let mut run = Runner {
        cfg: config,
        http: sender,
        results: Vec::new(),
        exchanges: Vec::new(),
        rejections: Map::new(),
        connection_id,
        webhook_secret,
        webhook_url: Err("the handshake did not run".into()),
        create_accepted: false,
        vote_accepted: false,
        unreachable: None,
        server_header: None,
    };
    run.all(create);
    let interrupted = run.stop_requested();
    let mut results = run.results;
    results.sort_by_key(|r| CASES.iter().position(|c| c.name == r.case.name));
    Ok(Report {
        config_url: config.config_url.clone(),
        results,
        unreachable: run.unreachable,
        interrupted,
        duration: started.elapsed(),
    })
}

/// One request's outcome, kept for `fast`, `latency` and `rejection-statuses`.
struct Exchange {
    label: &'static str,
    latency: Option<Duration>,
}

type Headers = Vec<(&'static str, String)>;

struct Runner<'a> {
    cfg: &'a Config,
    http: Sender,
    results: Vec<CaseResult>,
    exchanges: Vec<Exchange>,
    rejections: Map<String, Value>,
    connection_id: String,
    webhook_secret: Secret,
    /// The webhook URL, or why there is none.
    webhook_url: Result<String, String>,
    /// The config URL answered the valid integration.create with 2xx.
    create_accepted: bool,
    /// A correctly signed vote.create was acknowledged: refusals of bad ones mean something.
    vote_accepted: bool,
    unreachable: Option<String>,
    server_header: Option<String>,
}

/// A case's verdict, detail and facts.
type Outcome = (Verdict, String, Map<String, Value>);

fn outcome(verdict: Verdict, detail: impl Into<String>) -> Outcome {
    (verdict, detail.into(), Map::new())
}

impl Runner<'_> {
    fn all(&mut self, create: Event) {
        self.timed("handshake", true, |r| r.handshake(&create));
        if let Some(reason) = self.unreachable.clone() {
            let skipped = format!("not run: the config URL could not be reached ({reason})");
            for c in CASES.iter().filter(|c| c.name != "handshake") {
                self.record(c.name, outcome(Verdict::Skip, skipped.clone()), Duration::ZERO);
            }
            return;
        }
        self.case("config-rejects-bad-signature", Self::config_rejects_bad_signature);
        self.timed("delivery", true, Self::delivery);
        let replay = if self.selected("rejects-verbatim-replay") { Some(self.replay_original()) } else { None };
        self.rejection_case("rejects-bad-signature", |r, _| {
            let forged = hex::encode(generate::random_bytes::<32>());
            r.headers(Some(format!("t={},v1={forged}", now_unix())))
        });
        self.rejection_case("rejects-missing-signature", |r, _| r.headers(None));
        self.case("rejects-tampered-body", Self::tampered_body);
        self.rejection_case("rejects-wrong-secret", |r, body| {
            r.headers(Some(sign(&generate::wrong_secret(), now_unix(), body)))
        });
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
        if let Some(original) = replay {
            self.timed("rejects-verbatim-replay", false, |r| r.replay_again(original));
        }
        self.timed("delete", true, Self::delete);
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

    fn stop_requested(&self) -> bool {
        self.cfg.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst))
    }

    fn selected(&self, name: &str) -> bool {
        self.cfg.selection.contains(name)
    }

    /// Runs a selected case and records its result.
    fn case(&mut self, name: &'static str, f: impl FnOnce(&mut Self) -> Outcome) {
        self.timed(name, false, f);
    }

    /// Runs `f` when `name` is selected or `always` (setup and cleanup), and records the result
    /// only when selected.
    fn timed(&mut self, name: &'static str, always: bool, f: impl FnOnce(&mut Self) -> Outcome) {
        if !always && !self.selected(name) {
            return;
        }
        if name != "delete" && self.stop_requested() {
            self.record(name, outcome(Verdict::Skip, "not run: interrupted"), Duration::ZERO);
            return;
        }
        let started = Instant::now();
        let result = f(self);
        self.record(name, result, started.elapsed());
    }

    fn record(&mut self, name: &'static str, (verdict, detail, facts): Outcome, duration: Duration) {
        let Some(case) = find_case(name) else { return };
        if self.selected(name) {
            self.results.push(CaseResult { case, verdict, detail, facts, duration });
        }
    }

    /// Sends one request and keeps its latency.
    fn send(
        &mut self,
        label: &'static str,
        url: &str,
        headers: &Headers,
        body: Vec<u8>,
    ) -> Result<Answer, SendFailure> {
        let borrowed: Vec<(&str, String)> = headers.iter().map(|(n, v)| (*n, v.clone())).collect();
        let result = self.http.post(url, &borrowed, body);
        self.exchanges.push(Exchange { label, latency: result.as_ref().ok().map(|a| a.latency) });
        result
    }

    /// Content-Type, the signature header when given, and a fresh trace id.
    fn headers(&self, signature: Option<String>) -> Headers {
        let mut h = vec![("content-type", "application/json".to_string())];
        if let Some(sig) = signature {
            h.push((SIGNATURE_HEADER, sig));
        }
        h.push((TRACE_HEADER, generate::trace_id()));
        h
    }

    fn signed(&self, secret: &Secret, t: i64, body: &[u8]) -> Headers {
        self.headers(Some(sign(secret, t, body)))
    }

    fn config_post(&mut self, label: &'static str, secret: &Secret, event: &Event) -> Result<Answer, SendFailure> {
        let body = encode_body(&event_value(event));
        let headers = self.signed(secret, now_unix(), &body);
        let url = self.cfg.config_url.clone();
        self.send(label, &url, &headers, body)
    }

    fn handshake(&mut self, create: &Event) -> Outcome {
        let secret = self.cfg.integration_secret.clone();
        let answer = match self.config_post("handshake", &secret, create) {
            Ok(a) => a,
            Err(f) => {
                if f.kind == FailureKind::Connect {
                    self.unreachable = Some(f.message.clone());
                }
                self.webhook_url = Err(format!("the handshake failed: {}", f.message));
                return outcome(Verdict::Fail, f.message);
            }
        };
        self.server_header = answer.header("server").map(str::to_string);
        self.create_accepted = answer.is_success();
        let mut facts = Map::new();
        facts.insert("status".into(), json!(answer.status));
        if !answer.is_success() {
            let why = format!("answered {}{}", answer.status, body_snippet(&answer.body));
            self.webhook_url = Err(format!("the handshake failed: {why}"));
            return (Verdict::Fail, why, facts);
        }
        let judged = crate::send::handshake::check(&answer);
        match judged.handshake {
            Some(h) => {
                let detail = format!(
                    "{} in {}: webhook_url {}, routes {}",
                    answer.status,
                    format_duration(answer.latency),
                    h.webhook_url,
                    if h.routes.is_empty() { "[]".to_string() } else { h.routes.join(", ") }
                );
                facts.insert("webhook_url".into(), json!(h.webhook_url));
                facts.insert("routes".into(), json!(h.routes));
                self.webhook_url = Ok(h.webhook_url);
                (Verdict::Pass, detail, facts)
            }
            None => {
                let why = judged.problems.join("; ");
                self.webhook_url = Err(format!("the handshake answer is unusable: {why}"));
                (Verdict::Fail, format!("answered {} but {why}", answer.status), facts)
            }
        }
    }

    fn config_rejects_bad_signature(&mut self) -> Outcome {
        let forged = generate::integration_create_with(&generate::wrong_secret());
        let forged_id = connection_id_of(&forged);
        let result = self.config_post("config-rejects-bad-signature", &generate::wrong_secret(), &forged);
        if result.as_ref().is_ok_and(Answer::is_success) {
            // Undo the connection the forged request made, with a properly signed delete.
            let secret = self.cfg.integration_secret.clone();
            let _ = self.config_post("cleanup", &secret, &generate::integration_delete(&forged_id));
        }
        let conclusive = self.create_accepted.then_some(()).ok_or("the valid integration.create was refused too");
        self.judge_rejection("config-rejects-bad-signature", result, conclusive)
    }

    /// The webhook URL, or a skip outcome saying why there is none.
    fn webhook(&self) -> Result<String, Outcome> {
        self.webhook_url.clone().map_err(|why| outcome(Verdict::Skip, format!("no webhook URL: {why}")))
    }

    fn deliver(&mut self, label: &'static str, headers: &Headers, body: Vec<u8>) -> Result<Answer, SendFailure> {
        match self.webhook_url.clone() {
            Ok(url) => self.send(label, &url, headers, body),
            Err(why) => Err(SendFailure { kind: FailureKind::Connect, message: why, elapsed: Duration::ZERO }),
        }
    }

    fn delivery(&mut self) -> Outcome {
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let mut parts = Vec::new();
        let mut facts = Map::new();
        let mut ok = true;
        for (name, value) in [("webhook.test", event_value(&generate::webhook_test())), ("vote.create", vote_value())] {
            let body = encode_body(&value);
            let headers = self.signed(&self.webhook_secret.clone(), now_unix(), &body);
            let result = self.deliver("delivery", &headers, body);
            let accepted = result.as_ref().is_ok_and(Answer::is_success);
            ok &= accepted;
            if name == "vote.create" {
                self.vote_accepted = accepted;
            }
            facts.insert(name.into(), result_fact(&result));
            parts.push(format!("{name} {}", describe(&result)));
        }
        let mut detail = parts.join(", ");
        if !ok {
            detail.push_str(&self.diagnose_refusal());
        }
        (if ok { Verdict::Pass } else { Verdict::Fail }, detail, facts)
    }

    /// When valid deliveries are refused, tries the two receiver mistakes this suite can tell from
    /// outside: verifying re-serialised JSON instead of the raw bytes, and an HMAC key without the
    /// `whs_` prefix. Returns a clause for the delivery's detail, or nothing.
    fn diagnose_refusal(&mut self) -> String {
        let secret = self.webhook_secret.clone();
        let value = vote_value();
        let compact = serde_json::to_vec(&value).unwrap_or_default();
        if compact != encode_body(&value) {
            let headers = self.signed(&secret, now_unix(), &compact);
            if let Ok(a) = self.deliver("diagnosis", &headers, compact)
                && a.is_success()
            {
                return format!(
                    "; the same vote in plain compact JSON is accepted ({}): the receiver re-serialises the JSON \
                     before verifying; compute the HMAC over the raw body bytes",
                    a.status
                );
            }
        }
        let body = encode_body(&vote_value());
        let headers = self.signed(&without_prefix(&secret), now_unix(), &body);
        match self.deliver("diagnosis", &headers, body) {
            Ok(a) if a.is_success() => format!(
                "; a vote signed with the secret minus whs_ is accepted ({}): the receiver strips the prefix; \
                 the HMAC key is the whole secret",
                a.status
            ),
            _ => String::new(),
        }
    }

    /// Why a refusal would prove nothing, if it would.
    fn refusal_inconclusive(&self) -> Result<(), &'static str> {
        if self.vote_accepted { Ok(()) } else { Err("a correctly signed vote.create is refused too (see delivery)") }
    }

    /// Sends a fresh vote with the headers `make` builds for its body, and expects a 4xx.
    fn rejection_case(&mut self, name: &'static str, make: impl FnOnce(&Self, &[u8]) -> Headers) {
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
    fn judge_rejection(
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

    fn tampered_body(&mut self) -> Outcome {
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let mut value = vote_value();
        let signed_body = encode_body(&value);
        value["data"]["weight"] = json!(2);
        let tampered = encode_body(&value);
        let headers = self.signed(&self.webhook_secret.clone(), now_unix(), &signed_body);
        let result = self.deliver("rejects-tampered-body", &headers, tampered);
        let conclusive = self.refusal_inconclusive();
        self.judge_rejection("rejects-tampered-body", result, conclusive)
    }

    fn malformed_header(&mut self) -> Outcome {
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let mut facts = Map::new();
        let mut verdicts = Vec::new();
        for variant in ["truncated-v1", "missing-t"] {
            let body = encode_body(&vote_value());
            let good = sign(&self.webhook_secret, now_unix(), &body);
            let header = match variant {
                "truncated-v1" => good[..good.len() - 1].to_string(),
                _ => good.split(',').filter(|p| !p.starts_with("t=")).collect::<Vec<_>>().join(","),
            };
            let headers = self.headers(Some(header));
            let result = self.deliver("rejects-malformed-header", &headers, body);
            let conclusive = self.refusal_inconclusive();
            let (verdict, detail, _) = self.judge_rejection("rejects-malformed-header", result.clone(), conclusive);
            self.rejections.remove("malformed-header");
            self.rejections.insert(format!("malformed-header/{variant}"), result_fact(&result));
            facts.insert(variant.into(), result_fact(&result));
            verdicts.push((variant, verdict, detail, describe(&result)));
        }
        let failed: Vec<String> =
            verdicts.iter().filter(|v| v.1 == Verdict::Fail).map(|(n, _, d, _)| format!("{n}: {d}")).collect();
        let statuses = verdicts.iter().map(|(n, _, _, r)| format!("{n} {r}")).collect::<Vec<_>>().join(", ");
        if !failed.is_empty() {
            (Verdict::Fail, failed.join("; "), facts)
        } else if let Err(why) = self.refusal_inconclusive() {
            (Verdict::Skip, format!("inconclusive: {statuses}, but {why}"), facts)
        } else {
            (Verdict::Pass, format!("refused: {statuses}"), facts)
        }
    }

    fn oversized_body(&mut self) -> Outcome {
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let mut value = vote_value();
        value["data"]["query"] = json!({ "padding": "a".repeat(OVERSIZED_BYTES) });
        let body = encode_body(&value);
        let headers = self.signed(&self.webhook_secret.clone(), now_unix(), &body);
        let result = self.deliver("oversized", &headers, body);
        match result {
            Err(f) if f.kind == FailureKind::Broken => {
                self.rejections.insert("oversized-body".into(), json!("closed"));
                let mut facts = Map::new();
                facts.insert("status".into(), json!("closed"));
                let verdict = if self.vote_accepted { Verdict::Pass } else { Verdict::Skip };
                (verdict, format!("closed the connection without answering ({})", f.message), facts)
            }
            other => {
                let conclusive = self.refusal_inconclusive();
                self.judge_rejection("rejects-oversized-body", other, conclusive)
            }
        }
    }

    fn idempotent_retry(&mut self) -> Outcome {
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let body = encode_body(&vote_value());
        let trace = generate::trace_id();
        let secret = self.webhook_secret.clone();
        let now = now_unix();
        let mut answers = Vec::new();
        // Two different t values, so the second really has a fresh signature (as a retry does)
        // and is not a verbatim copy that a replay cache would rightly refuse.
        for t in [now - 1, now] {
            let headers: Headers = vec![
                ("content-type", "application/json".into()),
                (SIGNATURE_HEADER, sign(&secret, t, &body)),
                (TRACE_HEADER, trace.clone()),
            ];
            answers.push(self.deliver("idempotent-retry", &headers, body.clone()));
        }
        let mut facts = Map::new();
        facts.insert("first".into(), result_fact(&answers[0]));
        facts.insert("retry".into(), result_fact(&answers[1]));
        let detail = format!("first {}, retry {}", describe(&answers[0]), describe(&answers[1]));
        let verdict = match (&answers[0], &answers[1]) {
            (Ok(a), Ok(b)) if a.is_success() && b.is_success() => Verdict::Pass,
            (Ok(a), _) if !a.is_success() && !self.vote_accepted => {
                return (Verdict::Skip, format!("inconclusive: {detail}, and valid deliveries are refused"), facts);
            }
            _ => Verdict::Fail,
        };
        (verdict, detail, facts)
    }

    fn unknown_event(&mut self) -> Outcome {
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let value = json!({
            "type": "topgg_int.check.unknown_event",
            "data": { "id": generate::snowflake(), "note": "an event type this receiver cannot know" }
        });
        let body = encode_body(&value);
        let headers = self.signed(&self.webhook_secret.clone(), now_unix(), &body);
        let result = self.deliver("unknown-event-acknowledged", &headers, body);
        let mut facts = Map::new();
        facts.insert("status".into(), result_fact(&result));
        let detail = describe(&result);
        match &result {
            Ok(a) if a.is_success() => (Verdict::Pass, detail, facts),
            Ok(a) if !self.vote_accepted => {
                (Verdict::Skip, format!("inconclusive: answered {}, and valid deliveries are refused", a.status), facts)
            }
            Ok(a) if a.status >= 500 => (Verdict::Fail, format!("{detail}: Top.gg would retry it"), facts),
            _ => (Verdict::Fail, format!("{detail}: acknowledge (2xx) and ignore unknown types"), facts),
        }
    }

    fn trace_header(&mut self) -> Outcome {
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let body = encode_body(&vote_value());
        let headers: Headers = vec![
            ("content-type", "application/json".into()),
            (SIGNATURE_HEADER, sign(&self.webhook_secret, now_unix(), &body)),
        ];
        let result = self.deliver("trace-header", &headers, body);
        let mut facts = Map::new();
        facts.insert("status".into(), result_fact(&result));
        let detail = match &result {
            Ok(a) if a.is_success() => format!("not required: accepted with {} without it", a.status),
            Ok(a) if (400..500).contains(&a.status) && self.vote_accepted => {
                format!("required: refused with {} without it", a.status)
            }
            other => format!("unknown: {}", describe(other)),
        };
        facts.insert("required".into(), json!(result.as_ref().is_ok_and(|a| (400..500).contains(&a.status))));
        (Verdict::Info, detail, facts)
    }

    /// Sends the replay case's original delivery, signed just inside the window so that it can be
    /// sent again byte for byte once outside it, a second or two later, without waiting 30 s.
    fn replay_original(&mut self) -> Replay {
        let t = now_unix() - (DEFAULT_TOLERANCE_SECS as i64 - 1);
        if let Err(skip) = self.webhook() {
            return Replay { t, headers: Vec::new(), body: Vec::new(), first: Err(skip) };
        }
        let body = encode_body(&vote_value());
        let headers = self.signed(&self.webhook_secret.clone(), t, &body);
        let first = self.deliver("rejects-verbatim-replay", &headers, body.clone());
        Replay { t, headers, body, first: Ok(first) }
    }

    fn replay_again(&mut self, original: Replay) -> Outcome {
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
        loop {
            let now_ns = crate::protocol::time::now_unix_nanos();
            let left = i128::from(due) * 1_000_000_000 - now_ns;
            if left <= 0 {
                break;
            }
            if self.stop_requested() {
                return outcome(Verdict::Skip, "not run: interrupted");
            }
            std::thread::sleep(Duration::from_nanos(left.min(200_000_000) as u64));
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

    fn delete(&mut self) -> Outcome {
        let secret = self.cfg.integration_secret.clone();
        let id = self.connection_id.clone();
        let result = self.config_post("delete", &secret, &generate::integration_delete(&id));
        let mut facts = Map::new();
        facts.insert("status".into(), result_fact(&result));
        let verdict = if result.as_ref().is_ok_and(Answer::is_success) { Verdict::Pass } else { Verdict::Fail };
        (verdict, describe(&result), facts)
    }

    fn timed_exchanges(&self) -> Vec<(&'static str, Duration)> {
        self.exchanges.iter().filter(|e| e.label != "oversized").filter_map(|e| Some((e.label, e.latency?))).collect()
    }

    fn fast(&mut self) -> Outcome {
        let timed = self.timed_exchanges();
        let Some(&(slowest_label, slowest)) = timed.iter().max_by_key(|(_, d)| *d) else {
            return outcome(Verdict::Skip, "no request was answered");
        };
        let slow: Vec<_> = timed.iter().filter(|(_, d)| *d >= FAST_LIMIT).collect();
        let mut facts = Map::new();
        facts.insert("slowest_ms".into(), json!((slowest.as_secs_f64() * 10_000.0).round() / 10.0));
        facts.insert("over_1s".into(), json!(slow.len()));
        if slow.is_empty() {
            let detail = format!("{} answers, slowest {} ({slowest_label})", timed.len(), format_duration(slowest));
            (Verdict::Pass, detail, facts)
        } else {
            let detail = format!(
                "{} of {} answers took 1 s or more, slowest {} ({slowest_label})",
                slow.len(),
                timed.len(),
                format_duration(slowest)
            );
            (Verdict::Fail, detail, facts)
        }
    }

    fn latency(&mut self) -> Outcome {
        let mut ms: Vec<f64> = self.timed_exchanges().iter().map(|(_, d)| d.as_secs_f64() * 1000.0).collect();
        if ms.is_empty() {
            return outcome(Verdict::Info, "no request was answered");
        }
        ms.sort_by(f64::total_cmp);
        let pct = |p: f64| ms[(((p / 100.0) * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1];
        let mut facts = Map::new();
        facts.insert("count".into(), json!(ms.len()));
        for (key, p) in [("p50_ms", 50.0), ("p90_ms", 90.0), ("p99_ms", 99.0), ("max_ms", 100.0)] {
            facts.insert(key.into(), json!((pct(p) * 10.0).round() / 10.0));
        }
        let detail = format!(
            "p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} answers",
            pct(50.0),
            pct(90.0),
            pct(99.0),
            pct(100.0),
            ms.len()
        );
        (Verdict::Info, detail, facts)
    }
}

/// The secret minus its `whs_` prefix: the key a receiver that strips it verifies with.
fn without_prefix(secret: &Secret) -> Secret {
    let s = secret.expose();
    Secret::new(s.strip_prefix(WEBHOOK_SECRET_PREFIX).unwrap_or(s))
}

/// What to fix when a request this case forged was accepted.
fn acceptance_hint(name: &str) -> &'static str {
    match name {
        "config-rejects-bad-signature" => ": verify integration.create with the integration secret",
        "rejects-bad-signature" | "rejects-missing-signature" => ": verify x-topgg-signature on every delivery",
        "rejects-tampered-body" => ": compute the HMAC over the raw body and compare it in constant time",
        "rejects-wrong-secret" => ": verify with the webhook_secret of the connection the URL belongs to",
        "rejects-stale-timestamp" | "rejects-future-timestamp" => ": refuse |now - t| over 30 s",
        "rejects-malformed-header" => ": refuse headers without t or with a v1 that is not 64 hex digits",
        "rejects-oversized-body" => ": cap bodies at 2 MiB (413)",
        "rejects-prefix-stripped-secret" => ": the HMAC key is the whole secret, whs_ included",
        _ => "",
    }
}

/// The replay case's original delivery, kept to be sent again later.
struct Replay {
    t: i64,
    headers: Headers,
    body: Vec<u8>,
    first: Result<Result<Answer, SendFailure>, Outcome>,
}

/// ` (body: "…")` with the first 80 characters of a non-empty body, else nothing.
fn body_snippet(body: &[u8]) -> String {
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
fn describe(result: &Result<Answer, SendFailure>) -> String {
    match result {
        Ok(a) => format!("{} in {}", a.status, format_duration(a.latency)),
        Err(f) => f.message.clone(),
    }
}

/// The status as JSON, or a short word for a failure.
fn result_fact(result: &Result<Answer, SendFailure>) -> Value {
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
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_kebab_case() {
        let mut seen = HashSet::new();
        for c in &CASES {
            assert!(seen.insert(c.name), "duplicate {}", c.name);
            assert!(c.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{}", c.name);
            assert!(!c.explanation.contains('\n'));
        }
    }

    #[test]
    fn selection_names_unknown_cases() {
        let err = Selection::from_lists(&["handshak".into()], &[]).unwrap_err().to_string();
        assert!(err.contains("\"handshak\"") && err.contains("rejects-bad-signature"), "{err}");
        let s = Selection::from_lists(&["delivery".into(), "fast".into()], &["fast".into()]).unwrap();
        assert!(s.contains("delivery") && !s.contains("fast") && !s.contains("handshake"));
    }

    #[test]
    fn bodies_survive_no_reserialisation() {
        let v = json!({"a": "Zoë +00:00 <&>", "b": 1});
        let body = encode_body(&v);
        assert_eq!(body, br#"{"a":"Zo\u00EB \u002B00:00 \u003C\u0026\u003E","b":1}"#.to_vec());
        let parsed: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed, v);
        assert_ne!(serde_json::to_vec(&parsed).unwrap(), body);
        // Every vote has a '+' in its dates, so re-serialising always changes the bytes.
        let vote = encode_body(&vote_value());
        assert_ne!(serde_json::to_vec(&serde_json::from_slice::<Value>(&vote).unwrap()).unwrap(), vote);
    }

    #[test]
    fn strict_turns_warnings_into_failures() {
        let r = CaseResult {
            case: find_case("fast").unwrap(),
            verdict: Verdict::Fail,
            detail: String::new(),
            facts: Map::new(),
            duration: Duration::ZERO,
        };
        assert_eq!(r.status(false), Status::Warning);
        assert_eq!(r.status(true), Status::Failed);
    }
}

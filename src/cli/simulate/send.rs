//! The webhook-URL side: `simulate vote` (one vote, legacy votes, or load mode), `simulate test`,
//! and `simulate replay` of a captured request.

use serde_json::Value;

use super::builtin::builtin_target;
use super::connection;
use super::diagnose;
use super::lifecycle::{config_target, fresh_connection};
use super::payload::{self, Shape};
use super::target::WebhookTarget;
use super::{Settings, Tally, WEBHOOK_SECRET_HOW, announce_secret, load_mode, render, webhook_flags};
use crate::cli::Context;
use crate::cli::args::{IntegrationSecretArgs, ReplayArgs, TestArgs, VoteArgs, WebhookSecretArgs};
use crate::cli::input::read_input;
use crate::cli::secrets::Source;
use crate::error::{Error, Outcome, Result};
use crate::output;
use crate::protocol::capture::Capture;
use crate::protocol::generate;
use crate::protocol::secret::Secret;
use crate::protocol::signature::{DEFAULT_TOLERANCE_SECS, SIGNATURE_HEADER, TRACE_HEADER};
use crate::protocol::time::now_unix;
use crate::send::delivery::{Auth, Delivery, Report, parse_url};

/// How often Top.gg retries a legacy (v0) webhook (protocol.md §6).
const LEGACY_RETRIES: u32 = 10;

/// The webhook URL and secret: from `--url`/`--secret`, a `--from` file, or, with neither URL, a
/// fresh connection on the built-in receiver (whose handshake is shown as a step and tallied).
fn webhook_target(
    s: &Settings,
    from: Option<&std::path::Path>,
    secret: &WebhookSecretArgs,
    legacy: bool,
    tally: &mut Tally,
) -> Result<Option<WebhookTarget>> {
    let saved = from.map(connection::load).transpose()?;
    let saved_secret = match (from, &saved) {
        (Some(p), Some(c)) => Some((p, c.webhook_secret.as_str())),
        _ => None,
    };
    let flags = webhook_flags(secret);
    let what = if legacy { "legacy secret (the Authorization value)" } else { "webhook secret" };
    let url = match (&s.url, saved.as_ref().and_then(|c| c.webhook_url.as_deref())) {
        (Some(u), _) => Some(u.clone()),
        (None, Some(u)) => Some(parse_url(u).map_err(|e| Error::input(format!("--from: webhook_url {e}")))?),
        (None, None) => None,
    };
    if let Some(url) = url {
        let Some(r) = flags.resolve(saved_secret, s.json)? else {
            return Err(Error::input(format!("no {what} given; {WEBHOOK_SECRET_HOW}")));
        };
        announce_secret(s, what, &r.secret, &r.source);
        return Ok(Some(WebhookTarget { url, secret: r.secret, _builtin: None }));
    }
    if let Some(path) = from {
        return Err(Error::input(format!(
            "--from {}: the file has no webhook_url (the handshake did not give one); pass --url",
            path.display()
        )));
    }
    if legacy {
        if s.dry_run {
            return Err(Error::input("--dry-run needs --url: nothing is sent, so no built-in receiver is started"));
        }
        let (secret, source) = match flags.resolve(None, s.json)? {
            Some(r) => (r.secret, r.source),
            None => (generate::webhook_secret()?, Source::Generated),
        };
        announce_secret(s, what, &secret, &source);
        let builtin = builtin_target(&generate::integration_secret()?, Some(&secret))?;
        return Ok(Some(WebhookTarget { url: builtin.legacy_url(), secret, _builtin: Some(builtin) }));
    }
    // Resolved quietly: the one note below says why none of the sources is used.
    if let Some(r) = flags.resolve(None, true)?
        && !s.json
    {
        output::note(format!(
            "note: no --url, so the webhook secret from {} is not used: the built-in connection has its own",
            r.source
        ));
    }
    let no_secret = IntegrationSecretArgs::default();
    let (config_url, integration, builtin) = config_target(s, None, &no_secret)?;
    let connected = fresh_connection(s, &config_url, &integration, tally)?;
    if let Some(c) = &connected {
        announce_secret(s, what, &c.webhook_secret, &Source::Handshake);
    }
    Ok(connected.map(|c| WebhookTarget { url: c.webhook_url, secret: c.webhook_secret, _builtin: builtin }))
}

/// Delivers one body and records it; the report, unless nothing was sent (`--dry-run`).
fn send_one(
    s: &Settings,
    step: &str,
    delivery: &Delivery,
    secret: &Secret,
    tally: &mut Tally,
) -> Result<Option<Report>> {
    let report = s.run_delivery(step, delivery, &[secret])?;
    if let Some(report) = &report {
        tally.add(step, report);
        if s.json {
            render::print_json(&Value::Object(render::report_json(step, report)))?;
        }
    }
    Ok(report)
}

/// With `--diagnose`, after a 401/403: the probes, each over a freshly built body.
fn diagnose_after(
    s: &Settings,
    report: Option<&Report>,
    target: &WebhookTarget,
    fresh: &dyn Fn() -> Result<payload::Built>,
) -> Result<()> {
    if !report.is_some_and(diagnose::refused_as_unauthorised) {
        return Ok(());
    }
    // The integration-secret probe needs that secret: taken quietly from the environment.
    let integration = super::integration_flags(&IntegrationSecretArgs::default()).resolve(None, true)?;
    diagnose::probe(s, &target.url, &target.secret, integration.as_ref().map(|r| &r.secret), fresh)?;
    Ok(())
}

/// The most concurrent load-mode tasks: each holds a connection of its own.
const MAX_CONCURRENCY: usize = 65_536;

/// `simulate vote`.
pub(crate) fn vote(a: VoteArgs, ctx: Context) -> Result<Outcome> {
    let mut s = Settings::resolve(&a.delivery, ctx)?;
    if a.legacy && a.delivery.retries.is_none() {
        // protocol.md §6: legacy webhooks are retried up to 10 times.
        s.policy.retries = LEGACY_RETRIES;
    }
    let count = a.count.unwrap_or(if a.duration.is_some() { u64::MAX } else { 1 });
    if count == 0 {
        return Err(Error::input("--count 0 sends nothing; give 1 or more"));
    }
    if a.duration.is_some_and(|d| d.is_zero()) {
        return Err(Error::input("--duration 0 sends nothing; give a positive duration like 10s"));
    }
    if a.concurrency == 0 {
        return Err(Error::input("--concurrency 0 sends nothing; give 1 or more"));
    }
    if a.concurrency > MAX_CONCURRENCY {
        return Err(Error::input(format!(
            "--concurrency {} is more than {MAX_CONCURRENCY}: each task holds a connection, and the open-files \
             limit runs out long before; give 1 to {MAX_CONCURRENCY}",
            a.concurrency
        )));
    }
    // More tasks than votes would only hold idle connections (and memory): at most one per vote.
    let concurrency = a.concurrency.min(usize::try_from(count).unwrap_or(usize::MAX));
    let shape = if a.legacy {
        Shape::Legacy { server: a.server, weight: a.weight, query: a.query.clone() }
    } else {
        Shape::Vote { weight: a.weight, query: a.query.clone() }
    };
    // Build first: a bad --set must fail before any receiver is started or contacted.
    let built = payload::build(&shape, &a.payload)?;
    let mut tally = Tally::default();
    let Some(target) = webhook_target(&s, a.from.as_deref(), &a.secret, a.legacy, &mut tally)? else {
        return tally.finish();
    };
    let step = match (a.legacy, a.server) {
        (false, _) => "vote.create",
        (true, false) => "legacy bot vote",
        (true, true) => "legacy server vote",
    };
    if (count > 1 || a.duration.is_some()) && !s.dry_run {
        let plan = load_mode::Plan { count, duration: a.duration, concurrency, rate: a.rate, legacy: a.legacy };
        return load_mode::run(&s, &target, &built.value, &plan);
    }
    let delivery = if a.legacy {
        Delivery {
            url: target.url.clone(),
            body: built.bytes,
            trace: s.trace(),
            auth: Auth::Legacy(target.secret.clone()),
            extra_headers: s.headers.clone(),
        }
    } else {
        s.signed(target.url.clone(), built.bytes, &target.secret)
    };
    let report = send_one(&s, step, &delivery, &target.secret, &mut tally)?;
    if a.diagnose {
        diagnose_after(&s, report.as_ref(), &target, &|| payload::build(&shape, &a.payload))?;
    }
    tally.finish()
}

/// `simulate test`.
pub(crate) fn test(a: TestArgs, ctx: Context) -> Result<Outcome> {
    let s = Settings::resolve(&a.delivery, ctx)?;
    let built = payload::build(&Shape::Test, &a.payload)?;
    let mut tally = Tally::default();
    let Some(target) = webhook_target(&s, a.from.as_deref(), &a.secret, false, &mut tally)? else {
        return tally.finish();
    };
    let delivery = s.signed(target.url.clone(), built.bytes, &target.secret);
    let report = send_one(&s, "webhook.test", &delivery, &target.secret, &mut tally)?;
    if a.diagnose {
        diagnose_after(&s, report.as_ref(), &target, &|| payload::build(&Shape::Test, &a.payload))?;
    }
    tally.finish()
}

/// Headers a replay must not copy: the client sets them for the new connection.
const HOP_HEADERS: [&str; 5] = ["host", "content-length", "connection", "transfer-encoding", "keep-alive"];

/// The Authorization value among verbatim headers, or "".
fn delivery_authorization(d: &Delivery) -> String {
    match &d.auth {
        Auth::Verbatim(h) => {
            h.iter().find(|(n, _)| n.eq_ignore_ascii_case("authorization")).map(|(_, v)| v.clone()).unwrap_or_default()
        }
        _ => String::new(),
    }
}

/// The `t` of a captured signature header, read leniently (the rest of it may be broken).
fn captured_t(header: &str) -> Option<i64> {
    header.split(',').find_map(|p| p.strip_prefix("t=")).and_then(|t| t.parse().ok())
}

/// What an acknowledged verbatim replay says about the receiver, given the capture's age.
fn acknowledged_replay_note(age: Option<i64>) -> String {
    let window = DEFAULT_TOLERANCE_SECS as i64;
    match age {
        Some(age) if age.abs() <= window => format!(
            "note: the capture was signed {age} s ago, inside Top.gg's {window} s window, so acknowledging it is \
             correct; replay it again in {} s to test the window",
            window - age.abs() + 1
        ),
        Some(age) => format!(
            "warning: the receiver acknowledged a verbatim replay signed {age} s ago: its replay window is off or \
             wider than {window} s"
        ),
        None => {
            "warning: the receiver acknowledged a verbatim replay: its replay window is off or wider than Top.gg's 30 s"
                .into()
        }
    }
}

/// `simulate replay`.
pub(crate) fn replay(a: ReplayArgs, ctx: Context) -> Result<Outcome> {
    let s = Settings::resolve(&a.delivery, ctx)?;
    if a.repeat == 0 {
        return Err(Error::input("--repeat 0 would send nothing; give 1 or more"));
    }
    if !a.verbatim && !a.resign {
        return Err(Error::input(
            "say how to replay: --verbatim (old signature and t, should be refused) or --resign (fresh t, signed with --secret-file FILE or TOPGG_WEBHOOK_SECRET)",
        ));
    }
    let raw = read_input(&a.file)?;
    let capture = Capture::parse(&raw)
        .map_err(|e| Error::input(format!("{} is not a captured request: {e}", a.file.display())))?;
    let saved = a.from.as_deref().map(connection::load).transpose()?;
    let base = match (&s.url, saved.as_ref().and_then(|c| c.webhook_url.as_deref())) {
        (Some(u), _) => u.clone(),
        (None, Some(u)) => parse_url(u).map_err(|e| Error::input(format!("--from: webhook_url {e}")))?,
        (None, None) => {
            return Err(Error::input(
                "--url (or --from a file saved by `simulate create --save`) is required for replay: \
                 the receiver to send the captured request to",
            ));
        }
    };
    // A bare origin takes the captured path, so `--url http://127.0.0.1:8080` replays to the same route.
    let url = if base.path() == "/" && base.query().is_none() && capture.path != "/" {
        base.join(&capture.path).map_err(|e| Error::input(format!("the captured path {:?}: {e}", capture.path)))?
    } else {
        base
    };
    let captured_trace = capture.header(TRACE_HEADER).map(str::to_string);
    let step = "replay";
    let mut tally = Tally::default();
    if a.verbatim {
        if capture.header(SIGNATURE_HEADER).is_none() && !s.json {
            output::note("note: the capture has no x-topgg-signature header; it is sent as it is");
        }
        let headers: Vec<(String, String)> = capture
            .headers
            .iter()
            .filter(|(n, _)| !HOP_HEADERS.iter().any(|h| n.eq_ignore_ascii_case(h)))
            .cloned()
            .collect();
        // The age is taken before sending: a capture still inside the window must be accepted.
        let age = capture.header(SIGNATURE_HEADER).and_then(captured_t).map(|t| now_unix() - t);
        let trace = captured_trace.unwrap_or_else(|| "(none)".into());
        let delivery = Delivery {
            url,
            body: capture.body,
            trace,
            auth: Auth::Verbatim(headers),
            extra_headers: s.headers.clone(),
        };
        // A captured legacy request carries its secret in Authorization: mask it when printed.
        let secret = Secret::new(delivery_authorization(&delivery));
        send_repeated(&s, step, &delivery, &secret, &a, &mut tally)?;
        // Outside the window the expected answer is a refusal: that is the pass, and an
        // acknowledgement the failure (exit 1), whatever the statuses alone would say.
        let stale = age.filter(|age| age.abs() > DEFAULT_TOLERANCE_SECS as i64);
        if let Some(age) = stale
            && !s.dry_run
            && !tally.unreachable()
        {
            if tally.acknowledged == 0 {
                output::note(format!(
                    "refused, as it must be: the capture was signed {age} s ago, outside Top.gg's {} s window, \
                     so the receiver's replay window works",
                    DEFAULT_TOLERANCE_SECS
                ));
                return Ok(Outcome::Success);
            }
            output::note(acknowledged_replay_note(Some(age)));
            return Ok(Outcome::Negative);
        }
        if tally.all_ok() && !s.dry_run {
            output::note(acknowledged_replay_note(age));
        } else if !s.json {
            output::note(
                "note: --verbatim keeps the old signature and t; a receiver with a replay window must refuse it",
            );
        }
        return tally.finish();
    }
    let saved_secret = match (a.from.as_deref(), &saved) {
        (Some(p), Some(c)) => Some((p, c.webhook_secret.as_str())),
        _ => None,
    };
    let r = webhook_flags(&a.secret)
        .resolve(saved_secret, s.json)?
        .ok_or_else(|| Error::input(format!("--resign needs the webhook secret; {WEBHOOK_SECRET_HOW}")))?;
    announce_secret(&s, "webhook secret", &r.secret, &r.source);
    let secret = r.secret;
    let mut delivery = s.signed(url, capture.body, &secret);
    if let (None, Some(t)) = (&s.trace, captured_trace) {
        delivery.trace = t;
    }
    send_repeated(&s, step, &delivery, &secret, &a, &mut tally)?;
    tally.finish()
}

/// `--repeat N --interval D`: the same delivery N times (each re-signed when it is signed), `D`
/// apart; a stop (Ctrl-C, SIGTERM) ends the wait between them and sends no more.
fn send_repeated(
    s: &Settings,
    step: &str,
    delivery: &Delivery,
    secret: &Secret,
    a: &ReplayArgs,
    tally: &mut Tally,
) -> Result<()> {
    let times = if s.dry_run { 1 } else { a.repeat };
    for n in 1..=times {
        if n > 1 && s.stop.sleep(a.interval) {
            break;
        }
        let label = if times > 1 { format!("{step} {n}/{times}") } else { step.to_string() };
        send_one(s, &label, delivery, secret, tally)?;
    }
    Ok(())
}

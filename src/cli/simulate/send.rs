//! The webhook-URL side: `simulate vote` (one vote, legacy votes, or load mode), `simulate test`,
//! and `simulate replay` of a captured request.

use serde_json::Value;

use super::builtin::builtin_target;
use super::connection;
use super::lifecycle::{config_target, fresh_connection};
use super::payload::{self, Shape};
use super::target::WebhookTarget;
use super::{Settings, Tally, WEBHOOK_SECRET_HOW, announce_secret, load, render, webhook_flags};
use crate::cli::Context;
use crate::cli::args::{IntegrationSecretArgs, ReplayArgs, TestArgs, VoteArgs, WebhookSecretArgs};
use crate::cli::input::read_input;
use crate::cli::secrets::Source;
use crate::error::{Error, Outcome, Result};
use crate::output;
use crate::protocol::capture::Capture;
use crate::protocol::generate;
use crate::protocol::secret::Secret;
use crate::protocol::signature::{SIGNATURE_HEADER, TRACE_HEADER};
use crate::send::delivery::{Auth, Delivery, parse_url};

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

/// Delivers one body and records it.
fn send_one(s: &Settings, step: &str, delivery: &Delivery, secret: &Secret, tally: &mut Tally) -> Result<()> {
    if let Some(report) = s.run_delivery(step, delivery, &[secret])? {
        tally.add(step, &report);
        if s.json {
            render::print_json(&Value::Object(render::report_json(step, &report)))?;
        }
    }
    Ok(())
}

/// `simulate vote`.
pub(crate) fn vote(a: VoteArgs, ctx: Context) -> Result<Outcome> {
    let mut s = Settings::resolve(&a.delivery, ctx)?;
    if a.legacy && a.delivery.retries.is_none() {
        // protocol.md §6: legacy webhooks are retried up to 10 times.
        s.policy.retries = LEGACY_RETRIES;
    }
    if a.count == 0 {
        return Err(Error::input("--count 0 sends nothing; give 1 or more"));
    }
    if a.concurrency == 0 {
        return Err(Error::input("--concurrency 0 sends nothing; give 1 or more"));
    }
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
    if a.count > 1 && !s.dry_run {
        let plan = load::Plan { count: a.count, concurrency: a.concurrency, rate: a.rate, legacy: a.legacy };
        return load::run(&s, &target, &built.value, &plan);
    }
    let delivery = if a.legacy {
        Delivery {
            url: target.url.clone(),
            body: built.bytes,
            trace: s.trace(),
            auth: Auth::Legacy(target.secret.clone()),
        }
    } else {
        s.signed(target.url.clone(), built.bytes, &target.secret)
    };
    send_one(&s, step, &delivery, &target.secret, &mut tally)?;
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
    send_one(&s, "webhook.test", &delivery, &target.secret, &mut tally)?;
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

/// `simulate replay`.
pub(crate) fn replay(a: ReplayArgs, ctx: Context) -> Result<Outcome> {
    let s = Settings::resolve(&a.delivery, ctx)?;
    if !a.verbatim && !a.resign {
        return Err(Error::input(
            "say how to replay: --verbatim (old signature and t, should be refused) or --resign (fresh t, signed with --secret-file FILE or TOPGG_WEBHOOK_SECRET)",
        ));
    }
    let raw = read_input(&a.file)?;
    let capture = Capture::parse(&raw)
        .map_err(|e| Error::input(format!("{} is not a captured request: {e}", a.file.display())))?;
    let base = s.require_url("for replay: the receiver to send the captured request to")?;
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
        let trace = captured_trace.unwrap_or_else(|| "(none)".into());
        let delivery = Delivery { url, body: capture.body, trace, auth: Auth::Verbatim(headers) };
        // A captured legacy request carries its secret in Authorization: mask it when printed.
        let secret = Secret::new(delivery_authorization(&delivery));
        send_one(&s, step, &delivery, &secret, &mut tally)?;
        if tally.all_ok() && !s.dry_run {
            output::note(
                "warning: the receiver acknowledged a verbatim replay: its replay window is off or too wide (protocol.md §3)",
            );
        } else if !s.json {
            output::note(
                "note: --verbatim keeps the old signature and t; a receiver with a replay window must refuse it",
            );
        }
        return tally.finish();
    }
    let r = webhook_flags(&a.secret)
        .resolve(None, s.json)?
        .ok_or_else(|| Error::input(format!("--resign needs the webhook secret; {WEBHOOK_SECRET_HOW}")))?;
    announce_secret(&s, "webhook secret", &r.secret, &r.source);
    let secret = r.secret;
    let mut delivery = s.signed(url, capture.body, &secret);
    if let (None, Some(t)) = (&s.trace, captured_trace) {
        delivery.trace = t;
    }
    send_one(&s, step, &delivery, &secret, &mut tally)?;
    tally.finish()
}

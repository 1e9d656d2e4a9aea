//! `topgg-int simulate`: send Top.gg's requests on demand, signed, with its timeout and retry
//! schedule. This module resolves the shared delivery flags into [`Settings`] and dispatches; the
//! protocol work is in `send::delivery`, the printing in [`render`].

mod builtin;
pub(super) mod connection;
mod diagnose;
mod lifecycle;
mod load_mode;
mod payload;
mod render;
mod send;
mod target;

use std::time::Duration;

use super::Context;
use super::args::{DeliveryArgs, IntegrationSecretArgs, SimulateArgs, SimulateCommand, WebhookSecretArgs};
use super::interrupt;
use super::secrets::{self, SecretFlags, Source};
use crate::error::{Error, Outcome, Result};
use crate::output;
use crate::protocol::secret::Secret;
use crate::protocol::{DISAGREEMENT_HEADER, generate};
use crate::send::client::Interruptible;
use crate::send::delivery::{
    Attempt, Auth, Client, ClientOptions, DEFAULT_RETRIES, Delivery, Report, RetryPolicy, Url, Verdict, deliver,
    parse_url,
};
use crate::stop::{Reason, Stop};

/// Runs `simulate`. Ctrl-C ends a run early with 130 once what was sent is reported (no retry,
/// repeat or slot is waited for); SIGTERM ends it the same way but lets the verdict of what was
/// sent stand, as if its time were up.
pub fn run(args: SimulateArgs, ctx: Context) -> Result<Outcome> {
    // Before anything is sent, so no signal is lost; Settings::resolve hands the same one out.
    let stop = interrupt::install();
    // flow decides before its --inspect hold, where Ctrl-C only ends the look.
    let flow = matches!(args.command, SimulateCommand::Flow(_));
    let outcome = match args.command {
        SimulateCommand::Create(a) => lifecycle::create(a, ctx),
        SimulateCommand::Delete(a) => lifecycle::delete(a, ctx),
        SimulateCommand::Flow(a) => lifecycle::flow(a, ctx),
        SimulateCommand::Vote(a) => send::vote(a, ctx),
        SimulateCommand::Test(a) => send::test(a, ctx),
        SimulateCommand::Replay(a) => send::replay(a, ctx),
    };
    if !flow && stop.reason() == Some(Reason::Interrupted) {
        return Err(Error::Interrupted);
    }
    outcome
}

/// The most retries `--retries` accepts: legacy webhooks' 10 (protocol.md §6), Top.gg's highest.
/// More would only make a dead target take minutes to report.
const MAX_RETRIES: u32 = 10;

/// The delivery flags, resolved: a ready client, the retry policy and how to print.
pub(crate) struct Settings {
    pub client: Client,
    pub policy: RetryPolicy,
    pub url: Option<Url>,
    pub timestamp: Option<i64>,
    pub trace: Option<String>,
    pub dry_run: bool,
    pub verbose: bool,
    pub show_secrets: bool,
    pub json: bool,
    /// `--header`, parsed.
    pub headers: Vec<(String, String)>,
    /// The run's stop (Ctrl-C, SIGTERM): no retry, repeat or next step after it.
    pub stop: Stop,
}

impl Settings {
    /// Checks and resolves the shared flags.
    pub fn resolve(d: &DeliveryArgs, ctx: Context) -> Result<Settings> {
        let url = d.url.as_deref().map(|u| parse_url(u).map_err(|e| Error::input(format!("--url {e}")))).transpose()?;
        if d.timeout.is_zero() {
            return Err(Error::input("--timeout 0 would fail every attempt; give a positive duration like 5 or 500ms"));
        }
        let retries = d.retries.unwrap_or(DEFAULT_RETRIES);
        if retries > MAX_RETRIES {
            return Err(Error::input(format!(
                "--retries {retries} is more than {MAX_RETRIES}, the most Top.gg ever retries (legacy webhooks); give 0 to {MAX_RETRIES}"
            )));
        }
        if retries > 0 && d.retry_delays.is_empty() {
            return Err(Error::input("--retry-delays is empty; give delays like 1,2,4 or 10ms,20ms"));
        }
        if let Some(t) = &d.trace
            && (t.is_empty() || header_unsafe(t))
        {
            return Err(Error::input(format!(
                "--trace {t:?} cannot be sent in a header (use letters, digits, - or _)"
            )));
        }
        if let Some(t) = &d.trace
            && !(t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            output::note(format!(
                "warning: --trace {t:?} is not a trace id like Top.gg's (32 hex digits); sent as given"
            ));
        }
        let ca_pem = match &d.cacert {
            Some(p) => Some(std::fs::read(p).map_err(|e| Error::io("read the CA certificate", p, &e))?),
            None => None,
        };
        // Without --url the target is the built-in receiver on 127.0.0.1: never send that through a proxy.
        let opts = ClientOptions { timeout: d.timeout, insecure: d.insecure, ca_pem, no_proxy: url.is_none() };
        let client = Client::new(&opts).map_err(|e| match &d.cacert {
            Some(p) => Error::input(format!("--cacert {}: {e}", p.display())),
            None => Error::input(e),
        })?;
        if d.insecure && !ctx.json {
            output::note("warning: --insecure: TLS certificates are not checked");
        }
        Ok(Settings {
            client,
            policy: RetryPolicy { retries, delays: d.retry_delays.clone(), retry_on_4xx: d.retry_on_4xx },
            url,
            timestamp: d.timestamp,
            trace: d.trace.clone(),
            dry_run: d.dry_run,
            verbose: d.verbose,
            show_secrets: d.show_secrets,
            json: ctx.json,
            headers: d.headers.iter().map(|h| extra_header(h)).collect::<Result<_>>()?,
            stop: interrupt::install(),
        })
    }

    /// The trace id for a new delivery: `--trace`, or a fresh one.
    pub fn trace(&self) -> String {
        self.trace.clone().unwrap_or_else(generate::trace_id)
    }

    /// A v1-signed delivery of `body` to `url`.
    pub fn signed(&self, url: Url, body: Vec<u8>, secret: &Secret) -> Delivery {
        Delivery {
            url,
            body,
            trace: self.trace(),
            auth: Auth::Signed {
                signer: crate::protocol::signature::Signer::new(secret.clone()),
                timestamp: self.timestamp,
            },
            extra_headers: self.headers.clone(),
        }
    }

    /// Delivers (or, with `--dry-run`, prints the first request) and renders it as `step`.
    /// `secrets` are masked wherever request text is printed. Ctrl-C gives up an attempt in flight.
    pub fn run_delivery(&self, step: &str, delivery: &Delivery, secrets: &[&Secret]) -> Result<Option<Report>> {
        self.delivery_as(step, delivery, secrets, false)
    }

    /// [`Settings::run_delivery`] for a clean-up (the delete that ends a stopped flow): its attempt
    /// finishes even after Ctrl-C (a second Ctrl-C quits at once).
    pub fn run_cleanup(&self, step: &str, delivery: &Delivery, secrets: &[&Secret]) -> Result<Option<Report>> {
        self.delivery_as(step, delivery, secrets, true)
    }

    fn delivery_as(
        &self,
        step: &str,
        delivery: &Delivery,
        secrets: &[&Secret],
        cleanup: bool,
    ) -> Result<Option<Report>> {
        let redact = render::Redactor::new(secrets, self.show_secrets);
        if self.dry_run {
            render::dry_run(step, &delivery.request_at(delivery.first_timestamp()), &redact, self.json)?;
            return Ok(None);
        }
        if !self.json {
            render::announce(step, delivery)?;
        }
        let mut err = None;
        let mut on_attempt = |a: &Attempt| {
            if !self.json
                && let Err(e) = render::attempt(a, &delivery.body, self.verbose, &redact)
            {
                err.get_or_insert(e);
            }
        };
        let report = if cleanup {
            deliver(&mut self.client.clone(), delivery, &self.policy, &mut on_attempt, &self.stop)
        } else {
            let mut client = Interruptible { client: &self.client, stop: &self.stop };
            deliver(&mut client, delivery, &self.policy, &mut on_attempt, &self.stop)
        };
        if let Some(e) = err {
            return Err(e);
        }
        if !self.json {
            render::verdict(&report)?;
        }
        Ok(Some(report))
    }
}

/// `--header NAME:VALUE` as a pair: a token for the name, printable text for the value (spaces
/// after the colon are trimmed, as curl does).
fn extra_header(s: &str) -> Result<(String, String)> {
    let bad = || Error::input(format!("--header {s:?} is not NAME:VALUE (e.g. --header 'x-request-id: 42')"));
    let (name, value) = s.split_once(':').ok_or_else(bad)?;
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(bad());
    }
    let value = value.trim_start();
    if value.bytes().any(|b| b != b'\t' && !(0x20..0x7f).contains(&b) && b < 0x80) {
        return Err(Error::input(format!(
            "--header {name}: the value has a control character, which HTTP cannot carry"
        )));
    }
    Ok((name.to_string(), value.to_string()))
}

fn header_unsafe(s: &str) -> bool {
    s.bytes().any(|b| !(0x20..0x7f).contains(&b))
}

/// The integration secret's flags (the environment is consulted by [`SecretFlags`]).
pub(crate) fn integration_flags(a: &IntegrationSecretArgs) -> SecretFlags<'_> {
    SecretFlags::integration(a.integration_secret.as_deref(), a.integration_secret_file.as_deref())
}

/// Where an integration secret can come from, for error messages.
pub(crate) const INTEGRATION_SECRET_HOW: &str =
    "use --integration-secret-file FILE, set TOPGG_INTEGRATION_SECRET or pass --integration-secret";

/// Where a webhook secret can come from, for error messages.
pub(crate) const WEBHOOK_SECRET_HOW: &str = "use --secret-file FILE, set TOPGG_WEBHOOK_SECRET, pass --secret, \
     or --from a file saved by `simulate create --save`";

/// The webhook secret's flags (the environment is consulted by [`SecretFlags`]).
pub(crate) fn webhook_flags(a: &WebhookSecretArgs) -> SecretFlags<'_> {
    SecretFlags::webhook(a.secret.as_deref(), a.secret_file.as_deref())
}

/// Says which secret signs what follows, unless output is JSON, and warns (on stderr, JSON or
/// not) about a secret without Top.gg's `whs_` prefix: sent as given, since a receiver may really
/// hold such a secret, but the usual cause is a prefix stripped on the way.
pub(crate) fn announce_secret(s: &Settings, what: &str, secret: &Secret, source: &Source) {
    if !s.json {
        secrets::announce(what, secret, source);
    }
    if !secret.expose().starts_with("whs_") {
        output::note(format!(
            "warning: the {what} from {source} does not start with whs_ as Top.gg's do; receivers key the HMAC \
             with the whole secret, prefix included"
        ));
    }
}

/// What a run's deliveries add up to: exit 3 if the last attempt of one reached nobody, else exit
/// 1 if one was not acknowledged (or a handshake was wrong), else 0.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    unreachable: Option<String>,
    negative: bool,
    sent: u32,
    acknowledged: u32,
}

impl Tally {
    /// Counts a delivery.
    pub fn add(&mut self, step: &str, report: &Report) {
        self.sent += 1;
        // Behind `serve --forward-to`, serve tells the sender when the app's answer contradicts its
        // verdict: an acknowledged forgery is the app's failure, not a success.
        let disagreement = report.response().and_then(|r| {
            r.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(DISAGREEMENT_HEADER)).map(|(_, v)| v.clone())
        });
        match disagreement.as_deref() {
            Some("app-does-not-verify") => {
                output::note(format!(
                    "{step}: serve found the signature invalid and your app acknowledged it anyway: your app does \
                     not verify signatures"
                ));
                self.negative = true;
            }
            Some("app-refuses-valid") => output::note(format!(
                "{step}: serve verified this request and your app refused it: your app verifies other bytes or \
                 another secret (compare fingerprints in serve's log)"
            )),
            _ => {}
        }
        match report.verdict() {
            Verdict::Acknowledged => self.acknowledged += 1,
            Verdict::Rejected => self.negative = true,
            Verdict::Unreachable => {
                if self.unreachable.is_none()
                    && let Err(e) = &report.last().result
                {
                    let n = report.attempts.len();
                    let tries = if n == 1 { "1 attempt".to_string() } else { format!("{n} attempts") };
                    self.unreachable = Some(format!("{step} was not delivered after {tries}: {e}"));
                }
            }
        }
    }

    /// Marks a negative verdict that is not a delivery's (a wrong handshake answer).
    pub fn fail(&mut self) {
        self.negative = true;
    }

    /// `3/4 requests acknowledged`, for a closing line.
    pub fn summary(&self) -> String {
        format!("{}/{} requests acknowledged", self.acknowledged, self.sent)
    }

    /// Whether every delivery was acknowledged and nothing else failed.
    pub fn all_ok(&self) -> bool {
        self.unreachable.is_none() && !self.negative
    }

    /// Whether something reached nobody.
    pub fn unreachable(&self) -> bool {
        self.unreachable.is_some()
    }

    /// The exit: an error for exit 3, or the outcome.
    pub fn finish(self) -> Result<Outcome> {
        match self.unreachable {
            Some(msg) => Err(Error::network(msg)),
            None => Ok(Outcome::from_ok(!self.negative)),
        }
    }
}

/// Milliseconds with a fraction, for JSON.
pub(crate) fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

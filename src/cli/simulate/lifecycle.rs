//! The config-URL side: `simulate create` (the handshake, checked as protocol.md §2 says),
//! `simulate delete`, and `simulate flow`, the whole lifecycle against one config URL.

use serde_json::{Value, json};

use super::builtin::{Builtin, builtin_target};
use super::connection::{self, SavedConnection};
use super::payload::{self, Built, Shape};
use super::render;
use super::{INTEGRATION_SECRET_HOW, Settings, Tally, announce_secret, integration_flags};
use crate::cli::Context;
use crate::cli::args::{CreateArgs, DeleteArgs, FlowArgs, IntegrationSecretArgs, PayloadArgs};
use crate::cli::secrets::Source;
use crate::error::{Error, Outcome, Result};
use crate::output::{self, style, with_stdout};
use crate::protocol::generate;
use crate::protocol::handshake::HandshakeCheck;
use crate::protocol::payload::KNOWN_ROUTES;
use crate::protocol::secret::Secret;
use crate::send::delivery::{Report, Response, Url, parse_url};
use crate::stop::Reason;

/// A connection the handshake set up.
pub(crate) struct Connected {
    pub connection_id: String,
    pub webhook_secret: Secret,
    pub webhook_url: Url,
    pub routes: Vec<String>,
}

/// Where config-URL requests go and what signs them: `--url` with the given integration secret,
/// or the built-in receiver (kept alive by the returned guard) with the given or a fresh secret.
pub(crate) fn config_target(
    s: &Settings,
    url: Option<Url>,
    a: &IntegrationSecretArgs,
) -> Result<(Url, Secret, Option<Builtin>)> {
    let flags = integration_flags(a);
    if let Some(url) = url {
        let r = flags.require(None, s.json, INTEGRATION_SECRET_HOW)?;
        announce_secret(s, "integration secret", &r.secret, &r.source);
        return Ok((url, r.secret, None));
    }
    if s.dry_run {
        return Err(Error::input("--dry-run needs --url: nothing is sent, so no built-in receiver is started"));
    }
    let (secret, source) = match flags.resolve(None, s.json)? {
        Some(r) => (r.secret, r.source),
        None => (generate::integration_secret()?, Source::Generated),
    };
    announce_secret(s, "integration secret", &secret, &source);
    let builtin = builtin_target(&secret, None)?;
    Ok((builtin.config_url().clone(), secret, Some(builtin)))
}

/// Sends `integration.create` and checks the answer. `None` when nothing usable came back (or
/// with `--dry-run`); the tally records why.
pub(crate) fn handshake_step(
    s: &Settings,
    config_url: &Url,
    integration: &Secret,
    built: Built,
    tally: &mut Tally,
) -> Result<Option<Connected>> {
    let connection_id = payload::field(&built.value, "data.connection_id").map(str::to_string);
    let webhook_secret = payload::field(&built.value, "data.webhook_secret").map(Secret::new);
    let hidden: Vec<&Secret> = [Some(integration), webhook_secret.as_ref()].into_iter().flatten().collect();
    let delivery = s.signed(config_url.clone(), built.bytes, integration);
    let Some(report) = s.run_delivery("integration.create", &delivery, &hidden)? else {
        return Ok(None);
    };
    tally.add("integration.create", &report);
    let check = report.response().map(Response::judge_handshake);
    if check.as_ref().is_some_and(|c| !c.problems.is_empty()) {
        tally.fail();
    }
    let connected = match (&check, connection_id, webhook_secret) {
        (Some(HandshakeCheck { handshake: Some(h), .. }), Some(id), Some(secret)) => match parse_url(&h.webhook_url) {
            Ok(url) => Some(Connected {
                connection_id: id,
                webhook_secret: secret,
                webhook_url: url,
                routes: h.routes.clone(),
            }),
            Err(_) => None,
        },
        _ => None,
    };
    show_handshake(s, &report, check.as_ref(), connected.as_ref())?;
    Ok(connected)
}

/// A handshake with a generated `integration.create` (fresh connection id and webhook secret).
pub(crate) fn fresh_connection(
    s: &Settings,
    config_url: &Url,
    integration: &Secret,
    tally: &mut Tally,
) -> Result<Option<Connected>> {
    let shape = Shape::Create { connection_id: None, webhook_secret: None };
    let built = payload::build(&shape, &PayloadArgs::default())?;
    handshake_step(s, config_url, integration, built, tally)
}

fn show_handshake(s: &Settings, report: &Report, check: Option<&HandshakeCheck>, c: Option<&Connected>) -> Result<()> {
    let secret_shown = |secret: &Secret| if s.show_secrets { secret.expose().to_string() } else { secret.masked() };
    if s.json {
        let mut m = render::report_json("integration.create", report);
        if let Some(check) = check {
            m.insert(
                "handshake".into(),
                json!({
                    "ok": check.problems.is_empty(),
                    "webhook_url": check.handshake.as_ref().map(|h| h.webhook_url.clone()),
                    "routes": check.handshake.as_ref().map(|h| h.routes.clone()),
                    "problems": check.problems,
                    "warnings": check.warnings,
                }),
            );
        }
        if let Some(c) = c {
            m.insert("connection_id".into(), json!(c.connection_id));
            m.insert("webhook_secret".into(), json!(secret_shown(&c.webhook_secret)));
            m.insert("webhook_url".into(), json!(c.webhook_url.as_str()));
        }
        return render::print_json(&Value::Object(m));
    }
    let Some(check) = check else { return Ok(()) };
    with_stdout(|w| {
        for warning in &check.warnings {
            writeln!(w, "  {} {warning}", style::warn("warning:"))?;
        }
        if !check.problems.is_empty() {
            writeln!(
                w,
                "  {} the answer is not a correct handshake (README: Integrations):",
                style::fail("handshake failed:")
            )?;
            for p in &check.problems {
                writeln!(w, "    - {p}")?;
            }
            writeln!(
                w,
                "  {}",
                style::dim(&format!(
                    "expected: 2xx, Content-Type: application/json, {{\"webhook_url\": \"https://…\", \"routes\": [{}]}}",
                    KNOWN_ROUTES.map(|r| format!("\"{r}\"")).join(", ")
                ))
            )?;
        }
        if let Some(c) = c {
            writeln!(w, "  {}", style::ok("handshake ok"))?;
            writeln!(w, "  connection id   {}", c.connection_id)?;
            let hint =
                if s.show_secrets { String::new() } else { format!("  {}", style::dim("(--show-secrets prints it)")) };
            writeln!(w, "  webhook secret  {}{hint}", secret_shown(&c.webhook_secret))?;
            writeln!(w, "  webhook url     {}", c.webhook_url)?;
            writeln!(w, "  routes          {}", c.routes.join(", "))?;
        }
        Ok(())
    })
}

/// `simulate create`.
pub(crate) fn create(a: CreateArgs, ctx: Context) -> Result<Outcome> {
    let s = Settings::resolve(&a.delivery, ctx)?;
    let (config_url, integration, builtin) = config_target(&s, s.url.clone(), &a.integration)?;
    let shape = Shape::Create { connection_id: a.connection_id.clone(), webhook_secret: a.webhook_secret.clone() };
    let built = payload::build(&shape, &a.payload)?;
    let mut tally = Tally::default();
    let connected = handshake_step(&s, &config_url, &integration, built, &mut tally)?;
    if let (Some(path), Some(c)) = (&a.save, &connected) {
        let saved = SavedConnection {
            config_url: Some(config_url.to_string()),
            connection_id: c.connection_id.clone(),
            webhook_secret: c.webhook_secret.expose().to_string(),
            webhook_url: Some(c.webhook_url.to_string()),
            routes: c.routes.clone(),
        };
        connection::save(path, &saved)?;
    } else if let Some(path) = &a.save
        && !s.dry_run
    {
        output::note(format!("not saving {}: there is no connection to save", path.display()));
    }
    if builtin.is_some() && connected.is_some() && !s.json {
        output::note("note: the built-in receiver stops when this command ends, and the connection with it");
    }
    tally.finish()
}

/// Sends `integration.delete` for a connection; as a `cleanup` (the end of a flow), Ctrl-C does
/// not give its attempt up.
fn delete_step(
    s: &Settings,
    config_url: &Url,
    integration: &Secret,
    id: &str,
    tally: &mut Tally,
    cleanup: bool,
) -> Result<()> {
    let body = generate::integration_delete(id).to_body();
    let delivery = s.signed(config_url.clone(), body, integration);
    let report = if cleanup {
        s.run_cleanup("integration.delete", &delivery, &[integration])?
    } else {
        s.run_delivery("integration.delete", &delivery, &[integration])?
    };
    if let Some(report) = report {
        tally.add("integration.delete", &report);
        if s.json {
            let mut m = render::report_json("integration.delete", &report);
            m.insert("connection_id".into(), json!(id));
            render::print_json(&Value::Object(m))?;
        }
    }
    Ok(())
}

/// `simulate delete`.
pub(crate) fn delete(a: DeleteArgs, ctx: Context) -> Result<Outcome> {
    let s = Settings::resolve(&a.delivery, ctx)?;
    let saved = a.from.as_deref().map(connection::load).transpose()?;
    let id = match (&a.connection_id, &saved) {
        (Some(id), _) => id.clone(),
        (None, Some(c)) => c.connection_id.clone(),
        (None, None) => return Err(Error::input("give --connection-id ID or --from FILE")),
    };
    let url = match (&s.url, saved.as_ref().and_then(|c| c.config_url.as_deref())) {
        (Some(u), _) => Some(u.clone()),
        (None, Some(u)) => Some(parse_url(u).map_err(|e| Error::input(format!("--from: config_url {e}")))?),
        (None, None) => None,
    };
    let (config_url, integration, _builtin) = config_target(&s, url, &a.integration)?;
    let mut tally = Tally::default();
    delete_step(&s, &config_url, &integration, &id, &mut tally, false)?;
    tally.finish()
}

/// `simulate flow`: create, check the handshake, `webhook.test` and `vote.create` to the returned
/// webhook URL signed with the connection's secret, then delete.
pub(crate) fn flow(a: FlowArgs, ctx: Context) -> Result<Outcome> {
    let s = Settings::resolve(&a.delivery, ctx)?;
    let (config_url, integration, builtin) = config_target(&s, s.url.clone(), &a.integration)?;
    let mut outcome = run_flow(&s, &config_url, &integration);
    if s.stop.reason() == Some(Reason::Interrupted) {
        outcome = Err(Error::Interrupted);
    }
    // --inspect (which rules out --url): the run's verdict stands once Ctrl-C ends the look; a
    // run that was itself stopped is not held.
    if s.stop.is_stopped() {
        return outcome;
    }
    if let (true, Some(b)) = (a.inspect, &builtin) {
        super::builtin::hold_for_inspection(b.receiver());
    }
    outcome
}

fn run_flow(s: &Settings, config_url: &Url, integration: &Secret) -> Result<Outcome> {
    let no_payload = PayloadArgs::default();
    let mut tally = Tally::default();
    let connected = fresh_connection(s, config_url, integration, &mut tally)?;
    if s.dry_run {
        output::note("note: flow --dry-run shows the first request only; the others depend on its answer");
        return Ok(Outcome::Success);
    }
    if tally.unreachable() {
        return tally.finish();
    }
    let Some(c) = connected else {
        if !s.json {
            output::note("flow stopped: without a correct handshake there is no webhook URL to deliver to");
        }
        tally.fail();
        return tally.finish();
    };
    announce_secret(s, "webhook secret", &c.webhook_secret, &Source::Handshake);
    let steps = [("webhook.test", Shape::Test), ("vote.create", Shape::Vote { weight: None, query: Vec::new() })];
    for (step, shape) in steps {
        // Stopped: no more deliveries, but the connection made is still deleted.
        if s.stop.is_stopped() {
            break;
        }
        if step != "webhook.test" && !c.routes.iter().any(|r| r == step) {
            if !s.json {
                output::note(format!("skipping {step}: the handshake did not subscribe to it"));
            }
            continue;
        }
        let built = payload::build(&shape, &no_payload)?;
        let delivery = s.signed(c.webhook_url.clone(), built.bytes, &c.webhook_secret);
        if let Some(report) = s.run_delivery(step, &delivery, &[&c.webhook_secret])? {
            tally.add(step, &report);
            if s.json {
                render::print_json(&Value::Object(render::report_json(step, &report)))?;
            }
        }
    }
    delete_step(s, config_url, integration, &c.connection_id, &mut tally, true)?;
    if !s.json {
        let verdict = if tally.all_ok() { style::ok("flow complete:") } else { style::fail("flow failed:") };
        with_stdout(|w| writeln!(w, "{verdict} handshake ok, {}", tally.summary()))?;
    }
    tally.finish()
}

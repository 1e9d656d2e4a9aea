//! `topgg-int check`: runs the conformance suite ([`crate::conformance`]) against a
//! config URL, a plain webhook (`--webhook-url`, no handshake), or the built-in reference
//! receiver, and reports it as a table, JSON or JUnit XML.
//!
//! `--json` prints one object:
//! `{"config_url": null (plain webhook)|url, "webhook_url": null|url (plain webhook),
//!   "left_out": null|{"cases": [names], "reason"}, "strict", "passed", "unreachable": null|"reason", "interrupted", "terminated",
//!   "stopped_after": null|"case the receiver stopped answering after", "duration_ms",
//!   "summary": {"passed","failed","warnings","skipped","info"},
//!   "cases": [{"name","severity","result","detail","duration_ms","explanation","facts":{…}}]}`
//! where `result` is `pass`, `fail`, `warn` (a recommended case failed, without `--strict`),
//! `skip` or `info`. `--list --json` prints `{"cases": [{"name","severity","explanation"}]}`.
//!
//! JUnit (`--junit FILE`): one testsuite, one testcase per case. Failed cases carry
//! `<failure message="detail" type="required|recommended">`, skipped ones `<skipped message=…/>`.
//! A recommended case that failed without `--strict` is written as a passing testcase whose
//! `<system-out>` starts with `WARNING:`: GitLab and the GitHub Actions reporters count every
//! `<failure>` as a failure whatever its `type`, so a "warning failure" would show a red test in a
//! run that exits 0. Info cases pass with their fact in `<system-out>`. A plain webhook's run
//! names the cases it left out in a `left_out` property.

use std::fs::File;
use std::io::Write;
use std::time::Duration;

use serde_json::{Value, json};

use super::Context;
use super::args::CheckArgs;
use super::secrets::{self, SecretFlags, Source};
use crate::conformance::{
    self, CASES, CaseResult, Config, INTEGRATION_ONLY_REASON, PlainWebhook, Report, Selection, Status,
};
use crate::error::{Error, Outcome, Result};
use crate::output::{self, junit, style, with_stdout};
use crate::protocol::secret::Secret;
use crate::protocol::time::format_duration;
use crate::receiver::{Log, Receiver, ReceiverConfig};

/// Runs `check`.
pub fn run(args: CheckArgs, ctx: Context) -> Result<Outcome> {
    if args.list {
        return list(ctx);
    }
    let selection = Selection::from_lists(&args.only, &args.skip)?;
    if args.timeout.is_zero() {
        return Err(Error::input("--timeout must be more than 0 (Top.gg waits 5 s)"));
    }
    // `--junit -` makes the XML stdout's only content (as `-` means for every file flag); the
    // table then goes to stderr, where a person watching still sees it.
    let junit_stdout = args.junit.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if junit_stdout && ctx.json {
        return Err(Error::input("--junit - and --json both write to stdout; give --junit a file name"));
    }
    // Open the report file first: an unwritable path should fail before any request is sent.
    let junit_file = match &args.junit {
        Some(path) if !junit_stdout => {
            Some((path.clone(), File::create(path).map_err(|e| Error::io("create", path, &e))?))
        }
        _ => None,
    };
    let flags = SecretFlags::integration(
        args.integration.integration_secret.as_deref(),
        args.integration.integration_secret_file.as_deref(),
    );
    let plain = plain_webhook(&args, ctx.json)?;
    if plain.is_some() {
        selection.check_plain_webhook(&args.only)?;
    }
    // A plain webhook has no config URL: an integration secret from the environment is not used.
    let given_secret = if plain.is_some() { None } else { flags.resolve(None, ctx.json)? };
    let mut legacy_secret = match args.legacy_secret.as_deref() {
        Some(s) => Some(secrets::non_empty("legacy secret", "--legacy-secret", s)?),
        None => None,
    };
    let mut legacy_url = match &args.legacy_url {
        Some(url) => Some(
            conformance::validate_url(url)
                .map_err(|_| Error::input(format!("--legacy-url {url:?} is not an absolute http(s) URL")))?,
        ),
        None => None,
    };
    let target = match &plain {
        Some((webhook, _)) => Some(webhook.url.clone()),
        None => args.url.clone(),
    };
    let (config_url, integration_secret, builtin) = match target {
        Some(url) if plain.is_some() => {
            // Not sent anywhere: a plain webhook has no config URL.
            let unused = secrets::Resolved {
                secret: crate::protocol::generate::integration_secret()?,
                source: Source::Generated,
            };
            (url, unused, None)
        }
        Some(url) => {
            let url = conformance::validate_url(&url)?;
            let secret = given_secret.ok_or_else(|| {
                Error::input(
                    "no integration secret given; pass the secret your config URL verifies integration.create with \
                     as --integration-secret-file FILE, TOPGG_INTEGRATION_SECRET or --integration-secret",
                )
            })?;
            (url, secret, None)
        }
        None => {
            let secret = match given_secret {
                Some(s) => s,
                None => secrets::Resolved {
                    secret: crate::protocol::generate::integration_secret()?,
                    source: Source::Generated,
                },
            };
            // The built-in receiver takes v0 votes on /legacy, so its check covers them too.
            let legacy = match legacy_secret.take() {
                Some(s) => s,
                None => crate::protocol::generate::integration_secret()?,
            };
            let receiver = start_builtin(&secret.secret, &legacy)?;
            legacy_url = Some(builtin_legacy_url(&receiver.config_url()));
            legacy_secret = Some(legacy);
            (receiver.config_url(), secret, Some(receiver))
        }
    };
    if !ctx.json {
        let timeout = format_duration(args.timeout);
        match &plain {
            Some((_, source)) => {
                output::note(format!("checking the plain webhook {config_url} (timeout {timeout})"));
                secrets::announce("webhook secret", &source.secret, &source.source);
            }
            None => {
                output::note(format!("checking {config_url} (timeout {timeout})"));
                secrets::announce("integration secret", &integration_secret.secret, &integration_secret.source);
            }
        }
    }
    let config = Config {
        config_url,
        integration_secret: integration_secret.secret,
        webhook: plain.map(|(webhook, _)| webhook),
        timeout: args.timeout,
        insecure: args.insecure,
        no_proxy: builtin.is_some(),
        legacy_secret,
        legacy_url,
        selection,
        stop: Some(super::interrupt::install()),
    };
    // On a terminal each case shows as it finishes; the report on stdout is the same either way,
    // but for its rows, which are not printed twice when stdout is that terminal too.
    let live = output::stderr_is_terminal();
    let rows_shown = live && !ctx.json && output::stdout_is_terminal();
    // Not on a terminal (a CI log): the table's rows go to stdout as each case finishes (in run
    // order), one line each and never redrawn, so a long run shows where it is.
    let streamed = !live && !ctx.json && !junit_stdout;
    let width = CASES.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let report = if live {
        conformance::run_with_progress(&config, &mut |r| output::note(row(r, args.strict, width)))?
    } else if streamed {
        with_stdout(|w| write_header(w, &config.config_url, builtin.is_some(), config.webhook.is_some()))?;
        let mut failed = None;
        let report = conformance::run_with_progress(&config, &mut |r| {
            if failed.is_none()
                && let Err(e) = with_stdout(|w| writeln!(w, "{}", row(r, args.strict, width)))
            {
                failed = Some(e);
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        report
    } else {
        conformance::run(&config)?
    };
    let is_builtin = builtin.is_some();
    // --inspect (which rules out --url) keeps the built-in receiver up past the report.
    let held = match builtin {
        Some(r) if args.inspect && !report.interrupted && !report.terminated => Some(r),
        Some(r) => {
            r.shutdown();
            None
        }
        None => None,
    };
    if ctx.json {
        let value = report_json(&report, args.strict);
        with_stdout(|w| writeln!(w, "{value}"))?;
    } else if junit_stdout {
        let mut table = Vec::new();
        render_table(&mut table, &report, args.strict, is_builtin, !live)
            .map_err(|e| Error::input(format!("could not render the table: {e}")))?;
        output::note(String::from_utf8_lossy(&table).trim_end());
    } else if streamed {
        with_stdout(|w| write_summary(w, &report, args.strict))?;
    } else {
        with_stdout(|w| render_table(w, &report, args.strict, is_builtin, !rows_shown))?;
    }
    if let Some((path, file)) = junit_file {
        let mut w = std::io::BufWriter::new(file);
        let io_err = |e: std::io::Error| Error::io("write", &path, &e);
        write_junit(&mut w, &report, args.strict).map_err(io_err)?;
        w.flush().map_err(io_err)?;
    } else if junit_stdout {
        with_stdout(|w| write_junit(w, &report, args.strict))?;
    }
    if let Some(receiver) = held {
        output::note(format!(
            "inspector {}  (the built-in receiver stays up: Ctrl-C stops it)",
            receiver.inspector_url()
        ));
        // Installed for the run (Config::stop), so a signal since that line is not lost.
        super::interrupt::install().wait();
        receiver.shutdown();
    }
    if report.interrupted {
        return Err(Error::Interrupted);
    }
    if let Some(reason) = &report.unreachable {
        return Err(Error::network(format!("could not reach {}: {reason}", report.config_url)));
    }
    Ok(Outcome::from_ok(report.passed(args.strict)))
}

/// A plain webhook to check: `--webhook-url` (or the `webhook_url` of a `--from` file) and the
/// webhook secret in `simulate vote`'s order (`--secret`/`--secret-file`, `--from`, then
/// `TOPGG_WEBHOOK_SECRET`), with where the secret came from. `None` without either flag.
fn plain_webhook(args: &CheckArgs, quiet: bool) -> Result<Option<(PlainWebhook, secrets::Resolved)>> {
    let flags = SecretFlags::webhook(args.secret.secret.as_deref(), args.secret.secret_file.as_deref());
    if args.webhook_url.is_none() && args.from.is_none() {
        if flags.value.is_some() || flags.file.is_some() {
            return Err(Error::input(
                "--secret and --secret-file sign a plain webhook's deliveries: pass its URL as --webhook-url too \
                 (an integration's config URL is --url, with --integration-secret-file)",
            ));
        }
        return Ok(None);
    }
    let saved = args.from.as_deref().map(super::simulate::connection::load).transpose()?;
    let url = match (&args.webhook_url, &saved, &args.from) {
        (Some(url), _, _) => crate::send::target::parse_url(url)
            .map_err(|why| Error::input(format!("--webhook-url {why}")))
            .map(|_| url.clone())?,
        (None, Some(saved), Some(path)) => {
            let url = saved.webhook_url.clone().ok_or_else(|| {
                Error::input(format!(
                    "--from {}: the file has no webhook_url (the handshake did not give one); pass --webhook-url",
                    path.display()
                ))
            })?;
            crate::send::target::parse_url(&url)
                .map_err(|why| Error::input(format!("--from {}: webhook_url {why}", path.display())))?;
            url
        }
        _ => unreachable!("one of --webhook-url and --from is given"),
    };
    let from = args.from.as_deref().zip(saved.as_ref().map(|s| s.webhook_secret.as_str()));
    let secret = flags.require(
        from,
        quiet,
        "pass the webhook's whs_ secret (from the project dashboard) as --secret-file FILE, TOPGG_WEBHOOK_SECRET \
         or --secret",
    )?;
    Ok(Some((PlainWebhook { url, secret: secret.secret.clone() }, secret)))
}

/// Starts the built-in reference receiver on 127.0.0.1 with `secret` as its integration secret,
/// `legacy_secret` on `/legacy`, and a throwaway store (removed on shutdown). Its request log is not shown: the report is.
fn start_builtin(secret: &Secret, legacy_secret: &Secret) -> Result<Receiver> {
    let mut config = ReceiverConfig::ephemeral(secret.clone())?;
    config.legacy_secret = Some(legacy_secret.clone());
    Receiver::start(config, Log::none())
}

/// The built-in receiver's v0 endpoint: `/legacy` on the config URL's origin.
fn builtin_legacy_url(config_url: &str) -> String {
    match config_url.find("://").and_then(|i| config_url[i + 3..].find('/').map(|j| i + 3 + j)) {
        Some(path_start) => format!("{}/legacy", &config_url[..path_start]),
        None => format!("{config_url}/legacy"),
    }
}

fn list(ctx: Context) -> Result<Outcome> {
    if ctx.json {
        let cases: Vec<Value> = CASES
            .iter()
            .map(|c| json!({"name": c.name, "severity": c.severity.name(), "explanation": c.explanation}))
            .collect();
        with_stdout(|w| writeln!(w, "{}", json!({ "cases": cases })))?;
    } else {
        let width = CASES.iter().map(|c| c.name.len()).max().unwrap_or(0);
        with_stdout(|w| {
            for c in &CASES {
                let severity = format!("{:<11}", c.severity.name());
                writeln!(w, "{:<width$}  {}  {}", c.name, style::dim(&severity), c.explanation)?;
            }
            Ok(())
        })?;
    }
    Ok(Outcome::Success)
}

fn styled_status(status: Status) -> String {
    let padded = format!("{:<4}", status.name());
    match status {
        Status::Passed => style::ok(&padded),
        Status::Failed => style::fail(&padded),
        Status::Warning => style::warn(&padded),
        Status::Skipped => style::dim(&padded),
        Status::Info => style::accent(&padded),
    }
    .to_string()
}

/// One case as a table row: name, status, time, detail.
fn row(r: &CaseResult, strict: bool, width: usize) -> String {
    let time = format!("{:>7}", format_duration(r.duration));
    format!("  {:<width$}  {}  {}  {}", r.case.name, styled_status(r.status(strict)), style::dim(&time), r.detail)
}

fn render_table(w: &mut dyn Write, report: &Report, strict: bool, builtin: bool, rows: bool) -> std::io::Result<()> {
    let width = report.results.iter().map(|r| r.case.name.len()).max().unwrap_or(0);
    write_header(w, &report.config_url, builtin, report.plain_webhook)?;
    if rows {
        for r in &report.results {
            writeln!(w, "{}", row(r, strict, width))?;
        }
    }
    write_summary(w, report, strict)
}

/// The table's first line: `check URL`, saying when it is the built-in receiver or a plain webhook.
fn write_header(w: &mut dyn Write, url: &str, builtin: bool, plain_webhook: bool) -> std::io::Result<()> {
    let target = if builtin {
        format!("{url} (built-in receiver)")
    } else if plain_webhook {
        format!("{url} (plain webhook)")
    } else {
        url.to_string()
    };
    writeln!(w, "{} {}", style::bold("check"), style::accent(&target))
}

/// The table's last lines: the cases left out, then the counts and the verdict.
fn write_summary(w: &mut dyn Write, report: &Report, strict: bool) -> std::io::Result<()> {
    if let Some(line) = left_out_line(report) {
        writeln!(w, "{}", style::dim(&line))?;
    }
    let summary = format!(
        "{} passed, {} failed, {} warnings, {} skipped, {} info in {}",
        report.count(Status::Passed, strict),
        report.count(Status::Failed, strict),
        report.count(Status::Warning, strict),
        report.count(Status::Skipped, strict),
        report.count(Status::Info, strict),
        format_duration(report.duration)
    );
    let verdict = if report.interrupted {
        style::warn("INTERRUPTED").to_string()
    } else if report.unreachable.is_some() {
        style::fail("UNREACHABLE").to_string()
    } else if let Some(after) = report.stopped_after {
        style::fail(&format!("FAILED (the receiver stopped answering after {after})")).to_string()
    } else if report.passed(strict) && report.terminated {
        style::warn("STOPPED (no case that ran failed; the rest were not run)").to_string()
    } else if report.passed(strict) {
        style::ok("PASSED").to_string()
    } else if strict {
        style::fail("FAILED (a required or, with --strict, recommended case failed)").to_string()
    } else {
        style::fail("FAILED (a required case failed)").to_string()
    };
    writeln!(w, "{summary}: {verdict}")
}

/// `left out handshake, config-rejects-bad-signature, delete: they need …`, for a plain webhook.
fn left_out_line(report: &Report) -> Option<String> {
    (!report.left_out.is_empty()).then(|| format!("left out {}: {INTEGRATION_ONLY_REASON}", report.left_out.join(", ")))
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

fn report_json(report: &Report, strict: bool) -> Value {
    let cases: Vec<Value> = report
        .results
        .iter()
        .map(|r| {
            json!({
                "name": r.case.name,
                "severity": r.case.severity.name(),
                "result": r.status(strict).name(),
                "detail": r.detail,
                "duration_ms": ms(r.duration),
                "explanation": r.case.explanation,
                "facts": r.facts,
            })
        })
        .collect();
    let (config_url, webhook_url) =
        if report.plain_webhook { (None, Some(&report.config_url)) } else { (Some(&report.config_url), None) };
    let left_out = if report.plain_webhook {
        json!({"cases": report.left_out, "reason": INTEGRATION_ONLY_REASON})
    } else {
        Value::Null
    };
    json!({
        "config_url": config_url,
        "webhook_url": webhook_url,
        "left_out": left_out,
        "strict": strict,
        "passed": report.passed(strict) && report.unreachable.is_none() && !report.interrupted,
        "unreachable": report.unreachable,
        "interrupted": report.interrupted,
        "terminated": report.terminated,
        "stopped_after": report.stopped_after,
        "duration_ms": ms(report.duration),
        "summary": {
            "passed": report.count(Status::Passed, strict),
            "failed": report.count(Status::Failed, strict),
            "warnings": report.count(Status::Warning, strict),
            "skipped": report.count(Status::Skipped, strict),
            "info": report.count(Status::Info, strict),
        },
        "cases": cases,
    })
}

fn junit_case(r: &CaseResult, strict: bool) -> junit::Case {
    let severity = r.case.severity.name();
    let (outcome, system_out) = match r.status(strict) {
        Status::Passed => (junit::CaseOutcome::Passed, None),
        Status::Info => (junit::CaseOutcome::Passed, Some(r.detail.clone())),
        Status::Skipped => (junit::CaseOutcome::Skipped { message: r.detail.clone() }, None),
        Status::Warning => (
            junit::CaseOutcome::Passed,
            Some(format!("WARNING: recommended case failed (required only with --strict): {}", r.detail)),
        ),
        Status::Failed => (
            junit::CaseOutcome::Failed {
                message: r.detail.clone(),
                kind: severity.into(),
                text: format!("{}\n\nexpected: {}", r.detail, r.case.explanation),
            },
            None,
        ),
    };
    junit::Case {
        name: r.case.name.into(),
        classname: format!("topgg-int.check.{severity}"),
        time: r.duration,
        outcome,
        system_out,
    }
}

fn write_junit(w: &mut dyn Write, report: &Report, strict: bool) -> std::io::Result<()> {
    let suite = junit::Suite {
        name: "topgg-int check".into(),
        time: report.duration,
        properties: [
            (if report.plain_webhook { "webhook_url" } else { "config_url" }.into(), report.config_url.clone()),
            ("strict".into(), strict.to_string()),
        ]
        .into_iter()
        .chain(report.stopped_after.map(|after| ("stopped_after".into(), after.to_string())))
        .chain(left_out_line(report).map(|line| ("left_out".into(), line)))
        .collect(),
        cases: report.results.iter().map(|r| junit_case(r, strict)).collect(),
    };
    junit::write(w, &suite)
}

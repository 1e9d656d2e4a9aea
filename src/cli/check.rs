//! `topgg-int check`: runs the conformance suite ([`crate::conformance`]) against a
//! config URL, or the built-in reference receiver, and reports it as a table, JSON or JUnit XML.
//!
//! `--json` prints one object:
//! `{"config_url", "strict", "passed", "unreachable": null|"reason", "interrupted", "duration_ms",
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
//! run that exits 0. Info cases pass with their fact in `<system-out>`.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::Context;
use super::args::CheckArgs;
use super::input::resolve_secret;
use crate::conformance::{self, CASES, CaseResult, Config, Report, Selection, Status};
use crate::error::{Error, Outcome, Result};
use crate::output::{self, junit, style, with_stdout};
use crate::protocol::secret::Secret;
use crate::protocol::time::format_duration;
use crate::receiver::{Receiver, ReceiverConfig};

/// Runs `check`.
pub fn run(args: CheckArgs, ctx: Context) -> Result<Outcome> {
    if args.list {
        return list(ctx);
    }
    let selection = Selection::from_lists(&args.only, &args.skip)?;
    if args.timeout.is_zero() {
        return Err(Error::input("--timeout must be more than 0 (Top.gg waits 5 s)"));
    }
    // Open the report file first: an unwritable path should fail before any request is sent.
    let junit_file = match &args.junit {
        Some(path) => Some((path.clone(), File::create(path).map_err(|e| Error::io("create", path, &e))?)),
        None => None,
    };
    let given_secret = match (&args.integration.integration_secret, &args.integration.integration_secret_file) {
        (None, None) => None,
        (value, file) => Some(resolve_secret(
            value.as_deref(),
            file.as_deref(),
            "integration secret",
            "pass --integration-secret or --integration-secret-file",
        )?),
    };
    let (config_url, integration_secret, builtin) = match &args.url {
        Some(url) => {
            let url = conformance::validate_url(url)?;
            let secret = given_secret.ok_or_else(|| {
                Error::input(
                    "no integration secret given; pass the secret your config URL verifies integration.create with \
                     as --integration-secret, TOPGG_INTEGRATION_SECRET or --integration-secret-file",
                )
            })?;
            (url, secret, None)
        }
        None => {
            let secret = match given_secret {
                Some(s) => s,
                None => crate::protocol::generate::integration_secret()?,
            };
            let receiver = start_builtin(&secret)?;
            (receiver.config_url(), secret, Some(receiver))
        }
    };
    if !ctx.json {
        output::note(format!("checking {config_url} (timeout {})", format_duration(args.timeout)));
    }
    let config = Config {
        config_url,
        integration_secret,
        timeout: args.timeout,
        insecure: args.insecure,
        no_proxy: builtin.is_some(),
        selection,
        stop: Some(super::interrupt::install()),
    };
    let report = conformance::run(&config)?;
    // --inspect (which rules out --url) keeps the built-in receiver up past the report.
    let held = match builtin {
        Some(r) if args.inspect && !report.interrupted => Some(r),
        Some(r) => {
            r.shutdown();
            None
        }
        None => None,
    };
    if ctx.json {
        let value = report_json(&report, args.strict);
        with_stdout(|w| writeln!(w, "{value}"))?;
    } else {
        with_stdout(|w| render_table(w, &report, args.strict, args.url.is_none()))?;
    }
    if let Some((path, file)) = junit_file {
        write_junit(&path, file, &report, args.strict)?;
    }
    if let Some(receiver) = held {
        output::note(format!(
            "inspector {}  (the built-in receiver stays up: Ctrl-C stops it)",
            receiver.inspector_url()
        ));
        super::interrupt::wait();
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

/// Starts the built-in reference receiver on 127.0.0.1 with `secret` as its integration secret
/// and a throwaway store (removed on shutdown). Its request log is not shown: the report is.
fn start_builtin(secret: &Secret) -> Result<Receiver> {
    Receiver::start(ReceiverConfig::ephemeral(secret.clone())?, Box::new(|_| {}))
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

fn render_table(w: &mut dyn Write, report: &Report, strict: bool, builtin: bool) -> std::io::Result<()> {
    let width = report.results.iter().map(|r| r.case.name.len()).max().unwrap_or(0);
    let target = if builtin { format!("{} (built-in receiver)", report.config_url) } else { report.config_url.clone() };
    writeln!(w, "{} {}", style::bold("check"), style::accent(&target))?;
    for r in &report.results {
        let time = format!("{:>7}", format_duration(r.duration));
        writeln!(
            w,
            "  {:<width$}  {}  {}  {}",
            r.case.name,
            styled_status(r.status(strict)),
            style::dim(&time),
            r.detail
        )?;
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
    } else if report.passed(strict) {
        style::ok("PASSED").to_string()
    } else if strict {
        style::fail("FAILED (a required or, with --strict, recommended case failed)").to_string()
    } else {
        style::fail("FAILED (a required case failed)").to_string()
    };
    writeln!(w, "{summary}: {verdict}")
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
    json!({
        "config_url": report.config_url,
        "strict": strict,
        "passed": report.passed(strict) && report.unreachable.is_none() && !report.interrupted,
        "unreachable": report.unreachable,
        "interrupted": report.interrupted,
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

fn write_junit(path: &Path, file: File, report: &Report, strict: bool) -> Result<()> {
    let suite = junit::Suite {
        name: "topgg-int check".into(),
        time: report.duration,
        properties: vec![("config_url".into(), report.config_url.clone()), ("strict".into(), strict.to_string())],
        cases: report.results.iter().map(|r| junit_case(r, strict)).collect(),
    };
    let mut w = std::io::BufWriter::new(file);
    let io_err = |e: std::io::Error| Error::io("write", path, &e);
    junit::write(&mut w, &suite).map_err(io_err)?;
    w.flush().map_err(io_err)?;
    Ok(())
}

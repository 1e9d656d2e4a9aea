//! `topgg-int verify`: checks signatures against a body or captured requests and explains why
//! they fail. One input prints a full report; many print one line each and a summary.
//!
//! JSON shape (`--json`): one input gives one [`Report`] object; several give
//! `{"results": [Report…], "summary": {"valid": n, "invalid": n, "unusable": n, "skipped": n}}`,
//! where an unusable input is `{"source": …, "error": "…"}` and a capture that is not a request
//! Top.gg sends (a `GET /health`) is `{"source": …, "skipped": "…"}`.

use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::Context;
use super::args::VerifyArgs;
use super::input::read_input;
use super::secrets::{Resolved, SecretFlags};
use crate::error::{Error, Outcome, Result};
use crate::output::{style, with_stdout};
use crate::protocol::capture::Capture;
use crate::protocol::diagnose::{Hint, RAW_BODY_FIXES};
use crate::protocol::secret::Secret;
use crate::protocol::signature::{Diagnosis, SIGNATURE_HEADER, TRACE_HEADER, diagnose};
use crate::protocol::time::{format_age, format_utc, now_unix};

/// The verdict on one input, as printed with `--json`.
#[derive(Debug, Serialize)]
pub struct Report {
    source: String,
    valid: bool,
    reason: &'static str,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    age_seconds: Option<i64>,
    now: i64,
    tolerance: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature_matches: Option<bool>,
    hints: Vec<HintReport>,
    /// How to read the raw body per framework, when a hint says the body was parsed or consumed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    raw_body_fixes: Vec<RawBodyFix>,
    warnings: Vec<String>,
    /// For a valid signature: what a refusal with a released v0-only SDK's answer means.
    #[serde(skip_serializing_if = "Option::is_none")]
    if_refused: Option<String>,
    secret_fingerprint: String,
    secret_masked: String,
    /// Where the secret came from (`--secret-file s.txt`, `TOPGG_WEBHOOK_SECRET`, …).
    secret_source: String,
}

#[derive(Debug, Serialize)]
struct HintReport {
    code: &'static str,
    explanation: String,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    rejected_by: &'static [&'static str],
}

#[derive(Debug, Serialize)]
struct RawBodyFix {
    framework: &'static str,
    fix: &'static str,
}

/// One input's line in the `--json` results of a many-input run.
#[derive(Serialize)]
#[serde(untagged)]
enum Entry {
    Verified(Box<Report>),
    Unusable { source: String, error: String },
    Skipped { source: String, skipped: String },
}

/// One thing to verify: where it came from, the header and the body.
struct Item {
    source: String,
    /// `GET /health` for a captured request that is not one Top.gg sends (those are POSTs).
    not_topgg: Option<String>,
    header: Option<String>,
    body: Vec<u8>,
    warnings: Vec<String>,
}

/// The secrets a run may verify with: Top.gg signs webhook deliveries with the connection's
/// webhook secret and requests to the config URL (`integration.*`) with the integration secret.
struct Secrets {
    webhook: Option<Resolved>,
    integration: Option<Resolved>,
}

impl Secrets {
    /// The secret that signs `item`, chosen by its event type, and a sentence when the one that
    /// signs it was not given.
    fn pick(&self, item: &Item) -> std::result::Result<(&Resolved, Option<String>), Error> {
        let kind = serde_json::from_slice::<serde_json::Value>(&item.body)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string));
        let config_url = kind.as_deref().is_some_and(|k| k.starts_with("integration."));
        match (config_url, &self.integration, &self.webhook) {
            (true, Some(i), _) => Ok((i, None)),
            (false, _, Some(w)) => Ok((w, None)),
            // The other secret is all there is: verify with it, and say which one signs this.
            (true, None, Some(w)) => Ok((
                w,
                Some(format!(
                    "this is an {}, which Top.gg signs with the integration secret: give it with \
                     --integration-secret-file FILE or TOPGG_INTEGRATION_SECRET",
                    kind.unwrap_or_default()
                )),
            )),
            (false, Some(_), None) => Err(Error::input(format!(
                "{} is a webhook delivery{}, which Top.gg signs with the connection's webhook secret: \
                 give it with --secret-file FILE or TOPGG_WEBHOOK_SECRET",
                item.source,
                kind.map(|k| format!(" ({k})")).unwrap_or_default()
            ))),
            (_, None, None) => unreachable!("run() requires one secret"),
        }
    }
}

/// Runs `verify`.
pub fn run(args: VerifyArgs, ctx: Context) -> Result<Outcome> {
    let webhook = SecretFlags::webhook(args.secret.secret.as_deref(), args.secret.secret_file.as_deref())
        .resolve(None, ctx.json)?;
    let integration = SecretFlags::integration(
        args.integration.integration_secret.as_deref(),
        args.integration.integration_secret_file.as_deref(),
    )
    .resolve(None, ctx.json)?;
    if webhook.is_none() && integration.is_none() {
        return Err(Error::input(
            "no secret given; use --secret-file FILE (or TOPGG_WEBHOOK_SECRET) for webhook deliveries, \
             --integration-secret-file FILE (or TOPGG_INTEGRATION_SECRET) for integration.* requests",
        ));
    }
    let secrets = Secrets { webhook, integration };
    let now = args.now.unwrap_or_else(now_unix);
    let check = |item: Item| -> Result<Checked> {
        if let Some(what) = item.not_topgg {
            return Ok(Checked::Skipped { source: item.source, why: format!("{what} is not a request Top.gg sends") });
        }
        let (resolved, warning) = secrets.pick(&item)?;
        let mut r = report(item, &resolved.secret, &resolved.source.to_string(), now, args.tolerance);
        r.warnings.extend(warning);
        Ok(Checked::Report(Box::new(r)))
    };

    if let (Some(header), Some(body)) = (&args.signature, &args.body) {
        let item = Item {
            source: body.display().to_string(),
            header: Some(header.clone()),
            body: read_input(body)?,
            not_topgg: None,
            warnings: vec![],
        };
        return single(check(item)?, ctx);
    }
    let files = expand(&args.request)?;
    if let [only] = files.as_slice() {
        return single(check(load_capture(only)?)?, ctx);
    }
    // A folder of captures holds whatever reached the receiver (a GET /health, say): those are
    // skipped and counted, never failures.
    many(files.iter().map(|f| load_capture(f).and_then(check).map_err(|e| (f.display().to_string(), e))), ctx)
}

fn report(item: Item, secret: &Secret, source: &str, now: i64, tolerance: u64) -> Report {
    let d: Diagnosis = diagnose(secret, item.header.as_deref(), &item.body, now, tolerance);
    let timestamp = d.header.as_ref().map(|h| h.timestamp);
    let mut warnings = item.warnings;
    if secret.has_surrounding_whitespace() {
        warnings.push(
            "the secret given has surrounding whitespace; a secret read from a file or env var usually should not"
                .into(),
        );
    }
    let valid = d.is_valid();
    Report {
        source: item.source,
        valid,
        reason: d.reason.code(),
        detail: d.detail,
        timestamp,
        signed_at: timestamp.map(format_utc),
        age_seconds: timestamp.map(|t| now.saturating_sub(t)),
        now,
        tolerance,
        signature_matches: d.mac_matches,
        hints: d
            .hints
            .iter()
            .map(|h| HintReport { code: h.code(), explanation: h.explanation(), rejected_by: h.rejected_by() })
            .collect(),
        raw_body_fixes: if d.hints.iter().any(Hint::wants_raw_body) {
            RAW_BODY_FIXES.iter().map(|&(framework, fix)| RawBodyFix { framework, fix }).collect()
        } else {
            Vec::new()
        },
        warnings,
        if_refused: valid.then(crate::protocol::legacy_sdk::if_refused_note),
        secret_fingerprint: secret.fingerprint(),
        secret_masked: secret.masked(),
        secret_source: source.to_string(),
    }
}

/// Files named directly, and the `.http` files of named directories in name order.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let entries = std::fs::read_dir(p).map_err(|e| Error::io("read the directory", p, &e))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "http"))
                .collect();
            if found.is_empty() {
                return Err(Error::input(format!("{} has no .http files", p.display())));
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn load_capture(path: &Path) -> Result<Item> {
    let raw = read_input(path)?;
    let (capture, extra) = Capture::parse_counting(&raw)
        .map_err(|e| Error::input(format!("{} is not a captured HTTP request: {e}", path.display())))?;
    let mut warnings = Vec::new();
    if !extra.is_empty() {
        warnings.push(extra_bytes_warning(capture.body.len(), extra));
    }
    if capture.header(TRACE_HEADER).is_none() {
        warnings.push(format!("no {TRACE_HEADER} header: the python and go SDKs answer 401 and rust 400 without it"));
    }
    let not_topgg = (capture.method != "POST").then(|| format!("{} {}", capture.method, capture.path));
    Ok(Item {
        source: path.display().to_string(),
        not_topgg,
        header: capture.header(SIGNATURE_HEADER).map(str::to_string),
        body: capture.body,
        warnings,
    })
}

/// The capture holds more than the request: bytes after the body its Content-Length declares.
fn extra_bytes_warning(body_len: usize, extra: &[u8]) -> String {
    let n = extra.len();
    let bytes = if n == 1 { "1 byte".to_string() } else { format!("{n} bytes") };
    let what = if extra.iter().all(|b| b.is_ascii_whitespace()) {
        " (whitespace: an editor's newline?)"
    } else if extra.windows(5).any(|w| w == b"HTTP/") {
        " (another request? a capture holds one)"
    } else {
        ""
    };
    format!(
        "the capture holds more than the request: {bytes} after the {body_len}-byte body its Content-Length \
         declares{what}; they were not verified, and a receiver reading the same stream would take them as the \
         start of the next request"
    )
}

/// What became of one input: verified, or skipped as not a request Top.gg sends.
enum Checked {
    Report(Box<Report>),
    Skipped { source: String, why: String },
}

fn single(checked: Checked, ctx: Context) -> Result<Outcome> {
    let r = match checked {
        Checked::Report(r) => r,
        Checked::Skipped { source, why } => return Err(Error::input(format!("{source}: {why}; nothing to verify"))),
    };
    let valid = r.valid;
    with_stdout(|w| {
        if ctx.json {
            serde_json::to_writer_pretty(&mut *w, &r)?;
            writeln!(w)
        } else {
            write_full(w, &r)
        }
    })?;
    Ok(Outcome::from_ok(valid))
}

fn write_full(w: &mut dyn Write, r: &Report) -> std::io::Result<()> {
    let verdict = if r.valid { style::ok("✓ valid") } else { style::fail("✗ invalid") };
    if r.valid {
        writeln!(w, "{verdict}  {}", r.detail)?;
    } else {
        writeln!(w, "{verdict}  {}: {}", style::bold(r.reason), r.detail)?;
    }
    writeln!(w, "  {:<10} {}", "input", r.source)?;
    if let (Some(t), Some(date)) = (r.timestamp, &r.signed_at) {
        let window =
            if r.tolerance == 0 { "window disabled".to_string() } else { format!("window ±{} s", r.tolerance) };
        writeln!(w, "  {:<10} t={t}  {date}, {} ({window})", "signed", format_age(t, r.now))?;
    }
    if r.reason == "timestamp-out-of-window"
        && let Some(m) = r.signature_matches
    {
        let mac = if m { "the MAC itself matches" } else { "the MAC does not match either" };
        writeln!(w, "  {:<10} {mac}", "signature")?;
        if m && let Some(t) = r.timestamp {
            // The usual reason to verify an old capture is to check the secret and the bytes: say how.
            writeln!(
                w,
                "  {:<10} to check an old capture, verify as of its time (--now {t}) or without the window \
                 (--tolerance 0)",
                "next"
            )?;
        }
    }
    writeln!(
        w,
        "  {:<10} {} (fingerprint {}, from {})",
        "secret", r.secret_masked, r.secret_fingerprint, r.secret_source
    )?;
    for h in &r.hints {
        let label = if r.valid { style::warn("interop   ") } else { style::warn("hint      ") };
        writeln!(w, "  {label} {}: {}", style::bold(h.code), h.explanation)?;
        if !h.rejected_by.is_empty() {
            writeln!(w, "             rejected by the {} SDKs", h.rejected_by.join(", "))?;
        }
    }
    if !r.raw_body_fixes.is_empty() {
        writeln!(w, "  {:<10} the fix per framework:", "raw body")?;
        for f in &r.raw_body_fixes {
            writeln!(w, "             {:<18} {}", f.framework, f.fix)?;
        }
    }
    if !r.valid && r.reason == "signature-mismatch" && r.hints.is_empty() {
        writeln!(
            w,
            "  {} no usual mistake explains it: check that the secret is this connection's webhook_secret \
             (compare fingerprints) and that the body is the exact bytes received",
            style::warn("hint      ")
        )?;
    }
    for warning in &r.warnings {
        writeln!(w, "  {} {warning}", style::warn("warning   "))?;
    }
    if let Some(note) = &r.if_refused {
        writeln!(w, "  {:<10} {note}", "if refused")?;
    }
    Ok(())
}

fn many(results: impl Iterator<Item = std::result::Result<Checked, (String, Error)>>, ctx: Context) -> Result<Outcome> {
    let (mut valid, mut invalid, mut unusable, mut skipped) = (0u64, 0u64, 0u64, 0u64);
    let mut json_results = Vec::new();
    with_stdout(|w| {
        for r in results {
            match r {
                Ok(Checked::Skipped { source, why }) => {
                    skipped += 1;
                    if ctx.json {
                        json_results.push(Entry::Skipped { source, skipped: why });
                    } else {
                        writeln!(w, "{} {source}  {why}", style::dim("- skipped  "))?;
                    }
                }
                Ok(Checked::Report(r)) => {
                    if r.valid {
                        valid += 1
                    } else {
                        invalid += 1
                    }
                    if ctx.json {
                        json_results.push(Entry::Verified(r));
                    } else {
                        write_line(w, &r)?;
                    }
                }
                Err((source, e)) => {
                    unusable += 1;
                    if ctx.json {
                        json_results.push(Entry::Unusable { source, error: e.to_string() });
                    } else {
                        writeln!(w, "{} {source}  {e}", style::fail("! error  "))?;
                    }
                }
            }
        }
        if ctx.json {
            let summary =
                serde_json::json!({"valid": valid, "invalid": invalid, "unusable": unusable, "skipped": skipped});
            serde_json::to_writer_pretty(&mut *w, &serde_json::json!({"results": json_results, "summary": summary}))?;
            writeln!(w)
        } else {
            let skipped =
                if skipped > 0 { format!(", {skipped} skipped (not Top.gg requests)") } else { String::new() };
            writeln!(w, "{valid} valid, {invalid} invalid, {unusable} unusable{skipped}")
        }
    })?;
    if unusable > 0 {
        return Err(Error::input(format!("{unusable} of the inputs could not be read as captured requests")));
    }
    Ok(Outcome::from_ok(invalid == 0))
}

fn write_line(w: &mut dyn Write, r: &Report) -> std::io::Result<()> {
    if r.valid {
        let interop: Vec<_> = r.hints.iter().map(|h| h.code).collect();
        if interop.is_empty() {
            writeln!(w, "{} {}", style::ok("✓ valid    "), r.source)?;
        } else {
            writeln!(
                w,
                "{} {}  {} {}",
                style::ok("✓ valid    "),
                r.source,
                style::warn("interop:"),
                interop.join(", ")
            )?;
        }
    } else {
        let hint = r.hints.first().map(|h| format!(" (hint: {})", h.code)).unwrap_or_default();
        writeln!(w, "{} {}  {}{hint}", style::fail("✗ invalid  "), r.source, r.reason)?;
    }
    // A warning (which secret signs an integration.create, a missing trace) is as useful in a
    // folder run as for one file.
    for warning in &r.warnings {
        writeln!(w, "             {} {warning}", style::warn("warning:"))?;
    }
    Ok(())
}

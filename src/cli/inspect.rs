//! `topgg-int inspect`: pretty-prints and validates payloads and captured requests.
//!
//! Each input is a raw HTTP capture, one JSON document, or JSON Lines. JSON Lines are streamed a
//! line at a time through one reused buffer, so a 100 MB file never sits in memory whole.
//!
//! JSON shape (`--json`): one object per payload (JSON Lines for streams):
//! `{"source", "line"?, "kind", "capture"?: {method, path, signature?: {t, signed_at, age_seconds, v1}, trace?},
//!   "payload": <the JSON as parsed>, "problems": [{"path", "message"}], "notes"?: [sentence]}`.
//! A `vote.create` gets a note saying which of `data.user.id` (Top.gg) and
//! `data.user.platform_id` (Discord) is which; notes are not problems.

use serde::Serialize;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use super::Context;
use super::args::InspectArgs;
use super::input::{MAX_DOCUMENT, too_large};
use crate::error::{Error, Outcome, Result};
use crate::output::{self, style, with_stdout};
use crate::protocol::capture::Capture;
use crate::protocol::payload::{Problem, user_id_note, validate};
use crate::protocol::secret::Secret;
use crate::protocol::signature::{SIGNATURE_HEADER, TRACE_HEADER, parse_signature_header};
use crate::protocol::time::{format_age, format_utc, now_unix};

/// What inspect learned about one payload.
#[derive(Debug, Serialize)]
struct Inspected {
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    capture: Option<CaptureInfo>,
    payload: Value,
    problems: Vec<Problem>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

#[derive(Debug, Serialize)]
struct CaptureInfo {
    method: String,
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<SignatureInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<String>,
}

#[derive(Debug, Serialize)]
struct SignatureInfo {
    t: i64,
    signed_at: String,
    age_seconds: i64,
    v1: String,
}

/// Counts over a whole run.
#[derive(Default)]
struct Tally {
    payloads: u64,
    with_problems: u64,
    /// JSON Lines that are not JSON (or not a usable capture), and the first of them: the run
    /// inspects every line, then ends as a bad file does, exit 2.
    unusable: u64,
    first_unusable: Option<String>,
}

/// Runs `inspect`.
pub fn run(args: InspectArgs, ctx: Context) -> Result<Outcome> {
    let now = args.now.unwrap_or_else(now_unix);
    let inputs = if args.files.is_empty() { vec![PathBuf::from("-")] } else { args.files.clone() };
    let mut tally = Tally::default();
    for path in &inputs {
        inspect_input(path, &args, now, ctx, &mut tally)?;
    }
    if !ctx.json && (tally.payloads > 1 || inputs.len() > 1) {
        let problems = tally.with_problems;
        with_stdout(|w| {
            writeln!(w, "{} payloads, {} valid, {problems} with problems", tally.payloads, tally.payloads - problems)
        })?;
    }
    if let Some(first) = tally.first_unusable {
        let others = match tally.unusable - 1 {
            0 => String::new(),
            n => format!(" (and {n} more unusable line{})", if n == 1 { "" } else { "s" }),
        };
        return Err(Error::input(format!("{first}{others}; every other line was inspected")));
    }
    Ok(Outcome::from_ok(tally.with_problems == 0))
}

fn open(path: &Path) -> Result<Box<dyn BufRead>> {
    const BUF: usize = 256 * 1024;
    if path.as_os_str() == "-" {
        // Otherwise a bare `topgg-int inspect` on a terminal looks hung (clig.dev).
        if output::stdin_is_terminal() {
            output::note("reading from stdin, Ctrl-D to end");
        }
        return Ok(Box::new(BufReader::with_capacity(BUF, std::io::stdin())));
    }
    let f = std::fs::File::open(path).map_err(|e| Error::io("read", path, &e))?;
    Ok(Box::new(BufReader::with_capacity(BUF, f)))
}

fn source_name(path: &Path) -> String {
    if path.as_os_str() == "-" { "stdin".into() } else { path.display().to_string() }
}

fn read_err(path: &Path, e: std::io::Error) -> Error {
    if path.as_os_str() == "-" {
        Error::input(format!("could not read standard input: {}", crate::error::io_reason(&e)))
    } else {
        Error::io("read", path, &e)
    }
}

/// Decides what an input is from its first line, then inspects it: a request line means a capture;
/// a first line that is a whole JSON value followed by more lines means JSON Lines; otherwise the
/// input is one JSON document.
fn inspect_input(path: &Path, args: &InspectArgs, now: i64, ctx: Context, tally: &mut Tally) -> Result<()> {
    let source = source_name(path);
    let mut reader = open(path)?;
    let ext_jsonl = path.extension().is_some_and(|e| e == "jsonl" || e == "ndjson");
    let mut first = Vec::new();
    read_line_capped(&mut reader, &mut first).map_err(|e| read_err(path, e))?;
    if first.len() as u64 > MAX_DOCUMENT {
        return Err(too_large(&source, ""));
    }
    if first.iter().all(u8::is_ascii_whitespace) && !args.jsonl && !ext_jsonl {
        let mut rest = Vec::new();
        read_rest_capped(&mut reader, &mut rest, 0).map_err(|e| read_err(path, e))?;
        if rest.len() as u64 > MAX_DOCUMENT {
            return Err(too_large(&source, ""));
        }
        if rest.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::input(format!("{source} is empty")));
        }
        first.extend(rest);
        return single(&source, &first, now, args.show_secrets, ctx, tally);
    }
    let first_is_value = serde_json::from_slice::<Value>(&first).is_ok();
    let mut at_end = false;
    let jsonl = args.jsonl || ext_jsonl || {
        at_end = first_is_value && more_content(&mut reader).map_err(|e| read_err(path, e))?.is_empty();
        first_is_value && !at_end
    };
    if jsonl {
        return stream(&source, first, reader, args, now, ctx, tally);
    }
    // The peek already saw the end: on a terminal, reading again would wait for a second Ctrl-D.
    if at_end {
        return single(&source, &first, now, args.show_secrets, ctx, tally);
    }
    let mut all = first;
    let already = all.len() as u64;
    read_rest_capped(&mut reader, &mut all, already).map_err(|e| read_err(path, e))?;
    if all.len() as u64 > MAX_DOCUMENT {
        return Err(too_large(&source, ""));
    }
    single(&source, &all, now, args.show_secrets, ctx, tally)
}

/// One line into `buf`, stopping one byte past [`MAX_DOCUMENT`] so that a file without newlines
/// (`/dev/zero`) cannot grow it without bound; the caller checks the length.
fn read_line_capped(reader: &mut Box<dyn BufRead>, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    reader.by_ref().take(MAX_DOCUMENT + 1).read_until(b'\n', buf)
}

/// The rest of the input after `already` bytes, up to one byte past [`MAX_DOCUMENT`] in all.
fn read_rest_capped(reader: &mut Box<dyn BufRead>, buf: &mut Vec<u8>, already: u64) -> std::io::Result<usize> {
    reader.by_ref().take((MAX_DOCUMENT + 1).saturating_sub(already)).read_to_end(buf)
}

/// Peeks at what follows without consuming it (the buffered bytes), skipping blank space.
fn more_content(reader: &mut Box<dyn BufRead>) -> std::io::Result<Vec<u8>> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(Vec::new());
        }
        let skip = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if skip < buf.len() {
            return Ok(buf[skip..skip + 1].to_vec());
        }
        let n = buf.len();
        reader.consume(n);
    }
}

fn looks_like_request(raw: &[u8]) -> bool {
    let method_len = raw.iter().take_while(|b| b.is_ascii_uppercase()).count();
    method_len > 0 && raw.get(method_len) == Some(&b' ')
}

/// One whole document: a capture or a JSON payload, printed in full.
fn single(source: &str, raw: &[u8], now: i64, show_secrets: bool, ctx: Context, tally: &mut Tally) -> Result<()> {
    let mut item = if looks_like_request(raw) {
        let capture =
            Capture::parse(raw).map_err(|e| Error::input(format!("{source} is not a captured HTTP request: {e}")))?;
        from_capture(source, None, capture, now).map_err(|e| Error::input(format!("{source}: {e}")))?
    } else {
        let text = std::str::from_utf8(raw).map_err(|_| Error::input(format!("{source} is not UTF-8 text")))?;
        let payload: Value =
            serde_json::from_str(text).map_err(|e| Error::input(format!("{source} is not valid JSON: {e}")))?;
        from_payload(source, None, payload)
    };
    count(tally, &item);
    if !show_secrets {
        mask_secrets(&mut item.payload);
    }
    with_stdout(|w| if ctx.json { write_json_line(w, &item) } else { write_full(w, &item, now) })
}

/// Replaces an `integration.create`'s `webhook_secret` with its masked form and fingerprint, as
/// every other command shows secrets: inspect output ends up in tickets and chat.
fn mask_secrets(payload: &mut Value) {
    if let Some(v) = payload.get_mut("data").and_then(|d| d.get_mut("webhook_secret"))
        && let Some(s) = v.as_str()
    {
        let secret = Secret::new(s);
        *v = Value::String(format!("{} (fingerprint {})", secret.masked(), secret.fingerprint()));
    }
}

fn count(tally: &mut Tally, item: &Inspected) {
    tally.payloads += 1;
    if !item.problems.is_empty() {
        tally.with_problems += 1;
    }
}

fn from_payload(source: &str, line: Option<u64>, payload: Value) -> Inspected {
    let (kind, problems) = validate(&payload);
    let notes = user_id_note(&payload).into_iter().collect();
    Inspected { source: source.into(), line, kind: kind.name(), capture: None, payload, problems, notes }
}

/// A capture's body must be JSON for it to be inspected at all; header problems join the payload's.
fn from_capture(source: &str, line: Option<u64>, capture: Capture, now: i64) -> std::result::Result<Inspected, String> {
    let payload: Value =
        serde_json::from_slice(&capture.body).map_err(|e| format!("the body is not valid JSON: {e}"))?;
    let mut item = from_payload(source, line, payload);
    let mut header_problems = Vec::new();
    let signature = match capture.header(SIGNATURE_HEADER) {
        None => {
            header_problems.push(problem(SIGNATURE_HEADER, "is missing: every Top.gg request is signed"));
            None
        }
        Some(h) => match parse_signature_header(h) {
            Ok(p) => Some(SignatureInfo {
                t: p.timestamp,
                signed_at: format_utc(p.timestamp),
                age_seconds: now.saturating_sub(p.timestamp),
                v1: p.v1_raw,
            }),
            Err(e) => {
                header_problems.push(problem(SIGNATURE_HEADER, &format!("is malformed: {e}")));
                None
            }
        },
    };
    let trace = capture.header(TRACE_HEADER).map(str::to_string);
    if trace.is_none() {
        header_problems
            .push(problem(TRACE_HEADER, "is missing: the python and go SDKs answer 401 and rust 400 without it"));
    }
    match capture.header("content-type") {
        Some(ct) if ct.to_ascii_lowercase().starts_with("application/json") => {}
        Some(ct) => header_problems.push(problem("content-type", &format!("is {ct:?}, not application/json"))),
        None => header_problems.push(problem("content-type", "is missing: Top.gg sends application/json")),
    }
    header_problems.append(&mut item.problems);
    item.problems = header_problems;
    item.capture = Some(CaptureInfo { method: capture.method, path: capture.path, signature, trace });
    Ok(item)
}

fn problem(header: &str, message: &str) -> Problem {
    Problem { path: format!("header {header}"), message: message.into() }
}

/// JSON Lines: each line a payload, or a capture object (`{"method", "path", "headers", "body"}`).
fn stream(
    source: &str,
    first: Vec<u8>,
    mut reader: Box<dyn BufRead>,
    args: &InspectArgs,
    now: i64,
    ctx: Context,
    tally: &mut Tally,
) -> Result<()> {
    let mut line = first;
    let mut number = 1u64;
    let mut read_failure = None;
    let mut oversized = false;
    with_stdout(|w| {
        loop {
            if !line.iter().all(u8::is_ascii_whitespace) {
                let mut item = inspect_line(source, number, &line, now);
                count(tally, &item);
                if item.payload.is_null() && item.capture.is_none() {
                    tally.unusable += 1;
                    if tally.first_unusable.is_none() {
                        let why = item.problems.first().map_or("unusable", |p| p.message.as_str());
                        tally.first_unusable = Some(format!("{source} line {number} is {why}"));
                    }
                }
                if !args.show_secrets {
                    mask_secrets(&mut item.payload);
                }
                if !(args.problems_only && item.problems.is_empty()) {
                    if ctx.json { write_json_line(w, &item)? } else { write_short(w, &item)? }
                }
            }
            line.clear();
            match read_line_capped(&mut reader, &mut line) {
                Ok(0) => return Ok(()),
                Ok(_) if line.len() as u64 > MAX_DOCUMENT => {
                    number += 1;
                    oversized = true;
                    return Ok(());
                }
                Ok(_) => number += 1,
                // A read failure is the input's fault, not stdout's: keep it apart from write errors.
                Err(e) => {
                    read_failure = Some(e);
                    return Ok(());
                }
            }
        }
    })?;
    if oversized {
        return Err(too_large(source, &format!(" line {number}")));
    }
    if let Some(e) = read_failure {
        return Err(Error::input(format!(
            "could not read {source} after line {number}: {}",
            crate::error::io_reason(&e)
        )));
    }
    Ok(())
}

fn inspect_line(source: &str, number: u64, line: &[u8], now: i64) -> Inspected {
    let broken = |message: String| Inspected {
        source: source.into(),
        line: Some(number),
        kind: "unknown",
        capture: None,
        payload: Value::Null,
        problems: vec![Problem { path: "$".into(), message }],
        notes: Vec::new(),
    };
    let value: Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => return broken(format!("not valid JSON: {e}")),
    };
    let is_capture = value.get("headers").is_some()
        && (value.get("body").is_some_and(Value::is_string) || value.get("body_b64").is_some_and(Value::is_string));
    if !is_capture {
        return from_payload(source, Some(number), value);
    }
    match serde_json::from_value::<Capture>(value) {
        Ok(c) => match c.check_length() {
            Ok(()) => from_capture(source, Some(number), c, now).unwrap_or_else(broken),
            Err(e) => broken(format!("not a usable capture: {e}")),
        },
        Err(e) => broken(format!("not a capture object: {e}")),
    }
}

fn write_json_line(w: &mut dyn Write, item: &Inspected) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, item)?;
    w.write_all(b"\n")
}

fn write_short(w: &mut dyn Write, item: &Inspected) -> std::io::Result<()> {
    let line = item.line.unwrap_or(0);
    if item.problems.is_empty() {
        return writeln!(w, "{} line {line:<6} {}", style::ok("✓"), style::accent(item.kind));
    }
    let first = &item.problems[0];
    let more = if item.problems.len() > 1 { format!(" (+{} more)", item.problems.len() - 1) } else { String::new() };
    writeln!(
        w,
        "{} line {line:<6} {}  {}: {}{more}",
        style::fail("✗"),
        style::accent(item.kind),
        first.path,
        first.message
    )
}

fn write_full(w: &mut dyn Write, item: &Inspected, now: i64) -> std::io::Result<()> {
    writeln!(w, "{}  {}", style::bold(item.kind), style::dim(&item.source))?;
    if let Some(c) = &item.capture {
        writeln!(w, "  {:<10} {} {}", "request", c.method, style::accent(&c.path))?;
        match &c.signature {
            Some(s) => writeln!(
                w,
                "  {:<10} t={} {} ({}), v1={}…{}",
                "signature",
                s.t,
                s.signed_at,
                format_age(s.t, now),
                &s.v1[..8],
                &s.v1[s.v1.len() - 4..]
            )?,
            None => writeln!(w, "  {:<10} {}", "signature", style::fail("none"))?,
        }
        writeln!(w, "  {:<10} {}", "trace", c.trace.as_deref().unwrap_or("none"))?;
    }
    let pretty = serde_json::to_string_pretty(&item.payload).unwrap_or_default();
    for line in pretty.lines() {
        writeln!(w, "  {}", colorize_json_line(line))?;
    }
    if item.problems.is_empty() {
        writeln!(w, "{} valid {}", style::ok("✓"), item.kind)?;
    } else {
        let n = item.problems.len();
        writeln!(w, "{} {n} problem{}", style::fail("✗"), if n == 1 { "" } else { "s" })?;
        for p in &item.problems {
            // Every problem fails the run (exit 1): a problem, not a warning.
            writeln!(w, "  {} {}: {}", style::fail("problem"), style::bold(&p.path), p.message)?;
        }
    }
    for note in &item.notes {
        writeln!(w, "  {} {note}", style::accent("note   "))?;
    }
    Ok(())
}

/// Colours a pretty-printed JSON line: keys in accent, everything else as is. Works line by line
/// because serde_json's pretty output puts one key per line.
fn colorize_json_line(line: &str) -> String {
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    if trimmed.starts_with('"')
        && let Some(end) = key_end(trimmed)
    {
        return format!("{indent}{}{}", style::accent(&trimmed[..end]), &trimmed[end..]);
    }
    line.to_string()
}

/// The end of a leading JSON string that is followed by `:` (an object key).
fn key_end(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return (bytes.get(i + 1) == Some(&b':')).then_some(i + 1),
            _ => i += 1,
        }
    }
    None
}

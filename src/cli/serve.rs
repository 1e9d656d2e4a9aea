//! `topgg-int serve`: runs the reference receiver and renders its request log.
//!
//! stdout: first the ready line (human: `config URL http://…/integration`; `--json`:
//! `{"event":"ready","config_url":…,"listen":"127.0.0.1:PORT","webhook_url":…,"data_dir":…,
//! "store":…,"integration_secret_fingerprint":…,"connections":N,"inspector_url":…,
//! "inspect_listen":"127.0.0.1:PORT","forward_to":…}`; the inspector URL without its token),
//! printed only once the socket is bound, then one line per
//! request (`--json`: [`Record::to_json_line`]). Banners and the one-time display of a generated
//! integration secret go to stderr. Ctrl-C and SIGTERM stop accepting, let in-flight requests
//! finish and say `stopped` on stderr; Ctrl-C then exits 130 (an interruption, as the exit-code
//! table says), SIGTERM 0 (a service manager's normal stop). Log lines are formatted on the
//! receiver's journal thread, a batch at a time, plain or coloured as decided for stdout, and never
//! hold up the receiver: when stdout stops taking them, those past a queue of 1 MiB
//! ([`output::lines`]) are dropped and counted on stderr.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::Context;
use super::args::ServeArgs;
use super::interrupt;
use super::secrets::{self, SecretFlags};
use crate::error::{Error, Outcome, Result};
use crate::output::style::{self, Pen};
use crate::output::{self, escape};
use crate::protocol::secret::Secret;
use crate::protocol::time::format_utc;
use crate::receiver::forward::ForwardConfig;
use crate::receiver::{Log, Receiver, ReceiverConfig, Record};
use crate::receiver::{process, store};
use crate::stop::Reason;

/// Runs `serve`.
pub fn run(args: ServeArgs, ctx: Context) -> Result<Outcome> {
    let data_dir = match args.data_dir {
        Some(d) => d,
        None => store::default_data_dir(|k| std::env::var(k).ok()).ok_or_else(|| {
            Error::input("no data directory: HOME (or APPDATA on Windows) is not set; pass --data-dir DIR")
        })?,
    };
    // The flag or its file, then TOPGG_INTEGRATION_SECRET, then the secret kept in the data dir.
    let flags = SecretFlags::integration(args.integration_secret.as_deref(), args.integration_secret_file.as_deref());
    let (integration_secret, generated) = match flags.resolve(None, ctx.json)? {
        Some(r) => (r.secret, false),
        None => store::load_or_create_integration_secret(&data_dir)?,
    };
    let legacy_secret = match args.legacy_secret.as_deref() {
        Some(s) => Some(secrets::non_empty("legacy secret", "--legacy-secret", s)?),
        None => None,
    };
    if let Some(u) = &args.public_url
        && !(u.starts_with("http://") || u.starts_with("https://"))
    {
        return Err(Error::input(format!("--public-url {u:?} is not an absolute http(s) URL")));
    }
    let mut config = ReceiverConfig::new(integration_secret.clone(), data_dir.clone());
    config.bind = args.bind;
    config.port = args.port;
    config.public_url = args.public_url;
    config.routes = args.routes;
    config.capture_dir = args.capture_dir;
    config.capture_refused = args.capture_refused;
    if args.capture_keep == 0 {
        return Err(Error::input("--capture-keep 0 would keep no capture; leave out --capture-dir instead"));
    }
    config.capture_keep = args.capture_keep;
    // Ranged by clap (at most MAX_HISTORY), so it fits.
    config.history = usize::try_from(args.history).unwrap_or(usize::MAX);
    config.history_bytes = args.history_bytes;
    config.tolerance = args.tolerance;
    config.legacy_secret = legacy_secret;
    config.read_timeout = args.read_timeout.max(Duration::from_millis(10));
    config.show_secrets = args.show_secrets;
    config.inspector_token = args.inspector_token.filter(|t| !t.is_empty()).map(Secret::new);
    config.inspect_bind = args.inspect_bind;
    config.inspect_port = args.inspect_port;
    config.forward = args.forward_to.map(|base| ForwardConfig {
        base,
        config_path: args.forward_config_path,
        webhook_path: args.forward_webhook_path,
        timeout: args.forward_timeout.max(Duration::from_millis(10)),
    });
    let forwarding = config.forward.as_ref().map(|f| f.base.clone());
    if args.max_connections == 0 {
        return Err(Error::input("--max-connections 0 would refuse every connection; give 1 or more"));
    }
    config.max_connections = args.max_connections;
    // A file-size limit then makes a write fail (and its request get 500) instead of killing us.
    process::ignore_file_size_signal();

    // Before the ready line, so a signal sent once it is seen is never lost.
    let stop = interrupt::install();
    // The receiver stops with the run: accepting ends and in-flight answers say `Connection: close`
    // as soon as the signal comes.
    config.stop = stop.clone();
    // The receiver's journal formats each batch's lines into one buffer and hands it to stdout's
    // own thread (never waiting for a stalled reader: past its queue, lines are counted and said
    // to be dropped). Held until the ready line is out, so nothing is printed before it.
    let (out, pump) =
        output::lines::stdout().map_err(|e| Error::input(format!("could not start the log's output thread: {e}")))?;
    let log = if ctx.json {
        Log::new(|r: &Record, buf: &mut Vec<u8>| r.write_json_line(buf), out)
    } else {
        let mut line = HumanLine::new(Pen::stdout());
        Log::new(move |r: &Record, buf: &mut Vec<u8>| line.write(r, buf), out)
    };
    let json = ctx.json;
    let receiver = match Receiver::start(config, log.held()) {
        Ok(r) => r,
        Err(e) => {
            // A secret generated for a run that never started was never shown: drop it, so the
            // next start generates one and prints it, rather than keeping one nobody has seen.
            if generated {
                let _ = std::fs::remove_file(data_dir.join(store::SECRET_FILE));
            }
            return Err(e);
        }
    };

    let base = receiver.webhook_url("<connection_id>");
    if json {
        let ready = serde_json::json!({
            "event": "ready",
            "config_url": receiver.config_url(),
            "listen": receiver.local_addr().to_string(),
            "webhook_url": base,
            "data_dir": data_dir.display().to_string(),
            "store": receiver.store_path().display().to_string(),
            "integration_secret_fingerprint": integration_secret.fingerprint(),
            "connections": receiver.connections().len(),
            "inspector_url": inspector_url(&receiver),
            "inspect_listen": receiver.inspector_addr().to_string(),
            "forward_to": forwarding,
        });
        output::with_stdout(|w| writeln!(w, "{ready}"))?;
    } else {
        output::with_stdout(|w| writeln!(w, "config URL {}", style::accent(&receiver.config_url())))?;
    }
    banner(&receiver, &data_dir, &integration_secret, generated);
    if let Some(f) = &forwarding {
        output::note(format!("{} {f} (the app answers every Top.gg request)", style::dim("forwarding to")));
    }
    if let Some(limit) = receiver.open_files_limit()
        && receiver.max_connections() as u64 > limit
    {
        output::note(format!(
            "{} --max-connections {} is over the open-files limit of {limit}: past about that many \
             connections new ones cannot be accepted (raise it with ulimit -n)",
            style::warn("note:"),
            receiver.max_connections()
        ));
    }
    // What the store's journal could not write (a full queue, a locked database) is said, never
    // dropped silently; `GET /health` counts it too.
    receiver.store().on_notice(Arc::new(|what: &str| output::note(format!("{} {what}", style::warn("warning:")))));
    receiver.open_log();

    let reason = stop.wait();
    output::note(style::dim("stopping: finishing in-flight requests"));
    // The journal writes every line before the store closes; the stdout thread then ends after
    // what is queued. A stdout that never takes it must not keep serve from exiting.
    receiver.shutdown();
    pump.finish(Duration::from_secs(2));
    output::note("stopped");
    Ok(match reason {
        Reason::Terminated => Outcome::Success,
        Reason::Interrupted => Outcome::Interrupted,
    })
}

/// The page's URL without its token (the token is printed once, on stderr).
fn inspector_url(receiver: &Receiver) -> String {
    let url = receiver.inspector_url();
    url.split_once('?').map_or(url.clone(), |(u, _)| u.to_string())
}

fn banner(receiver: &Receiver, data_dir: &Path, secret: &Secret, generated: bool) {
    let n = receiver.connections().len();
    output::note(format!(
        "{} {}  ({n} connection{} in {})",
        style::dim("data dir"),
        data_dir.display(),
        if n == 1 { "" } else { "s" },
        receiver.store_path().display()
    ));
    output::note(format!("{} {}", style::dim("listening on"), receiver.local_addr()));
    output::note(format!("{} {}", style::dim("webhooks"), receiver.webhook_url("<connection_id>")));
    output::note(format!(
        "{} {}  {}",
        style::dim("inspector"),
        receiver.inspector_url(),
        style::dim("(its own port; the token in this URL is shown only this once)")
    ));
    if generated {
        output::note(format!(
            "{} generated an integration secret (kept in {}; shown only this once):\n  {}",
            style::warn("note:"),
            data_dir.join(store::SECRET_FILE).display(),
            secret.expose()
        ));
    } else {
        output::note(format!("{} {}", style::dim("integration secret fingerprint"), secret.fingerprint()));
    }
    output::note(style::dim("Ctrl-C stops the server"));
}

/// Longest path shown in a human log line; the JSON log keeps 256 characters.
const MAX_PATH: usize = 200;
/// Longest detail or warning shown in a human log line.
const MAX_DETAIL: usize = 300;

/// Writes one request as a line: `time method path type conn verdict status latency trace …`,
/// straight into the journal's buffer (no string per field), coloured or not by its pen.
struct HumanLine {
    pen: Pen,
    /// The last second formatted, and its `HH:MM:SS`: one date computation per second, not per line.
    clock: (i64, String),
}

impl HumanLine {
    fn new(pen: Pen) -> HumanLine {
        HumanLine { pen, clock: (i64::MIN, String::new()) }
    }

    fn write(&mut self, log: &Record, out: &mut Vec<u8>) {
        let pen = self.pen;
        let secs = (log.time_unix_nanos / 1_000_000_000) as i64;
        let millis = (log.time_unix_nanos % 1_000_000_000) / 1_000_000;
        if self.clock.0 != secs {
            let time = format_utc(secs);
            self.clock = (secs, time.get(11..19).unwrap_or(&time).to_string());
        }
        pen.put(out, style::DIM, format_args!("{}.{millis:03}", self.clock.1));
        out.push(b' ');
        // Everything but the status and timing came from the client: escaped and bounded.
        escape::push_for_terminal(out, &log.method, 32);
        out.push(b' ');
        pen.begin(out, style::ACCENT);
        escape::push_for_terminal(out, &log.path, MAX_PATH);
        pen.end(out, style::ACCENT);
        out.push(b' ');
        match log.event.as_deref() {
            Some(e) => escape::push_for_terminal(out, e, 64),
            None => out.push(b'-'),
        }
        out.push(b' ');
        match log.connection.as_deref() {
            Some(c) => {
                out.extend_from_slice(b"conn=");
                escape::push_for_terminal(out, c, 128);
            }
            None => out.push(b'-'),
        }
        out.push(b' ');
        let verdict = if log.status >= 400 {
            style::FAIL
        } else if log.warning.is_some() {
            style::WARN
        } else {
            style::OK
        };
        pen.put_str(out, verdict, &log.verdict);
        out.push(b' ');
        // In forward mode the status is the app's: say so, or `ok 401` reads as serve's own.
        if log.forwarded.as_ref().and_then(|f| f.status).is_some() {
            out.extend_from_slice(b"app=");
        }
        pen.put(out, style::status_style(log.status), log.status);
        out.push(b' ');
        pen.put(out, style::DIM, format_args!("{:.1}ms", log.latency.as_secs_f64() * 1000.0));
        if let Some(t) = &log.trace {
            out.push(b' ');
            pen.begin(out, style::DIM);
            out.extend_from_slice(b"trace=");
            escape::push_for_terminal(out, t, 128);
            pen.end(out, style::DIM);
        }
        if log.retry {
            out.push(b' ');
            pen.put_str(out, style::WARN, "retry");
        }
        if let Some(d) = &log.detail {
            out.push(b' ');
            pen.begin(out, style::DIM);
            out.push(b'(');
            escape::push_for_terminal(out, d, MAX_DETAIL);
            out.push(b')');
            pen.end(out, style::DIM);
        }
        if let Some(w) = &log.warning {
            out.push(b' ');
            pen.put_str(out, style::WARN, "warning:");
            out.push(b' ');
            escape::push_for_terminal(out, w, MAX_DETAIL);
        }
        if let Some(d) = log.disagreement() {
            out.push(b' ');
            pen.put_str(out, style::FAIL, "✗");
            out.push(b' ');
            out.extend_from_slice(d.message.as_bytes());
        }
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receiver::record::Forwarded;

    /// The line as serve wrote it before the journal (a string per field, coloured always, then
    /// stripped by the stream when stdout is plain): the journal's lines must match it byte for
    /// byte, coloured and plain.
    fn old_human(log: &Record) -> String {
        let secs = (log.time_unix_nanos / 1_000_000_000) as i64;
        let millis = (log.time_unix_nanos % 1_000_000_000) / 1_000_000;
        let time = format_utc(secs);
        let clock = time.get(11..19).unwrap_or(&time);
        let verdict = if log.status >= 400 {
            style::fail(&log.verdict)
        } else if log.warning.is_some() {
            style::warn(&log.verdict)
        } else {
            style::ok(&log.verdict)
        };
        // Everything but the status and timing came from the client: escaped and bounded.
        let safe = |s: &str, max: usize| escape::for_terminal(s, max);
        let mut line = format!(
            "{} {} {} {} {} {} {} {}",
            style::dim(&format!("{clock}.{millis:03}")),
            safe(&log.method, 32),
            style::accent(&safe(&log.path, MAX_PATH)),
            log.event.as_deref().map_or_else(|| "-".to_string(), |e| safe(e, 64)),
            log.connection.as_deref().map_or_else(|| "-".to_string(), |c| format!("conn={}", safe(c, 128))),
            verdict,
            // In forward mode the status is the app's: say so, or `ok 401` reads as serve's own.
            match log.forwarded.as_ref().and_then(|f| f.status) {
                Some(_) => format!("app={}", style::status(log.status)),
                None => style::status(log.status).to_string(),
            },
            style::dim(&format!("{:.1}ms", log.latency.as_secs_f64() * 1000.0)),
        );
        if let Some(t) = &log.trace {
            line.push_str(&format!(" {}", style::dim(&format!("trace={}", safe(t, 128)))));
        }
        if log.retry {
            line.push_str(&format!(" {}", style::warn("retry")));
        }
        if let Some(d) = &log.detail {
            line.push_str(&format!(" {}", style::dim(&format!("({})", safe(d, MAX_DETAIL)))));
        }
        if let Some(w) = &log.warning {
            line.push_str(&format!(" {} {}", style::warn("warning:"), safe(w, MAX_DETAIL)));
        }
        if let Some(d) = log.disagreement() {
            line.push_str(&format!(" {} {}", style::fail("✗"), d.message));
        }
        line
    }

    #[test]
    fn the_journal_writes_the_same_line_coloured_and_plain() {
        let base = Record {
            time_unix_nanos: 1_700_000_123_456_789_000,
            method: "POST".into(),
            path: "/webhooks/1".into(),
            event: Some("vote.create".into()),
            connection: Some("1".into()),
            verdict: "ok".into(),
            status: 204,
            latency: Duration::from_micros(1234),
            ..Record::default()
        };
        let records = [
            base.clone(),
            Record { trace: Some("t-1".into()), retry: true, ..base.clone() },
            Record {
                verdict: "signature-mismatch".into(),
                status: 401,
                detail: Some("the signature is wrong \u{1b}[2J".into()),
                path: format!("/webhooks/{}\u{202e}", "x".repeat(300)),
                event: None,
                connection: None,
                ..base.clone()
            },
            Record { warning: Some("unparseable body".into()), ..base.clone() },
            Record {
                verdict: "signature-mismatch".into(),
                forwarded: Some(Forwarded { url: "http://a/".into(), status: Some(200), ..Default::default() }),
                status: 200,
                ..base.clone()
            },
            Record { method: "-".into(), path: "-".into(), status: 400, verdict: "bad-request".into(), ..base },
        ];
        for color in [true, false] {
            let mut line = HumanLine::new(Pen::new(color));
            for r in &records {
                let mut out = Vec::new();
                line.write(r, &mut out);
                let old = old_human(r);
                let want = if color { old } else { anstream::adapter::strip_str(&old).to_string() };
                assert_eq!(String::from_utf8(out).unwrap(), format!("{want}\n"), "colour {color}");
            }
        }
    }
}

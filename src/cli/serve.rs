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
//! table says), SIGTERM 0 (a service manager's normal stop). Log lines never hold up the receiver:
//! when stdout stops taking them, those past a queue of 8,192 are dropped and counted on stderr.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use super::Context;
use super::args::ServeArgs;
use super::interrupt;
use super::secrets::{self, SecretFlags};
use crate::error::{Error, Outcome, Result};
use crate::output::{self, escape, style};
use crate::protocol::secret::Secret;
use crate::protocol::time::format_utc;
use crate::receiver::forward::ForwardConfig;
use crate::receiver::{Receiver, ReceiverConfig, Record};
use crate::receiver::{process, store};
use crate::stop::Reason;

/// Log lines waiting for stdout; past this they are dropped (and counted) rather than waited for.
const LOG_QUEUE: usize = 8 * 1024;

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
    let json = ctx.json;
    // Worker threads render their line and hand it to one writer thread, so they never queue on
    // the stdout lock, and nothing can be printed before the ready line.
    let (lines, queue) = mpsc::sync_channel::<Option<String>>(LOG_QUEUE);
    let sender = lines.clone();
    let dropped = Arc::new(AtomicU64::new(0));
    let dropping = dropped.clone();
    // Never wait for stdout: a stalled reader (a paused terminal, a stuck pipe) must not stop
    // the receiver from answering. Past the queue, lines are counted and said to be dropped.
    let log = move |log: &Record| {
        let line = if json { log.to_json_line() } else { human(log) };
        if let Err(mpsc::TrySendError::Full(_)) = sender.try_send(Some(line)) {
            dropping.fetch_add(1, Ordering::Relaxed);
        }
    };
    let receiver = match Receiver::start(config, Box::new(log)) {
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
    // What the store's recorder could not write (a full queue, a locked database) is said, never
    // dropped silently; `GET /health` counts it too.
    receiver.store().on_notice(Arc::new(|what: &str| output::note(format!("{} {what}", style::warn("warning:")))));
    let (done, written) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        write_lines(&queue, &dropped);
        let _ = done.send(());
    });

    let reason = stop.wait();
    output::note(style::dim("stopping: finishing in-flight requests"));
    receiver.shutdown();
    // With the receiver stopped its sender is gone too; once this one is, the writer ends after
    // what is queued. A stdout that never takes it must not keep serve from exiting.
    let _ = lines.try_send(None);
    drop(lines);
    let _ = written.recv_timeout(Duration::from_secs(2));
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

/// Writes log lines until the `None` that ends them. Idle, it blocks on the queue; busy, it drains
/// the queue every couple of milliseconds, so workers do not have to wake it for every line and
/// stdout gets one write per batch. A closed stdout cannot stop the server; lines are then dropped.
fn write_lines(queue: &mpsc::Receiver<Option<String>>, dropped: &AtomicU64) {
    let mut w = BufWriter::with_capacity(64 * 1024, output::color::stdout());
    'idle: while let Ok(mut next) = queue.recv() {
        loop {
            loop {
                match next {
                    Some(line) => {
                        let _ = writeln!(w, "{line}");
                    }
                    None => break 'idle,
                }
                match queue.try_recv() {
                    Ok(item) => next = item,
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => break 'idle,
                }
            }
            let _ = w.flush();
            say_dropped(dropped);
            std::thread::sleep(Duration::from_millis(2));
            match queue.try_recv() {
                Ok(item) => next = item,
                Err(mpsc::TryRecvError::Empty) => continue 'idle,
                Err(mpsc::TryRecvError::Disconnected) => break 'idle,
            }
        }
    }
    let _ = w.flush();
    say_dropped(dropped);
}

/// Says on stderr how many log lines were dropped since last said.
fn say_dropped(dropped: &AtomicU64) {
    let n = dropped.swap(0, Ordering::Relaxed);
    if n > 0 {
        output::note(format!(
            "{} {n} log line{} dropped: standard output is not keeping up",
            style::warn("note:"),
            if n == 1 { "" } else { "s" }
        ));
    }
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

/// One request as a line: `time method path type conn verdict status latency trace …`.
fn human(log: &Record) -> String {
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

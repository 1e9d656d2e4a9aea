//! Every clap type. Doc comments here are the `--help` text, so they teach: what a flag is for,
//! its default, and where a value can come from. Only this module (with `args/simulate.rs`, the
//! simulate subcommands' flags) names clap.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use super::help::*;

mod simulate;
pub use self::simulate::*;
use super::values::parse_duration;
use crate::error::EXIT_CODES_HELP;
use crate::output::color;

/// Simulate, verify, inspect, serve and conformance-check Top.gg integration webhooks.
///
/// Top.gg POSTs a signed `integration.create` to your config URL, you answer with
/// `{webhook_url, routes}`, and Top.gg then POSTs signed `vote.create` and `webhook.test` events to
/// that URL. topgg-int sends that traffic on demand, checks signatures and explains failures.
#[derive(Debug, Parser)]
#[command(name = "topgg-int", version, about, long_about, after_help = EXIT_CODES_HELP, propagate_version = true)]
pub struct Cli {
    /// When to colour output: auto (on a terminal), always or never.
    ///
    /// auto colours a terminal unless NO_COLOR is set (non-empty) or CLICOLOR=0; CLICOLOR_FORCE=1
    /// colours even into a pipe.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    pub color: Color,

    /// Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
// Plain comments, not doc comments: clap then lists the values on one line in every --help.
pub enum Color {
    // Colour on a terminal unless NO_COLOR, CLICOLOR=0 or TERM=dumb; CLICOLOR_FORCE=1 forces it.
    Auto,
    // Always colour.
    Always,
    // Never colour.
    Never,
}

/// The subcommands.
// Parsed once per run, so the size difference between variants costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an x-topgg-signature against a body or a captured request, and explain failures.
    #[command(after_help = VERIFY_HELP)]
    Verify(VerifyArgs),
    /// Pretty-print and validate payloads and captured requests (files, stdin, JSON Lines).
    #[command(after_help = INSPECT_HELP)]
    Inspect(InspectArgs),
    /// Run the reference receiver: a correct config URL and webhook endpoint on your machine.
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),
    /// Send Top.gg's requests on demand, signed, with its timeout and retry behaviour.
    #[command(after_help = SIMULATE_HELP)]
    Simulate(SimulateArgs),
    /// Run the conformance suite against a receiver, for CI (table, JSON or JUnit).
    #[command(after_help = CHECK_HELP)]
    Check(CheckArgs),
    /// Write the language-neutral signature test vectors, for testing your own verifier.
    #[command(after_help = VECTORS_HELP)]
    Vectors(VectorsArgs),
    /// Print a shell completion script.
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
}

/// A secret given on the command line, from the environment or from a file.
#[derive(Debug, Clone, Args)]
pub struct WebhookSecretArgs {
    /// The webhook secret (whs_…) that signs deliveries. Never printed in full.
    ///
    /// Prefer --secret-file or TOPGG_WEBHOOK_SECRET: a value here stays in `ps` and shell history.
    /// Order: --secret or --secret-file, then --from, then TOPGG_WEBHOOK_SECRET.
    #[arg(long, value_name = "SECRET")]
    pub secret: Option<String>,

    /// Read the webhook secret from a file: one line; a trailing newline is stripped.
    #[arg(long, value_name = "FILE", conflicts_with = "secret")]
    pub secret_file: Option<PathBuf>,
}

/// The integration secret, for config-URL requests.
#[derive(Debug, Clone, Default, Args)]
pub struct IntegrationSecretArgs {
    /// Secret that signs requests to the config URL.
    ///
    /// Prefer --integration-secret-file or TOPGG_INTEGRATION_SECRET: a value here stays in `ps` and shell history. Order: this flag or
    /// --integration-secret-file, then TOPGG_INTEGRATION_SECRET.
    #[arg(long, value_name = "SECRET")]
    pub integration_secret: Option<String>,

    /// Read the integration secret from a file: one line; a trailing newline is stripped.
    #[arg(long, value_name = "FILE", conflicts_with = "integration_secret")]
    pub integration_secret_file: Option<PathBuf>,
}

/// `topgg-int verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub secret: WebhookSecretArgs,

    #[command(flatten)]
    pub integration: IntegrationSecretArgs,

    /// The x-topgg-signature header value, e.g. 't=1770598034,v1=19d8…'. Use with --body.
    #[arg(long, value_name = "HEADER", requires = "body", conflicts_with = "request")]
    pub signature: Option<String>,

    /// The raw body the signature covers: a file, or - for stdin. Use with --signature.
    #[arg(long, value_name = "FILE|-", requires = "signature", conflicts_with = "request")]
    pub body: Option<PathBuf>,

    /// Captured raw HTTP/1.1 requests (as `serve --capture-dir` writes them), or directories of .http files.
    #[arg(long, value_name = "FILE", num_args = 1.., required_unless_present = "signature")]
    pub request: Vec<PathBuf>,

    /// Verify as if the clock read this Unix time (to check old captures reproducibly).
    #[arg(long, value_name = "UNIX")]
    pub now: Option<i64>,

    /// Replay window in seconds; 0 disables the timestamp check.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub tolerance: u64,
}

/// `topgg-int inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Payload files, captures (.http) or JSON Lines files; - or nothing reads stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Treat every input as JSON Lines (one payload or capture object per line).
    #[arg(long)]
    pub jsonl: bool,

    /// Show ages as if the clock read this Unix time.
    #[arg(long, value_name = "UNIX")]
    pub now: Option<i64>,

    /// With JSON Lines, print only payloads that have problems (and the summary).
    #[arg(long)]
    pub problems_only: bool,

    /// Print an integration.create's webhook_secret in full instead of masked (whs_ab…ef and a fingerprint).
    #[arg(long)]
    pub show_secrets: bool,
}

/// `topgg-int serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    pub bind: String,

    /// Port to listen on; 0 picks a free one (the first line printed says which).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,

    /// Secret that signs requests to the config URL [env: TOPGG_INTEGRATION_SECRET]. Without
    /// either, one is generated and kept in the data dir.
    #[arg(long, value_name = "SECRET")]
    pub integration_secret: Option<String>,

    /// Read the integration secret from a file: one line; a trailing newline is stripped.
    #[arg(long, value_name = "FILE", conflicts_with = "integration_secret")]
    pub integration_secret_file: Option<PathBuf>,

    /// Base URL the handshake hands out (webhook_url = <URL>/webhooks/<connection_id>); defaults to the bound address.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,

    /// Routes to subscribe to in the handshake answer.
    #[arg(long, value_delimiter = ',', default_value = "vote.create,webhook.test", value_name = "ROUTES")]
    pub routes: Vec<String>,

    /// Where connections are stored (default: the platform's data directory for topgg-int).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Write every accepted request as a raw .http file here (0600), named to sort by arrival.
    /// Bounded: the newest --capture-keep files, and at most 256 MiB; older captures are deleted.
    #[arg(long, value_name = "DIR")]
    pub capture_dir: Option<PathBuf>,

    /// With --capture-dir, capture refused requests (4xx, 5xx) too: anyone who can reach the port
    /// can send those, so they are not written by default.
    #[arg(long, requires = "capture_dir")]
    pub capture_refused: bool,

    /// How many captures --capture-dir keeps; the oldest are deleted as new ones arrive.
    #[arg(long, default_value_t = 1_000, value_name = "N", requires = "capture_dir")]
    pub capture_keep: usize,

    /// Keep the newest N requests (raw bytes, verdict, status, latency) in the data dir's history/
    /// for the inspector and its API; 0 keeps none, at most 10,000,000.
    #[arg(long, default_value_t = 10_000, value_name = "N",
          value_parser = clap::value_parser!(u64).range(0..=crate::receiver::store::MAX_HISTORY))]
    pub history: u64,

    /// The most bytes the history may take (raw requests, forwarded answers; its segment files in
    /// history/ and the database with its WAL stay within it): the oldest requests are deleted
    /// first. Takes a number of bytes or
    /// KiB, MiB, GiB; at least 1MiB. A request refused before verification keeps at most 64 KiB of
    /// its body either way.
    #[arg(long, default_value = "64MiB", value_name = "SIZE", value_parser = parse_size)]
    pub history_bytes: u64,

    /// Replay window in seconds; 0 disables the timestamp check.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub tolerance: u64,

    /// Accept legacy (v0) votes on POST /legacy with this Authorization value.
    #[arg(long, value_name = "SECRET")]
    pub legacy_secret: Option<String>,

    /// Connections served at once; at the cap the oldest with nothing in progress (idle keep-alive
    /// first) is closed to make room, so idle clients cannot wall out deliveries. Above the
    /// open-files limit, serve says so at start.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_connections: usize,

    /// How long a client may take to send a whole request before it gets 408 (tests shorten it).
    #[arg(long, default_value = "5", value_parser = parse_duration, value_name = "DURATION", hide = true)]
    pub read_timeout: Duration,

    /// Forward mode: verify and record each request, then pass it with its exact body and headers
    /// to your app at this base URL (<URL>/integration, <URL>/webhooks/<id>) and answer with the
    /// app's answer.
    #[arg(long, value_name = "URL")]
    pub forward_to: Option<String>,

    /// With --forward-to: the app's config path, instead of /integration.
    #[arg(long, value_name = "PATH", requires = "forward_to")]
    pub forward_config_path: Option<String>,

    /// With --forward-to: the app's webhook path, instead of /webhooks/<id>; {connection_id} in it
    /// becomes the id.
    #[arg(long, value_name = "PATH", requires = "forward_to")]
    pub forward_webhook_path: Option<String>,

    /// With --forward-to: how long the app has to answer before the sender gets 504.
    #[arg(long, default_value = "5", value_parser = parse_duration, value_name = "DURATION")]
    pub forward_timeout: Duration,

    /// Show webhook secrets in full in the inspector and GET /connections (masked otherwise).
    #[arg(long)]
    pub show_secrets: bool,

    /// The token the inspector's API requires, on every bind (generated and printed once, in the
    /// page's URL, if not given).
    #[arg(long, env = "TOPGG_INT_INSPECTOR_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub inspector_token: Option<String>,

    /// Port of the inspector's own listener (the page, its API and GET /connections); 0 picks a
    /// free one. Never the receiver's port, so a tunnel pointed at serve cannot reach it.
    #[arg(long, default_value_t = 0, value_name = "PORT")]
    pub inspect_port: u16,

    /// Address of the inspector's own listener; loopback unless you need it elsewhere (its API
    /// always needs the token).
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    pub inspect_bind: String,
}

/// `topgg-int check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The receiver's config URL. Without it (and without --webhook-url or --from), the built-in
    /// reference receiver is checked.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// A plain webhook's URL, as made in the project dashboard (no config URL, no handshake):
    /// runs every case that needs no handshake, signed with the webhook secret.
    #[arg(long, value_name = "URL", conflicts_with_all = ["url", "inspect"])]
    pub webhook_url: Option<String>,

    #[command(flatten)]
    pub secret: WebhookSecretArgs,

    /// Take a plain webhook's URL and secret from a file written by `simulate create --save`.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["url", "inspect"])]
    pub from: Option<PathBuf>,

    #[command(flatten)]
    pub integration: IntegrationSecretArgs,

    /// Write JUnit XML to this file, or - for stdout (the table then goes to stderr); GitHub
    /// Actions, GitLab and Jenkins show it as test results.
    #[arg(long, value_name = "FILE|-")]
    pub junit: Option<PathBuf>,

    /// Treat recommended cases as required.
    #[arg(long)]
    pub strict: bool,

    /// Run only these cases (comma-separated names).
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub only: Vec<String>,

    /// Skip these cases (comma-separated names).
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub skip: Vec<String>,

    /// Per-request timeout (e.g. 5, 0.5, 500ms).
    #[arg(long, default_value = "5", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Accept invalid TLS certificates (staging only).
    #[arg(long)]
    pub insecure: bool,

    /// The Authorization value of legacy (v0) votes: runs distinguishes-v0-from-v1.
    #[arg(long, value_name = "SECRET")]
    pub legacy_secret: Option<String>,

    /// Where v0 votes go, when not to the webhook URL the handshake hands out.
    #[arg(long, value_name = "URL", requires = "legacy_secret")]
    pub legacy_url: Option<String>,

    /// List the cases with their severity and explanation, and exit.
    #[arg(long)]
    pub list: bool,

    /// After the run, keep the built-in receiver and its inspector page up until Ctrl-C, and
    /// print the page's URL, to look at every case's request.
    #[arg(long, conflicts_with = "url")]
    pub inspect: bool,
}

/// `topgg-int vectors`.
#[derive(Debug, Args)]
pub struct VectorsArgs {
    /// Directory to write signature-vectors.json and README.md into (created if missing);
    /// without it the JSON is written to stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `topgg-int completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Parses this process's arguments, exiting with clap's message on a usage error. Colour is
/// decided first (`output::color`), so `--help` and usage errors obey the same `--color`,
/// `NO_COLOR` and `CLICOLOR*` rules as everything else topgg-int prints.
pub fn parse() -> Cli {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    color::init(color::choice_from_args(&args));
    let mut cmd = Cli::command();
    let matches = cmd.try_get_matches_from_mut(args).unwrap_or_else(|e| exit_with(&e));
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| exit_with(&e.format(&mut cmd)))
}

/// Prints clap's help, version or usage error on the stream clap meant it for (help and version on
/// stdout, errors on stderr), coloured as decided for that stream, and exits with clap's code.
fn exit_with(e: &clap::Error) -> ! {
    let text = e.render().ansi().to_string();
    // A closed pipe (`--help | head`) is no reason to panic; nothing is left to report it to.
    let _ = if e.use_stderr() {
        let mut w = color::stderr();
        w.write_all(text.as_bytes()).and_then(|()| w.flush())
    } else {
        let mut w = color::stdout();
        w.write_all(text.as_bytes()).and_then(|()| w.flush())
    };
    std::process::exit(e.exit_code())
}

/// A size in bytes: `1048576`, `512KiB`, `64MiB`, `1GiB` (also `K`, `M`, `G`, `KB`, `MB`, `GB` as
/// the binary units); at least [`crate::receiver::store::MIN_HISTORY_BYTES`].
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("{s:?} is not a size (a number of bytes, or with KiB, MiB, GiB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("{s:?} is not a size: the units are KiB, MiB and GiB")),
    };
    let bytes = n.checked_mul(mult).ok_or_else(|| format!("{s:?} is too large"))?;
    let min = crate::receiver::store::MIN_HISTORY_BYTES;
    if bytes < min {
        return Err(format!("{s:?} is under the least history, 1MiB"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes_parse_with_binary_units_and_a_floor() {
        assert_eq!(super::parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(super::parse_size("2G"), Ok(2 << 30));
        assert_eq!(super::parse_size("1048576"), Ok(1 << 20));
        assert!(super::parse_size("512KiB").unwrap_err().contains("under the least history, 1MiB"));
        assert!(super::parse_size("lots").unwrap_err().contains("is not a size"));
        assert!(super::parse_size("3 parsecs").unwrap_err().contains("units are KiB, MiB and GiB"));
    }
}

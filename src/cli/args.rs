//! Every clap type. Doc comments here are the `--help` text, so they teach: what a flag is for,
//! its default, and where a value can come from. Only this file names clap.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use super::help::*;
use super::values::{parse_duration, parse_rate};
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

    /// Keep the newest N requests (raw bytes, verdict, status, latency) in the data dir's
    /// database for later inspection; 0 keeps none, at most 10,000,000.
    #[arg(long, default_value_t = 10_000, value_name = "N",
          value_parser = clap::value_parser!(u64).range(0..=crate::receiver::store::MAX_HISTORY))]
    pub history: u64,

    /// The most bytes the history may take (raw requests, forwarded answers; the database file and
    /// its WAL stay within it): the oldest requests are deleted first. Takes a number of bytes or
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

/// `topgg-int simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    #[command(subcommand)]
    pub command: SimulateCommand,
}

/// The simulate subcommands.
#[derive(Debug, Subcommand)]
pub enum SimulateCommand {
    /// Send integration.create to a config URL and check the handshake answer.
    #[command(after_help = CREATE_HELP)]
    Create(CreateArgs),
    /// Send integration.delete to a config URL.
    #[command(after_help = DELETE_HELP)]
    Delete(DeleteArgs),
    /// Send vote.create to a webhook URL (or --legacy v0 votes); --count for load.
    #[command(after_help = VOTE_HELP)]
    Vote(VoteArgs),
    /// Send webhook.test to a webhook URL.
    #[command(after_help = TEST_HELP)]
    Test(TestArgs),
    /// The whole lifecycle: create, webhook.test, vote.create, delete.
    #[command(after_help = FLOW_HELP)]
    Flow(FlowArgs),
    /// Send a captured .http request again, verbatim or re-signed.
    #[command(after_help = REPLAY_HELP)]
    Replay(ReplayArgs),
}

/// Options for every delivery: target, timing, retries, TLS.
#[derive(Debug, Clone, Args)]
pub struct DeliveryArgs {
    /// Target URL: the config URL for create, delete and flow, the webhook URL for vote and test.
    /// Without it, the built-in reference receiver is started on 127.0.0.1 and used.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Per-attempt timeout (e.g. 5, 0.5, 500ms).
    #[arg(long, default_value = "5", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg's; 10 for --legacy votes].
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,

    /// Delays before each retry, comma-separated; the last repeats (Top.gg's docs say 1,2,4 on one page, 2,4,8 on the other).
    #[arg(long, default_value = "1,2,4", value_delimiter = ',', value_parser = parse_duration, value_name = "LIST")]
    pub retry_delays: Vec<Duration>,

    /// Retry on 4xx answers too.
    #[arg(long)]
    pub retry_on_4xx: bool,

    /// Sign with this Unix time instead of now (to test a receiver's replay window).
    #[arg(long, value_name = "UNIX")]
    pub timestamp: Option<i64>,

    /// Trace id for x-topgg-trace (default: a fresh one per delivery).
    #[arg(long, value_name = "ID")]
    pub trace: Option<String>,

    /// Print the exact request and an equivalent curl command; send nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Accept invalid TLS certificates (staging only).
    #[arg(long)]
    pub insecure: bool,

    /// Trust this PEM CA certificate as well.
    #[arg(long, value_name = "PEM")]
    pub cacert: Option<PathBuf>,

    /// Add this header to every request, or replace the one of that name (e.g. --header 'x-topgg-trace: t1'). Repeatable.
    #[arg(long = "header", value_name = "NAME:VALUE")]
    pub headers: Vec<String>,

    /// Show request and response headers and bodies for every attempt.
    #[arg(short, long)]
    pub verbose: bool,

    /// Print secrets in full instead of masked (the webhook secret, a legacy Authorization value).
    #[arg(long)]
    pub show_secrets: bool,
}

/// Options that shape a payload.
#[derive(Debug, Clone, Default, Args)]
pub struct PayloadArgs {
    /// Start from this JSON file instead of a generated payload (e.g. fixtures/vote.create.json).
    #[arg(long, value_name = "FILE")]
    pub payload: Option<PathBuf>,

    /// Override a JSON path, e.g. --set data.user.name=alice or --set data.weight=2 (value is JSON if it parses, else a string). Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,

    /// Remove a JSON path from the payload, e.g. --unset data.query (after --set; the path must exist). Repeatable.
    #[arg(long, value_name = "PATH")]
    pub unset: Vec<String>,

    /// data.user.id: the voter's Top.gg id (legacy votes: user). Generated ids always differ
    /// from platform_id, so a receiver crediting the wrong one is caught.
    #[arg(long, value_name = "ID")]
    pub user_id: Option<String>,

    /// data.user.platform_id: the voter's Discord id, the one to credit (legacy votes: user).
    #[arg(long, value_name = "ID")]
    pub platform_id: Option<String>,

    /// data.project.id.
    #[arg(long, value_name = "ID")]
    pub project_id: Option<String>,
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

/// `simulate create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub delivery: DeliveryArgs,
    #[command(flatten)]
    pub integration: IntegrationSecretArgs,
    #[command(flatten)]
    pub payload: PayloadArgs,

    /// connection_id to send (default: a fresh snowflake).
    #[arg(long, value_name = "ID")]
    pub connection_id: Option<String>,

    /// webhook_secret to send (default: a fresh whs_ secret).
    #[arg(long, value_name = "SECRET")]
    pub webhook_secret: Option<String>,

    /// Write connection id, webhook secret and webhook URL to this JSON file, for --from later.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
}

/// `simulate delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub delivery: DeliveryArgs,
    #[command(flatten)]
    pub integration: IntegrationSecretArgs,

    /// The connection to delete.
    #[arg(long, value_name = "ID", required_unless_present = "from")]
    pub connection_id: Option<String>,

    /// Take the connection id from a file written by `simulate create --save`.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
}

/// `simulate vote`.
#[derive(Debug, Args)]
pub struct VoteArgs {
    #[command(flatten)]
    pub delivery: DeliveryArgs,
    #[command(flatten)]
    pub secret: WebhookSecretArgs,
    #[command(flatten)]
    pub payload: PayloadArgs,

    /// Take webhook URL and secret from a file written by `simulate create --save`.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,

    /// data.weight (2 is the weekend multiplier).
    #[arg(long)]
    pub weight: Option<i64>,

    /// data.query entries, e.g. --query ref=discord. Repeatable.
    #[arg(long, value_name = "KEY=VALUE")]
    pub query: Vec<String>,

    /// Send a legacy (v0) vote with `Authorization: <secret>` instead of a signature.
    #[arg(long)]
    pub legacy: bool,

    /// With --legacy, send a server vote (guild) instead of a bot vote.
    #[arg(long, requires = "legacy")]
    pub server: bool,

    /// Send this many distinct votes (load mode: prints throughput and latency percentiles) [default: 1, or no limit with --duration].
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,

    /// Load mode for this long (e.g. 10s), stopping earlier if --count is reached.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub duration: Option<Duration>,

    /// Deliveries in flight at once in load mode.
    #[arg(long, default_value_t = 1, value_name = "C")]
    pub concurrency: usize,

    /// Cap the send rate in load mode, in deliveries per second (e.g. 500 or 500/s); latency is then also reported from each delivery's scheduled start.
    #[arg(long, value_name = "R/s", value_parser = parse_rate)]
    pub rate: Option<f64>,

    /// If the vote is refused with 401/403, send diagnose probes: the same event signed in each usual wrong way (body re-serialised, secret without whs_, integration secret from TOPGG_INTEGRATION_SECRET, t in ms), each its own vote, and name the one accepted.
    #[arg(long, conflicts_with_all = ["dry_run", "legacy", "count", "duration"])]
    pub diagnose: bool,
}

/// `simulate test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub delivery: DeliveryArgs,
    #[command(flatten)]
    pub secret: WebhookSecretArgs,
    #[command(flatten)]
    pub payload: PayloadArgs,

    /// Take webhook URL and secret from a file written by `simulate create --save`.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,

    /// If the test is refused with 401/403, send diagnose probes: the same event signed in each usual wrong way, and name the one accepted.
    #[arg(long, conflicts_with = "dry_run")]
    pub diagnose: bool,
}

/// `simulate flow`.
#[derive(Debug, Args)]
pub struct FlowArgs {
    #[command(flatten)]
    pub delivery: DeliveryArgs,
    #[command(flatten)]
    pub integration: IntegrationSecretArgs,

    /// After the run, keep the built-in receiver and its inspector page up until Ctrl-C, and
    /// print the page's URL, to look at what was sent.
    #[arg(long, conflicts_with = "url")]
    pub inspect: bool,
}

/// `simulate replay`.
#[derive(Debug, Args)]
#[command(mut_arg("url", |a| a.help(REPLAY_URL_HELP)))]
pub struct ReplayArgs {
    /// The captured request (.http) to send again.
    #[arg(value_name = "FILE.http")]
    pub file: PathBuf,

    #[command(flatten)]
    pub delivery: DeliveryArgs,
    #[command(flatten)]
    pub secret: WebhookSecretArgs,

    /// Take webhook URL (unless --url) and secret (for --resign) from a file written by `simulate create --save`.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,

    /// Keep the captured signature and timestamp (a correct receiver rejects this: replay protection).
    #[arg(long, conflicts_with = "resign")]
    pub verbatim: bool,

    /// Re-sign the same bytes with a fresh t (needs --secret; tests idempotency).
    #[arg(long)]
    pub resign: bool,

    /// Send it this many times: duplicates, as Top.gg's retries make, for idempotency tests.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub repeat: u32,

    /// Wait this long between repeats (e.g. 1, 0.5, 200ms).
    #[arg(long, default_value = "0", value_parser = parse_duration, value_name = "DURATION")]
    pub interval: Duration,
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

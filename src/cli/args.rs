//! Every clap type. Doc comments here are the `--help` text, so they teach: what a flag is for,
//! its default, and where a value can come from. Only this file names clap.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

use crate::error::EXIT_CODES_HELP;

/// Simulate, verify, inspect, serve and conformance-check Top.gg integration webhooks.
///
/// Top.gg POSTs a signed `integration.create` to your config URL, you answer with
/// `{webhook_url, routes}`, and Top.gg then POSTs signed `vote.create` and `webhook.test` events to
/// that URL. topgg-int sends that traffic on demand, checks signatures and explains failures.
#[derive(Debug, Parser)]
#[command(name = "topgg-int", version, about, long_about, after_help = EXIT_CODES_HELP, propagate_version = true)]
pub struct Cli {
    /// When to colour output: auto (a terminal, and NO_COLOR unset), always or never.
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
    // Colour on a terminal unless NO_COLOR is set or TERM=dumb.
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
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  topgg-int completions bash > ~/.local/share/bash-completion/completions/topgg-int"
    )]
    Completions(CompletionsArgs),
}

const VERIFY_HELP: &str = "\
Examples:
  topgg-int verify --secret whs_… --signature 't=1770598034,v1=19d8…' --body body.json
  topgg-int verify --request captures/*.http --tolerance 0
  TOPGG_WEBHOOK_SECRET=whs_… topgg-int verify --request req.http --now 1770598040

Exit codes:
  0    every signature is valid
  1    some signature is invalid (the reason and likely cause are printed)
  2    usage error or unusable input (unreadable file, no secret, bad capture)
  3    network failure (not used by verify)
  130  interrupted";

const INSPECT_HELP: &str = "\
Input is detected per file: a raw HTTP request (capture), one JSON payload, or JSON Lines (one payload
or capture object per line; always so for .jsonl/.ndjson files and with --jsonl). Streams are read line
by line, never whole.

Examples:
  topgg-int inspect fixtures/vote.create.json
  topgg-int inspect captures/0001-vote.create.http
  cat deliveries.jsonl | topgg-int inspect --jsonl --json

Exit codes:
  0    every payload is valid
  1    some payload has problems (each printed with its JSON path)
  2    usage error or unusable input (unreadable file, invalid JSON)
  3    network failure (not used by inspect)
  130  interrupted";

const SERVE_HELP: &str = "\
Endpoints:
  POST /integration            config URL: integration.create / integration.delete
  POST /webhooks/<connection>  vote.create / webhook.test, signed with that connection's secret
  POST /legacy                 v0 votes, Authorization: <--legacy-secret>
  GET  /health                 200
  GET  /connections            connections as JSON, secrets redacted

The first line printed gives the config URL once the socket is bound (with --json:
{\"event\":\"ready\",\"config_url\":…,\"listen\":…}), so scripts can wait for it. Then one line per
request: time, method, path, event type, connection, verdict, status, latency, trace id.
Connections are stored durably in the data dir (a 200 to integration.create means it is on disk).

Examples:
  topgg-int serve --port 8080
  topgg-int serve --port 0 --json --data-dir ./data | tee serve.log
  topgg-int serve --public-url https://my-tunnel.example --capture-dir captures/

Exit codes:
  2    usage error or unusable input (port in use, corrupt or unreadable store)
  130  stopped by Ctrl-C or SIGTERM, after finishing the requests in flight";

const SIMULATE_HELP: &str = "\
With no --url, the built-in reference receiver is started on 127.0.0.1 and used as the target.

Examples:
  topgg-int simulate flow
  topgg-int simulate create --url https://example.com/topgg/config --save conn.json
  topgg-int simulate vote --from conn.json --set data.user.name=alice --weight 2
  topgg-int simulate vote --url http://127.0.0.1:8080/webhooks/1 --secret whs_… --count 1000 --concurrency 32

Exit codes:
  0    every delivery was acknowledged (2xx)
  1    some delivery was not acknowledged, or the handshake answer was wrong
  2    usage error or unusable input
  3    could not connect, or timed out after the last retry
  130  interrupted";

const CHECK_HELP: &str = "\
Cases are required (a failure fails the run), recommended (a warning; --strict makes them
required) or info; --list shows them all. The run makes its own connection and always deletes it.

Examples:
  topgg-int check                     # checks the built-in reference receiver
  topgg-int check --url https://staging.example.com/topgg --integration-secret-file secret.txt
  topgg-int check --url \"$CONFIG_URL\" --strict --junit check.xml   # CI shows the XML as tests
  topgg-int check --url \"$CONFIG_URL\" --only handshake,delivery --timeout 2

Exit codes:
  0    every required case passed
  1    a required case failed (or a recommended one, with --strict)
  2    usage error or unusable input
  3    could not reach the URL
  130  interrupted";

/// A secret given on the command line, from the environment or from a file.
#[derive(Debug, Clone, Args)]
pub struct WebhookSecretArgs {
    /// The webhook secret (whs_…) that signs deliveries. Never printed in full.
    #[arg(long, env = "TOPGG_WEBHOOK_SECRET", hide_env_values = true, value_name = "SECRET")]
    pub secret: Option<String>,

    /// Read the webhook secret from a file (a trailing newline is stripped, and said so).
    #[arg(long, value_name = "FILE", conflicts_with = "secret")]
    pub secret_file: Option<PathBuf>,
}

/// `topgg-int verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub secret: WebhookSecretArgs,

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

    /// Secret that signs requests to the config URL. Generated and kept in the data dir if not given.
    #[arg(long, env = "TOPGG_INTEGRATION_SECRET", hide_env_values = true, value_name = "SECRET")]
    pub integration_secret: Option<String>,

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
    /// database for later inspection; 0 keeps none.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub history: usize,

    /// Replay window in seconds; 0 disables the timestamp check.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub tolerance: u64,

    /// Accept legacy (v0) votes on POST /legacy with this Authorization value.
    #[arg(long, value_name = "SECRET")]
    pub legacy_secret: Option<String>,

    /// Connections served at once; past it new ones are accepted and closed at once, so idle
    /// clients cannot queue up deliveries. Above the open-files limit, serve says so at start.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_connections: usize,

    /// How long a client may take to send a whole request before it gets 408 (tests shorten it).
    #[arg(long, default_value = "5", value_parser = parse_duration, value_name = "DURATION", hide = true)]
    pub read_timeout: Duration,
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
    Create(CreateArgs),
    /// Send integration.delete to a config URL.
    Delete(DeleteArgs),
    /// Send vote.create to a webhook URL (or --legacy v0 votes); --count for load.
    Vote(VoteArgs),
    /// Send webhook.test to a webhook URL.
    Test(TestArgs),
    /// The whole lifecycle: create, webhook.test, vote.create, delete.
    Flow(FlowArgs),
    /// Send a captured .http request again, verbatim or re-signed.
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

    /// Retries after a timeout, a failed connection or a 5xx [default: 3, Top.gg's; 10 for --legacy votes].
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

    /// data.user.id (and platform_id).
    #[arg(long, value_name = "ID")]
    pub user_id: Option<String>,

    /// data.project.id.
    #[arg(long, value_name = "ID")]
    pub project_id: Option<String>,
}

/// The integration secret, for config-URL requests.
#[derive(Debug, Clone, Default, Args)]
pub struct IntegrationSecretArgs {
    /// Secret that signs requests to the config URL.
    #[arg(long, env = "TOPGG_INTEGRATION_SECRET", hide_env_values = true, value_name = "SECRET")]
    pub integration_secret: Option<String>,

    /// Read the integration secret from a file (a trailing newline is stripped, and said so).
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

    /// Send this many distinct votes (load mode: prints throughput and latency percentiles).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub count: u64,

    /// Deliveries in flight at once in load mode.
    #[arg(long, default_value_t = 1, value_name = "C")]
    pub concurrency: usize,

    /// Cap the send rate in load mode, in deliveries per second (e.g. 500 or 500/s).
    #[arg(long, value_name = "R/s", value_parser = parse_rate)]
    pub rate: Option<f64>,
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
}

/// `simulate flow`.
#[derive(Debug, Args)]
pub struct FlowArgs {
    #[command(flatten)]
    pub delivery: DeliveryArgs,
    #[command(flatten)]
    pub integration: IntegrationSecretArgs,
}

/// `simulate replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The captured request (.http) to send again.
    #[arg(value_name = "FILE.http")]
    pub file: PathBuf,

    #[command(flatten)]
    pub delivery: DeliveryArgs,

    #[command(flatten)]
    pub secret: WebhookSecretArgs,

    /// Keep the captured signature and timestamp (a correct receiver rejects this: replay protection).
    #[arg(long, conflicts_with = "resign")]
    pub verbatim: bool,

    /// Re-sign the same bytes with a fresh t (needs --secret; tests idempotency).
    #[arg(long)]
    pub resign: bool,
}

/// `topgg-int check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The receiver's config URL. Without it, the built-in reference receiver is checked.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    #[command(flatten)]
    pub integration: IntegrationSecretArgs,

    /// Write JUnit XML here (GitHub Actions, GitLab and Jenkins show it as test results).
    #[arg(long, value_name = "FILE")]
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

    /// List the cases with their severity and explanation, and exit.
    #[arg(long)]
    pub list: bool,
}

/// `topgg-int completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Parses `5`, `0.5`, `2s` or `500ms` into a duration.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let (num, scale) = if let Some(ms) = s.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(secs) = s.strip_suffix('s') {
        (secs, 1.0)
    } else {
        (s, 1.0)
    };
    let value: f64 = num.trim().parse().map_err(|_| format!("{s:?} is not a duration (try 5, 0.5, 2s or 500ms)"))?;
    if !value.is_finite() || value < 0.0 || value * scale > 86_400.0 {
        return Err(format!("{s:?} is not a duration between 0 and 1 day"));
    }
    Ok(Duration::from_secs_f64(value * scale))
}

/// Parses `500` or `500/s` into deliveries per second.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let n = s.strip_suffix("/s").unwrap_or(s);
    match n.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!("{s:?} is not a rate (try 500 or 500/s)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("0.25s").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1").is_err());
        assert_eq!(parse_rate("500/s").unwrap(), 500.0);
        assert!(parse_rate("0").is_err());
    }
}

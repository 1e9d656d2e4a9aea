//! `topgg-int simulate`'s arguments: the subcommands and the flags they share (delivery, payload).
//! Part of `cli/args`, the one place that names clap.

use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

use super::super::help::*;
use super::super::values::{parse_duration, parse_rate};
use super::{IntegrationSecretArgs, WebhookSecretArgs};

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

    /// Deliveries in flight at once in load mode, each on its own connection; one event loop drives up to 32 of them (at most one loop per CPU), so raise this to use more CPUs.
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

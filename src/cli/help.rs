//! The longer `--help` texts (examples, limits, exit codes) that clap prints after the flags, kept
//! apart from args.rs so that file stays the flags themselves (it imports them all with `*`). Plain
//! strings; no clap here.

/// After `verify --help`.
pub const VERIFY_HELP: &str = "\
A body or capture over 16 MiB is refused (exit 2); many captures are read one at a time.

Examples:
  topgg-int verify --secret-file secret.txt --signature 't=1770598034,v1=19d8…' --body body.json
  export TOPGG_WEBHOOK_SECRET=whs_…        # kept out of ps and shell history, unlike --secret
  topgg-int verify --request captures/*.http --tolerance 0
  topgg-int verify --request req.http --now 1770598040

Exit codes:
  0    every signature is valid
  1    some signature is invalid (the reason and likely cause are printed)
  2    usage error or unusable input (unreadable file, no secret, bad capture)
  3    network failure (not used by verify)
  130  interrupted";

/// After `vectors --help`.
pub const VECTORS_HELP: &str = "\
One case per verdict reason and per hint code (with a near miss for each hint), in the format of \
shared/vectors/signatures.json; the README.md written with --out describes the fields. Without \
--out the JSON goes to stdout.

Examples:
  topgg-int vectors --out tests/topgg-vectors
  topgg-int vectors | jq '.cases[] | select(.expect == \"valid\") | .name'

Exit codes:
  0    written
  2    the directory or a file in it could not be written";

/// After `inspect --help`.
pub const INSPECT_HELP: &str = "\
Input is detected per file: a raw HTTP request (capture), one JSON payload, or JSON Lines (one payload \
or capture object per line; always so for .jsonl/.ndjson files and with --jsonl). Streams are read line \
by line, never whole. One document, or one line of JSON Lines, over 16 MiB is refused (exit 2).

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

/// After `serve --help`.
pub const SERVE_HELP: &str = "\
Endpoints:
  POST /integration            config URL: integration.create / integration.delete
  POST /webhooks/<connection>  vote.create / webhook.test, signed with that connection's secret
  POST /legacy                 v0 votes, Authorization: <--legacy-secret>
  GET  /health                 200

On the inspector's own listener (--inspect-bind, 127.0.0.1; --inspect-port, a free one by default):
  GET  /_/                     the inspector: every request live, its verdict, replay, copy as curl
  GET  /_/api/…                the inspector's API (requests, requests/ID, …/raw, …/replay, events)
  GET  /connections            connections as JSON, secrets redacted

The inspector is never reachable on the receiver's port, so a tunnel pointed at serve cannot reach \
it, and its API always needs the token printed at start in the page's URL (x-topgg-int-token header \
or ?token=). With --forward-to URL each request is verified, recorded and passed on to your app, \
and the app's answer goes back to the sender.

The first line printed gives the config URL once the socket is bound (with --json:
{\"event\":\"ready\",\"config_url\":…,\"listen\":…}), so scripts can wait for it. Then one line per \
request: time, method, path, event type, connection, verdict, status, latency, trace id. \
Connections are stored durably in the data dir (a 200 to integration.create means it is on disk).

Examples:
  topgg-int serve --port 8080
  topgg-int serve --port 0 --json --data-dir ./data | tee serve.log
  topgg-int serve --public-url https://my-tunnel.example --capture-dir captures/
  topgg-int serve --forward-to http://localhost:3000/topgg

Exit codes:
  0    stopped by SIGTERM (a service manager's stop), after finishing the requests in flight
  2    usage error or unusable input (port in use, corrupt or unreadable store)
  130  stopped by Ctrl-C, after finishing the requests in flight";

/// After `simulate --help`.
pub const SIMULATE_HELP: &str = "\
With no --url, the built-in reference receiver is started on 127.0.0.1 and used as the target.

Examples:
  topgg-int simulate flow
  topgg-int simulate create --url https://example.com/topgg/config --save conn.json
  topgg-int simulate vote --from conn.json --set data.user.name=alice --weight 2
  topgg-int simulate vote --url http://127.0.0.1:8080/webhooks/1 --secret-file s.txt --count 1000

Secrets come from the command line (--secret-file FILE is best: --secret VALUE stays in ps and \
shell history), then --from FILE, then TOPGG_WEBHOOK_SECRET / TOPGG_INTEGRATION_SECRET; each run \
says which one signs and with which fingerprint.

Exit codes:
  0    every delivery was acknowledged (2xx)
  1    some delivery was not acknowledged, or the handshake answer was wrong
  2    usage error or unusable input
  3    could not connect, or timed out after the last retry
  130  interrupted (Ctrl-C), after reporting what was sent; SIGTERM instead stops the run with
       the verdict of what was sent";

/// After `check --help`.
pub const CHECK_HELP: &str = "\
Cases are required (a failure fails the run), recommended (a warning; --strict makes them \
required) or info; --list shows them all. The run makes its own connection and always deletes it. \
A plain webhook (made in the project dashboard: a URL and a whs_ secret, no config URL) is checked \
with --webhook-url and the webhook secret, as `simulate vote` takes it; the cases that need a \
handshake (handshake, config-rejects-bad-signature, delete) are left out.

Examples:
  topgg-int check                     # checks the built-in reference receiver
  topgg-int check --url https://staging.example.com/topgg --integration-secret-file secret.txt
  topgg-int check --webhook-url https://bot.example.com/topgg --secret-file whs.txt --junit check.xml
  topgg-int check --url \"$CONFIG_URL\" --strict --junit check.xml   # CI shows the XML as tests
  topgg-int check --url \"$CONFIG_URL\" --only handshake,delivery --timeout 2

Exit codes:
  0    every required case passed
  1    a required case failed (or a recommended one, with --strict)
  2    usage error or unusable input
  3    could not reach the URL
  130  interrupted (Ctrl-C); SIGTERM instead skips the cases left, with the verdict of those run";

// The examples of each simulate subcommand; exit codes are simulate's (see `simulate --help`).

/// After `simulate create --help`.
pub const CREATE_HELP: &str = "\
Examples:
  topgg-int simulate create                  # against the built-in receiver
  export TOPGG_INTEGRATION_SECRET=whs_…      # the secret your config URL verifies with
  topgg-int simulate create --url https://staging.example.com/topgg/config --save conn.json
  topgg-int simulate create --url http://127.0.0.1:8080/integration --dry-run";

/// After `simulate delete --help`.
pub const DELETE_HELP: &str = "\
Examples:
  topgg-int simulate delete --from conn.json
  topgg-int simulate delete --url http://127.0.0.1:8080/integration --connection-id 1234";

/// After `simulate vote --help`.
pub const VOTE_HELP: &str = "\
Examples:
  topgg-int simulate vote                    # a fresh connection on the built-in receiver
  topgg-int simulate vote --from conn.json --weight 2 --query ref=discord --set data.user.name=alice
  topgg-int simulate vote --url http://127.0.0.1:8080/webhooks/1 --secret-file s.txt --count 1000
  topgg-int simulate vote --url http://127.0.0.1:8080/legacy --legacy --secret-file legacy.txt";

/// After `simulate test --help`.
pub const TEST_HELP: &str = "\
Examples:
  topgg-int simulate test
  topgg-int simulate test --from conn.json
  topgg-int simulate test --url http://127.0.0.1:8080/webhooks/1 --secret-file secret.txt --dry-run";

/// After `simulate flow --help`.
pub const FLOW_HELP: &str = "\
Examples:
  topgg-int simulate flow                    # the whole lifecycle against the built-in receiver
  topgg-int simulate flow --url https://staging.example.com/topgg/config --integration-secret-file i.txt";

/// After `simulate replay --help`.
pub const REPLAY_HELP: &str = "\
Examples:
  topgg-int simulate replay captures/000003-vote.create.http --url http://127.0.0.1:8080 --verbatim
  topgg-int simulate replay captures/000003-vote.create.http --url http://127.0.0.1:8080 --resign \\
      --secret-file s.txt";

/// After `completions --help`.
pub const COMPLETIONS_HELP: &str =
    "Example:\n  topgg-int completions bash > ~/.local/share/bash-completion/completions/topgg-int";

/// `simulate replay --url`'s help: replay has no built-in receiver, unlike the other subcommands.
pub const REPLAY_URL_HELP: &str = "The receiver to send the captured request to (or --from); a bare origin keeps the captured \
     path. Replay has no built-in receiver: it would not know the captured connection";

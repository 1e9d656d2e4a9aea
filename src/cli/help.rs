//! The longer `--help` texts (examples, limits, exit codes) that clap prints after the flags, kept
//! apart from args.rs so that file stays the flags themselves. Plain strings; no clap here.

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
One case per verdict reason and per hint code (with a near miss for each hint), in the format of
shared/vectors/signatures.json; the README.md written with --out describes the fields. Without
--out the JSON goes to stdout.

Examples:
  topgg-int vectors --out tests/topgg-vectors
  topgg-int vectors | jq '.cases[] | select(.expect == \"valid\") | .name'

Exit codes:
  0    written
  2    the directory or a file in it could not be written";

/// After `inspect --help`.
pub const INSPECT_HELP: &str = "\
Input is detected per file: a raw HTTP request (capture), one JSON payload, or JSON Lines (one payload
or capture object per line; always so for .jsonl/.ndjson files and with --jsonl). Streams are read line
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

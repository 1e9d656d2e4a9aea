
use builtin;
use str;

set edit:completion:arg-completer[topgg-int] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'topgg-int'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'topgg-int'= {
            cand --color 'When to colour output: auto (on a terminal), always or never'
            cand --json 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand verify 'Check an x-topgg-signature against a body or a captured request, and explain failures'
            cand inspect 'Pretty-print and validate payloads and captured requests (files, stdin, JSON Lines)'
            cand serve 'Run the reference receiver: a correct config URL and webhook endpoint on your machine'
            cand simulate 'Send Top.gg''s requests on demand, signed, with its timeout and retry behaviour'
            cand check 'Run the conformance suite against a receiver, for CI (table, JSON or JUnit)'
            cand vectors 'Write the language-neutral signature test vectors, for testing your own verifier'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'topgg-int;verify'= {
            cand --secret 'The webhook secret (whs_…) that signs deliveries. Never printed in full'
            cand --secret-file 'Read the webhook secret from a file: one line; a trailing newline is stripped'
            cand --integration-secret 'Secret that signs requests to the config URL'
            cand --integration-secret-file 'Read the integration secret from a file: one line; a trailing newline is stripped'
            cand --signature 'The x-topgg-signature header value, e.g. ''t=1770598034,v1=19d8…''. Use with --body'
            cand --body 'The raw body the signature covers: a file, or - for stdin. Use with --signature'
            cand --request 'Captured raw HTTP/1.1 requests (as `serve --capture-dir` writes them), or directories of .http files'
            cand --now 'Verify as if the clock read this Unix time (to check old captures reproducibly)'
            cand --tolerance 'Replay window in seconds; 0 disables the timestamp check'
            cand --color 'When to colour output: auto (on a terminal), always or never'
            cand --json 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'topgg-int;inspect'= {
            cand --now 'Show ages as if the clock read this Unix time'
            cand --color 'When to colour output: auto (on a terminal), always or never'
            cand --jsonl 'Treat every input as JSON Lines (one payload or capture object per line)'
            cand --problems-only 'With JSON Lines, print only payloads that have problems (and the summary)'
            cand --show-secrets 'Print an integration.create''s webhook_secret in full instead of masked (whs_ab…ef and a fingerprint)'
            cand --json 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'topgg-int;serve'= {
            cand --bind 'Address to bind'
            cand --port 'Port to listen on; 0 picks a free one (the first line printed says which)'
            cand --integration-secret 'Secret that signs requests to the config URL [env: TOPGG_INTEGRATION_SECRET]. Without either, one is generated and kept in the data dir'
            cand --integration-secret-file 'Read the integration secret from a file: one line; a trailing newline is stripped'
            cand --public-url 'Base URL the handshake hands out (webhook_url = <URL>/webhooks/<connection_id>); defaults to the bound address'
            cand --routes 'Routes to subscribe to in the handshake answer'
            cand --data-dir 'Where connections are stored (default: the platform''s data directory for topgg-int)'
            cand --capture-dir 'Write every accepted request as a raw .http file here (0600), named to sort by arrival. Bounded: the newest --capture-keep files, and at most 256 MiB; older captures are deleted'
            cand --capture-keep 'How many captures --capture-dir keeps; the oldest are deleted as new ones arrive'
            cand --history 'Keep the newest N requests (raw bytes, verdict, status, latency) in the data dir''s history/ for the inspector and its API; 0 keeps none, at most 10,000,000'
            cand --history-bytes 'The most bytes the history may take (raw requests, forwarded answers; its segment files in history/ and the database with its WAL stay within it): the oldest requests are deleted first. Takes a number of bytes or KiB, MiB, GiB; at least 1MiB. A request refused before verification keeps at most 64 KiB of its body either way'
            cand --tolerance 'Replay window in seconds; 0 disables the timestamp check'
            cand --legacy-secret 'Accept legacy (v0) votes on POST /legacy with this Authorization value'
            cand --max-connections 'Connections served at once; at the cap the oldest with nothing in progress (idle keep-alive first) is closed to make room, so idle clients cannot wall out deliveries. Above the open-files limit, serve says so at start'
            cand --read-timeout 'How long a client may take to send a whole request before it gets 408 (tests shorten it)'
            cand --forward-to 'Forward mode: verify and record each request, then pass it with its exact body and headers to your app at this base URL (<URL>/integration, <URL>/webhooks/<id>) and answer with the app''s answer'
            cand --forward-config-path 'With --forward-to: the app''s config path, instead of /integration'
            cand --forward-webhook-path 'With --forward-to: the app''s webhook path, instead of /webhooks/<id>; {connection_id} in it becomes the id'
            cand --forward-timeout 'With --forward-to: how long the app has to answer before the sender gets 504'
            cand --inspector-token 'The token the inspector''s API requires, on every bind (generated and printed once, in the page''s URL, if not given)'
            cand --inspect-port 'Port of the inspector''s own listener (the page, its API and GET /connections); 0 picks a free one. Never the receiver''s port, so a tunnel pointed at serve cannot reach it'
            cand --inspect-bind 'Address of the inspector''s own listener; loopback unless you need it elsewhere (its API always needs the token)'
            cand --color 'When to colour output: auto (on a terminal), always or never'
            cand --capture-refused 'With --capture-dir, capture refused requests (4xx, 5xx) too: anyone who can reach the port can send those, so they are not written by default'
            cand --show-secrets 'Show webhook secrets in full in the inspector and GET /connections (masked otherwise)'
            cand --json 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'topgg-int;simulate'= {
            cand --color 'When to colour output: auto (on a terminal), always or never'
            cand --json 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Send integration.create to a config URL and check the handshake answer'
            cand delete 'Send integration.delete to a config URL'
            cand vote 'Send vote.create to a webhook URL (or --legacy v0 votes); --count for load'
            cand test 'Send webhook.test to a webhook URL'
            cand flow 'The whole lifecycle: create, webhook.test, vote.create, delete'
            cand replay 'Send a captured .http request again, verbatim or re-signed'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'topgg-int;simulate;create'= {
            cand --url 'Target URL: the config URL for create, delete and flow, the webhook URL for vote and test. Without it, the built-in reference receiver is started on 127.0.0.1 and used'
            cand --timeout 'Per-attempt timeout (e.g. 5, 0.5, 500ms)'
            cand --retries 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg''s; 10 for --legacy votes]'
            cand --retry-delays 'Delays before each retry, comma-separated; the last repeats (Top.gg''s docs say 1,2,4 on one page, 2,4,8 on the other)'
            cand --timestamp 'Sign with this Unix time instead of now (to test a receiver''s replay window)'
            cand --trace 'Trace id for x-topgg-trace (default: a fresh one per delivery)'
            cand --cacert 'Trust this PEM CA certificate as well'
            cand --header 'Add this header to every request, or replace the one of that name (e.g. --header ''x-topgg-trace: t1''). Repeatable'
            cand --integration-secret 'Secret that signs requests to the config URL'
            cand --integration-secret-file 'Read the integration secret from a file: one line; a trailing newline is stripped'
            cand --payload 'Start from this JSON file instead of a generated payload (e.g. fixtures/vote.create.json)'
            cand --set 'Override a JSON path, e.g. --set data.user.name=alice or --set data.weight=2 (value is JSON if it parses, else a string). Repeatable'
            cand --unset 'Remove a JSON path from the payload, e.g. --unset data.query (after --set; the path must exist). Repeatable'
            cand --user-id 'data.user.id: the voter''s Top.gg id (legacy votes: user). Generated ids always differ from platform_id, so a receiver crediting the wrong one is caught'
            cand --platform-id 'data.user.platform_id: the voter''s Discord id, the one to credit (legacy votes: user)'
            cand --project-id 'data.project.id'
            cand --connection-id 'connection_id to send (default: a fresh snowflake)'
            cand --webhook-secret 'webhook_secret to send (default: a fresh whs_ secret)'
            cand --save 'Write connection id, webhook secret and webhook URL to this JSON file, for --from later'
            cand --color 'When to colour output: auto (on a terminal), always or never'
            cand --retry-on-4xx 'Retry on 4xx answers too'
            cand --dry-run 'Print the exact request and an equivalent curl command; send nothing'
            cand --insecure 'Accept invalid TLS certificates (staging only)'
            cand -v 'Show request and response headers and bodies for every attempt'
            cand --verbose 'Show request and response headers and bodies for every attempt'
            cand --show-secrets 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)'
            cand --json 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'topgg-int;simulate;delete'= {
            cand --url 'Target URL: the config URL for create, delete and flow, the webhook URL for vote and test. Without it, the built-in reference receiver is started on 127.0.0.1 and used'
            cand --timeout 'Per-attempt timeout (e.g. 5, 0.5, 500ms)'
            cand --retries 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg''s; 10 for --legacy votes]'
            cand --retry-delays 'Delays before each retry, comma-separated; the last repeats (Top.gg''s docs say 1,2,4 on one page, 2,4,8 on the other)'
            cand --timestamp 'Sign with this Unix time instead of now (to test a receiver''s replay window)'
            cand --trace 'Trace id for x-topgg-trace (default: a fresh one per delivery)'
            cand --cacert 'Trust this PEM CA certificate as well'
            cand --header 'Add this header to every request, or replace the one of that name (e.g. --header ''x-topgg-trace: t1''). Repeatable'
            cand --integration-secret 'Secret that signs requests to the config URL'
            cand --integration-secret-file 'Read the integration secret from a file: one line; a trailing newline is stripped'
            cand --connection-id 'The connection to delete'
            cand --from 'Take the connection id from a file written by `simulate create --save`'
            cand --color 'When to colour output: auto (on a terminal), always or never'
            cand --retry-on-4xx 'Retry on 4xx answers too'
            cand --dry-run 'Print the exact request and an equivalent curl command; send nothing'
            cand --insecure 'Accept invalid TLS certificates (staging only)'
            cand -v 'Show request and response headers and bodies for every attempt'
            cand --verbose 'Show request and response headers and bodies for every attempt'
            cand --show-secrets 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)'
            cand --json 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'topgg-int;simulate;vote'= {
            cand --url 'Target URL: the config URL for create, delete and flow, the webhook URL for vote and test. Without it, the built-in reference receiver is started on 127.0.0.1 and used'
            cand --timeout 'Per-attempt timeout (e.g. 5, 0.5, 500ms)'
            cand --retries 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg''s; 10 for --legacy votes]'
            cand --retry-delays 'Delays before each retry, comma-separated; the last repeats (Top.gg''s docs say 1,2,4 on one page, 2,4,8 on the other)'
            cand --timestamp 'Sign with this Unix time instead of now (to test a receiver''s replay window)'
            cand --trace 'Trace id for x-topgg-trace (default: a fresh one per delivery)'
            cand --cacert 'Trust this PEM CA certificate as well'
            cand --header 'Add this header to every request, or replace the one of that name (e.g. --header ''x-topgg-trace: t1''). Repeatable'
            cand --secret 'The webhook secret (whs_…) that signs deliveries. Never printed in full'
            cand --secret-file 'Read the webhook secret from a file: one line; a trailing newline is stripped'
            cand --payload 'Start from this JSON file instead of a generated payload (e.g. fixtures/vote.create.json)'
            cand --set 'Override a JSON path, e.g. --set data.user.name=alice or --set data.weight=2 (value is JSON if it parses, else a string). Repeatable'
            cand --unset 'Remove a JSON path from the payload, e.g. --unset data.query (after --set; the path must exist). Repeatable'
            cand --user-id 'data.user.id: the voter''s Top.gg id (legacy votes: user). Generated ids always differ from platform_id, so a receiver crediting the wrong one is caught'
            cand --platform-id 'data.user.platform_id: the voter''s Discord id, the one to credit (legacy votes: user)'
            cand --project-id 'data.project.id'
            cand --from 'Take webhook URL and secret from a file written by `simulate create --save`'
            cand --weight 'data.weight (2 is the weekend multiplier)'
            cand --query 'data.query entries, e.g. --query ref=discord. Repeatable'
            cand --count 'Send this many distinct votes (load mode: prints throughput and latency percentiles) [default: 1, or no limit with --duration]'
            cand --duration 'Load mode for this long (e.g. 10s), stopping earlier if --count is reached'
            cand --concurrency 'Deliveries in flight at once in load mode, each on its own connection; one event loop drives up to 32 of them (at most one loop per CPU), so raise this to use more CPUs'
            cand --rate 'Cap the send rate in load mode, in deliveries per second (e.g. 500 or 500/s); latency is then also reported from each delivery''s scheduled start'
            cand --color 'When to colour output: auto (on a terminal), always or never'
            cand --retry-on-4xx 'Retry on 4xx answers too'
            cand --dry-run 'Print the exact request and an equivalent curl command; send nothing'
            cand --insecure 'Accept invalid TLS certificates (staging only)'
            cand -v 'Show request and response headers and bodies for every attempt'
            cand --verbose 'Show request and response headers and bodies for every attempt'
            cand --show-secrets 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)'
            cand --legacy 'Send a legacy (v0) vote with `Authorization: <secret>` instead of a signature'
            cand --server 'With --legacy, send a server vote (guild) instead of a bot vote'
            cand --diagnose 'If the vote is refused with 401/403, send diagnose probes: the same event signed in each usual wrong way (body re-serialised, secret without whs_, integration secret from TOPGG_INTEGRATION_SECRET, t in ms), each its own vote, and name the one accepted'
            cand --json 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'topgg-int;simulate;test'= {
            cand --url 'Target URL: the config URL for create, delete and flow, the webhook URL for vote and test. Without it, the built-in reference receiver is started on 127.0.0.1 and used'
            cand --timeout 'Per-attempt timeout (e.g. 5, 0.5, 500ms)'
            cand --retries 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg''s; 10 for --legacy votes]'
            cand --retry-delays 'Delays before each retry, comma-separated; the last repeats (Top.gg''s docs say 1,2,4 on one page, 2,4,8 on the other)'
            cand --timestamp 'Sign with this Unix time instead of now (to test a receiver''s replay window)'
            cand --trace 'Trace id for x-topgg-trace (default: a fresh one per delivery)'
            cand --cacert 'Trust this PEM CA certificate as well'
            cand --header 'Add this header to every request, or replace the one of that name (e.g. --header ''x-topgg-trace: t1''). Repeatable'
            cand --secret 'The webhook secret (whs_…) that signs deliveries. Never printed in full'
            cand --secret-file 'Read the webhook secret from a file: one line; a trailing newline is stripped'
            cand --payload 'Start from this JSON file instead of a generated payload (e.g. fixtures/vote.create.json)'
            cand --set 'Override a JSON path, e.g. --set data.user.name=alice or --set data.weight=2 (value is JSON if it parses, else a string). Repeatable'
            cand --unset 'Remove a JSON path from the payload, e.g. --unset data.query (after --set; the path must exist). Repeatable'
            cand --user-id 'data.user.id: the voter''s Top.gg id (legacy votes: user). Generated ids always differ from platform_id, so a receiver crediting the wrong one is caught'
            cand --platform-id 'data.user.platform_id: the voter''s Discord id, the one to credit (legacy votes: user)'
            cand --project-id 'data.project.id'
            cand --from 'Take webhook URL and secret from a file written by `simulate create --save`'
            cand --color 'When to colour output: auto (on a terminal), always or never'
            cand --retry-on-4xx 'Retry on 4xx answers too'
            cand --dry-run 'Print the exact request and an equivalent curl command; send nothing'
            cand --insecure 'Accept invalid TLS certificates (staging only)'
            cand -v 'Show request and response headers and bodies for every attempt'
            cand --verbose 'Show request and response headers and bodies for every attempt'
            cand --show-secrets 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)'
            cand --diagnose 'If the test is refused with 401/403, send diagnose probes: the same event signed in each usual wrong way, and name the one accepted'
            cand --json 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'topgg-int;simulate;flow'= {
            cand --url 'Target URL: the config URL for create, delete and flow, the webhook URL for vote and test. Without it, the built-in reference receiver is started on 127.0.0.1 and used'
            cand --timeout 'Per-attempt timeout (e.g. 5, 0.5, 500ms)'
            cand --retries 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg''s; 10 for --legacy votes]'
            cand --retry-delays 'Delays before each retry, comma-separated; the last repeats (Top.gg''s docs say 1,2,4 on one page, 2,4,8 on the other)'
            cand --timestamp 'Sign with this Unix time instead of now (to test a receiver''s replay window)'
            cand --trace 'Trace id for x-topgg-trace (default: a fresh one per delivery)'
            cand --cacert 'Trust this PEM CA certificate as well'
            cand --header 'Add this header to every request, or replace the one of that name (e.g. --header ''x-topgg-trace: t1''). Repeatable'
            cand --integration-secret 'Secret that signs requests to the config URL'
            cand --integration-secret-file 'Read the integration secret from a file: one line; a trailing newline is stripped'
            cand --color 'When to colour output: auto (on a terminal), always or never'
            cand --retry-on-4xx 'Retry on 4xx answers too'
            cand --dry-run 'Print the exact request and an equivalent curl command; send nothing'
            cand --insecure 'Accept invalid TLS certificates (staging only)'
            cand -v 'Show request and response headers and bodies for every attempt'
            cand --verbose 'Show request and response headers and bodies for every attempt'
            cand --show-secrets 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)'
            cand --inspect 'After the run, keep the built-in receiver and its inspector page up until Ctrl-C, and print the page''s URL, to look at what was sent'
            cand --json 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'topgg-int;simulate;replay'= {
            cand --timeout 'Per-attempt timeout (e.g. 5, 0.5, 500ms)'
            cand --retries 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg''s; 10 for --legacy votes]'
            cand --retry-delays 'Delays before each retry, comma-separated; the last repeats (Top.gg''s docs say 1,2,4 on one page, 2,4,8 on the other)'
            cand --timestamp 'Sign with this Unix time instead of now (to test a receiver''s replay window)'
            cand --trace 'Trace id for x-topgg-trace (default: a fresh one per delivery)'
            cand --cacert 'Trust this PEM CA certificate as well'
            cand --header 'Add this header to every request, or replace the one of that name (e.g. --header ''x-topgg-trace: t1''). Repeatable'
            cand --secret 'The webhook secret (whs_…) that signs deliveries. Never printed in full'
            cand --secret-file 'Read the webhook secret from a file: one line; a trailing newline is stripped'
            cand --from 'Take webhook URL (unless --url) and secret (for --resign) from a file written by `simulate create --save`'
            cand --repeat 'Send it this many times: duplicates, as Top.gg''s retries make, for idempotency tests'
            cand --interval 'Wait this long between repeats (e.g. 1, 0.5, 200ms)'
            cand --url 'The receiver to send the captured request to (or --from); a bare origin keeps the captured path. Replay has no built-in receiver: it would not know the captured connection'
            cand --color 'When to colour output: auto (on a terminal), always or never'
            cand --retry-on-4xx 'Retry on 4xx answers too'
            cand --dry-run 'Print the exact request and an equivalent curl command; send nothing'
            cand --insecure 'Accept invalid TLS certificates (staging only)'
            cand -v 'Show request and response headers and bodies for every attempt'
            cand --verbose 'Show request and response headers and bodies for every attempt'
            cand --show-secrets 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)'
            cand --verbatim 'Keep the captured signature and timestamp (a correct receiver rejects this: replay protection)'
            cand --resign 'Re-sign the same bytes with a fresh t (needs --secret; tests idempotency)'
            cand --json 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'topgg-int;simulate;help'= {
            cand create 'Send integration.create to a config URL and check the handshake answer'
            cand delete 'Send integration.delete to a config URL'
            cand vote 'Send vote.create to a webhook URL (or --legacy v0 votes); --count for load'
            cand test 'Send webhook.test to a webhook URL'
            cand flow 'The whole lifecycle: create, webhook.test, vote.create, delete'
            cand replay 'Send a captured .http request again, verbatim or re-signed'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'topgg-int;simulate;help;create'= {
        }
        &'topgg-int;simulate;help;delete'= {
        }
        &'topgg-int;simulate;help;vote'= {
        }
        &'topgg-int;simulate;help;test'= {
        }
        &'topgg-int;simulate;help;flow'= {
        }
        &'topgg-int;simulate;help;replay'= {
        }
        &'topgg-int;simulate;help;help'= {
        }
        &'topgg-int;check'= {
            cand --url 'The receiver''s config URL. Without it (and without --webhook-url or --from), the built-in reference receiver is checked'
            cand --webhook-url 'A plain webhook''s URL, as made in the project dashboard (no config URL, no handshake): runs every case that needs no handshake, signed with the webhook secret'
            cand --secret 'The webhook secret (whs_…) that signs deliveries. Never printed in full'
            cand --secret-file 'Read the webhook secret from a file: one line; a trailing newline is stripped'
            cand --from 'Take a plain webhook''s URL and secret from a file written by `simulate create --save`'
            cand --integration-secret 'Secret that signs requests to the config URL'
            cand --integration-secret-file 'Read the integration secret from a file: one line; a trailing newline is stripped'
            cand --junit 'Write JUnit XML to this file, or - for stdout (the table then goes to stderr); GitHub Actions, GitLab and Jenkins show it as test results'
            cand --only 'Run only these cases (comma-separated names)'
            cand --skip 'Skip these cases (comma-separated names)'
            cand --timeout 'Per-request timeout (e.g. 5, 0.5, 500ms)'
            cand --legacy-secret 'The Authorization value of legacy (v0) votes: runs distinguishes-v0-from-v1'
            cand --legacy-url 'Where v0 votes go, when not to the webhook URL the handshake hands out'
            cand --color 'When to colour output: auto (on a terminal), always or never'
            cand --strict 'Treat recommended cases as required'
            cand --insecure 'Accept invalid TLS certificates (staging only)'
            cand --list 'List the cases with their severity and explanation, and exit'
            cand --inspect 'After the run, keep the built-in receiver and its inspector page up until Ctrl-C, and print the page''s URL, to look at every case''s request'
            cand --json 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'topgg-int;vectors'= {
            cand --out 'Directory to write signature-vectors.json and README.md into (created if missing); without it the JSON is written to stdout'
            cand --color 'When to colour output: auto (on a terminal), always or never'
            cand --json 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'topgg-int;completions'= {
            cand --color 'When to colour output: auto (on a terminal), always or never'
            cand --json 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'topgg-int;help'= {
            cand verify 'Check an x-topgg-signature against a body or a captured request, and explain failures'
            cand inspect 'Pretty-print and validate payloads and captured requests (files, stdin, JSON Lines)'
            cand serve 'Run the reference receiver: a correct config URL and webhook endpoint on your machine'
            cand simulate 'Send Top.gg''s requests on demand, signed, with its timeout and retry behaviour'
            cand check 'Run the conformance suite against a receiver, for CI (table, JSON or JUnit)'
            cand vectors 'Write the language-neutral signature test vectors, for testing your own verifier'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'topgg-int;help;verify'= {
        }
        &'topgg-int;help;inspect'= {
        }
        &'topgg-int;help;serve'= {
        }
        &'topgg-int;help;simulate'= {
            cand create 'Send integration.create to a config URL and check the handshake answer'
            cand delete 'Send integration.delete to a config URL'
            cand vote 'Send vote.create to a webhook URL (or --legacy v0 votes); --count for load'
            cand test 'Send webhook.test to a webhook URL'
            cand flow 'The whole lifecycle: create, webhook.test, vote.create, delete'
            cand replay 'Send a captured .http request again, verbatim or re-signed'
        }
        &'topgg-int;help;simulate;create'= {
        }
        &'topgg-int;help;simulate;delete'= {
        }
        &'topgg-int;help;simulate;vote'= {
        }
        &'topgg-int;help;simulate;test'= {
        }
        &'topgg-int;help;simulate;flow'= {
        }
        &'topgg-int;help;simulate;replay'= {
        }
        &'topgg-int;help;check'= {
        }
        &'topgg-int;help;vectors'= {
        }
        &'topgg-int;help;completions'= {
        }
        &'topgg-int;help;help'= {
        }
    ]
    $completions[$command]
}

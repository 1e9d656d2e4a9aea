# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_topgg_int_global_optspecs
    string join \n color= json h/help V/version
end

function __fish_topgg_int_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_topgg_int_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_topgg_int_using_subcommand
    set -l cmd (__fish_topgg_int_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c topgg-int -n "__fish_topgg_int_needs_command" -l color -d 'When to colour output: auto (on a terminal), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c topgg-int -n "__fish_topgg_int_needs_command" -l json -d 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
complete -c topgg-int -n "__fish_topgg_int_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c topgg-int -n "__fish_topgg_int_needs_command" -s V -l version -d 'Print version'
complete -c topgg-int -n "__fish_topgg_int_needs_command" -f -a "verify" -d 'Check an x-topgg-signature against a body or a captured request, and explain failures'
complete -c topgg-int -n "__fish_topgg_int_needs_command" -f -a "inspect" -d 'Pretty-print and validate payloads and captured requests (files, stdin, JSON Lines)'
complete -c topgg-int -n "__fish_topgg_int_needs_command" -f -a "serve" -d 'Run the reference receiver: a correct config URL and webhook endpoint on your machine'
complete -c topgg-int -n "__fish_topgg_int_needs_command" -f -a "simulate" -d 'Send Top.gg\'s requests on demand, signed, with its timeout and retry behaviour'
complete -c topgg-int -n "__fish_topgg_int_needs_command" -f -a "check" -d 'Run the conformance suite against a receiver, for CI (table, JSON or JUnit)'
complete -c topgg-int -n "__fish_topgg_int_needs_command" -f -a "vectors" -d 'Write the language-neutral signature test vectors, for testing your own verifier'
complete -c topgg-int -n "__fish_topgg_int_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c topgg-int -n "__fish_topgg_int_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand verify" -l secret -d 'The webhook secret (whs_…) that signs deliveries. Never printed in full' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand verify" -l secret-file -d 'Read the webhook secret from a file: one line; a trailing newline is stripped' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand verify" -l integration-secret -d 'Secret that signs requests to the config URL' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand verify" -l integration-secret-file -d 'Read the integration secret from a file: one line; a trailing newline is stripped' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand verify" -l signature -d 'The x-topgg-signature header value, e.g. \'t=1770598034,v1=19d8…\'. Use with --body' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand verify" -l body -d 'The raw body the signature covers: a file, or - for stdin. Use with --signature' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand verify" -l request -d 'Captured raw HTTP/1.1 requests (as `serve --capture-dir` writes them), or directories of .http files' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand verify" -l now -d 'Verify as if the clock read this Unix time (to check old captures reproducibly)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand verify" -l tolerance -d 'Replay window in seconds; 0 disables the timestamp check' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand verify" -l color -d 'When to colour output: auto (on a terminal), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c topgg-int -n "__fish_topgg_int_using_subcommand verify" -l json -d 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand verify" -s V -l version -d 'Print version'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand inspect" -l now -d 'Show ages as if the clock read this Unix time' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand inspect" -l color -d 'When to colour output: auto (on a terminal), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c topgg-int -n "__fish_topgg_int_using_subcommand inspect" -l jsonl -d 'Treat every input as JSON Lines (one payload or capture object per line)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand inspect" -l problems-only -d 'With JSON Lines, print only payloads that have problems (and the summary)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand inspect" -l show-secrets -d 'Print an integration.create\'s webhook_secret in full instead of masked (whs_ab…ef and a fingerprint)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand inspect" -l json -d 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand inspect" -s V -l version -d 'Print version'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l bind -d 'Address to bind' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l port -d 'Port to listen on; 0 picks a free one (the first line printed says which)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l integration-secret -d 'Secret that signs requests to the config URL [env: TOPGG_INTEGRATION_SECRET]. Without either, one is generated and kept in the data dir' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l integration-secret-file -d 'Read the integration secret from a file: one line; a trailing newline is stripped' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l public-url -d 'Base URL the handshake hands out (webhook_url = <URL>/webhooks/<connection_id>); defaults to the bound address' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l routes -d 'Routes to subscribe to in the handshake answer' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l data-dir -d 'Where connections are stored (default: the platform\'s data directory for topgg-int)' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l capture-dir -d 'Write every accepted request as a raw .http file here (0600), named to sort by arrival. Bounded: the newest --capture-keep files, and at most 256 MiB; older captures are deleted' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l capture-keep -d 'How many captures --capture-dir keeps; the oldest are deleted as new ones arrive' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l history -d 'Keep the newest N requests (raw bytes, verdict, status, latency) in the data dir\'s history/ for the inspector and its API; 0 keeps none, at most 10,000,000' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l history-bytes -d 'The most bytes the history may take (raw requests, forwarded answers; its segment files in history/ and the database with its WAL stay within it): the oldest requests are deleted first. Takes a number of bytes or KiB, MiB, GiB; at least 1MiB. A request refused before verification keeps at most 64 KiB of its body either way' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l tolerance -d 'Replay window in seconds; 0 disables the timestamp check' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l legacy-secret -d 'Accept legacy (v0) votes on POST /legacy with this Authorization value' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l max-connections -d 'Connections served at once; at the cap the oldest with nothing in progress (idle keep-alive first) is closed to make room, so idle clients cannot wall out deliveries. Above the open-files limit, serve says so at start' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l read-timeout -d 'How long a client may take to send a whole request before it gets 408 (tests shorten it)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l forward-to -d 'Forward mode: verify and record each request, then pass it with its exact body and headers to your app at this base URL (<URL>/integration, <URL>/webhooks/<id>) and answer with the app\'s answer' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l forward-config-path -d 'With --forward-to: the app\'s config path, instead of /integration' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l forward-webhook-path -d 'With --forward-to: the app\'s webhook path, instead of /webhooks/<id>; {connection_id} in it becomes the id' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l forward-timeout -d 'With --forward-to: how long the app has to answer before the sender gets 504' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l inspector-token -d 'The token the inspector\'s API requires, on every bind (generated and printed once, in the page\'s URL, if not given)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l inspect-port -d 'Port of the inspector\'s own listener (the page, its API and GET /connections); 0 picks a free one. Never the receiver\'s port, so a tunnel pointed at serve cannot reach it' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l inspect-bind -d 'Address of the inspector\'s own listener; loopback unless you need it elsewhere (its API always needs the token)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l color -d 'When to colour output: auto (on a terminal), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l capture-refused -d 'With --capture-dir, capture refused requests (4xx, 5xx) too: anyone who can reach the port can send those, so they are not written by default'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l show-secrets -d 'Show webhook secrets in full in the inspector and GET /connections (masked otherwise)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -l json -d 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand serve" -s V -l version -d 'Print version'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and not __fish_seen_subcommand_from create delete vote test flow replay help" -l color -d 'When to colour output: auto (on a terminal), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and not __fish_seen_subcommand_from create delete vote test flow replay help" -l json -d 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and not __fish_seen_subcommand_from create delete vote test flow replay help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and not __fish_seen_subcommand_from create delete vote test flow replay help" -s V -l version -d 'Print version'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and not __fish_seen_subcommand_from create delete vote test flow replay help" -f -a "create" -d 'Send integration.create to a config URL and check the handshake answer'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and not __fish_seen_subcommand_from create delete vote test flow replay help" -f -a "delete" -d 'Send integration.delete to a config URL'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and not __fish_seen_subcommand_from create delete vote test flow replay help" -f -a "vote" -d 'Send vote.create to a webhook URL (or --legacy v0 votes); --count for load'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and not __fish_seen_subcommand_from create delete vote test flow replay help" -f -a "test" -d 'Send webhook.test to a webhook URL'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and not __fish_seen_subcommand_from create delete vote test flow replay help" -f -a "flow" -d 'The whole lifecycle: create, webhook.test, vote.create, delete'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and not __fish_seen_subcommand_from create delete vote test flow replay help" -f -a "replay" -d 'Send a captured .http request again, verbatim or re-signed'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and not __fish_seen_subcommand_from create delete vote test flow replay help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l url -d 'Target URL: the config URL for create, delete and flow, the webhook URL for vote and test. Without it, the built-in reference receiver is started on 127.0.0.1 and used' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l timeout -d 'Per-attempt timeout (e.g. 5, 0.5, 500ms)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l retries -d 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg\'s; 10 for --legacy votes]' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l retry-delays -d 'Delays before each retry, comma-separated; the last repeats (Top.gg\'s docs say 1,2,4 on one page, 2,4,8 on the other)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l timestamp -d 'Sign with this Unix time instead of now (to test a receiver\'s replay window)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l trace -d 'Trace id for x-topgg-trace (default: a fresh one per delivery)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l cacert -d 'Trust this PEM CA certificate as well' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l header -d 'Add this header to every request, or replace the one of that name (e.g. --header \'x-topgg-trace: t1\'). Repeatable' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l integration-secret -d 'Secret that signs requests to the config URL' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l integration-secret-file -d 'Read the integration secret from a file: one line; a trailing newline is stripped' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l payload -d 'Start from this JSON file instead of a generated payload (e.g. fixtures/vote.create.json)' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l set -d 'Override a JSON path, e.g. --set data.user.name=alice or --set data.weight=2 (value is JSON if it parses, else a string). Repeatable' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l unset -d 'Remove a JSON path from the payload, e.g. --unset data.query (after --set; the path must exist). Repeatable' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l user-id -d 'data.user.id: the voter\'s Top.gg id (legacy votes: user). Generated ids always differ from platform_id, so a receiver crediting the wrong one is caught' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l platform-id -d 'data.user.platform_id: the voter\'s Discord id, the one to credit (legacy votes: user)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l project-id -d 'data.project.id' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l connection-id -d 'connection_id to send (default: a fresh snowflake)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l webhook-secret -d 'webhook_secret to send (default: a fresh whs_ secret)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l save -d 'Write connection id, webhook secret and webhook URL to this JSON file, for --from later' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l color -d 'When to colour output: auto (on a terminal), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l retry-on-4xx -d 'Retry on 4xx answers too'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l dry-run -d 'Print the exact request and an equivalent curl command; send nothing'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l insecure -d 'Accept invalid TLS certificates (staging only)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Show request and response headers and bodies for every attempt'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l show-secrets -d 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -l json -d 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l url -d 'Target URL: the config URL for create, delete and flow, the webhook URL for vote and test. Without it, the built-in reference receiver is started on 127.0.0.1 and used' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l timeout -d 'Per-attempt timeout (e.g. 5, 0.5, 500ms)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l retries -d 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg\'s; 10 for --legacy votes]' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l retry-delays -d 'Delays before each retry, comma-separated; the last repeats (Top.gg\'s docs say 1,2,4 on one page, 2,4,8 on the other)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l timestamp -d 'Sign with this Unix time instead of now (to test a receiver\'s replay window)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l trace -d 'Trace id for x-topgg-trace (default: a fresh one per delivery)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l cacert -d 'Trust this PEM CA certificate as well' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l header -d 'Add this header to every request, or replace the one of that name (e.g. --header \'x-topgg-trace: t1\'). Repeatable' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l integration-secret -d 'Secret that signs requests to the config URL' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l integration-secret-file -d 'Read the integration secret from a file: one line; a trailing newline is stripped' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l connection-id -d 'The connection to delete' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l from -d 'Take the connection id from a file written by `simulate create --save`' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l color -d 'When to colour output: auto (on a terminal), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l retry-on-4xx -d 'Retry on 4xx answers too'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l dry-run -d 'Print the exact request and an equivalent curl command; send nothing'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l insecure -d 'Accept invalid TLS certificates (staging only)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -s v -l verbose -d 'Show request and response headers and bodies for every attempt'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l show-secrets -d 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -l json -d 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l url -d 'Target URL: the config URL for create, delete and flow, the webhook URL for vote and test. Without it, the built-in reference receiver is started on 127.0.0.1 and used' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l timeout -d 'Per-attempt timeout (e.g. 5, 0.5, 500ms)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l retries -d 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg\'s; 10 for --legacy votes]' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l retry-delays -d 'Delays before each retry, comma-separated; the last repeats (Top.gg\'s docs say 1,2,4 on one page, 2,4,8 on the other)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l timestamp -d 'Sign with this Unix time instead of now (to test a receiver\'s replay window)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l trace -d 'Trace id for x-topgg-trace (default: a fresh one per delivery)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l cacert -d 'Trust this PEM CA certificate as well' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l header -d 'Add this header to every request, or replace the one of that name (e.g. --header \'x-topgg-trace: t1\'). Repeatable' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l secret -d 'The webhook secret (whs_…) that signs deliveries. Never printed in full' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l secret-file -d 'Read the webhook secret from a file: one line; a trailing newline is stripped' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l payload -d 'Start from this JSON file instead of a generated payload (e.g. fixtures/vote.create.json)' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l set -d 'Override a JSON path, e.g. --set data.user.name=alice or --set data.weight=2 (value is JSON if it parses, else a string). Repeatable' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l unset -d 'Remove a JSON path from the payload, e.g. --unset data.query (after --set; the path must exist). Repeatable' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l user-id -d 'data.user.id: the voter\'s Top.gg id (legacy votes: user). Generated ids always differ from platform_id, so a receiver crediting the wrong one is caught' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l platform-id -d 'data.user.platform_id: the voter\'s Discord id, the one to credit (legacy votes: user)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l project-id -d 'data.project.id' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l from -d 'Take webhook URL and secret from a file written by `simulate create --save`' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l weight -d 'data.weight (2 is the weekend multiplier)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l query -d 'data.query entries, e.g. --query ref=discord. Repeatable' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l count -d 'Send this many distinct votes (load mode: prints throughput and latency percentiles) [default: 1, or no limit with --duration]' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l duration -d 'Load mode for this long (e.g. 10s), stopping earlier if --count is reached' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l concurrency -d 'Deliveries in flight at once in load mode, each on its own connection; one event loop drives up to 32 of them (at most one loop per CPU), so raise this to use more CPUs' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l rate -d 'Cap the send rate in load mode, in deliveries per second (e.g. 500 or 500/s); latency is then also reported from each delivery\'s scheduled start' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l color -d 'When to colour output: auto (on a terminal), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l retry-on-4xx -d 'Retry on 4xx answers too'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l dry-run -d 'Print the exact request and an equivalent curl command; send nothing'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l insecure -d 'Accept invalid TLS certificates (staging only)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -s v -l verbose -d 'Show request and response headers and bodies for every attempt'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l show-secrets -d 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l legacy -d 'Send a legacy (v0) vote with `Authorization: <secret>` instead of a signature'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l server -d 'With --legacy, send a server vote (guild) instead of a bot vote'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l diagnose -d 'If the vote is refused with 401/403, send diagnose probes: the same event signed in each usual wrong way (body re-serialised, secret without whs_, integration secret from TOPGG_INTEGRATION_SECRET, t in ms), each its own vote, and name the one accepted'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -l json -d 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from vote" -s V -l version -d 'Print version'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l url -d 'Target URL: the config URL for create, delete and flow, the webhook URL for vote and test. Without it, the built-in reference receiver is started on 127.0.0.1 and used' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l timeout -d 'Per-attempt timeout (e.g. 5, 0.5, 500ms)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l retries -d 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg\'s; 10 for --legacy votes]' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l retry-delays -d 'Delays before each retry, comma-separated; the last repeats (Top.gg\'s docs say 1,2,4 on one page, 2,4,8 on the other)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l timestamp -d 'Sign with this Unix time instead of now (to test a receiver\'s replay window)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l trace -d 'Trace id for x-topgg-trace (default: a fresh one per delivery)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l cacert -d 'Trust this PEM CA certificate as well' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l header -d 'Add this header to every request, or replace the one of that name (e.g. --header \'x-topgg-trace: t1\'). Repeatable' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l secret -d 'The webhook secret (whs_…) that signs deliveries. Never printed in full' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l secret-file -d 'Read the webhook secret from a file: one line; a trailing newline is stripped' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l payload -d 'Start from this JSON file instead of a generated payload (e.g. fixtures/vote.create.json)' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l set -d 'Override a JSON path, e.g. --set data.user.name=alice or --set data.weight=2 (value is JSON if it parses, else a string). Repeatable' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l unset -d 'Remove a JSON path from the payload, e.g. --unset data.query (after --set; the path must exist). Repeatable' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l user-id -d 'data.user.id: the voter\'s Top.gg id (legacy votes: user). Generated ids always differ from platform_id, so a receiver crediting the wrong one is caught' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l platform-id -d 'data.user.platform_id: the voter\'s Discord id, the one to credit (legacy votes: user)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l project-id -d 'data.project.id' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l from -d 'Take webhook URL and secret from a file written by `simulate create --save`' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l color -d 'When to colour output: auto (on a terminal), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l retry-on-4xx -d 'Retry on 4xx answers too'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l dry-run -d 'Print the exact request and an equivalent curl command; send nothing'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l insecure -d 'Accept invalid TLS certificates (staging only)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -s v -l verbose -d 'Show request and response headers and bodies for every attempt'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l show-secrets -d 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l diagnose -d 'If the test is refused with 401/403, send diagnose probes: the same event signed in each usual wrong way, and name the one accepted'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -l json -d 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from test" -s V -l version -d 'Print version'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -l url -d 'Target URL: the config URL for create, delete and flow, the webhook URL for vote and test. Without it, the built-in reference receiver is started on 127.0.0.1 and used' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -l timeout -d 'Per-attempt timeout (e.g. 5, 0.5, 500ms)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -l retries -d 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg\'s; 10 for --legacy votes]' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -l retry-delays -d 'Delays before each retry, comma-separated; the last repeats (Top.gg\'s docs say 1,2,4 on one page, 2,4,8 on the other)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -l timestamp -d 'Sign with this Unix time instead of now (to test a receiver\'s replay window)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -l trace -d 'Trace id for x-topgg-trace (default: a fresh one per delivery)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -l cacert -d 'Trust this PEM CA certificate as well' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -l header -d 'Add this header to every request, or replace the one of that name (e.g. --header \'x-topgg-trace: t1\'). Repeatable' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -l integration-secret -d 'Secret that signs requests to the config URL' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -l integration-secret-file -d 'Read the integration secret from a file: one line; a trailing newline is stripped' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -l color -d 'When to colour output: auto (on a terminal), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -l retry-on-4xx -d 'Retry on 4xx answers too'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -l dry-run -d 'Print the exact request and an equivalent curl command; send nothing'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -l insecure -d 'Accept invalid TLS certificates (staging only)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -s v -l verbose -d 'Show request and response headers and bodies for every attempt'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -l show-secrets -d 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -l inspect -d 'After the run, keep the built-in receiver and its inspector page up until Ctrl-C, and print the page\'s URL, to look at what was sent'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -l json -d 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from flow" -s V -l version -d 'Print version'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l timeout -d 'Per-attempt timeout (e.g. 5, 0.5, 500ms)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l retries -d 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg\'s; 10 for --legacy votes]' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l retry-delays -d 'Delays before each retry, comma-separated; the last repeats (Top.gg\'s docs say 1,2,4 on one page, 2,4,8 on the other)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l timestamp -d 'Sign with this Unix time instead of now (to test a receiver\'s replay window)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l trace -d 'Trace id for x-topgg-trace (default: a fresh one per delivery)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l cacert -d 'Trust this PEM CA certificate as well' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l header -d 'Add this header to every request, or replace the one of that name (e.g. --header \'x-topgg-trace: t1\'). Repeatable' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l secret -d 'The webhook secret (whs_…) that signs deliveries. Never printed in full' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l secret-file -d 'Read the webhook secret from a file: one line; a trailing newline is stripped' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l from -d 'Take webhook URL (unless --url) and secret (for --resign) from a file written by `simulate create --save`' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l repeat -d 'Send it this many times: duplicates, as Top.gg\'s retries make, for idempotency tests' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l interval -d 'Wait this long between repeats (e.g. 1, 0.5, 200ms)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l url -d 'The receiver to send the captured request to (or --from); a bare origin keeps the captured path. Replay has no built-in receiver: it would not know the captured connection' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l color -d 'When to colour output: auto (on a terminal), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l retry-on-4xx -d 'Retry on 4xx answers too'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l dry-run -d 'Print the exact request and an equivalent curl command; send nothing'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l insecure -d 'Accept invalid TLS certificates (staging only)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -s v -l verbose -d 'Show request and response headers and bodies for every attempt'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l show-secrets -d 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l verbatim -d 'Keep the captured signature and timestamp (a correct receiver rejects this: replay protection)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l resign -d 'Re-sign the same bytes with a fresh t (needs --secret; tests idempotency)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -l json -d 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from replay" -s V -l version -d 'Print version'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from help" -f -a "create" -d 'Send integration.create to a config URL and check the handshake answer'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Send integration.delete to a config URL'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from help" -f -a "vote" -d 'Send vote.create to a webhook URL (or --legacy v0 votes); --count for load'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from help" -f -a "test" -d 'Send webhook.test to a webhook URL'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from help" -f -a "flow" -d 'The whole lifecycle: create, webhook.test, vote.create, delete'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from help" -f -a "replay" -d 'Send a captured .http request again, verbatim or re-signed'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand simulate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l url -d 'The receiver\'s config URL. Without it (and without --webhook-url or --from), the built-in reference receiver is checked' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l webhook-url -d 'A plain webhook\'s URL, as made in the project dashboard (no config URL, no handshake): runs every case that needs no handshake, signed with the webhook secret' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l secret -d 'The webhook secret (whs_…) that signs deliveries. Never printed in full' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l secret-file -d 'Read the webhook secret from a file: one line; a trailing newline is stripped' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l from -d 'Take a plain webhook\'s URL and secret from a file written by `simulate create --save`' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l integration-secret -d 'Secret that signs requests to the config URL' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l integration-secret-file -d 'Read the integration secret from a file: one line; a trailing newline is stripped' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l junit -d 'Write JUnit XML to this file, or - for stdout (the table then goes to stderr); GitHub Actions, GitLab and Jenkins show it as test results' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l only -d 'Run only these cases (comma-separated names)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l skip -d 'Skip these cases (comma-separated names)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l timeout -d 'Per-request timeout (e.g. 5, 0.5, 500ms)' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l legacy-secret -d 'The Authorization value of legacy (v0) votes: runs distinguishes-v0-from-v1' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l legacy-url -d 'Where v0 votes go, when not to the webhook URL the handshake hands out' -r
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l color -d 'When to colour output: auto (on a terminal), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l strict -d 'Treat recommended cases as required'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l insecure -d 'Accept invalid TLS certificates (staging only)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l list -d 'List the cases with their severity and explanation, and exit'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l inspect -d 'After the run, keep the built-in receiver and its inspector page up until Ctrl-C, and print the page\'s URL, to look at every case\'s request'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -l json -d 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand check" -s V -l version -d 'Print version'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand vectors" -l out -d 'Directory to write signature-vectors.json and README.md into (created if missing); without it the JSON is written to stdout' -r -F
complete -c topgg-int -n "__fish_topgg_int_using_subcommand vectors" -l color -d 'When to colour output: auto (on a terminal), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c topgg-int -n "__fish_topgg_int_using_subcommand vectors" -l json -d 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand vectors" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand vectors" -s V -l version -d 'Print version'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand completions" -l color -d 'When to colour output: auto (on a terminal), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c topgg-int -n "__fish_topgg_int_using_subcommand completions" -l json -d 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand completions" -s V -l version -d 'Print version'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand help; and not __fish_seen_subcommand_from verify inspect serve simulate check vectors completions help" -f -a "verify" -d 'Check an x-topgg-signature against a body or a captured request, and explain failures'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand help; and not __fish_seen_subcommand_from verify inspect serve simulate check vectors completions help" -f -a "inspect" -d 'Pretty-print and validate payloads and captured requests (files, stdin, JSON Lines)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand help; and not __fish_seen_subcommand_from verify inspect serve simulate check vectors completions help" -f -a "serve" -d 'Run the reference receiver: a correct config URL and webhook endpoint on your machine'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand help; and not __fish_seen_subcommand_from verify inspect serve simulate check vectors completions help" -f -a "simulate" -d 'Send Top.gg\'s requests on demand, signed, with its timeout and retry behaviour'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand help; and not __fish_seen_subcommand_from verify inspect serve simulate check vectors completions help" -f -a "check" -d 'Run the conformance suite against a receiver, for CI (table, JSON or JUnit)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand help; and not __fish_seen_subcommand_from verify inspect serve simulate check vectors completions help" -f -a "vectors" -d 'Write the language-neutral signature test vectors, for testing your own verifier'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand help; and not __fish_seen_subcommand_from verify inspect serve simulate check vectors completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand help; and not __fish_seen_subcommand_from verify inspect serve simulate check vectors completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand help; and __fish_seen_subcommand_from simulate" -f -a "create" -d 'Send integration.create to a config URL and check the handshake answer'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand help; and __fish_seen_subcommand_from simulate" -f -a "delete" -d 'Send integration.delete to a config URL'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand help; and __fish_seen_subcommand_from simulate" -f -a "vote" -d 'Send vote.create to a webhook URL (or --legacy v0 votes); --count for load'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand help; and __fish_seen_subcommand_from simulate" -f -a "test" -d 'Send webhook.test to a webhook URL'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand help; and __fish_seen_subcommand_from simulate" -f -a "flow" -d 'The whole lifecycle: create, webhook.test, vote.create, delete'
complete -c topgg-int -n "__fish_topgg_int_using_subcommand help; and __fish_seen_subcommand_from simulate" -f -a "replay" -d 'Send a captured .http request again, verbatim or re-signed'

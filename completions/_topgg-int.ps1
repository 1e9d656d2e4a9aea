
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'topgg-int' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'topgg-int'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'topgg-int' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check an x-topgg-signature against a body or a captured request, and explain failures')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Pretty-print and validate payloads and captured requests (files, stdin, JSON Lines)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the reference receiver: a correct config URL and webhook endpoint on your machine')
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Send Top.gg''s requests on demand, signed, with its timeout and retry behaviour')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Run the conformance suite against a receiver, for CI (table, JSON or JUnit)')
            [CompletionResult]::new('vectors', 'vectors', [CompletionResultType]::ParameterValue, 'Write the language-neutral signature test vectors, for testing your own verifier')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'topgg-int;verify' {
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'The webhook secret (whs_…) that signs deliveries. Never printed in full')
            [CompletionResult]::new('--secret-file', '--secret-file', [CompletionResultType]::ParameterName, 'Read the webhook secret from a file: one line; a trailing newline is stripped')
            [CompletionResult]::new('--integration-secret', '--integration-secret', [CompletionResultType]::ParameterName, 'Secret that signs requests to the config URL')
            [CompletionResult]::new('--integration-secret-file', '--integration-secret-file', [CompletionResultType]::ParameterName, 'Read the integration secret from a file: one line; a trailing newline is stripped')
            [CompletionResult]::new('--signature', '--signature', [CompletionResultType]::ParameterName, 'The x-topgg-signature header value, e.g. ''t=1770598034,v1=19d8…''. Use with --body')
            [CompletionResult]::new('--body', '--body', [CompletionResultType]::ParameterName, 'The raw body the signature covers: a file, or - for stdin. Use with --signature')
            [CompletionResult]::new('--request', '--request', [CompletionResultType]::ParameterName, 'Captured raw HTTP/1.1 requests (as `serve --capture-dir` writes them), or directories of .http files')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Verify as if the clock read this Unix time (to check old captures reproducibly)')
            [CompletionResult]::new('--tolerance', '--tolerance', [CompletionResultType]::ParameterName, 'Replay window in seconds; 0 disables the timestamp check')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'topgg-int;inspect' {
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Show ages as if the clock read this Unix time')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal), always or never')
            [CompletionResult]::new('--jsonl', '--jsonl', [CompletionResultType]::ParameterName, 'Treat every input as JSON Lines (one payload or capture object per line)')
            [CompletionResult]::new('--problems-only', '--problems-only', [CompletionResultType]::ParameterName, 'With JSON Lines, print only payloads that have problems (and the summary)')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Print an integration.create''s webhook_secret in full instead of masked (whs_ab…ef and a fingerprint)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'topgg-int;serve' {
            [CompletionResult]::new('--bind', '--bind', [CompletionResultType]::ParameterName, 'Address to bind')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on; 0 picks a free one (the first line printed says which)')
            [CompletionResult]::new('--integration-secret', '--integration-secret', [CompletionResultType]::ParameterName, 'Secret that signs requests to the config URL [env: TOPGG_INTEGRATION_SECRET]. Without either, one is generated and kept in the data dir')
            [CompletionResult]::new('--integration-secret-file', '--integration-secret-file', [CompletionResultType]::ParameterName, 'Read the integration secret from a file: one line; a trailing newline is stripped')
            [CompletionResult]::new('--public-url', '--public-url', [CompletionResultType]::ParameterName, 'Base URL the handshake hands out (webhook_url = <URL>/webhooks/<connection_id>); defaults to the bound address')
            [CompletionResult]::new('--routes', '--routes', [CompletionResultType]::ParameterName, 'Routes to subscribe to in the handshake answer')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Where connections are stored (default: the platform''s data directory for topgg-int)')
            [CompletionResult]::new('--capture-dir', '--capture-dir', [CompletionResultType]::ParameterName, 'Write every accepted request as a raw .http file here (0600), named to sort by arrival. Bounded: the newest --capture-keep files, and at most 256 MiB; older captures are deleted')
            [CompletionResult]::new('--capture-keep', '--capture-keep', [CompletionResultType]::ParameterName, 'How many captures --capture-dir keeps; the oldest are deleted as new ones arrive')
            [CompletionResult]::new('--history', '--history', [CompletionResultType]::ParameterName, 'Keep the newest N requests (raw bytes, verdict, status, latency) in the data dir''s history/ for the inspector and its API; 0 keeps none, at most 10,000,000')
            [CompletionResult]::new('--history-bytes', '--history-bytes', [CompletionResultType]::ParameterName, 'The most bytes the history may take (raw requests, forwarded answers; its segment files in history/ and the database with its WAL stay within it): the oldest requests are deleted first. Takes a number of bytes or KiB, MiB, GiB; at least 1MiB. A request refused before verification keeps at most 64 KiB of its body either way')
            [CompletionResult]::new('--tolerance', '--tolerance', [CompletionResultType]::ParameterName, 'Replay window in seconds; 0 disables the timestamp check')
            [CompletionResult]::new('--legacy-secret', '--legacy-secret', [CompletionResultType]::ParameterName, 'Accept legacy (v0) votes on POST /legacy with this Authorization value')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Connections served at once; at the cap the oldest with nothing in progress (idle keep-alive first) is closed to make room, so idle clients cannot wall out deliveries. Above the open-files limit, serve says so at start')
            [CompletionResult]::new('--read-timeout', '--read-timeout', [CompletionResultType]::ParameterName, 'How long a client may take to send a whole request before it gets 408 (tests shorten it)')
            [CompletionResult]::new('--forward-to', '--forward-to', [CompletionResultType]::ParameterName, 'Forward mode: verify and record each request, then pass it with its exact body and headers to your app at this base URL (<URL>/integration, <URL>/webhooks/<id>) and answer with the app''s answer')
            [CompletionResult]::new('--forward-config-path', '--forward-config-path', [CompletionResultType]::ParameterName, 'With --forward-to: the app''s config path, instead of /integration')
            [CompletionResult]::new('--forward-webhook-path', '--forward-webhook-path', [CompletionResultType]::ParameterName, 'With --forward-to: the app''s webhook path, instead of /webhooks/<id>; {connection_id} in it becomes the id')
            [CompletionResult]::new('--forward-timeout', '--forward-timeout', [CompletionResultType]::ParameterName, 'With --forward-to: how long the app has to answer before the sender gets 504')
            [CompletionResult]::new('--inspector-token', '--inspector-token', [CompletionResultType]::ParameterName, 'The token the inspector''s API requires, on every bind (generated and printed once, in the page''s URL, if not given)')
            [CompletionResult]::new('--inspect-port', '--inspect-port', [CompletionResultType]::ParameterName, 'Port of the inspector''s own listener (the page, its API and GET /connections); 0 picks a free one. Never the receiver''s port, so a tunnel pointed at serve cannot reach it')
            [CompletionResult]::new('--inspect-bind', '--inspect-bind', [CompletionResultType]::ParameterName, 'Address of the inspector''s own listener; loopback unless you need it elsewhere (its API always needs the token)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal), always or never')
            [CompletionResult]::new('--capture-refused', '--capture-refused', [CompletionResultType]::ParameterName, 'With --capture-dir, capture refused requests (4xx, 5xx) too: anyone who can reach the port can send those, so they are not written by default')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Show webhook secrets in full in the inspector and GET /connections (masked otherwise)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'topgg-int;simulate' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Send integration.create to a config URL and check the handshake answer')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Send integration.delete to a config URL')
            [CompletionResult]::new('vote', 'vote', [CompletionResultType]::ParameterValue, 'Send vote.create to a webhook URL (or --legacy v0 votes); --count for load')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Send webhook.test to a webhook URL')
            [CompletionResult]::new('flow', 'flow', [CompletionResultType]::ParameterValue, 'The whole lifecycle: create, webhook.test, vote.create, delete')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Send a captured .http request again, verbatim or re-signed')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'topgg-int;simulate;create' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target URL: the config URL for create, delete and flow, the webhook URL for vote and test. Without it, the built-in reference receiver is started on 127.0.0.1 and used')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Per-attempt timeout (e.g. 5, 0.5, 500ms)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg''s; 10 for --legacy votes]')
            [CompletionResult]::new('--retry-delays', '--retry-delays', [CompletionResultType]::ParameterName, 'Delays before each retry, comma-separated; the last repeats (Top.gg''s docs say 1,2,4 on one page, 2,4,8 on the other)')
            [CompletionResult]::new('--timestamp', '--timestamp', [CompletionResultType]::ParameterName, 'Sign with this Unix time instead of now (to test a receiver''s replay window)')
            [CompletionResult]::new('--trace', '--trace', [CompletionResultType]::ParameterName, 'Trace id for x-topgg-trace (default: a fresh one per delivery)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Trust this PEM CA certificate as well')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add this header to every request, or replace the one of that name (e.g. --header ''x-topgg-trace: t1''). Repeatable')
            [CompletionResult]::new('--integration-secret', '--integration-secret', [CompletionResultType]::ParameterName, 'Secret that signs requests to the config URL')
            [CompletionResult]::new('--integration-secret-file', '--integration-secret-file', [CompletionResultType]::ParameterName, 'Read the integration secret from a file: one line; a trailing newline is stripped')
            [CompletionResult]::new('--payload', '--payload', [CompletionResultType]::ParameterName, 'Start from this JSON file instead of a generated payload (e.g. fixtures/vote.create.json)')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Override a JSON path, e.g. --set data.user.name=alice or --set data.weight=2 (value is JSON if it parses, else a string). Repeatable')
            [CompletionResult]::new('--unset', '--unset', [CompletionResultType]::ParameterName, 'Remove a JSON path from the payload, e.g. --unset data.query (after --set; the path must exist). Repeatable')
            [CompletionResult]::new('--user-id', '--user-id', [CompletionResultType]::ParameterName, 'data.user.id: the voter''s Top.gg id (legacy votes: user). Generated ids always differ from platform_id, so a receiver crediting the wrong one is caught')
            [CompletionResult]::new('--platform-id', '--platform-id', [CompletionResultType]::ParameterName, 'data.user.platform_id: the voter''s Discord id, the one to credit (legacy votes: user)')
            [CompletionResult]::new('--project-id', '--project-id', [CompletionResultType]::ParameterName, 'data.project.id')
            [CompletionResult]::new('--connection-id', '--connection-id', [CompletionResultType]::ParameterName, 'connection_id to send (default: a fresh snowflake)')
            [CompletionResult]::new('--webhook-secret', '--webhook-secret', [CompletionResultType]::ParameterName, 'webhook_secret to send (default: a fresh whs_ secret)')
            [CompletionResult]::new('--save', '--save', [CompletionResultType]::ParameterName, 'Write connection id, webhook secret and webhook URL to this JSON file, for --from later')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal), always or never')
            [CompletionResult]::new('--retry-on-4xx', '--retry-on-4xx', [CompletionResultType]::ParameterName, 'Retry on 4xx answers too')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the exact request and an equivalent curl command; send nothing')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept invalid TLS certificates (staging only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show request and response headers and bodies for every attempt')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show request and response headers and bodies for every attempt')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'topgg-int;simulate;delete' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target URL: the config URL for create, delete and flow, the webhook URL for vote and test. Without it, the built-in reference receiver is started on 127.0.0.1 and used')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Per-attempt timeout (e.g. 5, 0.5, 500ms)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg''s; 10 for --legacy votes]')
            [CompletionResult]::new('--retry-delays', '--retry-delays', [CompletionResultType]::ParameterName, 'Delays before each retry, comma-separated; the last repeats (Top.gg''s docs say 1,2,4 on one page, 2,4,8 on the other)')
            [CompletionResult]::new('--timestamp', '--timestamp', [CompletionResultType]::ParameterName, 'Sign with this Unix time instead of now (to test a receiver''s replay window)')
            [CompletionResult]::new('--trace', '--trace', [CompletionResultType]::ParameterName, 'Trace id for x-topgg-trace (default: a fresh one per delivery)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Trust this PEM CA certificate as well')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add this header to every request, or replace the one of that name (e.g. --header ''x-topgg-trace: t1''). Repeatable')
            [CompletionResult]::new('--integration-secret', '--integration-secret', [CompletionResultType]::ParameterName, 'Secret that signs requests to the config URL')
            [CompletionResult]::new('--integration-secret-file', '--integration-secret-file', [CompletionResultType]::ParameterName, 'Read the integration secret from a file: one line; a trailing newline is stripped')
            [CompletionResult]::new('--connection-id', '--connection-id', [CompletionResultType]::ParameterName, 'The connection to delete')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Take the connection id from a file written by `simulate create --save`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal), always or never')
            [CompletionResult]::new('--retry-on-4xx', '--retry-on-4xx', [CompletionResultType]::ParameterName, 'Retry on 4xx answers too')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the exact request and an equivalent curl command; send nothing')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept invalid TLS certificates (staging only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show request and response headers and bodies for every attempt')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show request and response headers and bodies for every attempt')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'topgg-int;simulate;vote' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target URL: the config URL for create, delete and flow, the webhook URL for vote and test. Without it, the built-in reference receiver is started on 127.0.0.1 and used')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Per-attempt timeout (e.g. 5, 0.5, 500ms)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg''s; 10 for --legacy votes]')
            [CompletionResult]::new('--retry-delays', '--retry-delays', [CompletionResultType]::ParameterName, 'Delays before each retry, comma-separated; the last repeats (Top.gg''s docs say 1,2,4 on one page, 2,4,8 on the other)')
            [CompletionResult]::new('--timestamp', '--timestamp', [CompletionResultType]::ParameterName, 'Sign with this Unix time instead of now (to test a receiver''s replay window)')
            [CompletionResult]::new('--trace', '--trace', [CompletionResultType]::ParameterName, 'Trace id for x-topgg-trace (default: a fresh one per delivery)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Trust this PEM CA certificate as well')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add this header to every request, or replace the one of that name (e.g. --header ''x-topgg-trace: t1''). Repeatable')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'The webhook secret (whs_…) that signs deliveries. Never printed in full')
            [CompletionResult]::new('--secret-file', '--secret-file', [CompletionResultType]::ParameterName, 'Read the webhook secret from a file: one line; a trailing newline is stripped')
            [CompletionResult]::new('--payload', '--payload', [CompletionResultType]::ParameterName, 'Start from this JSON file instead of a generated payload (e.g. fixtures/vote.create.json)')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Override a JSON path, e.g. --set data.user.name=alice or --set data.weight=2 (value is JSON if it parses, else a string). Repeatable')
            [CompletionResult]::new('--unset', '--unset', [CompletionResultType]::ParameterName, 'Remove a JSON path from the payload, e.g. --unset data.query (after --set; the path must exist). Repeatable')
            [CompletionResult]::new('--user-id', '--user-id', [CompletionResultType]::ParameterName, 'data.user.id: the voter''s Top.gg id (legacy votes: user). Generated ids always differ from platform_id, so a receiver crediting the wrong one is caught')
            [CompletionResult]::new('--platform-id', '--platform-id', [CompletionResultType]::ParameterName, 'data.user.platform_id: the voter''s Discord id, the one to credit (legacy votes: user)')
            [CompletionResult]::new('--project-id', '--project-id', [CompletionResultType]::ParameterName, 'data.project.id')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Take webhook URL and secret from a file written by `simulate create --save`')
            [CompletionResult]::new('--weight', '--weight', [CompletionResultType]::ParameterName, 'data.weight (2 is the weekend multiplier)')
            [CompletionResult]::new('--query', '--query', [CompletionResultType]::ParameterName, 'data.query entries, e.g. --query ref=discord. Repeatable')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Send this many distinct votes (load mode: prints throughput and latency percentiles) [default: 1, or no limit with --duration]')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Load mode for this long (e.g. 10s), stopping earlier if --count is reached')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Deliveries in flight at once in load mode, each on its own connection; one event loop drives up to 32 of them (at most one loop per CPU), so raise this to use more CPUs')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Cap the send rate in load mode, in deliveries per second (e.g. 500 or 500/s); latency is then also reported from each delivery''s scheduled start')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal), always or never')
            [CompletionResult]::new('--retry-on-4xx', '--retry-on-4xx', [CompletionResultType]::ParameterName, 'Retry on 4xx answers too')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the exact request and an equivalent curl command; send nothing')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept invalid TLS certificates (staging only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show request and response headers and bodies for every attempt')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show request and response headers and bodies for every attempt')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)')
            [CompletionResult]::new('--legacy', '--legacy', [CompletionResultType]::ParameterName, 'Send a legacy (v0) vote with `Authorization: <secret>` instead of a signature')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'With --legacy, send a server vote (guild) instead of a bot vote')
            [CompletionResult]::new('--diagnose', '--diagnose', [CompletionResultType]::ParameterName, 'If the vote is refused with 401/403, send diagnose probes: the same event signed in each usual wrong way (body re-serialised, secret without whs_, integration secret from TOPGG_INTEGRATION_SECRET, t in ms), each its own vote, and name the one accepted')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'topgg-int;simulate;test' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target URL: the config URL for create, delete and flow, the webhook URL for vote and test. Without it, the built-in reference receiver is started on 127.0.0.1 and used')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Per-attempt timeout (e.g. 5, 0.5, 500ms)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg''s; 10 for --legacy votes]')
            [CompletionResult]::new('--retry-delays', '--retry-delays', [CompletionResultType]::ParameterName, 'Delays before each retry, comma-separated; the last repeats (Top.gg''s docs say 1,2,4 on one page, 2,4,8 on the other)')
            [CompletionResult]::new('--timestamp', '--timestamp', [CompletionResultType]::ParameterName, 'Sign with this Unix time instead of now (to test a receiver''s replay window)')
            [CompletionResult]::new('--trace', '--trace', [CompletionResultType]::ParameterName, 'Trace id for x-topgg-trace (default: a fresh one per delivery)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Trust this PEM CA certificate as well')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add this header to every request, or replace the one of that name (e.g. --header ''x-topgg-trace: t1''). Repeatable')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'The webhook secret (whs_…) that signs deliveries. Never printed in full')
            [CompletionResult]::new('--secret-file', '--secret-file', [CompletionResultType]::ParameterName, 'Read the webhook secret from a file: one line; a trailing newline is stripped')
            [CompletionResult]::new('--payload', '--payload', [CompletionResultType]::ParameterName, 'Start from this JSON file instead of a generated payload (e.g. fixtures/vote.create.json)')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Override a JSON path, e.g. --set data.user.name=alice or --set data.weight=2 (value is JSON if it parses, else a string). Repeatable')
            [CompletionResult]::new('--unset', '--unset', [CompletionResultType]::ParameterName, 'Remove a JSON path from the payload, e.g. --unset data.query (after --set; the path must exist). Repeatable')
            [CompletionResult]::new('--user-id', '--user-id', [CompletionResultType]::ParameterName, 'data.user.id: the voter''s Top.gg id (legacy votes: user). Generated ids always differ from platform_id, so a receiver crediting the wrong one is caught')
            [CompletionResult]::new('--platform-id', '--platform-id', [CompletionResultType]::ParameterName, 'data.user.platform_id: the voter''s Discord id, the one to credit (legacy votes: user)')
            [CompletionResult]::new('--project-id', '--project-id', [CompletionResultType]::ParameterName, 'data.project.id')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Take webhook URL and secret from a file written by `simulate create --save`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal), always or never')
            [CompletionResult]::new('--retry-on-4xx', '--retry-on-4xx', [CompletionResultType]::ParameterName, 'Retry on 4xx answers too')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the exact request and an equivalent curl command; send nothing')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept invalid TLS certificates (staging only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show request and response headers and bodies for every attempt')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show request and response headers and bodies for every attempt')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)')
            [CompletionResult]::new('--diagnose', '--diagnose', [CompletionResultType]::ParameterName, 'If the test is refused with 401/403, send diagnose probes: the same event signed in each usual wrong way, and name the one accepted')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'topgg-int;simulate;flow' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'Target URL: the config URL for create, delete and flow, the webhook URL for vote and test. Without it, the built-in reference receiver is started on 127.0.0.1 and used')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Per-attempt timeout (e.g. 5, 0.5, 500ms)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg''s; 10 for --legacy votes]')
            [CompletionResult]::new('--retry-delays', '--retry-delays', [CompletionResultType]::ParameterName, 'Delays before each retry, comma-separated; the last repeats (Top.gg''s docs say 1,2,4 on one page, 2,4,8 on the other)')
            [CompletionResult]::new('--timestamp', '--timestamp', [CompletionResultType]::ParameterName, 'Sign with this Unix time instead of now (to test a receiver''s replay window)')
            [CompletionResult]::new('--trace', '--trace', [CompletionResultType]::ParameterName, 'Trace id for x-topgg-trace (default: a fresh one per delivery)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Trust this PEM CA certificate as well')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add this header to every request, or replace the one of that name (e.g. --header ''x-topgg-trace: t1''). Repeatable')
            [CompletionResult]::new('--integration-secret', '--integration-secret', [CompletionResultType]::ParameterName, 'Secret that signs requests to the config URL')
            [CompletionResult]::new('--integration-secret-file', '--integration-secret-file', [CompletionResultType]::ParameterName, 'Read the integration secret from a file: one line; a trailing newline is stripped')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal), always or never')
            [CompletionResult]::new('--retry-on-4xx', '--retry-on-4xx', [CompletionResultType]::ParameterName, 'Retry on 4xx answers too')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the exact request and an equivalent curl command; send nothing')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept invalid TLS certificates (staging only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show request and response headers and bodies for every attempt')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show request and response headers and bodies for every attempt')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)')
            [CompletionResult]::new('--inspect', '--inspect', [CompletionResultType]::ParameterName, 'After the run, keep the built-in receiver and its inspector page up until Ctrl-C, and print the page''s URL, to look at what was sent')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'topgg-int;simulate;replay' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Per-attempt timeout (e.g. 5, 0.5, 500ms)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries after a timeout, a failed connection or a 5xx, at most 10 [default: 3, Top.gg''s; 10 for --legacy votes]')
            [CompletionResult]::new('--retry-delays', '--retry-delays', [CompletionResultType]::ParameterName, 'Delays before each retry, comma-separated; the last repeats (Top.gg''s docs say 1,2,4 on one page, 2,4,8 on the other)')
            [CompletionResult]::new('--timestamp', '--timestamp', [CompletionResultType]::ParameterName, 'Sign with this Unix time instead of now (to test a receiver''s replay window)')
            [CompletionResult]::new('--trace', '--trace', [CompletionResultType]::ParameterName, 'Trace id for x-topgg-trace (default: a fresh one per delivery)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Trust this PEM CA certificate as well')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add this header to every request, or replace the one of that name (e.g. --header ''x-topgg-trace: t1''). Repeatable')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'The webhook secret (whs_…) that signs deliveries. Never printed in full')
            [CompletionResult]::new('--secret-file', '--secret-file', [CompletionResultType]::ParameterName, 'Read the webhook secret from a file: one line; a trailing newline is stripped')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Take webhook URL (unless --url) and secret (for --resign) from a file written by `simulate create --save`')
            [CompletionResult]::new('--repeat', '--repeat', [CompletionResultType]::ParameterName, 'Send it this many times: duplicates, as Top.gg''s retries make, for idempotency tests')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Wait this long between repeats (e.g. 1, 0.5, 200ms)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The receiver to send the captured request to (or --from); a bare origin keeps the captured path. Replay has no built-in receiver: it would not know the captured connection')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal), always or never')
            [CompletionResult]::new('--retry-on-4xx', '--retry-on-4xx', [CompletionResultType]::ParameterName, 'Retry on 4xx answers too')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the exact request and an equivalent curl command; send nothing')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept invalid TLS certificates (staging only)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show request and response headers and bodies for every attempt')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show request and response headers and bodies for every attempt')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Print secrets in full instead of masked (the webhook secret, a legacy Authorization value)')
            [CompletionResult]::new('--verbatim', '--verbatim', [CompletionResultType]::ParameterName, 'Keep the captured signature and timestamp (a correct receiver rejects this: replay protection)')
            [CompletionResult]::new('--resign', '--resign', [CompletionResultType]::ParameterName, 'Re-sign the same bytes with a fresh t (needs --secret; tests idempotency)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'topgg-int;simulate;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Send integration.create to a config URL and check the handshake answer')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Send integration.delete to a config URL')
            [CompletionResult]::new('vote', 'vote', [CompletionResultType]::ParameterValue, 'Send vote.create to a webhook URL (or --legacy v0 votes); --count for load')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Send webhook.test to a webhook URL')
            [CompletionResult]::new('flow', 'flow', [CompletionResultType]::ParameterValue, 'The whole lifecycle: create, webhook.test, vote.create, delete')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Send a captured .http request again, verbatim or re-signed')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'topgg-int;simulate;help;create' {
            break
        }
        'topgg-int;simulate;help;delete' {
            break
        }
        'topgg-int;simulate;help;vote' {
            break
        }
        'topgg-int;simulate;help;test' {
            break
        }
        'topgg-int;simulate;help;flow' {
            break
        }
        'topgg-int;simulate;help;replay' {
            break
        }
        'topgg-int;simulate;help;help' {
            break
        }
        'topgg-int;check' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The receiver''s config URL. Without it (and without --webhook-url or --from), the built-in reference receiver is checked')
            [CompletionResult]::new('--webhook-url', '--webhook-url', [CompletionResultType]::ParameterName, 'A plain webhook''s URL, as made in the project dashboard (no config URL, no handshake): runs every case that needs no handshake, signed with the webhook secret')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'The webhook secret (whs_…) that signs deliveries. Never printed in full')
            [CompletionResult]::new('--secret-file', '--secret-file', [CompletionResultType]::ParameterName, 'Read the webhook secret from a file: one line; a trailing newline is stripped')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Take a plain webhook''s URL and secret from a file written by `simulate create --save`')
            [CompletionResult]::new('--integration-secret', '--integration-secret', [CompletionResultType]::ParameterName, 'Secret that signs requests to the config URL')
            [CompletionResult]::new('--integration-secret-file', '--integration-secret-file', [CompletionResultType]::ParameterName, 'Read the integration secret from a file: one line; a trailing newline is stripped')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Write JUnit XML to this file, or - for stdout (the table then goes to stderr); GitHub Actions, GitLab and Jenkins show it as test results')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Run only these cases (comma-separated names)')
            [CompletionResult]::new('--skip', '--skip', [CompletionResultType]::ParameterName, 'Skip these cases (comma-separated names)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Per-request timeout (e.g. 5, 0.5, 500ms)')
            [CompletionResult]::new('--legacy-secret', '--legacy-secret', [CompletionResultType]::ParameterName, 'The Authorization value of legacy (v0) votes: runs distinguishes-v0-from-v1')
            [CompletionResult]::new('--legacy-url', '--legacy-url', [CompletionResultType]::ParameterName, 'Where v0 votes go, when not to the webhook URL the handshake hands out')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal), always or never')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Treat recommended cases as required')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept invalid TLS certificates (staging only)')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List the cases with their severity and explanation, and exit')
            [CompletionResult]::new('--inspect', '--inspect', [CompletionResultType]::ParameterName, 'After the run, keep the built-in receiver and its inspector page up until Ctrl-C, and print the page''s URL, to look at every case''s request')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'topgg-int;vectors' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Directory to write signature-vectors.json and README.md into (created if missing); without it the JSON is written to stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'topgg-int;completions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output: auto (on a terminal), always or never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Machine output: JSON (or JSON Lines for streams) alone on stdout; progress goes to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'topgg-int;help' {
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check an x-topgg-signature against a body or a captured request, and explain failures')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Pretty-print and validate payloads and captured requests (files, stdin, JSON Lines)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the reference receiver: a correct config URL and webhook endpoint on your machine')
            [CompletionResult]::new('simulate', 'simulate', [CompletionResultType]::ParameterValue, 'Send Top.gg''s requests on demand, signed, with its timeout and retry behaviour')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Run the conformance suite against a receiver, for CI (table, JSON or JUnit)')
            [CompletionResult]::new('vectors', 'vectors', [CompletionResultType]::ParameterValue, 'Write the language-neutral signature test vectors, for testing your own verifier')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'topgg-int;help;verify' {
            break
        }
        'topgg-int;help;inspect' {
            break
        }
        'topgg-int;help;serve' {
            break
        }
        'topgg-int;help;simulate' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Send integration.create to a config URL and check the handshake answer')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Send integration.delete to a config URL')
            [CompletionResult]::new('vote', 'vote', [CompletionResultType]::ParameterValue, 'Send vote.create to a webhook URL (or --legacy v0 votes); --count for load')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Send webhook.test to a webhook URL')
            [CompletionResult]::new('flow', 'flow', [CompletionResultType]::ParameterValue, 'The whole lifecycle: create, webhook.test, vote.create, delete')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Send a captured .http request again, verbatim or re-signed')
            break
        }
        'topgg-int;help;simulate;create' {
            break
        }
        'topgg-int;help;simulate;delete' {
            break
        }
        'topgg-int;help;simulate;vote' {
            break
        }
        'topgg-int;help;simulate;test' {
            break
        }
        'topgg-int;help;simulate;flow' {
            break
        }
        'topgg-int;help;simulate;replay' {
            break
        }
        'topgg-int;help;check' {
            break
        }
        'topgg-int;help;vectors' {
            break
        }
        'topgg-int;help;completions' {
            break
        }
        'topgg-int;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

#!/usr/bin/env bash
# The check step of the GitHub Action in action.yml: runs `topgg-int check` with the action's
# inputs and leaves JUnit XML for the workflow to publish. It is a file of its own so that .ci/run
# runs exactly this script with the binary just built (the action runs it with a release binary).
#
# Inputs come as environment variables, as the action passes them:
#   TOPGG_INT        the binary (default: topgg-int on PATH)
#   INPUT_URL        an integration's config URL (TOPGG_INTEGRATION_SECRET signs the handshake)
#   INPUT_WEBHOOK_URL a plain dashboard webhook's URL (TOPGG_WEBHOOK_SECRET signs the deliveries)
#   INPUT_JUNIT      where the JUnit XML goes (default topgg-int-check.xml)
#   INPUT_STRICT     "true" makes recommended cases required
#   INPUT_ONLY, INPUT_SKIP  comma-separated case names
#   INPUT_TIMEOUT    per-request timeout (default 5)
#   INPUT_ARGS       more arguments for `check`, split on spaces
# With neither URL the built-in reference receiver is checked (what .ci/run does).
# Writes `result` (passed|failed|unreachable|error) and `junit` to $GITHUB_OUTPUT and the report to
# $GITHUB_STEP_SUMMARY when those are set, and exits with check's own exit code.
set -uo pipefail

bin="${TOPGG_INT:-topgg-int}"
junit="${INPUT_JUNIT:-topgg-int-check.xml}"
args=(check --junit "$junit" --timeout "${INPUT_TIMEOUT:-5}")

if [ -n "${INPUT_URL:-}" ] && [ -n "${INPUT_WEBHOOK_URL:-}" ]; then
  echo "topgg-int action: give url (an integration's config URL) or webhook-url (a plain webhook), not both" >&2
  exit 2
fi
[ -n "${INPUT_URL:-}" ] && args+=(--url "$INPUT_URL")
[ -n "${INPUT_WEBHOOK_URL:-}" ] && args+=(--webhook-url "$INPUT_WEBHOOK_URL")
[ "${INPUT_STRICT:-false}" = "true" ] && args+=(--strict)
[ -n "${INPUT_ONLY:-}" ] && args+=(--only "$INPUT_ONLY")
[ -n "${INPUT_SKIP:-}" ] && args+=(--skip "$INPUT_SKIP")
if [ -n "${INPUT_ARGS:-}" ]; then
  read -r -a extra <<<"$INPUT_ARGS"
  # Guarded: macOS runners' bash 3.2 calls an empty array unbound under set -u.
  if [ "${#extra[@]}" -gt 0 ]; then
    args+=("${extra[@]}")
  fi
fi

report="$(mktemp)"
trap 'rm -f "$report"' EXIT
# No colour in logs; the table goes to the log and to the step summary.
NO_COLOR=1 "$bin" "${args[@]}" | tee "$report"
code="${PIPESTATUS[0]}"

case "$code" in
  0) result=passed ;;
  1) result=failed ;;
  3) result=unreachable ;;
  *) result=error ;;
esac
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  { echo "result=$result"; echo "junit=$junit"; } >>"$GITHUB_OUTPUT"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  { echo '### topgg-int check'; echo; echo '```'; cat "$report"; echo '```'; } >>"$GITHUB_STEP_SUMMARY"
fi
if [ "$code" -ne 0 ] && [ "$code" -ne 1 ] && [ "$code" -ne 3 ]; then
  echo "topgg-int action: check exited $code (usage error or unusable input: see above)" >&2
fi
exit "$code"

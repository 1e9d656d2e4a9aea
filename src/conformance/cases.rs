//! The cases of the suite (names, severities, explanations), which of them a run selects, and the
//! shape of their results. Pure data: nothing here sends a request.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// How much a case counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Failing it fails the run.
    Required,
    /// Failing it is a warning; `--strict` makes it required.
    Recommended,
    /// Reports a fact; never fails.
    Info,
}

impl Severity {
    /// `required`, `recommended` or `info`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Required => "required",
            Severity::Recommended => "recommended",
            Severity::Info => "info",
        }
    }
}

/// A case of the suite: stable name, severity, and what it proves.
#[derive(Debug, PartialEq, Eq)]
pub struct CaseInfo {
    /// Stable kebab-case name, as `--only` and `--skip` take it.
    pub name: &'static str,
    /// How much it counts.
    pub severity: Severity,
    /// One line: what is sent and what is expected.
    pub explanation: &'static str,
}

const fn case(name: &'static str, severity: Severity, explanation: &'static str) -> CaseInfo {
    CaseInfo { name, severity, explanation }
}

use Severity::{Info, Recommended, Required};

/// Every case, in the order they are reported (and, but for the replay case, run).
pub const CASES: [CaseInfo; 31] = [
    case(
        "handshake",
        Required,
        "a signed integration.create to the config URL is answered 2xx with {webhook_url, routes}: an absolute http(s) URL and known scopes",
    ),
    case(
        "config-rejects-bad-signature",
        Recommended,
        "an integration.create signed with another secret is refused with 4xx (else anyone can register a webhook)",
    ),
    case("delivery", Required, "a signed webhook.test and a signed vote.create to the webhook URL are answered 2xx"),
    case(
        "not-v0-only",
        Required,
        "the signed vote.create of delivery is not refused as a released SDK that only checks Authorization refuses it \
         (@top-gg/sdk 3.1.6: 403 {\"error\":\"Unauthorized\"}; topggpy 1.4.0: 401 Unauthorized)",
    ),
    case("rejects-bad-signature", Required, "a vote.create whose v1 is not the body's HMAC is refused with 4xx"),
    case("rejects-missing-signature", Required, "a vote.create without x-topgg-signature is refused with 4xx"),
    case(
        "rejects-tampered-body",
        Required,
        "a vote.create whose body changed after signing (weight 1 -> 2) is refused with 4xx",
    ),
    case("rejects-wrong-secret", Required, "a vote.create signed with another connection's secret is refused with 4xx"),
    case(
        "rejects-unverified-unparseable",
        Required,
        "a body that is not JSON and one of an unknown type, each wrongly signed and unsigned, and an unsigned v0 vote, are refused with 4xx \
         (verify before parsing: acknowledging them unchecked lets anyone post to the URL)",
    ),
    case(
        "rejects-overlong-v1",
        Required,
        "a v1 made of the body's correct HMAC with characters appended is refused with 4xx (compare all of it)",
    ),
    case("rejects-stale-timestamp", Recommended, "a vote.create signed with t 10 minutes old is refused with 4xx"),
    case("rejects-future-timestamp", Recommended, "a vote.create signed with t 10 minutes ahead is refused with 4xx"),
    case(
        "rejects-malformed-header",
        Recommended,
        "x-topgg-signature with a truncated v1, and one without t, are each refused with 4xx",
    ),
    case(
        "rejects-oversized-body",
        Recommended,
        "a correctly signed body over 2 MiB is refused with 4xx (413) or the connection closed, never 2xx",
    ),
    case(
        "rejects-prefix-stripped-secret",
        Recommended,
        "a vote.create signed with the secret minus its whs_ prefix is refused with 4xx (the key is the whole secret)",
    ),
    case(
        "idempotent-retry",
        Recommended,
        "the same vote.create sent twice with fresh signatures, as Top.gg retries, is answered 2xx both times",
    ),
    case(
        "unknown-event-acknowledged",
        Recommended,
        "a verified event of an unknown type is answered 2xx, so Top.gg does not retry it",
    ),
    case(
        "tolerates-unknown-fields",
        Recommended,
        "a signed vote.create with fields this suite made up (envelope, data, project, user) is answered 2xx",
    ),
    case(
        "tolerates-missing-query",
        Recommended,
        "a signed vote.create without the optional data.query is answered 2xx",
    ),
    case(
        "slow-head",
        Recommended,
        "a signed vote.create is answered 2xx while another client trickles a request head a byte at a time",
    ),
    case(
        "slow-body",
        Recommended,
        "a signed vote.create is answered 2xx while another client trickles a request body a byte at a time",
    ),
    case(
        "distinguishes-v0-from-v1",
        Recommended,
        "with --legacy-secret: a v0 vote is judged by Authorization, a request with x-topgg-signature by v1 alone \
         (a forged v1 with the right Authorization is refused, a valid v1 with a wrong one accepted)",
    ),
    case(
        "rejects-verbatim-replay",
        Recommended,
        "a vote.create accepted with t 29 s old is sent again byte for byte once t is 31 s old and is refused with 4xx: \
         the window also guards requests already seen (no duplicate short-cut before verification)",
    ),
    case("delete", Required, "a signed integration.delete for the suite's connection is answered 2xx"),
    case(
        "keeps-answering",
        Required,
        "the receiver answers until the end of the run: one that crashes or hangs fails, and the cases after are not run",
    ),
    case("fast", Recommended, "every answer but the oversized upload came in under 1 s (Top.gg gives up after 5 s)"),
    case(
        "trace-header",
        Info,
        "whether a signed vote.create without x-topgg-trace is accepted (Top.gg always sends it)",
    ),
    case(
        "user-ids",
        Info,
        "a signed vote.create whose data.user.id (Top.gg) and data.user.platform_id (Discord) differ: the answer, \
         and which id to credit (which one the receiver credited cannot be seen from outside)",
    ),
    case("rejection-statuses", Info, "the status codes the receiver uses for each kind of rejection"),
    case("latency", Info, "answer latency percentiles over every request but the oversized one"),
    case(
        "server-header",
        Info,
        "the Server header of the config URL's answer (of the first delivery's, for a plain webhook)",
    ),
];

/// The cases that need a config URL and its handshake: left out when checking a plain webhook.
pub const INTEGRATION_ONLY: [&str; 3] = ["handshake", "config-rejects-bad-signature", "delete"];

/// Why [`INTEGRATION_ONLY`] cases are left out of a plain webhook's check.
pub const INTEGRATION_ONLY_REASON: &str =
    "they need an integration's config URL and handshake; a webhook made in the dashboard has neither";

/// The case with this name.
pub fn find_case(name: &str) -> Option<&'static CaseInfo> {
    CASES.iter().find(|c| c.name == name)
}

/// Which cases to run and report.
#[derive(Debug, Clone)]
pub struct Selection(Vec<&'static str>);

impl Selection {
    /// Every case.
    pub fn all() -> Self {
        Selection(CASES.iter().map(|c| c.name).collect())
    }

    /// `--only` (empty: all) minus `--skip`. An unknown name is unusable input naming the valid ones.
    pub fn from_lists(only: &[String], skip: &[String]) -> Result<Self> {
        for name in only.iter().chain(skip) {
            if find_case(name).is_none() {
                let valid: Vec<&str> = CASES.iter().map(|c| c.name).collect();
                return Err(Error::input(format!("unknown case {name:?}; valid cases: {}", valid.join(", "))));
            }
        }
        let chosen = CASES
            .iter()
            .map(|c| c.name)
            .filter(|n| only.is_empty() || only.iter().any(|o| o == n))
            .filter(|n| !skip.iter().any(|s| s == n))
            .collect::<Vec<_>>();
        if chosen.is_empty() {
            return Err(Error::input("--only and --skip leave no case to run"));
        }
        Ok(Selection(chosen))
    }

    /// Whether `name` is selected.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(&name)
    }

    /// For a plain webhook: a case named in `--only` that needs a config URL is unusable input,
    /// and so is a selection with nothing else in it.
    pub fn check_plain_webhook(&self, only: &[String]) -> Result<()> {
        if let Some(name) = only.iter().find(|o| INTEGRATION_ONLY.contains(&o.as_str())) {
            return Err(Error::input(format!(
                "--only {name}: that case needs an integration's config URL (--url); a plain webhook has none"
            )));
        }
        if self.0.iter().all(|n| INTEGRATION_ONLY.contains(n)) {
            return Err(Error::input("--only and --skip leave no case to run against a plain webhook"));
        }
        Ok(())
    }

    /// The selected cases a plain webhook's run leaves out.
    pub fn integration_only(&self) -> Vec<&'static str> {
        self.0.iter().copied().filter(|n| INTEGRATION_ONLY.contains(n)).collect()
    }
}

/// What happened to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It did what the case expects.
    Pass,
    /// It did not.
    Fail,
    /// Not run, or inconclusive; the detail says why.
    Skip,
    /// An info case: a fact, not a verdict.
    Info,
}

/// How a result counts once `--strict` is taken into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Passed.
    Passed,
    /// Failed a required case (or a recommended one under `--strict`): the run fails.
    Failed,
    /// Failed a recommended case without `--strict`.
    Warning,
    /// Skipped or inconclusive.
    Skipped,
    /// Info.
    Info,
}

impl Status {
    /// `pass`, `fail`, `warn`, `skip` or `info`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Passed => "pass",
            Status::Failed => "fail",
            Status::Warning => "warn",
            Status::Skipped => "skip",
            Status::Info => "info",
        }
    }
}

/// One case's result.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case.
    pub case: &'static CaseInfo,
    /// What happened.
    pub verdict: Verdict,
    /// One sentence: the statuses seen, or why it failed or was skipped.
    pub detail: String,
    /// Machine-readable facts (statuses, latencies) for JSON output.
    pub facts: Map<String, Value>,
    /// Wall time spent in the case.
    pub duration: Duration,
}

impl CaseResult {
    /// How this result counts; `strict` makes recommended cases required.
    pub fn status(&self, strict: bool) -> Status {
        match (self.verdict, self.case.severity) {
            (Verdict::Pass, _) => Status::Passed,
            (Verdict::Skip, _) => Status::Skipped,
            (Verdict::Info, _) | (_, Severity::Info) => Status::Info,
            (Verdict::Fail, Severity::Required) => Status::Failed,
            (Verdict::Fail, Severity::Recommended) if strict => Status::Failed,
            (Verdict::Fail, Severity::Recommended) => Status::Warning,
        }
    }
}

/// The whole run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The URL checked: the config URL, or a plain webhook's URL (then `plain_webhook` is set).
    pub config_url: String,
    /// The run checked a plain webhook: no handshake, the [`INTEGRATION_ONLY`] cases left out.
    pub plain_webhook: bool,
    /// The selected cases a plain webhook's run left out ([`INTEGRATION_ONLY_REASON`] says why).
    pub left_out: Vec<&'static str>,
    /// Results of the selected cases, in [`CASES`] order, plus a failed `handshake`, `delete` or
    /// `keeps-answering` even when not selected: they fail the run, so they are reported.
    pub results: Vec<CaseResult>,
    /// Set when the config URL could not be reached at all (exit 3): the reason.
    pub unreachable: Option<String>,
    /// The run was interrupted (Ctrl-C) through [`Config::stop`](super::Config::stop); the
    /// remaining cases are skipped.
    pub interrupted: bool,
    /// The run was ended early ([`Reason::Terminated`](crate::stop::Reason::Terminated): SIGTERM)
    /// through [`Config::stop`](super::Config::stop); the remaining cases are skipped and the
    /// verdict covers the ones that ran.
    pub terminated: bool,
    /// Set when the receiver stopped answering mid-run: the case after which it did. The cases
    /// after it are skipped as not run and `keeps-answering` fails.
    pub stopped_after: Option<&'static str>,
    /// Wall time of the run.
    pub duration: Duration,
}

impl Report {
    /// Whether no result counts as failed and the receiver kept answering.
    pub fn passed(&self, strict: bool) -> bool {
        self.stopped_after.is_none() && self.results.iter().all(|r| r.status(strict) != Status::Failed)
    }

    /// How many results have this status.
    pub fn count(&self, status: Status, strict: bool) -> usize {
        self.results.iter().filter(|r| r.status(strict) == status).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_kebab_case() {
        let mut seen = HashSet::new();
        for c in &CASES {
            assert!(seen.insert(c.name), "duplicate {}", c.name);
            assert!(c.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'), "{}", c.name);
            assert!(!c.explanation.contains('\n'));
        }
    }

    #[test]
    fn selection_names_unknown_cases() {
        let err = Selection::from_lists(&["handshak".into()], &[]).unwrap_err().to_string();
        assert!(err.contains("\"handshak\"") && err.contains("rejects-bad-signature"), "{err}");
        let s = Selection::from_lists(&["delivery".into(), "fast".into()], &["fast".into()]).unwrap();
        assert!(s.contains("delivery") && !s.contains("fast") && !s.contains("handshake"));
    }

    #[test]
    fn a_plain_webhook_leaves_out_the_integration_only_cases() {
        let all = Selection::all();
        assert_eq!(all.integration_only(), INTEGRATION_ONLY);
        assert!(all.check_plain_webhook(&[]).is_ok());
        let only = vec!["delete".to_string()];
        let err = Selection::from_lists(&only, &[]).unwrap().check_plain_webhook(&only).unwrap_err().to_string();
        assert!(err.contains("--only delete") && err.contains("config URL"), "{err}");
        let skip: Vec<String> =
            CASES.iter().filter(|c| !INTEGRATION_ONLY.contains(&c.name)).map(|c| c.name.into()).collect();
        let err = Selection::from_lists(&[], &skip).unwrap().check_plain_webhook(&[]).unwrap_err().to_string();
        assert!(err.contains("no case to run against a plain webhook"), "{err}");
    }

    #[test]
    fn strict_turns_warnings_into_failures() {
        let r = CaseResult {
            case: find_case("fast").unwrap(),
            verdict: Verdict::Fail,
            detail: String::new(),
            facts: Map::new(),
            duration: Duration::ZERO,
        };
        assert_eq!(r.status(false), Status::Warning);
        assert_eq!(r.status(true), Status::Failed);
    }
}

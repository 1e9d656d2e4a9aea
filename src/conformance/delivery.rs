//! Cases a correct receiver accepts: valid deliveries (with diagnose probes when they are refused
//! with 401/403, see [`super::probes`]), a retry, an unknown event type, and whether the trace
//! header is required.

use serde_json::{Map, json};

use super::body::{encode_body, event_value, vote_value};
use super::cases::Verdict;
use super::http::Answer;
use super::runner::{Headers, Outcome, Runner, describe, result_fact};
use crate::protocol::generate;
use crate::protocol::legacy_sdk;
use crate::protocol::signature::{SIGNATURE_HEADER, TRACE_HEADER, sign};
use crate::protocol::time::now_unix;

impl Runner<'_, '_> {
    pub(super) fn delivery(&mut self) -> Outcome {
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let mut parts = Vec::new();
        let mut facts = Map::new();
        let mut ok = true;
        let (mut answered, mut first_failure) = (false, None);
        let mut refused_as_unauthorised = false;
        for (name, value) in [("webhook.test", event_value(&generate::webhook_test())), ("vote.create", vote_value())] {
            let body = encode_body(&value);
            let headers = self.signed(&self.webhook_secret.clone(), now_unix(), &body);
            let result = self.deliver("delivery", &headers, body);
            let accepted = result.as_ref().is_ok_and(Answer::is_success);
            refused_as_unauthorised |= result.as_ref().is_ok_and(|a| matches!(a.status, 401 | 403));
            if let Ok(a) = &result
                && self.server_header.is_none()
                && self.cfg.webhook.is_some()
            {
                // No config URL to ask: a plain webhook's Server header is its deliveries'.
                self.server_header = a.header("server").map(str::to_string);
            }
            match &result {
                Ok(_) => answered = true,
                Err(f) => {
                    first_failure.get_or_insert_with(|| f.message.clone());
                }
            }
            ok &= accepted;
            if name == "vote.create" {
                self.vote_accepted = accepted;
                self.vote_refusal = result.as_ref().ok().filter(|a| !a.is_success()).cloned();
            }
            facts.insert(name.into(), result_fact(&result));
            parts.push(format!("{name} {}", describe(&result)));
        }
        let mut detail = parts.join(", ");
        if self.cfg.webhook.is_some()
            && !answered
            && let Some(why) = first_failure
        {
            // Not one answer from a plain webhook: unreachable, as a silent config URL is (exit 3).
            self.unreachable = Some(why);
            return (Verdict::Fail, detail, facts);
        }
        if !ok {
            detail.push_str(&self.diagnose_refusal(refused_as_unauthorised, &mut facts));
        }
        (if ok { Verdict::Pass } else { Verdict::Fail }, detail, facts)
    }

    /// `not-v0-only`: computed from the vote.create `delivery` sent. A refusal that is the answer
    /// of a released SDK that only checks `Authorization` fails with the sentence naming it.
    pub(super) fn not_v0_only(&mut self) -> Outcome {
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let mut facts = Map::new();
        let Some(refusal) = self.vote_refusal.clone() else {
            facts.insert("sdk".into(), serde_json::Value::Null);
            return if self.vote_accepted {
                (Verdict::Pass, "the signed vote.create was accepted".into(), facts)
            } else {
                (Verdict::Skip, "inconclusive: the signed vote.create got no answer (see delivery)".into(), facts)
            };
        };
        let sdk = legacy_sdk::recognise(refusal.status, &refusal.headers, &refusal.body);
        facts.insert("sdk".into(), json!(sdk.map(|s| s.sdk.code())));
        match sdk {
            Some(sdk) if sdk.certain => (Verdict::Fail, sdk.explanation(), facts),
            Some(sdk) => (
                Verdict::Skip,
                format!("inconclusive: {}; another secret gets the same answer", sdk.explanation()),
                facts,
            ),
            None => (
                Verdict::Pass,
                format!("refused with {}, but not as a released v0-only SDK refuses it (see delivery)", refusal.status),
                facts,
            ),
        }
    }

    /// When valid deliveries are refused, names a released v0-only SDK from its answer, or, after
    /// a 401/403, sends the diagnose probes ([`super::probes`]) and names the usual mistake the
    /// receiver makes, listing the probes in `facts`. Returns a clause for the delivery's detail.
    pub(super) fn diagnose_refusal(
        &mut self,
        unauthorised: bool,
        facts: &mut Map<String, serde_json::Value>,
    ) -> String {
        if let Some(r) = &self.vote_refusal
            && let Some(sdk) = legacy_sdk::recognise(r.status, &r.headers, &r.body).filter(|s| s.certain)
        {
            // It checks Authorization alone: every signed probe would be refused the same way.
            return format!("; {}", sdk.explanation());
        }
        if self.cfg.webhook.is_some() && self.vote_refusal.as_ref().is_some_and(|r| r.status == 404) {
            return "; 404: is --webhook-url the exact URL the dashboard's webhook has?".into();
        }
        if !unauthorised {
            return String::new();
        }
        let findings = self.probe_refusal();
        facts.insert("probes".into(), findings.probes.into());
        findings.clause
    }

    pub(super) fn idempotent_retry(&mut self) -> Outcome {
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let body = encode_body(&vote_value());
        let trace = generate::trace_id();
        let secret = self.webhook_secret.clone();
        let now = now_unix();
        let mut answers = Vec::new();
        // Two different t values, so the second really has a fresh signature (as a retry does)
        // and is not a verbatim copy that a replay cache would rightly refuse.
        for t in [now - 1, now] {
            let headers: Headers = vec![
                ("content-type", "application/json".into()),
                (SIGNATURE_HEADER, sign(&secret, t, &body)),
                (TRACE_HEADER, trace.clone()),
            ];
            answers.push(self.deliver("idempotent-retry", &headers, body.clone()));
        }
        let mut facts = Map::new();
        facts.insert("first".into(), result_fact(&answers[0]));
        facts.insert("retry".into(), result_fact(&answers[1]));
        let detail = format!("first {}, retry {}", describe(&answers[0]), describe(&answers[1]));
        let verdict = match (&answers[0], &answers[1]) {
            (Ok(a), Ok(b)) if a.is_success() && b.is_success() => Verdict::Pass,
            (Ok(a), _) if !a.is_success() && !self.vote_accepted => {
                return (Verdict::Skip, format!("inconclusive: {detail}, and valid deliveries are refused"), facts);
            }
            _ => Verdict::Fail,
        };
        (verdict, detail, facts)
    }

    pub(super) fn unknown_event(&mut self) -> Outcome {
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let value = json!({
            "type": "topgg_int.check.unknown_event",
            "data": { "id": generate::snowflake(), "note": "an event type this receiver cannot know" }
        });
        let body = encode_body(&value);
        let headers = self.signed(&self.webhook_secret.clone(), now_unix(), &body);
        let result = self.deliver("unknown-event-acknowledged", &headers, body);
        let mut facts = Map::new();
        facts.insert("status".into(), result_fact(&result));
        let detail = describe(&result);
        match &result {
            Ok(a) if a.is_success() => (Verdict::Pass, detail, facts),
            Ok(a) if !self.vote_accepted => {
                (Verdict::Skip, format!("inconclusive: answered {}, and valid deliveries are refused", a.status), facts)
            }
            Ok(a) if a.status >= 500 => (Verdict::Fail, format!("{detail}: Top.gg would retry it"), facts),
            _ => (Verdict::Fail, format!("{detail}: acknowledge (2xx) and ignore unknown types"), facts),
        }
    }

    pub(super) fn trace_header(&mut self) -> Outcome {
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let body = encode_body(&vote_value());
        let headers: Headers = vec![
            ("content-type", "application/json".into()),
            (SIGNATURE_HEADER, sign(&self.webhook_secret, now_unix(), &body)),
        ];
        let result = self.deliver("trace-header", &headers, body);
        let mut facts = Map::new();
        facts.insert("status".into(), result_fact(&result));
        let detail = match &result {
            Ok(a) if a.is_success() => format!("not required: accepted with {} without it", a.status),
            Ok(a) if (400..500).contains(&a.status) && self.vote_accepted => {
                format!("required: refused with {} without it", a.status)
            }
            other => format!("unknown: {}", describe(other)),
        };
        facts.insert("required".into(), json!(result.as_ref().is_ok_and(|a| (400..500).contains(&a.status))));
        (Verdict::Info, detail, facts)
    }
}

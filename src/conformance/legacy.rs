//! `distinguishes-v0-from-v1`: a receiver that takes both legacy (v0, `Authorization`) votes and
//! v1 deliveries must judge each by its own rule. SDKs choose v1 whenever `x-topgg-signature` is
//! present (protocol.md §6), so a right `Authorization` must not rescue a forged signature, and a
//! wrong one must not sink a valid signature.

use serde_json::Map;

use super::body::{encode_body, vote_value};
use super::cases::Verdict;
use super::http::{Answer, SendFailure};
use super::runner::{Outcome, Runner, describe, outcome, result_fact};
use crate::protocol::generate;
use crate::protocol::time::now_unix;

impl Runner<'_, '_> {
    pub(super) fn legacy_discrimination(&mut self) -> Outcome {
        let Some(legacy) = self.cfg.legacy_secret.clone() else {
            return outcome(Verdict::Skip, "not run: pass --legacy-secret (and --legacy-url if v0 votes go elsewhere)");
        };
        let webhook = match self.webhook() {
            Ok(url) => url,
            Err(skip) => return skip,
        };
        if let Err(why) = self.refusal_inconclusive() {
            return outcome(Verdict::Skip, format!("inconclusive: {why}"));
        }
        let legacy_url = self.cfg.legacy_url.clone().unwrap_or_else(|| webhook.clone());
        let wrong = generate::wrong_secret();
        let v0_body = serde_json::to_vec(&generate::legacy_bot_vote()).unwrap_or_default();
        let v0 =
            |auth: &str| vec![("content-type", "application/json".to_string()), ("authorization", auth.to_string())];
        // (variant, URL, headers, body, must be accepted)
        let mut sends = vec![
            ("v0-right-authorization", legacy_url.clone(), v0(legacy.expose()), v0_body.clone(), true),
            ("v0-wrong-authorization", legacy_url, v0(wrong.expose()), v0_body, false),
        ];
        let body = encode_body(&vote_value());
        let forged = format!("t={},v1={}", now_unix(), hex::encode(generate::random_bytes::<32>()));
        let mut headers = self.headers(Some(forged));
        headers.push(("authorization", legacy.expose().to_string()));
        sends.push(("forged-v1-right-authorization", webhook.clone(), headers, body, false));
        let body = encode_body(&vote_value());
        let mut headers = self.signed(&self.webhook_secret.clone(), now_unix(), &body);
        headers.push(("authorization", wrong.expose().to_string()));
        sends.push(("valid-v1-wrong-authorization", webhook, headers, body, true));

        let mut facts = Map::new();
        let mut wrong_answers = Vec::new();
        let mut statuses = Vec::new();
        for (variant, url, headers, body, accept) in sends {
            let result = self.send(self.current, &url, &headers, body);
            facts.insert(variant.into(), result_fact(&result));
            statuses.push(format!("{variant} {}", describe(&result)));
            if !as_expected(&result, accept) {
                let want = if accept { "accepted" } else { "refused with 4xx" };
                wrong_answers.push(format!("{variant} should be {want} but got {}", describe(&result)));
            }
        }
        if !wrong_answers.is_empty() {
            return (Verdict::Fail, wrong_answers.join("; "), facts);
        }
        (Verdict::Pass, statuses.join(", "), facts)
    }
}

fn as_expected(result: &Result<Answer, SendFailure>, accept: bool) -> bool {
    match result {
        Ok(a) if accept => a.is_success(),
        Ok(a) => (400..500).contains(&a.status),
        Err(_) => false,
    }
}

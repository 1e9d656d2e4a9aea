//! Refusal cases that need more than one forged header: a tampered body, malformed and over-long
//! signature headers, unverified bodies that cannot be parsed, and a body over the cap.

use serde_json::{Map, json};

use super::body::{encode_body, vote_value};
use super::cases::Verdict;
use super::http::FailureKind;
use super::runner::{Headers, Outcome, Runner, describe, result_fact};
use crate::protocol::generate;
use crate::protocol::signature::sign;
use crate::protocol::time::now_unix;

/// The bodies over the cap are this big: 2 MiB and 1 KiB.
pub(super) const OVERSIZED_BYTES: usize = 2 * 1024 * 1024 + 1024;

impl Runner<'_, '_> {
    pub(super) fn tampered_body(&mut self) -> Outcome {
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let mut value = vote_value();
        let signed_body = encode_body(&value);
        value["data"]["weight"] = json!(2);
        let tampered = encode_body(&value);
        let headers = self.signed(&self.webhook_secret.clone(), now_unix(), &signed_body);
        let result = self.deliver("rejects-tampered-body", &headers, tampered);
        let conclusive = self.refusal_inconclusive();
        self.judge_rejection("rejects-tampered-body", result, conclusive)
    }

    pub(super) fn malformed_header(&mut self) -> Outcome {
        let variants = ["truncated-v1", "missing-t"].map(|variant| {
            let body = encode_body(&vote_value());
            let good = sign(&self.webhook_secret, now_unix(), &body);
            let header = match variant {
                "truncated-v1" => good[..good.len() - 1].to_string(),
                _ => good.split(',').filter(|p| !p.starts_with("t=")).collect::<Vec<_>>().join(","),
            };
            (variant, self.headers(Some(header)), body)
        });
        self.refuse_each("rejects-malformed-header", variants.into())
    }

    /// The python SDK parses before it verifies and acknowledges what it cannot parse, so anyone
    /// can post to the URL and get a 204. A body that is not JSON and one of an unknown type must
    /// be refused when the signature is wrong or absent, like any other delivery.
    pub(super) fn unverified_unparseable(&mut self) -> Outcome {
        let not_json = b"{\"type\": \"vote.create\", this is not JSON".to_vec();
        let unknown = encode_body(&json!({
            "type": "topgg_int.check.unknown_event",
            "data": { "id": generate::snowflake() }
        }));
        let forged = || format!("t={},v1={}", now_unix(), hex::encode(generate::random_bytes::<32>()));
        let variants = vec![
            ("forged/not-json", self.headers(Some(forged())), not_json.clone()),
            ("forged/unknown-type", self.headers(Some(forged())), unknown.clone()),
            ("unsigned/not-json", self.headers(None), not_json),
            ("unsigned/unknown-type", self.headers(None), unknown),
        ];
        self.refuse_each("rejects-unverified-unparseable", variants)
    }

    /// The node SDK decodes `v1` as far as it is hex and compares 32 bytes, so characters after a
    /// correct MAC go unnoticed. Both an odd hex digit and non-hex characters are appended.
    pub(super) fn overlong_v1(&mut self) -> Outcome {
        let variants = [("extra-hex-digit", "0"), ("extra-characters", "zz")].map(|(variant, extra)| {
            let body = encode_body(&vote_value());
            let header = format!("{}{extra}", sign(&self.webhook_secret, now_unix(), &body));
            (variant, self.headers(Some(header)), body)
        });
        self.refuse_each("rejects-overlong-v1", variants.into())
    }

    /// Sends each variant to the webhook URL; each must be refused with a 4xx. Statuses are kept
    /// per variant for `rejection-statuses`.
    fn refuse_each(&mut self, name: &'static str, variants: Vec<(&'static str, Headers, Vec<u8>)>) -> Outcome {
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let label = name.strip_prefix("rejects-").unwrap_or(name);
        let mut facts = Map::new();
        let mut verdicts = Vec::new();
        for (variant, headers, body) in variants {
            let result = self.deliver(name, &headers, body);
            let conclusive = self.refusal_inconclusive();
            let (verdict, detail, _) = self.judge_rejection(name, result.clone(), conclusive);
            self.rejections.remove(label);
            self.rejections.insert(format!("{label}/{variant}"), result_fact(&result));
            facts.insert(variant.into(), result_fact(&result));
            verdicts.push((variant, verdict, detail, describe(&result)));
        }
        let failed: Vec<String> =
            verdicts.iter().filter(|v| v.1 == Verdict::Fail).map(|(n, _, d, _)| format!("{n}: {d}")).collect();
        let statuses = verdicts.iter().map(|(n, _, _, r)| format!("{n} {r}")).collect::<Vec<_>>().join(", ");
        if !failed.is_empty() {
            (Verdict::Fail, failed.join("; "), facts)
        } else if let Err(why) = self.refusal_inconclusive() {
            (Verdict::Skip, format!("inconclusive: {statuses}, but {why}"), facts)
        } else {
            (Verdict::Pass, format!("refused: {statuses}"), facts)
        }
    }

    pub(super) fn oversized_body(&mut self) -> Outcome {
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let mut value = vote_value();
        value["data"]["query"] = json!({ "padding": "a".repeat(OVERSIZED_BYTES) });
        let body = encode_body(&value);
        let headers = self.signed(&self.webhook_secret.clone(), now_unix(), &body);
        let result = self.deliver("oversized", &headers, body);
        match result {
            Err(f) if f.kind == FailureKind::Broken => {
                self.rejections.insert("oversized-body".into(), json!("closed"));
                let mut facts = Map::new();
                facts.insert("status".into(), json!("closed"));
                let verdict = if self.vote_accepted { Verdict::Pass } else { Verdict::Skip };
                (verdict, format!("closed the connection without answering ({})", f.message), facts)
            }
            other => {
                let conclusive = self.refusal_inconclusive();
                self.judge_rejection("rejects-oversized-body", other, conclusive)
            }
        }
    }
}

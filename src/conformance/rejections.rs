//! Refusal cases that need more than one forged header: a tampered body, malformed signature
//! headers, and a body over the cap.

use serde_json::{Map, json};

use super::body::{encode_body, vote_value};
use super::cases::Verdict;
use super::http::FailureKind;
use super::runner::{Outcome, Runner, describe, result_fact};
use crate::protocol::signature::sign;
use crate::protocol::time::now_unix;

/// The bodies over the cap are this big: 2 MiB and 1 KiB.
pub(super) const OVERSIZED_BYTES: usize = 2 * 1024 * 1024 + 1024;

impl Runner<'_> {
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
        if let Err(skip) = self.webhook() {
            return skip;
        }
        let mut facts = Map::new();
        let mut verdicts = Vec::new();
        for variant in ["truncated-v1", "missing-t"] {
            let body = encode_body(&vote_value());
            let good = sign(&self.webhook_secret, now_unix(), &body);
            let header = match variant {
                "truncated-v1" => good[..good.len() - 1].to_string(),
                _ => good.split(',').filter(|p| !p.starts_with("t=")).collect::<Vec<_>>().join(","),
            };
            let headers = self.headers(Some(header));
            let result = self.deliver("rejects-malformed-header", &headers, body);
            let conclusive = self.refusal_inconclusive();
            let (verdict, detail, _) = self.judge_rejection("rejects-malformed-header", result.clone(), conclusive);
            self.rejections.remove("malformed-header");
            self.rejections.insert(format!("malformed-header/{variant}"), result_fact(&result));
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

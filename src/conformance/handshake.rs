//! The config-URL cases: the handshake that makes the suite's connection, a forged
//! integration.create, and the integration.delete that ends every run.

use serde_json::{Map, json};

use super::cases::Verdict;
use super::http::Answer;
use super::runner::{Outcome, Runner, body_snippet, connection_id_of, describe, outcome, result_fact};
use crate::protocol::generate;
use crate::protocol::payload::Event;
use crate::protocol::time::format_duration;

impl Runner<'_, '_> {
    pub(super) fn handshake(&mut self, create: &Event) -> Outcome {
        let secret = self.cfg.integration_secret.clone();
        let answer = match self.config_post("handshake", &secret, create) {
            Ok(a) => a,
            Err(f) => {
                // Refused, timed out or closed: no answer at all is a network failure (exit 3),
                // as it is for simulate.
                self.unreachable = Some(f.message.clone());
                self.webhook_url = Err(format!("the handshake failed: {}", f.message));
                return outcome(Verdict::Fail, f.message);
            }
        };
        self.server_header = answer.header("server").map(str::to_string);
        self.create_accepted = answer.is_success();
        let mut facts = Map::new();
        facts.insert("status".into(), json!(answer.status));
        if !answer.is_success() {
            let why = format!("answered {}{}", answer.status, body_snippet(&answer.body));
            self.webhook_url = Err(format!("the handshake failed: {why}"));
            return (Verdict::Fail, why, facts);
        }
        let judged = answer.judge_handshake();
        match judged.handshake {
            Some(h) => {
                let detail = format!(
                    "{} in {}: webhook_url {}, routes {}",
                    answer.status,
                    format_duration(answer.latency),
                    h.webhook_url,
                    if h.routes.is_empty() { "[]".to_string() } else { h.routes.join(", ") }
                );
                facts.insert("webhook_url".into(), json!(h.webhook_url));
                facts.insert("routes".into(), json!(h.routes));
                self.webhook_url = Ok(h.webhook_url);
                (Verdict::Pass, detail, facts)
            }
            None => {
                let why = judged.problems.join("; ");
                self.webhook_url = Err(format!("the handshake answer is unusable: {why}"));
                (Verdict::Fail, format!("answered {} but {why}", answer.status), facts)
            }
        }
    }

    pub(super) fn config_rejects_bad_signature(&mut self) -> Outcome {
        let forged = generate::integration_create_with(&generate::wrong_secret());
        let forged_id = connection_id_of(&forged);
        let result = self.config_post("config-rejects-bad-signature", &generate::wrong_secret(), &forged);
        if result.as_ref().is_ok_and(Answer::is_success) {
            // Undo the connection the forged request made, with a properly signed delete.
            let secret = self.cfg.integration_secret.clone();
            let _ = self.config_post("cleanup", &secret, &generate::integration_delete(&forged_id));
        }
        let conclusive = self.create_accepted.then_some(()).ok_or("the valid integration.create was refused too");
        self.judge_rejection("config-rejects-bad-signature", result, conclusive)
    }

    pub(super) fn delete(&mut self) -> Outcome {
        let secret = self.cfg.integration_secret.clone();
        let id = self.connection_id.clone();
        let result = self.config_post("delete", &secret, &generate::integration_delete(&id));
        let mut facts = Map::new();
        facts.insert("status".into(), result_fact(&result));
        let verdict = if result.as_ref().is_ok_and(Answer::is_success) { Verdict::Pass } else { Verdict::Fail };
        (verdict, describe(&result), facts)
    }
}

//! Diagnose probes: after a correctly signed delivery is refused with 401/403, the same kind of
//! event signed in each usual wrong way ([`crate::protocol::probes::Mistake`]), each a vote of its
//! own (its own id, so a receiver that records votes does not take one for a retry of another).
//! The one the receiver accepts names what it does wrong and the fix.

use serde_json::{Map, Value, json};

use super::body::{encode_body, vote_value};
use super::runner::{Runner, result_fact};
use crate::protocol::probes::Mistake;
use crate::protocol::time::now_unix;

/// What the probes found: a clause for the delivery's detail, and the probes sent as facts
/// (`[{"probe", "vote_id", "status"}]`).
pub(super) struct Findings {
    pub(super) clause: String,
    pub(super) probes: Vec<Value>,
}

impl Runner<'_, '_> {
    /// Sends one probe per usual mistake (skipping re-serialisations that give the same bytes as
    /// one already sent) and names the ones accepted.
    pub(super) fn probe_refusal(&mut self) -> Findings {
        let secret = self.webhook_secret.clone();
        // A plain webhook's run has no integration secret to try (the one in the config is unused).
        let integration = self.cfg.webhook.is_none().then(|| self.cfg.integration_secret.clone());
        let reference = vote_value();
        let mut rendered = vec![encode_body(&reference)];
        let mut probes = Vec::new();
        let mut accepted = Vec::new();
        for mistake in Mistake::ALL {
            if let Mistake::Reserialized(form) = mistake {
                let bytes = form.render(&reference);
                if rendered.contains(&bytes) {
                    continue;
                }
                rendered.push(bytes);
            }
            let value = vote_value();
            let body = encode_body(&value);
            let Some(signature) = mistake.signature(&value, &body, &secret, integration.as_ref(), now_unix()) else {
                continue;
            };
            let headers = self.headers(Some(signature));
            let result = self.deliver("probe", &headers, body);
            let mut fact = Map::new();
            fact.insert("probe".into(), json!(mistake.code()));
            fact.insert("vote_id".into(), value["data"]["id"].clone());
            fact.insert("status".into(), result_fact(&result));
            probes.push(Value::Object(fact));
            if result.as_ref().is_ok_and(|a| a.is_success()) {
                accepted.push(mistake);
            }
            if self.liveness.stopped_after().is_some() {
                break;
            }
        }
        let clause = match accepted.as_slice() {
            [] => format!(
                "; none of {} diagnose probes of the usual mistakes ({}) was accepted: check that the receiver \
                 verifies with this connection's webhook_secret",
                probes.len(),
                probes.iter().map(|p| p["probe"].as_str().unwrap_or_default()).collect::<Vec<_>>().join(", ")
            ),
            [one] => format!(
                "; diagnose probe {} accepted (of {} sent, each its own vote id): {}",
                one.code(),
                probes.len(),
                one.accepted()
            ),
            [first, rest @ ..] => format!(
                "; diagnose probes {} accepted, and {} (of {} sent, each its own vote id): {}",
                first.code(),
                rest.iter().map(|m| m.code()).collect::<Vec<_>>().join(", "),
                probes.len(),
                first.accepted()
            ),
        };
        Findings { clause, probes }
    }
}

//! The usual ways receivers verify wrongly, as requests that a receiver making that mistake accepts
//! and a correct one refuses. After a correctly signed delivery is refused (401/403), `check` and
//! `simulate --diagnose` send the same event signed each of these ways; the one accepted names the
//! mistake. Pure functions: this module builds signature headers and sentences, and never sends.
//!
//! Every probe keeps the body bytes as sent and changes only the signature, so what a receiver
//! accepts is decided by how it verifies, not by what it parses.

use serde_json::Value;

use super::reserialize::JsonForm;
use super::secret::{Secret, WEBHOOK_SECRET_PREFIX};
use super::signature::{compute_mac, header_value, sign};

/// One usual mistake in a receiver's verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mistake {
    /// It parses the JSON and computes the HMAC over its own serialisation of it.
    Reserialized(JsonForm),
    /// It uses the webhook secret without its `whs_` prefix as the key.
    PrefixStripped,
    /// It verifies webhook deliveries with the integration secret.
    IntegrationSecret,
    /// It compares `t` with a millisecond clock (`Date.now()`).
    MillisecondT,
}

impl Mistake {
    /// Every mistake, in the order probes are sent: the serialisers most bots are written with
    /// first. Forms whose bytes equal an earlier one's (or the body's) are skipped when sent.
    pub const ALL: [Mistake; 10] = [
        Mistake::Reserialized(JsonForm::PythonDumps),
        Mistake::Reserialized(JsonForm::Compact),
        Mistake::Reserialized(JsonForm::SortedCompact),
        Mistake::Reserialized(JsonForm::PythonSortKeys),
        Mistake::Reserialized(JsonForm::GoJson),
        Mistake::Reserialized(JsonForm::PhpJsonEncode),
        Mistake::Reserialized(JsonForm::Pretty2),
        Mistake::PrefixStripped,
        Mistake::IntegrationSecret,
        Mistake::MillisecondT,
    ];

    /// A stable name, as listed in reports.
    pub fn code(self) -> &'static str {
        match self {
            Mistake::Reserialized(JsonForm::PythonDumps) => "body-as-python-json-dumps",
            Mistake::Reserialized(JsonForm::Compact) => "body-compacted",
            Mistake::Reserialized(JsonForm::SortedCompact) => "body-sorted-keys",
            Mistake::Reserialized(JsonForm::PythonSortKeys) => "body-as-python-sort-keys",
            Mistake::Reserialized(JsonForm::GoJson) => "body-as-go-json",
            Mistake::Reserialized(JsonForm::PhpJsonEncode) => "body-as-php-json-encode",
            Mistake::Reserialized(JsonForm::Pretty2 | JsonForm::Pretty4) => "body-pretty-printed",
            Mistake::PrefixStripped => "secret-without-whs-prefix",
            Mistake::IntegrationSecret => "integration-secret",
            Mistake::MillisecondT => "t-in-milliseconds",
        }
    }

    /// The `x-topgg-signature` a receiver making this mistake accepts for `body` (the bytes sent,
    /// which parse to `value`), or `None` when this probe cannot tell anything: the form renders
    /// `body` unchanged, or no integration secret is known.
    pub fn signature(
        self,
        value: &Value,
        body: &[u8],
        webhook_secret: &Secret,
        integration_secret: Option<&Secret>,
        now: i64,
    ) -> Option<String> {
        match self {
            Mistake::Reserialized(form) => {
                let rendered = form.render(value);
                (rendered != body).then(|| sign(webhook_secret, now, &rendered))
            }
            Mistake::PrefixStripped => {
                let bare = webhook_secret.expose().strip_prefix(WEBHOOK_SECRET_PREFIX)?;
                Some(sign(&Secret::new(bare), now, body))
            }
            Mistake::IntegrationSecret => {
                let secret = integration_secret.filter(|s| s.expose() != webhook_secret.expose())?;
                Some(sign(secret, now, body))
            }
            Mistake::MillisecondT => {
                let t = (now * 1000).to_string();
                Some(header_value(&t, &compute_mac(webhook_secret.expose().as_bytes(), &t, body)))
            }
        }
    }

    /// The sentence for a receiver that accepted this probe: what it does and the fix.
    pub fn accepted(self) -> String {
        match self {
            Mistake::Reserialized(form) => format!(
                "your receiver accepts the body re-serialised {}: it verifies parsed JSON, not the raw bytes; {}",
                probe_form(form),
                form.raw_body_fix()
            ),
            Mistake::PrefixStripped => "your receiver accepts a signature made with the secret minus its whs_ \
                prefix: it strips the prefix; the HMAC key is the whole secret, whs_ included"
                .into(),
            Mistake::IntegrationSecret => "your receiver accepts a delivery signed with the integration secret: it \
                verifies webhook deliveries with the integration secret; verify them with the webhook_secret that \
                integration.create sent for this connection"
                .into(),
            Mistake::MillisecondT => "your receiver accepts t in milliseconds: it compares t with a millisecond \
                clock (Date.now(), currentTimeMillis()); t is Unix seconds, so compare with \
                Math.floor(Date.now() / 1000)"
                .into(),
        }
    }
}

/// How a form is named in a probe's sentence.
fn probe_form(form: JsonForm) -> &'static str {
    match form {
        JsonForm::PythonDumps => "as Python json.dumps",
        JsonForm::Compact => "compactly (JSON.stringify(req.body), serde_json::to_string)",
        JsonForm::SortedCompact => "with sorted keys (Go's encoding/json of a map, canonical JSON)",
        JsonForm::PythonSortKeys => "as Python json.dumps(sort_keys=True)",
        JsonForm::GoJson => "as Go's encoding/json",
        JsonForm::PhpJsonEncode => "as PHP's json_encode",
        JsonForm::Pretty2 | JsonForm::Pretty4 => "pretty-printed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::signature::verify;

    #[test]
    fn each_probe_is_refused_by_a_correct_verifier_and_accepted_by_the_broken_one() {
        let value: Value =
            serde_json::from_str(r#"{"type":"vote.create","data":{"id":"1","at":"2026-02-09T00:47:14+00:00"}}"#)
                .unwrap();
        let body = br#"{"type":"vote.create","data":{"id":"1","at":"2026-02-09T00:47:14\u002B00:00"}}"#;
        let secret = Secret::new("whs_0123456789abcdef");
        let integration = Secret::new("whs_integration");
        let now = 1_770_598_034;
        let mut codes = Vec::new();
        for m in Mistake::ALL {
            let Some(header) = m.signature(&value, body, &secret, Some(&integration), now) else { continue };
            codes.push(m.code());
            assert!(verify(&secret, Some(&header), body, now, 30).is_err(), "{m:?} passes a correct verifier");
            let accepted = match m {
                Mistake::Reserialized(form) => verify(&secret, Some(&header), &form.render(&value), now, 30),
                Mistake::PrefixStripped => verify(&Secret::new("0123456789abcdef"), Some(&header), body, now, 30),
                Mistake::IntegrationSecret => verify(&integration, Some(&header), body, now, 30),
                Mistake::MillisecondT => verify(&secret, Some(&header), body, now * 1000, 30),
            };
            assert!(accepted.is_ok(), "{m:?}: {accepted:?}");
        }
        assert_eq!(codes.len(), Mistake::ALL.len(), "{codes:?}");
        assert!(Mistake::IntegrationSecret.signature(&value, body, &secret, None, now).is_none());
        assert!(Mistake::Reserialized(JsonForm::Compact).signature(&value, b"{}", &secret, None, now).is_some());
    }
}

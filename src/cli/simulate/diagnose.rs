//! `simulate vote --diagnose` and `simulate test --diagnose`: when the receiver refuses the
//! correctly signed delivery with 401/403, send diagnose probes ([`crate::protocol::probes`]): the
//! same event, freshly generated for each probe (its own vote id), signed in each usual wrong way,
//! each sent once. The one the receiver accepts names its mistake and the fix. Probes are sent only
//! when asked: they are extra deliveries, and a receiver that records votes records accepted ones.
//!
//! `--json` adds one line per probe, `{"step": "probe", "probe", "vote_id", "status", "error"}`,
//! and one closing `{"step": "diagnosis", "accepted": [probe…], "explanation": "…"|null}`.

use serde_json::{Value, json};

use super::Settings;
use super::payload::Built;
use crate::error::Result;
use crate::output::{style, with_stdout};
use crate::protocol::generate;
use crate::protocol::probes::Mistake;
use crate::protocol::secret::Secret;
use crate::protocol::signature::{SIGNATURE_HEADER, TRACE_HEADER};
use crate::protocol::time::now_unix;
use crate::send::delivery::{Auth, Delivery, Report, RetryPolicy, USER_AGENT, Url, deliver};

/// Whether a report calls for probes: its last answer was 401 or 403.
pub(crate) fn refused_as_unauthorised(report: &Report) -> bool {
    report.last().result.as_ref().is_ok_and(|r| matches!(r.status, 401 | 403))
}

/// Sends one probe per usual mistake, each over a body from `fresh`, and prints what was accepted.
/// `integration_secret` enables the integration-secret probe. Returns the mistakes accepted.
pub(crate) fn probe(
    s: &Settings,
    url: &Url,
    secret: &Secret,
    integration_secret: Option<&Secret>,
    fresh: &dyn Fn() -> Result<Built>,
) -> Result<Vec<Mistake>> {
    if !s.json {
        let intro = "diagnose probes: the same event signed in each usual wrong way, each its own vote id";
        with_stdout(|w| writeln!(w, "{}", style::dim(intro)))?;
    }
    let once = RetryPolicy { retries: 0, delays: Vec::new(), retry_on_4xx: false };
    let mut accepted = Vec::new();
    let mut sent_forms: Vec<Vec<u8>> = Vec::new();
    for mistake in Mistake::ALL {
        let built = fresh()?;
        if let Mistake::Reserialized(form) = mistake {
            // Two forms that write this event the same way are one probe.
            let bytes = form.render(&built.value);
            if sent_forms.contains(&bytes) {
                continue;
            }
            sent_forms.push(bytes);
        }
        let Some(signature) = mistake.signature(&built.value, &built.bytes, secret, integration_secret, now_unix())
        else {
            continue;
        };
        let headers = vec![
            ("Content-Type".to_string(), "application/json".to_string()),
            ("User-Agent".to_string(), USER_AGENT.to_string()),
            (SIGNATURE_HEADER.to_string(), signature),
            (TRACE_HEADER.to_string(), generate::trace_id()),
        ];
        let vote_id = built.value["data"]["id"].clone();
        let delivery = Delivery {
            url: url.clone(),
            body: built.bytes,
            trace: String::new(),
            auth: Auth::Verbatim(headers),
            extra_headers: s.headers.clone(),
        };
        let report = deliver(&mut s.client.clone(), &delivery, &once, &mut |_| {}, &s.stop);
        let (status, error) = match &report.last().result {
            Ok(r) => (json!(r.status), Value::Null),
            Err(e) => (Value::Null, json!(e.to_string())),
        };
        let ok = report.last().result.as_ref().is_ok_and(|r| r.is_success());
        if ok {
            accepted.push(mistake);
        }
        if s.json {
            let line =
                json!({"step": "probe", "probe": mistake.code(), "vote_id": vote_id, "status": status, "error": error});
            super::render::print_json(&line)?;
        } else {
            let answer = match (&status, &error) {
                (Value::Number(n), _) if ok => style::ok(&format!("accepted {n}")).to_string(),
                (Value::Number(n), _) => format!("refused {n}"),
                (_, e) => style::fail(&format!("not delivered: {}", e.as_str().unwrap_or_default())).to_string(),
            };
            let id = vote_id.as_str().map(|id| format!("vote {id}  ")).unwrap_or_default();
            with_stdout(|w| writeln!(w, "  probe {:<27} {}{answer}", mistake.code(), style::dim(&id)))?;
        }
        if s.stop.is_stopped() {
            break;
        }
    }
    let explanation = accepted.first().map(|m| m.accepted());
    if s.json {
        let codes: Vec<&str> = accepted.iter().map(|m| m.code()).collect();
        super::render::print_json(&json!({"step": "diagnosis", "accepted": codes, "explanation": explanation}))?;
    } else {
        with_stdout(|w| match &explanation {
            Some(e) => writeln!(w, "{} {e}", style::warn("diagnosis:")),
            None => writeln!(
                w,
                "{} no probe was accepted: the receiver refuses for another reason (is the secret this \
                 connection's webhook_secret? compare fingerprints)",
                style::warn("diagnosis:")
            ),
        })?;
    }
    Ok(accepted)
}

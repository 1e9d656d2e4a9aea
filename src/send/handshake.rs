//! Judging a config URL's answer to `integration.create` (protocol.md §2): a 2xx, a JSON body,
//! an absolute http(s) `webhook_url`, and `routes` as an array of known scopes. Every problem is
//! named; nothing here prints.

use serde_json::Value;

use super::delivery::{Response, parse_url};
use crate::protocol::payload::KNOWN_ROUTES;

/// A correct handshake answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// Where deliveries for this connection go.
    pub webhook_url: String,
    /// The subscribed routes.
    pub routes: Vec<String>,
}

/// The verdict on a handshake answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandshakeCheck {
    /// The handshake, when the answer is correct.
    pub handshake: Option<Handshake>,
    /// What makes it a failed handshake, one sentence each.
    pub problems: Vec<String>,
    /// What is off without failing it (e.g. no JSON content type).
    pub warnings: Vec<String>,
}

/// Checks an answer to `integration.create`.
pub fn check(resp: &Response) -> HandshakeCheck {
    let mut out = HandshakeCheck::default();
    if !resp.is_success() {
        out.problems.push(format!("the answer is {} {}, not a 2xx", resp.status, resp.reason()));
    }
    match resp.header("content-type") {
        Some(ct) if ct.to_ascii_lowercase().starts_with("application/json") => {}
        Some(ct) => out.warnings.push(format!("Content-Type is {ct:?}, not application/json")),
        None => out.warnings.push("the answer has no Content-Type (application/json expected)".into()),
    }
    if resp.truncated {
        out.problems.push(format!(
            "the body goes on past {} KiB (reading stopped there), not a small JSON object with webhook_url and routes",
            super::delivery::MAX_ANSWER / 1024
        ));
        return out;
    }
    let value: Value = match serde_json::from_slice(&resp.body) {
        Ok(v) => v,
        Err(e) if resp.body.is_empty() => {
            out.problems.push(format!("the body is empty, not JSON with webhook_url and routes ({e})"));
            return out;
        }
        Err(e) => {
            out.problems.push(format!("the body is not JSON ({e})"));
            return out;
        }
    };
    let Some(obj) = value.as_object() else {
        out.problems.push("the body is JSON but not an object with webhook_url and routes".into());
        return out;
    };
    let webhook_url = match obj.get("webhook_url") {
        None => {
            out.problems.push("webhook_url is missing".into());
            None
        }
        Some(Value::String(u)) => match parse_url(u) {
            Ok(_) => Some(u.clone()),
            Err(_) => {
                out.problems.push(format!("webhook_url {u:?} is not an absolute URL (http:// or https://)"));
                None
            }
        },
        Some(other) => {
            out.problems.push(format!("webhook_url is {other}, not a string"));
            None
        }
    };
    let mut routes = Vec::new();
    match obj.get("routes") {
        None => out.problems.push(format!("routes is missing (an array of {})", KNOWN_ROUTES.join(", "))),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item.as_str() {
                    Some(r) if KNOWN_ROUTES.contains(&r) => routes.push(r.to_string()),
                    Some(r) => out
                        .problems
                        .push(format!("routes[{i}] {r:?} is not a known route ({})", KNOWN_ROUTES.join(", "))),
                    None => out.problems.push(format!("routes[{i}] is {item}, not a string")),
                }
            }
        }
        Some(other) => out.problems.push(format!("routes is {other}, not an array")),
    }
    if out.problems.is_empty()
        && let Some(webhook_url) = webhook_url
    {
        out.handshake = Some(Handshake { webhook_url, routes });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
            truncated: false,
            latency: Duration::ZERO,
        }
    }

    #[test]
    fn a_cut_answer_is_a_failed_handshake() {
        let mut r = resp(200, r#"{"webhook_url":"https://x.test/w/1","routes":["vote.create"]}"#);
        r.truncated = true;
        let c = check(&r);
        assert!(c.handshake.is_none() && c.problems[0].contains("reading stopped there"), "{c:?}");
    }

    #[test]
    fn accepts_a_correct_answer() {
        let c = check(&resp(200, r#"{"webhook_url":"https://x.test/w/1","routes":["vote.create"]}"#));
        assert_eq!(c.problems, Vec::<String>::new());
        assert_eq!(c.handshake.unwrap().routes, vec!["vote.create"]);
    }

    #[test]
    fn names_each_problem() {
        let cases = [
            (500, r#"{"webhook_url":"https://x.test/","routes":[]}"#, "not a 2xx"),
            (200, "<html>", "not JSON"),
            (200, r#"{"routes":[]}"#, "webhook_url is missing"),
            (200, r#"{"webhook_url":"/w/1","routes":[]}"#, "not an absolute"),
            (200, r#"{"webhook_url":"ftp://x.test/w/1","routes":[]}"#, "not an absolute URL (http:// or https://)"),
            (200, r#"{"webhook_url":"https://x.test/","routes":["vote.delete"]}"#, "routes[0] \"vote.delete\""),
            (200, r#"{"webhook_url":"https://x.test/"}"#, "routes is missing"),
        ];
        for (status, body, expect) in cases {
            let c = check(&resp(status, body));
            assert!(c.handshake.is_none(), "{body}");
            assert!(c.problems.iter().any(|p| p.contains(expect)), "{body}: {:?}", c.problems);
        }
    }
}

//! Judging a config URL's answer to `integration.create` (protocol.md §2): a 2xx, a JSON body,
//! an absolute http(s) `webhook_url`, and `routes` as an array of known scopes. Every problem is
//! named. Shared by `simulate` and `check` (which send the handshake) and `serve --forward-to`
//! (which watches the developer's app answer it).

use serde_json::Value;

use super::payload::KNOWN_ROUTES;

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

/// Judges an answer to `integration.create`: its status, `Content-Type` and body. `cut_at` says
/// the body was cut after that many bytes (the sender stopped reading): then it is not judged, and
/// the handshake fails.
pub fn judge(status: u16, content_type: Option<&str>, body: &[u8], cut_at: Option<usize>) -> HandshakeCheck {
    let mut out = HandshakeCheck::default();
    if !(200..300).contains(&status) {
        let reason = http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
        out.problems.push(format!("the answer is {status} {reason}, not a 2xx"));
    }
    match content_type {
        Some(ct) if ct.to_ascii_lowercase().starts_with("application/json") => {}
        Some(ct) => out.warnings.push(format!("Content-Type is {ct:?}, not application/json")),
        None => out.warnings.push("the answer has no Content-Type (application/json expected)".into()),
    }
    if let Some(n) = cut_at {
        out.problems.push(format!(
            "the body goes on past {} KiB (reading stopped there), not a small JSON object with webhook_url and routes",
            n / 1024
        ));
        return out;
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) if body.is_empty() => {
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
        Some(Value::String(u)) => match absolute_url(u) {
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

/// Whether `u` is an absolute http(s) URL with a host.
fn absolute_url(u: &str) -> Result<(), ()> {
    match reqwest::Url::parse(u) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => Ok(()),
        _ => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Resp(u16, &'static str);

    fn resp(status: u16, body: &'static str) -> Resp {
        Resp(status, body)
    }

    fn check(r: &Resp) -> HandshakeCheck {
        judge(r.0, Some("application/json"), r.1.as_bytes(), None)
    }

    #[test]
    fn a_cut_answer_is_a_failed_handshake() {
        let c =
            judge(200, Some("application/json"), br#"{"webhook_url":"https://x.test/w/1","routes":[]}"#, Some(1 << 20));
        assert!(c.handshake.is_none() && c.problems[0].contains("past 1024 KiB (reading stopped there)"), "{c:?}");
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

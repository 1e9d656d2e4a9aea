//! Forward mode (`serve --forward-to URL`): each Top.gg request, once verified and recorded, is
//! sent on to the developer's app with the exact body and headers, and the app's answer goes back
//! to the sender unchanged. A dead app is a 502, a slow one a 504, each with one sentence.
//!
//! Only hop-by-hop headers (`Connection`, `Transfer-Encoding`, …) and `Content-Length` are not
//! copied, in either direction: they describe one connection, and the client recomputes them.
//! Never goes through a proxy: the app is the developer's own.

use std::time::{Duration, Instant};

use super::http::{self, Body};
use super::record::Forwarded;
use crate::error::{Error, Result};

/// How long the app has to answer: Top.gg's delivery timeout (protocol.md §5).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest answer body kept and passed back.
const MAX_ANSWER: usize = 2 * 1024 * 1024;

/// Where requests go.
#[derive(Debug, Clone)]
pub struct ForwardConfig {
    /// The app's base URL (`http://localhost:3000/topgg`); a request to `/integration` goes to
    /// `<base>/integration`, one to `/webhooks/ID` to `<base>/webhooks/ID` unless the paths below say
    /// otherwise.
    pub base: String,
    /// Replaces `/integration` (the config URL's requests).
    pub config_path: Option<String>,
    /// Replaces `/webhooks/<id>`; `{connection_id}` in it becomes the id.
    pub webhook_path: Option<String>,
    /// How long the app has to answer.
    pub timeout: Duration,
}

/// What the app answered, ready to pass back.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status to give the sender (the app's, or 502/504).
    pub status: u16,
    /// Headers to pass back (hop-by-hop ones removed).
    pub headers: Vec<(String, String)>,
    /// The body to pass back.
    pub body: Vec<u8>,
    /// What goes into the history.
    pub record: Forwarded,
}

impl Answer {
    /// The app's answer as it goes back to the sender: its status, headers and body.
    pub fn response(&self) -> hyper::Response<Body> {
        http::full(self.status, &self.headers, self.body.clone())
    }
}

/// Sends requests to the app.
pub struct Forwarder {
    config: ForwardConfig,
    client: reqwest::blocking::Client,
}

const HOP_BY_HOP: [&str; 8] =
    ["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "expect", "content-length"];

fn hop_by_hop(name: &str) -> bool {
    HOP_BY_HOP.iter().any(|h| name.eq_ignore_ascii_case(h))
}

impl Forwarder {
    /// Checks the URL and builds the client.
    pub fn new(config: ForwardConfig) -> Result<Forwarder> {
        match reqwest::Url::parse(&config.base) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => {
                return Err(Error::input(format!(
                    "--forward-to {:?} is not an absolute http(s) URL like http://localhost:3000/topgg",
                    config.base
                )));
            }
        }
        for (flag, p) in
            [("--forward-config-path", &config.config_path), ("--forward-webhook-path", &config.webhook_path)]
        {
            if let Some(p) = p
                && !p.starts_with('/')
            {
                return Err(Error::input(format!("{flag} {p:?} must start with /")));
            }
        }
        let client = reqwest::blocking::Client::builder()
            .no_proxy()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::input(format!("could not set up the forwarding client: {e}")))?;
        Ok(Forwarder { config, client })
    }

    /// The app's URL for a request that arrived for `target` (path and query).
    pub fn url_for(&self, target: &str) -> String {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (target, None),
        };
        let mapped = if path == "/integration" {
            self.config.config_path.clone().unwrap_or_else(|| path.to_string())
        } else if let (Some(id), Some(p)) = (path.strip_prefix("/webhooks/"), &self.config.webhook_path) {
            p.replace("{connection_id}", id)
        } else {
            path.to_string()
        };
        let mut url = format!("{}{mapped}", self.config.base.trim_end_matches('/'));
        if let Some(q) = query {
            url.push('?');
            url.push_str(q);
        }
        url
    }

    /// Sends the request to the app and returns its answer, or a 502/504 saying why there is none.
    pub fn send(&self, method: &str, target: &str, headers: &[(String, String)], body: &[u8]) -> Answer {
        let url = self.url_for(target);
        let started = Instant::now();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::POST);
        let mut req = self.client.request(method, &url).body(body.to_vec());
        for (n, v) in headers {
            if !hop_by_hop(n) {
                req = req.header(n.as_str(), v.as_str());
            }
        }
        let failed = |status: u16, why: String| Answer {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: {
                let mut b = serde_json::to_vec(&serde_json::json!({"error": "forward-failed", "message": why}))
                    .unwrap_or_default();
                b.push(b'\n');
                b
            },
            record: Forwarded {
                url: url.clone(),
                status: None,
                latency_us: started.elapsed().as_micros() as i64,
                error: Some(why.clone()),
                ..Default::default()
            },
        };
        let resp = match req.send() {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return failed(504, format!("the app at {url} did not answer within {:?}", self.config.timeout));
            }
            Err(e) => return failed(502, format!("could not reach the app at {url}: {}", root_cause(&e))),
        };
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .filter(|(n, _)| !hop_by_hop(n.as_str()))
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let mut body = Vec::new();
        let read = std::io::Read::read_to_end(&mut std::io::Read::take(resp, MAX_ANSWER as u64 + 1), &mut body);
        if let Err(e) = read {
            let timed_out = e.to_string().contains("timed out");
            let why = format!("the app at {url} stopped sending its answer: {e}");
            return failed(if timed_out { 504 } else { 502 }, why);
        }
        if body.len() > MAX_ANSWER {
            return failed(502, format!("the app at {url} answered with over {MAX_ANSWER} bytes"));
        }
        let record = Forwarded {
            url,
            status: Some(status),
            latency_us: started.elapsed().as_micros() as i64,
            headers: headers.clone(),
            body: body.clone(),
            error: None,
        };
        Answer { status, headers, body, record }
    }
}

/// The innermost error's text: reqwest's outer message ("error sending request for url") says
/// nothing the URL does not.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fwd(config_path: Option<&str>, webhook_path: Option<&str>) -> Forwarder {
        Forwarder::new(ForwardConfig {
            base: "http://127.0.0.1:3000/topgg/".into(),
            config_path: config_path.map(Into::into),
            webhook_path: webhook_path.map(Into::into),
            timeout: DEFAULT_TIMEOUT,
        })
        .unwrap()
    }

    #[test]
    fn maps_paths() {
        let f = fwd(None, None);
        assert_eq!(f.url_for("/integration"), "http://127.0.0.1:3000/topgg/integration");
        assert_eq!(f.url_for("/webhooks/9?a=1"), "http://127.0.0.1:3000/topgg/webhooks/9?a=1");
        let f = fwd(Some("/config"), Some("/hook/{connection_id}/x"));
        assert_eq!(f.url_for("/integration"), "http://127.0.0.1:3000/topgg/config");
        assert_eq!(f.url_for("/webhooks/9"), "http://127.0.0.1:3000/topgg/hook/9/x");
    }

    #[test]
    fn refuses_bad_urls() {
        let bad = ForwardConfig {
            base: "localhost:3000".into(),
            config_path: None,
            webhook_path: None,
            timeout: DEFAULT_TIMEOUT,
        };
        assert!(Forwarder::new(bad).err().unwrap().to_string().contains("--forward-to \"localhost:3000\""));
    }
}

//! Forward mode (`serve --forward-to URL`): each Top.gg request, once verified and recorded, is
//! sent on to the developer's app with the exact body and headers, and the app's answer goes back
//! to the sender unchanged. A dead app is a 502, a slow one a 504, each with one sentence.
//!
//! Only Top.gg's routes are forwarded ([`forwardable`]): `POST` to the config path, to a webhook
//! path with a valid connection id, and to the legacy path; the app's URL is built from those
//! validated parts ([`Forwarder::url_for`]), and a target with a dot segment (raw or `%2e`) or a
//! backslash (raw or `%5c`) is refused 400 before anything is sent ([`traversal`]). The client is
//! async on the receiver's runtime (reqwest), and one deadline covers the app's head and body.
//!
//! Only hop-by-hop headers (`Connection`, `Transfer-Encoding`, …) and `Content-Length` are not
//! copied, in either direction: they describe one connection, and the client recomputes them.
//! Never goes through a proxy: the app is the developer's own.

use std::net::SocketAddr;
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
    client: reqwest::Client,
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
        let client = reqwest::Client::builder()
            .no_proxy()
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

    /// Refuses a forward URL that points at the receiver itself (or its inspector): every request
    /// would come back to it, hundreds of times a second. A host is taken for the receiver when it
    /// is `localhost`, a loopback or unspecified address, or the address it is bound to.
    pub fn refuse_loop(&self, listen: SocketAddr, inspector: SocketAddr) -> Result<()> {
        let Ok(url) = reqwest::Url::parse(&self.config.base) else { return Ok(()) };
        let Some(port) = url.port_or_known_default() else { return Ok(()) };
        let host = url.host_str().unwrap_or("").trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        let ip = host.parse::<std::net::IpAddr>().ok();
        let local = host == "localhost"
            || host.ends_with(".localhost")
            || ip.is_some_and(|ip| ip.is_loopback() || ip.is_unspecified());
        for (what, addr) in [("serve itself", listen), ("serve's inspector", inspector)] {
            let same_ip = ip == Some(addr.ip());
            // A loopback host reaches serve only when it listens on loopback or everywhere.
            let reaches = local && (addr.ip().is_loopback() || addr.ip().is_unspecified());
            if port == addr.port() && (reaches || same_ip) {
                return Err(Error::input(format!(
                    "--forward-to {} points at {what} (port {port}): every request would be forwarded back to serve \
                     in a loop; give the URL of your app, which listens on another port",
                    self.config.base
                )));
            }
        }
        Ok(())
    }

    /// The mirror of this forward mapping (see [`Mirror`]).
    pub fn mirror(&self) -> Mirror {
        let base_path = reqwest::Url::parse(&self.config.base).map(|u| u.path().to_string()).unwrap_or_default();
        Mirror {
            base_path: base_path.trim_end_matches('/').to_string(),
            config_path: self.config.config_path.clone().unwrap_or_else(|| "/integration".into()),
            webhook_path: self.config.webhook_path.clone().unwrap_or_else(|| "/webhooks/{connection_id}".into()),
        }
    }

    /// Sends the request to the app and returns its answer, or a 502/504 saying why there is none.
    /// One deadline, `--forward-timeout`, covers connecting, the app's head and its whole body: an
    /// app that drips its answer cannot hold the sender longer.
    pub async fn send(&self, method: &str, target: &str, headers: &::http::HeaderMap, body: &[u8]) -> Answer {
        let url = self.url_for(target);
        let started = Instant::now();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::POST);
        let mut req = self.client.request(method, &url).body(body.to_vec());
        for (n, v) in headers {
            if !hop_by_hop(n.as_str()) {
                req = req.header(n, v);
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
        let timeout = self.config.timeout;
        let exchange = async {
            let mut resp = req.send().await?;
            let status = resp.status().as_u16();
            let headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                .filter(|(n, _)| !hop_by_hop(n.as_str()))
                .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect();
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await? {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_ANSWER {
                    return Ok(Err(status));
                }
            }
            Ok::<_, reqwest::Error>(Ok((status, headers, body)))
        };
        let (status, headers, body) = match tokio::time::timeout(timeout, exchange).await {
            Err(_) => return failed(504, format!("the app at {url} did not answer within {timeout:?}")),
            Ok(Err(e)) if e.is_timeout() => {
                return failed(504, format!("the app at {url} did not answer within {timeout:?}"));
            }
            Ok(Err(e)) if e.is_body() || e.is_decode() => {
                return failed(502, format!("the app at {url} stopped sending its answer: {}", root_cause(&e)));
            }
            Ok(Err(e)) => return failed(502, format!("could not reach the app at {url}: {}", root_cause(&e))),
            Ok(Ok(Err(_))) => return failed(502, format!("the app at {url} answered with over {MAX_ANSWER} bytes")),
            Ok(Ok(Ok(answer))) => answer,
        };
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

/// The mirror of the forward mapping: the paths an app mounted under the forward URL's path hands
/// out when it builds its URLs from `Host` (`/topgg/webhooks/<id>` behind `--forward-to
/// http://localhost:3000/topgg`), each standing for one of the receiver's own routes. The
/// receiver answers them as those routes, so the README's setup works without `--public-url`.
#[derive(Debug, Clone, Default)]
pub struct Mirror {
    base_path: String,
    config_path: String,
    webhook_path: String,
}

impl Mirror {
    /// The receiver's own target (`/integration` or `/webhooks/<id>`, query kept) that `target`
    /// mirrors; `None` when it mirrors none, or already is one.
    pub fn canonical(&self, target: &str) -> Option<String> {
        let (path, query) = target.split_once('?').map_or((target, None), |(p, q)| (p, Some(q)));
        let rest = path.strip_prefix(self.base_path.as_str())?;
        let own = if rest == self.config_path {
            "/integration".to_string()
        } else {
            let (pre, suf) = self.webhook_path.split_once("{connection_id}")?;
            let id = rest.strip_prefix(pre)?.strip_suffix(suf)?;
            if !http::valid_connection_id(id) {
                return None;
            }
            format!("/webhooks/{id}")
        };
        if own == path {
            return None;
        }
        Some(match query {
            Some(q) => format!("{own}?{q}"),
            None => own,
        })
    }

    /// The mirrored webhook path, for a sentence (`/topgg/webhooks/<connection_id>`); `None` when
    /// it is the receiver's own.
    fn example(&self) -> Option<String> {
        let p = format!("{}{}", self.base_path, self.webhook_path.replace("{connection_id}", "<connection_id>"));
        (p != "/webhooks/<connection_id>").then_some(p)
    }

    /// Whether the receiver answers `path` as a webhook URL, itself or as its mirror.
    fn answers_webhook(&self, path: &str) -> bool {
        let own = self.canonical(path).unwrap_or_else(|| path.to_string());
        own.strip_prefix("/webhooks/").is_some_and(http::valid_connection_id)
    }
}

/// Whether a request is one of Top.gg's routes, which forward mode sends to the app: `POST` to
/// `/integration`, to `/webhooks/<id>` with a valid connection id, or to `/legacy`.
pub fn forwardable(method: &str, path: &str) -> bool {
    method == "POST"
        && (path == "/integration"
            || path == "/legacy"
            || path.strip_prefix("/webhooks/").is_some_and(http::valid_connection_id))
}

/// Why a target must not be forwarded: a dot segment (`.` or `..`, raw or percent-encoded) or a
/// backslash (raw or `%5c`), which an app or a proxy in front of it may resolve to another path.
pub fn traversal(target: &str) -> Option<&'static str> {
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    let lower = path.to_ascii_lowercase();
    if path.contains('\\') || lower.contains("%5c") {
        return Some("a backslash");
    }
    let dotted = lower.split('/').any(|seg| {
        let seg = seg.replace("%2e", ".");
        seg == "." || seg == ".."
    });
    dotted.then_some("a dot segment")
}

/// In forward mode, a handshake whose `webhook_url` does not point at serve (Top.gg would then
/// deliver straight to the app, and serve would see nothing), or points at a path serve does not
/// answer as a webhook URL (Top.gg's deliveries would get 404). The sentence, or `None`.
pub fn bypass_warning(answer_body: &[u8], base_url: &str, mirror: Option<&Mirror>) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(answer_body).ok()?;
    let url = v.get("webhook_url")?.as_str()?;
    let base = base_url.trim_end_matches('/');
    let shown: String = url.chars().take(200).collect();
    let Some(rest) = url.strip_prefix(base).filter(|rest| rest.is_empty() || rest.starts_with('/')) else {
        return Some(format!(
            "the app's webhook_url {shown} does not go through serve ({base}/…): Top.gg would deliver straight to \
             the app and serve would see none of it (build it from the Host header, or from --public-url)"
        ));
    };
    let path = rest.split(['?', '#']).next().unwrap_or("");
    let answered = match mirror {
        Some(m) => m.answers_webhook(path),
        None => path.strip_prefix("/webhooks/").is_some_and(http::valid_connection_id),
    };
    let mirrored = mirror.and_then(Mirror::example).map_or(String::new(), |p| format!(" and {base}{p}"));
    (!answered).then(|| {
        format!(
            "the app's webhook_url {shown} is a path serve does not answer: Top.gg's deliveries would get 404 \
             (serve answers {base}/webhooks/<connection_id>{mirrored})"
        )
    })
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
    fn mirrors_the_mapping() {
        let m = fwd(None, None).mirror();
        assert_eq!(m.canonical("/topgg/webhooks/9?a=1").as_deref(), Some("/webhooks/9?a=1"));
        assert_eq!(m.canonical("/topgg/integration").as_deref(), Some("/integration"));
        assert_eq!(m.canonical("/webhooks/9"), None, "already the receiver's own");
        assert_eq!(m.canonical("/topgg/webhooks/a.b"), None);
        assert_eq!(m.canonical("/topgg/admin"), None);
        let m = fwd(Some("/config"), Some("/hook/{connection_id}/x")).mirror();
        assert_eq!(m.canonical("/topgg/hook/9/x").as_deref(), Some("/webhooks/9"));
        assert_eq!(m.canonical("/topgg/config").as_deref(), Some("/integration"));
        let body = |u: &str| format!(r#"{{"webhook_url":"{u}"}}"#).into_bytes();
        let base = "http://127.0.0.1:8188";
        assert_eq!(bypass_warning(&body("http://127.0.0.1:8188/topgg/hook/9/x"), base, Some(&m)), None);
        assert_eq!(bypass_warning(&body("http://127.0.0.1:8188/webhooks/9"), base, Some(&m)), None);
        let w = bypass_warning(&body("http://127.0.0.1:8188/api/hooks/9"), base, Some(&m)).unwrap();
        assert!(w.contains("a path serve does not answer"), "{w}");
        assert!(w.contains("http://127.0.0.1:8188/topgg/hook/<connection_id>/x"), "{w}");
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

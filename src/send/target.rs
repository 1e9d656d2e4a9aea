//! Target URLs: parsing one with a suggestion when the scheme was forgotten, and naming the address
//! an attempt actually tried, for error messages. No I/O beyond resolving a name for a message.

use std::net::ToSocketAddrs;

/// The one URL type of the sending side.
pub use reqwest::Url;

/// Parses a target URL, accepting only absolute `http` and `https` URLs.
pub fn parse_url(s: &str) -> Result<Url, String> {
    if let Some(suggestion) = missing_scheme(s) {
        return Err(format!("{s:?} has no scheme; did you mean {suggestion}?"));
    }
    let url = Url::parse(s).map_err(|e| {
        format!("{s:?} is not a URL ({e}); give an absolute one like http://127.0.0.1:8080/integration")
    })?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Ok(url),
        "http" | "https" => Err(format!("{s:?} has no host")),
        other => Err(format!("{s:?} is a {other}: URL; only http:// and https:// can be delivered to")),
    }
}

/// `http://<s>` when `s` reads as a host (localhost, an IP or a dotted name) with an optional port
/// and path but no scheme: `localhost:8080/x` parses as a URL of scheme `localhost`, and
/// `127.0.0.1:8080/x` not at all, and neither error says what was meant.
fn missing_scheme(s: &str) -> Option<String> {
    if s.contains("://") {
        return None;
    }
    let guess = format!("http://{s}");
    let url = Url::parse(&guess).ok()?;
    let host = url.host_str()?;
    let host_like = host == "localhost" || host.contains('.') || host.starts_with('[');
    // userinfo means s had an @ before the host, as in mailto:a@b.c: not a forgotten scheme.
    (host_like && url.username().is_empty() && url.password().is_none()).then_some(guess)
}

/// `host:port` of a URL.
pub(crate) fn host_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port_or_known_default() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// `localhost (127.0.0.1:8080)` for a name, `127.0.0.1:8080` for an address: errors say which
/// address was actually tried, since `localhost` may resolve to `::1` first.
pub(crate) fn describe_target(url: &Url) -> String {
    let hostport = host_port(url);
    let Some(name) = url.host_str() else { return hostport };
    if name.starts_with('[') || name.parse::<std::net::IpAddr>().is_ok() {
        return hostport;
    }
    let port = url.port_or_known_default().unwrap_or(80);
    match (name, port).to_socket_addrs() {
        Ok(addrs) => {
            let list: Vec<String> = addrs.map(|a| a.to_string()).collect();
            if list.is_empty() { hostport } else { format!("{name} ({})", list.join(", ")) }
        }
        Err(_) => format!("{hostport} (the name does not resolve)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(parse_url("http://127.0.0.1:1/x").is_ok());
        assert!(parse_url("/webhooks/1").is_err());
        assert!(parse_url("ftp://example.com/").unwrap_err().contains("ftp"));
        for (given, meant) in [
            ("localhost:8080/x", "http://localhost:8080/x"),
            ("127.0.0.1:8080/integration", "http://127.0.0.1:8080/integration"),
            ("example.com/topgg", "http://example.com/topgg"),
            ("[::1]:80", "http://[::1]:80"),
        ] {
            let err = parse_url(given).unwrap_err();
            assert!(err.ends_with(&format!("did you mean {meant}?")), "{given}: {err}");
        }
        for no_guess in ["mailto:a@b.example", "webhooks/1", "ftp://example.com/"] {
            assert!(!parse_url(no_guess).unwrap_err().contains("did you mean"), "{no_guess}");
        }
    }
}

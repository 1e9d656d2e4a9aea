//! What a receiver's refusal of a correctly signed v1 delivery says about it: the released SDKs
//! on the registries (npm `@top-gg/sdk` 3.1.6, PyPI `topggpy` 1.4.0, crates.io `topgg` 1.4.2) only
//! check the legacy `Authorization` header, which dashboard webhooks do not send, and each refuses
//! a v1 delivery with an answer of its own (protocol.md §8). This module recognises those answers
//! from their status, `Content-Type`, `Server` and body, and words the diagnosis and the fix.
//! Pure: the caller hands in an answer it already has; nothing here sends or prints.

/// A released SDK that only checks `Authorization`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacySdk {
    /// npm `@top-gg/sdk` 3.1.6 on express: 403 `{"error":"Unauthorized"}`.
    Node,
    /// PyPI `topggpy` 1.4.0 on aiohttp: 401 `Unauthorized` as text/plain.
    Python,
    /// crates.io `topgg` 1.4.2 on axum: 401 with an empty body and no `Server` header.
    Rust,
}

impl LegacySdk {
    /// The release, as its registry names it.
    pub fn release(self) -> &'static str {
        match self {
            LegacySdk::Node => "@top-gg/sdk 3.1.6 (npm)",
            LegacySdk::Python => "topggpy 1.4.0 (PyPI)",
            LegacySdk::Rust => "the topgg crate 1.4.2",
        }
    }

    /// Its answer to a v1 delivery, as a reader would recognise it.
    pub fn answer(self) -> &'static str {
        match self {
            LegacySdk::Node => "403 {\"error\":\"Unauthorized\"}",
            LegacySdk::Python => "401 Unauthorized (text/plain)",
            LegacySdk::Rust => "401 with an empty body and no Server header",
        }
    }

    /// The SDK's git repository, whose unreleased code verifies `x-topgg-signature`.
    pub fn repository(self) -> &'static str {
        match self {
            LegacySdk::Node => "github.com/Top-gg-Community/node-sdk",
            LegacySdk::Python => "github.com/Top-gg-Community/python-sdk",
            LegacySdk::Rust => "github.com/Top-gg-Community/rust-sdk",
        }
    }

    /// A stable code for JSON: `topgg-sdk-node-3.1.6`, `topggpy-1.4.0`, `topgg-rust-1.4.2`.
    pub fn code(self) -> &'static str {
        match self {
            LegacySdk::Node => "topgg-sdk-node-3.1.6",
            LegacySdk::Python => "topggpy-1.4.0",
            LegacySdk::Rust => "topgg-rust-1.4.2",
        }
    }
}

/// A refusal recognised as a released SDK's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recognised {
    /// The SDK whose answer it is.
    pub sdk: LegacySdk,
    /// Whether the answer names the SDK on its own. A bare 401, or a plain-text `Unauthorized` from
    /// a server that does not say it is aiohttp, is also what a receiver that verifies with another
    /// secret may answer, so it is only a possibility.
    pub certain: bool,
}

impl Recognised {
    /// The one sentence every command gives: which release the answer looks like, that it only
    /// checks `Authorization`, and the fix.
    pub fn explanation(self) -> String {
        let sdk = self.sdk;
        let looks = if self.certain { "looks like" } else { "may be" };
        format!(
            "{} to a correctly signed v1 delivery {looks} a receiver on {}, which only checks the legacy Authorization \
             header (no released SDK verifies x-topgg-signature, and dashboard webhooks are v1); fix: install the SDK \
             from {}, which does, or verify x-topgg-signature over the raw body as the README's \"Plain webhooks\" \
             section shows",
            sdk.answer(),
            sdk.release(),
            sdk.repository()
        )
    }
}

/// For a request whose signature is valid: what it means when a receiver refuses it anyway with a
/// released v0-only SDK's answer.
pub fn if_refused_note() -> String {
    let sure: Vec<String> =
        [LegacySdk::Node, LegacySdk::Python].iter().map(|s| format!("{} ({})", s.answer(), s.release())).collect();
    format!(
        "a receiver that refuses this valid request with {} runs a released SDK that only checks the legacy \
         Authorization header (dashboard webhooks are v1); fix: install the SDK from its git repository, or verify \
         x-topgg-signature over the raw body as the README's \"Plain webhooks\" section shows",
        sure.join(" or ")
    )
}

/// The released SDK whose refusal this answer is, if it is one. `headers` are (name, value)
/// pairs in any case; `body` is the answer's body.
pub fn recognise(status: u16, headers: &[(String, String)], body: &[u8]) -> Option<Recognised> {
    let header = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let content_type = header("content-type").unwrap_or("").to_ascii_lowercase();
    let server = header("server").unwrap_or("").to_ascii_lowercase();
    // Express answers `res.sendStatus(401)` with the same plain-text "Unauthorized" as aiohttp.
    let express = header("x-powered-by").is_some_and(|v| v.eq_ignore_ascii_case("express"));
    let text = std::str::from_utf8(body).ok()?.trim();
    let (sdk, certain) = match status {
        403 if text == r#"{"error":"Unauthorized"}"# && content_type.starts_with("application/json") => {
            (LegacySdk::Node, true)
        }
        401 if text == "Unauthorized"
            && !express
            && (content_type.is_empty() || content_type.starts_with("text/plain")) =>
        {
            (LegacySdk::Python, server.contains("aiohttp"))
        }
        401 if text.is_empty() && server.is_empty() && !express => (LegacySdk::Rust, false),
        _ => return None,
    };
    Some(Recognised { sdk, certain })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn recognises_each_released_sdk_by_its_measured_answer() {
        let express = h(&[("Content-Type", "application/json; charset=utf-8"), ("X-Powered-By", "Express")]);
        let sure = |sdk| Some(Recognised { sdk, certain: true });
        let maybe = |sdk| Some(Recognised { sdk, certain: false });
        assert_eq!(recognise(403, &express, br#"{"error":"Unauthorized"}"#), sure(LegacySdk::Node));
        let aiohttp = h(&[("content-type", "text/plain; charset=utf-8"), ("server", "Python/3.12 aiohttp/3.9.5")]);
        assert_eq!(recognise(401, &aiohttp, b"Unauthorized"), sure(LegacySdk::Python));
        // Behind a proxy that replaces Server, or with it removed: only a possibility.
        let proxied = h(&[("content-type", "text/plain; charset=utf-8"), ("server", "nginx")]);
        assert_eq!(recognise(401, &proxied, b"Unauthorized"), maybe(LegacySdk::Python));
        assert_eq!(recognise(401, &[], b""), maybe(LegacySdk::Rust));
    }

    #[test]
    fn other_refusals_are_not_named() {
        let json = h(&[("content-type", "application/json")]);
        // topgg-int serve's own answers, a stale t, and a 401 from a server that names itself.
        assert_eq!(recognise(401, &json, br#"{"error":"signature-mismatch","message":"no"}"#), None);
        assert_eq!(recognise(403, &json, br#"{"error":"timestamp-out-of-window"}"#), None);
        assert_eq!(recognise(403, &h(&[("content-type", "text/html")]), br#"{"error":"Unauthorized"}"#), None);
        assert_eq!(recognise(401, &h(&[("server", "nginx")]), b""), None);
        // Express's `res.sendStatus(401)`, what a v1 receiver with the wrong secret often answers.
        let express = h(&[("content-type", "text/plain; charset=utf-8"), ("x-powered-by", "Express")]);
        assert_eq!(recognise(401, &express, b"Unauthorized"), None);
        assert_eq!(recognise(200, &json, br#"{"error":"Unauthorized"}"#), None);
    }

    #[test]
    fn the_explanation_names_the_release_the_header_and_the_fix() {
        let s = Recognised { sdk: LegacySdk::Node, certain: true }.explanation();
        assert!(s.starts_with("403 {\"error\":\"Unauthorized\"} to a correctly signed v1 delivery looks like"), "{s}");
        assert!(s.contains("@top-gg/sdk 3.1.6") && s.contains("only checks the legacy Authorization header"), "{s}");
        assert!(s.contains("node-sdk") && s.contains("Plain webhooks"), "{s}");
        let rust = Recognised { sdk: LegacySdk::Rust, certain: false }.explanation();
        assert!(rust.contains(" may be a receiver on the topgg crate 1.4.2"), "{rust}");
    }
}

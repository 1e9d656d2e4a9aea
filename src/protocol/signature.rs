//! `x-topgg-signature`: signing, parsing, verification and diagnosis (protocol.md §3).
//!
//! `v1 = hex(HMAC-SHA256(key = whole secret as UTF-8, message = "<t>." + raw body bytes))`.
//! [`verify`] is the cheap check a receiver runs per request; [`diagnose`] is what `verify` the
//! command runs: the same verdict plus hints naming the usual mistake behind a mismatch. This module
//! never prints.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

use super::secret::{Secret, WEBHOOK_SECRET_PREFIX};

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-topgg-signature";
/// The header carrying the delivery's trace id.
pub const TRACE_HEADER: &str = "x-topgg-trace";
/// The replay window the node, python and rust SDKs use, in seconds.
pub const DEFAULT_TOLERANCE_SECS: u64 = 30;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], t: &str, body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(t.as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The raw 32-byte MAC of `"<t>." + body` under `secret`.
pub fn compute_mac(secret: &[u8], t: &str, body: &[u8]) -> [u8; 32] {
    mac(secret, t, body).finalize().into_bytes().into()
}

/// The header value Top.gg would send: `t=<timestamp>,v1=<64 lowercase hex>`.
pub fn sign(secret: &Secret, timestamp: i64, body: &[u8]) -> String {
    let t = timestamp.to_string();
    header_value(&t, &compute_mac(secret.expose().as_bytes(), &t, body))
}

/// `t=<t>,v1=<hex>` in the canonical form: `t` first, one `v1`, lower-case hex, no spaces.
pub fn header_value(t: &str, digest: &[u8; 32]) -> String {
    let mut out = String::with_capacity(t.len() + 70);
    out.push_str("t=");
    out.push_str(t);
    out.push_str(",v1=");
    out.push_str(&hex::encode(digest));
    out
}

/// A syntactically valid signature header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    /// `t` exactly as written (the MAC is over these characters).
    pub t_raw: String,
    /// `t` as an integer.
    pub timestamp: i64,
    /// `v1` exactly as written.
    pub v1_raw: String,
    /// `v1` decoded.
    pub v1: [u8; 32],
}

impl SignatureHeader {
    /// `t` is not how an integer prints (leading zeros, a `+`): some SDKs rebuild `t` and fail.
    pub fn noncanonical_timestamp(&self) -> bool {
        self.t_raw != self.timestamp.to_string()
    }

    /// `v1` has upper-case hex digits: SDKs that compare hex strings reject it.
    pub fn uppercase_hex(&self) -> bool {
        self.v1_raw.bytes().any(|b| b.is_ascii_uppercase())
    }
}

/// Why a header could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// The header is present and empty.
    Empty,
    /// No `t=` pair.
    MissingTimestamp,
    /// No `v1=` pair.
    MissingV1,
    /// `t` is not an integer.
    BadTimestamp(String),
    /// `v1` is not 64 hex digits.
    BadV1(String),
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::Empty => f.write_str("the header is empty"),
            HeaderError::MissingTimestamp => f.write_str("the header has no t= pair"),
            HeaderError::MissingV1 => f.write_str("the header has no v1= pair"),
            HeaderError::BadTimestamp(t) => write!(f, "t={t:?} is not an integer"),
            HeaderError::BadV1(v) => {
                let shown: String = v.chars().take(80).collect();
                write!(f, "v1={shown:?} is not 64 hex digits (it has {} characters)", v.chars().count())
            }
        }
    }
}

impl std::error::Error for HeaderError {}

/// Parses a header value as protocol.md §3 says: split on `,`, then on the first `=`; no trimming;
/// order free; unknown keys ignored; the last duplicate wins.
pub fn parse_header(value: &str) -> Result<SignatureHeader, HeaderError> {
    if value.is_empty() {
        return Err(HeaderError::Empty);
    }
    let mut t = None;
    let mut v1 = None;
    for pair in value.split(',') {
        let Some((key, val)) = pair.split_once('=') else { continue };
        match key {
            "t" => t = Some(val),
            "v1" => v1 = Some(val),
            _ => {}
        }
    }
    let t_raw = t.ok_or(HeaderError::MissingTimestamp)?;
    let v1_raw = v1.ok_or(HeaderError::MissingV1)?;
    let timestamp = parse_integer(t_raw).ok_or_else(|| HeaderError::BadTimestamp(t_raw.into()))?;
    let mut digest = [0u8; 32];
    if v1_raw.len() != 64 || hex::decode_to_slice(v1_raw, &mut digest).is_err() {
        return Err(HeaderError::BadV1(v1_raw.into()));
    }
    Ok(SignatureHeader { t_raw: t_raw.into(), timestamp, v1_raw: v1_raw.into(), v1: digest })
}

/// An optional sign then ASCII digits only: Rust's own parser would also take nothing else, but
/// being explicit keeps `t= 1` (a space) malformed whatever the standard library does.
fn parse_integer(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The verdict's reason code, as in the test vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Valid.
    Ok,
    /// No `x-topgg-signature` header.
    MissingHeader,
    /// The header does not parse.
    MalformedHeader,
    /// `|now - t|` is over the tolerance.
    TimestampOutOfWindow,
    /// The MAC does not match.
    SignatureMismatch,
}

impl Reason {
    /// The stable kebab-case code (`signature-mismatch`, …).
    pub fn code(self) -> &'static str {
        match self {
            Reason::Ok => "ok",
            Reason::MissingHeader => "missing-header",
            Reason::MalformedHeader => "malformed-header",
            Reason::TimestampOutOfWindow => "timestamp-out-of-window",
            Reason::SignatureMismatch => "signature-mismatch",
        }
    }

    /// The status `topgg-int serve` answers with for this reason (protocol.md §7).
    pub fn http_status(self) -> u16 {
        match self {
            Reason::Ok => 204,
            Reason::MissingHeader | Reason::SignatureMismatch => 401,
            Reason::MalformedHeader => 400,
            Reason::TimestampOutOfWindow => 403,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A failed verification: the reason and a sentence saying what exactly was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The reason code.
    pub reason: Reason,
    /// One sentence for a log or a terminal.
    pub detail: String,
}

/// Whether `timestamp` is within `tolerance` seconds of `now`; a tolerance of 0 disables the check.
pub fn within_window(timestamp: i64, now: i64, tolerance: u64) -> bool {
    tolerance == 0 || (i128::from(now) - i128::from(timestamp)).unsigned_abs() <= u128::from(tolerance)
}

/// The receiver's check: parse, window, constant-time MAC comparison. Returns the signed timestamp.
pub fn verify(secret: &Secret, header: Option<&str>, body: &[u8], now: i64, tolerance: u64) -> Result<i64, Rejection> {
    let header = header
        .ok_or_else(|| Rejection { reason: Reason::MissingHeader, detail: format!("no {SIGNATURE_HEADER} header") })?;
    let parsed = parse_header(header).map_err(|e| Rejection {
        reason: Reason::MalformedHeader,
        detail: format!("malformed {SIGNATURE_HEADER}: {e}"),
    })?;
    if !within_window(parsed.timestamp, now, tolerance) {
        return Err(Rejection {
            reason: Reason::TimestampOutOfWindow,
            detail: window_detail(parsed.timestamp, now, tolerance),
        });
    }
    if !mac_matches(secret.expose().as_bytes(), &parsed.t_raw, body, &parsed.v1) {
        return Err(Rejection {
            reason: Reason::SignatureMismatch,
            detail: "the signature does not match the body and secret".into(),
        });
    }
    Ok(parsed.timestamp)
}

fn window_detail(timestamp: i64, now: i64, tolerance: u64) -> String {
    let skew = i128::from(now) - i128::from(timestamp);
    if skew > 0 {
        format!("the timestamp is {skew} s old, over the {tolerance} s window")
    } else {
        format!("the timestamp is {} s in the future, over the {tolerance} s window", -skew)
    }
}

/// Constant-time comparison of the expected MAC with `v1`.
fn mac_matches(secret: &[u8], t: &str, body: &[u8], v1: &[u8; 32]) -> bool {
    mac(secret, t, body).verify_slice(v1).is_ok()
}

/// A likely cause of a mismatch, or an interop risk of a valid signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hint {
    /// Matches with the `whs_` prefix removed from the secret: the sender stripped it.
    SecretPrefixStripped,
    /// Matches with `whs_` added to the secret: the secret given here lacks it.
    SecretPrefixMissing,
    /// Matches with this whitespace around the secret (a description, e.g. "a trailing newline").
    SecretWhitespace(&'static str),
    /// Matches with the body re-serialised in this form.
    ReserializedJson(JsonForm),
    /// Matches with a trailing newline removed from the body (true) or added to it (false).
    TrailingNewline { body_has_extra: bool },
    /// Matches with the line endings converted; `signed_crlf` says which way.
    LineEndings { signed_crlf: bool },
    /// Valid, but `v1` has upper-case hex.
    UppercaseHex,
    /// Valid, but `t` is not canonical decimal.
    NoncanonicalTimestamp,
}

/// The JSON serialisations the hints try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonForm {
    /// No whitespace at all (`JSON.stringify(x)`, `serde_json::to_string`).
    Compact,
    /// Pretty-printed, 2-space indent (`JSON.stringify(x, null, 2)`).
    Pretty2,
    /// Pretty-printed, 4-space indent (`json.dumps(x, indent=4)`).
    Pretty4,
    /// Python's `json.dumps(x)`: `", "` and `": "` separators, non-ASCII escaped.
    PythonDumps,
}

impl JsonForm {
    const ALL: [JsonForm; 4] = [JsonForm::Compact, JsonForm::Pretty2, JsonForm::Pretty4, JsonForm::PythonDumps];

    fn describe(self) -> &'static str {
        match self {
            JsonForm::Compact => "compacted (JSON.stringify / serde_json::to_string)",
            JsonForm::Pretty2 => "pretty-printed with 2 spaces",
            JsonForm::Pretty4 => "pretty-printed with 4 spaces",
            JsonForm::PythonDumps => "in Python json.dumps default form",
        }
    }

    /// `value` serialised in this form.
    pub fn render(self, value: &serde_json::Value) -> Vec<u8> {
        use serde::Serialize;
        let mut out = Vec::new();
        let res = match self {
            JsonForm::Compact => serde_json::to_writer(&mut out, value),
            JsonForm::Pretty2 => serde_json::to_writer_pretty(&mut out, value),
            JsonForm::Pretty4 => {
                let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
                value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, fmt))
            }
            JsonForm::PythonDumps => {
                value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, PythonFormatter))
            }
        };
        // Serialising a Value into a Vec cannot fail.
        debug_assert!(res.is_ok());
        out
    }
}

/// Python's `json.dumps` defaults: `", "` and `": "` separators, `ensure_ascii=True`.
struct PythonFormatter;

impl serde_json::ser::Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn write_string_fragment<W: ?Sized + std::io::Write>(&mut self, w: &mut W, fragment: &str) -> std::io::Result<()> {
        for c in fragment.chars() {
            if c.is_ascii() {
                w.write_all(&[c as u8])?;
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(w, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}

/// SDKs whose verifiers reject a signature with this interop problem (protocol.md §3).
const UPPERCASE_HEX_REJECTED_BY: &[&str] = &["python", "go", "java"];
const NONCANONICAL_T_REJECTED_BY: &[&str] = &["python", "rust"];

impl Hint {
    /// The stable code, as in the test vectors.
    pub fn code(&self) -> &'static str {
        match self {
            Hint::SecretPrefixStripped | Hint::SecretPrefixMissing => "secret-prefix",
            Hint::SecretWhitespace(_) => "secret-whitespace",
            Hint::ReserializedJson(_) => "reserialized-json",
            Hint::TrailingNewline { .. } => "trailing-newline",
            Hint::LineEndings { .. } => "line-endings",
            Hint::UppercaseHex => "uppercase-hex",
            Hint::NoncanonicalTimestamp => "noncanonical-timestamp",
        }
    }

    /// One plain sentence saying what the hint means and what to do.
    pub fn explanation(&self) -> String {
        match self {
            Hint::SecretPrefixStripped => {
                "the signature matches if the secret has no whs_ prefix: the sender stripped it; \
                 sign with the whole secret, whs_ included"
                    .into()
            }
            Hint::SecretPrefixMissing => {
                "the signature matches with whs_ added in front of the secret: the secret given here \
                 lost its whs_ prefix; use the whole secret"
                    .into()
            }
            Hint::SecretWhitespace(what) => format!(
                "the signature matches if the secret has {what}: the signer read the secret with whitespace around it \
                 (a file or env var with a newline?); trim it"
            ),
            Hint::ReserializedJson(form) => format!(
                "the signature matches the body {}: someone parsed the JSON and serialised it again; \
                 sign and verify the raw bytes",
                form.describe()
            ),
            Hint::TrailingNewline { body_has_extra: true } => {
                "the signature matches the body without its trailing newline: a newline was added after signing".into()
            }
            Hint::TrailingNewline { body_has_extra: false } => {
                "the signature matches the body with a trailing newline: the newline was stripped after signing".into()
            }
            Hint::LineEndings { signed_crlf: true } => {
                "the signature matches the body with CRLF line endings: they were converted to LF after signing".into()
            }
            Hint::LineEndings { signed_crlf: false } => {
                "the signature matches the body with LF line endings: they were converted to CRLF after signing".into()
            }
            Hint::UppercaseHex => "v1 is upper-case hex: valid here, but SDKs that compare hex strings reject it; \
                 emit lower-case hex"
                .into(),
            Hint::NoncanonicalTimestamp => {
                "t is not written as a plain integer (leading zeros or a sign): valid here, \
                 but SDKs that rebuild t from an integer reject it"
                    .into()
            }
        }
    }

    /// For interop hints, the official SDKs whose verifiers reject this signature.
    pub fn rejected_by(&self) -> &'static [&'static str] {
        match self {
            Hint::UppercaseHex => UPPERCASE_HEX_REJECTED_BY,
            Hint::NoncanonicalTimestamp => NONCANONICAL_T_REJECTED_BY,
            _ => &[],
        }
    }
}

/// The full verdict of [`diagnose`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// `Reason::Ok` when valid.
    pub reason: Reason,
    /// A sentence describing the verdict.
    pub detail: String,
    /// The parsed header, when it parsed.
    pub header: Option<SignatureHeader>,
    /// Whether the MAC matches (`None` when the header did not parse).
    pub mac_matches: Option<bool>,
    /// Likely causes of a mismatch, or interop risks of a valid signature; most likely first.
    pub hints: Vec<Hint>,
}

impl Diagnosis {
    /// Valid signature within the window.
    pub fn is_valid(&self) -> bool {
        self.reason == Reason::Ok
    }
}

/// Verifies like [`verify`], then explains: on a mismatch it tries the usual mistakes and names the
/// ones that make the MAC match; on a valid signature it names interop risks.
pub fn diagnose(secret: &Secret, header: Option<&str>, body: &[u8], now: i64, tolerance: u64) -> Diagnosis {
    let rejected = |reason, detail| Diagnosis { reason, detail, header: None, mac_matches: None, hints: Vec::new() };
    let Some(raw) = header else {
        return rejected(Reason::MissingHeader, format!("no {SIGNATURE_HEADER} header"));
    };
    let parsed = match parse_header(raw) {
        Ok(h) => h,
        Err(e) => return rejected(Reason::MalformedHeader, format!("malformed {SIGNATURE_HEADER}: {e}")),
    };
    let mac_ok = mac_matches(secret.expose().as_bytes(), &parsed.t_raw, body, &parsed.v1);
    let (reason, detail) = if !within_window(parsed.timestamp, now, tolerance) {
        (Reason::TimestampOutOfWindow, window_detail(parsed.timestamp, now, tolerance))
    } else if mac_ok {
        (Reason::Ok, "the signature is valid".to_string())
    } else {
        (Reason::SignatureMismatch, "the signature does not match the body and secret".to_string())
    };
    let mut hints = Vec::new();
    if mac_ok {
        if parsed.uppercase_hex() {
            hints.push(Hint::UppercaseHex);
        }
        if parsed.noncanonical_timestamp() {
            hints.push(Hint::NoncanonicalTimestamp);
        }
    } else {
        hints = mismatch_hints(secret.expose(), &parsed, body);
    }
    Diagnosis { reason, detail, header: Some(parsed), mac_matches: Some(mac_ok), hints }
}

/// Tries each usual mistake alone, then a secret mistake combined with a body mistake.
fn mismatch_hints(secret: &str, header: &SignatureHeader, body: &[u8]) -> Vec<Hint> {
    let matches = |key: &[u8], body: &[u8]| mac_matches(key, &header.t_raw, body, &header.v1);
    let secrets = secret_variants(secret);
    let bodies = body_variants(body);
    for (hint, key) in &secrets {
        if matches(key.as_bytes(), body) {
            return vec![hint.clone()];
        }
    }
    for (hint, b) in &bodies {
        if matches(secret.as_bytes(), b) {
            return vec![hint.clone()];
        }
    }
    for (secret_hint, key) in &secrets {
        for (body_hint, b) in &bodies {
            if matches(key.as_bytes(), b) {
                return vec![secret_hint.clone(), body_hint.clone()];
            }
        }
    }
    Vec::new()
}

fn secret_variants(secret: &str) -> Vec<(Hint, String)> {
    let mut out = Vec::new();
    match secret.strip_prefix(WEBHOOK_SECRET_PREFIX) {
        Some(rest) => out.push((Hint::SecretPrefixStripped, rest.to_string())),
        None => out.push((Hint::SecretPrefixMissing, format!("{WEBHOOK_SECRET_PREFIX}{secret}"))),
    }
    let trimmed = secret.trim();
    if trimmed != secret {
        out.push((Hint::SecretWhitespace("no surrounding whitespace"), trimmed.to_string()));
    }
    for (what, variant) in [
        ("a trailing newline", format!("{trimmed}\n")),
        ("a trailing CRLF", format!("{trimmed}\r\n")),
        ("a trailing space", format!("{trimmed} ")),
        ("a leading space", format!(" {trimmed}")),
    ] {
        if variant != secret {
            out.push((Hint::SecretWhitespace(what), variant));
        }
    }
    out
}

/// Body variants in the order hints are tried: byte-level accidents before re-serialisation, since
/// re-serialising also removes a trailing newline or CRLFs and would otherwise hide the simpler cause.
fn body_variants(body: &[u8]) -> Vec<(Hint, Vec<u8>)> {
    let mut out = Vec::new();
    if let Some(stripped) = body.strip_suffix(b"\r\n").or_else(|| body.strip_suffix(b"\n")) {
        out.push((Hint::TrailingNewline { body_has_extra: true }, stripped.to_vec()));
    } else {
        let mut with = body.to_vec();
        with.push(b'\n');
        out.push((Hint::TrailingNewline { body_has_extra: false }, with));
    }
    if contains(body, b"\r\n") {
        out.push((Hint::LineEndings { signed_crlf: false }, replace(body, b"\r\n", b"\n")));
    } else if body.contains(&b'\n') {
        out.push((Hint::LineEndings { signed_crlf: true }, replace(body, b"\n", b"\r\n")));
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        for form in JsonForm::ALL {
            let rendered = form.render(&value);
            if rendered != body {
                out.push((Hint::ReserializedJson(form), rendered));
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len() + haystack.len() / 16);
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whs_0123456789abcdef";

    #[test]
    fn sign_then_verify_round_trips() {
        let s = Secret::new(SECRET);
        let body = br#"{"type":"webhook.test","data":{}}"#;
        let header = sign(&s, 1_770_598_034, body);
        assert!(header.starts_with("t=1770598034,v1="));
        assert_eq!(header.len(), "t=1770598034,v1=".len() + 64);
        assert_eq!(verify(&s, Some(&header), body, 1_770_598_034, 30), Ok(1_770_598_034));
        let err = verify(&s, Some(&header), b"{}", 1_770_598_034, 30).unwrap_err();
        assert_eq!(err.reason, Reason::SignatureMismatch);
    }

    #[test]
    fn parser_follows_the_rules() {
        let v1 = "a".repeat(64);
        assert_eq!(parse_header(&format!("t=1,v1={v1},t=2")).unwrap().timestamp, 2);
        assert_eq!(parse_header(&format!("v1={v1},x,t=5")).unwrap().timestamp, 5);
        assert_eq!(parse_header(&format!("t= 1,v1={v1}")), Err(HeaderError::BadTimestamp(" 1".into())));
        assert!(matches!(parse_header(&format!("t=1, v1={v1}")), Err(HeaderError::MissingV1)));
        assert!(matches!(parse_header(&format!("t=1,v1={v1}=")), Err(HeaderError::BadV1(_))));
        assert_eq!(parse_header("t=1"), Err(HeaderError::MissingV1));
    }

    #[test]
    fn python_form_escapes_non_ascii() {
        let v: serde_json::Value = serde_json::from_str(r#"{"a":["é",1],"b":"🚀"}"#).unwrap();
        let out = String::from_utf8(JsonForm::PythonDumps.render(&v)).unwrap();
        assert_eq!(out, r#"{"a": ["\u00e9", 1], "b": "\ud83d\ude80"}"#);
    }

    #[test]
    fn window_edges() {
        assert!(within_window(100, 130, 30));
        assert!(!within_window(100, 131, 30));
        assert!(within_window(100, 70, 30));
        assert!(!within_window(100, 69, 30));
        assert!(within_window(i64::MIN, i64::MAX, 0));
        assert!(!within_window(i64::MIN, i64::MAX, 30));
    }
}

//! `x-topgg-signature`: signing, parsing, verification and diagnosis (protocol.md §3).
//!
//! `v1 = hex(HMAC-SHA256(key = whole secret as UTF-8, message = "<t>." + raw body bytes))`.
//! [`verify`] is the cheap check a receiver runs per request; [`diagnose`] (in
//! [`crate::protocol::diagnose`], re-exported here) is what `verify` the command runs: the same
//! verdict plus hints naming the usual mistake behind a mismatch. This module never prints.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

use super::secret::Secret;

pub use super::diagnose::{Diagnosis, Hint, diagnose};
pub use super::reserialize::JsonForm;

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

/// The header value Top.gg would send: `t=<timestamp>,v1=<64 lowercase hex>`. To sign many
/// bodies with one secret, key a [`Signer`] once instead.
pub fn sign(secret: &Secret, timestamp: i64, body: &[u8]) -> String {
    Signer::new(secret.clone()).sign(timestamp, body)
}

/// A secret keyed into HMAC-SHA256 once, so signing many bodies (retries, load mode) costs only
/// each body's hashing. [`sign`] is this, keyed for one use.
#[derive(Clone)]
pub struct Signer {
    secret: Secret,
    keyed: HmacSha256,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({})", self.secret.masked())
    }
}

impl Signer {
    /// A signer for this secret.
    pub fn new(secret: Secret) -> Self {
        // HMAC accepts keys of any length, so this cannot fail.
        let keyed = HmacSha256::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key length");
        Signer { secret, keyed }
    }

    /// The secret.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// `t=<t>,v1=<hex>` for `body` signed at `t`.
    pub fn sign(&self, t: i64, body: &[u8]) -> String {
        let mut out = Vec::with_capacity(88);
        self.sign_parts_into(t, &[body], &mut out);
        // Only ASCII was written.
        String::from_utf8(out).unwrap_or_default()
    }

    /// The same header value as [`sign`](Self::sign) for the body made of `parts` in order,
    /// appended to `out`, with no allocation beyond `out`'s growth: the keyed state is copied, the
    /// digits and hex are written on the stack. Load mode signs every vote this way.
    pub fn sign_parts_into(&self, t: i64, parts: &[&[u8]], out: &mut Vec<u8>) {
        let mut digits = [0u8; 20];
        let t = decimal_i64(t, &mut digits);
        let mut mac = self.keyed.clone();
        mac.update(t);
        mac.update(b".");
        for part in parts {
            mac.update(part);
        }
        let mut hex = [0u8; 64];
        // 64 bytes is exactly twice the digest, so this cannot fail.
        let _ = hex::encode_to_slice(mac.finalize().into_bytes(), &mut hex);
        out.extend_from_slice(b"t=");
        out.extend_from_slice(t);
        out.extend_from_slice(b",v1=");
        out.extend_from_slice(&hex);
    }

    /// [`verify`] with this signer's secret, keyed once: a receiver keeps one per connection, so
    /// each delivery hashes only its own bytes.
    pub fn verify(&self, header: Option<&str>, body: &[u8], now: i64, tolerance: u64) -> Result<i64, Rejection> {
        check(header, now, tolerance, |t, v1| {
            let mut mac = self.keyed.clone();
            mac.update(t.as_bytes());
            mac.update(b".");
            mac.update(body);
            mac.verify_slice(v1).is_ok()
        })
    }
}

/// "00" to "99", for [`format_i64`].
const DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut k = 0;
    while k < 100 {
        t[2 * k] = b'0' + (k / 10) as u8;
        t[2 * k + 1] = b'0' + (k % 10) as u8;
        k += 1;
    }
    t
};

/// `n` in decimal, written into `buf` (an i64 has at most 19 digits and a sign), without
/// `core::fmt`.
pub fn format_i64(n: i64, buf: &mut [u8; 20]) -> &str {
    // Only ASCII digits and '-' are written.
    std::str::from_utf8(decimal_i64(n, buf)).unwrap_or_default()
}

/// [`format_i64`] as bytes, for callers that append them to bytes (no UTF-8 check).
pub fn decimal_i64(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    let mut m = n.unsigned_abs();
    // Two digits a step: load mode writes three numbers per vote, a 19-digit id among them.
    while m >= 100 {
        let pair = (m % 100) as usize * 2;
        m /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if m >= 10 {
        let pair = m as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + m as u8;
    }
    if n < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// `t=<t>,v1=<hex>` in the canonical form: `t` first, one `v1`, lower-case hex, no spaces.
pub fn header_value(t: &str, digest: &[u8; 32]) -> String {
    let mut hex = [0u8; 64];
    // 64 bytes is exactly twice the digest, so this cannot fail.
    let _ = hex::encode_to_slice(digest, &mut hex);
    let mut out = String::with_capacity(t.len() + 68);
    out.push_str("t=");
    out.push_str(t);
    out.push_str(",v1=");
    // Hex digits are ASCII.
    out.push_str(std::str::from_utf8(&hex).unwrap_or_default());
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
pub fn parse_signature_header(value: &str) -> Result<SignatureHeader, HeaderError> {
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
    check(header, now, tolerance, |t, v1| mac_matches(secret.expose().as_bytes(), t, body, v1))
}

/// The checks of [`verify`] in order (present, well-formed, in the window, then the MAC, which
/// `matches` computes), so a pre-keyed [`Signer`] and a one-off secret judge alike.
fn check(
    header: Option<&str>,
    now: i64,
    tolerance: u64,
    matches: impl FnOnce(&str, &[u8; 32]) -> bool,
) -> Result<i64, Rejection> {
    let parsed = parse_present(header)?;
    if !within_window(parsed.timestamp, now, tolerance) {
        return Err(Rejection {
            reason: Reason::TimestampOutOfWindow,
            detail: window_detail(parsed.timestamp, now, tolerance),
        });
    }
    if !matches(&parsed.t_raw, &parsed.v1) {
        return Err(Rejection {
            reason: Reason::SignatureMismatch,
            detail: "the signature does not match the body and secret".into(),
        });
    }
    Ok(parsed.timestamp)
}

/// The header parsed, or why there is none to check: absent or empty is `missing-header` (an empty
/// value is how some proxies and clients send "no signature"; the node and python SDKs treat it as
/// missing), anything else that does not parse is `malformed-header`.
pub(crate) fn parse_present(header: Option<&str>) -> Result<SignatureHeader, Rejection> {
    let missing = |detail: String| Rejection { reason: Reason::MissingHeader, detail };
    match header {
        None => Err(missing(format!("no {SIGNATURE_HEADER} header"))),
        Some("") => Err(missing(format!("the {SIGNATURE_HEADER} header is empty, which counts as missing"))),
        Some(raw) => parse_signature_header(raw).map_err(|e| Rejection {
            reason: Reason::MalformedHeader,
            detail: format!("malformed {SIGNATURE_HEADER}: {e}"),
        }),
    }
}

pub(crate) fn window_detail(timestamp: i64, now: i64, tolerance: u64) -> String {
    let skew = i128::from(now) - i128::from(timestamp);
    if skew > 0 {
        format!("the timestamp is {skew} s old, over the {tolerance} s window")
    } else {
        format!("the timestamp is {} s in the future, over the {tolerance} s window", -skew)
    }
}

/// Constant-time comparison of the expected MAC with `v1`.
pub(crate) fn mac_matches(secret: &[u8], t: &str, body: &[u8], v1: &[u8; 32]) -> bool {
    mac(secret, t, body).verify_slice(v1).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whs_0123456789abcdef";

    #[test]
    fn a_signer_verifies_as_verify_does() {
        let secret = Secret::new(SECRET);
        let signer = Signer::new(secret.clone());
        let body = br#"{"type":"webhook.test"}"#;
        let good = sign(&secret, 1_000, body);
        let cases: [(Option<&str>, &[u8], i64); 6] = [
            (Some(&good), body, 1_010),
            (Some(&good), b"{}", 1_010),
            (Some(&good), body, 9_000),
            (Some("t=1000,v1=zz"), body, 1_010),
            (Some(""), body, 1_010),
            (None, body, 1_010),
        ];
        for (header, body, now) in cases {
            let one_off = verify(&secret, header, body, now, 300).map_err(|r| (r.reason.code(), r.detail));
            let keyed = signer.verify(header, body, now, 300).map_err(|r| (r.reason.code(), r.detail));
            assert_eq!(one_off, keyed, "{header:?} at {now}");
        }
        assert_eq!(signer.verify(Some(&good), body, 1_010, 300).ok(), Some(1_000));
    }

    #[test]
    fn timestamps_print_as_integers_do() {
        let mut buf = [0u8; 20];
        for n in [0, 7, -7, 10, 99, 100, -100, 1_770_598_034, i64::MAX, i64::MIN, -1_000] {
            assert_eq!(format_i64(n, &mut buf), n.to_string());
        }
    }

    #[test]
    fn a_signer_signs_any_t_as_the_formula_says() {
        let signer = Signer::new(Secret::new(SECRET));
        for t in [1_770_598_034, -5, 0] {
            let expected = format!("t={t},v1={}", hex::encode(compute_mac(SECRET.as_bytes(), &t.to_string(), b"{}")));
            assert_eq!(signer.sign(t, b"{}"), expected);
        }
    }

    #[test]
    fn signing_parts_is_signing_their_concatenation() {
        let signer = Signer::new(Secret::new(SECRET));
        let mut out = b"x".to_vec();
        signer.sign_parts_into(1_770_598_034, &[b"{\"a\"", b"", b":1}"], &mut out);
        assert_eq!(out, [&b"x"[..], signer.sign(1_770_598_034, br#"{"a":1}"#).as_bytes()].concat());
    }

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
        assert_eq!(parse_signature_header(&format!("t=1,v1={v1},t=2")).unwrap().timestamp, 2);
        assert_eq!(parse_signature_header(&format!("v1={v1},x,t=5")).unwrap().timestamp, 5);
        assert_eq!(parse_signature_header(&format!("t= 1,v1={v1}")), Err(HeaderError::BadTimestamp(" 1".into())));
        assert!(matches!(parse_signature_header(&format!("t=1, v1={v1}")), Err(HeaderError::MissingV1)));
        assert!(matches!(parse_signature_header(&format!("t=1,v1={v1}=")), Err(HeaderError::BadV1(_))));
        assert_eq!(parse_signature_header("t=1"), Err(HeaderError::MissingV1));
    }

    #[test]
    fn an_empty_header_is_a_missing_one() {
        let s = Secret::new(SECRET);
        let err = verify(&s, Some(""), b"{}", 1, 30).unwrap_err();
        assert_eq!(err.reason, Reason::MissingHeader);
        assert_eq!(err.reason.http_status(), 401);
        assert_eq!(verify(&s, Some(","), b"{}", 1, 30).unwrap_err().reason, Reason::MalformedHeader);
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

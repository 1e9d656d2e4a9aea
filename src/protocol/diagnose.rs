//! Why a signature fails, or what makes a valid one fragile: the hints behind `topgg-int verify`.
//!
//! [`diagnose`] gives the same verdict as [`crate::protocol::signature::verify`], then tries the
//! usual mistakes (a secret changed, a body changed or serialised again, `t` written oddly) and
//! names those that make the MAC match. Each hint has a stable code, the one the exported vectors
//! carry. Pure functions; this module never prints.

use std::fmt::Write as _;

use super::reserialize::JsonForm;
use super::secret::{Secret, WEBHOOK_SECRET_PREFIX};
use super::signature::{Reason, SignatureHeader, mac_matches, parse_present, window_detail, within_window};

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
    /// The body given is itself in `form`, a receiver's JSON library's form and not Top.gg's: it was
    /// parsed and serialised again before the check, which no signature survives. `matches` is the
    /// rendering of it that the signature does match, if one does (the secret is then right, and
    /// the code stays `reserialized-json`); without one the code names the form (`go-json`,
    /// `php-json-encode`, `sorted-keys`, `python-json-dumps`, `pretty-printed`).
    ReceivedReserialized { form: JsonForm, matches: Option<JsonForm> },
    /// Matches with a trailing newline removed from the body (true) or added to it (false).
    TrailingNewline { body_has_extra: bool },
    /// Matches with the line endings converted; `signed_crlf` says which way.
    LineEndings { signed_crlf: bool },
    /// The body is empty (or a placeholder such as `{}`): the framework consumed it before the check.
    EmptyBody,
    /// Valid, but `v1` has upper-case hex.
    UppercaseHex,
    /// Valid, but `t` is not canonical decimal.
    NoncanonicalTimestamp,
    /// `t` is written with leading zeros or a sign, and the MAC is over `t` as an integer
    /// (`canonical`): what a signer that formats and signs separately produces.
    NoncanonicalTimestampSignedAsInteger { canonical: String },
    /// `t` is Unix milliseconds (`Date.now()`), not seconds; `seconds` is `t / 1000`.
    TimestampMilliseconds { seconds: i64 },
}

/// How to get the raw body in the frameworks bots are written with: the fix for every hint that
/// says the bytes were parsed or consumed before the check. `(framework, what to do)`.
pub const RAW_BODY_FIXES: &[(&str, &str)] = &[
    ("Express", "app.post(path, express.raw({type: 'application/json'}), …) and verify req.body (a Buffer)"),
    (
        "Fastify",
        "fastify.addContentTypeParser('application/json', {parseAs: 'buffer'}, (req, body, done) => done(null, body))",
    ),
    (
        "Next.js",
        "const raw = await req.text() in a route handler (pages/api: export config {api: {bodyParser: false}})",
    ),
    ("FastAPI/Starlette", "raw = await request.body()"),
    ("aiohttp", "raw = await request.read()"),
    ("Flask", "raw = request.get_data()"),
    ("Django", "raw = request.body"),
    ("PHP", "$raw = file_get_contents('php://input') (Laravel/Symfony: $request->getContent())"),
    ("Go net/http", "raw, _ := io.ReadAll(r.Body), before json.Unmarshal (gin: c.GetRawData())"),
    ("axum", "take the body as axum::body::Bytes, not Json<T>"),
    ("actix-web", "take the body as web::Bytes, not web::Json<T>"),
];

/// SDKs whose verifiers reject a signature with this interop problem (protocol.md §3).
const UPPERCASE_HEX_REJECTED_BY: &[&str] = &["python", "go", "java"];
const NONCANONICAL_T_REJECTED_BY: &[&str] = &["python", "rust"];
const MILLISECONDS_REJECTED_BY: &[&str] = &["node", "python", "rust"];

impl Hint {
    /// The stable code, as in the test vectors.
    pub fn code(&self) -> &'static str {
        match self {
            Hint::SecretPrefixStripped | Hint::SecretPrefixMissing => "secret-prefix",
            Hint::SecretWhitespace(_) => "secret-whitespace",
            Hint::ReserializedJson(JsonForm::PhpJsonEncode) => "php-json-encode",
            Hint::ReserializedJson(JsonForm::GoJson) => "go-json",
            Hint::ReserializedJson(JsonForm::SortedCompact | JsonForm::PythonSortKeys) => "sorted-keys",
            Hint::ReserializedJson(_) => "reserialized-json",
            // A rendering that matches keeps the shared vectors' code: the signed bytes were rebuilt.
            Hint::ReceivedReserialized { matches: Some(_), .. } => "reserialized-json",
            Hint::ReceivedReserialized { form, matches: None } => form.received_code(),
            Hint::TrailingNewline { .. } => "trailing-newline",
            Hint::LineEndings { .. } => "line-endings",
            Hint::EmptyBody => "empty-body",
            Hint::UppercaseHex => "uppercase-hex",
            Hint::NoncanonicalTimestamp | Hint::NoncanonicalTimestampSignedAsInteger { .. } => "noncanonical-timestamp",
            Hint::TimestampMilliseconds { .. } => "timestamp-milliseconds",
        }
    }

    /// Every hint code, in the order the vectors list them.
    pub const CODES: [&'static str; 14] = [
        "secret-prefix",
        "secret-whitespace",
        "reserialized-json",
        "php-json-encode",
        "go-json",
        "sorted-keys",
        "python-json-dumps",
        "pretty-printed",
        "trailing-newline",
        "line-endings",
        "empty-body",
        "uppercase-hex",
        "noncanonical-timestamp",
        "timestamp-milliseconds",
    ];

    /// Whether the fix is to verify the raw body ([`RAW_BODY_FIXES`]): the body was parsed and
    /// serialised again, or consumed, before the check.
    pub fn wants_raw_body(&self) -> bool {
        matches!(self, Hint::ReserializedJson(_) | Hint::ReceivedReserialized { .. } | Hint::EmptyBody)
    }

    /// One plain sentence saying what the hint means and what to do.
    pub fn explanation(&self) -> String {
        let mut out = self.cause();
        if let Hint::ReceivedReserialized { form, .. } = self {
            let _ = write!(
                out,
                "; verify the raw request bytes instead: {} (the raw-body table gives the other frameworks)",
                form.raw_body_fix()
            );
        } else if self.wants_raw_body() {
            out.push_str("; verify the raw bytes as received (the raw-body table gives the fix per framework)");
        }
        out
    }

    fn cause(&self) -> String {
        match self {
            Hint::SecretPrefixStripped => "the signature matches if the secret has no whs_ prefix: the sender \
                stripped it; sign with the whole secret, whs_ included"
                .into(),
            Hint::SecretPrefixMissing => "the signature matches with whs_ added in front of the secret: the secret \
                given here lost its whs_ prefix; use the whole secret"
                .into(),
            Hint::SecretWhitespace(what) => format!(
                "the signature matches if the secret has {what}: the signer read the secret with whitespace around it \
                 (a file or env var with a newline?); trim it"
            ),
            Hint::ReserializedJson(form) => {
                format!(
                    "the signature matches the body {}: someone parsed the JSON and serialised it again",
                    form.describe()
                )
            }
            Hint::ReceivedReserialized { form, matches } => {
                let mut s = format!(
                    "the body given is {}, not the bytes Top.gg sends (compact, its own key order and escapes): \
                     the receiver parsed the JSON and serialised it again before verifying",
                    form.received_description()
                );
                match matches {
                    Some(m) => {
                        // Not "compacted (JSON.stringify …)": that names a serialiser, and the one
                        // at fault is the given form's.
                        let how = if *m == JsonForm::Compact { "written back compactly" } else { m.describe() };
                        let _ = write!(
                            s,
                            "; here the body {how} happens to be the signed bytes (so the secret is right), but in \
                             general a signature cannot be checked against a re-serialised body"
                        );
                    }
                    None => s.push_str(", and a signature cannot be checked against a re-serialised body"),
                }
                s
            }
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
            Hint::EmptyBody => "the body checked is empty (or a placeholder such as {}): the framework's JSON parser \
                consumed the request body before the verifier read it"
                .into(),
            Hint::UppercaseHex => {
                "v1 is upper-case hex: valid here, but SDKs that compare hex strings reject it; emit lower-case hex"
                    .into()
            }
            Hint::NoncanonicalTimestamp => "t is not written as a plain integer (leading zeros or a sign): valid \
                here, but SDKs that rebuild t from an integer reject it"
                .into(),
            Hint::NoncanonicalTimestampSignedAsInteger { canonical } => format!(
                "t has leading zeros or a sign, and the MAC is over t as the integer {canonical}, not over t as \
                 written: the python and rust SDKs accept it because they rebuild t, the node SDK and Stripe-style \
                 verifiers (and topgg-int) reject it; write t as a plain integer and sign exactly what is written"
            ),
            Hint::TimestampMilliseconds { seconds } => {
                let mut s = String::from("t is in milliseconds, not seconds");
                let _ = write!(s, " (as seconds it would be {seconds}, {})", super::time::format_utc(*seconds));
                s.push_str(": the signer used Date.now() or currentTimeMillis(); write Unix seconds");
                s
            }
        }
    }

    /// For interop hints, the official SDKs whose verifiers reject this signature.
    pub fn rejected_by(&self) -> &'static [&'static str] {
        match self {
            Hint::UppercaseHex => UPPERCASE_HEX_REJECTED_BY,
            Hint::NoncanonicalTimestamp => NONCANONICAL_T_REJECTED_BY,
            Hint::TimestampMilliseconds { .. } => MILLISECONDS_REJECTED_BY,
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

/// Verifies like [`crate::protocol::signature::verify`], then explains: on a mismatch it tries the
/// usual mistakes and names the ones that make the MAC match; on a valid signature it names
/// interop risks; outside the window it says when `t` looks like milliseconds.
pub fn diagnose(secret: &Secret, header: Option<&str>, body: &[u8], now: i64, tolerance: u64) -> Diagnosis {
    let parsed = match parse_present(header) {
        Ok(h) => h,
        Err(r) => {
            return Diagnosis { reason: r.reason, detail: r.detail, header: None, mac_matches: None, hints: vec![] };
        }
    };
    let mac_ok = mac_matches(secret.expose().as_bytes(), &parsed.t_raw, body, &parsed.v1);
    let in_window = within_window(parsed.timestamp, now, tolerance);
    let (reason, detail) = if !in_window {
        (Reason::TimestampOutOfWindow, window_detail(parsed.timestamp, now, tolerance))
    } else if mac_ok {
        (Reason::Ok, "the signature is valid".to_string())
    } else {
        (Reason::SignatureMismatch, "the signature does not match the body and secret".to_string())
    };
    let mut hints = Vec::new();
    if !in_window || mac_ok {
        if let Some(seconds) = milliseconds_as_seconds(parsed.timestamp, now) {
            hints.push(Hint::TimestampMilliseconds { seconds });
        }
    }
    if in_window && mac_ok {
        if parsed.uppercase_hex() {
            hints.push(Hint::UppercaseHex);
        }
        if parsed.noncanonical_timestamp() {
            hints.push(Hint::NoncanonicalTimestamp);
        }
    } else if in_window {
        hints = mismatch_hints(secret.expose(), &parsed, body);
        hints = received_form(hints, body);
    }
    Diagnosis { reason, detail, header: Some(parsed), mac_matches: Some(mac_ok), hints }
}

/// `t / 1000` when `t` has the 13 digits of a millisecond clock and, read as seconds, is within a
/// day of `now`: far enough to forgive a skewed clock, near enough not to fire on random numbers.
fn milliseconds_as_seconds(t: i64, now: i64) -> Option<i64> {
    let seconds = t / 1000;
    (t.unsigned_abs() >= 100_000_000_000 && within_window(seconds, now, 86_400)).then_some(seconds)
}

/// Tries each usual mistake alone, then a secret mistake combined with a body mistake, and names a
/// consumed body last: nothing can be recomputed from it, so it is only the explanation left.
/// Body variants are rendered one at a time and dropped, so a 16 MiB body costs one copy, not ten.
fn mismatch_hints(secret: &str, header: &SignatureHeader, body: &[u8]) -> Vec<Hint> {
    let matches = |key: &[u8], body: &[u8]| mac_matches(key, &header.t_raw, body, &header.v1);
    if header.noncanonical_timestamp() {
        let canonical = header.timestamp.to_string();
        if mac_matches(secret.as_bytes(), &canonical, body, &header.v1) {
            return vec![Hint::NoncanonicalTimestampSignedAsInteger { canonical }];
        }
    }
    let secrets = secret_variants(secret);
    for (hint, key) in &secrets {
        if matches(key.as_bytes(), body) {
            return vec![hint.clone()];
        }
    }
    let mut combined = None;
    for_each_body_variant(body, |hint, variant| {
        if matches(secret.as_bytes(), variant) {
            return Some(vec![hint.clone()]);
        }
        if combined.is_none() {
            combined = secrets
                .iter()
                .find(|(_, key)| matches(key.as_bytes(), variant))
                .map(|(secret_hint, _)| vec![secret_hint.clone(), hint.clone()]);
        }
        None
    })
    .or(combined)
    .unwrap_or_else(|| if looks_consumed(body) { vec![Hint::EmptyBody] } else { Vec::new() })
}

/// When nothing explains a mismatch, or only a re-rendering of the body does, and the body given
/// is itself in a receiver library's form ([`super::reserialize::recognise`]), that is the hint:
/// a receiver verified its own re-serialisation. Naming the rendering that matched instead would
/// call PHP's or Python's output "compacted", the form Top.gg sent rather than the one given.
fn received_form(hints: Vec<Hint>, body: &[u8]) -> Vec<Hint> {
    let matches = match hints.as_slice() {
        [] => None,
        [Hint::ReserializedJson(form)] => Some(*form),
        _ => return hints,
    };
    match super::reserialize::recognise(body) {
        Some(form) => vec![Hint::ReceivedReserialized { form, matches }],
        None => hints,
    }
}

/// What a handler sees after a body parser took the stream: nothing, or what printing the parsed
/// (or missing) object gives in JavaScript.
fn looks_consumed(body: &[u8]) -> bool {
    let trimmed = body.trim_ascii();
    trimmed.is_empty() || [&b"{}"[..], b"[object Object]", b"undefined", b"null"].contains(&trimmed)
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

/// Calls `f` with each body variant in the order hints are tried, until it returns `Some`:
/// byte-level accidents before re-serialisation, since re-serialising also removes a trailing
/// newline or CRLFs and would otherwise hide the simpler cause. A JSON form that gives the same
/// bytes as the body or an earlier form is skipped (compared by SHA-256), so the simpler name wins.
fn for_each_body_variant<T>(body: &[u8], mut f: impl FnMut(&Hint, &[u8]) -> Option<T>) -> Option<T> {
    use sha2::{Digest, Sha256};
    if let Some(stripped) = body.strip_suffix(b"\r\n").or_else(|| body.strip_suffix(b"\n")) {
        if let Some(found) = f(&Hint::TrailingNewline { body_has_extra: true }, stripped) {
            return Some(found);
        }
    } else {
        let mut with = body.to_vec();
        with.push(b'\n');
        if let Some(found) = f(&Hint::TrailingNewline { body_has_extra: false }, &with) {
            return Some(found);
        }
    }
    let converted = if contains(body, b"\r\n") {
        Some((Hint::LineEndings { signed_crlf: false }, replace_bytes(body, b"\r\n", b"\n")))
    } else if body.contains(&b'\n') {
        Some((Hint::LineEndings { signed_crlf: true }, replace_bytes(body, b"\n", b"\r\n")))
    } else {
        None
    };
    if let Some((hint, bytes)) = converted
        && let Some(found) = f(&hint, &bytes)
    {
        return Some(found);
    }
    let value = serde_json::from_slice::<serde_json::Value>(body).ok()?;
    let mut seen = vec![Sha256::digest(body)];
    for form in JsonForm::ALL {
        let rendered = form.render(&value);
        let digest = Sha256::digest(&rendered);
        if seen.contains(&digest) {
            continue;
        }
        seen.push(digest);
        if let Some(found) = f(&Hint::ReserializedJson(form), &rendered) {
            return Some(found);
        }
    }
    None
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `haystack` with every non-overlapping `from` replaced by `to`, left to right (`from` must not
/// be empty). Used here for line endings and by the inspector to mask secrets in raw requests.
pub fn replace_bytes(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
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

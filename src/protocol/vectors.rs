//! Language-neutral signature test vectors, generated: one case per reason and per hint code, each
//! hint with a near miss that must not be named, for SDK and bot authors to test their verifiers.
//!
//! `topgg-int vectors` writes [`to_json`] and [`README`]; tests/vectors/signature-vectors.json is
//! that output, drift-tested, so the file the tests use is the file the command writes. Everything
//! is fixed (secret, clock, bodies): the output is the same on every machine. No I/O here.

use serde::Serialize;
use serde_json::json;

use super::reserialize::JsonForm;
use super::secret::Secret;
use super::signature::{compute_mac, header_value, sign};

/// The file name the vectors are written under.
pub const FILE_NAME: &str = "signature-vectors.json";

/// The secret every case verifies with.
pub const SECRET: &str = "whs_0123456789abcdef";

/// The verifier's clock in every case unless it says otherwise (2026-02-09 00:47:14 UTC).
pub const NOW: i64 = 1_770_598_034;

/// One case, in the same shape as shared/vectors/signatures.json plus a `description`.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// Unique, kebab-case.
    pub name: String,
    /// What the case is about, for a reader of the file.
    pub description: &'static str,
    /// The secret the verifier uses.
    pub secret: String,
    /// The `x-topgg-signature` value; `null` means the header is absent.
    pub header: Option<String>,
    /// The exact body bytes (all cases are UTF-8).
    pub body: String,
    /// The verifier's clock, Unix seconds.
    pub now: i64,
    /// The replay window in seconds; 0 disables it.
    pub tolerance_s: u64,
    /// `valid` or `invalid`.
    pub expect: &'static str,
    /// The reason code.
    pub reason: &'static str,
    /// The hint a diagnosing verifier should name, if any.
    pub hint: Option<&'static str>,
}

/// The body most cases sign: a `vote.create` with a slash, non-ASCII and `<>&` in it, so that
/// every re-serialisation below changes some bytes.
pub fn body() -> String {
    json!({
        "type": "vote.create",
        "data": {
            "id": "808499215864008704",
            "weight": 1,
            "created_at": "2026-02-09T00:47:14.2510149+00:00",
            "expires_at": "2026-02-09T12:47:14.2510149+00:00",
            "project": {"id": "803190510032756736", "type": "bot", "platform": "discord", "platform_id": "160105994217586689"},
            "user": {
                "id": "140862798832861184",
                "platform_id": "160105994217586689",
                "name": "Zoë 🚀 東京",
                "avatar_url": "https://cdn.discordapp.com/avatars/1/a.png"
            },
            "query": {"ref": "tom & jerry <3"}
        }
    })
    .to_string()
}

fn form(f: JsonForm, body: &str) -> String {
    // The body above is valid JSON and every form writes UTF-8.
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    String::from_utf8(f.render(&value)).unwrap_or_default()
}

/// `body` as .NET's System.Text.Json writes it by default, the form a .NET sender such as Top.gg
/// produces: `+ < > & '` and every non-ASCII character as upper-case `\uXXXX`. Those characters
/// only occur inside strings in [`body`], so escaping them in the whole text is exact.
fn dotnet(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 64);
    for c in body.chars() {
        if matches!(c, '+' | '<' | '>' | '&' | '\'') || !c.is_ascii() {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn signed(secret: &str, t: i64, body: &str) -> String {
    sign(&Secret::new(secret), t, body.as_bytes())
}

/// `t` written as given, MAC over `mac_t`.
fn signed_raw(secret: &str, t: &str, mac_t: &str, body: &str) -> String {
    let mac = compute_mac(secret.as_bytes(), mac_t, body.as_bytes());
    header_value(t, &mac)
}

/// Every case, in a stable order.
pub fn cases() -> Vec<Case> {
    let b = body();
    let other = "whs_not_this_connections_secret";
    let bare = SECRET.strip_prefix("whs_").unwrap_or(SECRET);
    let pretty = form(JsonForm::Pretty2, &b);
    let crlf = pretty.replace('\n', "\r\n");
    let n = NOW.to_string();
    let zero_t = format!("0{n}");
    let ms_t = NOW * 1000 + 123;
    let valid = signed(SECRET, NOW, &b);
    let sent = dotnet(&b);
    let sent_signed = signed(SECRET, NOW, &sent);
    let v1 = valid.split_once(",v1=").map(|(_, v)| v.to_string()).unwrap_or_default();

    // (name, description, header, body, now, tolerance, reason, hint)
    type Row = (&'static str, &'static str, Option<String>, String, i64, u64, &'static str, Option<&'static str>);
    let rows: Vec<Row> = vec![
        ("valid", "a correct delivery", Some(valid.clone()), b.clone(), NOW, 30, "ok", None),
        ("valid-window-edge", "30 s old with a 30 s window", Some(valid.clone()), b.clone(), NOW + 30, 30, "ok", None),
        (
            "valid-window-disabled",
            "ten days old, window 0",
            Some(valid.clone()),
            b.clone(),
            NOW + 864_000,
            0,
            "ok",
            None,
        ),
        ("missing-header", "no x-topgg-signature at all", None, b.clone(), NOW, 30, "missing-header", None),
        (
            "empty-header",
            "x-topgg-signature with an empty value",
            Some(String::new()),
            b.clone(),
            NOW,
            30,
            "missing-header",
            None,
        ),
        ("malformed-missing-v1", "t but no v1", Some(format!("t={n}")), b.clone(), NOW, 30, "malformed-header", None),
        (
            "malformed-space-in-t",
            "no trimming: t= 1 is not an integer",
            Some(format!("t= {n},v1={v1}")),
            b.clone(),
            NOW,
            30,
            "malformed-header",
            None,
        ),
        (
            "malformed-v1-appended",
            "a valid v1 with characters appended (the node SDK accepts it)",
            Some(format!("{valid}00")),
            b.clone(),
            NOW,
            30,
            "malformed-header",
            None,
        ),
        (
            "stale",
            "31 s old, window 30 s",
            Some(valid.clone()),
            b.clone(),
            NOW + 31,
            30,
            "timestamp-out-of-window",
            None,
        ),
        (
            "future",
            "31 s ahead, window 30 s",
            Some(valid.clone()),
            b.clone(),
            NOW - 31,
            30,
            "timestamp-out-of-window",
            None,
        ),
        (
            "wrong-secret",
            "signed with another secret: nothing explains it",
            Some(signed(other, NOW, &b)),
            b.clone(),
            NOW,
            30,
            "signature-mismatch",
            None,
        ),
        (
            "tampered-body",
            "one byte of the body changed",
            Some(valid.clone()),
            b.replacen("\"weight\":1", "\"weight\":2", 1),
            NOW,
            30,
            "signature-mismatch",
            None,
        ),
        (
            "hint-secret-prefix",
            "signed with the secret minus its whs_ prefix",
            Some(signed(bare, NOW, &b)),
            b.clone(),
            NOW,
            30,
            "signature-mismatch",
            Some("secret-prefix"),
        ),
        (
            "hint-secret-whitespace",
            "signed with the secret plus a newline",
            Some(signed(&format!("{SECRET}\n"), NOW, &b)),
            b.clone(),
            NOW,
            30,
            "signature-mismatch",
            Some("secret-whitespace"),
        ),
        (
            "hint-reserialized-json",
            "signed over the body pretty-printed",
            Some(signed(SECRET, NOW, &pretty)),
            b.clone(),
            NOW,
            30,
            "signature-mismatch",
            Some("reserialized-json"),
        ),
        (
            "hint-php-json-encode",
            "signed over PHP json_encode of the body",
            Some(signed(SECRET, NOW, &form(JsonForm::PhpJsonEncode, &b))),
            b.clone(),
            NOW,
            30,
            "signature-mismatch",
            Some("php-json-encode"),
        ),
        (
            "hint-go-json",
            "signed over Go json.Marshal of the body as a map",
            Some(signed(SECRET, NOW, &form(JsonForm::GoJson, &b))),
            b.clone(),
            NOW,
            30,
            "signature-mismatch",
            Some("go-json"),
        ),
        (
            "hint-sorted-keys",
            "signed over Python json.dumps(sort_keys=True)",
            Some(signed(SECRET, NOW, &form(JsonForm::PythonSortKeys, &b))),
            b.clone(),
            NOW,
            30,
            "signature-mismatch",
            Some("sorted-keys"),
        ),
        // The direction a broken receiver produces: Top.gg's compact body (with .NET's escapes)
        // signed, the receiver's own re-serialisation of it given. Named whatever the secret (no
        // near miss exists): the signed bytes cannot be rebuilt from these.
        (
            "hint-received-go-json",
            "Top.gg's body signed; given as a Go receiver re-serialised it (json.Marshal of a map)",
            Some(sent_signed.clone()),
            form(JsonForm::GoJson, &sent),
            NOW,
            30,
            "signature-mismatch",
            Some("go-json"),
        ),
        (
            "hint-received-php-json-encode",
            "Top.gg's body signed; given as a PHP receiver re-serialised it (json_encode)",
            Some(sent_signed.clone()),
            form(JsonForm::PhpJsonEncode, &sent),
            NOW,
            30,
            "signature-mismatch",
            Some("php-json-encode"),
        ),
        (
            "hint-received-sorted-keys",
            "Top.gg's body signed; given with its keys sorted, compact",
            Some(sent_signed.clone()),
            form(JsonForm::SortedCompact, &sent),
            NOW,
            30,
            "signature-mismatch",
            Some("sorted-keys"),
        ),
        (
            "hint-received-python-sort-keys",
            "Top.gg's body signed; given as Python json.dumps(sort_keys=True) re-serialised it",
            Some(sent_signed.clone()),
            form(JsonForm::PythonSortKeys, &sent),
            NOW,
            30,
            "signature-mismatch",
            Some("sorted-keys"),
        ),
        (
            "hint-received-python-json-dumps",
            "Top.gg's body signed; given as a Python receiver re-serialised it (json.dumps)",
            Some(sent_signed.clone()),
            form(JsonForm::PythonDumps, &sent),
            NOW,
            30,
            "signature-mismatch",
            Some("python-json-dumps"),
        ),
        (
            "hint-received-pretty-printed",
            "Top.gg's body signed; given pretty-printed",
            Some(sent_signed.clone()),
            form(JsonForm::Pretty2, &sent),
            NOW,
            30,
            "signature-mismatch",
            Some("pretty-printed"),
        ),
        (
            "hint-trailing-newline",
            "signed with a trailing newline the body lost",
            Some(signed(SECRET, NOW, &format!("{b}\n"))),
            b.clone(),
            NOW,
            30,
            "signature-mismatch",
            Some("trailing-newline"),
        ),
        (
            "hint-line-endings",
            "signed with CRLF, checked with LF",
            Some(signed(SECRET, NOW, &crlf)),
            pretty.clone(),
            NOW,
            30,
            "signature-mismatch",
            Some("line-endings"),
        ),
        (
            "hint-empty-body",
            "a correct signature checked against an empty body",
            Some(valid.clone()),
            String::new(),
            NOW,
            30,
            "signature-mismatch",
            Some("empty-body"),
        ),
        (
            "hint-noncanonical-timestamp-integer-mac",
            "t written with a leading zero, MAC over t as an integer (python and rust accept it)",
            Some(signed_raw(SECRET, &zero_t, &n, &b)),
            b.clone(),
            NOW,
            30,
            "signature-mismatch",
            Some("noncanonical-timestamp"),
        ),
        (
            "hint-timestamp-milliseconds",
            "t in milliseconds, MAC over t as written",
            Some(signed_raw(SECRET, &ms_t.to_string(), &ms_t.to_string(), &b)),
            b.clone(),
            NOW,
            30,
            "timestamp-out-of-window",
            Some("timestamp-milliseconds"),
        ),
        (
            "interop-uppercase-hex",
            "valid, but v1 in upper case (python, go, java reject it)",
            Some(valid.replace(&v1, &v1.to_uppercase())),
            b.clone(),
            NOW,
            30,
            "ok",
            Some("uppercase-hex"),
        ),
        (
            "interop-noncanonical-timestamp",
            "valid over t as written with a leading zero (python, rust reject it)",
            Some(signed_raw(SECRET, &zero_t, &zero_t, &b)),
            b.clone(),
            NOW,
            30,
            "ok",
            Some("noncanonical-timestamp"),
        ),
        // Near misses: the same change to the bytes, signed with another secret, so no hint applies.
        (
            "near-miss-secret-whitespace",
            "another secret plus a newline",
            Some(signed(&format!("{other}\n"), NOW, &b)),
            b.clone(),
            NOW,
            30,
            "signature-mismatch",
            None,
        ),
        (
            "near-miss-reserialized-json",
            "the body pretty-printed, another secret",
            Some(signed(other, NOW, &pretty)),
            b.clone(),
            NOW,
            30,
            "signature-mismatch",
            None,
        ),
        (
            "near-miss-php-json-encode",
            "PHP json_encode, another secret",
            Some(signed(other, NOW, &form(JsonForm::PhpJsonEncode, &b))),
            b.clone(),
            NOW,
            30,
            "signature-mismatch",
            None,
        ),
        (
            "near-miss-go-json",
            "Go json.Marshal, another secret",
            Some(signed(other, NOW, &form(JsonForm::GoJson, &b))),
            b.clone(),
            NOW,
            30,
            "signature-mismatch",
            None,
        ),
        (
            "near-miss-sorted-keys",
            "sorted keys, another secret",
            Some(signed(other, NOW, &form(JsonForm::PythonSortKeys, &b))),
            b.clone(),
            NOW,
            30,
            "signature-mismatch",
            None,
        ),
        (
            "near-miss-trailing-newline",
            "a trailing newline, another secret",
            Some(signed(other, NOW, &format!("{b}\n"))),
            b.clone(),
            NOW,
            30,
            "signature-mismatch",
            None,
        ),
        (
            "near-miss-line-endings",
            "given with CRLF, signed with LF and another secret",
            Some(signed(other, NOW, &pretty)),
            crlf,
            NOW,
            30,
            "signature-mismatch",
            None,
        ),
        (
            "near-miss-noncanonical-timestamp",
            "a leading zero, MAC over the integer t with another secret",
            Some(signed_raw(other, &zero_t, &n, &b)),
            b.clone(),
            NOW,
            30,
            "signature-mismatch",
            None,
        ),
        (
            "near-miss-timestamp-milliseconds",
            "t ten minutes old in seconds, not milliseconds",
            Some(signed(SECRET, NOW - 600, &b)),
            b,
            NOW,
            30,
            "timestamp-out-of-window",
            None,
        ),
    ];
    rows.into_iter()
        .map(|(name, description, header, body, now, tolerance_s, reason, hint)| Case {
            name: name.into(),
            description,
            secret: SECRET.into(),
            header,
            body,
            now,
            tolerance_s,
            expect: if reason == "ok" { "valid" } else { "invalid" },
            reason,
            hint,
        })
        .collect()
}

/// The vector file: `{"description", "cases": [Case…]}`, pretty-printed, ending in a newline.
pub fn to_json() -> String {
    let doc = json!({
        "description": "x-topgg-signature vectors generated by topgg-int: v1 = lowercase hex of \
            HMAC-SHA256(key = secret as UTF-8 bytes, message = t as written + '.' + body bytes). \
            'now' is the verifier's clock; tolerance_s 0 disables the window. See README.md.",
        "cases": cases(),
    });
    // A Value of strings and numbers always serialises.
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

/// The README written next to the vectors.
pub const README: &str = "\
# Top.gg webhook signature vectors

Generated by `topgg-int vectors`. Use them to test any verifier of Top.gg's v1 signature:

    x-topgg-signature: t=<unix seconds>,v1=<hex>
    v1 = lowercase hex of HMAC-SHA256(key = secret as UTF-8 bytes, message = \"<t>.\" + raw body bytes)

`signature-vectors.json` is `{\"description\": …, \"cases\": [case…]}`. Each case:

| field | meaning |
|---|---|
| `name`, `description` | what the case is about |
| `secret` | the secret the verifier uses (the whole string, `whs_` included) |
| `header` | the `x-topgg-signature` value; `null` means the header is absent |
| `body` | the exact body bytes, as a JSON string (UTF-8) |
| `now` | the verifier's clock, Unix seconds |
| `tolerance_s` | the replay window; `0` disables the timestamp check |
| `expect` | `valid` or `invalid`: what every verifier must decide |
| `reason` | `ok`, `missing-header` (absent or empty), `malformed-header`, `timestamp-out-of-window`, `signature-mismatch` |
| `hint` | the likely cause a diagnosing verifier names, or `null`; plain verifiers ignore it |

The rules the cases follow: an empty header is a missing one; split on `,` then on the first `=`,
no trimming, order free, unknown keys ignored, the last duplicate wins; `t` must be an integer and
`v1` exactly 64 hex digits, else the header is malformed; the window check comes before the MAC;
the MAC is over `t` exactly as written; compare in constant time.

Hint codes: `secret-prefix`, `secret-whitespace`, `reserialized-json`, `php-json-encode`, `go-json`,
`sorted-keys`, `python-json-dumps`, `pretty-printed`, `trailing-newline`, `line-endings`,
`empty-body` (mismatches), `timestamp-milliseconds` (out of window), `uppercase-hex`,
`noncanonical-timestamp` (valid here, rejected by some SDKs; also a mismatch when the MAC is over
`t` as an integer). Each hint that a changed MAC input explains has a `near-miss-…` case: the same
change to the bytes signed with another secret, where no hint may be named.

The `hint-received-…` cases go the way a broken receiver does: Top.gg's compact body is signed, and
the body given is the receiver's own re-serialisation of it (Go's `json.Marshal`, PHP's
`json_encode`, sorted keys, Python's `json.dumps`, pretty-printed). Top.gg's exact bytes cannot be
rebuilt from those, so a diagnosing verifier names the form of the bytes it was given, whatever the
secret: they have no near miss.
";

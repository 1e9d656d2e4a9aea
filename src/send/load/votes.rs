//! The votes of one load run: deliveries that differ only in their vote id (`data.id`), their
//! trace and their signature. [`Votes::delivery`] builds vote `i` the ordinary way (a
//! [`Delivery`], for the reqwest engine); a [`Template`] renders the very same request's bytes for
//! the direct engine at a fraction of the cost: the request head and the JSON body are cut once
//! into fixed pieces, and each vote splices in its id, trace, `t`, `v1` and `Content-Length`,
//! into a buffer the connection reuses, with the HMAC state keyed once ([`Signer`]) and digits and
//! hex written on the stack. No allocation and no `core::fmt` per vote.
//!
//! The template is cut from what [`Delivery::request_at`] and [`conn::encode`] produce for a model
//! vote with markers in the slots, so headers, their order and `--header` overrides cannot drift
//! from a single delivery; a slot a `--header` replaced is fixed text. Nothing here does I/O.

use serde_json::Value;

use super::conn;
use crate::protocol::generate;
use crate::protocol::signature::{SIGNATURE_HEADER, Signer, decimal_i64};
use crate::protocol::time::now_unix_nanos;
use crate::send::delivery::{Auth, Delivery};
use crate::send::target::Url;

const ID_MARKER: &str = "__topgg_int_vote_id__";
/// Mark the trace and signature slots in the model head. A NUL cannot come from the command line
/// or be in a URL; given text that holds one anyway (a secret read from a file) is caught by the
/// check in [`Votes::template`].
const TRACE_MARKER: &str = "\0trace\0";
const SIGNATURE_MARKER: &str = "\0signature\0";

/// A vote body, split around `data.id` when it has one, so a fresh id is a concatenation.
#[derive(Debug, Clone)]
pub struct VoteBody {
    prefix: Vec<u8>,
    /// `None` when there is no id to splice: every vote has the body `prefix`.
    suffix: Option<Vec<u8>>,
}

impl VoteBody {
    /// The body as `serde_json` writes `base`, split around a string at `/data/id`; when there is
    /// none (legacy votes, unusual templates) every vote is the same body.
    pub fn from_json(base: &Value) -> Self {
        let mut v = base.clone();
        let has_id = v.pointer("/data/id").is_some_and(Value::is_string);
        if has_id && let Some(slot) = v.pointer_mut("/data/id") {
            *slot = Value::String(ID_MARKER.into());
        }
        let bytes = serde_json::to_vec(&v).unwrap_or_default();
        let marker = ID_MARKER.as_bytes();
        let hits: Vec<usize> =
            bytes.windows(marker.len()).enumerate().filter(|(_, w)| *w == marker).map(|(i, _)| i).collect();
        match (has_id, hits.as_slice()) {
            (true, [at]) => {
                VoteBody { prefix: bytes[..*at].to_vec(), suffix: Some(bytes[at + marker.len()..].to_vec()) }
            }
            _ => VoteBody::fixed(serde_json::to_vec(base).unwrap_or_default()),
        }
    }

    /// The same bytes for every vote.
    pub fn fixed(bytes: Vec<u8>) -> Self {
        VoteBody { prefix: bytes, suffix: None }
    }

    /// The body's pieces for a vote whose id is `id` (decimal digits).
    fn parts<'a>(&'a self, id: &'a [u8]) -> [&'a [u8]; 3] {
        match &self.suffix {
            Some(suffix) => [&self.prefix, id, suffix],
            None => [&self.prefix, &[], &[]],
        }
    }
}

/// What makes vote `i` itself: its id (a snowflake of the millisecond it was made) and its
/// number, from which its trace follows. A retry keeps both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteKey {
    /// `data.id`.
    pub id: u64,
    /// The vote's number in the run.
    pub index: u64,
}

/// The votes of a run: a model delivery (URL, auth, `--header`s, and the trace when it is fixed),
/// the body, and where fresh traces come from.
#[derive(Debug, Clone)]
pub struct Votes {
    model: Delivery,
    body: VoteBody,
    /// Fresh traces are this (16 random hex digits, read once per run) and the vote's number in
    /// 16 hex digits; `None` sends the model's trace on every vote.
    trace_prefix: Option<[u8; 16]>,
}

impl Votes {
    /// Votes like `model` with bodies from `body`; with `fresh_traces` each vote gets its own
    /// trace, otherwise each carries `model.trace`. `model.body` is not used.
    pub fn new(model: Delivery, body: VoteBody, fresh_traces: bool) -> Self {
        let trace_prefix = fresh_traces.then(|| {
            let mut hex = [0u8; 16];
            // 16 bytes is exactly twice 8, so this cannot fail.
            let _ = hex::encode_to_slice(generate::random_bytes::<8>(), &mut hex);
            hex
        });
        Votes { model, body, trace_prefix }
    }

    /// Where the votes go.
    pub fn url(&self) -> &Url {
        &self.model.url
    }

    /// Vote `i`, made now: ids are snowflakes of the current millisecond with `i` as the low 22
    /// bits, so they are distinct without a system call per vote.
    pub fn key(&self, i: u64) -> VoteKey {
        self.begin(i).0
    }

    /// Vote `i`, made now, and the `t` of its first attempt (see [`Delivery::first_timestamp`]),
    /// from one reading of the clock.
    pub fn begin(&self, i: u64) -> (VoteKey, i64) {
        self.begin_at(i, now_unix_nanos())
    }

    /// [`begin`](Self::begin) with the time given, as Unix nanoseconds.
    pub fn begin_at(&self, i: u64, now: i128) -> (VoteKey, i64) {
        // In i64 (nanoseconds fit until 2262): two i128 divisions per vote showed in perf.
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        let now_ms = (now / 1_000_000) as u64;
        let key =
            VoteKey { id: ((now_ms.saturating_sub(generate::DISCORD_EPOCH_MS)) << 22) | (i & 0x3f_ffff), index: i };
        (key, self.model.fixed_timestamp().unwrap_or(now.div_euclid(1_000_000_000)))
    }

    /// The vote the ordinary way, as a [`Delivery`].
    pub fn delivery(&self, key: VoteKey) -> Delivery {
        let mut digits = [0u8; 20];
        let id = decimal(key.id, &mut digits);
        let mut trace = [0u8; 32];
        Delivery {
            url: self.model.url.clone(),
            body: self.body.parts(id).concat(),
            trace: match &self.trace_prefix {
                Some(prefix) => String::from_utf8_lossy(fresh_trace(prefix, key.index, &mut trace)).into_owned(),
                None => self.model.trace.clone(),
            },
            auth: self.model.auth.clone(),
            extra_headers: self.model.extra_headers.clone(),
        }
    }

    /// The template for these votes: the request [`conn::encode`] writes for
    /// [`Delivery::request_at`], cut at the slots. `None` if a rendered vote would not be the
    /// ordinary one byte for byte (a marker met in given text, say a secret read from a file);
    /// the caller then builds each vote the ordinary way.
    pub fn template(&self) -> Option<Template> {
        let template = self.cut();
        let (key, t) = self.begin(0);
        let (mut rendered, mut ordinary) = (Vec::new(), Vec::new());
        template.render(key, t, &mut rendered);
        conn::encode(&self.delivery(key).request_at(t), &mut ordinary);
        (rendered == ordinary).then_some(template)
    }

    fn cut(&self) -> Template {
        let mut model = self.model.clone();
        model.body = Vec::new();
        if self.trace_prefix.is_some() {
            model.trace = TRACE_MARKER.into();
        }
        let mut req = model.request_at(0);
        let mut signer = None;
        if let Auth::Signed { signer: s, .. } = &model.auth {
            let ours = s.sign(0, &[]);
            // Unless a --header replaced it, the signature is the one request_at just made.
            if let Some(h) =
                req.headers.iter_mut().find(|(n, v)| n.eq_ignore_ascii_case(SIGNATURE_HEADER) && *v == ours)
            {
                h.1 = SIGNATURE_MARKER.into();
                signer = Some(s.clone());
            }
        }
        let mut head = Vec::new();
        conn::encode(&req, &mut head);
        // encode ends the head with the body's length, 0 here, and the blank line.
        let end = head.len().saturating_sub(b"0\r\n\r\n".len());
        let mut pieces = Vec::new();
        let mut text = &head[..end];
        loop {
            let at = |m: &str| text.windows(m.len()).position(|w| w == m.as_bytes()).map(|i| (i, m.len()));
            let next = [(at(TRACE_MARKER), Slot::Trace), (at(SIGNATURE_MARKER), Slot::Signature)]
                .into_iter()
                .filter_map(|(hit, slot)| hit.map(|(i, len)| (i, len, slot)))
                .min_by_key(|(i, _, _)| *i);
            let Some((i, len, slot)) = next else { break };
            pieces.push(Piece::Text(text[..i].to_vec()));
            pieces.push(Piece::Slot(slot));
            text = &text[i + len..];
        }
        pieces.push(Piece::Text(text.to_vec()));
        pieces.push(Piece::Slot(Slot::Length));
        pieces.push(Piece::Text(b"\r\n\r\n".to_vec()));
        pieces.retain(|p| !matches!(p, Piece::Text(t) if t.is_empty()));
        Template { pieces, body: self.body.clone(), trace_prefix: self.trace_prefix, signer }
    }
}

/// A fresh trace: the run's prefix and the vote's number in 16 hex digits, written into `buf`.
fn fresh_trace<'a>(prefix: &[u8; 16], index: u64, buf: &'a mut [u8; 32]) -> &'a [u8] {
    buf[..16].copy_from_slice(prefix);
    // 16 bytes is exactly twice 8, so this cannot fail.
    let _ = hex::encode_to_slice(index.to_be_bytes(), &mut buf[16..]);
    &buf[..]
}

/// `n` in decimal, written into `buf` (a u64 below 2^63, as snowflakes and lengths are).
fn decimal(n: u64, buf: &mut [u8; 20]) -> &[u8] {
    decimal_i64(i64::try_from(n).unwrap_or(i64::MAX), buf)
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    Trace,
    Signature,
    Length,
}

#[derive(Debug, Clone)]
enum Piece {
    Text(Vec<u8>),
    Slot(Slot),
}

/// A vote request cut into fixed pieces and slots (see the module doc).
#[derive(Debug, Clone)]
pub struct Template {
    /// The head, up to and including the blank line.
    pieces: Vec<Piece>,
    body: VoteBody,
    trace_prefix: Option<[u8; 16]>,
    /// Present when the head has a signature slot.
    signer: Option<Signer>,
}

impl Template {
    /// Writes the vote `key` signed at `t` into `out`, replacing what was there: the bytes
    /// [`conn::encode`] writes for `votes.delivery(key).request_at(t)`.
    pub fn render(&self, key: VoteKey, t: i64, out: &mut Vec<u8>) {
        out.clear();
        let mut digits = [0u8; 20];
        let id = decimal(key.id, &mut digits);
        let body = self.body.parts(id);
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.extend_from_slice(text),
                Piece::Slot(Slot::Trace) => {
                    if let Some(prefix) = &self.trace_prefix {
                        out.extend_from_slice(fresh_trace(prefix, key.index, &mut [0; 32]));
                    }
                }
                Piece::Slot(Slot::Signature) => {
                    if let Some(signer) = &self.signer {
                        signer.sign_parts_into(t, &body, out);
                    }
                }
                Piece::Slot(Slot::Length) => {
                    let mut len = [0u8; 20];
                    out.extend_from_slice(decimal(body.iter().map(|p| p.len() as u64).sum(), &mut len));
                }
            }
        }
        for part in body {
            out.extend_from_slice(part);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::secret::Secret;
    use crate::protocol::signature::{TRACE_HEADER, verify};
    use serde_json::json;

    const SECRET: &str = "whs_load0123456789abcdef";

    fn model(auth: Auth, extra: &[(&str, &str)]) -> Delivery {
        Delivery {
            url: Url::parse("http://127.0.0.1:8080/webhooks/7?a=b").unwrap(),
            body: Vec::new(),
            trace: "fixed-trace".into(),
            auth,
            extra_headers: extra.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
        }
    }

    fn signed() -> Auth {
        Auth::Signed { signer: Signer::new(Secret::new(SECRET)), timestamp: None }
    }

    fn vote_body() -> VoteBody {
        VoteBody::from_json(&json!({"type": "vote.create", "data": {"id": "1", "weight": 1, "note": "é\u{202e}"}}))
    }

    /// The request as a single delivery sends it: `request_at`, then `encode`.
    fn ordinary(votes: &Votes, key: VoteKey, t: i64) -> Vec<u8> {
        let mut out = Vec::new();
        conn::encode(&votes.delivery(key).request_at(t), &mut out);
        out
    }

    #[test]
    fn splices_ids_into_the_body() {
        let base = json!({"type": "vote.create", "data": {"id": "1", "weight": 1}});
        let body = VoteBody::from_json(&base);
        assert_eq!(body.parts(b"42").concat(), br#"{"type":"vote.create","data":{"id":"42","weight":1}}"#);
        let whole = VoteBody::from_json(&json!({"bot": "1"}));
        assert!(whole.suffix.is_none());
        assert_eq!(whole.parts(b"42").concat(), br#"{"bot":"1"}"#);
    }

    #[test]
    fn a_templated_vote_is_the_ordinary_vote_byte_for_byte_and_verifies() {
        let votes = Votes::new(model(signed(), &[]), vote_body(), true);
        let template = votes.template().expect("a template for a plain vote");
        let mut out = Vec::new();
        for (i, t) in [(0, 1_770_598_034), (1, 1_770_598_035), (0x3f_ffff + 5, 9), (7, -3)] {
            let key = votes.key(i);
            template.render(key, t, &mut out);
            let expected = ordinary(&votes, key, t);
            assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&expected), "vote {i} at t={t}");

            // Each vote names its own id and trace, and its signature checks out on its body.
            let d = votes.delivery(key);
            let body = std::str::from_utf8(&d.body).unwrap();
            assert!(body.contains(&format!(r#""id":"{}""#, key.id)), "{body}");
            assert_eq!(d.trace.len(), 32);
            assert!(d.trace.ends_with(&format!("{i:016x}")));
            let head = String::from_utf8_lossy(&out[..out.len() - d.body.len()]).into_owned();
            assert!(head.contains(&format!("\r\n{TRACE_HEADER}: {}\r\n", d.trace)), "{head}");
            let sig = head.lines().find_map(|l| l.strip_prefix("x-topgg-signature: ")).unwrap();
            assert_eq!(verify(&Secret::new(SECRET), Some(sig), &out[out.len() - d.body.len()..], t, 0), Ok(t));
        }
        assert_ne!(votes.key(1).id, votes.key(2).id);
    }

    #[test]
    fn fixed_traces_legacy_votes_and_header_overrides_stay_as_a_single_delivery_sends_them() {
        let cases = [
            Votes::new(model(signed(), &[]), vote_body(), false),
            Votes::new(
                model(Auth::Legacy(Secret::new(SECRET)), &[]),
                VoteBody::fixed(b"{\"bot\":\"1\"}".to_vec()),
                true,
            ),
            Votes::new(
                model(signed(), &[("X-Topgg-Signature", "t=1,v1=given"), ("x-extra", "yes"), ("user-agent", "ua")]),
                vote_body(),
                true,
            ),
            Votes::new(model(signed(), &[("x-topgg-trace", "mine")]), vote_body(), true),
        ];
        for (n, votes) in cases.iter().enumerate() {
            let template = votes.template().expect("a template");
            let mut out = vec![b'x'; 3];
            for i in 0..3 {
                let key = votes.key(i);
                template.render(key, 1_770_598_034 + i as i64, &mut out);
                assert_eq!(
                    String::from_utf8_lossy(&out),
                    String::from_utf8_lossy(&ordinary(votes, key, 1_770_598_034 + i as i64)),
                    "case {n}, vote {i}"
                );
            }
        }
    }

    #[test]
    fn given_text_that_looks_like_a_slot_gets_no_template() {
        let votes = Votes::new(model(signed(), &[("x-note", TRACE_MARKER)]), vote_body(), true);
        assert!(votes.template().is_none());
    }
}

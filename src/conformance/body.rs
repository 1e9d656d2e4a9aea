//! The bytes the suite sends: events as JSON values, written the way .NET writes them so that a
//! receiver which re-serialises before verifying is caught.

use serde_json::Value;

use crate::protocol::generate;
use crate::protocol::payload::Event;

/// A body Top.gg-like senders produce and re-serialisers do not: compact JSON with non-ASCII and
/// `+ < > & ' \`` escaped as `\uXXXX`, as .NET's System.Text.Json writes by default (the 7-digit
/// fractions in Top.gg's dates are .NET's). `created_at` always has a `+`, so a receiver that
/// parses and re-serialises before verifying computes its HMAC over different bytes and fails.
pub fn encode_body(value: &Value) -> Vec<u8> {
    use serde::Serialize;
    let mut out = Vec::new();
    let res = value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, EscapingFormatter));
    // Serialising a Value into a Vec cannot fail.
    debug_assert!(res.is_ok());
    out
}

struct EscapingFormatter;

impl serde_json::ser::Formatter for EscapingFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(&mut self, w: &mut W, fragment: &str) -> std::io::Result<()> {
        let mut plain_from = 0;
        for (i, c) in fragment.char_indices() {
            if c.is_ascii() && !matches!(c, '+' | '<' | '>' | '&' | '\'' | '`') {
                continue;
            }
            w.write_all(&fragment.as_bytes()[plain_from..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(w, "\\u{unit:04X}")?;
            }
            plain_from = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[plain_from..])
    }
}

pub(super) fn event_value(event: &Event) -> Value {
    serde_json::to_value(event).unwrap_or(Value::Null)
}

/// A fresh vote.create as a JSON value; cases vary it, then [`encode_body`] makes the bytes. It
/// carries the optional `query`, as a vote from a page with a query string does, so that
/// `tolerates-missing-query` is the only case without it.
pub(super) fn vote_value() -> Value {
    let mut vote = generate::vote_create();
    vote.query = Some([("source".to_string(), "topgg-int check".to_string())].into());
    event_value(&Event::VoteCreate(vote))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_survive_no_reserialisation() {
        let v = json!({"a": "Zoë +00:00 <&>", "b": 1});
        let body = encode_body(&v);
        assert_eq!(body, br#"{"a":"Zo\u00EB \u002B00:00 \u003C\u0026\u003E","b":1}"#.to_vec());
        let parsed: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed, v);
        assert_ne!(serde_json::to_vec(&parsed).unwrap(), body);
        // Every vote has a '+' in its dates, so re-serialising always changes the bytes.
        let vote = encode_body(&vote_value());
        assert_ne!(serde_json::to_vec(&serde_json::from_slice::<Value>(&vote).unwrap()).unwrap(), vote);
    }
}

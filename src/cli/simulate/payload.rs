//! The body of a simulated request: a generated payload or a `--payload` template, then the
//! shaping flags (`--user-id`, `--project-id`, `--weight`, `--query`), then `--set` overrides. Every
//! step fails loudly with the JSON path at fault (exit 2); nothing is silently ignored.

use serde_json::{Map, Value, json};

use super::super::args::PayloadArgs;
use super::super::input::read_input;
use crate::error::{Error, Result};
use crate::output;
use crate::protocol::generate;
use crate::protocol::payload::Event;
use crate::send::overrides::{self, OverrideError};

/// What is being built.
pub(crate) enum Shape {
    /// `integration.create`, with the connection id and webhook secret to put in it when given.
    Create { connection_id: Option<String>, webhook_secret: Option<String> },
    /// `webhook.test`.
    Test,
    /// `vote.create`.
    Vote { weight: Option<i64>, query: Vec<String> },
    /// A legacy (v0) vote, bot or server.
    Legacy { server: bool, weight: Option<i64>, query: Vec<String> },
}

impl Shape {
    fn type_name(&self) -> Option<&'static str> {
        match self {
            Shape::Create { .. } => Some("integration.create"),
            Shape::Test => Some("webhook.test"),
            Shape::Vote { .. } => Some("vote.create"),
            Shape::Legacy { .. } => None,
        }
    }

    fn generate(&self) -> Result<Value> {
        let to_value = |v: std::result::Result<Value, serde_json::Error>| v.unwrap_or(Value::Null);
        Ok(match self {
            Shape::Create { .. } => to_value(serde_json::to_value(generate::integration_create()?.0)),
            Shape::Test => to_value(serde_json::to_value(generate::webhook_test())),
            Shape::Vote { .. } => to_value(serde_json::to_value(Event::VoteCreate(generate::vote_create()))),
            Shape::Legacy { server: false, .. } => to_value(serde_json::to_value(generate::legacy_bot_vote())),
            Shape::Legacy { server: true, .. } => to_value(serde_json::to_value(generate::legacy_server_vote())),
        })
    }
}

/// A built body: the JSON value and the exact bytes to send.
pub(crate) struct Built {
    pub value: Value,
    pub bytes: Vec<u8>,
}

fn set_err(e: OverrideError) -> Error {
    Error::input(e.to_string())
}

/// Builds the body. A template that nothing modifies is sent byte for byte as the file has it.
pub(crate) fn build(shape: &Shape, p: &PayloadArgs) -> Result<Built> {
    let (mut value, raw) = match &p.payload {
        Some(path) => {
            let raw = read_input(path)?;
            let value: Value = serde_json::from_slice(&raw)
                .map_err(|e| Error::input(format!("--payload {}: not JSON ({e})", path.display())))?;
            if !value.is_object() {
                return Err(Error::input(format!("--payload {}: the template is not a JSON object", path.display())));
            }
            if let Some(expected) = shape.type_name() {
                let got = value.get("type").and_then(Value::as_str);
                if got != Some(expected) {
                    output::note(format!(
                        "note: --payload {} has type {}, not {expected}; sending it as it is",
                        path.display(),
                        got.map(|t| format!("{t:?}")).unwrap_or_else(|| "none".into())
                    ));
                }
            }
            (value, Some(raw))
        }
        None => (shape.generate()?, None),
    };
    let before = value.clone();
    shape_flags(&mut value, shape, p)?;
    for s in &p.set {
        overrides::apply(&mut value, s).map_err(set_err)?;
    }
    for path in &p.unset {
        overrides::unset(&mut value, path).map_err(set_err)?;
    }
    let bytes = match raw {
        Some(raw) if value == before => raw,
        _ => serde_json::to_vec(&value).map_err(|e| Error::input(format!("could not encode the payload: {e}")))?,
    };
    Ok(Built { value, bytes })
}

fn string(s: &str) -> Value {
    Value::String(s.to_string())
}

fn shape_flags(v: &mut Value, shape: &Shape, p: &PayloadArgs) -> Result<()> {
    let legacy = matches!(shape, Shape::Legacy { .. });
    // A v0 vote has one user id, the Discord one; v1 has the Top.gg id and the Discord id apart,
    // and each flag sets only its own.
    for (value, path) in [(&p.user_id, "data.user.id"), (&p.platform_id, "data.user.platform_id")] {
        let Some(id) = value else { continue };
        let path = if legacy { "user" } else { path };
        overrides::set_value(v, path, string(id)).map_err(set_err)?;
    }
    if let Some(id) = &p.project_id {
        let path = match shape {
            Shape::Legacy { server: true, .. } => "guild",
            Shape::Legacy { server: false, .. } => "bot",
            _ => "data.project.id",
        };
        overrides::set_value(v, path, string(id)).map_err(set_err)?;
    }
    match shape {
        Shape::Create { connection_id, webhook_secret } => {
            if let Some(id) = connection_id {
                overrides::set_value(v, "data.connection_id", string(id)).map_err(set_err)?;
            }
            if let Some(s) = webhook_secret {
                overrides::set_value(v, "data.webhook_secret", string(s)).map_err(set_err)?;
            }
        }
        Shape::Vote { weight, query } => {
            if let Some(w) = weight {
                if *w < 1 {
                    crate::output::note(format!(
                        "warning: --weight {w}: Top.gg sends 1, or 2 under the weekend multiplier; sent as given"
                    ));
                }
                overrides::set_value(v, "data.weight", json!(w)).map_err(set_err)?;
            }
            if !query.is_empty() {
                let mut q = Map::new();
                for (k, val) in parse_query(query)? {
                    q.insert(k, string(&val));
                }
                let Some(data) = v.get_mut("data").and_then(Value::as_object_mut) else {
                    return Err(Error::input("--query: the payload has no data object to put query in"));
                };
                data.insert("query".into(), Value::Object(q));
            }
        }
        Shape::Legacy { weight, query, .. } => {
            if let Some(w) = weight {
                overrides::set_value(v, "isWeekend", json!(*w >= 2)).map_err(set_err)?;
            }
            if !query.is_empty() {
                // The v0 query is a query string: a space or `&` inside a value must not become a
                // separator on the receiver's side.
                let pairs: Vec<String> = parse_query(query)?
                    .into_iter()
                    .map(|(k, val)| format!("{}={}", percent_encode(&k), percent_encode(&val)))
                    .collect();
                let Some(obj) = v.as_object_mut() else {
                    return Err(Error::input("--query: the payload is not an object"));
                };
                obj.insert("query".into(), string(&format!("?{}", pairs.join("&"))));
            }
        }
        Shape::Test => {}
    }
    Ok(())
}

fn parse_query(items: &[String]) -> Result<Vec<(String, String)>> {
    items
        .iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(Error::input(format!("--query {s:?} is not KEY=VALUE (e.g. --query ref=discord)"))),
        })
        .collect()
}

/// Everything but RFC 3986's unreserved characters (letters, digits, `-._~`).
const NOT_UNRESERVED: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `s` percent-encoded for a query string: everything but RFC 3986's unreserved characters.
fn percent_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, NOT_UNRESERVED).to_string()
}

/// A string field of the payload, e.g. `data.connection_id`.
pub(crate) fn field<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    path.split('.').try_fold(v, |cur, seg| cur.get(seg)).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::percent_encode;

    #[test]
    fn query_parts_are_percent_encoded() {
        assert_eq!(percent_encode("a b&d=1"), "a%20b%26d%3D1");
        assert_eq!(percent_encode("ré/?#+"), "r%C3%A9%2F%3F%23%2B");
        assert_eq!(percent_encode("Az09-._~"), "Az09-._~");
    }
}

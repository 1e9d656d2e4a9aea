//! `--set PATH=VALUE` overrides on a JSON payload template, like the Stripe CLI's `--override`.
//!
//! Overrides fail loudly: a path the template does not have, or a value of another JSON type than
//! the one it replaces, is an error naming the path. A typo must never send an unmodified payload.

use crate::protocol::payload::kind_of;
use serde_json::Value;
use std::fmt;

/// Why an override could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverrideError {
    /// Not `PATH=VALUE`.
    Syntax(String),
    /// The path does not exist in the template; `available` lists the keys where it stopped.
    NoSuchPath {
        /// The whole path given.
        path: String,
        /// The part of the path that exists.
        found: String,
        /// Keys (or the index range) available at `found`.
        available: String,
    },
    /// `--unset` named a path the payload does not have.
    NothingToUnset {
        /// The whole path given.
        path: String,
        /// The part of the path that exists.
        found: String,
        /// Keys (or the index range) available at `found`.
        available: String,
    },
    /// The value has another JSON type than the template's.
    WrongType {
        /// The path.
        path: String,
        /// The template's type there.
        expected: &'static str,
        /// The value given.
        value: String,
    },
}

impl fmt::Display for OverrideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OverrideError::Syntax(s) => write!(f, "--set {s:?} is not PATH=VALUE (e.g. --set data.user.name=alice)"),
            OverrideError::NoSuchPath { path, found, available } => {
                let at = if found.is_empty() { "the top level".to_string() } else { found.clone() };
                write!(f, "--set {path}: the payload has no {path} ({at} has {available})")
            }
            OverrideError::NothingToUnset { path, found, available } => {
                let at = if found.is_empty() { "the top level".to_string() } else { found.clone() };
                write!(f, "--unset {path}: the payload has no {path} ({at} has {available})")
            }
            OverrideError::WrongType { path, expected, value } => {
                write!(f, "--set {path}: {path} is {expected} in the payload, and {value:?} is not")
            }
        }
    }
}

impl std::error::Error for OverrideError {}

/// Splits `PATH=VALUE` at the first `=`.
pub fn parse_assignment(s: &str) -> Result<(&str, &str), OverrideError> {
    match s.split_once('=') {
        Some((p, v)) if !p.is_empty() => Ok((p, v)),
        _ => Err(OverrideError::Syntax(s.into())),
    }
}

/// Applies `--set PATH=VALUE` to `doc`. Path segments are separated by `.`; a number indexes an
/// array. The value replaces the template's value and must have its JSON type: for a string the
/// text is taken as it is (so `--set data.user.id=123` stays a string), otherwise it is parsed as JSON.
/// A `null` in the template accepts any value.
pub fn apply(doc: &mut Value, assignment: &str) -> Result<(), OverrideError> {
    let (path, raw) = parse_assignment(assignment)?;
    let slot = lookup(doc, path)?;
    *slot = coerce(slot, path, raw)?;
    Ok(())
}

/// Removes `path` (`--unset`): an object key or an array element. A path the payload does not
/// have is an error, as for `--set`: a typo must not send the field it meant to remove.
pub fn unset(doc: &mut Value, path: &str) -> Result<(), OverrideError> {
    lookup(doc, path).map_err(|e| match e {
        OverrideError::NoSuchPath { path, found, available } => {
            OverrideError::NothingToUnset { path, found, available }
        }
        other => other,
    })?;
    let (parent, last) = match path.rsplit_once('.') {
        Some((parent, last)) => (lookup(doc, parent)?, last),
        None => (doc, path),
    };
    match parent {
        Value::Object(map) => {
            map.shift_remove(last);
        }
        Value::Array(items) => {
            if let Ok(i) = last.parse::<usize>() {
                items.remove(i);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Sets `path` to `value` with the same rules as [`apply`], for flags like `--weight`.
pub fn set_value(doc: &mut Value, path: &str, value: Value) -> Result<(), OverrideError> {
    let slot = lookup(doc, path)?;
    if !slot.is_null() && kind_of(slot) != kind_of(&value) {
        return Err(OverrideError::WrongType { path: path.into(), expected: kind_of(slot), value: value.to_string() });
    }
    *slot = value;
    Ok(())
}

fn lookup<'a>(doc: &'a mut Value, path: &str) -> Result<&'a mut Value, OverrideError> {
    // Walk read-only first to name the missing segment, then take the path as a JSON pointer.
    let mut cur: &Value = doc;
    let mut found = String::new();
    for seg in path.split('.') {
        let next = match cur {
            Value::Object(map) => map.get(seg),
            Value::Array(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        let Some(next) = next else {
            return Err(OverrideError::NoSuchPath { path: path.into(), found, available: available(cur) });
        };
        cur = next;
        if !found.is_empty() {
            found.push('.');
        }
        found.push_str(seg);
    }
    let pointer: String =
        path.split('.').map(|seg| format!("/{}", seg.replace('~', "~0").replace('/', "~1"))).collect();
    doc.pointer_mut(&pointer).ok_or_else(|| OverrideError::Syntax(path.into()))
}

fn available(v: &Value) -> String {
    match v {
        Value::Object(map) if map.is_empty() => "no keys".into(),
        Value::Object(map) => format!("keys: {}", map.keys().cloned().collect::<Vec<_>>().join(", ")),
        Value::Array(items) if items.is_empty() => "an empty array".into(),
        Value::Array(items) => format!("indexes 0 to {}", items.len() - 1),
        other => format!("a {}, with nothing inside", kind_of(other)),
    }
}

fn coerce(old: &Value, path: &str, raw: &str) -> Result<Value, OverrideError> {
    let wrong = || OverrideError::WrongType { path: path.into(), expected: kind_of(old), value: raw.into() };
    let parsed: Option<Value> = serde_json::from_str(raw).ok();
    match old {
        // A JSON string literal ("\"42\"") is honoured, anything else is the text itself.
        Value::String(_) => match parsed {
            Some(Value::String(s)) if raw.starts_with('"') => Ok(Value::String(s)),
            _ => Ok(Value::String(raw.into())),
        },
        Value::Null => Ok(parsed.unwrap_or_else(|| Value::String(raw.into()))),
        _ => match parsed {
            Some(v) if kind_of(&v) == kind_of(old) => Ok(v),
            _ => Err(wrong()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({"type": "vote.create", "data": {"weight": 1, "user": {"id": "1", "name": "bob"}, "tags": ["a", "b"], "x": null}})
    }

    #[test]
    fn sets_existing_paths_with_their_type() {
        let mut d = doc();
        apply(&mut d, "data.user.name=alice").unwrap();
        apply(&mut d, "data.user.id=123").unwrap();
        apply(&mut d, "data.weight=2").unwrap();
        apply(&mut d, "data.tags.1=c=d").unwrap();
        apply(&mut d, "data.x={\"k\":1}").unwrap();
        assert_eq!(d["data"]["user"], json!({"id": "123", "name": "alice"}));
        assert_eq!(d["data"]["weight"], json!(2));
        assert_eq!(d["data"]["tags"], json!(["a", "c=d"]));
        assert_eq!(d["data"]["x"], json!({"k": 1}));
    }

    #[test]
    fn fails_loudly() {
        let mut d = doc();
        let e = apply(&mut d, "data.user.nmae=x").unwrap_err();
        assert!(e.to_string().contains("data.user.nmae") && e.to_string().contains("keys: id, name"), "{e}");
        let e = apply(&mut d, "data.weight=heavy").unwrap_err();
        assert!(e.to_string().contains("data.weight is a number"), "{e}");
        assert!(apply(&mut d, "data.tags.2=x").is_err());
        assert!(apply(&mut d, "data.weight.x=1").is_err());
        assert!(matches!(apply(&mut d, "novalue").unwrap_err(), OverrideError::Syntax(_)));
        assert_eq!(d, doc());
    }
}

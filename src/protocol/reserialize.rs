//! The ways common languages serialise JSON again after parsing it, byte for byte.
//!
//! A verifier that parses the body and serialises it before checking the MAC checks different bytes
//! from the ones Top.gg signed. [`crate::protocol::diagnose`] renders the received body in each form
//! below and names the one whose bytes the signature covers. Pure functions; no I/O.

use serde::Serialize;
use serde_json::Value;
use std::io::{self, Write};

/// A serialisation of a JSON value, as a known library writes it.
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
    /// PHP's `json_encode($x)`: compact, `/` written `\/`, non-ASCII as `\uXXXX`.
    PhpJsonEncode,
    /// Keys sorted, compact (`JSON.stringify` of a sorted copy, canonical-JSON libraries).
    SortedCompact,
    /// Python's `json.dumps(x, sort_keys=True)`.
    PythonSortKeys,
    /// Go's `json.Marshal` of a `map[string]any`: keys sorted, compact, `<>&` as `\u003c`….
    GoJson,
}

impl JsonForm {
    /// Every form, in the order a diagnosis tries them: the plainest first, so that when two forms
    /// give the same bytes the simpler explanation is the one named.
    pub const ALL: [JsonForm; 8] = [
        JsonForm::Compact,
        JsonForm::Pretty2,
        JsonForm::Pretty4,
        JsonForm::PythonDumps,
        JsonForm::PhpJsonEncode,
        JsonForm::SortedCompact,
        JsonForm::PythonSortKeys,
        JsonForm::GoJson,
    ];

    /// What produced these bytes, for a sentence ("the body pretty-printed with 2 spaces").
    pub fn describe(self) -> &'static str {
        match self {
            JsonForm::Compact => "compacted (JSON.stringify / serde_json::to_string)",
            JsonForm::Pretty2 => "pretty-printed with 2 spaces",
            JsonForm::Pretty4 => "pretty-printed with 4 spaces",
            JsonForm::PythonDumps => "in Python json.dumps default form",
            JsonForm::PhpJsonEncode => "as PHP json_encode writes it (\\/ and \\uXXXX escapes)",
            JsonForm::SortedCompact => "with its keys sorted",
            JsonForm::PythonSortKeys => "as Python json.dumps(sort_keys=True) writes it",
            JsonForm::GoJson => "as Go encoding/json writes a map (keys sorted, <>& as \\u003c \\u003e \\u0026)",
        }
    }

    /// `value` serialised in this form.
    pub fn render(self, value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        let sorted;
        let value = if matches!(self, JsonForm::SortedCompact | JsonForm::PythonSortKeys | JsonForm::GoJson) {
            sorted = sort_keys(value);
            &sorted
        } else {
            value
        };
        let res = match self {
            JsonForm::Compact | JsonForm::SortedCompact => serde_json::to_writer(&mut out, value),
            JsonForm::Pretty2 => serde_json::to_writer_pretty(&mut out, value),
            JsonForm::Pretty4 => {
                let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
                value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, fmt))
            }
            JsonForm::PythonDumps | JsonForm::PythonSortKeys => {
                value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, PythonFormatter))
            }
            JsonForm::PhpJsonEncode => {
                value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, PhpFormatter))
            }
            JsonForm::GoJson => value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, GoFormatter)),
        };
        // Serialising a Value into a Vec cannot fail.
        debug_assert!(res.is_ok());
        out
    }
}

/// A copy with every object's keys in byte order, as Go and Python's `sort_keys` order them (both
/// compare code points, which for UTF-8 is byte order).
fn sort_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k.clone(), sort_keys(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

/// Writes `c` as `\uXXXX` escapes (a surrogate pair above U+FFFF), lower-case hex as Python, PHP
/// and Go all write them.
fn write_u_escape<W: ?Sized + Write>(w: &mut W, c: char) -> io::Result<()> {
    let mut units = [0u16; 2];
    for unit in c.encode_utf16(&mut units) {
        write!(w, "\\u{unit:04x}")?;
    }
    Ok(())
}

/// Python's `json.dumps` defaults: `", "` and `": "` separators, `ensure_ascii=True`.
struct PythonFormatter;

impl serde_json::ser::Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, fragment: &str) -> io::Result<()> {
        for c in fragment.chars() {
            if c.is_ascii() { w.write_all(&[c as u8])? } else { write_u_escape(w, c)? }
        }
        Ok(())
    }
}

/// PHP's `json_encode` defaults: compact, `\/`, non-ASCII escaped (no `JSON_UNESCAPED_*` flags).
struct PhpFormatter;

impl serde_json::ser::Formatter for PhpFormatter {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, fragment: &str) -> io::Result<()> {
        for c in fragment.chars() {
            match c {
                '/' => w.write_all(b"\\/")?,
                c if c.is_ascii() => w.write_all(&[c as u8])?,
                c => write_u_escape(w, c)?,
            }
        }
        Ok(())
    }
}

/// Go's `encoding/json`: compact, HTML-safe (`<`, `>`, `&`) and U+2028/U+2029 escaped, other
/// non-ASCII written as is.
struct GoFormatter;

impl serde_json::ser::Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, fragment: &str) -> io::Result<()> {
        let mut buf = [0u8; 4];
        for c in fragment.chars() {
            match c {
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => write_u_escape(w, c)?,
                c => w.write_all(c.encode_utf8(&mut buf).as_bytes())?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(form: JsonForm, json: &str) -> String {
        String::from_utf8(form.render(&serde_json::from_str(json).unwrap())).unwrap()
    }

    #[test]
    fn python_form_escapes_non_ascii() {
        let out = render(JsonForm::PythonDumps, r#"{"a":["é",1],"b":"🚀"}"#);
        assert_eq!(out, r#"{"a": ["\u00e9", 1], "b": "\ud83d\ude80"}"#);
    }

    #[test]
    fn php_go_and_sorted_forms() {
        let doc = r#"{"z":"a/b é","a":{"y":"<&>","b":1}}"#;
        assert_eq!(render(JsonForm::PhpJsonEncode, doc), r#"{"z":"a\/b \u00e9","a":{"y":"<&>","b":1}}"#);
        assert_eq!(render(JsonForm::GoJson, doc), r#"{"a":{"b":1,"y":"\u003c\u0026\u003e"},"z":"a/b é"}"#);
        assert_eq!(render(JsonForm::SortedCompact, doc), r#"{"a":{"b":1,"y":"<&>"},"z":"a/b é"}"#);
        assert_eq!(render(JsonForm::PythonSortKeys, doc), r#"{"a": {"b": 1, "y": "<&>"}, "z": "a/b \u00e9"}"#);
    }
}

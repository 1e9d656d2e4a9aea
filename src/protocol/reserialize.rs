//! The ways common languages serialise JSON again after parsing it, byte for byte.
//!
//! A verifier that parses the body and serialises it before checking the MAC checks different bytes
//! from the ones Top.gg signed. [`crate::protocol::diagnose`] renders the received body in each form
//! below and names the one whose bytes the signature covers, and, in the direction broken receivers
//! produce (the bytes given are the receiver's re-rendering), [`recognise`] names the form of the
//! bytes themselves. Pure functions; no I/O.

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

    /// The hint code for a body given in this form (see [`recognise`]).
    pub fn received_code(self) -> &'static str {
        match self {
            JsonForm::GoJson => "go-json",
            JsonForm::PhpJsonEncode => "php-json-encode",
            JsonForm::SortedCompact | JsonForm::PythonSortKeys => "sorted-keys",
            JsonForm::PythonDumps => "python-json-dumps",
            JsonForm::Pretty2 | JsonForm::Pretty4 | JsonForm::Compact => "pretty-printed",
        }
    }

    /// What the bytes in this form look like and who writes them, for a body given in it.
    pub fn received_description(self) -> &'static str {
        match self {
            JsonForm::GoJson => {
                "as Go's encoding/json writes it (<, > and & as \\u003c \\u003e \\u0026; keys sorted for a map)"
            }
            JsonForm::PhpJsonEncode => "as PHP's json_encode writes it (/ as \\/, non-ASCII as \\uXXXX)",
            JsonForm::SortedCompact => {
                "compact with every object's keys sorted (Go's encoding/json of a map, a canonical-JSON library, \
                 JSON.stringify of a sorted copy)"
            }
            JsonForm::PythonSortKeys => {
                "as Python's json.dumps(sort_keys=True) writes it (keys sorted, \", \" and \": \")"
            }
            JsonForm::PythonDumps => {
                "as Python's json.dumps writes it (\", \" and \": \" separators, non-ASCII as \\uXXXX)"
            }
            JsonForm::Pretty2 | JsonForm::Pretty4 | JsonForm::Compact => {
                "pretty-printed (JSON.stringify(x, null, 2), json.dumps(x, indent=…), JSON_PRETTY_PRINT)"
            }
        }
    }

    /// How to verify the raw bytes in the frameworks that write this form.
    pub fn raw_body_fix(self) -> &'static str {
        match self {
            JsonForm::GoJson => {
                "Go: raw, _ := io.ReadAll(r.Body) and verify raw before json.Unmarshal (gin: c.GetRawData())"
            }
            JsonForm::PhpJsonEncode => {
                "PHP: $raw = file_get_contents('php://input') and verify $raw before json_decode \
                 (Laravel/Symfony: $request->getContent())"
            }
            JsonForm::PythonDumps | JsonForm::PythonSortKeys => {
                "Flask: request.get_data(); FastAPI/Starlette: await request.body(); aiohttp: await request.read(); \
                 Django: request.body"
            }
            JsonForm::SortedCompact => {
                "Go: io.ReadAll(r.Body) before json.Unmarshal; Python: request.get_data() (Flask) or await \
                 request.body() (FastAPI) before json.loads; Express: express.raw({type: 'application/json'})"
            }
            JsonForm::Compact => {
                "Express: express.raw({type: 'application/json'}) and verify req.body (a Buffer); axum: take \
                 Bytes, not Json<T>; actix-web: web::Bytes, not web::Json<T>"
            }
            JsonForm::Pretty2 | JsonForm::Pretty4 => {
                "Express: express.raw({type: 'application/json'}) and verify req.body (a Buffer); Flask: \
                 request.get_data(); PHP: file_get_contents('php://input')"
            }
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

/// The re-serialised form `body` itself is in, when it is one a receiver's JSON library writes and
/// Top.gg does not: Top.gg sends compact JSON in its own key order (`type` before `data`). This is
/// the direction a broken receiver produces: it parsed Top.gg's bytes and serialised them again
/// before verifying, so the bytes it checked are in its library's form, and Top.gg's exact bytes
/// (key order, escapes) cannot be rebuilt from them.
///
/// Recognised, in this order: pretty-printed (LF line breaks between tokens; [`JsonForm::Pretty4`]
/// when indented by 4), Python's `", "`/`": "` separators ([`JsonForm::PythonSortKeys`] when every
/// object's keys are sorted), and among compact bodies Go's `\u003c \u003e \u0026` escapes, PHP's
/// `\/` or lower-case `\uXXXX` for non-ASCII, then sorted keys. A body with upper-case `\uXXXX`
/// escapes is left alone: .NET writes those, and Top.gg is a .NET service; none of these libraries do.
pub fn recognise(body: &[u8]) -> Option<JsonForm> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let marks = Marks::scan(body);
    if marks.uppercase_escape || marks.carriage_return {
        return None;
    }
    let sorted = is_sorted(&value) && has_two_keys(&value);
    if marks.newline {
        return Some(if marks.indent == 4 { JsonForm::Pretty4 } else { JsonForm::Pretty2 });
    }
    if marks.python_separators && !marks.other_space {
        return Some(if sorted { JsonForm::PythonSortKeys } else { JsonForm::PythonDumps });
    }
    if marks.python_separators || marks.other_space {
        return None;
    }
    if marks.html_escape {
        Some(JsonForm::GoJson)
    } else if marks.slash_escape || marks.non_ascii_escape {
        Some(JsonForm::PhpJsonEncode)
    } else if sorted {
        Some(JsonForm::SortedCompact)
    } else {
        None
    }
}

/// What the bytes of a JSON document show about the serialiser that wrote them.
#[derive(Default)]
struct Marks {
    /// A line feed between tokens.
    newline: bool,
    carriage_return: bool,
    /// The indentation of the first indented line.
    indent: usize,
    /// `", "` or `": "` between tokens.
    python_separators: bool,
    /// Whitespace between tokens other than a single space after `,` or `:`.
    other_space: bool,
    /// `\/` in a string.
    slash_escape: bool,
    /// `\u003c`, `\u003e` or `\u0026`, lower case (Go).
    html_escape: bool,
    /// A lower-case `\uXXXX` for a character above U+007F (PHP, Python).
    non_ascii_escape: bool,
    /// A `\uXXXX` with upper-case hex digits (.NET).
    uppercase_escape: bool,
}

impl Marks {
    fn scan(body: &[u8]) -> Marks {
        let mut m = Marks::default();
        let mut in_string = false;
        let mut i = 0;
        while i < body.len() {
            let b = body[i];
            if in_string {
                match b {
                    b'"' => in_string = false,
                    b'\\' => {
                        match body.get(i + 1) {
                            Some(b'/') => m.slash_escape = true,
                            Some(b'u') => {
                                let hex = body.get(i + 2..i + 6).unwrap_or_default();
                                m.note_u_escape(hex);
                                i += 4;
                            }
                            _ => {}
                        }
                        i += 1;
                    }
                    _ => {}
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'\n' => {
                        m.newline = true;
                        if m.indent == 0 {
                            m.indent = body[i + 1..].iter().take_while(|&&c| c == b' ').count();
                        }
                    }
                    b'\r' => m.carriage_return = true,
                    b' ' | b'\t' => {
                        let after_separator = matches!(body.get(i.wrapping_sub(1)), Some(b',' | b':'))
                            && b == b' '
                            && !matches!(body.get(i + 1), Some(b' ' | b'\t' | b'\n' | b'\r'));
                        if after_separator {
                            m.python_separators = true;
                        } else if !m.newline {
                            m.other_space = true;
                        }
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        m
    }

    fn note_u_escape(&mut self, hex: &[u8]) {
        if hex.len() != 4 || !hex.iter().all(u8::is_ascii_hexdigit) {
            return;
        }
        if hex.iter().any(u8::is_ascii_uppercase) {
            self.uppercase_escape = true;
            return;
        }
        match hex {
            b"003c" | b"003e" | b"0026" => self.html_escape = true,
            _ if u16::from_str_radix(std::str::from_utf8(hex).unwrap_or("0"), 16).unwrap_or(0) > 0x7f => {
                self.non_ascii_escape = true
            }
            _ => {}
        }
    }
}

/// Whether every object's keys are in byte order.
fn is_sorted(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.keys().zip(map.keys().skip(1)).all(|(a, b)| a <= b) && map.values().all(is_sorted),
        Value::Array(items) => items.iter().all(is_sorted),
        _ => true,
    }
}

/// Whether some object has two keys or more: only then does sorted order say anything.
fn has_two_keys(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.len() >= 2 || map.values().any(has_two_keys),
        Value::Array(items) => items.iter().any(has_two_keys),
        _ => false,
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
    fn recognises_the_form_of_given_bytes_and_leaves_a_senders_alone() {
        let doc = r#"{"type":"vote.create","data":{"id":"1","name":"Zoë","url":"https://x/<3 & co","n":[1,2]}}"#;
        let value: Value = serde_json::from_str(doc).unwrap();
        for form in [JsonForm::GoJson, JsonForm::PhpJsonEncode, JsonForm::PythonDumps, JsonForm::PythonSortKeys] {
            assert_eq!(recognise(&form.render(&value)), Some(form), "{form:?}");
        }
        assert_eq!(recognise(&JsonForm::Pretty2.render(&value)), Some(JsonForm::Pretty2));
        assert_eq!(recognise(&JsonForm::Pretty4.render(&value)), Some(JsonForm::Pretty4));
        let plain = r#"{"type":"vote.create","data":{"b":1,"a":"x/y"}}"#;
        assert_eq!(
            recognise(JsonForm::SortedCompact.render(&serde_json::from_str(plain).unwrap()).as_slice()),
            Some(JsonForm::SortedCompact)
        );
        // A sender's own bytes: compact in its key order, or with .NET's upper-case escapes.
        assert_eq!(recognise(doc.as_bytes()), None);
        assert_eq!(recognise(br#"{"data":{"at":"2026\u002B00:00"},"type":"vote.create"}"#), None);
        assert_eq!(recognise(br#"{"a":1}"#), None, "one key says nothing about order");
        assert_eq!(recognise(b"{\r\n  \"b\": 1,\r\n  \"a\": 2\r\n}"), None, "no serialiser writes CRLF");
        assert_eq!(recognise(b"not json"), None);
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

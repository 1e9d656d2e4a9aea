//! Text from the network made safe to print: what a client sends (paths, trace ids) must not move
//! the cursor, recolour or clear the terminal, or reorder what is shown (bidi overrides), and one
//! request must not print a screenful.

/// Characters that change how a terminal shows what follows: C0 and C1 controls (U+009B is a
/// one-byte CSI), DEL, and the bidi embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069) and marks (U+200E, U+200F, U+061C).
fn is_unsafe(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{61c}')
}

/// `s` on one line: unsafe characters, newlines and tabs included, written as `\u{1b}` escapes
/// (Rust's notation), and cut to `max` characters plus `…`. For one field of a log line.
pub fn for_terminal(s: &str, max: usize) -> String {
    escape(s, Some(max), false)
}

/// [`for_terminal`] appended to `out` (a log line built in a buffer): text of safe printable ASCII
/// within `max` is copied as is.
pub fn push_for_terminal(out: &mut Vec<u8>, s: &str, max: usize) {
    if s.len() <= max && s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        out.extend_from_slice(s.as_bytes());
    } else {
        out.extend_from_slice(escape(s, Some(max), false).as_bytes());
    }
}

/// `s` as a block of lines: like [`for_terminal`] but newlines and tabs are kept (a body's layout)
/// and nothing is cut. For text a remote party chose, such as a receiver's answer.
pub fn block_for_terminal(s: &str) -> String {
    escape(s, None, true)
}

fn escape(s: &str, max: Option<usize>, keep_layout: bool) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for (i, c) in s.chars().enumerate() {
        if Some(i) == max {
            out.push('…');
            break;
        }
        if is_unsafe(c) && !(keep_layout && matches!(c, '\n' | '\t')) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_are_escaped() {
        assert_eq!(for_terminal("/a\x1b[2Jb", 100), "/a\\u{1b}[2Jb");
        assert_eq!(for_terminal("x\u{9b}31my\u{202e}z\u{2066}", 100), "x\\u{9b}31my\\u{202e}z\\u{2066}");
        assert_eq!(for_terminal("tab\there\u{7f}", 100), "tab\\u{9}here\\u{7f}");
        assert_eq!(for_terminal("héllo ✓", 100), "héllo ✓", "other text is left alone");
    }

    #[test]
    fn a_block_keeps_its_lines_and_tabs_and_escapes_the_rest() {
        assert_eq!(block_for_terminal("a\x1b[31mb\x07\u{9b}c\r\nd\te é"), "a\\u{1b}[31mb\\u{7}\\u{9b}c\\u{d}\nd\te é");
        assert_eq!(block_for_terminal("x\u{202e}y"), "x\\u{202e}y", "bidi overrides are escaped too");
    }

    #[test]
    fn pushed_text_is_escaped_as_for_terminal() {
        for (s, max) in [("/webhooks/1?a=b", 200), ("/a\x1b[2Jb", 100), ("héllo ✓", 3), ("abcdef", 3), ("abc", 3)] {
            let mut out = b"x".to_vec();
            push_for_terminal(&mut out, s, max);
            assert_eq!(out, format!("x{}", for_terminal(s, max)).into_bytes(), "{s:?}");
        }
    }

    #[test]
    fn long_text_is_cut() {
        assert_eq!(for_terminal(&"a".repeat(300), 200), format!("{}…", "a".repeat(200)));
        assert_eq!(for_terminal(&"a".repeat(200), 200), "a".repeat(200));
    }
}

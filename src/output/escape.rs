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

/// `s` with unsafe characters escaped (`\x1b`, `\u{202e}`) and cut to `max` characters plus `…`.
pub fn for_terminal(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 4) + 4);
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if is_unsafe(c) {
            if (c as u32) < 0x80 {
                out.push_str(&format!("\\x{:02x}", c as u32));
            } else {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
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
        assert_eq!(for_terminal("/a\x1b[2Jb", 100), "/a\\x1b[2Jb");
        assert_eq!(for_terminal("x\u{9b}31my\u{202e}z\u{2066}", 100), "x\\u{9b}31my\\u{202e}z\\u{2066}");
        assert_eq!(for_terminal("tab\there\u{7f}", 100), "tab\\x09here\\x7f");
        assert_eq!(for_terminal("héllo ✓", 100), "héllo ✓", "other text is left alone");
    }

    #[test]
    fn long_text_is_cut() {
        assert_eq!(for_terminal(&"a".repeat(300), 200), format!("{}…", "a".repeat(200)));
        assert_eq!(for_terminal(&"a".repeat(200), 200), "a".repeat(200));
    }
}

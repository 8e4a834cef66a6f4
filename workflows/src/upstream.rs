//! Text that came from a host or an API server we do not control, made fit
//! for a status message or an API error: one line, no control or bidi
//! characters, at most [`MAX_CHARS`] characters.

/// How much upstream text a message keeps.
pub const MAX_CHARS: usize = 300;

fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// `text` on one line, stripped of control and bidi characters, truncated.
pub fn tidy(text: &str) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut space = false;
    for c in text.trim().chars() {
        let c = if c.is_whitespace() { ' ' } else { c };
        if unsafe_char(c) || (c == ' ' && space) {
            continue;
        }
        space = c == ' ';
        if count == MAX_CHARS {
            out.push('…');
            break;
        }
        out.push(c);
        count += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_short_clean_line() {
        assert_eq!(tidy("  a\n\tb \x1b[31mred\u{202e}x  "), "a b [31mredx");
        let long = "y".repeat(1000);
        let t = tidy(&long);
        assert_eq!(t.chars().count(), MAX_CHARS + 1);
        assert!(t.ends_with('…'));
    }
}

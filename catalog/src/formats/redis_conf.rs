//! Arguments in `redis.conf`. Redis splits each line with `sdssplitargs` (src/sds.c): inside
//! double quotes `\\`, `\"`, `\n`, `\r`, `\t`, `\b`, `\a` and `\xHH` are escapes, and a closing
//! quote must be followed by a space or the end of the line.

use std::fmt::Write as _;

/// `value` as one double-quoted argument: `"` and `\` escaped, control characters as `\xHH`.
#[must_use]
pub fn argument(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_escapes_what_would_end_the_argument_or_the_line() {
        assert_eq!(argument(""), "\"\"");
        assert_eq!(argument("CFG"), "\"CFG\"");
        assert_eq!(argument("a\" b\\\nc"), "\"a\\\" b\\\\\\x0ac\"");
    }
}

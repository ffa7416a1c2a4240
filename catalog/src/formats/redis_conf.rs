//! Arguments in `redis.conf`. Redis splits each line with `sdssplitargs` (src/sds.c): inside
//! double quotes `\\`, `\"`, `\n`, `\r`, `\t`, `\b`, `\a` and `\xHH` are escapes, and a closing
//! quote must be followed by a space or the end of the line.

/// `value` as one double-quoted argument: `"` and `\` escaped, control characters as `\xHH`.
#[must_use]
pub fn argument(value: &str) -> String {
    super::double_quoted(value, |c| {
        c.is_ascii_control()
            .then(|| format!("\\x{:02x}", u32::from(c)))
    })
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

//! TOML strings (Telegraf's `telegraf.conf`).

/// `value` as a TOML basic string: `"` and `\` escaped, every control character (U+0000 to
/// U+001F and U+007F, which TOML does not allow raw) as `\uXXXX`.
#[must_use]
pub fn string(value: &str) -> String {
    super::double_quoted(value, |c| {
        (c.is_control() && u32::from(c) < 0x80).then(|| format!("\\u{:04X}", u32::from(c)))
    })
}

/// `values` as a TOML array of [`string`]s.
#[must_use]
pub fn list<S: AsRef<str>>(values: &[S]) -> String {
    super::bracketed(values, string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_quotes_backslashes_and_control_characters() {
        assert_eq!(string("a"), "\"a\"");
        assert_eq!(string("a\"\\\n\u{7f}é"), "\"a\\\"\\\\\\u000A\\u007Fé\"");
        assert_eq!(list(&["x", "y"]), "[\"x\", \"y\"]");
    }
}

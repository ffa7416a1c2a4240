//! TOML strings (Telegraf's `telegraf.conf`).

/// `value` as a TOML basic string: `"` and `\` escaped, every control character (U+0000 to
/// U+001F and U+007F, which TOML does not allow raw) as `\uXXXX`, and `$` as `\u0024`. Telegraf
/// replaces `${VAR}` in the file's text before it parses it as TOML
/// (<https://docs.influxdata.com/telegraf/v1/configuration/environment-variables/>), so a `$`
/// written raw could pull an environment variable (a Secret) into any part of the file; the
/// escape is decoded only by the TOML parser, after the substitution.
#[must_use]
pub fn string(value: &str) -> String {
    super::double_quoted(value, |c| {
        (c == '$' || (c.is_control() && u32::from(c) < 0x80))
            .then(|| format!("\\u{:04X}", u32::from(c)))
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
    fn escapes_quotes_backslashes_control_characters_and_dollars() {
        assert_eq!(string("a"), "\"a\"");
        assert_eq!(string("a\"\\\n\u{7f}é"), "\"a\\\"\\\\\\u000A\\u007Fé\"");
        assert_eq!(string("${HOME}"), "\"\\u0024{HOME}\"");
        assert_eq!(list(&["x", "y"]), "[\"x\", \"y\"]");
    }
}

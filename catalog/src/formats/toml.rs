//! TOML strings (Telegraf's `telegraf.conf`).

use std::fmt::Write as _;

/// `value` as a TOML basic string: `"` and `\` escaped, every control character (U+0000 to
/// U+001F and U+007F, which TOML does not allow raw) as `\uXXXX`.
#[must_use]
pub fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() && u32::from(c) < 0x80 => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `values` as a TOML array of [`string`]s.
#[must_use]
pub fn list<S: AsRef<str>>(values: &[S]) -> String {
    let items: Vec<String> = values.iter().map(|v| string(v.as_ref())).collect();
    format!("[{}]", items.join(", "))
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

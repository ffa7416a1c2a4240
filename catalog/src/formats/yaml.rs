//! YAML scalars, as both YAML 1.1 (SnakeYAML: Cassandra, Elasticsearch, Kibana) and YAML 1.2 read
//! them.

/// `value` as a double-quoted scalar. Everything outside the printable ASCII range is escaped
/// (`\xXX`, `\uXXXX`, `\UXXXXXXXX`, defined in both YAML 1.1 and 1.2), so no line break (YAML 1.1
/// also breaks lines at U+0085, U+2028 and U+2029) and no non-printable character reaches the
/// file; `"` and `\` are escaped.
#[must_use]
pub fn string(value: &str) -> String {
    super::double_quoted(value, |c| match u32::from(c) {
        0x20..=0x7E => None,
        code @ 0..=0xFF => Some(format!("\\x{code:02X}")),
        code @ 0..=0xFFFF => Some(format!("\\u{code:04X}")),
        code => Some(format!("\\U{code:08X}")),
    })
}

/// `value` as a single-quoted scalar (only `'` to escape, as `''`) when it is printable ASCII, or
/// else as [`string`].
#[must_use]
pub fn single_quoted(value: &str) -> String {
    if value.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        format!("'{}'", value.replace('\'', "''"))
    } else {
        string(value)
    }
}

/// `values` as a flow sequence of [`string`]s.
#[must_use]
pub fn list<S: AsRef<str>>(values: &[S]) -> String {
    super::bracketed(values, string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parser_reads_back_the_value_and_nothing_else() {
        for value in [
            "plain",
            "",
            "a'b\"c\\d",
            "x\ny: injected",
            "\u{85}\u{2028}\u{2029}\u{7f}\u{0}\u{feff}",
            "# not a comment",
            "\u{1F600} ok",
            "yes",
        ] {
            for text in [string(value), single_quoted(value)] {
                let text = format!("key: {text}\n");
                let limits = firecamp_schema::Limits::default();
                let documents =
                    firecamp_schema::yaml::load_documents(&text, &limits).expect("parses");
                let parsed = documents[0].to_json();
                assert_eq!(parsed, serde_json::json!({ "key": value }), "{text}");
                assert!(text.lines().count() == 1 && text.is_ascii(), "{text}");
            }
        }
    }
}

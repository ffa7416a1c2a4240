//! Java `.properties` files (Kafka's `server.properties`, ZooKeeper's `zoo.cfg`, Cassandra's
//! `cassandra-rackdc.properties`), as `java.util.Properties.load` reads them: the files are read as
//! ISO 8859-1, so everything outside printable ASCII is written as `\uXXXX`.

use std::fmt::Write as _;

/// `key=value` and a line break, escaped as `Properties.store` escapes them: `\`, the separators
/// `=` and `:`, the comment marks `#` and `!`, tab, line breaks and form feed; spaces in the key
/// and a value's leading space; anything outside printable ASCII as `\uXXXX` (UTF-16 units).
#[must_use]
pub fn line(key: &str, value: &str) -> String {
    format!("{}={}\n", escape(key, true), escape(value, false))
}

fn escape(text: &str, is_key: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        match c {
            ' ' if is_key || i == 0 => out.push_str("\\ "),
            '\\' | '=' | ':' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04X}");
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_the_loader_would_read_as_syntax() {
        assert_eq!(line("dc", "eu-west-1"), "dc=eu-west-1\n");
        assert_eq!(line("a b", " x=y:z"), "a\\ b=\\ x\\=y\\:z\n");
        assert_eq!(line("k", "1\nrack=evil"), "k=1\\nrack\\=evil\n");
        assert_eq!(line("k", "#!\\"), "k=\\#\\!\\\\\n");
        assert_eq!(line("k", "é\u{1F600}"), "k=\\u00E9\\uD83D\\uDE00\n");
    }
}

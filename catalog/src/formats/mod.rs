//! Writers for the formats of the rendered files. A value from a spec reaches a config file or a
//! script only through one of these: each either writes the value so that the format's own parser
//! reads back exactly that value, or refuses a value the format cannot hold (the render then
//! fails with [`Unrepresentable`]). Validation refuses such values first, with the spec's line;
//! these make an injection impossible even where a rule is missing.

pub mod ini;
pub mod json;
pub mod pg_hba;
pub mod properties;
pub mod redis_conf;
pub mod shell;
pub mod toml;
pub mod yaml;

/// A value that a format cannot hold as one value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{format} cannot hold {reason}")]
pub struct Unrepresentable {
    /// The format.
    pub format: &'static str,
    /// What in the value it cannot hold.
    pub reason: &'static str,
}

/// `value` in double quotes with `"` and `\` backslash-escaped, every other character written by
/// `escape` when it returns an escape for it, else as it is: the shape of every double-quoted
/// string format here, which differ only in their escapes.
fn double_quoted(value: &str, escape: impl Fn(char) -> Option<String>) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => match escape(c) {
                Some(escaped) => out.push_str(&escaped),
                None => out.push(c),
            },
        }
    }
    out.push('"');
    out
}

/// `values`, each written by `item`, as `[a, b]` (a YAML flow sequence, a TOML array).
fn bracketed<S: AsRef<str>>(values: &[S], item: fn(&str) -> String) -> String {
    let items: Vec<String> = values.iter().map(|v| item(v.as_ref())).collect();
    format!("[{}]", items.join(", "))
}

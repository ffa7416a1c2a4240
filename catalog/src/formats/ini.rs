//! INI values (CouchDB's `local.ini`). CouchDB's reader has no escapes: a value runs to the end of
//! its line, a following line that starts with whitespace continues it, a `;` after whitespace
//! starts a comment, and surrounding whitespace is trimmed. So a value holds no line break, no
//! control character, no `;` and no surrounding whitespace, or it is refused.

use super::Unrepresentable;

/// `value` as an INI value.
///
/// # Errors
/// A value the format cannot hold (see the module documentation).
pub fn value(value: &str) -> Result<&str, Unrepresentable> {
    let refuse = |reason| {
        Err(Unrepresentable {
            format: "an INI value",
            reason,
        })
    };
    if value.chars().any(char::is_control) {
        return refuse("a line break or control character");
    }
    if value.contains(';') {
        return refuse("';' (it starts a comment)");
    }
    if value.trim() != value {
        return refuse("leading or trailing whitespace");
    }
    Ok(value)
}

/// `values` joined with `, ` as one INI value.
///
/// # Errors
/// One of `values` cannot be held, or holds the separator.
pub fn list<S: AsRef<str>>(values: &[S]) -> Result<String, Unrepresentable> {
    let mut items = Vec::with_capacity(values.len());
    for item in values {
        let item = value(item.as_ref())?;
        if item.contains(',') || item.is_empty() {
            return Err(Unrepresentable {
                format: "an INI list item",
                reason: "',' or nothing (the list is split on ',')",
            });
        }
        items.push(item);
    }
    Ok(items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_would_end_or_continue_the_line() {
        assert_eq!(value("https://a.example"), Ok("https://a.example"));
        assert!(value("x\n[admins]\nroot = pw").is_err());
        assert!(value("x ; comment").is_err());
        assert!(value(" x").is_err());
        assert!(value("x\u{7f}").is_err());
        assert_eq!(list(&["GET", "PUT"]), Ok("GET, PUT".to_owned()));
        assert!(list(&["GET,PUT"]).is_err());
    }
}

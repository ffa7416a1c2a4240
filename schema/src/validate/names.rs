//! Name rules: DNS-1123 labels, DNS names, AWS identifiers.

/// Longest DNS label.
pub const MAX_LABEL: usize = 63;

/// Why `name` is not a DNS-1123 label, if it is not one.
pub(crate) fn label_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("must not be empty".to_owned());
    }
    if name.len() > MAX_LABEL {
        return Some(format!(
            "\"{}\" is longer than {MAX_LABEL} characters",
            name.escape_debug()
        ));
    }
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let valid_ends = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    (!valid_chars || !valid_ends).then(|| {
        format!("\"{}\" is not a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit)", name.escape_debug())
    })
}

/// Why `name` is not a DNS name of labels separated by dots (at most 253 characters), if not.
pub(crate) fn domain_problem(written: &str) -> Option<String> {
    let name = written.strip_suffix('.').unwrap_or(written);
    if name.is_empty() {
        return Some("is empty (a domain such as example-firecamp.com is needed)".to_owned());
    }
    if written.len() > 253 {
        return Some(format!(
            "\"{}\" is longer than 253 characters",
            name.escape_debug()
        ));
    }
    if !name.contains('.') {
        return Some(format!(
            "\"{}\" needs at least two labels, e.g. example-firecamp.com",
            name.escape_debug()
        ));
    }
    name.split('.').find_map(label_problem)
}

/// True for `<prefix>-` followed by 8 or 17 lower-case hex digits, e.g. `vpc-0a1b2c3d`.
pub(crate) fn is_aws_id(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|hex| {
            (hex.len() == 8 || hex.len() == 17)
                && hex
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        })
}

/// True for a region name such as `us-east-1` or `us-gov-west-1`.
pub(crate) fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let letters = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase());
    let number = |p: &str| (1..=2).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit());
    match parts.as_slice() {
        [geo, area, n] | [geo, "gov" | "iso" | "isob", area, n] => {
            geo.len() == 2 && letters(geo) && letters(area) && number(n)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(label_problem("kafka-0"), None);
        assert!(label_problem("Kafka").is_some());
        assert!(label_problem("-a").is_some());
        assert!(label_problem("a_b").is_some());
        assert!(label_problem(&"a".repeat(64)).is_some());
    }

    #[test]
    fn domains_and_ids() {
        assert_eq!(domain_problem("prod-firecamp.com"), None);
        assert!(domain_problem("localhost").is_some());
        assert!(domain_problem("a..b").is_some());
        assert!(is_aws_id("vpc-0a1b2c3d", "vpc"));
        assert!(is_aws_id("subnet-0a1b2c3d4e5f60718", "subnet"));
        assert!(!is_aws_id("subnet-xyz", "subnet"));
        assert!(is_region("eu-west-3"));
        assert!(is_region("us-gov-west-1"));
        assert!(!is_region("useast1"));
    }
}

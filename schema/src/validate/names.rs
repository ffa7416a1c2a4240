//! Name rules: DNS-1123 labels, DNS names, AWS identifiers, CIDR blocks.

use std::net::Ipv4Addr;

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
        return Some("is empty (a domain such as prod.firecamp.internal is needed)".to_owned());
    }
    if written.len() > 253 {
        return Some(format!(
            "\"{}\" is longer than 253 characters",
            name.escape_debug()
        ));
    }
    if !name.contains('.') {
        return Some(format!(
            "\"{}\" needs at least two labels, e.g. prod.firecamp.internal",
            name.escape_debug()
        ));
    }
    name.split('.').find_map(label_problem)
}

/// What to write instead of `name`, which is not a DNS-1123 label: the nearest label (lower-cased,
/// other characters turned into `-`) when there is one.
pub(crate) fn label_hint(name: &str) -> String {
    let mut near = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if !(c == '-' && (near.is_empty() || near.ends_with('-'))) {
            near.push(c);
        }
    }
    near.truncate(MAX_LABEL);
    let near = near.trim_end_matches('-');
    if near.is_empty() || near == name {
        "use lower-case letters, digits and '-', at most 63 characters".to_owned()
    } else {
        format!("e.g. \"{near}\"")
    }
}

/// What to write instead of a domain that `domain_problem` refuses.
pub(crate) fn domain_hint(written: &str) -> String {
    let labels: Vec<String> = written
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
        .map(|l| match label_problem(l) {
            None => l.to_owned(),
            Some(_) => label_hint(l)
                .strip_prefix("e.g. ")
                .map_or_else(String::new, |q| q.trim_matches('"').to_owned()),
        })
        .filter(|l| !l.is_empty())
        .collect();
    match labels.as_slice() {
        [] => "write a domain of two or more labels, e.g. prod.firecamp.internal".to_owned(),
        [one] => format!("e.g. {one}.internal, or leave dns.domain out for the default"),
        many => format!("e.g. {}", many.join(".")),
    }
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

/// The address and prefix length of an IPv4 CIDR block of prefix /16 to /32 written in dotted
/// decimal without leading zeros (`10.0.32.0/27`), else `None`.
pub(crate) fn ipv4_cidr(text: &str) -> Option<(Ipv4Addr, u8)> {
    let (address, prefix) = text.split_once('/')?;
    let decimal = |p: &str| {
        !p.is_empty()
            && p.len() <= 3
            && p.chars().all(|c| c.is_ascii_digit())
            && (p == "0" || !p.starts_with('0'))
    };
    let octets: Vec<&str> = address.split('.').collect();
    if octets.len() != 4 || !octets.iter().all(|o| decimal(o)) || !decimal(prefix) {
        return None;
    }
    let mut bytes = [0u8; 4];
    for (byte, octet) in bytes.iter_mut().zip(&octets) {
        *byte = octet.parse().ok()?;
    }
    let prefix: u8 = prefix.parse().ok().filter(|p| (16..=32).contains(p))?;
    Some((Ipv4Addr::from(bytes), prefix))
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
        assert!(is_aws_id("sg-0a1b2c3d4e5f60719", "sg"));
    }

    #[test]
    fn cidr_blocks() {
        assert_eq!(
            ipv4_cidr("10.0.32.0/27"),
            Some((Ipv4Addr::new(10, 0, 32, 0), 27))
        );
        assert_eq!(
            ipv4_cidr("10.0.32.7/32"),
            Some((Ipv4Addr::new(10, 0, 32, 7), 32))
        );
        for bad in [
            "10.0.32.0",
            "10.0.32/27",
            "10.0.032.0/27",
            "10.0.32.0/15",
            "10.0.32.0/33",
            "256.0.0.0/16",
            "10.0.32.0/027",
            "10.0.32.0/",
            " 10.0.32.0/27",
            "a.b.c.d/16",
        ] {
            assert_eq!(ipv4_cidr(bad), None, "{bad}");
        }
    }

    #[test]
    fn hints_offer_a_name_the_rules_accept() {
        assert_eq!(label_hint("Orders_ZK"), "e.g. \"orders-zk\"");
        assert_eq!(label_hint("-Data NS-"), "e.g. \"data-ns\"");
        assert!(label_hint("___").starts_with("use lower-case"));
        for name in ["Orders_ZK", "x".repeat(80).as_str(), "a\u{1b}[2J"] {
            let hint = label_hint(name);
            let near = hint.trim_start_matches("e.g. ").trim_matches('"');
            assert_eq!(label_problem(near), None, "{name} -> {hint}");
        }
        assert_eq!(domain_hint("Prod.Example.COM"), "e.g. prod.example.com");
        assert!(domain_hint("localhost").starts_with("e.g. localhost.internal"));
        assert!(domain_hint(".").contains("two or more labels"));
    }
}

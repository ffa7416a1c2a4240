//! The names every rendered file is full of: the service's and its members', the Cluster's, the
//! namespace, the zones and the DNS domain, and what is made of them (DNS names, connect strings,
//! seed lists). Validation holds each to a DNS name; the catalog checks them again before it
//! renders anything, so that they can be written into every format without quoting: lower-case
//! letters, digits, `-` and `.` mean nothing in YAML, JSON, INI, properties, TOML, pg_hba.conf,
//! redis.conf or a shell word.

use crate::context::ServiceContext;
use crate::error::RenderError;
use crate::formats::Unrepresentable;

/// What the refused names are said to be written to: all of the service's files.
const EVERY_FILE: &str = "the rendered files";

/// Checks every name a render writes into files (see the module documentation).
///
/// # Errors
/// [`RenderError::Unrepresentable`] naming the first field whose value is not a DNS name.
pub(crate) fn check(ctx: &ServiceContext<'_>) -> Result<(), RenderError> {
    let spec = &ctx.inputs.cluster.spec;
    let zones = spec
        .zones
        .iter()
        .enumerate()
        .map(|(i, zone)| (format!("Cluster spec.zones[{i}].name"), zone.name.clone()));
    let fields = [
        ("metadata.name".to_owned(), ctx.name().to_owned()),
        (
            "Cluster metadata.name".to_owned(),
            ctx.cluster_name().to_owned(),
        ),
        ("Cluster spec.namespace".to_owned(), spec.namespace.clone()),
        ("Cluster spec.region".to_owned(), spec.region.clone()),
        ("Cluster spec.dns.domain".to_owned(), ctx.domain()),
    ]
    .into_iter()
    .chain(zones);
    for (field, value) in fields {
        if !is_plain_dns_name(&value) {
            let problem = Unrepresentable {
                format: "a name written unquoted",
                reason: "anything but a DNS name (a-z, 0-9, '-' and '.', starting and ending \
                         with a letter or digit)",
            };
            return Err(RenderError::unrepresentable(ctx.name(), &field, EVERY_FILE)(problem));
        }
    }
    Ok(())
}

/// Lower-case letters, digits, `-` and `.`, at most 253 characters, starting and ending with a
/// letter or digit.
fn is_plain_dns_name(value: &str) -> bool {
    let alphanumeric = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    value.len() <= 253
        && value.starts_with(alphanumeric)
        && value.ends_with(alphanumeric)
        && value
            .chars()
            .all(|c| alphanumeric(c) || c == '-' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::is_plain_dns_name;

    #[test]
    fn only_dns_names_are_plain() {
        for name in ["zk", "us-east-1a", "prod-firecamp.com", "a.b-c.d9"] {
            assert!(is_plain_dns_name(name), "{name}");
        }
        for name in [
            "",
            "-zk",
            "zk.",
            "Zk",
            "zk\nevil",
            "zk evil",
            "zk\"",
            "zk#",
            "zk,x",
            "zk:1",
            "zk_1",
            "zk$x",
            "zk\u{e9}",
            &"a".repeat(254),
        ] {
            assert!(!is_plain_dns_name(name), "{name:?}");
        }
    }
}

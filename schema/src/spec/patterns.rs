//! The character rules of the semantic checks written as JSON Schema `pattern`s, so an editor
//! using the schema flags a bad value as it is typed. The checks stay the judge (their messages
//! say what to do; the structural pass skips `pattern`), and a test holds each pattern to the
//! check it stands for: a pattern accepts exactly what its check accepts, lengths aside where the
//! schema also says `maxLength`. The patterns use only what both ECMA-262 (JSON Schema's dialect)
//! and the `regex` crate read alike.

/// A name written into config files (users, keyspaces, categories): `check_name`.
pub const NAME: &str = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$";

/// A DNS-1123 label (`metadata.name`, `spec.namespace`): `label_problem`.
pub const DNS_LABEL: &str = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";

/// A DNS-1123 subdomain (Consul's datacenter and domain): `is_dns_subdomain`, with
/// `maxLength: 253`.
pub const DNS_SUBDOMAIN: &str =
    r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$";

/// The cluster's DNS domain: at least two labels, a final `.` allowed (`domain_problem`), with
/// `maxLength: 253`.
pub const DOMAIN: &str =
    r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+\.?$";

/// An AWS region such as `us-east-1` or `us-gov-west-1`: `is_region`.
pub const REGION: &str = r"^[a-z]{2}-((gov|iso|isob)-)?[a-z]+-[0-9]{1,2}$";

/// A VPC id: `is_aws_id(_, "vpc")`.
pub const VPC_ID: &str = r"^vpc-([0-9a-f]{8}|[0-9a-f]{17})$";

/// A subnet id: `is_aws_id(_, "subnet")`.
pub const SUBNET_ID: &str = r"^subnet-([0-9a-f]{8}|[0-9a-f]{17})$";

/// A security group id: `is_aws_id(_, "sg")`.
pub const SECURITY_GROUP_ID: &str = r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$";

/// An IPv4 CIDR block of prefix /16 to /32, without leading zeros: `ipv4_cidr`.
pub const IPV4_CIDR: &str = r"^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])/(1[6-9]|2[0-9]|3[0-2])$";

/// An HTTP header name or method: `check_token`.
pub const TOKEN: &str = r"^[A-Za-z0-9!#$%&*+.^_`|~-]+$";

/// A URL path of `/`-separated segments, no trailing `/`: `check_path`.
pub const URL_PATH: &str = r"^(/[A-Za-z0-9._~-]+)+$";

/// A Kafka topic name, neither `.` nor `..`: `check_topic`, with `maxLength: 249`.
pub const TOPIC: &str = r"^([A-Za-z0-9_-]|\.[A-Za-z0-9_-]|\.\.[A-Za-z0-9._-])[A-Za-z0-9._-]*$";

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use regex::Regex;

    use super::*;
    use crate::problem::Problems;
    use crate::spec::text_rules::is_dns_subdomain;
    use crate::spec::text_rules::{check_name, check_path, check_token, check_topic};
    use crate::validate::names::{domain_problem, ipv4_cidr, is_aws_id, is_region, label_problem};

    /// A pattern, the check it stands for, and the `maxLength` the schema adds (in characters).
    type Pair = (&'static str, &'static str, fn(&str) -> bool, Option<usize>);

    fn passes(check: fn(&mut Problems, &str, &str), value: &str) -> bool {
        let mut problems = Problems::default();
        check(&mut problems, "f", value);
        problems.is_empty()
    }

    const PAIRS: &[Pair] = &[
        ("NAME", NAME, |v| passes(check_name, v), None),
        ("DNS_LABEL", DNS_LABEL, |v| label_problem(v).is_none(), None),
        ("DNS_SUBDOMAIN", DNS_SUBDOMAIN, is_dns_subdomain, Some(253)),
        ("DOMAIN", DOMAIN, |v| domain_problem(v).is_none(), Some(253)),
        ("REGION", REGION, is_region, None),
        ("VPC_ID", VPC_ID, |v| is_aws_id(v, "vpc"), None),
        ("SUBNET_ID", SUBNET_ID, |v| is_aws_id(v, "subnet"), None),
        (
            "SECURITY_GROUP_ID",
            SECURITY_GROUP_ID,
            |v| is_aws_id(v, "sg"),
            None,
        ),
        ("IPV4_CIDR", IPV4_CIDR, |v| ipv4_cidr(v).is_some(), None),
        ("TOKEN", TOKEN, |v| passes(check_token, v), None),
        ("URL_PATH", URL_PATH, |v| passes(check_path, v), None),
        ("TOPIC", TOPIC, |v| passes(check_topic, v), Some(249)),
    ];

    /// Strings near the rules' edges: pieces of valid values, separators, case, signs, controls,
    /// non-ASCII, repeated to every length around the limits.
    fn candidate() -> impl Strategy<Value = String> {
        let pieces: Vec<String> = [
            "a",
            "z",
            "Z",
            "0",
            "9",
            "f",
            "g",
            "-",
            ".",
            "..",
            "_",
            "/",
            "~",
            ":",
            "+",
            "!",
            "`",
            "'",
            " ",
            "\n",
            "\u{e9}",
            "vpc-",
            "subnet-",
            "sg-",
            "10",
            "255",
            "256",
            "01",
            "/16",
            "/15",
            "/32",
            "/33",
            "/2",
            "10.0.32.0/27",
            "0a1b2c3d",
            "0a1b2c3d4e5f60718",
            "us",
            "gov",
            "east",
            "-1",
            "-10",
            "-256",
            "us-east-1",
        ]
        .iter()
        .map(|p| (*p).to_owned())
        .chain(["a".repeat(62), "b".repeat(61), "c.".repeat(60)])
        .collect();
        prop::collection::vec(prop::sample::select(pieces), 0..10).prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn each_pattern_accepts_exactly_what_its_check_accepts(value in candidate()) {
            for (name, pattern, check, max_length) in PAIRS {
                let regex = Regex::new(pattern).expect("pattern compiles");
                let schema_accepts = regex.is_match(&value)
                    && max_length.is_none_or(|max| value.chars().count() <= max);
                prop_assert_eq!(schema_accepts, check(&value), "{} on {:?}", name, value);
            }
        }
    }

    #[test]
    fn the_patterns_accept_the_documented_examples() {
        for (pattern, value) in [
            (DOMAIN, "prod.firecamp.internal."),
            (IPV4_CIDR, "10.0.32.0/27"),
            (SECURITY_GROUP_ID, "sg-0a1b2c3d4e5f60719"),
            (REGION, "us-gov-west-1"),
            (TOPIC, "..logs"),
            (URL_PATH, "/kibana/app"),
            (TOKEN, "Content-Type"),
        ] {
            assert!(
                Regex::new(pattern).expect("compiles").is_match(value),
                "{value}"
            );
        }
    }
}

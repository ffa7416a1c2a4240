//! Character rules for free-text spec fields that firecamp writes into config files and start
//! scripts (pg_hba.conf, cassandra.yaml, local.ini, consul.json, kibana.yml, a connector's JSON,
//! JMX password files). A value that could end a line, a quote or a section there is refused
//! here, with the field and what is allowed, so no spec `validate` accepts can add a line or a key
//! to a rendered file. Values are shown escaped (no control character reaches a terminal).

use crate::problem::Problems;

/// Longest user, keyspace or category name accepted.
const MAX_NAME: usize = 63;

/// A name written into config files: a user, role, keyspace or category. Letters, digits,
/// `_`, `.` and `-`, starting with a letter, digit or `_`, at most 63 characters.
pub(crate) fn check_name(out: &mut Problems, field: &str, value: &str) {
    let first_ok = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let rest_ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !first_ok || !rest_ok || value.len() > MAX_NAME {
        out.add(
            field,
            format!(
                "\"{}\" is not a name firecamp can write into the config files",
                value.escape_debug()
            ),
            "use letters, digits, '_', '.' and '-', starting with a letter, digit or '_', at \
             most 63 characters",
        );
    }
}

/// Each name of a list, as [`check_name`] (field `field[i]`).
pub(crate) fn check_names(out: &mut Problems, field: &str, values: &[String]) {
    for (i, value) in values.iter().enumerate() {
        check_name(out, &format!("{field}[{i}]"), value);
    }
}

/// True for a DNS-1123 subdomain: labels of `a-z`, `0-9` and `-` (not at a label's ends), at
/// most 63 characters each, joined by `.`, at most 253 characters in all.
pub(crate) fn is_dns_subdomain(value: &str) -> bool {
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    value.len() <= 253 && value.split('.').all(label_ok)
}

/// A DNS name, as [`is_dns_subdomain`] says.
pub(crate) fn check_dns_name(out: &mut Problems, field: &str, value: &str) {
    if !is_dns_subdomain(value) {
        out.add(
            field,
            format!("\"{}\" is not a DNS name", value.escape_debug()),
            "use lower-case labels of letters, digits and '-' separated by '.', e.g. dc1",
        );
    }
}

/// A CORS origin: `*`, or `http://` / `https://` with a host and an optional port, no path.
pub(crate) fn check_origin(out: &mut Problems, field: &str, value: &str) {
    let host_port = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let valid = value == "*"
        || host_port.is_some_and(|rest| {
            let (host, port) = rest.split_once(':').unwrap_or((rest, "80"));
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
                && port.parse::<u16>().is_ok()
        });
    if !valid {
        out.add(
            field,
            format!("\"{}\" is not an origin", value.escape_debug()),
            "write * or scheme://host[:port], e.g. https://app.example.com",
        );
    }
}

/// An HTTP token (a header name or a method): RFC 9110's `tchar`s but `'`.
pub(crate) fn check_token(out: &mut Problems, field: &str, value: &str) {
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&*+-.^_`|~".contains(c);
    if value.is_empty() || !value.chars().all(tchar) {
        out.add(
            field,
            format!(
                "\"{}\" is not an HTTP header name or method",
                value.escape_debug()
            ),
            "use letters, digits and - (e.g. Content-Type, GET)",
        );
    }
}

/// A URL path: `/` and segments of letters, digits, `.`, `_`, `~` and `-`, with no trailing `/`.
pub(crate) fn check_path(out: &mut Problems, field: &str, value: &str) {
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '~' | '-'))
    };
    let valid = value
        .strip_prefix('/')
        .is_some_and(|rest| rest.split('/').all(segment_ok));
    if !valid {
        out.add(
            field,
            format!("\"{}\" is not a URL path", value.escape_debug()),
            "start with / and use letters, digits, '.', '_', '~' and '-' between the /, no \
             trailing /, e.g. /kibana",
        );
    }
}

/// A Kafka topic name: letters, digits, `.`, `_` and `-`, at most 249 characters (Kafka's own
/// rule, `org.apache.kafka.common.internals.Topic`).
pub(crate) fn check_topic(out: &mut Problems, field: &str, value: &str) {
    let valid = !value.is_empty()
        && value.len() <= 249
        && value != "."
        && value != ".."
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !valid {
        out.add(
            field,
            format!("\"{}\" is not a Kafka topic name", value.escape_debug()),
            "use letters, digits, '.', '_' and '-', at most 249 characters",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages `check` gives `value`.
    fn problems(check: fn(&mut Problems, &str, &str), value: &str) -> Vec<String> {
        let mut out = Problems::default();
        check(&mut out, "f", value);
        out.into_vec().into_iter().map(|p| p.message).collect()
    }

    #[test]
    fn values_that_could_break_out_of_a_config_line_are_refused() {
        let breakouts = [
            "all 0.0.0.0/0 trust #",
            "repl\nhost all all 0.0.0.0/0 trust",
            "DDL'\nauthenticator: AllowAllAuthenticator",
            "'",
            "admin\"",
            "a b",
            "x;y",
            "",
        ];
        for value in breakouts {
            assert_eq!(problems(check_name, value).len(), 1, "name {value:?}");
            assert_eq!(problems(check_dns_name, value).len(), 1, "dns {value:?}");
            assert_eq!(problems(check_origin, value).len(), 1, "origin {value:?}");
            assert_eq!(problems(check_token, value).len(), 1, "token {value:?}");
            assert_eq!(problems(check_path, value).len(), 1, "path {value:?}");
            assert_eq!(problems(check_topic, value).len(), 1, "topic {value:?}");
        }
        let shown = &problems(check_name, "a\nb\u{1b}[2J")[0];
        assert!(shown.contains("a\\nb\\u{1b}[2J"), "escaped: {shown}");
    }

    #[test]
    fn ordinary_values_pass() {
        for (check, value) in [
            (check_name as fn(&mut Problems, &str, &str), "replicator"),
            (check_name, "system_auth"),
            (check_name, "jmx.user-1"),
            (check_dns_name, "dc1"),
            (check_dns_name, "consul.internal"),
            (check_origin, "*"),
            (check_origin, "https://app.example.com"),
            (check_origin, "http://localhost:5984"),
            (check_token, "Content-Type"),
            (check_token, "GET"),
            (check_path, "/kibana"),
            (check_path, "/tools/kibana-7"),
            (check_topic, "logs.app_1-x"),
        ] {
            assert_eq!(problems(check, value), Vec::<String>::new(), "{value}");
        }
    }
}

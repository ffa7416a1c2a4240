//! Helpers of the structural check: JSON Schema types and formats, enum branches, and the hints
//! for unknown fields.

use serde_json::Value as Json;

use crate::suggest::closest;
use crate::yaml::{Node, Value};

pub(super) fn is_scalar(node: &Node) -> bool {
    !matches!(node.value, Value::Map(_) | Value::Seq(_))
}

/// When every branch is a `const` (a documented unit enum), the allowed values.
pub(super) fn enum_values(branches: &[Json]) -> Option<Vec<Json>> {
    branches.iter().map(|b| b.get("const").cloned()).collect()
}

pub(super) fn type_matches(types: &Json, value: &Value) -> bool {
    let one = |t: &str| match t {
        "null" => matches!(value, Value::Null),
        "boolean" => matches!(value, Value::Bool(_)),
        "integer" => matches!(value, Value::Int(_)),
        "number" => matches!(value, Value::Int(_) | Value::Float(_)),
        "string" => matches!(value, Value::String(_)),
        "array" => matches!(value, Value::Seq(_)),
        "object" => matches!(value, Value::Map(_)),
        _ => true,
    };
    match types {
        Json::String(t) => one(t),
        Json::Array(ts) => ts.iter().filter_map(Json::as_str).any(one),
        _ => true,
    }
}

pub(super) fn type_names(types: &Json) -> String {
    let name = |t: &str| match t {
        "null" => "null",
        "boolean" => "a boolean",
        "integer" => "an integer",
        "number" => "a number",
        "string" => "a string",
        "array" => "a sequence",
        "object" => "a mapping",
        _ => "a value",
    };
    match types {
        Json::String(t) => name(t).to_owned(),
        Json::Array(ts) => {
            let names: Vec<&str> = ts
                .iter()
                .filter_map(Json::as_str)
                .filter(|t| *t != "null")
                .map(name)
                .collect();
            names.join(" or ")
        }
        _ => "a value".to_owned(),
    }
}

/// What to write instead of `value`, which is not of `types`.
pub(super) fn type_hint(types: &Json, value: &Value) -> String {
    let expected = type_names(types);
    let scalar = matches!(value, Value::Bool(_) | Value::Int(_) | Value::Float(_));
    if scalar && expected.contains("a string") {
        "quote the value to make it a string".to_owned()
    } else if matches!(value, Value::String(_)) && expected.contains("an integer") {
        "write the number without quotes, e.g. 3".to_owned()
    } else if matches!(value, Value::String(_)) && expected.contains("a boolean") {
        "write true or false, without quotes".to_owned()
    } else if expected.contains("a mapping") {
        "write the fields indented below the key (key: value lines), or as {key: value}".to_owned()
    } else if expected.contains("a sequence") {
        "write a list: one \"- item\" line each, or [a, b]".to_owned()
    } else {
        format!("write {expected} here")
    }
}

pub(super) fn format_maximum(format: &str) -> Option<f64> {
    Some(match format {
        "uint8" => f64::from(u8::MAX),
        "uint16" => f64::from(u16::MAX),
        "uint32" => f64::from(u32::MAX),
        "int32" => f64::from(i32::MAX),
        #[expect(clippy::cast_precision_loss, reason = "upper bound for a range check")]
        "uint64" | "uint" => u64::MAX as f64,
        _ => return None,
    })
}

/// Hints for fields people often put in the wrong place, else a spelling suggestion.
pub(super) fn unknown_field_hint<'a>(
    key: &str,
    allowed: impl Iterator<Item = &'a str> + Clone,
) -> String {
    let known = match key {
        "namespace" => Some("the namespace is set once, in the Cluster's spec.namespace"),
        "volume" | "journalVolume" | "staticIp" => {
            Some("this kind is stateless: it has no volumes and no static IP")
        }
        "password" | "passwd" | "secret" | "token" => Some(
            "credentials are Secret references in fields named like adminPassword: {secretName: ..., key: ...}",
        ),
        _ => None,
    };
    if let Some(known) = known {
        return known.to_owned();
    }
    if let Some(suggestion) = closest(key, allowed.clone()) {
        return format!("did you mean \"{suggestion}\"?");
    }
    let mut names: Vec<&str> = allowed.collect();
    names.sort_unstable();
    format!("known fields: {}", names.join(", "))
}

pub(super) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}...", text.chars().take(max).collect::<String>())
    }
}

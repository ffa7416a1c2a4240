//! JSON files (Consul's configuration), written by serde_json.

use serde_json::Value;

/// `object` with one top-level key per line and each value on its line, as a person would lay
/// out a short config file.
#[must_use]
pub fn one_key_per_line(object: &serde_json::Map<String, Value>) -> String {
    let lines: Vec<String> = object
        .iter()
        .map(|(key, value)| format!("  {}: {}", scalar(key), inline(value)))
        .collect();
    format!("{{\n{}\n}}\n", lines.join(",\n"))
}

/// `value` on one line, with a space after each `,` and `:`.
fn inline(value: &Value) -> String {
    match value {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", scalar(k), inline(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        other => other.to_string(),
    }
}

fn scalar(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lays_out_keys_by_line_and_reads_back_the_same() {
        let value = json!({"a\"\n": [1, "x"], "b": {"c": true}});
        let text = one_key_per_line(value.as_object().expect("an object"));
        assert_eq!(
            text,
            "{\n  \"a\\\"\\n\": [1, \"x\"],\n  \"b\": {\"c\": true}\n}\n"
        );
        assert_eq!(serde_json::from_str::<Value>(&text).expect("parses"), value);
    }
}

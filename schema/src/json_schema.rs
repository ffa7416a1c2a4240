//! The published JSON Schema of spec documents: one combined schema and one per kind.
//! Draft-07, which editors (yaml-language-server) support best.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::spec::{API_VERSION, ClusterSpec, Metadata, ServiceKind};

/// Base of the schemas' `$id`s.
pub const SCHEMA_ID_BASE: &str = "https://firecamp.io/schema/v1alpha1/";

/// File name of the combined schema.
pub const COMBINED_FILE: &str = "firecamp.schema.json";

/// The `kind` of the cluster document.
pub const CLUSTER_KIND: &str = "Cluster";

/// Every document kind: `Cluster`, then the catalog kinds.
#[must_use]
pub fn document_kinds() -> Vec<&'static str> {
    std::iter::once(CLUSTER_KIND)
        .chain(ServiceKind::ALL.iter().map(|k| k.as_str()))
        .collect()
}

/// File name of one kind's schema, e.g. `kafkasinkes.schema.json`.
#[must_use]
pub fn kind_file(kind: &str) -> String {
    format!("{}.schema.json", kind.to_lowercase())
}

/// Name of the definition that describes a whole document of `kind`.
#[must_use]
pub fn document_definition(kind: &str) -> String {
    format!("{kind}Document")
}

/// The combined schema (every kind, chosen by `kind`), built once.
#[must_use]
pub fn combined() -> &'static Value {
    static COMBINED: OnceLock<Value> = OnceLock::new();
    COMBINED.get_or_init(build_combined)
}

/// The schema of one kind's documents, with only the definitions it uses.
#[must_use]
pub fn for_kind(kind: &str) -> Value {
    let root = combined();
    let start = document_definition(kind);
    let mut definitions = Map::new();
    for name in reachable(root, &start) {
        if let Some(def) = root["definitions"].get(&name) {
            definitions.insert(name, def.clone());
        }
    }
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": format!("{SCHEMA_ID_BASE}{}", kind_file(kind)),
        "title": format!("firecamp {kind} document"),
        "allOf": [{ "$ref": format!("#/definitions/{start}") }],
        "definitions": definitions,
    })
}

fn build_combined() -> Value {
    let mut generator = SchemaSettings::draft07().into_generator();
    let metadata = generator.subschema_for::<Metadata>();
    let mut documents = vec![(CLUSTER_KIND, generator.subschema_for::<ClusterSpec>())];
    for kind in ServiceKind::ALL {
        documents.push((kind.as_str(), kind.spec_schema(&mut generator)));
    }
    let mut definitions = generator.take_definitions(true);
    let mut conditions = Vec::new();
    for (kind, spec) in &documents {
        let name = document_definition(kind);
        definitions.insert(
            name.clone(),
            document_schema(kind, metadata.as_value(), spec.as_value()),
        );
        conditions.push(json!({
            "if": { "properties": { "kind": { "const": kind } }, "required": ["kind"] },
            "then": { "$ref": format!("#/definitions/{name}") }
        }));
    }
    let definitions: Map<String, Value> = definitions
        .into_iter()
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_iter()
        .collect();
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": format!("{SCHEMA_ID_BASE}{COMBINED_FILE}"),
        "title": "firecamp spec document",
        "description": "One document of a firecamp spec repository: the Cluster or one catalog service.",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": { "const": API_VERSION },
            "kind": { "enum": document_kinds() }
        },
        "allOf": conditions,
        "definitions": definitions,
    })
}

fn document_schema(kind: &str, metadata: &Value, spec: &Value) -> Value {
    json!({
        "description": format!("A firecamp {kind} document."),
        "type": "object",
        "additionalProperties": false,
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": { "description": "Spec format version.", "type": "string", "const": API_VERSION },
            "kind": { "description": "Document kind.", "type": "string", "const": kind },
            "metadata": metadata,
            "spec": spec
        }
    })
}

/// Names of the definitions reachable from `start` through `$ref`s, `start` included.
fn reachable(root: &Value, start: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue = vec![start.to_owned()];
    while let Some(name) = queue.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(def) = root["definitions"].get(&name) {
            collect_refs(def, &mut queue);
        }
    }
    seen
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref")
                && let Some(name) = r.strip_prefix("#/definitions/")
            {
                out.push(name.to_owned());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// The schema files as published under `schema/json/`: the combined schema, then one per kind,
/// as (file name, pretty-printed JSON with a final newline).
#[must_use]
pub fn rendered_files() -> Vec<(String, String)> {
    let render = |value: &Value| format!("{:#}\n", value);
    let mut files = vec![(COMBINED_FILE.to_owned(), render(combined()))];
    files.extend(
        document_kinds()
            .into_iter()
            .map(|kind| (kind_file(kind), render(&for_kind(kind)))),
    );
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_schema_covers_every_kind() {
        let schema = combined();
        assert_eq!(schema["allOf"].as_array().map(Vec::len), Some(15));
        for kind in document_kinds() {
            assert!(
                schema["definitions"]
                    .get(document_definition(kind))
                    .is_some(),
                "{kind}"
            );
        }
    }

    #[test]
    fn per_kind_schema_keeps_only_its_definitions() {
        let schema = for_kind("Telegraf");
        let defs = schema["definitions"].as_object().expect("definitions");
        assert!(defs.contains_key("TelegrafSpec"));
        assert!(!defs.contains_key("CassandraSpec"));
    }
}

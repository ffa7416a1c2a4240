//! The JSON Schema committed under `schema/json/` is exactly what the code generates, and it
//! covers every document kind.

use std::path::Path;

use firecamp_schema::json_schema::{self, document_kinds, rendered_files};

#[test]
fn committed_schema_files_are_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("json");
    for (name, generated) in rendered_files() {
        let committed = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
        assert!(
            committed == generated,
            "schema/json/{name} is stale: run `cargo run -p firecamp -- schema --out schema/json` and commit the result"
        );
    }
    let mut committed: Vec<String> = std::fs::read_dir(&dir)
        .expect("schema/json exists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    committed.sort();
    let mut expected: Vec<String> = rendered_files().into_iter().map(|(name, _)| name).collect();
    expected.sort();
    assert_eq!(
        committed, expected,
        "schema/json holds exactly the generated files"
    );
}

#[test]
fn combined_schema_covers_all_fifteen_document_kinds() {
    let kinds = document_kinds();
    assert_eq!(kinds.len(), 15, "Cluster and the 14 catalog kinds");
    let schema = json_schema::combined();
    let listed: Vec<&str> = schema["properties"]["kind"]["enum"]
        .as_array()
        .expect("kind enum")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(listed, kinds);
    for kind in kinds {
        let definition = &schema["definitions"][json_schema::document_definition(kind)];
        assert_eq!(definition["properties"]["kind"]["const"], kind);
        assert_eq!(
            definition["additionalProperties"], false,
            "{kind} rejects unknown fields"
        );
    }
}

#[test]
fn every_secret_field_is_marked_so_editors_and_validation_reject_plaintext() {
    let schema = json_schema::combined();
    for name in ["SecretRef", "TlsSecretRef"] {
        assert_eq!(
            schema["definitions"][name]["x-firecamp-secret"], true,
            "{name}"
        );
    }
}

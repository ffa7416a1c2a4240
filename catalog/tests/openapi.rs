//! Every rendered object passes the OpenAPI schema of Kubernetes 1.37 in strict mode, so an
//! unknown or misplaced field fails here rather than at apply time.

mod common;

use common::{SpecSet, kubernetes_validate, kubernetes_validate_json};
use firecamp_catalog::KubeObject;

#[test]
fn every_rendered_example_object_passes_strict_openapi_validation() {
    let objects = SpecSet::examples().all_objects();
    assert!(objects.len() > 20, "rendered {} objects", objects.len());
    let (ok, report) = kubernetes_validate(&objects);
    assert!(ok, "{report}");
    assert_eq!(
        report.matches(" passed for resource ").count(),
        objects.len(),
        "{report}"
    );
}

#[test]
fn the_validator_rejects_an_unknown_field_in_a_rendered_statefulset() {
    let objects = SpecSet::examples().all_objects();
    let statefulset = objects
        .iter()
        .find(|o| matches!(o, KubeObject::StatefulSet(_)))
        .expect("a StatefulSet");
    let mut manifest = serde_json::to_value(statefulset).expect("json");
    manifest["spec"]["template"]["spec"]["containers"][0]["colour"] = serde_json::json!("red");
    let (ok, report) = kubernetes_validate_json(&[manifest]);
    assert!(
        !ok,
        "an unknown container field must fail strict validation:\n{report}"
    );
}

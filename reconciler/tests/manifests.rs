//! Every manifest a plan of the examples would apply (the catalog's objects plus firecamp's
//! annotations, and the static-IP allocation records the planner adds) passes the OpenAPI schema
//! of Kubernetes 1.35 in strict mode.

mod common;

use std::process::Command;

use common::{base_live, examples, plan_of, repo};
use firecamp::plan::Provider;

#[test]
fn every_manifest_the_examples_plan_applies_passes_strict_openapi_validation() {
    let plan = plan_of(&examples(), &base_live());
    let manifests: Vec<String> = plan
        .steps
        .iter()
        .filter(|s| s.provider == Provider::Kubernetes)
        .filter_map(|s| s.after.as_ref())
        .filter(|after| after.get("kind").is_some())
        .map(|after| serde_json::to_string_pretty(after).expect("json"))
        .collect();
    assert!(
        plan.steps
            .iter()
            .any(|s| s.resource == "ConfigMap firecamp/sessions-redis-static-ips"),
        "the allocation record is planned"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("plan.yaml");
    std::fs::write(&file, manifests.join("\n---\n")).expect("write");
    assert_strictly_valid(&[file], manifests.len());
}

#[test]
fn the_deployment_manifests_pass_strict_openapi_validation() {
    let files = ["deploy/rbac.yaml", "deploy/deployment.yaml"].map(|f| repo().join(f));
    assert_strictly_valid(&files, 6);
}

/// Runs `kubernetes-validate --strict` for Kubernetes 1.35 on `files` and expects `resources`
/// objects to pass.
fn assert_strictly_valid(files: &[std::path::PathBuf], resources: usize) {
    let tool = repo().join(".venv/bin/kubernetes-validate");
    let output = Command::new(&tool)
        .args(["--strict", "-k", "1.35.0"])
        .args(files)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{} runs (bash scripts/test.sh installs it): {e}",
                tool.display()
            )
        });
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        report.matches(" passed for resource ").count(),
        resources,
        "{report}"
    );
}

//! Every manifest a plan of the examples would apply (the catalog's objects plus firecamp's
//! annotations, and the static-IP allocation records the planner adds) passes the OpenAPI schema
//! of Kubernetes 1.35 in strict mode; the IRSA trust policy names the ServiceAccount of
//! `deploy/rbac.yaml`.

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

#[test]
fn the_irsa_trust_policy_lets_only_firecamps_service_account_assume_the_role() {
    let text = std::fs::read_to_string(repo().join("deploy/rbac.yaml")).expect("rbac.yaml");
    let documents =
        firecamp_schema::yaml::load_documents(&text, &firecamp_schema::Limits::default())
            .expect("valid YAML");
    let account = documents
        .iter()
        .map(firecamp_schema::yaml::Node::to_json)
        .find(|d| d["kind"] == "ServiceAccount")
        .expect("a ServiceAccount");
    let subject = format!(
        "system:serviceaccount:{}:{}",
        account["metadata"]["namespace"]
            .as_str()
            .expect("namespace"),
        account["metadata"]["name"].as_str().expect("name")
    );
    let policy: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("deploy/irsa-trust-policy.json"))
            .expect("trust policy"),
    )
    .expect("JSON");
    let statements = policy["Statement"].as_array().expect("statements");
    assert_eq!(statements.len(), 1);
    let statement = &statements[0];
    assert_eq!(statement["Action"], "sts:AssumeRoleWithWebIdentity");
    let conditions = statement["Condition"]["StringEquals"]
        .as_object()
        .expect("StringEquals conditions");
    let values: Vec<(&str, &str)> = conditions
        .iter()
        .filter_map(|(k, v)| Some((k.rsplit(':').next()?, v.as_str()?)))
        .collect();
    assert!(values.contains(&("sub", subject.as_str())), "{values:?}");
    assert!(values.contains(&("aud", "sts.amazonaws.com")), "{values:?}");
}

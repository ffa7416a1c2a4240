//! Every object the examples render is accepted by the real API server, not only by the OpenAPI
//! schema: each manifest a first install would send, sent as firecamp sends it (server-side apply,
//! field manager `firecamp`) with `dryRun=All`, so the server runs its validation, defaulting and
//! admission on it and stores nothing (the in-memory fake the tests used before accepted any JSON).

mod common;

use common::cluster::TestCluster;
use firecamp::plan::kubernetes::identity;
use firecamp::plan::{Desired, PlanOptions, Provider, plan};
use firecamp::providers::kubernetes::managed_kind;
use kube::api::{Api, DynamicObject, Patch, PatchParams};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rendered_object_of_every_example_is_accepted_by_the_api_server() {
    let cluster = TestCluster::without_nodes().await;
    let validation = common::edited_examples(|path, text| {
        if path == "cluster.yaml" {
            cluster.cluster_text(&text)
        } else {
            text
        }
    });
    assert!(validation.is_valid(), "{:#?}", validation.diagnostics);
    let desired = Desired::from_validation(&validation).expect("desired");
    let install = plan(&desired, &common::base_live(), PlanOptions::default()).expect("plan");

    let mut sent = 0;
    let mut refused = Vec::new();
    for step in install
        .steps
        .iter()
        .filter(|s| s.provider == Provider::Kubernetes)
    {
        let Some(manifest) = &step.after else {
            continue;
        };
        let (kind, namespace, name) = identity(manifest);
        let managed = managed_kind(&kind).unwrap_or_else(|| panic!("{kind} is not a managed kind"));
        let api: Api<DynamicObject> = if managed.namespaced {
            Api::namespaced_with(cluster.admin.clone(), &namespace, &managed.resource)
        } else {
            Api::all_with(cluster.admin.clone(), &managed.resource)
        };
        let params = PatchParams::apply("firecamp").dry_run();
        sent += 1;
        if let Err(error) = api.patch(&name, &params, &Patch::Apply(manifest)).await {
            refused.push(format!("{kind} {namespace}/{name}: {error}"));
        }
    }
    assert!(sent > 100, "every example's objects were sent: {sent}");
    assert!(
        refused.is_empty(),
        "the API server refused {} of {sent} objects:\n{}",
        refused.len(),
        refused.join("\n")
    );
}

/// A ConfigMap of `bytes` bytes of values, split over two keys (the count is over all values).
fn config_map_of(bytes: usize) -> serde_json::Value {
    let half = bytes / 2;
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "sized", "namespace": "default"},
        "data": {"a": "x".repeat(half), "b": "y".repeat(bytes - half)},
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_server_holds_config_maps_to_the_size_the_catalog_checks() {
    use firecamp_catalog::object_limits::{MAX_CONFIG_MAP_DATA, config_map_data_size};
    use k8s_openapi::api::core::v1::ConfigMap;

    let cluster = TestCluster::without_nodes().await;
    let api: Api<ConfigMap> = Api::namespaced(cluster.admin.clone(), "default");
    let params = PatchParams::apply("firecamp").dry_run();
    for (bytes, accepted) in [
        (MAX_CONFIG_MAP_DATA, true),
        (MAX_CONFIG_MAP_DATA + 1, false),
    ] {
        let manifest = config_map_of(bytes);
        let typed: ConfigMap = serde_json::from_value(manifest.clone()).expect("ConfigMap");
        assert_eq!(config_map_data_size(&typed), bytes);
        let result = api.patch("sized", &params, &Patch::Apply(&manifest)).await;
        assert_eq!(result.is_ok(), accepted, "{bytes} bytes: {result:?}");
        if let Err(error) = result {
            assert!(
                error.to_string().contains("Too long"),
                "refused for its size: {error}"
            );
        }
    }
}

//! Every object the examples render is accepted by the real API server, not only by the OpenAPI
//! schema: each manifest a first install would send, sent as firecamp sends it (server-side apply,
//! field manager `firecamp`) with `dryRun=All`, so the server runs its validation, defaulting and
//! admission on it and stores nothing (the in-memory fake the tests used before accepted any JSON).
//! The rendered pods pass Pod Security's `privileged` level and, but for Telegraf and the init
//! Jobs, not `baseline` (docs/security.md).

mod common;

use common::cluster::TestCluster;
use firecamp::plan::kubernetes::identity;
use firecamp::plan::{Desired, PlanOptions, Provider, plan};
use firecamp::providers::kubernetes::managed_kind;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};

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

/// A pod of each pod template the examples' install plan applies (StatefulSets, DaemonSets,
/// Jobs), named by its object, with the volumes its claim templates would add as `emptyDir` and
/// no ServiceAccount (neither is what Pod Security judges).
fn rendered_pods() -> Vec<(String, serde_json::Value)> {
    let install = common::plan_of(&common::examples(), &common::base_live());
    install
        .steps
        .iter()
        .filter(|s| s.provider == Provider::Kubernetes)
        .filter_map(|s| s.after.as_ref())
        .filter(|m| {
            matches!(
                m["kind"].as_str(),
                Some("StatefulSet" | "DaemonSet" | "Job")
            )
        })
        .map(|manifest| {
            let mut spec = manifest["spec"]["template"]["spec"].clone();
            if let Some(spec) = spec.as_object_mut() {
                spec.remove("serviceAccountName");
            }
            let claims = manifest["spec"]["volumeClaimTemplates"].as_array().cloned();
            for claim in claims.into_iter().flatten() {
                let volume = serde_json::json!({"name": claim["metadata"]["name"], "emptyDir": {}});
                match spec["volumes"].as_array_mut() {
                    Some(volumes) => volumes.push(volume),
                    None => spec["volumes"] = serde_json::json!([volume]),
                }
            }
            let name = format!(
                "{} {}",
                manifest["kind"].as_str().unwrap_or_default(),
                manifest["metadata"]["name"].as_str().unwrap_or_default()
            );
            (name, spec)
        })
        .collect()
}

/// Which of `pods` the API server refuses (dry run) in a new namespace of Pod Security `level`,
/// with its reasons.
async fn refused_at(
    cluster: &TestCluster,
    level: &str,
    pods: &[(String, serde_json::Value)],
) -> Vec<(String, String)> {
    let namespace = format!("{}-{level}", cluster.namespace);
    let namespaces: Api<Namespace> = Api::all(cluster.admin.clone());
    let object: Namespace = serde_json::from_value(serde_json::json!({
        "metadata": {"name": namespace, "labels": {"pod-security.kubernetes.io/enforce": level}}
    }))
    .expect("namespace");
    namespaces
        .create(&PostParams::default(), &object)
        .await
        .expect("namespace created");
    let api: Api<Pod> = Api::namespaced(cluster.admin.clone(), &namespace);
    let mut refused = Vec::new();
    for (i, (name, spec)) in pods.iter().enumerate() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": format!("pod-{i}")}, "spec": spec
        }))
        .expect("pod");
        if let Err(error) = api
            .create(
                &PostParams {
                    dry_run: true,
                    ..PostParams::default()
                },
                &pod,
            )
            .await
        {
            refused.push((name.clone(), error.to_string()));
        }
    }
    refused
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pods_need_the_privileged_pod_security_level_the_docs_name() {
    let cluster = TestCluster::without_nodes().await;
    let pods = rendered_pods();
    assert!(pods.len() > 30, "{}", pods.len());
    let refused = refused_at(&cluster, "privileged", &pods).await;
    assert!(
        refused.is_empty(),
        "privileged admits every pod: {refused:#?}"
    );
    let refused = refused_at(&cluster, "baseline", &pods).await;
    let host_network: Vec<&String> = pods
        .iter()
        .filter(|(_, spec)| spec["hostNetwork"] == true)
        .map(|(name, _)| name)
        .collect();
    assert!(host_network.len() > 20, "{host_network:?}");
    for name in &host_network {
        let reason = refused
            .iter()
            .find(|(n, _)| n == *name)
            .map(|(_, r)| r.as_str())
            .unwrap_or_else(|| panic!("baseline admitted {name}"));
        assert!(
            reason.contains("violates PodSecurity \"baseline") && reason.contains("hostNetwork"),
            "{name}: {reason}"
        );
    }
    assert!(
        refused
            .iter()
            .any(|(n, r)| n.contains("fluentd") && r.contains("hostPath")),
        "Fluentd's hostPath volumes: {refused:#?}"
    );
    let admitted: Vec<&String> = pods
        .iter()
        .map(|(name, _)| name)
        .filter(|name| !refused.iter().any(|(n, _)| n == *name))
        .collect();
    assert!(
        admitted
            .iter()
            .all(|n| n.starts_with("Job ") || n.contains("metrics")),
        "only the init Jobs and Telegraf run under baseline: {admitted:?}"
    );
}

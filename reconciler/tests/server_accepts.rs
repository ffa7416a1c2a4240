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

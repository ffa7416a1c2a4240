//! How a failure stops an apply, on the real API server (a failure injected in firecamp's client): `apply` skips only the steps that depend on
//! a failed step; `run` also halts every later step of the failed step's service, and no other.

mod common;

use common::cluster::{Failure, TestCluster};
use firecamp::apply::{Appliers, Outcome, apply_plan};
use firecamp::live::LiveState;
use firecamp::plan::{Action, Plan, Provider, Step, Summary};
use firecamp::providers::kubernetes::{KubeWriter, WriteOptions};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// A ConfigMap create step of `service` in `namespace`, depending on nothing.
fn create(namespace: &str, service: &str, name: &str) -> Step {
    Step {
        id: format!("kubernetes:ConfigMap/{namespace}/{name}"),
        provider: Provider::Kubernetes,
        action: Action::Create,
        resource: format!("ConfigMap {namespace}/{name}"),
        service: Some(service.to_owned()),
        before: None,
        after: Some(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace,
                         "labels": {"app.kubernetes.io/managed-by": "firecamp"}},
            "data": {"k": "v"}
        })),
        changes: Vec::new(),
        reason: "not in the cluster yet".to_owned(),
        drift: false,
        depends_on: Vec::new(),
    }
}

/// The outcomes of three independent steps (two of service x, one of y) when the first fails.
async fn outcomes(halt_service_on_failure: bool) -> (String, Vec<Outcome>) {
    let cluster = TestCluster::without_nodes().await;
    let ns = cluster.namespace.clone();
    cluster
        .requests
        .failures
        .lock()
        .expect("lock")
        .push_back(Some(Failure::bad_request("injected")));
    let plan = Plan {
        format_version: 1,
        steps: vec![
            create(&ns, "x", "x-a"),
            create(&ns, "x", "x-b"),
            create(&ns, "y", "y-a"),
        ],
        members: Vec::new(),
        untouched: Vec::new(),
        warnings: Vec::new(),
        summary: Summary::default(),
    };
    let cluster_doc = common::world::cluster(&common::examples()).clone();
    let writer = KubeWriter::new(cluster.client.clone(), WriteOptions::default());
    let stop = CancellationToken::new();
    let appliers = Appliers {
        cluster: &cluster_doc,
        kubernetes: &writer,
        aws: None,
        stop: &stop,
        halt_service_on_failure,
    };
    let report = apply_plan(&plan, &LiveState::default(), appliers, &mut |_| {}).await;
    (ns, report.steps.into_iter().map(|s| s.outcome).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_step_halts_the_rest_of_its_service_in_run_and_only_its_dependents_in_apply() {
    let (ns, run) = outcomes(true).await;
    assert!(
        matches!(&run[0], Outcome::Failed(e) if e.contains("injected")),
        "{run:?}"
    );
    assert_eq!(
        run[1],
        Outcome::Skipped(format!(
            "an earlier step of its service failed (kubernetes:ConfigMap/{ns}/x-a)"
        ))
    );
    assert_eq!(run[2], Outcome::Done, "another service goes on");

    let (_, apply) = outcomes(false).await;
    assert!(matches!(&apply[0], Outcome::Failed(_)), "{apply:?}");
    assert_eq!(
        apply[1..],
        [Outcome::Done, Outcome::Done],
        "independent steps go on"
    );
}

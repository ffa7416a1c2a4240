//! How a failure stops an apply, on kube-fake-client: `apply` skips only the steps that depend on
//! a failed step; `run` also halts every later step of the failed step's service, and no other.

mod common;

use common::fake_cluster::FakeCluster;
use firecamp::apply::{Appliers, Outcome, apply_plan};
use firecamp::live::LiveState;
use firecamp::plan::{Action, Plan, Provider, Step, Summary};
use firecamp::providers::kubernetes::{KubeWriter, WriteOptions};
use firecamp_aws::testing::TestNetwork;
use kube_fake_client::Error as FakeError;
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// A ConfigMap create step of `service`, depending on nothing.
fn create(service: &str, name: &str) -> Step {
    Step {
        id: format!("kubernetes:ConfigMap/firecamp/{name}"),
        provider: Provider::Kubernetes,
        action: Action::Create,
        resource: format!("ConfigMap firecamp/{name}"),
        service: Some(service.to_owned()),
        before: None,
        after: Some(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "firecamp",
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
async fn outcomes(halt_service_on_failure: bool) -> Vec<Outcome> {
    let cluster = FakeCluster::start(&TestNetwork {
        vpc_id: String::new(),
        subnets: Vec::new(),
        nodes: Vec::new(),
    })
    .await;
    cluster
        .requests
        .failures
        .lock()
        .expect("lock")
        .push_back(Some(FakeError::InvalidRequest("injected".to_owned())));
    let plan = Plan {
        format_version: 1,
        steps: vec![create("x", "x-a"), create("x", "x-b"), create("y", "y-a")],
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
    report.steps.into_iter().map(|s| s.outcome).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_step_halts_the_rest_of_its_service_in_run_and_only_its_dependents_in_apply() {
    let run = outcomes(true).await;
    assert!(
        matches!(&run[0], Outcome::Failed(e) if e.contains("injected")),
        "{run:?}"
    );
    assert_eq!(
        run[1],
        Outcome::Skipped(
            "an earlier step of its service failed (kubernetes:ConfigMap/firecamp/x-a)".to_owned()
        )
    );
    assert_eq!(run[2], Outcome::Done, "another service goes on");

    let apply = outcomes(false).await;
    assert!(matches!(&apply[0], Outcome::Failed(_)), "{apply:?}");
    assert_eq!(
        apply[1..],
        [Outcome::Done, Outcome::Done],
        "independent steps go on"
    );
}

//! End to end on a cluster: the test world's real control plane, or the cluster of
//! `FIRECAMP_E2E_KUBECONFIG` when set (an EKS cluster, say; see the README). Applies a one-member
//! ZooKeeper without AWS, waits until it is ready, checks that a second plan is empty, then
//! removes the service (the platform objects stay).

mod common;

use std::time::Duration;
use tokio_util::sync::CancellationToken;

use common::cluster::TestCluster;
use firecamp::apply::{Appliers, apply_plan};
use firecamp::plan::{Desired, PlanOptions, plan};
use firecamp::providers::kubernetes::{KubeWriter, WriteOptions};
use firecamp::providers::read_live_state;
use firecamp_aws::testing::{TestNetwork, TestNode};
use kube::config::{KubeConfigOptions, Kubeconfig};

const ZOOKEEPER: &str = "apiVersion: firecamp.io/v1alpha1\nkind: ZooKeeper\nmetadata: {name: e2e-zk}\n\
spec: {replicas: 1, heapSize: 512Mi, volume: {size: 1Gi}, deletionPolicy: Delete,\n  \
resources: {requests: {cpu: 100m, memory: 768Mi}, limits: {memory: 1Gi}}}\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_is_applied_becomes_ready_and_then_plans_nothing() {
    let (client, _world) = match std::env::var_os("FIRECAMP_E2E_KUBECONFIG") {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(&path).expect("readable kubeconfig");
            let config =
                kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                    .await
                    .expect("usable kubeconfig");
            (kube::Client::try_from(config).expect("client"), None)
        }
        None => {
            let nodes = TestNetwork {
                vpc_id: String::new(),
                subnets: Vec::new(),
                node_subnets: Vec::new(),
                nodes: ["us-east-1a", "us-east-1b", "us-east-1c"]
                    .iter()
                    .enumerate()
                    .map(|(i, zone)| TestNode {
                        instance_id: format!("i-0e2e{i}"),
                        zone: (*zone).to_owned(),
                        ip: format!("10.0.{}.10", 16 * (i + 1)),
                    })
                    .collect(),
            };
            let world = TestCluster::start(&nodes).await;
            (world.admin.clone(), Some(world))
        }
    };
    let cluster_yaml = cluster_yaml();
    let validation = common::specs(&[("cluster.yaml", &cluster_yaml), ("zk.yaml", ZOOKEEPER)]);
    assert!(validation.is_valid(), "{:#?}", validation.diagnostics);
    let desired = Desired::from_validation(&validation).expect("desired");
    let writer = KubeWriter::new(
        client.clone(),
        WriteOptions {
            timeout: Duration::from_secs(600),
            ..WriteOptions::default()
        },
    );
    let stop = CancellationToken::new();
    let appliers = Appliers {
        cluster: &desired.cluster,
        kubernetes: &writer,
        aws: None,
        stop: &stop,
        halt_service_on_failure: false,
    };
    for round in 1..=3 {
        let live = read_live_state(&client, None, &desired.cluster)
            .await
            .expect("live state");
        let plan = plan(&desired, &live, PlanOptions::default()).expect("plan");
        if plan.is_empty() {
            assert!(round > 1, "the first plan creates the service");
            wait_until_ready(&client, &desired).await;
            remove(&client, &desired, appliers).await;
            return;
        }
        let report = apply_plan(&plan, &live, appliers, &mut |step| eprintln!("{step}")).await;
        assert!(report.succeeded(), "{report}");
    }
    panic!("the service did not converge in 3 rounds");
}

async fn wait_until_ready(client: &kube::Client, desired: &Desired) {
    for _ in 0..120 {
        let live = read_live_state(client, None, &desired.cluster)
            .await
            .expect("live state");
        let members: Vec<_> = live
            .members
            .iter()
            .filter(|m| m.member.starts_with("e2e-zk-"))
            .collect();
        if !members.is_empty() && members.iter().all(|m| m.ready) {
            return;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    panic!("the ZooKeeper member did not become ready in 10 minutes");
}

/// Removes the service (its spec is gone; deletionPolicy Delete also removes its volume).
async fn remove(client: &kube::Client, desired: &Desired, appliers: Appliers<'_>) {
    let only_cluster = common::specs(&[("cluster.yaml", &cluster_yaml())]);
    let empty = Desired::from_validation(&only_cluster).expect("desired");
    let live = read_live_state(client, None, &desired.cluster)
        .await
        .expect("live state");
    let options = PlanOptions {
        allow_empty: true,
        ..PlanOptions::default()
    };
    let plan = plan(&empty, &live, options).expect("plan");
    let report = apply_plan(&plan, &live, appliers, &mut |step| eprintln!("{step}")).await;
    assert!(report.succeeded(), "{report}");
}

fn cluster_yaml() -> String {
    common::cluster_yaml().replace("namespace: firecamp", "namespace: firecamp-e2e")
}

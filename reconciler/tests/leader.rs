//! One writer: two replicas compete for the Lease on the real API server (which refuses stale
//! resourceVersions). One leads and renews; the other stands by, takes over
//! once the lease has expired, and of two replicas racing for an expired lease exactly one wins.

mod common;

use std::time::Duration;

use common::cluster::TestCluster;
use firecamp::run::lease::{LEASE_NAME, LeaderElector};
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::Api;

async fn cluster() -> TestCluster {
    TestCluster::without_nodes().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_leads_the_other_takes_over_when_the_lease_expires() {
    let cluster = cluster().await;
    let lease = Duration::from_secs(1);
    let a = LeaderElector::new(
        cluster.client.clone(),
        &cluster.namespace,
        "replica-a",
        lease,
    );
    let b = LeaderElector::new(
        cluster.client.clone(),
        &cluster.namespace,
        "replica-b",
        lease,
    );
    assert!(
        a.lead().await.expect("a"),
        "the first candidate acquires the lease"
    );
    assert!(!b.lead().await.expect("b"), "the lease is held");
    assert!(a.lead().await.expect("a renews"));
    assert!(!b.lead().await.expect("b"));
    // replica-a stops renewing (it died): after the lease's duration, replica-b takes over.
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    assert!(b.lead().await.expect("b takes over"));
    assert!(
        !a.lead().await.expect("a is back"),
        "the old leader now stands by"
    );
    let held = Api::<Lease>::namespaced(cluster.client.clone(), &cluster.namespace)
        .get(LEASE_NAME)
        .await
        .expect("lease")
        .spec
        .expect("spec");
    assert_eq!(held.holder_identity.as_deref(), Some("replica-b"));
    assert_eq!(held.lease_transitions, Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_replicas_racing_for_an_expired_lease_exactly_one_wins() {
    let cluster = cluster().await;
    let lease = Duration::from_secs(1);
    let old = LeaderElector::new(cluster.client.clone(), &cluster.namespace, "old", lease);
    assert!(old.lead().await.expect("old"));
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    let a = LeaderElector::new(
        cluster.client.clone(),
        &cluster.namespace,
        "a",
        Duration::from_secs(30),
    );
    let b = LeaderElector::new(
        cluster.client.clone(),
        &cluster.namespace,
        "b",
        Duration::from_secs(30),
    );
    let (won_a, won_b) = tokio::join!(a.lead(), b.lead());
    let winners = [won_a.expect("a"), won_b.expect("b")];
    assert_eq!(winners.iter().filter(|w| **w).count(), 1, "{winners:?}");
    assert!(!old.lead().await.expect("old"), "the old leader stands by");
}

//! `deploy/rbac.yaml` and `deploy/iam-policy.json` grant exactly what firecamp asks for. A full
//! apply cycle on the fake cluster and moto (leader election, install with an injected failure, a config change
//! with restarts, a larger volume, a service removed with its volumes, logs turned off, a second
//! process finding the zone) records every Kubernetes request and AWS call; the test fails when
//! the code asks for something the files do not grant, or they grant something it never asks for.

mod common;

use std::collections::BTreeSet;

use std::time::Duration;

use common::world::{World, world};
use firecamp::providers::aws::AwsProviders;
use firecamp::run::lease::LeaderElector;
use firecamp_aws::{AwsSettings, CallCounter};
use firecamp_schema::Limits;
use firecamp_schema::yaml::load_documents;
use kube_fake_client::Error as FakeError;

/// RBAC verbs that are checks on what a role may grant, not requests.
const CHECKS_NOT_REQUESTS: [&str; 2] = ["bind", "escalate"];
/// IAM actions AWS checks on firecamp's behalf: creating a private zone needs `ec2:DescribeVpcs`.
const CHECKED_FOR_FIRECAMP: [&str; 1] = ["ec2:DescribeVpcs"];

fn granted_requests() -> BTreeSet<(String, String, String)> {
    let text = std::fs::read_to_string(common::repo().join("deploy/rbac.yaml")).expect("rbac.yaml");
    let documents = load_documents(&text, &Limits::default()).expect("valid YAML");
    let role = documents
        .iter()
        .map(firecamp_schema::yaml::Node::to_json)
        .find(|d| d["kind"] == "ClusterRole")
        .expect("a ClusterRole");
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect()
    };
    let mut granted = BTreeSet::new();
    for rule in role["rules"].as_array().expect("rules") {
        for group in strings(&rule["apiGroups"]) {
            for resource in strings(&rule["resources"]) {
                for verb in strings(&rule["verbs"]) {
                    if !CHECKS_NOT_REQUESTS.contains(&verb.as_str()) {
                        granted.insert((verb, group.clone(), resource.clone()));
                    }
                }
            }
        }
    }
    granted
}

fn granted_actions() -> BTreeSet<String> {
    let text = std::fs::read_to_string(common::repo().join("deploy/iam-policy.json"))
        .expect("iam-policy.json");
    let policy: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    policy["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .flat_map(|s| s["Action"].as_array().cloned().unwrap_or_default())
        .filter_map(|a| a.as_str().map(str::to_owned))
        .filter(|a| !CHECKED_FOR_FIRECAMP.contains(&a.as_str()))
        .collect()
}

async fn full_cycle(world: &World) {
    // Leader election: the lease is created, then renewed.
    let elector = LeaderElector::new(
        world.cluster.client.clone(),
        "firecamp-system",
        "replica-a",
        Duration::from_secs(15),
    );
    assert!(elector.lead().await.expect("acquired"));
    assert!(elector.lead().await.expect("renewed"));
    let redis = |text: String| {
        text.replace("staticIp: true", "staticIp: true\n  deletionPolicy: Delete")
            .replace("volume: {size: 50Gi}", "volume: {size: 50Gi, type: gp2}")
    };
    let zk = ["coordination/zookeeper.yaml", "data/redis.yaml"];
    let installed = world.examples(&zk, &|path, text| {
        if path.ends_with("redis.yaml") {
            redis(text)
        } else {
            text
        }
    });
    world
        .cluster
        .requests
        .failures
        .lock()
        .expect("lock")
        .push_back(Some(FakeError::Internal(
            "etcdserver: leader changed".to_owned(),
        )));
    world.converge(&installed).await;
    let changed = world.examples(&zk, &|path, text| match path {
        p if p.ends_with("redis.yaml") => redis(text),
        p if p.ends_with("zookeeper.yaml") => text
            .replace("heapSize: 2Gi", "heapSize: 1Gi")
            .replace("volume: {size: 20Gi}", "volume: {size: 30Gi}"),
        _ => text,
    });
    world.converge(&changed).await;
    let removed = world.examples(&["coordination/zookeeper.yaml"], &|path, text| match path {
        "cluster.yaml" => text.replace("  logs:\n", "  logs:\n    enabled: false\n"),
        p if p.ends_with("zookeeper.yaml") => text
            .replace("heapSize: 2Gi", "heapSize: 1Gi")
            .replace("volume: {size: 20Gi}", "volume: {size: 30Gi}"),
        _ => text,
    });
    world.converge(&removed).await;
    // Another process (a restarted firecamp) finds the zone instead of creating it.
    let again = AwsProviders::new(
        &world.moto_sdk(),
        &AwsSettings::new("us-east-1"),
        CallCounter::default(),
    );
    again
        .zone(common::world::cluster(&removed))
        .await
        .expect("zone found");
    for ((provider, operation), _) in again.counter.snapshot() {
        world.aws.counter.count(&provider, &operation);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_role_and_the_policy_grant_exactly_what_a_full_apply_cycle_asks_for() {
    let world = world().await;
    full_cycle(&world).await;

    let requested = world.cluster.requests.calls.lock().expect("lock").clone();
    let granted = granted_requests();
    let missing: Vec<_> = requested.difference(&granted).collect();
    let unused: Vec<_> = granted.difference(&requested).collect();
    assert!(
        missing.is_empty(),
        "requests deploy/rbac.yaml does not grant: {missing:?}"
    );
    assert!(
        unused.is_empty(),
        "grants in deploy/rbac.yaml nothing asks for: {unused:?}"
    );

    let called: BTreeSet<String> = world
        .aws
        .counter
        .snapshot()
        .into_keys()
        .map(|(provider, operation)| format!("{provider}:{operation}"))
        .collect();
    let allowed = granted_actions();
    let missing: Vec<_> = called.difference(&allowed).collect();
    let unused: Vec<_> = allowed.difference(&called).collect();
    assert!(
        missing.is_empty(),
        "calls deploy/iam-policy.json does not allow: {missing:?}"
    );
    assert!(
        unused.is_empty(),
        "actions in deploy/iam-policy.json nothing calls: {unused:?}"
    );
}

//! `deploy/rbac.yaml` and `deploy/iam-policy.json` grant exactly what firecamp asks for. The
//! role is installed on the real control plane and firecamp runs with its ServiceAccount's
//! token, so the API server refuses anything it does not grant. A full apply cycle on it and moto
//! (leader election, install with an injected failure, a config change with restarts, a larger
//! volume, a service removed with its volumes, logs turned off, a second process finding the
//! zone, the watches of `firecamp run`) records every Kubernetes request and AWS call; the test
//! fails when the code asks for something the files do not grant, or they grant something it
//! never asks for.

mod common;

use std::collections::BTreeSet;

use std::time::Duration;

use common::cluster::Failure;
use common::world::{World, edit_file, world};
use firecamp::providers::aws::AwsProviders;
use firecamp::providers::kubernetes::{KubeCache, managed_kinds};
use firecamp::run::lease::LeaderElector;
use firecamp_aws::ec2::interfaces::InterfaceFor;
use firecamp_aws::testing::{any_image, run_instance};
use firecamp_aws::{AwsSettings, CallCounter};
use firecamp_schema::Limits;
use firecamp_schema::yaml::load_documents;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use kube::api::{Api, PostParams};

/// RBAC verbs that are checks on what a role may grant, not requests.
const CHECKS_NOT_REQUESTS: [&str; 2] = ["bind", "escalate"];
/// IAM actions AWS checks on firecamp's behalf: creating a private zone needs `ec2:DescribeVpcs`,
/// and tagging an interface as it is created needs `ec2:CreateTags` ("To tag a resource during
/// creation, you must have permissions to use the action that creates the resource ... [and]
/// the ec2:CreateTags action", EC2 User Guide, "Grant permission to tag resources during
/// creation").
const CHECKED_FOR_FIRECAMP: [&str; 2] = ["ec2:DescribeVpcs", "ec2:CreateTags"];

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

/// Installs deploy/rbac.yaml as the administrator and makes firecamp's client its ServiceAccount.
async fn install_rbac(world: &mut World) {
    let text = std::fs::read_to_string(common::repo().join("deploy/rbac.yaml")).expect("rbac.yaml");
    let admin = world.cluster.admin.clone();
    for document in load_documents(&text, &Limits::default()).expect("valid YAML") {
        let object = document.to_json();
        let created = match object["kind"].as_str() {
            Some("Namespace") => create::<Namespace>(&Api::all(admin.clone()), object).await,
            Some("ServiceAccount") => {
                let namespace = object["metadata"]["namespace"]
                    .as_str()
                    .expect("namespace")
                    .to_owned();
                create::<ServiceAccount>(&Api::namespaced(admin.clone(), &namespace), object).await
            }
            Some("ClusterRole") => create::<ClusterRole>(&Api::all(admin.clone()), object).await,
            Some("ClusterRoleBinding") => {
                create::<ClusterRoleBinding>(&Api::all(admin.clone()), object).await
            }
            other => panic!("deploy/rbac.yaml: unexpected kind {other:?}"),
        };
        match created {
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            other => other.expect("rbac.yaml object created"),
        }
    }
    world
        .cluster
        .act_as_service_account("firecamp-system", "firecamp")
        .await;
}

async fn create<K>(api: &Api<K>, object: serde_json::Value) -> kube::Result<()>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let object: K = serde_json::from_value(object).expect("object");
    api.create(&PostParams::default(), &object).await.map(drop)
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
    let installed = world.examples(&zk, &edit_file("redis.yaml", &redis));
    world
        .cluster
        .requests
        .failures
        .lock()
        .expect("lock")
        .push_back(Some(Failure::internal("etcdserver: leader changed")));
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
    // An interface of firecamp's left on an instance that is no node of the cluster (made here
    // with a provider of the test's own, so its calls are not counted): firecamp detaches and
    // deletes it.
    let owner = world.read(&removed).await.owner.expect("owner id");
    let setup = AwsProviders::new(
        &world.moto_sdk(),
        &AwsSettings::new("us-east-1"),
        CallCounter::default(),
    );
    let client = setup.ec2.client();
    let (subnet, zone) = world.network.subnets[0].clone();
    let nodes_subnet = world.network.node_subnets[0].0.clone();
    let outsider = run_instance(client, &any_image(client).await, &nodes_subnet, &zone).await;
    setup
        .ec2
        .create_interface(&InterfaceFor {
            owner: &owner,
            cluster: &common::world::cluster(&removed).metadata.name,
            node: "gone",
            instance_id: &outsider.instance_id,
            subnet_id: &subnet,
            primary_ip: None,
            security_groups: &[],
        })
        .await
        .expect("stray interface");
    world.converge(&removed).await;
    assert!(
        setup
            .ec2
            .owned_interfaces(&owner)
            .await
            .expect("listed")
            .iter()
            .all(|e| e.instance_id.as_deref() != Some(outsider.instance_id.as_str())),
        "the stray interface is gone"
    );
    // `firecamp run` keeps the live state current with watches: each kind listed, then watched.
    let cache = KubeCache::start(
        &world.cluster.client,
        &common::world::cluster(&removed).metadata.name,
    );
    assert_eq!(
        cache.wait_synced(Duration::from_secs(60)).await,
        Vec::<String>::new()
    );
    for _ in 0..100 {
        let watches = world
            .cluster
            .requests
            .calls
            .lock()
            .expect("lock")
            .iter()
            .filter(|(verb, _, _)| verb == "watch")
            .count();
        if watches == managed_kinds().len() + 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(cache);
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
    let mut world = world().await;
    install_rbac(&mut world).await;
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

//! examples/live-snapshot.json is a plausible running cluster for the examples, generated here:
//! the cluster was last applied from an older commit (Kafka 4.3.1, an extra Redis service since
//! removed from git), someone changed a ZooKeeper StatefulSet by hand (drift), and a Redis member
//! moved to another node. The committed file must equal what this generates; set
//! FIRECAMP_UPDATE_EXAMPLES=1 to rewrite it.

mod common;

use common::{base_live, converge, example_files, examples, plan_of, repo, specs};
use firecamp::live::{LiveState, write_snapshot};
use firecamp::plan::Action;

const OLD_CACHE: &str = "apiVersion: firecamp.io/v1alpha1\nkind: Redis\nmetadata: {name: old-cache}\n\
spec: {replicas: 1, memorySize: 1Gi, staticIp: false, resources: {limits: {memory: 2Gi}}, volume: {size: 10Gi}}\n";

fn generate() -> LiveState {
    let mut files = example_files();
    for (path, text) in &mut files {
        if path.ends_with("kafka.yaml") {
            *text = text.replace(
                "  controllers: 3\n  heapSize: 6Gi",
                "  controllers: 3\n  heapSize: 6Gi\n  image: apache/kafka:4.3.1",
            );
        }
    }
    files.push(("data/old-cache.yaml".to_owned(), OLD_CACHE.to_owned()));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let mut live = converge(&specs(&refs), base_live());
    let zk = live
        .objects
        .iter_mut()
        .find(|o| o["kind"] == "StatefulSet" && o["metadata"]["name"] == "zk-server-b")
        .expect("zk-server-b");
    zk.edit(|o| {
        o["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] =
            serde_json::json!("6Gi");
    });
    let moved = live
        .members
        .iter_mut()
        .find(|m| m.member == "sessions-redis-shard0-a-0")
        .expect("placed");
    let node = moved.node.clone().expect("node");
    moved.node = Some(node.replace("-10.", "-12."));
    live
}

#[test]
fn the_example_live_snapshot_is_up_to_date() {
    let path = repo().join("examples/live-snapshot.json");
    let generated = write_snapshot(&generate());
    if std::env::var_os("FIRECAMP_UPDATE_EXAMPLES").is_some() {
        std::fs::write(&path, &generated).expect("write");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "examples/live-snapshot.json is stale: run FIRECAMP_UPDATE_EXAMPLES=1 cargo test -p firecamp --test example_snapshot"
    );
}

#[test]
fn the_example_live_snapshot_shows_an_upgrade_drift_a_move_and_a_removal() {
    // The generated state, which the test above keeps equal to the shipped file.
    let live = generate();
    let plan = plan_of(&examples(), &live);
    let has = |action: Action, resource: &str| {
        plan.steps
            .iter()
            .any(|s| s.action == action && s.resource.contains(resource))
    };
    assert!(
        has(Action::Update, "StatefulSet firecamp/kafka-broker-a"),
        "the Kafka upgrade from git"
    );
    assert!(has(Action::RestartMember, "kafka-broker-a-0"));
    assert!(
        plan.steps
            .iter()
            .any(|s| s.drift && s.resource == "StatefulSet firecamp/zk-server-b"),
        "the hand edit is drift"
    );
    assert!(has(Action::MoveIp, "sessions-redis-shard0-a-0"));
    assert!(
        has(Action::Delete, "StatefulSet firecamp/old-cache-shard0-a"),
        "the removed service"
    );
    assert!(
        plan.steps
            .iter()
            .filter(|s| s.service.as_deref() == Some("old-cache"))
            .all(|s| s.action == Action::Delete)
    );
}

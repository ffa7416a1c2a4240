//! The loop driven by watches, on the real control plane and moto, with a tick interval of an
//! hour so nothing but a watch event can start a tick: a hand edit of a StatefulSet is reported
//! as drift within seconds (and not corrected without self-heal) by a loop that asked nothing
//! while settled and does not read AWS again for it, and a static-IP member whose
//! pod comes back on another node of its zone has its address moved there, with no git change.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::world::{World, unchanged, world};
use firecamp::run::driver::{Schedule, drive};
use firecamp::run::{Observers, Reconciler, Settings, SpecSource};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use serde_json::json;

const SCHEDULE: Schedule = Schedule {
    interval: Duration::from_secs(3600),
    once: false,
    lease: Duration::from_secs(15),
};

/// Writes the example files `keep` selects into `dir`.
fn write_specs(world: &World, dir: &Path, keep: &[&str]) {
    for (path, text) in world.example_texts(keep, &unchanged) {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("dirs");
        std::fs::write(file, text).expect("write");
    }
}

/// Polls `check` every 50 ms until it holds, at most `limit`; returns how long it took.
async fn within<F: std::future::Future<Output = bool>>(
    limit: Duration,
    what: &str,
    mut check: impl FnMut() -> F,
) -> Duration {
    let started = Instant::now();
    while started.elapsed() < limit {
        if check().await {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not within {limit:?}");
}

/// The loop's lines so far.
type Said = Arc<Mutex<Vec<String>>>;

/// Runs the loop on `dir` until `test` returns, then stops it.
async fn with_loop<F: std::future::Future<Output = ()>>(
    world: &World,
    dir: &Path,
    observers: Observers,
    test: impl FnOnce(Said) -> F,
) {
    let mut reconciler = Reconciler::new(
        SpecSource::Local(dir.to_owned()),
        world.writer(),
        world.cluster.client.clone(),
        Some(&world.aws),
        Settings::default(),
    )
    .with_observers(observers);
    let stop = reconciler.stop_token();
    let said: Said = Arc::default();
    let lines = Arc::clone(&said);
    let mut say = move |line: &str| {
        eprintln!("loop: {line}");
        lines.lock().expect("lines").push(line.to_owned());
    };
    let body = async {
        test(Arc::clone(&said)).await;
        stop.cancel();
    };
    let (ran, ()) = tokio::join!(drive(&mut reconciler, None, SCHEDULE, &mut say), body);
    assert!(ran.expect("the loop"), "the loop ended with a failed tick");
}

/// Waits until the loop's last line says it is in sync and nothing followed for two seconds (the
/// members' pods becoming ready may start another plan).
async fn settled(said: &Said) {
    let lines = || said.lock().expect("lines").clone();
    let mut seen = (Instant::now(), Vec::new());
    within(Duration::from_secs(180), "the loop settles", || {
        let now = lines();
        if now != seen.1 {
            seen = (Instant::now(), now.clone());
        }
        let quiet = seen.0.elapsed() >= Duration::from_secs(2);
        async move { quiet && now.last().is_some_and(|l| l == "in sync") }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_edit_is_reported_as_drift_within_seconds_and_left_as_it_is() {
    let world = world().await;
    let dir = tempfile::tempdir().expect("temp dir");
    write_specs(&world, dir.path(), &["coordination/zookeeper.yaml"]);
    let observers = Observers::default();
    let metrics = observers.metrics.clone();
    let sets = Api::<StatefulSet>::namespaced(world.cluster.admin.clone(), world.namespace());
    let drift_line = format!(
        "firecamp_drift{{object=\"StatefulSet {}/zk-server-a\"}} 1",
        world.namespace()
    );
    let (world, sets, drift_line) = (&world, &sets, &drift_line);
    with_loop(world, dir.path(), observers, |said| async move {
        settled(&said).await;
        // Settled: the watches are open and nothing else is asked.
        world.cluster.reset_counts();
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(world.cluster.requests.all(), 0, "no request while settled");
        let aws_calls = || world.aws.counter.total();
        let aws_before = aws_calls();
        let edited = Instant::now();
        sets.patch(
            "zk-server-a",
            &PatchParams::apply("kubectl-edit"),
            &Patch::Merge(json!({"spec": {"revisionHistoryLimit": 2}})),
        )
        .await
        .expect("the hand edit");
        within(Duration::from_secs(15), "drift in /metrics", || async {
            metrics.encode().contains(drift_line.as_str())
        })
        .await;
        eprintln!("drift reported {:?} after the edit", edited.elapsed());
        assert_eq!(
            aws_calls(),
            aws_before,
            "no member moved: AWS is not read again"
        );
        // The status is written at the end of the same tick.
        within(Duration::from_secs(5), "drift in the status", || async {
            let status = world.status().await;
            status.drift.iter().any(|d| d.ends_with("/zk-server-a"))
        })
        .await;
        let limit = sets
            .get("zk-server-a")
            .await
            .expect("the StatefulSet")
            .spec
            .revision_history_limit;
        assert_eq!(limit, Some(2), "not corrected without --self-heal");
    })
    .await;
}

/// The node each of `service`'s member pods runs on.
async fn member_nodes(world: &World, service: &str) -> Vec<(String, String)> {
    world
        .pods()
        .await
        .into_iter()
        .filter(|(_, pod)| {
            pod.metadata.labels.as_ref().is_some_and(|l| {
                l.get("firecamp.io/service").map(String::as_str) == Some(service)
                    && l.contains_key("firecamp.io/role")
            })
        })
        .filter_map(|(name, pod)| Some((name, pod.spec?.node_name?)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_static_ip_member_moved_to_another_node_takes_its_address_along_without_a_git_change() {
    let world = world().await;
    let dir = tempfile::tempdir().expect("temp dir");
    write_specs(&world, dir.path(), &["data/redis.yaml"]);
    let validation = world.examples(&["data/redis.yaml"], &unchanged);
    let nodes = Api::<Node>::all(world.cluster.admin.clone());
    let pods = Api::<Pod>::namespaced(world.cluster.admin.clone(), world.namespace());
    let (world, validation, nodes, pods) = (&world, &validation, &nodes, &pods);
    with_loop(world, dir.path(), Observers::default(), |said| async move {
        settled(&said).await;
        let (member, old_node) = member_nodes(world, "sessions-redis")
            .await
            .into_iter()
            .next()
            .expect("a member");
        let address = world.read(validation).await.static_ips[&member].ip;
        nodes
            .patch(
                &old_node,
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"unschedulable": true}})),
            )
            .await
            .expect("cordon");
        let moved = Instant::now();
        let calls_before = world.aws.counter.snapshot();
        pods.delete(&member, &DeleteParams::default())
            .await
            .expect("the member's pod deleted");
        let (member, old_node) = (&member, &old_node);
        let new_node = within(
            Duration::from_secs(60),
            "the member's new pod",
            || async move {
                member_nodes(world, "sessions-redis")
                    .await
                    .iter()
                    .any(|(m, n)| m == member && n != old_node)
            },
        )
        .await;
        eprintln!("the new pod was placed {new_node:?} after the delete");
        let on_new_node = within(
            Duration::from_secs(60),
            "the address moved",
            || async move {
                let live = world.read(validation).await;
                let Some(node) = live
                    .members
                    .iter()
                    .find(|m| m.member == *member)
                    .and_then(|m| m.node.clone())
                else {
                    return false;
                };
                // moto keeps a reassigned address on the old ENI too (EC2 moves it), so only
                // the new node's ENI is checked.
                node != *old_node
                    && live.nodes.iter().any(|n| {
                        n.name == node
                            && n.eni
                                .as_ref()
                                .is_some_and(|e| e.secondary_ips.contains(&address))
                    })
            },
        )
        .await;
        eprintln!(
            "address {address} on the new node's ENI {:?} after the delete ({:?} after placement)",
            moved.elapsed(),
            on_new_node
        );
        let calls: Vec<String> = world
            .aws
            .counter
            .snapshot()
            .into_iter()
            .filter_map(|((provider, operation), n)| {
                let new = n - calls_before
                    .get(&(provider.clone(), operation.clone()))
                    .unwrap_or(&0);
                (new > 0).then(|| format!("{provider} {operation}: {new}"))
            })
            .collect();
        eprintln!("the loop's AWS calls for the move: {calls:?}");
        nodes
            .patch(
                old_node,
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"unschedulable": false}})),
            )
            .await
            .expect("uncordon");
    })
    .await;
}

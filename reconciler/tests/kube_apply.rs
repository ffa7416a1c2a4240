//! `apply` end to end: plans carried out on kube-fake-client's in-memory API server (with stand-in
//! controllers for pods, volume claims and jobs) and on AWS emulated by moto. A fresh install of
//! the examples converges and a second apply writes nothing; a config change restarts every
//! member; a volumeClaimTemplate change replaces the StatefulSet and keeps pods and volumes; an
//! image that never pulls fails fast with the pod's reason; injected 409s and 500s converge.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use common::fake_cluster::BROKEN_IMAGE;
use common::world::{unchanged, world};
use firecamp::apply::Outcome;
use firecamp::live::{read_snapshot, write_snapshot};
use firecamp::plan::kubernetes::identity;
use firecamp::plan::{Action, Desired, PlanOptions, plan};
use firecamp::providers::kubernetes::managed_kinds;
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams};
use kube_fake_client::Error as FakeError;

const ZK_AND_REDIS: [&str; 2] = ["coordination/zookeeper.yaml", "data/redis.yaml"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_install_of_the_examples_converges_and_a_second_apply_writes_nothing() {
    let world = world().await;
    let validation = world.examples(&[], &unchanged);
    let rounds = world.converge(&validation).await;
    assert!(rounds <= 3, "converged in {rounds} rounds");
    let batches = world.aws.counter.get("route53", "ChangeResourceRecordSets");
    assert!(
        batches <= rounds as u64,
        "record changes go in one batch per round (records waiting on records join it): {batches}"
    );

    let desired = Desired::from_validation(&validation).expect("desired");
    let live = world.read(&validation).await;
    let live_ids: BTreeSet<_> = live.objects.iter().map(|o| identity(o)).collect();
    let desired_count = desired.platform.len()
        + desired
            .services
            .iter()
            .map(|s| s.objects.len())
            .sum::<usize>();
    assert!(
        live_ids.len() >= desired_count,
        "{} objects live, {desired_count} desired",
        live_ids.len()
    );
    for service in &desired.services {
        for member in &service.members {
            let placement = live
                .members
                .iter()
                .find(|p| p.member == member.member.name)
                .unwrap_or_else(|| panic!("{} has no pod", member.member.name));
            assert!(placement.ready && placement.node.is_some());
        }
        for record in &service.aws.dns_records {
            assert!(
                live.dns_records
                    .iter()
                    .any(|r| r.record_type == "A" && r.name == record.name),
                "no record for {}",
                record.name
            );
        }
    }
    let redis_ips: Vec<_> = live
        .static_ips
        .iter()
        .filter(|(_, s)| s.service == "sessions-redis")
        .collect();
    assert_eq!(redis_ips.len(), 6);
    for (member, recorded) in redis_ips {
        let node = live
            .members
            .iter()
            .find(|p| &p.member == member)
            .and_then(|p| p.node.clone());
        let holder = live
            .nodes
            .iter()
            .find(|n| n.eni.secondary_ips.contains(&recorded.ip));
        assert_eq!(
            holder.map(|n| n.name.clone()),
            node,
            "{member}'s address is on its node"
        );
    }

    // `firecamp live dump` writes this snapshot; a plan from it (no cluster access) is empty too.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("snapshot.json");
    std::fs::write(&file, write_snapshot(&live)).expect("write");
    let dumped = read_snapshot(&file).expect("readable snapshot");
    assert_eq!(dumped, live);
    assert!(
        plan(&desired, &dumped, PlanOptions::default())
            .expect("plan")
            .is_empty()
    );

    world.cluster.pause_controllers(true).await;
    world.cluster.reset_counts();
    let (plan, report) = world.apply(&validation).await;
    assert!(
        plan.is_empty(),
        "{:#?}",
        plan.steps
            .iter()
            .map(|s| (&s.id, &s.changes))
            .collect::<Vec<_>>()
    );
    assert!(report.steps.is_empty());
    assert_eq!(
        world.cluster.requests.writes(),
        0,
        "a second apply writes nothing"
    );
    assert_eq!(
        world.cluster.requests.lists.load(Ordering::SeqCst),
        managed_kinds().len() + 2,
        "one list per managed kind, plus pods and nodes"
    );
    assert_eq!(
        world.cluster.requests.gets.load(Ordering::SeqCst),
        0,
        "never one GET per object"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_change_restarts_every_member_one_at_a_time_on_the_new_template() {
    let world = world().await;
    world
        .converge(&world.examples(&ZK_AND_REDIS, &unchanged))
        .await;
    let before = world.pods().await;
    let changed = world.examples(&ZK_AND_REDIS, &|path, text| {
        if path.ends_with("zookeeper.yaml") {
            text.replace("heapSize: 2Gi", "heapSize: 1Gi")
        } else {
            text
        }
    });
    world.cluster.reset_counts();
    let (plan, report) = world.apply(&changed).await;
    assert!(report.succeeded(), "{report}");
    let restarts: Vec<&str> = report
        .steps
        .iter()
        .filter(|s| s.action == Action::RestartMember)
        .map(|s| s.resource.as_str())
        .collect();
    let mut restarted = restarts.clone();
    restarted.sort_unstable();
    assert_eq!(
        restarted,
        [
            "Pod firecamp/zk-server-a-0",
            "Pod firecamp/zk-server-b-0",
            "Pod firecamp/zk-server-c-0"
        ]
    );
    assert_eq!(restarts.len(), 3, "{restarts:?}");
    assert_eq!(
        plan.steps
            .iter()
            .filter(|s| s.action == Action::RestartMember)
            .count(),
        3
    );
    let after = world.pods().await;
    for (name, pod) in &after {
        let was = &before[name];
        if name.starts_with("zk-") {
            assert_ne!(pod.metadata.uid, was.metadata.uid, "{name} restarted");
            assert_ne!(
                pod.metadata.annotations, was.metadata.annotations,
                "{name} runs the new template"
            );
        } else {
            assert_eq!(pod.metadata.uid, was.metadata.uid, "{name} untouched");
        }
    }
    let deletes = world.cluster.requests.deletes.load(Ordering::SeqCst);
    assert!(
        (3..=6).contains(&deletes),
        "one pod delete per member (again if it came back on the old template): {deletes}"
    );
    assert_eq!(world.converge(&changed).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_volume_claim_template_change_replaces_the_statefulset_and_keeps_pods_and_volumes() {
    let world = world().await;
    world
        .converge(&world.examples(&ZK_AND_REDIS, &unchanged))
        .await;
    let claims = world.claim_uids().await;
    let pods = world.pods().await;
    assert!(
        claims.keys().any(|c| c.ends_with("zk-server-a-0")),
        "{claims:?}"
    );
    let changed = world.examples(&ZK_AND_REDIS, &|path, text| {
        if path.ends_with("zookeeper.yaml") {
            text.replace("volume: {size: 20Gi}", "volume: {size: 20Gi, type: gp2}")
        } else {
            text
        }
    });
    let (plan, report) = world.apply(&changed).await;
    assert!(report.succeeded(), "{report}");
    let replaced: Vec<&str> = plan
        .steps
        .iter()
        .filter(|s| s.action == Action::Replace)
        .map(|s| s.resource.as_str())
        .collect();
    assert_eq!(replaced.len(), 3, "one StatefulSet per zone: {replaced:?}");
    assert!(
        replaced
            .iter()
            .all(|r| r.starts_with("StatefulSet firecamp/zk-"))
    );
    assert_eq!(world.claim_uids().await, claims, "every volume claim kept");
    let after = world.pods().await;
    for (name, pod) in &pods {
        assert_eq!(
            after[name].metadata.uid, pod.metadata.uid,
            "{name} kept (orphaned, not deleted)"
        );
    }
    assert_eq!(world.converge(&changed).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_that_never_pulls_fails_fast_with_the_pods_reason() {
    let world = world().await;
    world
        .converge(&world.examples(&ZK_AND_REDIS, &unchanged))
        .await;
    let changed = world.examples(&ZK_AND_REDIS, &|path, text| {
        if path.ends_with("zookeeper.yaml") {
            text.replace(
                "heapSize: 2Gi",
                &format!("heapSize: 2Gi\n  image: zookeeper:{BROKEN_IMAGE}"),
            )
        } else {
            text
        }
    });
    let (_, report) = world.apply(&changed).await;
    assert!(!report.succeeded());
    let failure = report
        .steps
        .iter()
        .find_map(|s| match &s.outcome {
            Outcome::Failed(error) => Some(error.clone()),
            _ => None,
        })
        .expect("a failed step");
    assert!(
        failure.contains("ImagePullBackOff") && failure.contains("zk-server-"),
        "{failure}"
    );
    let deleted = world.cluster.requests.deletes.load(Ordering::SeqCst);
    assert_eq!(deleted, 1, "only the first member was restarted: {report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_conflicts_and_server_errors_are_retried_until_the_install_converges() {
    let world = world().await;
    {
        let mut failures = world.cluster.requests.failures.lock().expect("lock");
        let server_error = || {
            Some(FakeError::Internal(
                "etcdserver: request timed out".to_owned(),
            ))
        };
        let conflict = || {
            Some(FakeError::Conflict(
                "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again".to_owned(),
            ))
        };
        failures.extend([
            server_error(),
            None,
            conflict(),
            server_error(),
            None,
            conflict(),
            conflict(),
            None,
            server_error(),
        ]);
    }
    let validation = world.examples(&ZK_AND_REDIS, &unchanged);
    world.converge(&validation).await;
    assert!(
        world
            .cluster
            .requests
            .failures
            .lock()
            .expect("lock")
            .is_empty()
    );
    let (plan, _) = world.apply(&validation).await;
    assert!(plan.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_crash_looping_on_the_old_template_is_restarted_first_and_recovers() {
    let world = world().await;
    world
        .converge(&world.examples(&ZK_AND_REDIS, &unchanged))
        .await;
    let crash_loop = serde_json::json!({"status": {
        "conditions": [{"type": "Ready", "status": "False"}],
        "containerStatuses": [{"name": "zookeeper", "image": "zookeeper", "imageID": "", "ready": false,
            "restartCount": 7, "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}}}]}});
    Api::<Pod>::namespaced(world.cluster.client.clone(), "firecamp")
        .patch_status(
            "zk-server-b-0",
            &PatchParams::default(),
            &Patch::Merge(crash_loop),
        )
        .await
        .expect("crash loop");
    let changed = world.examples(&ZK_AND_REDIS, &|path, text| {
        if path.ends_with("zookeeper.yaml") {
            text.replace("heapSize: 2Gi", "heapSize: 1Gi")
        } else {
            text
        }
    });
    let (_, report) = world.apply(&changed).await;
    assert!(report.succeeded(), "{report}");
    let restarts: Vec<&str> = report
        .steps
        .iter()
        .filter(|s| s.action == Action::RestartMember)
        .map(|s| s.resource.as_str())
        .collect();
    assert_eq!(restarts[0], "Pod firecamp/zk-server-b-0", "{restarts:?}");
    assert_eq!(restarts.len(), 3);
    assert_eq!(world.converge(&changed).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allocation_record_that_moved_after_planning_is_refused_and_the_next_plan_converges() {
    let world = world().await;
    world
        .converge(&world.examples(&ZK_AND_REDIS, &unchanged))
        .await;
    let grown = world.examples(&ZK_AND_REDIS, &|path, text| {
        if path.ends_with("redis.yaml") {
            text.replace("shards: 3", "shards: 4")
        } else {
            text
        }
    });
    let live = world.read(&grown).await;
    let plan = plan(
        &Desired::from_validation(&grown).expect("desired"),
        &live,
        PlanOptions::default(),
    )
    .expect("plan");
    let record = "ConfigMap firecamp/sessions-redis-static-ips";
    let step = plan
        .steps
        .iter()
        .find(|s| s.resource == record)
        .expect("the record is updated");
    assert_eq!(step.action, Action::Update);
    let decided_from = step.after.as_ref().expect("after")["metadata"]["resourceVersion"].clone();
    assert!(
        decided_from.is_string(),
        "the update carries the version it was decided from"
    );
    // Another writer (say, a replica that lost its lease) changes the record meanwhile.
    Api::<ConfigMap>::namespaced(world.cluster.client.clone(), "firecamp")
        .patch(
            "sessions-redis-static-ips",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"data": {"sessions-redis-shard3-a-0": "10.0.16.99"}})),
        )
        .await
        .expect("concurrent write");
    let report = world.carry_out(&grown, &plan, &live).await;
    let outcome = report
        .steps
        .iter()
        .find(|s| s.resource == record)
        .expect("record step");
    match &outcome.outcome {
        Outcome::Failed(error) => assert!(error.contains("409"), "{error}"),
        other => panic!("a stale allocation record must be refused, got {other:?}"),
    }
    assert!(
        report.skipped() > 0,
        "steps that need the record wait: {report}"
    );
    world.converge(&grown).await;
    let live = world.read(&grown).await;
    assert_eq!(
        live.static_ips
            .values()
            .filter(|s| s.service == "sessions-redis")
            .count(),
        8
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_larger_volume_expands_every_claim_in_place() {
    let world = world().await;
    world
        .converge(&world.examples(&ZK_AND_REDIS, &unchanged))
        .await;
    let claims = world.claim_uids().await;
    let grown = world.examples(&ZK_AND_REDIS, &|path, text| {
        if path.ends_with("zookeeper.yaml") {
            text.replace("volume: {size: 20Gi}", "volume: {size: 30Gi}")
        } else {
            text
        }
    });
    let (plan, report) = world.apply(&grown).await;
    assert!(report.succeeded(), "{report}");
    let expanded: Vec<&str> = plan
        .steps
        .iter()
        .filter(|s| s.action == Action::ExpandVolume)
        .map(|s| s.resource.as_str())
        .collect();
    assert_eq!(expanded.len(), 3, "{expanded:?}");
    let sizes: Vec<String> =
        Api::<PersistentVolumeClaim>::namespaced(world.cluster.client.clone(), "firecamp")
            .list(&ListParams::default())
            .await
            .expect("claims")
            .items
            .into_iter()
            .filter(|c| {
                c.metadata
                    .name
                    .as_deref()
                    .is_some_and(|n| n.contains("zk-server-"))
            })
            .map(|c| {
                serde_json::to_value(&c.spec).expect("json")["resources"]["requests"]["storage"]
                    .to_string()
            })
            .collect();
    assert_eq!(sizes, ["\"30Gi\""; 3], "every claim grew in place");
    assert_eq!(world.claim_uids().await, claims, "no claim was recreated");
}

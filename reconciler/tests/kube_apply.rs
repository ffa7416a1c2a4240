//! `apply` end to end: plans carried out on the real control plane (the real StatefulSet, Job and
//! garbage-collection controllers, the real scheduler, kwok's kubelets, the EBS CSI controller
//! side) and on AWS emulated by moto. A fresh install of
//! the examples converges and a second apply writes nothing; a config change restarts every
//! member; a volumeClaimTemplate change replaces the StatefulSet and keeps pods and volumes; an
//! image that never pulls fails fast with the pod's reason; injected 409s and 500s converge.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;

use common::cluster::{BROKEN_IMAGE, Failure};
use common::world::{unchanged, world};
use firecamp::apply::Outcome;
use firecamp::live::{read_snapshot, write_snapshot};
use firecamp::plan::kubernetes::identity;
use firecamp::plan::{Action, Desired, PlanOptions, Provider, plan};
use firecamp::providers::kubernetes::managed_kinds;
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};

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
    // What the real scheduler, StatefulSet and Job controllers, volume binder and kwok made of it:
    // every member Running and Ready on a node of its zone, every claim bound to a volume of that
    // zone, every init Job complete.
    let pods = world.pods().await;
    let claims = world.claims().await;
    let volumes = world.volume_zones().await;
    let node_zones: BTreeMap<String, String> = world
        .network
        .nodes
        .iter()
        .map(|n| (format!("node-{}", n.instance_id), n.zone.clone()))
        .collect();
    for service in &desired.services {
        for member in &service.members {
            let name = &member.member.name;
            let placement = live
                .members
                .iter()
                .find(|p| &p.member == name)
                .unwrap_or_else(|| panic!("{name} has no pod"));
            assert!(placement.ready && placement.node.is_some());
            let pod = &pods[name];
            let status = pod.status.as_ref().expect("pod status");
            assert_eq!(status.phase.as_deref(), Some("Running"), "{name}");
            let node = pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.clone())
                .expect("scheduled");
            assert_eq!(
                node_zones[&node], member.member.zone,
                "{name} runs in its zone"
            );
            for (claim, volume) in claims
                .iter()
                .filter(|(c, _)| c.ends_with(&format!("-{name}")))
            {
                let volume = volume
                    .as_ref()
                    .unwrap_or_else(|| panic!("{claim} is not bound"));
                assert_eq!(
                    volumes[volume], member.member.zone,
                    "{claim}'s volume is in its zone"
                );
            }
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
    let jobs = world.jobs().await;
    assert!(jobs.len() >= 5, "the examples' init Jobs: {jobs:?}");
    assert!(
        jobs.values().all(|done| *done),
        "every init Job complete: {jobs:?}"
    );
    assert!(
        claims.values().all(Option::is_some),
        "every claim bound: {claims:?}"
    );
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
    let ns = world.namespace();
    assert_eq!(
        restarted,
        [
            format!("Pod {ns}/zk-server-a-0"),
            format!("Pod {ns}/zk-server-b-0"),
            format!("Pod {ns}/zk-server-c-0")
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
    settle_after_restarts(&world, &changed).await;
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
            .all(|r| r.starts_with(&format!("StatefulSet {}/zk-", world.namespace())))
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
        let server_error = || Some(Failure::internal("etcdserver: request timed out"));
        let conflict = || {
            Some(Failure::conflict(
                "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again",
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
    Api::<Pod>::namespaced(world.cluster.admin.clone(), world.namespace())
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
    assert_eq!(
        restarts[0],
        format!("Pod {}/zk-server-b-0", world.namespace()),
        "{restarts:?}"
    );
    assert_eq!(restarts.len(), 3);
    settle_after_restarts(&world, &changed).await;
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
    let record = format!("ConfigMap {}/sessions-redis-static-ips", world.namespace());
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
    Api::<ConfigMap>::namespaced(world.cluster.admin.clone(), world.namespace())
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
        Api::<PersistentVolumeClaim>::namespaced(world.cluster.admin.clone(), world.namespace())
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_another_manager_took_over_is_a_conflict_until_apply_is_forced() {
    let world = world().await;
    let validation = world.examples(&["coordination/zookeeper.yaml"], &unchanged);
    world.converge(&validation).await;
    // `kubectl edit`: an update (not an apply) by another field manager changes a field firecamp
    // applied; the API server moves that field's ownership to the editor.
    let maps = Api::<ConfigMap>::namespaced(world.cluster.admin.clone(), world.namespace());
    let mut map = maps.get("zk-config").await.expect("zk-config");
    let data = map.data.as_mut().expect("data");
    let key = data.keys().next().expect("a file").clone();
    data.get_mut(&key)
        .expect("file")
        .push_str("\n# edited by hand\n");
    let params = PostParams {
        field_manager: Some("kubectl-edit".to_owned()),
        ..PostParams::default()
    };
    maps.replace("zk-config", &params, &map)
        .await
        .expect("edit");
    let owners: Vec<String> = maps
        .get("zk-config")
        .await
        .expect("zk-config")
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter_map(|f| f.manager)
        .collect();
    assert!(owners.iter().any(|m| m == "kubectl-edit"), "{owners:?}");

    let (plan, report) = world.apply(&validation).await;
    let step = plan
        .steps
        .iter()
        .find(|s| s.resource.ends_with("/zk-config"))
        .expect("the edit is planned back");
    assert!(step.drift, "an edit outside git is drift: {}", step.reason);
    let failure = report
        .steps
        .iter()
        .find_map(|s| match &s.outcome {
            Outcome::Failed(error) if s.resource.ends_with("/zk-config") => Some(error.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("a conflict, not an overwrite: {report}"));
    assert!(
        failure.contains("kubectl-edit") && failure.contains("--force"),
        "{failure}"
    );

    let live = world.read(&validation).await;
    let plan = common::plan_of(&validation, &live);
    let forced = world
        .carry_out_with(&validation, &plan, &live, &world.forcing_writer())
        .await;
    assert!(forced.succeeded(), "{forced}");
    let (plan, _) = world.apply(&validation).await;
    assert!(plan.is_empty(), "firecamp owns the field again");
}

/// After member restarts: the next plan is empty, or only updates the A records of members the
/// real scheduler put on another node of their zone (only the zone is required of it); then
/// nothing is left.
async fn settle_after_restarts(
    world: &common::world::World,
    validation: &firecamp_schema::Validation,
) {
    let live = world.read(validation).await;
    let next = common::plan_of(validation, &live);
    assert!(
        next.steps
            .iter()
            .all(|s| s.provider == Provider::Route53 && s.action == Action::Update),
        "{:#?}",
        next.steps
            .iter()
            .map(|s| (&s.id, &s.changes))
            .collect::<Vec<_>>()
    );
    let rounds = world.converge(validation).await;
    assert_eq!(rounds, if next.is_empty() { 1 } else { 2 });
}

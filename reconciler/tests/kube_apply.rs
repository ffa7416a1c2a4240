//! `apply` end to end: plans carried out on the real control plane (the real StatefulSet, Job and
//! garbage-collection controllers, the real scheduler, kwok's kubelets, the EBS CSI controller
//! side) and on AWS emulated by moto. A fresh install of the examples converges and a second
//! apply writes nothing; a config change restarts every member; a volumeClaimTemplate change
//! replaces the StatefulSet and keeps pods and volumes; a larger volume expands every claim.
//! What goes wrong on the way is in `kube_apply_failures.rs`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;

use common::world::{edit_file, unchanged, world};
use firecamp::live::{read_snapshot, write_snapshot};
use firecamp::plan::kubernetes::identity;
use firecamp::plan::{Action, Desired, PlanOptions, plan};
use firecamp::providers::kubernetes::managed_kinds;
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use kube::api::{Api, ListParams};

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
        let holder = live.nodes.iter().find(|n| {
            n.eni
                .as_ref()
                .is_some_and(|e| e.secondary_ips.contains(&recorded.ip))
        });
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
        1,
        "never one GET per object: only the owner id's namespace"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_change_restarts_every_member_one_at_a_time_on_the_new_template() {
    let world = world().await;
    world
        .converge(&world.examples(&ZK_AND_REDIS, &unchanged))
        .await;
    let before = world.pods().await;
    let changed = world.examples(
        &ZK_AND_REDIS,
        &edit_file("zookeeper.yaml", |text| {
            text.replace("heapSize: 2Gi", "heapSize: 1Gi")
        }),
    );
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
    world.settle_after_restarts(&changed).await;
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
    let changed = world.examples(
        &ZK_AND_REDIS,
        &edit_file("zookeeper.yaml", |text| {
            text.replace("volume: {size: 20Gi}", "volume: {size: 20Gi, type: gp2}")
        }),
    );
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
async fn a_larger_volume_expands_every_claim_in_place() {
    let world = world().await;
    world
        .converge(&world.examples(&ZK_AND_REDIS, &unchanged))
        .await;
    let claims = world.claim_uids().await;
    let grown = world.examples(
        &ZK_AND_REDIS,
        &edit_file("zookeeper.yaml", |text| {
            text.replace("volume: {size: 20Gi}", "volume: {size: 30Gi}")
        }),
    );
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

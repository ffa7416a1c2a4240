//! Interrupted applies, on the real control plane and moto. A crash (the apply
//! dropped, held Route53 changes lost) right after each step of an install, again and again, still
//! converges: no address on two ENIs or given to two members, no record left that no member owns,
//! no volume claim deleted. A stop request lets the step in flight finish and skips the rest.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::world::{World, cluster, unchanged, world};
use firecamp::apply::{Appliers, Outcome, StepOutcome, apply_plan};
use firecamp::live::LiveState;
use firecamp::plan::{Desired, PlanOptions, plan};
use firecamp_schema::Validation;
use tokio_util::sync::CancellationToken;

const ZK_AND_REDIS: [&str; 2] = ["coordination/zookeeper.yaml", "data/redis.yaml"];

/// No address on two ENIs, no address recorded for two members.
fn assert_no_duplicate_ips(live: &LiveState, when: &str) {
    let mut holders: BTreeMap<_, Vec<&str>> = BTreeMap::new();
    for node in &live.nodes {
        for ip in node.eni.iter().flat_map(|e| &e.secondary_ips) {
            holders.entry(*ip).or_default().push(&node.name);
        }
    }
    holders.retain(|_, nodes| nodes.len() > 1);
    assert!(holders.is_empty(), "{when}: on two ENIs: {holders:?}");
    let mut owners: BTreeMap<_, Vec<&str>> = BTreeMap::new();
    for (member, recorded) in &live.static_ips {
        owners.entry(recorded.ip).or_default().push(member);
    }
    owners.retain(|_, members| members.len() > 1);
    assert!(
        owners.is_empty(),
        "{when}: given to two members: {owners:?}"
    );
}

/// The uids of the volume claims.
async fn claims(world: &World) -> BTreeSet<String> {
    world.claim_uids().await.into_values().collect()
}

/// Carries out `validation`'s plan and drops it (a crash) once `steps` steps were done; returns
/// whether the plan was empty.
async fn apply_and_crash(world: &World, validation: &Validation, steps: usize) -> bool {
    let live = world.read(validation).await;
    let desired = Desired::from_validation(validation).expect("desired");
    let planned = plan(&desired, &live, PlanOptions::default()).expect("plan");
    if planned.is_empty() {
        return true;
    }
    let writer = world.writer();
    let stop = CancellationToken::new();
    let appliers = Appliers {
        cluster: cluster(validation),
        kubernetes: &writer,
        aws: Some(&world.aws),
        stop: &stop,
        halt_service_on_failure: false,
    };
    let ended = Arc::new(AtomicUsize::new(0));
    let crash = tokio::sync::Notify::new();
    let mut progress = |step: &StepOutcome| {
        if step.outcome == Outcome::Done && ended.fetch_add(1, Ordering::SeqCst) + 1 == steps {
            crash.notify_one();
        }
    };
    tokio::select! {
        _ = apply_plan(&planned, &live, appliers, &mut progress) => {}
        () = crash.notified() => {}
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_killed_after_each_step_converges_without_duplicate_ips_orphan_records_or_lost_volumes()
 {
    let world = world().await;
    let validation = world.examples(&ZK_AND_REDIS, &unchanged);
    let mut volumes = BTreeSet::new();
    let mut crashes = 0;
    while !apply_and_crash(&world, &validation, 1).await {
        crashes += 1;
        assert!(crashes < 200, "no convergence after {crashes} crashes");
        let live = world.read(&validation).await;
        assert_no_duplicate_ips(&live, &format!("after crash {crashes}"));
        let now = claims(&world).await;
        assert!(
            now.is_superset(&volumes),
            "after crash {crashes}: volume claims deleted: {:?}",
            volumes.difference(&now).collect::<Vec<_>>()
        );
        volumes = now;
    }
    assert!(crashes > 10, "one crash per step: {crashes}");
    eprintln!("converged after {crashes} crashes");

    let live = world.read(&validation).await;
    assert_no_duplicate_ips(&live, "converged");
    let desired = Desired::from_validation(&validation).expect("desired");
    let wanted: BTreeSet<&str> = desired
        .services
        .iter()
        .flat_map(|s| s.aws.dns_records.iter().map(|r| r.name.as_str()))
        .collect();
    let records: BTreeSet<&str> = live
        .dns_records
        .iter()
        .filter(|r| r.record_type == "A")
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(
        records, wanted,
        "exactly the members' records, none orphaned"
    );
    let members: usize = desired.services.iter().map(|s| s.members.len()).sum();
    assert_eq!(
        volumes.len(),
        members,
        "one data claim per member, none lost"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_request_lets_the_step_in_flight_finish_and_skips_the_rest() {
    let world = world().await;
    let validation = world.examples(&ZK_AND_REDIS, &unchanged);
    let live = world.read(&validation).await;
    let desired = Desired::from_validation(&validation).expect("desired");
    let planned = plan(&desired, &live, PlanOptions::default()).expect("plan");
    let writer = world.writer();
    let stop = CancellationToken::new();
    let appliers = Appliers {
        cluster: cluster(&validation),
        kubernetes: &writer,
        aws: Some(&world.aws),
        stop: &stop,
        halt_service_on_failure: false,
    };
    let on_step = stop.clone();
    let report = apply_plan(&planned, &live, appliers, &mut |_| on_step.cancel()).await;
    let done = report
        .steps
        .iter()
        .filter(|s| s.outcome == Outcome::Done)
        .count();
    assert_eq!(done, 1, "only the step in flight: {report}");
    assert_eq!(report.steps.len(), planned.steps.len());
    assert!(
        report.steps[1..]
            .iter()
            .all(|s| matches!(&s.outcome, Outcome::Skipped(why) if why.contains("stopping") || why.contains("did not succeed"))),
        "{report}"
    );
    assert_eq!(
        world.cluster.requests.writes(),
        1,
        "one write, nothing after the stop"
    );
    let rounds = world.converge(&validation).await;
    assert!(
        rounds <= 4,
        "a stopped apply is finished by the next ones: {rounds} rounds"
    );
}

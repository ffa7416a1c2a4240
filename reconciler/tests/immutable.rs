//! Fields the real API server refuses to change are never sent as updates: a Job's template
//! changes by replacing the Job (it runs again; init scripts are idempotent), a smaller volume is
//! refused with a warning and nothing is written. Each case first shows the server's own rule
//! (the same change sent as a plain update is refused with 422), which the in-memory fake the
//! tests used before did not enforce.

mod common;

use common::world::{unchanged, world};
use firecamp::plan::Action;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

const ZK_AND_REDIS: [&str; 2] = ["coordination/zookeeper.yaml", "data/redis.yaml"];

fn invalid(result: kube::Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(kube::Error::Api(status)) if status.code == 422 => status.message,
        other => panic!("the API server must refuse this change with 422, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_template_change_replaces_the_job_and_a_smaller_volume_is_refused_unsent() {
    let world = world().await;
    world
        .converge(&world.examples(&ZK_AND_REDIS, &unchanged))
        .await;
    let jobs = Api::<Job>::namespaced(world.cluster.admin.clone(), world.namespace());
    let claims =
        Api::<PersistentVolumeClaim>::namespaced(world.cluster.admin.clone(), world.namespace());

    // The server's rules, shown directly.
    let message = invalid(
        jobs.patch(
            "sessions-redis-init",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"template": {"spec": {"containers": [
                {"name": "init", "image": "redis:7.4.9"}]}}}})),
        )
        .await,
    );
    assert!(message.contains("immutable"), "{message}");
    let message = invalid(
        claims
            .patch(
                "data-zk-server-a-0",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"resources": {"requests": {"storage": "10Gi"}}}})),
            )
            .await,
    );
    assert!(message.contains("can not be less than"), "{message}");

    // A new Redis image changes the init Job's template: the Job is replaced and runs again.
    let old_uid = jobs
        .get("sessions-redis-init")
        .await
        .expect("job")
        .metadata
        .uid;
    let new_image = world.examples(&ZK_AND_REDIS, &|path, text| {
        if path.ends_with("redis.yaml") {
            text.replace("shards: 3", "shards: 3\n  image: redis:7.4.9")
        } else {
            text
        }
    });
    let (plan, report) = world.apply(&new_image).await;
    assert!(report.succeeded(), "{report}");
    let job_step = plan
        .steps
        .iter()
        .find(|s| s.resource.ends_with("/sessions-redis-init"))
        .expect("the Job is planned");
    assert_eq!(job_step.action, Action::Replace, "{}", job_step.reason);
    let job = jobs
        .get("sessions-redis-init")
        .await
        .expect("the Job again");
    assert_ne!(job.metadata.uid, old_uid, "a new Job");
    let complete = job.status.and_then(|s| s.conditions).is_some_and(|c| {
        c.iter()
            .any(|c| c.type_ == "Complete" && c.status == "True")
    });
    assert!(complete, "the new Job ran to completion");

    // A smaller ZooKeeper volume: a warning, no step for its StatefulSets or claims.
    let before = world.claim_uids().await;
    let smaller = world.examples(&ZK_AND_REDIS, &|path, text| match path {
        p if p.ends_with("zookeeper.yaml") => {
            text.replace("volume: {size: 20Gi}", "volume: {size: 10Gi}")
        }
        p if p.ends_with("redis.yaml") => {
            text.replace("shards: 3", "shards: 3\n  image: redis:7.4.9")
        }
        _ => text,
    });
    world.cluster.reset_counts();
    let (plan, report) = world.apply(&smaller).await;
    assert!(report.succeeded(), "{report}");
    assert!(
        plan.warnings.iter().any(|w| w.contains("cannot shrink")),
        "{:?}",
        plan.warnings
    );
    assert!(
        plan.steps
            .iter()
            .all(|s| !s.resource.contains("zk-server-")),
        "nothing of ZooKeeper's is touched: {:?}",
        plan.steps.iter().map(|s| &s.resource).collect::<Vec<_>>()
    );
    assert_eq!(world.cluster.requests.writes(), 0, "nothing is written");
    assert_eq!(world.claim_uids().await, before);
}

//! Fields the real API server refuses to change are never sent as updates: a Job's template
//! changes by replacing the Job (it runs again; init scripts are idempotent), a smaller volume is
//! refused with a warning and nothing is written, a StatefulSet whose selector or serviceName
//! differs is replaced with its pods and claims kept, and a StorageClass whose parameters differ
//! is replaced while no claim uses it and left alone, with a warning, once claims do. Each case
//! first shows the server's own rule (the same change sent as a plain update is refused with
//! 422), which the in-memory fake the tests used before did not enforce.

mod common;

use common::world::{edit_file, unchanged, world};
use firecamp::plan::Action;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

const ZK_AND_REDIS: [&str; 2] = ["coordination/zookeeper.yaml", "data/redis.yaml"];
const ZK: [&str; 1] = ["coordination/zookeeper.yaml"];

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
    let new_image = world.examples(
        &ZK_AND_REDIS,
        &edit_file("redis.yaml", |text| {
            text.replace("shards: 3", "shards: 3\n  image: redis:7.4.9")
        }),
    );
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

/// Deletes `name` from `api` and waits until it is gone (StatefulSets: pods and claims orphaned).
async fn delete_and_wait<K>(api: &Api<K>, name: &str)
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    api.delete(name, &DeleteParams::orphan())
        .await
        .expect("delete");
    for _ in 0..100 {
        if api.get_opt(name).await.expect("get").is_none() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{name} was not deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statefulset_with_another_selector_and_service_name_is_replaced_keeping_pods_and_claims()
{
    let world = world().await;
    let examples = world.examples(&ZK, &unchanged);
    world.converge(&examples).await;
    let sets = Api::<StatefulSet>::namespaced(world.cluster.admin.clone(), world.namespace());

    let message = invalid(
        sets.patch(
            "zk-server-a",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"serviceName": "zk-old"}})),
        )
        .await,
    );
    assert!(message.contains("immutable"), "{message}");

    // As an earlier firecamp might have left it: another governing Service, a narrower selector.
    let mut old = sets.get("zk-server-a").await.expect("the StatefulSet");
    delete_and_wait(&sets, "zk-server-a").await;
    old.metadata = kube::api::ObjectMeta {
        name: old.metadata.name,
        namespace: old.metadata.namespace,
        labels: old.metadata.labels,
        annotations: old.metadata.annotations,
        ..Default::default()
    };
    old.status = None;
    let spec = &mut old.spec;
    spec.service_name = Some("zk-old".to_owned());
    let match_labels = spec
        .selector
        .match_labels
        .as_mut()
        .expect("the selector's labels");
    let dropped = match_labels.keys().next().cloned().expect("a label");
    match_labels.remove(&dropped);
    sets.create(&PostParams::default(), &old)
        .await
        .expect("the old StatefulSet");
    let claims = world.claim_uids().await;

    let (plan, report) = world.apply(&examples).await;
    assert!(report.succeeded(), "{report}");
    let step = plan
        .steps
        .iter()
        .find(|s| s.resource.ends_with("/zk-server-a") && s.resource.starts_with("StatefulSet"))
        .expect("the StatefulSet is planned");
    assert_eq!(step.action, Action::Replace, "{}", step.reason);
    assert!(
        step.reason.contains("spec.serviceName") && step.reason.contains("spec.selector"),
        "{}",
        step.reason
    );
    let replaced = sets
        .get("zk-server-a")
        .await
        .expect("the StatefulSet again");
    let spec = replaced.spec;
    assert_eq!(spec.service_name.as_deref(), Some("zk"));
    assert!(
        spec.selector
            .match_labels
            .expect("labels")
            .contains_key(&dropped)
    );
    world.converge(&examples).await;
    assert_eq!(world.claim_uids().await, claims, "every claim kept");
    // The new StatefulSet adopts the orphaned pod (and rolls it if its revision differs).
    for _ in 0..120 {
        let pods = world.pods().await;
        let ready = pods.get("zk-server-a-0").is_some_and(|pod| {
            pod.status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        });
        if ready {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    panic!(
        "zone a's member is not Ready again: {:?}",
        world.pods().await.keys()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_class_with_other_parameters_is_replaced_while_unused_and_kept_once_used() {
    let world = world().await;
    let examples = world.examples(&ZK, &unchanged);
    let classes = Api::<StorageClass>::all(world.cluster.admin.clone());
    let (plan, _) = world.plan(&examples).await;
    let rendered = plan
        .steps
        .iter()
        .find(|s| s.resource.starts_with("StorageClass "))
        .and_then(|s| s.after.clone())
        .expect("a StorageClass is planned");
    let name = rendered["metadata"]["name"]
        .as_str()
        .expect("its name")
        .to_owned();
    let mut other: StorageClass = serde_json::from_value(rendered).expect("a StorageClass");
    other
        .parameters
        .as_mut()
        .expect("parameters")
        .insert("csi.storage.k8s.io/fstype".to_owned(), "ext4".to_owned());
    let fstype = |class: &StorageClass| {
        class.parameters.as_ref().expect("parameters")["csi.storage.k8s.io/fstype"].clone()
    };

    // The server's rule.
    classes
        .create(&PostParams::default(), &other)
        .await
        .expect("the other class");
    let message = invalid(
        classes
            .patch(
                &name,
                &PatchParams::default(),
                &Patch::Merge(json!({"parameters": {"csi.storage.k8s.io/fstype": "xfs"}})),
            )
            .await,
    );
    assert!(message.contains("immutable"), "{message}");

    // Unused: replaced.
    let (plan, report) = world.apply(&examples).await;
    assert!(report.succeeded(), "{report}");
    let step = plan
        .steps
        .iter()
        .find(|s| s.resource == format!("StorageClass {name}"))
        .expect("the class is planned");
    assert_eq!(step.action, Action::Replace, "{}", step.reason);
    assert_eq!(fstype(&classes.get(&name).await.expect("class")), "xfs");
    world.converge(&examples).await;

    // Used by ZooKeeper's claims: kept as it is, with a warning naming them, nothing written.
    delete_and_wait(&classes, &name).await;
    classes
        .create(&PostParams::default(), &other)
        .await
        .expect("the other class again");
    world.cluster.reset_counts();
    let (plan, report) = world.apply(&examples).await;
    assert!(report.succeeded(), "{report}");
    assert!(plan.is_empty(), "{:?}", plan.steps);
    let warning = plan
        .warnings
        .iter()
        .find(|w| w.starts_with(&format!("StorageClass {name}:")))
        .expect("a warning for the class");
    assert!(
        warning.contains("parameters") && warning.contains("3 volume claim(s)"),
        "{warning}"
    );
    assert_eq!(world.cluster.requests.writes(), 0, "nothing is written");
    assert_eq!(fstype(&classes.get(&name).await.expect("class")), "ext4");
}

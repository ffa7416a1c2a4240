//! `apply` when things go wrong, on the real control plane and moto: an image that never pulls
//! fails fast with the pod's reason; injected 409s and 500s are retried until the install
//! converges; a member crash-looping on the old template is restarted first and recovers; an
//! allocation record that moved after planning is refused and the next plan converges; a field
//! another manager took over is a conflict until apply is forced; a failed assign writes no
//! allocation record.

mod common;

use std::sync::atomic::Ordering;

use common::cluster::{BROKEN_IMAGE, Failure};
use common::world::{edit_file, unchanged, world};
use firecamp::apply::Outcome;
use firecamp::plan::{Action, Desired, PlanOptions, plan};
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, Patch, PatchParams, PostParams};

const ZK_AND_REDIS: [&str; 2] = ["coordination/zookeeper.yaml", "data/redis.yaml"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_that_never_pulls_fails_fast_with_the_pods_reason() {
    let world = world().await;
    world
        .converge(&world.examples(&ZK_AND_REDIS, &unchanged))
        .await;
    let changed = world.examples(
        &ZK_AND_REDIS,
        &edit_file("zookeeper.yaml", |text| {
            text.replace(
                "heapSize: 2Gi",
                &format!("heapSize: 2Gi\n  image: zookeeper:{BROKEN_IMAGE}"),
            )
        }),
    );
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
    let changed = world.examples(
        &ZK_AND_REDIS,
        &edit_file("zookeeper.yaml", |text| {
            text.replace("heapSize: 2Gi", "heapSize: 1Gi")
        }),
    );
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
    world.settle_after_restarts(&changed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allocation_record_that_moved_after_planning_is_refused_and_the_next_plan_converges() {
    let world = world().await;
    world
        .converge(&world.examples(&ZK_AND_REDIS, &unchanged))
        .await;
    let grown = world.examples(
        &ZK_AND_REDIS,
        &edit_file("redis.yaml", |text| text.replace("shards: 3", "shards: 4")),
    );
    // The new shard's members are made first; their addresses are chosen once they have nodes.
    let (_, report) = world.apply(&grown).await;
    assert!(report.succeeded(), "{report}");
    world.await_placement().await;
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
    // The new members' addresses were assigned before the refused record. The next plan records
    // the one the other writer did not record as it is, assigns the other writer's choice, and
    // releases what it replaced: nothing leaks.
    let assigned = |member: &str| {
        plan.steps
            .iter()
            .find(|s| s.id == format!("ec2:assign/{member}"))
            .and_then(|s| s.after.as_ref())
            .and_then(|a| a["ip"].as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("{member} assigned"))
    };
    let adopted = assigned("sessions-redis-shard3-b-0");
    world.converge(&grown).await;
    let live = world.read(&grown).await;
    let ip_of = |member: &str| live.static_ips[member].ip.to_string();
    assert_eq!(ip_of("sessions-redis-shard3-b-0"), adopted);
    assert_eq!(ip_of("sessions-redis-shard3-a-0"), "10.0.16.99");
    let mut on_interfaces: Vec<String> = live
        .interfaces()
        .flat_map(|e| e.secondary_ips.iter().map(ToString::to_string))
        .collect();
    let mut recorded: Vec<String> = live.static_ips.values().map(|s| s.ip.to_string()).collect();
    on_interfaces.sort();
    recorded.sort();
    assert_eq!(recorded.len(), 8);
    assert_eq!(
        on_interfaces, recorded,
        "exactly the recorded addresses are assigned"
    );
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

/// Assign, then record, on the real control plane and moto: an assign EC2 refuses (here the
/// node's interface is gone: moto refuses nothing else) writes no record and no DNS record; the
/// next plans make the interface again, assign, and record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_assign_writes_no_record_and_the_next_plans_assign_and_record() {
    let world = world().await;
    let redis = world.examples(&["data/redis.yaml"], &unchanged);
    let (_, report) = world.apply(&redis).await;
    assert!(report.succeeded(), "{report}");
    world.await_placement().await;
    let (plan, live) = world.plan(&redis).await;
    let assign = plan
        .steps
        .iter()
        .find(|s| s.action == Action::AssignIp)
        .expect("an assign");
    let member = assign.id.trim_start_matches("ec2:assign/").to_owned();
    let eni = assign.after.as_ref().expect("after")["eni"]
        .as_str()
        .expect("the node's interface exists")
        .to_owned();
    let ec2 = world.aws.ec2.client();
    let attachment = ec2
        .describe_network_interfaces()
        .network_interface_ids(&eni)
        .send()
        .await
        .expect("described")
        .network_interfaces()[0]
        .attachment()
        .and_then(|a| a.attachment_id())
        .expect("attached")
        .to_owned();
    ec2.detach_network_interface()
        .attachment_id(attachment)
        .force(true)
        .send()
        .await
        .expect("detached");
    ec2.delete_network_interface()
        .network_interface_id(&eni)
        .send()
        .await
        .expect("deleted");
    let report = world.carry_out(&redis, &plan, &live).await;
    let outcome = |id: &str| {
        report
            .steps
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.outcome.clone())
            .unwrap_or_else(|| panic!("no outcome for {id}"))
    };
    assert!(
        matches!(outcome(&assign.id), Outcome::Failed(_)),
        "{report}"
    );
    let record = format!(
        "kubernetes:ConfigMap/{}/sessions-redis-static-ips",
        world.namespace()
    );
    assert!(matches!(outcome(&record), Outcome::Skipped(_)), "{report}");
    let written = Api::<ConfigMap>::namespaced(world.cluster.admin.clone(), world.namespace())
        .get("sessions-redis-static-ips")
        .await
        .expect("the record (made empty with the service)");
    assert!(
        written.data.unwrap_or_default().is_empty(),
        "no address recorded"
    );
    world.converge(&redis).await;
    let live = world.read(&redis).await;
    let ip = live.static_ips[&member].ip;
    assert!(
        live.interfaces().any(|e| e.secondary_ips.contains(&ip)),
        "{member}'s {ip} is on a firecamp interface"
    );
    assert_eq!(live.static_ips.len(), 6);
}

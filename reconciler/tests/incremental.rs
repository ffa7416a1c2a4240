//! The incremental planner gives exactly the plan a fresh plan gives, whatever moved since its
//! last plan: a live object (with a new resourceVersion, as the API server gives on every write),
//! a member's pod, a DNS record, a static IP, a spec file.

mod common;

use std::path::Path;

use common::{base_live, converge, example_files, schedule};
use firecamp::live::{LiveState, simulate_apply};
use firecamp::plan::{Desired, Plan, PlanOptions, Planner, plan};
use firecamp_catalog::labels;
use firecamp_schema::Limits;
use firecamp_schema::validate::{SourceFile, validate_files};
use serde_json::json;

fn sources(files: &[(String, String)]) -> Vec<SourceFile> {
    files
        .iter()
        .map(|(path, text)| SourceFile::in_memory(path.as_str(), text.as_str()))
        .collect()
}

/// The desired state made from nothing remembered.
fn fresh_desired(files: &[(String, String)]) -> Desired {
    let validation = validate_files(Path::new("specs"), sources(files), &Limits::default());
    Desired::from_validation(&validation).expect("desired")
}

/// Plans with `planner` and checks the plan is byte for byte the fresh plan of `desired`, the
/// desired state of `files`.
fn same_plan(
    planner: &mut Planner,
    files: &[(String, String)],
    desired: &Desired,
    live: &LiveState,
) -> Plan {
    planner
        .load(Path::new("specs"), sources(files), &Limits::default())
        .expect("load");
    let planned = planner.plan(live, PlanOptions::default()).expect("plan");
    let fresh = plan(desired, live, PlanOptions::default()).expect("plan");
    assert_eq!(
        serde_json::to_string_pretty(&planned).expect("json"),
        serde_json::to_string_pretty(&fresh).expect("json")
    );
    planned
}

/// The examples installed and in sync, and a planner that has planned them once.
fn settled() -> (Vec<(String, String)>, Desired, LiveState, Planner) {
    let files = example_files();
    let validation = validate_files(Path::new("specs"), sources(&files), &Limits::default());
    let live = converge(&validation, base_live());
    let desired = fresh_desired(&files);
    let mut planner = Planner::new();
    assert!(same_plan(&mut planner, &files, &desired, &live).is_empty());
    (files, desired, live, planner)
}

/// A new resourceVersion for a written object.
fn written(object: &mut serde_json::Value, version: usize) {
    object["metadata"]["resourceVersion"] = json!(format!("{}", 90_000 + version));
}

/// Changes a label firecamp sets: one of the object's own, else the cluster's (the object is then
/// no longer firecamp's in this cluster).
fn edit(object: &mut serde_json::Value) {
    let labels = object["metadata"]["labels"]
        .as_object_mut()
        .expect("labels");
    let own = labels
        .keys()
        .find(|k| *k != labels::MANAGED_BY && *k != labels::CLUSTER)
        .cloned();
    labels.insert(
        own.unwrap_or_else(|| labels::CLUSTER.to_owned()),
        json!("edited"),
    );
}

#[test]
fn a_settled_cluster_is_known_in_sync_and_plans_the_same() {
    let (files, desired, live, mut planner) = settled();
    let records = live
        .objects
        .iter()
        .filter(|o| {
            o["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.ends_with("-static-ips"))
        })
        .count();
    assert!(records > 0);
    assert_eq!(
        planner.memo().known_in_sync(),
        live.objects.len() - records,
        "every object but the allocation records, which are compared every plan"
    );
    assert!(same_plan(&mut planner, &files, &desired, &live).is_empty());
    assert!(same_plan(&mut planner, &files, &desired, &live).is_empty());
}

#[test]
fn a_changed_or_deleted_object_of_each_kind_and_service_is_planned_as_a_fresh_plan_does() {
    let (files, desired, live, mut planner) = settled();
    let mut kinds = std::collections::BTreeSet::new();
    for (i, object) in live.objects.iter().enumerate() {
        let service = &object["metadata"]["labels"][labels::SERVICE];
        if !kinds.insert((object["kind"].to_string(), service.to_string())) {
            continue;
        }
        let mut changed = live.clone();
        changed.objects[i].edit(|o| {
            edit(o);
            written(o, i);
        });
        let plan = same_plan(&mut planner, &files, &desired, &changed);
        assert!(!plan.is_empty(), "{} changed", object["metadata"]["name"]);
        let mut deleted = live.clone();
        deleted.objects.remove(i);
        assert!(!same_plan(&mut planner, &files, &desired, &deleted).is_empty());
    }
    assert!(same_plan(&mut planner, &files, &desired, &live).is_empty());
}

#[test]
fn pods_records_and_addresses_are_checked_every_plan() {
    let (files, desired, live, mut planner) = settled();
    let mut moved = live.clone();
    moved.members[0].config_hash = Some("old".to_owned());
    moved.members[1].ready = false;
    assert!(!same_plan(&mut planner, &files, &desired, &moved).is_empty());
    let mut unrecorded = live.clone();
    unrecorded.dns_records.retain(|r| r.record_type != "A");
    assert!(!same_plan(&mut planner, &files, &desired, &unrecorded).is_empty());
    let mut unassigned = live.clone();
    for eni in unassigned.nodes.iter_mut().filter_map(|n| n.eni.as_mut()) {
        eni.secondary_ips.clear();
    }
    assert!(!same_plan(&mut planner, &files, &desired, &unassigned).is_empty());
    assert!(same_plan(&mut planner, &files, &desired, &live).is_empty());
}

#[test]
fn a_changed_spec_file_is_planned_again_and_converges() {
    let (mut files, _, mut live, mut planner) = settled();
    let zookeeper = files
        .iter_mut()
        .find(|(path, _)| path.ends_with("zookeeper.yaml"))
        .expect("the ZooKeeper spec");
    assert!(zookeeper.1.contains("heapSize: 2Gi"));
    zookeeper.1 = zookeeper.1.replacen("heapSize: 2Gi", "heapSize: 3Gi", 1);
    let desired = fresh_desired(&files);
    let plan = same_plan(&mut planner, &files, &desired, &live);
    assert!(!plan.is_empty(), "the ZooKeeper change is planned");
    live = simulate_apply(&plan, &live);
    schedule(&mut live);
    assert!(same_plan(&mut planner, &files, &desired, &live).is_empty());
}

#[test]
fn an_object_changed_without_a_new_resource_version_is_trusted_to_be_unchanged() {
    // The memo relies on the API server's promise that every write changes the
    // resourceVersion: an edit that kept it (impossible on a real API server) goes unseen,
    // which shows the planner did not compare the object again.
    let (files, desired, live, mut planner) = settled();
    let mut edited = live.clone();
    let statefulset = edited
        .objects
        .iter_mut()
        .find(|o| o["kind"] == "StatefulSet")
        .expect("a StatefulSet");
    statefulset.edit(edit);
    planner
        .load(Path::new("specs"), sources(&files), &Limits::default())
        .expect("load");
    assert!(
        planner
            .plan(&edited, PlanOptions::default())
            .expect("plan")
            .is_empty()
    );
    assert!(
        !plan(&desired, &edited, PlanOptions::default())
            .expect("plan")
            .is_empty()
    );
}

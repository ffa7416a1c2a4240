//! The plan engine's behaviour on the examples and on targeted changes.

mod common;

use common::{
    after_first_round, base_live, cluster_yaml, converge, edited_examples, example_files, examples,
    plan_of, specs,
};
use firecamp::live::{LiveState, simulate_apply};
use firecamp::plan::{Action, Desired, PlanError, PlanOptions, Provider, plan};

fn actions(plan: &firecamp::plan::Plan) -> Vec<(Action, String)> {
    plan.steps
        .iter()
        .map(|s| (s.action, s.resource.clone()))
        .collect()
}

#[test]
fn the_examples_converge_and_a_converged_cluster_plans_nothing() {
    let validation = examples();
    let live = converge(&validation, base_live());
    let again = plan_of(&validation, &live);
    assert!(again.is_empty());
    assert!(again.summary.in_sync > 150, "{:?}", again.summary);
    assert!(
        live.dns_records.iter().any(|r| r.record_type == "TXT"),
        "ownership records exist"
    );
    assert_eq!(live.static_ips.len(), 9, "3 Consul + 6 Redis members");
}

#[test]
fn the_same_inputs_give_a_byte_identical_plan() {
    let validation = examples();
    let live = base_live();
    let first = serde_json::to_string(&plan_of(&validation, &live)).expect("json");
    let second = serde_json::to_string(&plan_of(&validation, &live)).expect("json");
    assert_eq!(first, second);
}

#[test]
fn every_step_comes_after_the_steps_it_depends_on() {
    let plan = plan_of(&examples(), &base_live());
    let position: std::collections::BTreeMap<&str, usize> = plan
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    for (i, step) in plan.steps.iter().enumerate() {
        for dependency in &step.depends_on {
            assert!(
                position[dependency.as_str()] < i,
                "{} runs before its dependency {dependency}",
                step.id
            );
        }
    }
    let first = |resource: &str| {
        plan.steps
            .iter()
            .position(|s| s.resource == resource)
            .expect(resource)
    };
    assert!(
        first("StatefulSet firecamp/kafka-broker-c")
            < first("ConfigMap firecamp/kafka-manager-config"),
        "Kafka before the Kafka UI that names it"
    );
    assert!(
        first("StatefulSet firecamp/zk-server-c") < first("ConfigMap firecamp/zk-metrics-config"),
        "ZooKeeper before the Telegraf agent that monitors it"
    );
    assert!(
        first("ConfigMap firecamp/consul-config") < first("StatefulSet firecamp/consul-server-a")
    );
    assert!(
        first("ConfigMap firecamp/consul-static-ips")
            < first("StatefulSet firecamp/consul-server-a"),
        "the allocation record, which the pods mount, before the pods"
    );
    assert!(
        first("StatefulSet firecamp/catalog-mongo-replica-c")
            < first("Job firecamp/catalog-mongo-init"),
        "init job last"
    );
}

#[test]
fn static_ips_skip_reserved_and_foreign_addresses() {
    let plan = plan_of(&examples(), &after_first_round(&examples(), &base_live()));
    let ips: Vec<String> = plan
        .steps
        .iter()
        .filter(|s| s.action == Action::AllocateIp && s.resource.contains("consul-server-a-0"))
        .map(|s| {
            s.after.as_ref().expect("after")["ip"]
                .as_str()
                .expect("ip")
                .to_owned()
        })
        .collect();
    assert_eq!(
        ips,
        ["10.0.16.6"],
        ".0-.3 are reserved by AWS, .4 and .5 are used by someone else"
    );
}

#[test]
fn a_change_in_git_is_an_update_with_restarts_and_live_edits_are_drift() {
    let validation = examples();
    let mut live = converge(&validation, base_live());
    // Someone scaled a StatefulSet by hand: drift.
    let edited = live
        .objects
        .iter_mut()
        .find(|o| o["metadata"]["name"] == "zk-server-a")
        .expect("zk-server-a");
    edited.edit(|o| o["spec"]["replicas"] = serde_json::json!(2));
    let drift = plan_of(&validation, &live);
    assert_eq!(
        actions(&drift),
        [(
            Action::Update,
            "StatefulSet firecamp/zk-server-a".to_owned()
        )]
    );
    assert!(drift.steps[0].drift);
    assert!(drift.steps[0].reason.contains("drift"));
    // A heap change in git: new config hash, members restarted, not drift.
    let live = converge(&validation, base_live());
    let zk = std::fs::read_to_string(common::repo().join("examples/coordination/zookeeper.yaml"))
        .expect("zk");
    let validation = specs(&[
        ("cluster.yaml", &cluster_yaml()),
        ("zk.yaml", &zk.replace("heapSize: 2Gi", "heapSize: 3Gi")),
    ]);
    let changed = plan_of(&validation, &live);
    let zk_steps: Vec<_> = changed
        .steps
        .iter()
        .filter(|s| s.service.as_deref() == Some("zk"))
        .collect();
    assert!(zk_steps.iter().all(|s| !s.drift));
    assert_eq!(
        zk_steps
            .iter()
            .filter(|s| s.action == Action::Update && s.resource.starts_with("StatefulSet"))
            .count(),
        3
    );
    assert_eq!(
        zk_steps
            .iter()
            .filter(|s| s.action == Action::RestartMember)
            .count(),
        3
    );
    let update = zk_steps
        .iter()
        .find(|s| s.action == Action::Update)
        .expect("update");
    assert!(
        update
            .changes
            .iter()
            .any(|c| c.path.ends_with("env[SERVER_JVMFLAGS].value")),
        "{:?}",
        update.changes
    );
}

#[test]
fn immutable_changes_replace_and_volume_growth_expands_claims() {
    let validation = examples();
    let mut live = converge(&validation, base_live());
    for ordinal in 0..1 {
        live.objects.push(serde_json::json!({
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": format!("data-zk-server-a-{ordinal}"), "namespace": "firecamp", "labels": {"app.kubernetes.io/managed-by": "firecamp", "firecamp.io/service": "zk"}},
            "spec": {"resources": {"requests": {"storage": "20Gi"}}}
        }).into());
    }
    let zk = std::fs::read_to_string(common::repo().join("examples/coordination/zookeeper.yaml"))
        .expect("zk");
    let grown = specs(&[
        ("cluster.yaml", &cluster_yaml()),
        ("zk.yaml", &zk.replace("size: 20Gi", "size: 40Gi")),
    ]);
    let plan = plan_of(&grown, &live);
    let zk_steps: Vec<(Action, String)> = plan
        .steps
        .iter()
        .filter(|s| s.service.as_deref() == Some("zk"))
        .map(|s| (s.action, s.resource.clone()))
        .collect();
    assert!(
        zk_steps.contains(&(
            Action::ExpandVolume,
            "PersistentVolumeClaim firecamp/data-zk-server-a-0".to_owned()
        )),
        "{zk_steps:?}"
    );
    let replace = plan
        .steps
        .iter()
        .find(|s| s.action == Action::Replace)
        .expect("a replacement");
    assert!(
        replace.reason.contains("forces replacement"),
        "{}",
        replace.reason
    );
    let shrunk = specs(&[
        ("cluster.yaml", &cluster_yaml()),
        ("zk.yaml", &zk.replace("size: 20Gi", "size: 10Gi")),
    ]);
    let plan = plan_of(&shrunk, &live);
    assert!(plan.steps.iter().all(|s| !(s.service.as_deref() == Some("zk") && s.resource.starts_with("StatefulSet"))));
    assert!(
        plan.warnings.iter().any(|w| w.contains("cannot shrink")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn a_removed_service_is_deleted_but_its_volumes_ips_and_records_are_kept() {
    let validation = examples();
    let mut live = converge(&validation, base_live());
    live.objects.push(serde_json::json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data-consul-server-a-0", "namespace": "firecamp", "labels": {"app.kubernetes.io/managed-by": "firecamp", "firecamp.io/cluster": "prod", "firecamp.io/service": "consul"}},
        "spec": {"resources": {"requests": {"storage": "20Gi"}}}
    }).into());
    let without_consul: Vec<(String, String)> = example_files()
        .into_iter()
        .filter(|(p, _)| !p.ends_with("consul.yaml"))
        .collect();
    let files: Vec<(&str, &str)> = without_consul
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let plan = plan_of(&specs(&files), &live);
    let consul: Vec<&firecamp::plan::Step> = plan
        .steps
        .iter()
        .filter(|s| s.service.as_deref() == Some("consul"))
        .collect();
    assert!(
        !consul.is_empty()
            && consul
                .iter()
                .all(|s| s.action == Action::Delete && s.provider == Provider::Kubernetes),
        "{:?}",
        consul
            .iter()
            .map(|s| (&s.action, &s.resource))
            .collect::<Vec<_>>()
    );
    assert!(
        consul
            .iter()
            .all(|s| !s.resource.starts_with("PersistentVolumeClaim")),
        "volumes are kept (Retain)"
    );
    let first = |prefix: &str| {
        consul
            .iter()
            .position(|s| s.resource.starts_with(prefix))
            .expect(prefix)
    };
    assert!(
        first("StatefulSet") < first("ConfigMap"),
        "deletes run in reverse order"
    );
}

#[test]
fn a_removed_service_with_deletion_policy_delete_loses_volumes_ips_and_records() {
    let consul_delete = example_files()
        .into_iter()
        .map(|(p, t)| {
            if p.ends_with("consul.yaml") {
                (
                    p,
                    t.replace(
                        "  replicas: 3\n",
                        "  replicas: 3\n  deletionPolicy: Delete\n",
                    ),
                )
            } else {
                (p, t)
            }
        })
        .collect::<Vec<_>>();
    let files: Vec<(&str, &str)> = consul_delete
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let mut live = converge(&specs(&files), base_live());
    live.objects.push(serde_json::json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data-consul-server-a-0", "namespace": "firecamp", "labels": {"app.kubernetes.io/managed-by": "firecamp", "firecamp.io/cluster": "prod", "firecamp.io/service": "consul"}},
        "spec": {"resources": {"requests": {"storage": "20Gi"}}}
    }).into());
    let without: Vec<(&str, &str)> = files
        .iter()
        .copied()
        .filter(|(p, _)| !p.ends_with("consul.yaml"))
        .collect();
    let plan = plan_of(&specs(&without), &live);
    let kinds: Vec<Action> = plan
        .steps
        .iter()
        .filter(|s| s.service.as_deref() == Some("consul"))
        .map(|s| s.action)
        .collect();
    assert!(kinds.contains(&Action::ReleaseIp), "{kinds:?}");
    assert!(plan.steps.iter().any(|s| s.resource
        == "PersistentVolumeClaim firecamp/data-consul-server-a-0"
        && s.action == Action::Delete));
    assert!(
        plan.steps
            .iter()
            .any(|s| s.provider == Provider::Route53 && s.action == Action::Delete)
    );
}

#[test]
fn a_service_with_a_broken_spec_is_left_exactly_as_it_is() {
    let validation = examples();
    let live = converge(&validation, base_live());
    let broken = edited_examples(|path, text| {
        if path.ends_with("consul.yaml") {
            text.replace("replicas: 3", "replicas: 4")
        } else {
            text
        }
    });
    let plan = plan_of(&broken, &live);
    assert!(plan.steps.is_empty(), "{:?}", actions(&plan));
    assert_eq!(plan.untouched.len(), 1);
    assert_eq!(plan.untouched[0].service, "consul");
}

#[test]
fn a_service_referencing_a_rejected_service_is_left_as_it_is_and_the_others_are_planned() {
    let live = converge(&examples(), base_live());
    let edited = edited_examples(|path, text| {
        if path.ends_with("zookeeper.yaml") {
            text.replace("replicas: 3", "replicas: 4")
        } else if path.ends_with("kafka.yaml") {
            text.replace("controllers: 3", "controllers: 2")
        } else if path.ends_with("redis.yaml") {
            text.replace("shards: 3", "shards: 4")
        } else {
            text
        }
    });
    let plan = plan_of(&edited, &live);
    let untouched: Vec<(&str, &str)> = plan
        .untouched
        .iter()
        .map(|u| (u.service.as_str(), u.reason.as_str()))
        .collect();
    assert_eq!(
        untouched,
        [
            (
                "kafka",
                "its spec has problems; nothing is changed or deleted"
            ),
            (
                "kafka-manager",
                "it references kafka, whose spec has problems; nothing is changed or deleted"
            ),
            (
                "logs-sink",
                "it references kafka, whose spec has problems; nothing is changed or deleted"
            ),
            ("zk", "its spec has problems; nothing is changed or deleted"),
            (
                "zk-metrics",
                "it references zk, whose spec has problems; nothing is changed or deleted"
            ),
        ]
    );
    let services: std::collections::BTreeSet<_> = plan
        .steps
        .iter()
        .filter_map(|s| s.service.as_deref())
        .collect();
    assert!(services.contains("sessions-redis"), "{services:?}");
    assert!(
        ["zk", "kafka", "kafka-manager", "logs-sink", "zk-metrics"]
            .iter()
            .all(|s| !services.contains(s)),
        "{:?}",
        actions(&plan)
    );
}

#[test]
fn an_unparsable_file_holds_back_every_deletion() {
    let live = converge(&examples(), base_live());
    let mut files: Vec<(String, String)> = example_files()
        .into_iter()
        .filter(|(p, _)| !p.ends_with("consul.yaml"))
        .collect();
    files.push((
        "coordination/consul.yaml".to_owned(),
        "kind: [unclosed\n".to_owned(),
    ));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let plan = plan_of(&specs(&refs), &live);
    assert!(
        plan.steps.iter().all(|s| s.action != Action::Delete),
        "{:?}",
        actions(&plan)
    );
    assert!(
        plan.warnings.iter().any(|w| w.contains("held back")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn an_empty_spec_set_does_not_delete_everything_unless_allowed() {
    let live = converge(&examples(), base_live());
    let only_cluster = specs(&[("cluster.yaml", &cluster_yaml())]);
    let desired = Desired::from_validation(&only_cluster).expect("desired");
    assert!(matches!(
        plan(&desired, &live, PlanOptions::default()),
        Err(PlanError::EmptyDesired(17))
    ));
    let allowed = plan(
        &desired,
        &live,
        PlanOptions {
            allow_empty: true,
            ..PlanOptions::default()
        },
    )
    .expect("allowed");
    assert!(allowed.summary.destroy > 50);
}

#[test]
fn a_member_that_moved_nodes_takes_its_static_ip_along() {
    let validation = examples();
    let mut live = converge(&validation, base_live());
    let placement = live
        .members
        .iter_mut()
        .find(|m| m.member == "consul-server-a-0")
        .expect("placed");
    let old = placement.node.clone().expect("node");
    let new = if old.ends_with("10.ec2.internal") {
        old.replace("-10.", "-11.")
    } else {
        old.replace("-11.", "-10.")
    };
    placement.node = Some(new.clone());
    let plan = plan_of(&validation, &live);
    let moves: Vec<_> = plan
        .steps
        .iter()
        .filter(|s| s.action == Action::MoveIp)
        .collect();
    assert_eq!(moves.len(), 1, "{:?}", actions(&plan));
    assert!(moves[0].reason.contains(&new) && moves[0].reason.contains(&old));
    let dns_updates = plan
        .steps
        .iter()
        .filter(|s| s.provider == Provider::Route53)
        .count();
    assert_eq!(
        dns_updates, 0,
        "a static IP's record does not change when its member moves"
    );
    assert!(plan_of(&validation, &simulate_apply(&plan, &live)).is_empty());
}

#[test]
fn records_firecamp_does_not_own_are_never_changed() {
    let validation = examples();
    let mut live: LiveState = converge(&validation, base_live());
    live.dns_records
        .retain(|r| !(r.record_type == "TXT" && r.name.starts_with("zk-server-a-0.")));
    let record = live
        .dns_records
        .iter_mut()
        .find(|r| r.name.starts_with("zk-server-a-0."))
        .expect("record");
    record.values = vec!["192.0.2.1".to_owned()];
    let plan = plan_of(&validation, &live);
    assert!(plan.steps.is_empty(), "{:?}", actions(&plan));
    assert!(plan.warnings.iter().any(|w| w.contains("does not own")));
}

#[test]
fn members_restart_one_at_a_time_stuck_first_and_the_primary_last() {
    let validation = examples();
    let mut live = converge(&validation, base_live());
    let pg = std::fs::read_to_string(common::repo().join("examples/data/postgresql.yaml"))
        .expect("postgresql.yaml");
    let upgraded = specs(&[
        ("cluster.yaml", &cluster_yaml()),
        ("pg.yaml", &pg.replace("postgres:16.4", "postgres:16.6")),
    ]);
    let restarts = |plan: &firecamp::plan::Plan| -> Vec<(String, Vec<String>, String)> {
        plan.steps
            .iter()
            .filter(|s| s.action == Action::RestartMember)
            .map(|s| (s.resource.clone(), s.depends_on.clone(), s.reason.clone()))
            .collect()
    };
    let plan = plan_of(&upgraded, &live);
    let order = restarts(&plan);
    let names: Vec<&str> = order.iter().map(|(r, _, _)| r.as_str()).collect();
    assert_eq!(
        names,
        [
            "Pod firecamp/billing-pg-standby-b-0",
            "Pod firecamp/billing-pg-standby-c-0",
            "Pod firecamp/billing-pg-primary-a-0"
        ]
    );
    for pair in order.windows(2) {
        let previous = pair[0].0.replace("Pod ", "kubernetes:Pod/");
        assert!(
            pair[1].1.contains(&previous),
            "{} waits for {previous}",
            pair[1].0
        );
    }
    // A standby stuck at the old template (crash-looping): restarted first, and said so.
    live.members
        .iter_mut()
        .find(|m| m.member == "billing-pg-standby-c-0")
        .expect("standby c")
        .ready = false;
    let order = restarts(&plan_of(&upgraded, &live));
    assert_eq!(order[0].0, "Pod firecamp/billing-pg-standby-c-0");
    assert!(
        order[0]
            .2
            .contains("delete pod billing-pg-standby-c-0 to proceed"),
        "{}",
        order[0].2
    );
    assert_eq!(order[2].0, "Pod firecamp/billing-pg-primary-a-0");
}

#[test]
fn a_saved_plan_is_refused_once_the_specs_or_the_live_state_move() {
    let validation = examples();
    // Members have nodes: the plan chooses their addresses from the subnets it read.
    let live = after_first_round(&validation, &base_live());
    let saved = plan_of(&validation, &live);
    let mut moved = live.clone();
    assert_eq!(saved.difference(&plan_of(&validation, &moved)), None);
    // Live state the plan depends on moved: a subnet address got taken, so allocations change.
    moved.subnets[0]
        .used_ips
        .push(std::net::Ipv4Addr::new(10, 0, 16, 6));
    let now = plan_of(&validation, &moved);
    let difference = saved.difference(&now).expect("a difference");
    assert!(
        difference.contains("would now write something else"),
        "{difference}"
    );
    // The specs moved: a service was removed.
    let fewer: Vec<(String, String)> = example_files()
        .into_iter()
        .filter(|(path, _)| !path.ends_with("redis.yaml"))
        .collect();
    let refs: Vec<(&str, &str)> = fewer
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let difference = saved
        .difference(&plan_of(&specs(&refs), &live))
        .expect("a difference");
    assert!(difference.contains("step"), "{difference}");
}

#[test]
fn a_namespace_firecamp_no_longer_uses_is_kept_with_a_warning() {
    let live = converge(&examples(), base_live());
    let moved = edited_examples(|path, text| {
        if path == "cluster.yaml" {
            text.replace("namespace: firecamp", "namespace: data")
        } else {
            text
        }
    });
    let plan = plan_of(&moved, &live);
    assert!(
        plan.steps.iter().any(|s| s.action == Action::Delete),
        "the old objects go"
    );
    assert!(
        !plan
            .steps
            .iter()
            .any(|s| s.resource == "Namespace firecamp"),
        "deleting the namespace would delete every volume in it"
    );
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.starts_with("namespace firecamp is no longer used")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn a_namespace_shared_with_others_is_planned_with_a_warning() {
    for namespace in ["kube-system", "default", "firecamp-system"] {
        let moved = edited_examples(|path, text| {
            if path == "cluster.yaml" {
                text.replace("namespace: firecamp", &format!("namespace: {namespace}"))
            } else {
                text
            }
        });
        let plan = plan_of(&moved, &base_live());
        assert!(!plan.steps.is_empty(), "{namespace}: still planned");
        assert!(
            plan.warnings
                .iter()
                .any(|w| w.starts_with(&format!("namespace {namespace} is shared: "))),
            "{namespace}: {:?}",
            plan.warnings
        );
    }
    let plan = plan_of(&examples(), &base_live());
    assert!(
        !plan.warnings.iter().any(|w| w.contains(" is shared: ")),
        "{:?}",
        plan.warnings
    );
}

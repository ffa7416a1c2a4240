//! Nothing leaked, nothing lost: a member removed by a scale-down, or a service removed from git,
//! keeps its static IPs, allocation record and DNS records under `deletionPolicy: Retain` (the plan
//! says so, on the plan that removes it) and has them released and deleted under `Delete`.

mod common;

use common::{base_live, converge, edited_examples, plan_of, plan_removing_members};
use firecamp::live::{LiveState, simulate_apply};
use firecamp::plan::{Action, Plan, Provider};
use firecamp_schema::Validation;

/// The examples with Consul's spec edited by `edit` (or left out, when `None`).
fn with_consul(edit: Option<&dyn Fn(String) -> String>) -> Validation {
    common::specs(
        &common::example_files()
            .into_iter()
            .filter_map(|(path, text)| match (path.ends_with("consul.yaml"), edit) {
                (false, _) => Some((path, text)),
                (true, Some(edit)) => Some((path, edit(text))),
                (true, None) => None,
            })
            .collect::<Vec<_>>()
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect::<Vec<_>>(),
    )
}

fn consul(replicas: u32, policy: &str) -> Validation {
    let edit = move |text: String| {
        text.replace(
            "  replicas: 3\n",
            &format!("  replicas: {replicas}\n  deletionPolicy: {policy}\n"),
        )
    };
    with_consul(Some(&edit))
}

/// The names of the records the plan deletes.
fn record_deletions(plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .filter(|s| s.provider == Provider::Route53 && s.action == Action::Delete)
        .map(|s| s.resource.clone())
        .collect()
}

fn releases(plan: &Plan) -> Vec<(String, String)> {
    plan.steps
        .iter()
        .filter(|s| s.action == Action::ReleaseIp)
        .map(|s| (s.resource.clone(), s.reason.clone()))
        .collect()
}

/// Applies plans of `validation` to `live` until nothing is left, at most 4 times.
fn settle(validation: &Validation, mut live: LiveState) -> LiveState {
    for _ in 0..4 {
        let plan = plan_removing_members(validation, &live);
        if plan.is_empty() {
            return live;
        }
        live = simulate_apply(&plan, &live);
    }
    panic!("no convergence");
}

#[test]
fn a_scale_down_under_retain_keeps_the_addresses_and_says_so() {
    let live = converge(&consul(3, "Retain"), base_live());
    let before = live.static_ips.clone();
    // Consul servers leave only by `consul leave`: the scale-down is acknowledged.
    let plan = plan_removing_members(&consul(1, "Retain"), &live);
    assert!(releases(&plan).is_empty(), "{:?}", releases(&plan));
    assert!(
        record_deletions(&plan).is_empty(),
        "{:?}",
        record_deletions(&plan)
    );
    for member in ["consul-server-b-0", "consul-server-c-0"] {
        assert!(
            plan.warnings
                .iter()
                .any(|w| w.starts_with(member) && w.contains("kept (deletionPolicy Retain)")),
            "{member}: {:?}",
            plan.warnings
        );
    }
    assert!(
        !plan
            .steps
            .iter()
            .any(|s| s.resource == "ConfigMap firecamp/consul-static-ips"),
        "the record keeps every entry: nothing to change"
    );
    let after = settle(&consul(1, "Retain"), simulate_apply(&plan, &live));
    assert_eq!(after.static_ips, before, "every address still recorded");
    let back = plan_of(&consul(3, "Retain"), &after);
    assert!(
        !back.steps.iter().any(|s| s.action == Action::AllocateIp),
        "returning members get their own addresses back"
    );
}

#[test]
fn a_scale_down_under_delete_releases_the_removed_members_addresses() {
    let live = converge(&consul(3, "Delete"), base_live());
    let plan = plan_removing_members(&consul(1, "Delete"), &live);
    let released = releases(&plan);
    let ip = |member: &str| live.static_ips[member].ip;
    assert_eq!(
        released,
        [
            (
                format!("static IP {} of consul-server-b-0", ip("consul-server-b-0")),
                "its member was removed by a scale-down, with deletionPolicy Delete".to_owned()
            ),
            (
                format!("static IP {} of consul-server-c-0", ip("consul-server-c-0")),
                "its member was removed by a scale-down, with deletionPolicy Delete".to_owned()
            ),
        ]
    );
    assert_eq!(
        record_deletions(&plan),
        [
            "A consul-server-b-0.prod.firecamp.internal",
            "A consul-server-c-0.prod.firecamp.internal"
        ],
        "their records go with their addresses"
    );
    let after = settle(&consul(1, "Delete"), simulate_apply(&plan, &live));
    let left: Vec<&String> = after
        .static_ips
        .keys()
        .filter(|m| m.starts_with("consul"))
        .collect();
    assert_eq!(left, ["consul-server-a-0"]);
    assert!(
        after
            .nodes
            .iter()
            .filter_map(|n| n.eni.as_ref())
            .all(|e| !e.secondary_ips.contains(&ip("consul-server-b-0"))),
        "the address is off every ENI"
    );
}

#[test]
fn a_removed_service_under_retain_keeps_its_record_and_addresses() {
    let live = converge(&consul(3, "Retain"), base_live());
    let before = live.static_ips.clone();
    let plan = plan_of(&with_consul(None), &live);
    assert!(releases(&plan).is_empty());
    assert!(
        !plan
            .steps
            .iter()
            .any(|s| s.resource == "ConfigMap firecamp/consul-static-ips"),
        "the allocation record is kept"
    );
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.starts_with("service consul is deleted with deletionPolicy Retain")),
        "{:?}",
        plan.warnings
    );
    let after = settle(&with_consul(None), simulate_apply(&plan, &live));
    assert_eq!(after.static_ips, before);
    assert!(
        !plan_of(&with_consul(None), &after)
            .warnings
            .iter()
            .any(|w| w.contains("service consul is deleted")),
        "said once, on the plan that deletes it"
    );
    let back = plan_of(&consul(3, "Retain"), &after);
    assert!(
        !back.steps.iter().any(|s| s.action == Action::AllocateIp),
        "the returning service gets the same addresses"
    );
}

#[test]
fn nothing_is_released_while_a_spec_file_is_broken() {
    let live = converge(&consul(3, "Delete"), base_live());
    let broken = edited_examples(|path, text| {
        let text = if path.ends_with("consul.yaml") {
            text.replace(
                "  replicas: 3\n",
                "  replicas: 1\n  deletionPolicy: Delete\n",
            )
        } else {
            text
        };
        if path.ends_with("kafka.yaml") {
            "kind: [unclosed\n".to_owned()
        } else {
            text
        }
    });
    assert!(
        !broken.broken_files.is_empty(),
        "the kafka file does not parse"
    );
    let plan = plan_of(&broken, &live);
    assert!(releases(&plan).is_empty(), "{:?}", releases(&plan));
    assert!(
        record_deletions(&plan).is_empty(),
        "{:?}",
        record_deletions(&plan)
    );
}

//! firecamp's own static-IP interface per node, as the plan sees it: made for every node of a
//! zone whose members have addresses (before anything else, its own address away from every
//! member's and outside `reservedCidr`), members' addresses only ever on those interfaces, never
//! on a node without one; stray interfaces, and those of zones left without static IPs, deleted
//! once no address is left on them; nothing made or deleted in `launchTemplate`
//! mode or while the owner id is unknown. The EC2 side of the same lifecycle is in
//! `aws_apply.rs` and `aws/tests/interfaces.rs` (moto).

mod common;

use std::net::Ipv4Addr;

use common::{
    base_live, converge, edited_examples, examples, plan_of, plan_removing_members, schedule,
};
use firecamp::live::{Eni, LiveState, StrayInterface, simulate_apply};
use firecamp::plan::{Action, Plan, Provider, Step};

const OWNER: &str = "5e1f-kube-system-uid";

/// The examples converged on `base_live`, then every node's interface taken away: what a
/// cluster looks like before firecamp made them.
fn without_interfaces(owner: Option<&str>) -> LiveState {
    let mut live = converge(&examples(), base_live());
    for node in &mut live.nodes {
        node.eni = None;
    }
    live.owner = owner.map(str::to_owned);
    live
}

fn interface_steps(plan: &Plan) -> Vec<&Step> {
    plan.steps
        .iter()
        .filter(|s| {
            s.provider == Provider::Ec2 && matches!(s.action, Action::Create | Action::Delete)
        })
        .collect()
}

fn assigns(plan: &Plan) -> Vec<&Step> {
    plan.steps
        .iter()
        .filter(|s| matches!(s.action, Action::AssignIp | Action::MoveIp))
        .collect()
}

#[test]
fn every_node_of_a_zone_with_static_ips_gets_an_interface_before_its_members_addresses() {
    let live = without_interfaces(Some(OWNER));
    let plan = plan_of(&examples(), &live);
    let made = interface_steps(&plan);
    assert_eq!(
        made.len(),
        live.nodes.len(),
        "base_live has 3 nodes in each of the 3 zones, and the examples have static-IP members in all of them"
    );
    assert!(made.iter().all(|s| s.action == Action::Create));
    let first_assign = plan
        .steps
        .iter()
        .position(|s| s.action == Action::AssignIp)
        .expect("addresses are assigned");
    let last_create = plan
        .steps
        .iter()
        .rposition(|s| s.provider == Provider::Ec2 && s.action == Action::Create)
        .expect("interfaces are made");
    assert!(last_create < first_assign, "interfaces come first");
    for step in assigns(&plan) {
        let after = step.after.as_ref().expect("after");
        assert!(
            after["eni"].is_null(),
            "{}: made in this plan, found by instance",
            step.id
        );
        let node = after["node"].as_str().expect("node");
        assert!(
            step.depends_on.contains(&format!("ec2:interface/{node}")),
            "{} waits for its node's interface: {:?}",
            step.id,
            step.depends_on
        );
    }
    // The interfaces' own addresses: never a member's, never in zone c's reservedCidr, never one
    // in use.
    let members: Vec<Ipv4Addr> = live.static_ips.values().map(|s| s.ip).collect();
    let used: Vec<Ipv4Addr> = live
        .subnets
        .iter()
        .flat_map(|s| s.used_ips.clone())
        .collect();
    let mut primaries = Vec::new();
    for step in &made {
        let after = step.after.as_ref().expect("after");
        assert_eq!(after["owner"], OWNER);
        let ip: Ipv4Addr = after["primaryIp"]
            .as_str()
            .expect("chosen")
            .parse()
            .expect("ipv4");
        assert!(!members.contains(&ip) && !used.contains(&ip), "{ip}");
        assert!(
            !(ip.octets()[2] == 48 && ip.octets()[3] < 64),
            "{ip} is in zone c's reservedCidr 10.0.48.0/26"
        );
        primaries.push(ip);
    }
    primaries.sort();
    primaries.dedup();
    assert_eq!(primaries.len(), made.len(), "one address each");

    // Once made, the plan converges with every address on a firecamp interface.
    let mut after = simulate_apply(&plan, &live);
    schedule(&mut after);
    let done = converge(&examples(), after);
    for (member, recorded) in &done.static_ips {
        let holders: Vec<&str> = done
            .nodes
            .iter()
            .filter(|n| {
                n.eni
                    .as_ref()
                    .is_some_and(|e| e.secondary_ips.contains(&recorded.ip))
            })
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(holders.len(), 1, "{member}: {holders:?}");
    }
}

#[test]
fn without_the_owner_id_nothing_is_made_and_no_address_is_assigned() {
    let live = without_interfaces(None);
    let plan = plan_of(&examples(), &live);
    assert!(interface_steps(&plan).is_empty());
    assert!(
        assigns(&plan).is_empty(),
        "an address goes only on firecamp's interface"
    );
    assert!(
        plan.warnings.iter().any(|w| w.contains("owner id")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn in_launch_template_mode_firecamp_makes_nothing_and_says_what_the_template_must_attach() {
    let validation = edited_examples(|path, text| {
        if path == "cluster.yaml" {
            text.replace(
                "  staticIps:\n",
                "  staticIps:\n    interfaces: launchTemplate\n",
            )
        } else {
            text
        }
    });
    let mut live = without_interfaces(Some(OWNER));
    live.stray_interfaces.push(StrayInterface {
        eni: Eni {
            id: "eni-0stray".to_owned(),
            secondary_ips: Vec::new(),
        },
        instance_id: Some("i-0booting".to_owned()),
    });
    let plan = plan_of(&validation, &live);
    assert!(
        interface_steps(&plan).is_empty(),
        "the launch template owns them"
    );
    assert!(assigns(&plan).is_empty());
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("launch template")
                && w.contains(&format!("firecamp.io/owner={OWNER}"))),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn a_stray_interface_is_deleted_after_its_address_moved_off_it() {
    let mut live = converge(&examples(), base_live());
    live.owner = Some(OWNER.to_owned());
    // A member's node is gone: its address is left on the node's interface, now stray.
    let (member, recorded) = live
        .static_ips
        .iter()
        .next()
        .map(|(m, s)| (m.clone(), s.clone()))
        .expect("a static IP");
    let gone = live
        .nodes
        .iter()
        .position(|n| {
            n.eni
                .as_ref()
                .is_some_and(|e| e.secondary_ips.contains(&recorded.ip))
        })
        .expect("holder");
    let node = live.nodes.remove(gone);
    let eni = node.eni.expect("interface");
    live.stray_interfaces.push(StrayInterface {
        eni: eni.clone(),
        instance_id: Some(node.instance_id.clone()),
    });
    let other = live
        .nodes
        .iter()
        .find(|n| n.zone == node.zone)
        .expect("another node of the zone")
        .name
        .clone();
    for placement in live
        .members
        .iter_mut()
        .filter(|p| p.node.as_deref() == Some(node.name.as_str()))
    {
        placement.node = Some(other.clone());
    }
    let plan = plan_of(&examples(), &live);
    let deleted = interface_steps(&plan);
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    assert_eq!(deleted[0].action, Action::Delete);
    assert!(
        deleted[0].reason.contains("is not a node of the cluster"),
        "{}",
        deleted[0].reason
    );
    let moved = plan
        .steps
        .iter()
        .position(|s| s.id == format!("ec2:assign/{member}") && s.action == Action::MoveIp)
        .expect("the address moves off the stray interface");
    assert_eq!(
        plan.steps[moved].before.as_ref().expect("before")["eni"],
        eni.id.as_str()
    );
    let delete = plan
        .steps
        .iter()
        .position(|s| s.id == deleted[0].id)
        .expect("delete");
    assert!(moved < delete, "moved first, then deleted");
    let after = simulate_apply(&plan, &live);
    assert!(after.stray_interfaces.is_empty());
}

#[test]
fn an_address_on_firecamps_interface_that_no_record_holds_is_released_and_only_that() {
    let mut live = converge(&examples(), base_live());
    let leaked = Ipv4Addr::new(10, 0, 16, 200);
    live.nodes[0]
        .eni
        .as_mut()
        .expect("interface")
        .secondary_ips
        .push(leaked);
    let plan = plan_of(&examples(), &live);
    let released: Vec<&Step> = plan
        .steps
        .iter()
        .filter(|s| s.action == Action::ReleaseIp)
        .collect();
    assert_eq!(released.len(), 1, "{released:?}");
    assert_eq!(
        released[0].before.as_ref().expect("before")["ip"],
        leaked.to_string()
    );
    assert!(
        released[0].reason.contains("no allocation record holds it"),
        "{}",
        released[0].reason
    );
    let after = simulate_apply(&plan, &live);
    assert!(
        plan_of(&examples(), &after).is_empty(),
        "released, then in sync"
    );

    // While a spec file is broken, the records are not known in full: nothing is released.
    let mut files = common::example_files();
    files.push(("data/broken.yaml".to_owned(), "kind: [".to_owned()));
    let broken = specs(&files);
    let plan = plan_of(&broken, &live);
    assert!(
        plan.steps.iter().all(|s| s.action != Action::ReleaseIp),
        "{:?}",
        plan.steps.iter().map(|s| &s.id).collect::<Vec<_>>()
    );
}

/// The spec set of `files` (path, text).
fn specs(files: &[(String, String)]) -> firecamp_schema::Validation {
    common::specs(
        &files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect::<Vec<_>>(),
    )
}

/// The example Consul with `replicas` members under deletionPolicy `policy`.
fn consul_text(replicas: u32, policy: &str) -> String {
    std::fs::read_to_string(common::repo().join("examples/coordination/consul.yaml"))
        .expect("consul.yaml")
        .replace(
            "  replicas: 3\n",
            &format!("  replicas: {replicas}\n  deletionPolicy: {policy}\n"),
        )
}

/// The examples' Cluster with only Consul, `replicas` members under deletionPolicy `policy`.
fn consul_only(replicas: u32, policy: &str) -> firecamp_schema::Validation {
    common::specs(&[
        ("cluster.yaml", &common::cluster_yaml()),
        ("consul.yaml", &consul_text(replicas, policy)),
    ])
}

/// Consul's three members converged (one per zone), with the owner id known; and the node that
/// holds the zone-c member's address, with that address.
fn consul_in_three_zones(policy: &str) -> (LiveState, String, Ipv4Addr) {
    let mut live = base_live();
    live.owner = Some(OWNER.to_owned());
    let live = converge(&consul_only(3, policy), live);
    let ip = live
        .static_ips
        .values()
        .find(|s| s.subnet_id == "subnet-0a1b2c3d4e5f60713")
        .expect("a member in zone c")
        .ip;
    let holder = live
        .nodes
        .iter()
        .find(|n| {
            n.eni
                .as_ref()
                .is_some_and(|e| e.secondary_ips.contains(&ip))
        })
        .expect("its node")
        .name
        .clone();
    (live, holder, ip)
}

/// The names of the nodes whose interfaces the plan deletes, sorted.
fn deleted_node_interfaces(plan: &Plan, live: &LiveState) -> Vec<String> {
    let mut names: Vec<String> = interface_steps(plan)
        .into_iter()
        .filter(|s| s.action == Action::Delete)
        .map(|s| {
            let eni = s.before.as_ref().expect("before")["eni"]
                .as_str()
                .expect("eni");
            live.nodes
                .iter()
                .find(|n| n.eni.as_ref().is_some_and(|e| e.id == eni))
                .map_or_else(|| format!("not a node's: {eni}"), |n| n.name.clone())
        })
        .collect();
    names.sort();
    names
}

/// The nodes of `zones`, sorted.
fn nodes_in(live: &LiveState, zones: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = live
        .nodes
        .iter()
        .filter(|n| zones.contains(&n.zone.as_str()))
        .map(|n| n.name.clone())
        .collect();
    names.sort();
    names
}

#[test]
fn zones_left_without_static_ips_lose_their_interfaces_once_the_addresses_are_released() {
    let (live, _, _) = consul_in_three_zones("Delete");
    // Consul servers leave only by `consul leave`: the scale-down is acknowledged.
    let shrunk = consul_only(1, "Delete");
    let plan = plan_removing_members(&shrunk, &live);
    assert_eq!(
        plan.steps
            .iter()
            .filter(|s| s.action == Action::ReleaseIp)
            .count(),
        2,
        "the two removed members' addresses are released"
    );
    assert!(
        deleted_node_interfaces(&plan, &live).is_empty(),
        "while their records exist, zones b and c keep their interfaces"
    );
    let mut next = simulate_apply(&plan, &live);
    schedule(&mut next);
    let plan = plan_removing_members(&shrunk, &next);
    assert_eq!(
        deleted_node_interfaces(&plan, &next),
        nodes_in(&next, &["us-east-1b", "us-east-1c"]),
        "then every interface of zones b and c goes, and zone a keeps its"
    );
    for step in interface_steps(&plan) {
        assert!(
            step.reason
                .contains("no member has a static IP or an allocation record in zone"),
            "{}",
            step.reason
        );
    }
    let mut done = simulate_apply(&plan, &next);
    schedule(&mut done);
    for node in &done.nodes {
        assert_eq!(
            node.eni.is_some(),
            node.zone == "us-east-1a",
            "{}: interfaces only where members are",
            node.name
        );
    }
    let plan = plan_removing_members(&shrunk, &done);
    assert!(
        interface_steps(&plan).is_empty(),
        "nothing made again: {:?}",
        interface_steps(&plan)
    );
}

#[test]
fn under_retain_the_zones_keep_their_interfaces_and_the_addresses() {
    let (live, holder, ip) = consul_in_three_zones("Retain");
    let shrunk = consul_only(1, "Retain");
    let mut current = live;
    for round in 0..2 {
        let plan = plan_removing_members(&shrunk, &current);
        assert!(
            deleted_node_interfaces(&plan, &current).is_empty(),
            "round {round}: {:?}",
            interface_steps(&plan)
        );
        current = simulate_apply(&plan, &current);
        schedule(&mut current);
    }
    let kept = current
        .nodes
        .iter()
        .find(|n| n.name == holder)
        .and_then(|n| n.eni.as_ref())
        .expect("the holder keeps its interface");
    assert!(kept.secondary_ips.contains(&ip));
}

#[test]
fn a_service_held_back_for_its_spec_keeps_its_zones_interfaces() {
    let (live, _, _) = consul_in_three_zones("Delete");
    // Two Consul servers are refused (no quorum after one failure): the service is held back, so
    // the plan has no allocation of it, yet its members still hold their addresses.
    let refused = consul_only(2, "Delete");
    let plan = plan_of(&refused, &live);
    assert!(
        plan.untouched.iter().any(|u| u.service == "consul"),
        "{:?}",
        plan.untouched
    );
    assert!(
        interface_steps(&plan).is_empty(),
        "{:?}",
        interface_steps(&plan)
    );
}

#[test]
fn no_node_interface_is_deleted_while_a_spec_file_is_broken() {
    let (mut live, holder, ip) = consul_in_three_zones("Delete");
    // Zone c already emptied: its member's record and address are gone.
    live.static_ips.retain(|_, s| s.ip != ip);
    for node in live.nodes.iter_mut().filter(|n| n.name == holder) {
        if let Some(eni) = node.eni.as_mut() {
            eni.secondary_ips.retain(|held| *held != ip);
        }
    }
    let mut files = vec![
        ("cluster.yaml".to_owned(), common::cluster_yaml()),
        ("consul.yaml".to_owned(), consul_text(1, "Delete")),
    ];
    let sound = specs(&files);
    assert_eq!(
        deleted_node_interfaces(&plan_of(&sound, &live), &live),
        nodes_in(&live, &["us-east-1c"]),
        "without a broken file, zone c's interfaces go"
    );
    files.push(("kafka.yaml".to_owned(), "kind: [unclosed\n".to_owned()));
    let broken = specs(&files);
    assert!(!broken.broken_files.is_empty());
    let plan = plan_of(&broken, &live);
    assert!(
        deleted_node_interfaces(&plan, &live).is_empty(),
        "{:?}",
        interface_steps(&plan)
    );
}

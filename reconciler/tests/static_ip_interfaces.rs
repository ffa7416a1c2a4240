//! firecamp's own static-IP interface per node, as the plan sees it: made for every node of a
//! zone whose members have addresses (before anything else, its own address away from every
//! member's and outside `reservedCidr`), members' addresses only ever on those interfaces, never
//! on a node without one; stray interfaces deleted; nothing made or deleted in `launchTemplate`
//! mode or while the owner id is unknown. The EC2 side of the same lifecycle is in
//! `aws_apply.rs` and `aws/tests/interfaces.rs` (moto).

mod common;

use std::net::Ipv4Addr;

use common::{base_live, converge, edited_examples, examples, plan_of, schedule};
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
    let broken = common::specs(
        &files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect::<Vec<_>>(),
    );
    let plan = plan_of(&broken, &live);
    assert!(
        plan.steps.iter().all(|s| s.action != Action::ReleaseIp),
        "{:?}",
        plan.steps.iter().map(|s| &s.id).collect::<Vec<_>>()
    );
}

//! Static-IP allocation on the pure side, for what moto is lenient about (it ignores explicit
//! reservations and delegated prefixes when it picks addresses, and never refuses one): an address
//! is chosen only inside the zone's range, never inside a delegated prefix, and a zone that cannot
//! give out an address (full, no reservation, or a subnet that is not dedicated) holds back only the
//! services that need one there.

mod common;

use std::net::Ipv4Addr;

use common::{after_first_round, base_live, edited_examples, plan_of};
use firecamp::live::{LiveState, simulate_apply};
use firecamp::plan::{Action, Plan};

/// The plan of `validation` once its members have nodes (after a first round against `live`):
/// the plan that chooses their addresses.
fn placed_plan(validation: &firecamp_schema::Validation, live: &LiveState) -> Plan {
    plan_of(validation, &after_first_round(validation, live))
}

/// The new addresses of the plan, member → address.
fn allocated(plan: &Plan) -> Vec<(String, Ipv4Addr)> {
    plan.steps
        .iter()
        .filter(|s| s.action == Action::AllocateIp)
        .map(|s| {
            let after = s.after.as_ref().expect("after");
            let member = after["member"].as_str().expect("member").to_owned();
            let ip = after["ip"].as_str().expect("ip").parse().expect("address");
            (member, ip)
        })
        .collect()
}

/// The examples with zone c's `reservedCidr` set to `cidr`, and Consul in zones a and b only.
fn examples_with_zone_c_reserving(cidr: &str) -> firecamp_schema::Validation {
    edited_examples(|path, text| match path {
        "cluster.yaml" => text.replace(
            "reservedCidr: 10.0.48.0/26",
            &format!("reservedCidr: {cidr}"),
        ),
        "coordination/consul.yaml" => text.replace(
            "  replicas: 3\n",
            "  replicas: 3\n  zones: [us-east-1a, us-east-1b]\n",
        ),
        _ => text,
    })
}

/// Services without static IPs are planned whatever a zone's trouble.
fn assert_others_planned(plan: &Plan) {
    assert!(
        plan.steps
            .iter()
            .any(|s| s.service.as_deref() == Some("kafka")),
        "services without static IPs are planned"
    );
}

fn zone_c(ip: Ipv4Addr) -> bool {
    ip.octets()[2] >= 48
}

#[test]
fn addresses_come_only_from_the_reservation_and_the_lowest_first() {
    let plan = placed_plan(
        &examples_with_zone_c_reserving("10.0.48.32/28"),
        &base_live(),
    );
    let in_c: Vec<Ipv4Addr> = allocated(&plan)
        .into_iter()
        .map(|(_, ip)| ip)
        .filter(|ip| zone_c(*ip))
        .collect();
    assert_eq!(in_c.len(), 2, "two Redis members in zone c: {in_c:?}");
    let range = Ipv4Addr::new(10, 0, 48, 32)..=Ipv4Addr::new(10, 0, 48, 47);
    assert!(in_c.iter().all(|ip| range.contains(ip)), "{in_c:?}");
    assert!(in_c.contains(&Ipv4Addr::new(10, 0, 48, 32)), "{in_c:?}");
    assert!(plan.untouched.is_empty(), "{:?}", plan.untouched);
}

#[test]
fn a_delegated_prefix_is_taken_as_a_whole() {
    let mut live = base_live();
    live.subnets[0].prefixes = vec!["10.0.16.0/28".to_owned()];
    let plan = placed_plan(&examples_with_zone_c_reserving("10.0.48.0/26"), &live);
    let consul_a: Vec<Ipv4Addr> = allocated(&plan)
        .into_iter()
        .filter(|(m, _)| m.starts_with("consul-server-a-"))
        .map(|(_, ip)| ip)
        .collect();
    assert_eq!(
        consul_a,
        [Ipv4Addr::new(10, 0, 16, 16), Ipv4Addr::new(10, 0, 16, 17)],
        "10.0.16.0-15 is a /28 prefix the CNI delegated to an ENI"
    );
}

/// Plans the examples with zone c's range `cidr` against `live`, and checks that only the Redis
/// service (the one static-IP service with members in zone c) is held back, with `reason` in its
/// reason, and the Telegraf service that monitors it, while Consul (zones a and b) and the
/// services without static IPs are planned.
fn only_zone_c_services_held_back(cidr: &str, live: &LiveState, reason: &str) {
    let validation = examples_with_zone_c_reserving(cidr);
    let first = plan_of(&validation, live);
    assert_eq!(
        first.untouched,
        placed_plan(&validation, live).untouched,
        "held back before any member is made, and still once the others' members have nodes"
    );
    let plan = placed_plan(&validation, live);
    let held: Vec<(&str, &str)> = plan
        .untouched
        .iter()
        .map(|u| (u.service.as_str(), u.reason.as_str()))
        .collect();
    assert_eq!(held.len(), 2, "{held:?}");
    assert_eq!(
        held[0],
        (
            "redis-metrics",
            "it depends on sessions-redis, which is held back; nothing is changed or deleted"
        )
    );
    assert_eq!(held[1].0, "sessions-redis");
    assert!(held[1].1.contains(reason), "{}", held[1].1);
    assert!(held[1].1.contains("zone us-east-1c"), "{}", held[1].1);
    let members: Vec<String> = allocated(&plan).into_iter().map(|(m, _)| m).collect();
    assert_eq!(
        members.iter().filter(|m| m.starts_with("consul-")).count(),
        3,
        "{members:?}"
    );
    assert!(
        !plan.steps.iter().any(|s| matches!(
            s.service.as_deref(),
            Some("sessions-redis" | "redis-metrics")
        )),
        "nothing of the held-back services is planned"
    );
    assert_others_planned(&plan);
}

#[test]
fn a_full_zone_holds_back_only_the_services_that_need_an_address_there() {
    let mut live = base_live();
    // 10.0.48.8/29 is .8-.15: .10-.12 are the nodes', the rest someone else's.
    for last in [8, 9, 13, 14, 15] {
        live.subnets[2]
            .used_ips
            .push(Ipv4Addr::new(10, 0, 48, last));
    }
    live.subnets[2].reservations = vec!["10.0.48.8/29".to_owned()];
    only_zone_c_services_held_back("10.0.48.8/29", &live, "has no free address left");
}

#[test]
fn a_missing_reservation_holds_back_only_that_zone_and_says_how_to_create_it() {
    let mut live = base_live();
    live.subnets[2].reservations = vec!["10.0.48.64/26".to_owned()];
    only_zone_c_services_held_back(
        "10.0.48.0/26",
        &live,
        "create-subnet-cidr-reservation --subnet-id subnet-0a1b2c3d4e5f60713 --cidr 10.0.48.0/26 --reservation-type explicit",
    );
}

#[test]
fn a_reservation_of_only_addresses_aws_keeps_holds_back_that_zone() {
    let mut live = base_live();
    live.subnets[2].reservations = vec!["10.0.48.0/30".to_owned()];
    only_zone_c_services_held_back("10.0.48.0/30", &live, "holds no usable address");
}

#[test]
fn addresses_already_given_out_stay_when_the_zone_cannot_give_more() {
    let validation = examples_with_zone_c_reserving("10.0.48.0/26");
    let live = common::converge(&validation, base_live());
    let before = live.static_ips.clone();
    let mut broken = live.clone();
    broken.subnets[2].reservations.clear();
    let plan = plan_of(&validation, &broken);
    assert!(
        plan.is_empty(),
        "no member needs a new address, so the missing reservation holds nothing back: {:?}",
        plan.steps.iter().map(|s| &s.resource).collect::<Vec<_>>()
    );
    assert!(plan.untouched.is_empty());
    assert_eq!(broken.static_ips, before);
}

/// ENIs that are no firecamp interface: a node's, and the VPC CNI's.
fn unowned(count: usize) -> Vec<String> {
    (0..count)
        .map(|n| format!("eni-0{n}f0a1b2c3d4e5f60"))
        .collect()
}

#[test]
fn an_unowned_interface_in_a_dedicated_subnet_holds_back_that_zone_only() {
    let validation = examples_with_zone_c_reserving("10.0.48.0/26");
    let mut live = base_live();
    live.subnets[0].unowned_interfaces = unowned(4);
    // Zone c shares its subnet with the nodes: its reservation keeps EC2 away, so ENIs there are
    // no problem.
    live.subnets[2].unowned_interfaces = unowned(2);
    let plan = plan_of(&validation, &live);
    let held: Vec<(&str, &str)> = plan
        .untouched
        .iter()
        .map(|u| (u.service.as_str(), u.reason.as_str()))
        .collect();
    let names: Vec<&str> = held.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        names,
        ["consul", "redis-metrics", "sessions-redis"],
        "the services with static-IP members in zone a, and what depends on them: {held:#?}"
    );
    for (service, reason) in &held {
        if *service == "redis-metrics" {
            continue;
        }
        assert!(
            reason.contains(
                "subnet subnet-0a1b2c3d4e5f60711 is not dedicated to static IPs: \
                 eni-00f0a1b2c3d4e5f60, eni-01f0a1b2c3d4e5f60, eni-02f0a1b2c3d4e5f60 and 1 more \
                 in it are not firecamp's"
            ) && reason.contains("zone us-east-1a"),
            "{service}: {reason}"
        );
    }
    assert!(
        allocated(&plan).is_empty(),
        "no address is given out for the held-back services"
    );
    assert_others_planned(&plan);
}

#[test]
fn one_unowned_interface_is_named_alone() {
    let validation = examples_with_zone_c_reserving("10.0.48.0/26");
    let mut live = base_live();
    live.subnets[1].unowned_interfaces = unowned(1);
    let plan = plan_of(&validation, &live);
    let reason = &plan
        .untouched
        .iter()
        .find(|u| u.service == "sessions-redis")
        .expect("sessions-redis held back")
        .reason;
    assert!(
        reason.contains(
            "subnet subnet-0a1b2c3d4e5f60712 is not dedicated to static IPs: \
             eni-00f0a1b2c3d4e5f60 in it is not firecamp's"
        ),
        "{reason}"
    );
}

#[test]
fn addresses_given_out_stay_when_a_dedicated_subnet_stops_being_one() {
    let validation = examples_with_zone_c_reserving("10.0.48.0/26");
    let live = common::converge(&validation, base_live());
    let mut shared = live.clone();
    shared.subnets[0].unowned_interfaces = unowned(2);
    let plan = plan_of(&validation, &shared);
    assert!(
        plan.is_empty() && plan.untouched.is_empty(),
        "no member needs a new address, so nothing is held back: {:?} {:?}",
        plan.steps.iter().map(|s| &s.resource).collect::<Vec<_>>(),
        plan.untouched
    );
    assert_eq!(shared.static_ips, live.static_ips);
}

/// The examples converged, then `sessions-redis-a-0`'s address taken by an interface that is not
/// firecamp's: off the member's node's interface, in use in the subnet. The member is `ready` or
/// not (its init container waits for the address).
fn address_taken_by_someone_else(ready: bool) -> (LiveState, String, Ipv4Addr) {
    let validation = examples_with_zone_c_reserving("10.0.48.0/26");
    let mut live = common::converge(&validation, base_live());
    let member = live
        .static_ips
        .keys()
        .find(|m| m.starts_with("sessions-redis-"))
        .expect("a Redis member")
        .clone();
    let recorded = live.static_ips[&member].clone();
    for eni in live.nodes.iter_mut().filter_map(|n| n.eni.as_mut()) {
        eni.secondary_ips.retain(|ip| *ip != recorded.ip);
    }
    live.subnets
        .iter_mut()
        .find(|s| s.id == recorded.subnet_id)
        .expect("its subnet")
        .used_ips
        .push(recorded.ip);
    for placement in live.members.iter_mut().filter(|p| p.member == member) {
        placement.ready = ready;
    }
    (live, member, recorded.ip)
}

#[test]
fn a_recorded_address_someone_else_took_before_the_member_ran_is_chosen_again() {
    let validation = examples_with_zone_c_reserving("10.0.48.0/26");
    let (live, member, old) = address_taken_by_someone_else(false);
    let plan = plan_of(&validation, &live);
    let chosen = plan
        .steps
        .iter()
        .find(|s| s.action == Action::AllocateIp && s.id == format!("ec2:allocate/{member}"))
        .expect("a new address");
    let new: Ipv4Addr = chosen.after.as_ref().expect("after")["ip"]
        .as_str()
        .expect("ip")
        .parse()
        .expect("ipv4");
    assert_ne!(new, old);
    assert!(
        chosen.reason.contains(&format!(
            "{old} was taken by an interface that is not firecamp's before {member} ran with it"
        )),
        "{}",
        chosen.reason
    );
    assert_eq!(
        allocated(&plan),
        [(member.clone(), new)],
        "only that member is given an address"
    );
    let assign = plan
        .steps
        .iter()
        .find(|s| s.id == format!("ec2:assign/{member}"))
        .expect("the new address is assigned");
    assert_eq!(assign.action, Action::AssignIp);
    assert_eq!(
        assign.after.as_ref().expect("after")["ip"],
        new.to_string().as_str()
    );
    assert!(
        plan.steps
            .iter()
            .any(|s| s.resource.contains("sessions-redis-static-ips")),
        "the allocation record is rewritten: {:?}",
        plan.steps.iter().map(|s| &s.resource).collect::<Vec<_>>()
    );
    let mut next = simulate_apply(&plan, &live);
    common::schedule(&mut next);
    assert_eq!(next.static_ips[&member].ip, new);
    let again = plan_of(&validation, &next);
    assert!(
        allocated(&again).is_empty(),
        "chosen once: {:?}",
        allocated(&again)
    );
}

#[test]
fn a_running_member_keeps_its_address_and_the_plan_says_someone_else_holds_it() {
    let validation = examples_with_zone_c_reserving("10.0.48.0/26");
    let (live, member, old) = address_taken_by_someone_else(true);
    let plan = plan_of(&validation, &live);
    assert!(allocated(&plan).is_empty(), "{:?}", allocated(&plan));
    assert!(
        !plan
            .steps
            .iter()
            .any(|s| s.id == format!("ec2:assign/{member}")),
        "nothing is assigned or moved"
    );
    assert!(
        plan.warnings.iter().any(|w| w.contains(&format!(
            "{member} is running with static IP {old}, which an interface that is not firecamp's now holds"
        ))),
        "{:#?}",
        plan.warnings
    );
}

//! Assign, then record: a new member's static IP is chosen only once its pod has a node, assigned
//! to that node's firecamp interface, and only then written to the allocation record (and its DNS
//! record after that), so a failed assign leaves no record naming an address nobody has. An address
//! an apply assigned but did not record is taken as it is by the next plan, not released and
//! chosen again. The moto test runs the EC2 side of an apply cut between the two.

mod common;

use std::net::Ipv4Addr;

use common::moto::world;
use common::{after_first_round, base_live, examples, plan_of};
use firecamp::live::{LiveState, simulate_apply};
use firecamp::plan::{Action, Plan, Provider, Step};

const RECORD: &str = "sessions-redis-static-ips";

fn record_step(plan: &Plan) -> &Step {
    plan.steps
        .iter()
        .find(|s| s.provider == Provider::Kubernetes && s.resource.contains(RECORD))
        .expect("the allocation record is written")
}

fn position(plan: &Plan, id: &str) -> usize {
    plan.steps
        .iter()
        .position(|s| s.id == id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

/// The address `plan` assigns to `member`.
fn assigned_ip(plan: &Plan, member: &str) -> Ipv4Addr {
    plan.steps[position(plan, &format!("ec2:assign/{member}"))]
        .after
        .as_ref()
        .expect("after")["ip"]
        .as_str()
        .expect("ip")
        .parse()
        .expect("ipv4")
}

/// `plan` with only the steps `keep` says.
fn only(plan: &Plan, keep: impl Fn(&Step) -> bool) -> Plan {
    Plan {
        steps: plan.steps.iter().filter(|s| keep(s)).cloned().collect(),
        ..plan.clone()
    }
}

/// The EC2 steps that put addresses on interfaces (and make the interfaces): what an apply cut
/// short after the assigns has done.
fn assigns_only(step: &Step) -> bool {
    step.provider == Provider::Ec2 && step.action != Action::AllocateIp
}

#[test]
fn a_new_members_address_waits_for_its_node() {
    let plan = plan_of(&examples(), &base_live());
    assert!(
        !plan.steps.iter().any(|s| matches!(
            s.action,
            Action::AllocateIp | Action::AssignIp | Action::MoveIp
        )),
        "no pod has a node yet: {:?}",
        plan.steps.iter().map(|s| &s.id).collect::<Vec<_>>()
    );
    let record = record_step(&plan);
    assert_eq!(record.action, Action::Create);
    assert_eq!(
        record.after.as_ref().expect("after")["data"],
        serde_json::json!({}),
        "the record exists from the start (its pods mount it), with no address in it"
    );
    assert!(
        plan.warnings.iter().any(|w| w.starts_with(
            "sessions-redis: 6 new member(s) have no node yet; each one's static IP is chosen once its pod has one"
        )),
        "{:#?}",
        plan.warnings
    );
    assert!(
        !plan
            .steps
            .iter()
            .any(|s| s.provider == Provider::Route53
                && s.service.as_deref() == Some("sessions-redis")),
        "no DNS record before the address is known"
    );
}

#[test]
fn once_its_pod_has_a_node_the_address_is_assigned_then_recorded_then_published() {
    let validation = examples();
    let live = after_first_round(&validation, &base_live());
    let plan = plan_of(&validation, &live);
    let record = record_step(&plan);
    let data = &record.after.as_ref().expect("after")["data"];
    let members = live
        .members
        .iter()
        .filter(|m| m.member.starts_with("sessions-redis-"));
    for member in members.map(|m| m.member.as_str()) {
        let assign = format!("ec2:assign/{member}");
        let allocate = format!("ec2:allocate/{member}");
        assert!(
            record.depends_on.contains(&assign),
            "{member}: the record waits for the assign: {:?}",
            record.depends_on
        );
        assert!(position(&plan, &assign) < position(&plan, &record.id));
        assert!(position(&plan, &assign) < position(&plan, &allocate));
        let ip = plan.steps[position(&plan, &assign)]
            .after
            .as_ref()
            .expect("after")["ip"]
            .clone();
        assert_eq!(data[member], ip, "{member}: recorded as assigned");
        let published = plan
            .steps
            .iter()
            .find(|s| {
                s.provider == Provider::Route53
                    && s.after.as_ref().is_some_and(|a| a["values"][0] == ip)
            })
            .unwrap_or_else(|| panic!("{member}: a DNS record for {ip}"));
        assert!(
            published.depends_on.contains(&record.id),
            "{member}: DNS after the record: {:?}",
            published.depends_on
        );
    }
}

/// The second round of the examples applied only up to its assigns (the record and the DNS
/// records never written), the pods still waiting.
fn cut_after_the_assigns() -> (LiveState, Plan) {
    let validation = examples();
    let live = after_first_round(&validation, &base_live());
    let plan = plan_of(&validation, &live);
    let cut = simulate_apply(&only(&plan, assigns_only), &live);
    (cut, plan)
}

#[test]
fn an_address_assigned_but_never_recorded_is_recorded_as_it_is() {
    let (cut, before) = cut_after_the_assigns();
    assert!(
        !cut.static_ips
            .keys()
            .any(|m| m.starts_with("sessions-redis-")),
        "nothing recorded"
    );
    let plan = plan_of(&examples(), &cut);
    assert!(
        !plan.steps.iter().any(|s| matches!(
            s.action,
            Action::AssignIp | Action::MoveIp | Action::ReleaseIp
        )),
        "nothing assigned again or released: {:?}",
        plan.steps
            .iter()
            .filter(|s| s.provider == Provider::Ec2)
            .map(|s| (&s.id, &s.reason))
            .collect::<Vec<_>>()
    );
    let adopted: Vec<&Step> = plan
        .steps
        .iter()
        .filter(|s| s.action == Action::AllocateIp)
        .collect();
    assert_eq!(adopted.len(), 9, "6 Redis and 3 Consul members");
    for step in adopted {
        let member = step.id.trim_start_matches("ec2:allocate/");
        let assigned = &before.steps[position(&before, &format!("ec2:assign/{member}"))];
        let ip = &step.after.as_ref().expect("after")["ip"];
        assert_eq!(
            *ip,
            assigned.after.as_ref().expect("after")["ip"],
            "{member}"
        );
        assert!(
            step.reason.contains("and no record holds it"),
            "{}",
            step.reason
        );
    }
    let done = simulate_apply(&plan, &cut);
    assert!(plan_of(&examples(), &done).is_empty());
}

#[test]
fn a_refused_assign_records_nothing_and_the_next_plan_chooses_again() {
    let validation = examples();
    let live = after_first_round(&validation, &base_live());
    let plan = plan_of(&validation, &live);
    let member = "sessions-redis-shard0-a-0";
    let assign = format!("ec2:assign/{member}");
    let refused = assigned_ip(&plan, member);
    // EC2 refused the assign (AllowReassignment=false): another ENI took the address between the
    // read and the assign. The apply skips what depends on it: the record, the DNS record.
    let mut after = simulate_apply(
        &only(&plan, |s| {
            s.provider == Provider::Ec2 && s.action == Action::Create
        }),
        &live,
    );
    after
        .subnets
        .iter_mut()
        .find(|s| s.id == "subnet-0a1b2c3d4e5f60711")
        .expect("zone a")
        .used_ips
        .push(refused);
    let again = plan_of(&validation, &after);
    let chosen = assigned_ip(&again, member);
    assert_ne!(chosen, refused, "chosen again");
    assert!(
        record_step(&again).depends_on.contains(&assign),
        "recorded only once assigned"
    );
    let done = simulate_apply(&again, &after);
    assert_eq!(done.static_ips[member].ip, chosen);
}

/// In a shared VPC, another account's interfaces are not in `DescribeNetworkInterfaces`: the
/// address stays free as far as the read goes, EC2 refuses it, and only the loop's memory of the
/// refusal (`refused_ips`) makes the next choice another one.
#[test]
fn an_address_ec2_refused_is_not_chosen_again_though_no_read_shows_who_has_it() {
    let validation = examples();
    let live = after_first_round(&validation, &base_live());
    let plan = plan_of(&validation, &live);
    let ip_of = |plan: &Plan| assigned_ip(plan, "sessions-redis-shard0-a-0");
    let refused = ip_of(&plan);
    let mut after = simulate_apply(
        &only(&plan, |s| {
            s.provider == Provider::Ec2 && s.action == Action::Create
        }),
        &live,
    );
    assert_eq!(
        ip_of(&plan_of(&validation, &after)),
        refused,
        "nothing shows it taken"
    );
    after.refused_ips.insert(refused);
    let again = plan_of(&validation, &after);
    assert_ne!(ip_of(&again), refused);
    assert!(
        again
            .steps
            .iter()
            .filter_map(|s| s.after.as_ref())
            .all(|a| a["ip"] != refused.to_string().as_str()),
        "no member is given it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_ec2_an_apply_cut_between_assign_and_record_loses_and_leaks_nothing() {
    let world = world().await;
    let validation = world.specs(
        "apiVersion: firecamp.io/v1alpha1\nkind: Consul\nmetadata: {name: consul}\nspec: {replicas: 3}\n",
    );
    let cluster = validation.cluster.as_ref().expect("cluster");
    let mut live = LiveState::default();
    world.read(&validation, &mut live).await;
    let first = common::moto::plan_of(&validation, &live);
    world
        .aws
        .apply(cluster, &first, &live)
        .await
        .expect("round 1");
    let mut live = simulate_apply(&first, &live);
    common::schedule(&mut live);
    world.read(&validation, &mut live).await;
    let second = common::moto::plan_of(&validation, &live);
    let cut = only(&second, assigns_only);
    world
        .aws
        .apply(cluster, &cut, &live)
        .await
        .expect("assigns");
    let mut live = simulate_apply(&cut, &live);
    let assigned: Vec<(String, Vec<Ipv4Addr>)> = world.enis().await;
    world.read(&validation, &mut live).await;
    let third = common::moto::plan_of(&validation, &live);
    assert!(
        !third
            .steps
            .iter()
            .any(|s| matches!(s.action, Action::AssignIp | Action::ReleaseIp)),
        "{:?}",
        third
            .steps
            .iter()
            .map(|s| (&s.id, &s.reason))
            .collect::<Vec<_>>()
    );
    let live = world.converge(&validation, live).await;
    assert_eq!(
        world.enis().await,
        assigned,
        "the same addresses, where they were"
    );
    for (member, recorded) in &live.static_ips {
        assert!(
            assigned.iter().any(|(_, ips)| ips.contains(&recorded.ip)),
            "{member}: {} is on an interface",
            recorded.ip
        );
    }
    assert_eq!(live.static_ips.len(), 3);
}

//! Static IPs: allocations chosen (`allocate`), then the steps that give them out. An allocated
//! IP is assigned to the ENI of the node its member runs on (moved from another node's ENI if it
//! is there), a new one recorded only after that assign, and released only under
//! `deletionPolicy: Delete`, when its member is removed by a scale-down or its service is deleted.

mod allocate;
mod interfaces;
mod others;
mod ranges;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use firecamp_aws::ec2::interfaces::{NO_MANAGE_TAG, OWNER_TAG};
use firecamp_schema::spec::InterfaceSource;
use serde_json::json;

pub use allocate::{Allocation, Allocations, Awaiting, allocate};
pub use ranges::{ZoneProblem, cidr_block, lowest_free, usable_range, zone_range};

use super::desired::Desired;
use super::draft::{Drafts, Rank, StepSpec};
use super::model::{Action, Provider};
use crate::live::LiveIndex;

/// Adds interface, allocate, assign, move and release steps.
pub(crate) fn plan_static_ips(
    desired: &Desired,
    index: &LiveIndex<'_>,
    allocations: &BTreeMap<String, Allocation>,
    policies: &BTreeMap<String, String>,
    out: &mut Drafts,
) {
    let making = interfaces::plan_interfaces(desired, index.live, allocations, out);
    let others = others::OthersHold::new(index.live);
    let mut undecided = BTreeSet::new();
    let mut awaiting_nodes: BTreeMap<&str, usize> = BTreeMap::new();
    for (member, allocation) in allocations {
        let service = Some(allocation.service.as_str());
        if allocation.retained {
            // Said while the scale-down is under way (the member's pod still exists), not on
            // every plan after it.
            if let (Some(ip), Some(_)) = (allocation.ip, index.placement(member)) {
                out.warnings.push(format!("{member} is removed by a scale-down: its static IP {ip} and record entry are kept (deletionPolicy Retain), and it gets them back if it returns; with deletionPolicy Delete they are released"));
            }
            continue;
        }
        match allocation.awaiting {
            Some(Awaiting::Node) => {
                *awaiting_nodes
                    .entry(allocation.service.as_str())
                    .or_default() += 1;
                continue;
            }
            Some(Awaiting::Interface) => {
                let node = index.node_of(member).map(|n| n.name.as_str());
                out.warnings.push(no_interface_warning(
                    desired,
                    index,
                    member,
                    node.unwrap_or_default(),
                ));
                continue;
            }
            None => {}
        }
        if allocation.new {
            let (ip, reason) = allocation_reason(member, allocation, index);
            if allocation.ip.is_none() {
                undecided.insert(allocation.subnet_id.clone());
            }
            out.push(
                StepSpec {
                    provider: Provider::Ec2,
                    action: Action::AllocateIp,
                    id: format!("ec2:allocate/{member}"),
                    resource: format!("static IP of {member}"),
                    service,
                    rank: Rank::Records,
                    reason,
                },
                None,
                Some(json!({"member": member, "ip": ip, "subnetId": allocation.subnet_id})),
                Vec::new(),
                false,
            );
        } else {
            out.in_sync();
        }
        let Some(address) = allocation.ip else {
            continue;
        };
        let ip = address.to_string();
        if !allocation.new && others.hold(address) {
            out.warnings.push(format!("{member} is running with static IP {ip}, which an interface that is not firecamp's now holds: nothing is assigned or moved (firecamp never takes an address from another interface); free the address, or remove the member for it to get a new one"));
            continue;
        }
        let Some(node) = index.node_of(member) else {
            continue;
        };
        let target = match (&node.eni, making.contains(&node.name)) {
            (Some(eni), _) if eni.secondary_ips.contains(&address) => continue,
            (Some(eni), _) => json!(eni.id),
            // Made earlier in this plan: the apply finds it by the node's instance.
            (None, true) => serde_json::Value::Null,
            (None, false) => {
                out.warnings
                    .push(no_interface_warning(desired, index, member, &node.name));
                continue;
            }
        };
        let (action, reason, before) = match index.holder(address) {
            Some(old) => (
                Action::MoveIp,
                format!(
                    "{member} now runs on {}; {ip} is still on {}",
                    node.name,
                    old.name()
                ),
                Some(json!({"eni": old.eni.id, "node": old.node.map(|n| &n.name)})),
            ),
            None => (
                Action::AssignIp,
                format!("{member} runs on {}", node.name),
                None,
            ),
        };
        out.push(
            StepSpec {
                provider: Provider::Ec2,
                action,
                id: format!("ec2:assign/{member}"),
                resource: format!("static IP {ip} of {member}"),
                service,
                rank: Rank::Members,
                reason,
            },
            before,
            Some(
                json!({"eni": target, "node": node.name, "instanceId": node.instance_id, "ip": ip}),
            ),
            Vec::new(),
            false,
        );
    }
    interfaces::plan_interface_deletions(desired, index.live, allocations, out);
    for (service, count) in awaiting_nodes {
        out.warnings.push(format!("{service}: {count} new member(s) have no node yet; each one's static IP is chosen once its pod has one, assigned to that node's firecamp interface, then recorded (a later plan; the member starts once its address is there)"));
    }
    if !undecided.is_empty() {
        let subnets: Vec<String> = undecided.into_iter().collect();
        out.warnings.push(format!("the live state has no data on subnet(s) {}: their static IPs are decided when planning against live data", subnets.join(", ")));
    }
    let desired_services: BTreeSet<&str> =
        desired.services.iter().map(|s| s.name.as_str()).collect();
    for (member, recorded) in &index.live.static_ips {
        if allocations.contains_key(member) {
            continue;
        }
        let reason = if desired_services.contains(recorded.service.as_str()) {
            // Not kept by `allocate`: the service's policy is Delete.
            if !desired.broken_files.is_empty() {
                continue;
            }
            "its member was removed by a scale-down, with deletionPolicy Delete"
        } else if desired.may_release(&recorded.service, policies) {
            "its service was deleted with deletionPolicy Delete"
        } else {
            continue;
        };
        out.push(
            StepSpec { provider: Provider::Ec2, action: Action::ReleaseIp, id: format!("ec2:release/{member}"), resource: format!("static IP {} of {member}", recorded.ip), service: Some(&recorded.service), rank: Rank::Jobs, reason: reason.to_owned() },
            Some(json!({"member": member, "ip": recorded.ip.to_string(), "subnetId": recorded.subnet_id})),
            None,
            Vec::new(),
            false,
        );
    }
    plan_unrecorded_releases(desired, index, allocations, out);
}

/// The address of a new member's AllocateIp step (null while its subnet is not in the live
/// state) and why it is that one.
fn allocation_reason(
    member: &str,
    allocation: &Allocation,
    index: &LiveIndex<'_>,
) -> (serde_json::Value, String) {
    let subnet = &allocation.subnet_id;
    let Some(ip) = allocation.ip else {
        return (
            serde_json::Value::Null,
            format!("new member: an address of {subnet} (decided against live data)"),
        );
    };
    let node = index
        .node_of(member)
        .map_or("its node", |n| n.name.as_str());
    let reason = match allocation.replaces {
        _ if allocation.adopted => format!(
            "{ip} is on the firecamp interface of {node} and no record holds it (an apply stopped between assigning and recording it): recorded for {member} as it is"
        ),
        Some(old) => format!(
            "{old} was taken by an interface that is not firecamp's before {member} ran with it: lowest free address of {subnet}, recorded once assigned"
        ),
        None => {
            format!("new member on {node}: lowest free address of {subnet}, recorded once assigned")
        }
    };
    (json!(ip.to_string()), reason)
}

/// Releases the addresses on firecamp's interfaces that no allocation record holds (left by an
/// apply cut short, or put there by hand), so nothing leaks. Not while a spec file is broken:
/// then the records are not known in full.
fn plan_unrecorded_releases(
    desired: &Desired,
    index: &LiveIndex<'_>,
    allocations: &BTreeMap<String, Allocation>,
    out: &mut Drafts,
) {
    if !desired.broken_files.is_empty() {
        return;
    }
    let live = index.live;
    let recorded: BTreeSet<Ipv4Addr> = live
        .static_ips
        .values()
        .map(|s| s.ip)
        .chain(allocations.values().filter_map(|a| a.ip))
        .collect();
    let interfaces = live
        .nodes
        .iter()
        .filter_map(|n| n.eni.as_ref().map(|e| (e, n.name.clone())))
        .chain(
            live.stray_interfaces
                .iter()
                .map(|s| (&s.eni, format!("stray interface {}", s.eni.id))),
        );
    for (eni, holder) in interfaces {
        for ip in eni.secondary_ips.iter().filter(|ip| !recorded.contains(ip)) {
            out.push(
                StepSpec {
                    provider: Provider::Ec2,
                    action: Action::ReleaseIp,
                    id: format!("ec2:release/{ip}"),
                    resource: format!("static IP {ip} on {}", eni.id),
                    service: None,
                    rank: Rank::Jobs,
                    reason: format!("it is on firecamp's interface of {holder}, and no allocation record holds it"),
                },
                Some(json!({"member": null, "ip": ip.to_string(), "eni": eni.id})),
                None,
                Vec::new(),
                false,
            );
        }
    }
}

/// Why `member`'s address waits: its node has no static-IP interface firecamp may use.
fn no_interface_warning(
    desired: &Desired,
    index: &LiveIndex<'_>,
    member: &str,
    node: &str,
) -> String {
    let why = if desired.cluster.spec.static_ips.interfaces == InterfaceSource::LaunchTemplate {
        format!(
            "staticIps.interfaces is launchTemplate: the node's launch template must attach one in the zone's static subnet, tagged {OWNER_TAG}={} and {NO_MANAGE_TAG}=true",
            index.live.owner.as_deref().unwrap_or("<owner id>")
        )
    } else {
        "firecamp makes one once the owner id (the kube-system namespace's UID) is known".to_owned()
    };
    format!(
        "{member} runs on node {node}, which has no static-IP interface yet, so its static IP is not assigned: {why}"
    )
}

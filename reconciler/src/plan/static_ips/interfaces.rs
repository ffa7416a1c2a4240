//! firecamp's static-IP interface of each node (`docs/static-ips.md`): one is made for every node
//! of a zone where static-IP members have addresses; one that no node of the cluster has any
//! more, or a node's in a zone without such members, is deleted once no address is left on it.
//! Only in `staticIps.interfaces: firecamp` mode, and only once the owner id is known: without
//! it, firecamp could not tell its own interfaces from another cluster's.
//!
//! An interface's own (primary) address is chosen here too, from the top of its subnet and
//! outside the zone's `reservedCidr`, never one a member's allocation holds: left to EC2, it is
//! any free address of the subnet, which in a dedicated subnet may be the one a new member was
//! just given (and moto, which ignores reservations, would hand out the reserved ones too).

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use firecamp_schema::spec::InterfaceSource;
use serde_json::json;

use super::allocate::Allocation;
use super::ranges::{cidr_block, in_blocks, prefix_blocks, usable_range};
use crate::live::{Eni, LiveState, Subnet};
use crate::plan::desired::Desired;
use crate::plan::draft::{Drafts, Rank, StepSpec};
use crate::plan::model::{Action, Provider};

/// Adds a Create step for each node that needs an interface and has none. Returns the nodes
/// whose interface this plan makes.
pub(crate) fn plan_interfaces(
    desired: &Desired,
    live: &LiveState,
    allocations: &BTreeMap<String, Allocation>,
    out: &mut Drafts,
) -> BTreeSet<String> {
    let spec = &desired.cluster.spec;
    let zones = zones_of(desired, &member_subnets(allocations));
    let missing: Vec<_> = live
        .nodes
        .iter()
        .filter(|n| n.eni.is_none())
        .filter_map(|n| zones.get(n.zone.as_str()).map(|subnet| (n, *subnet)))
        .collect();
    let mut making = BTreeSet::new();
    if spec.static_ips.interfaces == InterfaceSource::LaunchTemplate {
        // The launch template attaches them; a member on a node without one is warned about
        // with its assignment.
        return making;
    }
    let Some(owner) = live.owner.as_deref() else {
        if !missing.is_empty() || !live.stray_interfaces.is_empty() {
            out.warnings.push("the owner id (the kube-system namespace's UID) is unknown in this live state: no static-IP interface is made or deleted; plan against the cluster to see them".to_owned());
        }
        return making;
    };
    let mut taken: BTreeSet<Ipv4Addr> = live
        .static_ips
        .values()
        .map(|s| s.ip)
        .chain(allocations.values().filter_map(|a| a.ip))
        .collect();
    for (node, (subnet, reserved)) in missing {
        let primary = live
            .subnets
            .iter()
            .find(|s| s.id == subnet)
            .and_then(|s| highest_free(s, reserved, &taken));
        taken.extend(primary);
        out.push(
            StepSpec {
                provider: Provider::Ec2,
                action: Action::Create,
                id: format!("ec2:interface/{}", node.name),
                resource: format!("static-IP interface of node {}", node.name),
                service: None,
                rank: Rank::Foundation,
                reason: format!(
                    "node {} is in zone {} where static-IP members have addresses",
                    node.name, node.zone
                ),
            },
            None,
            Some(json!({
                "node": node.name,
                "instanceId": node.instance_id,
                "subnetId": subnet,
                "primaryIp": primary.map(|ip| ip.to_string()),
                "securityGroupIds": spec.static_ips.security_group_ids,
                "cluster": desired.cluster.metadata.name,
                "owner": owner,
            })),
            Vec::new(),
            false,
        );
        making.insert(node.name.clone());
    }
    making
}

/// True when firecamp makes the nodes' static-IP interfaces in this plan where they are missing:
/// in `staticIps.interfaces: firecamp` mode, once the owner id is known.
pub(crate) fn firecamp_makes_interfaces(desired: &Desired, live: &LiveState) -> bool {
    desired.cluster.spec.static_ips.interfaces == InterfaceSource::Firecamp && live.owner.is_some()
}

/// The zones whose subnet is one of `subnets`, by name, with each zone's subnet and
/// `reservedCidr`.
fn zones_of<'a>(
    desired: &'a Desired,
    subnets: &BTreeSet<&str>,
) -> BTreeMap<&'a str, (&'a str, Option<&'a str>)> {
    desired
        .cluster
        .spec
        .zones
        .iter()
        .filter(|z| subnets.contains(z.subnet_id.as_str()))
        .map(|z| {
            let reserved = z.reserved_cidr.as_deref();
            (z.name.as_str(), (z.subnet_id.as_str(), reserved))
        })
        .collect()
}

/// The subnets where desired members hold (or are given) an address.
fn member_subnets(allocations: &BTreeMap<String, Allocation>) -> BTreeSet<&str> {
    allocations
        .values()
        .filter(|a| !a.retained)
        .map(|a| a.subnet_id.as_str())
        .collect()
}

/// One of firecamp's interfaces no longer needed, and why.
struct Unneeded<'a> {
    eni: &'a Eni,
    instance_id: Option<&'a str>,
    holder: String,
    reason: String,
}

/// Adds a Delete step for each of firecamp's interfaces that is no longer needed: a stray one
/// (its instance left the cluster, or it is detached), and a node's in a zone where no member
/// has an address or an allocation record any more (not while a spec file is broken: then the
/// members are not known in full). Added after the moves: an interface is deleted only once every
/// address on it is moved off by this plan, since deleting an interface releases its addresses and
/// one kept under Retain must stay; an interface that still holds others is kept, and the plan
/// says so.
pub(crate) fn plan_interface_deletions(
    desired: &Desired,
    live: &LiveState,
    allocations: &BTreeMap<String, Allocation>,
    out: &mut Drafts,
) {
    if desired.cluster.spec.static_ips.interfaces == InterfaceSource::LaunchTemplate {
        return;
    }
    let Some(owner) = live.owner.as_deref() else {
        return;
    };
    let mut unneeded: Vec<Unneeded<'_>> = live
        .stray_interfaces
        .iter()
        .map(|stray| Unneeded {
            eni: &stray.eni,
            instance_id: stray.instance_id.as_deref(),
            holder: format!("static-IP interface {}", stray.eni.id),
            reason: stray.instance_id.as_ref().map_or_else(
                || "it is attached to no instance".to_owned(),
                |i| format!("its instance {i} is not a node of the cluster"),
            ),
        })
        .collect();
    if desired.broken_files.is_empty() {
        // A zone stays in use while any allocation record is in its subnet, whatever the record's
        // service: one held back or removed under Retain still has its members' addresses there.
        let subnets: BTreeSet<&str> = live
            .static_ips
            .values()
            .map(|s| s.subnet_id.as_str())
            .chain(allocations.values().map(|a| a.subnet_id.as_str()))
            .collect();
        let zones = zones_of(desired, &subnets);
        unneeded.extend(live.nodes.iter().filter_map(|node| {
            let eni = node.eni.as_ref()?;
            (!zones.contains_key(node.zone.as_str())).then(|| Unneeded {
                eni,
                instance_id: Some(&node.instance_id),
                holder: format!("static-IP interface {} of node {}", eni.id, node.name),
                reason: format!(
                    "no member has a static IP or an allocation record in zone {} any more",
                    node.zone
                ),
            })
        }));
    }
    let moved: BTreeSet<(String, String)> = out
        .drafts
        .iter()
        .filter(|d| d.step.action == Action::MoveIp)
        .filter_map(|d| {
            let eni = d.step.before.as_ref()?["eni"].as_str()?.to_owned();
            let ip = d.step.after.as_ref()?["ip"].as_str()?.to_owned();
            Some((eni, ip))
        })
        .collect();
    for interface in unneeded {
        let ips: Vec<String> = interface
            .eni
            .secondary_ips
            .iter()
            .map(ToString::to_string)
            .collect();
        let staying: Vec<&str> = ips
            .iter()
            .filter(|ip| !moved.contains(&(interface.eni.id.clone(), (*ip).clone())))
            .map(String::as_str)
            .collect();
        if !staying.is_empty() {
            out.warnings.push(format!(
                "{} is kept although {}: it still holds {} (kept under deletionPolicy Retain, or released first); deleting it would release them",
                interface.holder,
                interface.reason,
                staying.join(", ")
            ));
            continue;
        }
        out.push(
            StepSpec {
                provider: Provider::Ec2,
                action: Action::Delete,
                id: format!("ec2:interface/{}", interface.eni.id),
                resource: interface.holder.clone(),
                service: None,
                rank: Rank::Foundation,
                reason: interface.reason,
            },
            Some(json!({
                "eni": interface.eni.id,
                "instanceId": interface.instance_id,
                "ips": ips,
                "owner": owner,
            })),
            None,
            Vec::new(),
            false,
        );
    }
}

/// The highest usable address of `subnet` that nothing holds, outside `reserved` (the zone's
/// range for members, when it has one) and outside every delegated prefix.
pub(crate) fn highest_free(
    subnet: &Subnet,
    reserved: Option<&str>,
    taken: &BTreeSet<Ipv4Addr>,
) -> Option<Ipv4Addr> {
    let (first, last) = usable_range(&subnet.cidr)?;
    let mut blocks = prefix_blocks(std::slice::from_ref(subnet));
    blocks.extend(reserved.and_then(cidr_block));
    (first..=last)
        .rev()
        .filter(|a| !in_blocks(&blocks, *a))
        .map(Ipv4Addr::from)
        .find(|ip| !taken.contains(ip) && !subnet.used_ips.contains(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subnet(used: &[u8], prefixes: &[&str]) -> Subnet {
        Subnet {
            id: "subnet-a".to_owned(),
            cidr: "10.0.0.0/26".to_owned(),
            used_ips: used.iter().map(|o| Ipv4Addr::new(10, 0, 0, *o)).collect(),
            prefixes: prefixes.iter().map(|p| (*p).to_owned()).collect(),
            reservations: Vec::new(),
            unowned_interfaces: Vec::new(),
        }
    }

    #[test]
    fn an_interface_address_comes_from_the_top_and_never_from_a_member_or_the_reservation() {
        let none = BTreeSet::new();
        assert_eq!(
            highest_free(&subnet(&[], &[]), None, &none),
            Some(Ipv4Addr::new(10, 0, 0, 62)),
            ".63 is the broadcast address"
        );
        let members: BTreeSet<Ipv4Addr> = [Ipv4Addr::new(10, 0, 0, 62)].into();
        assert_eq!(
            highest_free(&subnet(&[61], &[]), None, &members),
            Some(Ipv4Addr::new(10, 0, 0, 60)),
            "a member's address and a used one are skipped"
        );
        assert_eq!(
            highest_free(&subnet(&[], &["10.0.0.48/28"]), Some("10.0.0.32/28"), &none),
            Some(Ipv4Addr::new(10, 0, 0, 31)),
            "the delegated prefix and the reserved range are skipped"
        );
        assert_eq!(
            highest_free(&subnet(&[], &[]), Some("10.0.0.0/26"), &none),
            None,
            "a subnet that is all reservation leaves the choice to EC2"
        );
    }
}

//! Choosing static IPs. Existing allocations are kept. A new member's address is chosen only once
//! its pod has a node whose firecamp interface exists or is made in the same plan: the plan then
//! assigns it to that interface and records it after the assign, so no record ever names an address
//! that was not assigned. An address already on that interface that no record holds (an apply
//! stopped between the assign and the record) is taken as it is; otherwise the member gets the
//! lowest free address of its zone's range: the zone's explicit CIDR reservation (`reservedCidr`,
//! which must exist live) or, without one, its dedicated subnet (no ENI in it but firecamp's);
//! never the first four or the last address of the subnet, which AWS keeps. An address is taken
//! when any ENI in the subnet has it, when it lies in an IPv4 prefix delegated to an ENI, when a
//! member's allocation record holds it, or when EC2 lately refused to assign it (something firecamp
//! cannot see has it). A member still waiting for its node counts one free address,
//! so a zone that cannot give out an address holds back the services needing a new address there
//! before their members are made. The address of a member removed by a scale-down is kept for it
//! while its service's deletion policy is Retain.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::Ipv4Addr;

use firecamp_schema::spec::DeletionPolicy;

use super::interfaces::firecamp_makes_interfaces;
use super::others::OthersHold;
use super::ranges::{ZoneProblem, in_blocks, prefix_blocks, zone_range};
use crate::live::{LiveIndex, LiveState, Node, StaticIp, Subnet};
use crate::plan::desired::Desired;

/// A member's static IP as the plan sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// The address; `None` while the member is [`Awaiting`], or when the subnet is not in the live
    /// state (decided when it is).
    pub ip: Option<Ipv4Addr>,
    /// The member's service.
    pub service: String,
    /// The subnet.
    pub subnet_id: String,
    /// True when the plan allocates it now.
    pub new: bool,
    /// True when the member is no longer desired (a scale-down) and its service's deletion policy
    /// is Retain: the address and its record entry are kept for it.
    pub retained: bool,
    /// The recorded address this new one replaces: an interface other than firecamp's took it
    /// before the member ever ran with it.
    pub replaces: Option<Ipv4Addr>,
    /// What a new member waits for before its address is chosen (`ip` is then `None`).
    pub awaiting: Option<Awaiting>,
    /// True when the new address was already on the node's firecamp interface with no record: it
    /// is recorded as it is, with nothing to assign.
    pub adopted: bool,
}

/// What a new member's address waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awaiting {
    /// Its pod has no node yet.
    Node,
    /// Its node has no firecamp interface, and this plan makes none (`launchTemplate` mode, or
    /// the owner id is unknown).
    Interface,
}

/// The allocations of a plan, and the services held back because a zone cannot give them an
/// address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allocations {
    /// Member → its allocation.
    pub members: BTreeMap<String, Allocation>,
    /// Service → why it is held back.
    pub held_back: BTreeMap<String, String>,
}

/// What is taken in the subnets: addresses and delegated prefixes.
struct Taken {
    addresses: BTreeSet<u32>,
    prefixes: Vec<(u32, u32)>,
}

impl Taken {
    fn new(live: &LiveState) -> Self {
        let mut addresses: BTreeSet<u32> = live
            .subnets
            .iter()
            .flat_map(|s| s.used_ips.iter().map(|ip| u32::from(*ip)))
            .collect();
        addresses.extend(live.static_ips.values().map(|s| u32::from(s.ip)));
        addresses.extend(live.refused_ips.iter().map(|ip| u32::from(*ip)));
        Self {
            addresses,
            prefixes: prefix_blocks(&live.subnets),
        }
    }

    fn contains(&self, address: u32) -> bool {
        self.addresses.contains(&address) || in_blocks(&self.prefixes, address)
    }
}

/// A zone's range and the lowest address of it that may still be free: everything below it is
/// taken (taken addresses only grow while allocating), so each choice starts there.
struct Cursor {
    first: u32,
    next: u32,
    last: u32,
}

/// The addresses on firecamp's interfaces that no record holds, taken as they are by new members
/// of the interface's node.
struct Unrecorded {
    recorded: HashSet<Ipv4Addr>,
    adopted: HashSet<Ipv4Addr>,
}

impl Unrecorded {
    /// The lowest address on `node`'s interface in `first..=last` that no record or earlier
    /// adoption holds, now adopted.
    fn adopt(&mut self, node: &Node, first: u32, last: u32) -> Option<Ipv4Addr> {
        let found = node
            .eni
            .iter()
            .flat_map(|e| e.secondary_ips.iter().copied())
            .filter(|ip| (first..=last).contains(&u32::from(*ip)))
            .filter(|ip| !self.recorded.contains(ip) && !self.adopted.contains(ip))
            .min()?;
        self.adopted.insert(found);
        Some(found)
    }
}

/// Allocations for the desired static-IP members: the live ones kept, new ones chosen (or left
/// undecided when the live state has no data on their subnet), and the services a zone cannot
/// give a new address held back with the reason.
#[must_use]
pub fn allocate(desired: &Desired, index: &LiveIndex<'_>) -> Allocations {
    let live = index.live;
    let mut taken = Taken::new(live);
    let others = OthersHold::new(live);
    let makes_interfaces = firecamp_makes_interfaces(desired, live);
    let mut unrecorded = Unrecorded {
        recorded: live.static_ips.values().map(|s| s.ip).collect(),
        adopted: HashSet::new(),
    };
    let ready: HashSet<&str> = live
        .members
        .iter()
        .filter(|m| m.ready)
        .map(|m| m.member.as_str())
        .collect();
    let mut cursors: BTreeMap<(&str, Option<&str>), Result<Cursor, ZoneProblem>> = BTreeMap::new();
    let mut result = Allocations::default();
    let mut recorded: BTreeMap<&str, Vec<(&String, &StaticIp)>> = BTreeMap::new();
    for (member, ip) in &live.static_ips {
        recorded
            .entry(ip.service.as_str())
            .or_default()
            .push((member, ip));
    }
    for service in &desired.services {
        let mut chosen = BTreeMap::new();
        let mut problem = None;
        for request in &service.aws.static_ips {
            let existing = live.static_ips.get(&request.member);
            // Taken by someone else before the member ran with it (it is not ready): chosen
            // again. A running member keeps it, and the plan says so.
            let replaces = existing
                .map(|e| e.ip)
                .filter(|ip| others.hold(*ip) && !ready.contains(request.member.as_str()));
            if let Some(existing) = existing.filter(|_| replaces.is_none()) {
                let kept = Allocation {
                    ip: Some(existing.ip),
                    service: existing.service.clone(),
                    subnet_id: existing.subnet_id.clone(),
                    new: false,
                    retained: false,
                    replaces: None,
                    awaiting: None,
                    adopted: false,
                };
                chosen.insert(request.member.clone(), kept);
                continue;
            }
            let node = index.node_of(&request.member);
            let awaiting = match node {
                None => Some(Awaiting::Node),
                Some(n) if n.eni.is_none() && !makes_interfaces => Some(Awaiting::Interface),
                Some(_) => None,
            };
            let Some(subnet) = live.subnets.iter().find(|s| s.id == request.subnet_id) else {
                let pending = Allocation {
                    ip: None,
                    service: service.name.clone(),
                    subnet_id: request.subnet_id.clone(),
                    new: true,
                    retained: false,
                    replaces,
                    awaiting,
                    adopted: false,
                };
                chosen.insert(request.member.clone(), pending);
                continue;
            };
            let reserved = request.reserved_cidr.as_deref();
            let cursor = cursors
                .entry((subnet.id.as_str(), reserved))
                .or_insert_with(|| {
                    zone_range(subnet, reserved).map(|(next, last)| Cursor {
                        first: next,
                        next,
                        last,
                    })
                });
            let adopted = match (node, &cursor) {
                (Some(node), Ok(range)) if awaiting.is_none() => {
                    unrecorded.adopt(node, range.first, range.last)
                }
                _ => None,
            };
            let choice = match adopted {
                Some(ip) => Ok(u32::from(ip)),
                None => next_free(cursor, &taken, subnet, reserved),
            };
            match choice {
                Ok(ip) => {
                    // A member waiting for its node counts a free address, so a full zone is
                    // known before its members are made.
                    taken.addresses.insert(ip);
                    let allocation = Allocation {
                        ip: awaiting.is_none().then(|| Ipv4Addr::from(ip)),
                        service: service.name.clone(),
                        subnet_id: subnet.id.clone(),
                        new: true,
                        retained: false,
                        replaces,
                        awaiting,
                        adopted: adopted.is_some(),
                    };
                    chosen.insert(request.member.clone(), allocation);
                }
                Err(reason) => {
                    problem = Some(format!(
                        "its new member {} needs a static IP in zone {}: {reason}; nothing is changed or deleted",
                        request.member, request.zone
                    ));
                    break;
                }
            }
        }
        let retains = desired
            .deletion_policies
            .get(&service.name)
            .copied()
            .unwrap_or_default()
            == DeletionPolicy::Retain;
        if retains {
            let removed: Vec<_> = recorded
                .get(service.name.as_str())
                .into_iter()
                .flatten()
                .filter(|(m, _)| !chosen.contains_key(*m))
                .collect();
            for (member, ip) in removed {
                let kept = Allocation {
                    ip: Some(ip.ip),
                    service: service.name.clone(),
                    subnet_id: ip.subnet_id.clone(),
                    new: false,
                    retained: true,
                    replaces: None,
                    awaiting: None,
                    adopted: false,
                };
                chosen.insert((*member).clone(), kept);
            }
        }
        match problem {
            Some(reason) => {
                result.held_back.insert(service.name.clone(), reason);
            }
            None => result.members.extend(chosen),
        }
    }
    result
}

/// The lowest free address at or after the cursor, which moves past it.
fn next_free(
    cursor: &mut Result<Cursor, ZoneProblem>,
    taken: &Taken,
    subnet: &Subnet,
    reserved: Option<&str>,
) -> Result<u32, ZoneProblem> {
    let cursor = cursor.as_mut().map_err(|problem| problem.clone())?;
    while cursor.next <= cursor.last {
        let candidate = cursor.next;
        cursor.next += 1;
        if !taken.contains(candidate) {
            return Ok(candidate);
        }
    }
    Err(ZoneProblem::Full {
        subnet: subnet.id.clone(),
        range: reserved.unwrap_or(&subnet.cidr).to_owned(),
    })
}

//! Choosing static IPs. Existing allocations are kept. A new member gets the lowest free address
//! of its zone's range: the zone's explicit CIDR reservation (`reservedCidr`, which must exist
//! live) or, without one, its dedicated subnet (no ENI in it but firecamp's); never the first four
//! or the last address of the subnet, which AWS keeps. An address is taken when any ENI in the subnet has it, when it lies in
//! an IPv4 prefix delegated to an ENI, or when a member's allocation record holds it. A zone that
//! cannot give out an address holds back only the services that need a new address there. The
//! address of a member removed by a scale-down is kept for it while its service's deletion policy
//! is Retain.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use firecamp_schema::spec::DeletionPolicy;

use crate::live::{LiveState, StaticIp, Subnet};
use crate::plan::desired::Desired;

/// Why a zone gives out no new address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneProblem {
    /// The subnet's CIDR does not parse or is not a /16 to /28.
    #[error("subnet {subnet} has an invalid CIDR {cidr}")]
    BadCidr {
        /// The subnet.
        subnet: String,
        /// Its CIDR.
        cidr: String,
    },
    /// `reservedCidr` is not covered by an explicit reservation of the subnet.
    #[error(
        "subnet {subnet} has no explicit CIDR reservation covering reservedCidr {cidr}; create it with `aws ec2 create-subnet-cidr-reservation --subnet-id {subnet} --cidr {cidr} --reservation-type explicit`"
    )]
    NoReservation {
        /// The subnet.
        subnet: String,
        /// The zone's `reservedCidr`.
        cidr: String,
    },
    /// `reservedCidr` holds no usable address of the subnet.
    #[error("reservedCidr {cidr} holds no usable address of subnet {subnet} ({subnet_cidr})")]
    OutsideSubnet {
        /// The subnet.
        subnet: String,
        /// The zone's `reservedCidr`.
        cidr: String,
        /// The subnet's CIDR.
        subnet_cidr: String,
    },
    /// A zone without `reservedCidr` whose subnet holds an ENI that is no firecamp interface: EC2's
    /// automatic assignment (the VPC CNI's, a node's) can hand out any address of the subnet.
    #[error(
        "subnet {subnet} is not dedicated to static IPs: {interfaces} in it {verb} not firecamp's, and EC2 hands out this subnet's addresses to such interfaces by itself; move them out, give the zone a subnet only firecamp uses, or give it a reservedCidr with an explicit CIDR reservation (docs/static-ips.md)"
    )]
    NotDedicated {
        /// The subnet.
        subnet: String,
        /// The interfaces in the way, for people: a few ids and how many more.
        interfaces: String,
        /// "is" or "are".
        verb: &'static str,
    },
    /// Every address of the range is taken.
    #[error("{range} of subnet {subnet} has no free address left")]
    Full {
        /// The subnet.
        subnet: String,
        /// The range, for people: the reservation or the subnet's CIDR.
        range: String,
    },
}

/// A member's static IP as the plan sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// The address; `None` when the subnet is not in the live state (decided when it is).
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

/// The first and last address of a CIDR block of any prefix length, e.g. an EC2 reservation or
/// delegated prefix.
pub fn cidr_block(cidr: &str) -> Option<(u32, u32)> {
    let (address, prefix) = cidr.split_once('/')?;
    let address: Ipv4Addr = address.parse().ok()?;
    let prefix: u32 = prefix.parse().ok().filter(|p| *p <= 32)?;
    let size = 1u64 << (32 - prefix);
    let first = u32::from(address) & !u32::try_from(size - 1).ok()?;
    let last = u32::try_from(u64::from(first) + size - 1).ok()?;
    Some((first, last))
}

/// The usable addresses of a subnet's CIDR block: all but the first four and the last.
pub fn usable_range(cidr: &str) -> Option<(u32, u32)> {
    let prefix: u32 = cidr.split_once('/')?.1.parse().ok()?;
    if !(16..=28).contains(&prefix) {
        return None;
    }
    let (first, last) = cidr_block(cidr)?;
    Some((first + 4, last - 1))
}

/// The lowest usable address of `cidr` not in `taken`.
pub fn lowest_free(cidr: &str, taken: &BTreeSet<Ipv4Addr>) -> Option<Ipv4Addr> {
    let (first, last) = usable_range(cidr)?;
    (first..=last)
        .map(Ipv4Addr::from)
        .find(|ip| !taken.contains(ip))
}

/// The addresses a zone may give out: the subnet's usable range, narrowed to `reserved` (which
/// an explicit reservation of the subnet must cover).
///
/// # Errors
/// A malformed subnet, a missing reservation, a reservation outside the subnet.
pub fn zone_range(subnet: &Subnet, reserved: Option<&str>) -> Result<(u32, u32), ZoneProblem> {
    let (first, last) = usable_range(&subnet.cidr).ok_or_else(|| ZoneProblem::BadCidr {
        subnet: subnet.id.clone(),
        cidr: subnet.cidr.clone(),
    })?;
    let Some(reserved) = reserved else {
        return dedicated(subnet).map(|()| (first, last));
    };
    let no_reservation = || ZoneProblem::NoReservation {
        subnet: subnet.id.clone(),
        cidr: reserved.to_owned(),
    };
    let (low, high) = cidr_block(reserved).ok_or_else(no_reservation)?;
    let covered = subnet
        .reservations
        .iter()
        .filter_map(|r| cidr_block(r))
        .any(|(start, end)| start <= low && high <= end);
    if !covered {
        return Err(no_reservation());
    }
    let (low, high) = (low.max(first), high.min(last));
    if low > high {
        return Err(ZoneProblem::OutsideSubnet {
            subnet: subnet.id.clone(),
            cidr: reserved.to_owned(),
            subnet_cidr: subnet.cidr.clone(),
        });
    }
    Ok((low, high))
}

/// Fails unless every ENI in `subnet` is a firecamp interface.
fn dedicated(subnet: &Subnet) -> Result<(), ZoneProblem> {
    /// How many ids the message names.
    const NAMED: usize = 3;
    let unowned = &subnet.unowned_interfaces;
    if unowned.is_empty() {
        return Ok(());
    }
    let mut interfaces = unowned[..unowned.len().min(NAMED)].join(", ");
    if unowned.len() > NAMED {
        interfaces.push_str(&format!(" and {} more", unowned.len() - NAMED));
    }
    Err(ZoneProblem::NotDedicated {
        subnet: subnet.id.clone(),
        interfaces,
        verb: if unowned.len() == 1 { "is" } else { "are" },
    })
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
        let prefixes = live
            .subnets
            .iter()
            .flat_map(|s| s.prefixes.iter().filter_map(|p| cidr_block(p)))
            .collect();
        Self {
            addresses,
            prefixes,
        }
    }

    fn contains(&self, address: u32) -> bool {
        self.addresses.contains(&address)
            || self
                .prefixes
                .iter()
                .any(|(first, last)| (*first..=*last).contains(&address))
    }
}

/// A zone's range and the lowest address of it that may still be free: everything below it is
/// taken (taken addresses only grow while allocating), so each choice starts there.
struct Cursor {
    next: u32,
    last: u32,
}

/// Allocations for the desired static-IP members: the live ones kept, new ones chosen (or left
/// undecided when the live state has no data on their subnet), and the services a zone cannot
/// give a new address held back with the reason.
#[must_use]
pub fn allocate(desired: &Desired, live: &LiveState) -> Allocations {
    let mut taken = Taken::new(live);
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
            if let Some(existing) = live.static_ips.get(&request.member) {
                let kept = Allocation {
                    ip: Some(existing.ip),
                    service: existing.service.clone(),
                    subnet_id: existing.subnet_id.clone(),
                    new: false,
                    retained: false,
                };
                chosen.insert(request.member.clone(), kept);
                continue;
            }
            let Some(subnet) = live.subnets.iter().find(|s| s.id == request.subnet_id) else {
                let pending = Allocation {
                    ip: None,
                    service: service.name.clone(),
                    subnet_id: request.subnet_id.clone(),
                    new: true,
                    retained: false,
                };
                chosen.insert(request.member.clone(), pending);
                continue;
            };
            let reserved = request.reserved_cidr.as_deref();
            let cursor = cursors
                .entry((subnet.id.as_str(), reserved))
                .or_insert_with(|| {
                    zone_range(subnet, reserved).map(|(next, last)| Cursor { next, last })
                });
            match next_free(cursor, &taken, subnet, reserved) {
                Ok(ip) => {
                    taken.addresses.insert(ip);
                    let allocation = Allocation {
                        ip: Some(Ipv4Addr::from(ip)),
                        service: service.name.clone(),
                        subnet_id: subnet.id.clone(),
                        new: true,
                        retained: false,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_addresses_are_skipped() {
        let range = usable_range("10.0.16.0/20").expect("valid");
        assert_eq!(Ipv4Addr::from(range.0), Ipv4Addr::new(10, 0, 16, 4));
        assert_eq!(Ipv4Addr::from(range.1), Ipv4Addr::new(10, 0, 31, 254));
        assert_eq!(
            usable_range("10.0.16.7/20"),
            usable_range("10.0.16.0/20"),
            "host bits are ignored"
        );
        assert!(
            usable_range("10.0.0.0/8").is_none(),
            "AWS subnets are /16 to /28"
        );
    }

    #[test]
    fn lowest_free_skips_every_taken_address() {
        let taken: BTreeSet<Ipv4Addr> = [
            Ipv4Addr::new(10, 0, 0, 4),
            Ipv4Addr::new(10, 0, 0, 5),
            Ipv4Addr::new(10, 0, 0, 7),
        ]
        .into();
        assert_eq!(
            lowest_free("10.0.0.0/28", &taken),
            Some(Ipv4Addr::new(10, 0, 0, 6))
        );
        let full: BTreeSet<Ipv4Addr> = (4..=14).map(|i| Ipv4Addr::new(10, 0, 0, i)).collect();
        assert_eq!(
            lowest_free("10.0.0.0/28", &full),
            None,
            ".15 is the broadcast address"
        );
    }
}

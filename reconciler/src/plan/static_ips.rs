//! Static IPs: existing allocations are kept; a new member gets the lowest free address of its
//! zone's subnet that no ENI in the subnet uses (whoever owns it) and no other member holds,
//! skipping the first four and the last address, which AWS reserves. An allocated IP is assigned
//! to the ENI of the node its member runs on (moved from another node's ENI if it is there), and
//! released only when its service was deleted with `deletionPolicy: Delete`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use serde_json::json;

use super::desired::Desired;
use super::draft::{Drafts, Rank, StepSpec};
use super::model::{Action, Provider};
use crate::live::{LiveIndex, LiveState};

/// Why an address cannot be allocated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    /// The subnet's CIDR does not parse.
    #[error("subnet {subnet} has an invalid CIDR {cidr}")]
    BadCidr {
        /// The subnet.
        subnet: String,
        /// Its CIDR.
        cidr: String,
    },
    /// No free address is left.
    #[error("subnet {0} has no free address left")]
    Full(String),
}

/// The usable addresses of a CIDR block: all but the first four and the last.
pub fn usable_range(cidr: &str) -> Option<(u32, u32)> {
    let (address, prefix) = cidr.split_once('/')?;
    let address: Ipv4Addr = address.parse().ok()?;
    let prefix: u32 = prefix.parse().ok().filter(|p| (16..=28).contains(p))?;
    let size = 1u32 << (32 - prefix);
    let network = u32::from(address) & !(size - 1);
    Some((network + 4, network + size - 2))
}

/// The lowest usable address of `cidr` not in `taken`.
pub fn lowest_free(cidr: &str, taken: &BTreeSet<Ipv4Addr>) -> Option<Ipv4Addr> {
    let (first, last) = usable_range(cidr)?;
    (first..=last)
        .map(Ipv4Addr::from)
        .find(|ip| !taken.contains(ip))
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
}

/// Allocations for the desired static-IP members: the live ones kept, new ones decided (or left
/// undecided when the live state has no data on their subnet).
///
/// # Errors
/// When a subnet is malformed or full.
pub fn allocate(
    desired: &Desired,
    live: &LiveState,
) -> Result<BTreeMap<String, Allocation>, AllocationError> {
    let mut taken: BTreeSet<Ipv4Addr> = live
        .subnets
        .iter()
        .flat_map(|s| s.used_ips.iter().copied())
        .collect();
    taken.extend(live.static_ips.values().map(|s| s.ip));
    let mut result = BTreeMap::new();
    for service in &desired.services {
        for request in &service.aws.static_ips {
            if let Some(existing) = live.static_ips.get(&request.member) {
                let kept = Allocation {
                    ip: Some(existing.ip),
                    service: existing.service.clone(),
                    subnet_id: existing.subnet_id.clone(),
                    new: false,
                };
                result.insert(request.member.clone(), kept);
                continue;
            }
            let Some(subnet) = live.subnets.iter().find(|s| s.id == request.subnet_id) else {
                let pending = Allocation {
                    ip: None,
                    service: service.name.clone(),
                    subnet_id: request.subnet_id.clone(),
                    new: true,
                };
                result.insert(request.member.clone(), pending);
                continue;
            };
            if usable_range(&subnet.cidr).is_none() {
                return Err(AllocationError::BadCidr {
                    subnet: subnet.id.clone(),
                    cidr: subnet.cidr.clone(),
                });
            }
            let ip = lowest_free(&subnet.cidr, &taken)
                .ok_or_else(|| AllocationError::Full(subnet.id.clone()))?;
            taken.insert(ip);
            result.insert(
                request.member.clone(),
                Allocation {
                    ip: Some(ip),
                    service: service.name.clone(),
                    subnet_id: subnet.id.clone(),
                    new: true,
                },
            );
        }
    }
    Ok(result)
}

/// Adds allocate, assign, move and release steps.
pub(crate) fn plan_static_ips(
    desired: &Desired,
    index: &LiveIndex<'_>,
    allocations: &BTreeMap<String, Allocation>,
    policies: &BTreeMap<String, String>,
    out: &mut Drafts,
) {
    let mut undecided = BTreeSet::new();
    for (member, allocation) in allocations {
        let service = Some(allocation.service.as_str());
        if allocation.new {
            let (ip, reason) = match allocation.ip {
                Some(ip) => (
                    json!(ip.to_string()),
                    format!(
                        "new member: lowest free address of {}",
                        allocation.subnet_id
                    ),
                ),
                None => {
                    undecided.insert(allocation.subnet_id.clone());
                    (
                        serde_json::Value::Null,
                        format!(
                            "new member: an address of {} (decided against live data)",
                            allocation.subnet_id
                        ),
                    )
                }
            };
            out.push(
                StepSpec {
                    provider: Provider::Ec2,
                    action: Action::AllocateIp,
                    id: format!("ec2:allocate/{member}"),
                    resource: format!("static IP of {member}"),
                    service,
                    rank: Rank::Config,
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
        let Some(node) = index.node_of(member) else {
            continue;
        };
        if node.eni.secondary_ips.contains(&address) {
            continue;
        }
        let holder = index.holder(address);
        let (action, reason, before) = match holder {
            Some(old) => (
                Action::MoveIp,
                format!(
                    "{member} now runs on {}; {ip} is still on {}",
                    node.name, old.name
                ),
                Some(json!({"eni": old.eni.id, "node": old.name})),
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
            Some(json!({"eni": node.eni.id, "node": node.name, "ip": ip})),
            Vec::new(),
            false,
        );
    }
    if !undecided.is_empty() {
        let subnets: Vec<String> = undecided.into_iter().collect();
        out.warnings.push(format!("the live state has no data on subnet(s) {}: their static IPs are decided when planning against live data", subnets.join(", ")));
    }
    for (member, recorded) in &index.live.static_ips {
        if allocations.contains_key(member) || !desired.may_release(&recorded.service, policies) {
            continue;
        }
        out.push(
            StepSpec { provider: Provider::Ec2, action: Action::ReleaseIp, id: format!("ec2:release/{member}"), resource: format!("static IP {} of {member}", recorded.ip), service: Some(&recorded.service), rank: Rank::Jobs, reason: "its service was deleted with deletionPolicy Delete".to_owned() },
            Some(json!({"member": member, "ip": recorded.ip.to_string(), "subnetId": recorded.subnet_id})),
            None,
            Vec::new(),
            false,
        );
    }
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

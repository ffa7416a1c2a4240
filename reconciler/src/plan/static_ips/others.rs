//! Addresses an interface other than firecamp's holds: any used address or delegated prefix of
//! the Cluster's subnets that is no secondary address of firecamp's interfaces (this owner's, on
//! a node or stray). A member's recorded address held that way cannot be assigned to it: EC2
//! refuses an assign without reassignment, and firecamp never takes an address from someone else.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use super::ranges::cidr_block;
use crate::live::LiveState;

/// The addresses others hold, indexed once per plan.
pub(crate) struct OthersHold {
    addresses: HashSet<Ipv4Addr>,
    prefixes: Vec<(u32, u32)>,
}

impl OthersHold {
    /// Indexes `live`.
    pub(crate) fn new(live: &LiveState) -> Self {
        let ours: HashSet<Ipv4Addr> = live
            .nodes
            .iter()
            .filter_map(|n| n.eni.as_ref())
            .chain(live.stray_interfaces.iter().map(|s| &s.eni))
            .flat_map(|e| e.secondary_ips.iter().copied())
            .collect();
        Self {
            addresses: live
                .subnets
                .iter()
                .flat_map(|s| s.used_ips.iter().copied())
                .filter(|ip| !ours.contains(ip))
                .collect(),
            prefixes: live
                .subnets
                .iter()
                .flat_map(|s| s.prefixes.iter().filter_map(|p| cidr_block(p)))
                .collect(),
        }
    }

    /// True when an interface other than firecamp's holds `ip`.
    pub(crate) fn hold(&self, ip: Ipv4Addr) -> bool {
        let n = u32::from(ip);
        self.addresses.contains(&ip)
            || self
                .prefixes
                .iter()
                .any(|(first, last)| (*first..=*last).contains(&n))
    }
}

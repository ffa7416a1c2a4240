//! Addresses an interface other than firecamp's holds: any used address or delegated prefix of
//! the Cluster's subnets that is no secondary address of firecamp's interfaces (this owner's, on
//! a node or stray). A member's recorded address held that way cannot be assigned to it: EC2
//! refuses an assign without reassignment, and firecamp never takes an address from someone else.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use super::ranges::{in_blocks, prefix_blocks};
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
            .interfaces()
            .flat_map(|e| e.secondary_ips.iter().copied())
            .collect();
        Self {
            addresses: live
                .subnets
                .iter()
                .flat_map(|s| s.used_ips.iter().copied())
                .filter(|ip| !ours.contains(ip))
                .collect(),
            prefixes: prefix_blocks(&live.subnets),
        }
    }

    /// True when an interface other than firecamp's holds `ip`.
    pub(crate) fn hold(&self, ip: Ipv4Addr) -> bool {
        self.addresses.contains(&ip) || in_blocks(&self.prefixes, u32::from(ip))
    }
}

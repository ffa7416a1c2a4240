//! Lookups into a live state by name, built once per plan so large clusters plan in linear time.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use super::{LiveState, MemberPlacement, Node};

/// A live state with its placements, nodes and ENI addresses indexed.
#[derive(Debug)]
pub struct LiveIndex<'a> {
    /// The live state.
    pub live: &'a LiveState,
    placements: HashMap<&'a str, &'a MemberPlacement>,
    nodes: HashMap<&'a str, &'a Node>,
    holders: HashMap<Ipv4Addr, &'a Node>,
}

impl<'a> LiveIndex<'a> {
    /// Indexes `live`.
    #[must_use]
    pub fn new(live: &'a LiveState) -> Self {
        Self {
            live,
            placements: live
                .members
                .iter()
                .map(|m| (m.member.as_str(), m))
                .collect(),
            nodes: live.nodes.iter().map(|n| (n.name.as_str(), n)).collect(),
            holders: live
                .nodes
                .iter()
                .flat_map(|n| n.eni.secondary_ips.iter().map(move |ip| (*ip, n)))
                .collect(),
        }
    }

    /// Where `member` runs, when known.
    #[must_use]
    pub fn placement(&self, member: &str) -> Option<&'a MemberPlacement> {
        self.placements.get(member).copied()
    }

    /// The node `member` runs on, when known.
    #[must_use]
    pub fn node_of(&self, member: &str) -> Option<&'a Node> {
        self.placement(member)
            .and_then(|p| p.node.as_deref())
            .and_then(|n| self.nodes.get(n).copied())
    }

    /// The node whose ENI holds `ip`.
    #[must_use]
    pub fn holder(&self, ip: Ipv4Addr) -> Option<&'a Node> {
        self.holders.get(&ip).copied()
    }
}

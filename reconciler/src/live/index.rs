//! Lookups into a live state by name, built once per plan so large clusters plan in linear time.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use super::{Eni, LiveState, MemberPlacement, Node};

/// One of firecamp's interfaces holding an address: a node's, or a stray one.
#[derive(Debug, Clone, Copy)]
pub struct Holder<'a> {
    /// The interface.
    pub eni: &'a Eni,
    /// The node it is on; none for a stray interface.
    pub node: Option<&'a Node>,
}

impl Holder<'_> {
    /// The node's name, or what the interface is, for plan reasons.
    #[must_use]
    pub fn name(&self) -> String {
        self.node.map_or_else(
            || format!("stray interface {}", self.eni.id),
            |n| n.name.clone(),
        )
    }
}

/// A live state with its placements, nodes and ENI addresses indexed.
#[derive(Debug)]
pub struct LiveIndex<'a> {
    /// The live state.
    pub live: &'a LiveState,
    placements: HashMap<&'a str, &'a MemberPlacement>,
    nodes: HashMap<&'a str, &'a Node>,
    holders: HashMap<Ipv4Addr, Holder<'a>>,
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
                .filter_map(|n| n.eni.as_ref().map(|eni| (eni, Some(n))))
                .chain(live.stray_interfaces.iter().map(|s| (&s.eni, None)))
                .flat_map(|(eni, node)| {
                    eni.secondary_ips
                        .iter()
                        .map(move |ip| (*ip, Holder { eni, node }))
                })
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

    /// The firecamp interface that holds `ip`.
    #[must_use]
    pub fn holder(&self, ip: Ipv4Addr) -> Option<Holder<'a>> {
        self.holders.get(&ip).copied()
    }
}

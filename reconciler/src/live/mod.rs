//! The live state firecamp compares the desired state with: the Kubernetes objects it owns, where
//! members run, the Route53 records of the cluster's zone, the subnets' used addresses, the ENIs of
//! the nodes, and the static-IP allocation. Providers fill it in bulk; it can be saved to and read
//! from a JSON snapshot, so plans can be computed where no cluster credentials exist.

mod index;
mod object;
mod packed;
mod simulate;
mod snapshot;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

pub use index::{Holder, LiveIndex};
pub use object::{LiveObject, key_hash};
pub use packed::Dictionaries;
pub use simulate::{as_served, simulate_apply};
pub use snapshot::{SNAPSHOT_FORMAT_VERSION, SnapshotError, read_snapshot, write_snapshot};

/// Everything firecamp reads before planning.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LiveState {
    /// Kubernetes objects labelled `app.kubernetes.io/managed-by: firecamp`, as the API returned them.
    #[serde(default)]
    pub objects: Vec<LiveObject>,
    /// Where each member's pod runs.
    #[serde(default)]
    pub members: Vec<MemberPlacement>,
    /// The nodes of the cluster.
    #[serde(default)]
    pub nodes: Vec<Node>,
    /// Record sets of the cluster's private hosted zone.
    #[serde(default)]
    pub dns_records: Vec<DnsRecord>,
    /// The subnets of the Cluster's zones with every address in use.
    #[serde(default)]
    pub subnets: Vec<Subnet>,
    /// The static-IP allocation: member → address (the `<service>-static-ips` ConfigMaps).
    #[serde(default)]
    pub static_ips: BTreeMap<String, StaticIp>,
    /// The owner id of this Kubernetes cluster (the UID of its `kube-system` namespace), written
    /// into what firecamp makes in AWS so that another cluster's firecamp, even one with a Cluster
    /// document of the same name, never takes it; unknown in a snapshot made without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// firecamp's static-IP interfaces (this owner's tag) attached to no node of the cluster:
    /// left by a node that is gone, or detached. They are deleted in `firecamp` mode.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stray_interfaces: Vec<StrayInterface>,
    /// Addresses EC2 refused to assign lately because something firecamp cannot see has them
    /// (another account's interface in a shared VPC): taken, for the allocator. Kept by the loop
    /// between its reads, not read from AWS.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub refused_ips: BTreeSet<Ipv4Addr>,
}

impl LiveState {
    /// firecamp's static-IP interfaces: the nodes', then the stray ones.
    pub fn interfaces(&self) -> impl Iterator<Item = &Eni> {
        self.nodes
            .iter()
            .filter_map(|n| n.eni.as_ref())
            .chain(self.stray_interfaces.iter().map(|s| &s.eni))
    }
}

/// One of firecamp's static-IP interfaces that no node of the cluster has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StrayInterface {
    /// The interface, with the addresses still on it.
    pub eni: Eni,
    /// The instance it is still attached to, when attached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
}

/// A member's pod and where it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberPlacement {
    /// Pod (member) name.
    pub member: String,
    /// Node name, when scheduled.
    pub node: Option<String>,
    /// True when the pod is ready.
    #[serde(default)]
    pub ready: bool,
    /// The config hash of the pod's template when the pod was created.
    pub config_hash: Option<String>,
}

/// A node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Node {
    /// Node name.
    pub name: String,
    /// Zone (`topology.kubernetes.io/zone`).
    pub zone: String,
    /// Primary private IP.
    pub host_ip: Ipv4Addr,
    /// EC2 instance id (from the providerID).
    pub instance_id: String,
    /// firecamp's static-IP interface on the node (this owner's tag, device index 1 or more),
    /// with its secondary addresses; none until it is made (or, in `launchTemplate` mode,
    /// attached by the launch template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eni: Option<Eni>,
}

/// An elastic network interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Eni {
    /// ENI id.
    pub id: String,
    /// Secondary private IPs on it.
    #[serde(default)]
    pub secondary_ips: Vec<Ipv4Addr>,
}

/// A record set of the private hosted zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DnsRecord {
    /// Name, without the final dot.
    pub name: String,
    /// Type: `A` or `TXT`.
    #[serde(rename = "type")]
    pub record_type: String,
    /// TTL in seconds.
    pub ttl: u32,
    /// Values.
    pub values: Vec<String>,
}

/// A subnet and the addresses in use in it (by any ENI, whoever owns it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Subnet {
    /// Subnet id.
    pub id: String,
    /// CIDR block, e.g. `10.0.16.0/20`.
    pub cidr: String,
    /// Addresses in use.
    #[serde(default)]
    pub used_ips: Vec<Ipv4Addr>,
    /// IPv4 prefixes delegated to ENIs in the subnet (the CNI's prefix mode), e.g. `10.0.16.32/28`:
    /// every address in them is taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<String>,
    /// CIDRs of the subnet's explicit CIDR reservations (read only for zones with `reservedCidr`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reservations: Vec<String>,
    /// ENIs in the subnet that are no firecamp static-IP interface (no `firecamp.io/owner` tag):
    /// in a zone without `reservedCidr` any one of them means the subnet is not dedicated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unowned_interfaces: Vec<String>,
}

/// A recorded static IP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaticIp {
    /// The address.
    pub ip: Ipv4Addr,
    /// The service the member belongs to.
    pub service: String,
    /// The subnet it comes from.
    pub subnet_id: String,
}

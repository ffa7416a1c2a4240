//! What every service kind provides to validation, the catalog and the planner.

use std::collections::BTreeMap;

use super::cluster::ClusterSpec;
use super::common::{StorageSpec, WorkloadSpec};
use super::kind::ServiceKind;
use super::resources::Resources;
use crate::problem::Problems;

/// A reference from one service to another, e.g. Kafka's `spec.zookeeper`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The referring field, e.g. `spec.zookeeper`.
    pub field: String,
    /// The referenced service's name.
    pub target: String,
    /// Kinds the target may have; empty means any kind.
    pub kinds: &'static [ServiceKind],
}

impl Reference {
    /// A reference from `field` to `target`, which must be one of `kinds` (empty: any kind).
    #[must_use]
    pub fn new(field: &str, target: &str, kinds: &'static [ServiceKind]) -> Self {
        Self {
            field: field.to_owned(),
            target: target.to_owned(),
            kinds,
        }
    }
}

/// A group of members with one role, named `<service>-<role>-<n>` for n in `0..members`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGroup {
    /// Role name, e.g. `primary`, `standby`, `shard2`, `master`, `data`.
    pub role: String,
    /// Number of members with this role.
    pub members: u32,
    /// Zone of member 0: member `i` runs in `zones[(zone_offset + i) mod n]`.
    pub zone_offset: u32,
}

impl RoleGroup {
    /// A role group.
    #[must_use]
    pub fn new(role: impl Into<String>, members: u32) -> Self {
        Self {
            role: role.into(),
            members,
            zone_offset: 0,
        }
    }

    /// This group with member 0 in zone `offset` (mod the number of zones).
    #[must_use]
    pub fn zone_offset(mut self, offset: u32) -> Self {
        self.zone_offset = offset;
        self
    }
}

/// What rules may look at besides the service's own spec.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The Cluster, when exactly one valid Cluster exists.
    pub cluster: Option<&'a ClusterSpec>,
    /// The Cluster's DNS domain, when exactly one Cluster exists.
    pub domain: Option<&'a str>,
    /// The service's effective number of members (per shard for MongoDB and Redis).
    pub replicas: u32,
    /// The service's effective resources (own, else Cluster defaults).
    pub resources: &'a Resources,
    /// Every valid service by name, for rules that look at a referenced service.
    pub services: &'a BTreeMap<String, super::ServiceDocument>,
}

/// Access to the fields every spec flattens in.
pub trait CommonFields {
    /// Fields every service has.
    fn workload(&self) -> &WorkloadSpec;

    /// Volume and static-IP fields; `None` for stateless kinds.
    fn storage(&self) -> Option<&StorageSpec> {
        None
    }
}

/// Implements [`CommonFields`] for a spec with a `workload` field (and, with `stateful`, a
/// `storage` field).
macro_rules! common_fields {
    ($spec:ty) => {
        impl $crate::spec::service::CommonFields for $spec {
            fn workload(&self) -> &$crate::spec::common::WorkloadSpec {
                &self.workload
            }
        }
    };
    ($spec:ty, stateful) => {
        impl $crate::spec::service::CommonFields for $spec {
            fn workload(&self) -> &$crate::spec::common::WorkloadSpec {
                &self.workload
            }

            fn storage(&self) -> Option<&$crate::spec::common::StorageSpec> {
                Some(&self.storage)
            }
        }
    };
}
pub(crate) use common_fields;

/// Behaviour of one catalog kind's spec.
pub trait ServiceSpec: CommonFields {
    /// The kind.
    const KIND: ServiceKind;

    /// Members when `replicas` is not set.
    fn default_replicas(&self) -> u32 {
        3
    }

    /// The only allowed number of members, for kinds that run exactly one.
    fn fixed_replicas(&self) -> Option<u32> {
        None
    }

    /// True for kinds that need a journal volume (commit log, WAL).
    fn requires_journal(&self) -> bool {
        false
    }

    /// Whether members get static IPs when `staticIp` is not set.
    fn static_ip_default(&self) -> bool {
        false
    }

    /// References to other services.
    fn references(&self) -> Vec<Reference> {
        Vec::new()
    }

    /// Members by role, for `replicas` members (per shard where the kind shards).
    fn roles(&self, replicas: u32) -> Vec<RoleGroup>;

    /// Kind-specific rules.
    fn check(&self, _ctx: &Context<'_>, _out: &mut Problems) {}
}

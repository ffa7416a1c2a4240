//! Fields shared by every service kind.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::resources::Resources;
use super::volume::VolumeSpec;
use crate::spec::patterns;

/// The only `apiVersion` this release reads.
pub const API_VERSION: &str = "firecamp.io/v1alpha1";

/// `metadata` of every document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Metadata {
    /// Name: a DNS-1123 label (lower-case letters, digits and `-`), unique among services.
    #[schemars(pattern(patterns::DNS_LABEL), length(max = 63))]
    pub name: String,
    /// Extra labels put on every object made for this document.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// What happens to a service's data and addresses when its spec is removed from git.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum DeletionPolicy {
    /// Keep volumes (PVCs), static IPs and DNS records (the default).
    #[default]
    Retain,
    /// Delete volumes, release static IPs and delete DNS records.
    Delete,
}

/// Fields every service has: how many members, where, how big, which image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSpec {
    /// Number of members (for MongoDB and Redis: members per shard). Default depends on the kind.
    pub replicas: Option<u32>,
    /// Zones to spread members over (default: all zones of the Cluster, in its order).
    pub zones: Option<Vec<String>>,
    /// CPU and memory of each member (default: the Cluster's `spec.defaults.resources`).
    pub resources: Option<Resources>,
    /// Container image override, e.g. `cassandra:4.1.7` (default: the catalog's pinned image).
    pub image: Option<String>,
    /// Stop reconciling this service: firecamp neither changes nor deletes its objects.
    #[serde(default)]
    pub suspend: bool,
    /// What to do with data, IPs and DNS when the spec is removed (default: the Cluster's, else Retain).
    pub deletion_policy: Option<DeletionPolicy>,
    /// Other services to reconcile before this one, beyond those it references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

/// Fields of services that keep data on volumes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageSpec {
    /// The data volume of each member, mounted at `/data`.
    pub volume: Option<VolumeSpec>,
    /// The journal volume (commit log, WAL) of each member, mounted at `/journal`.
    pub journal_volume: Option<VolumeSpec>,
    /// Give each member a static EC2 secondary private IP that follows it between nodes.
    pub static_ip: Option<bool>,
}

//! The `Cluster` document: where services run and what they share.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::DeletionPolicy;
use super::resources::Resources;
use super::volume::VolumeSpec;
use crate::spec::patterns;

/// `spec` of the one `Cluster` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ClusterSpec {
    /// AWS region, e.g. `us-east-1`.
    #[schemars(pattern(patterns::REGION))]
    pub region: String,
    /// The VPC the Kubernetes nodes run in, e.g. `vpc-0a1b2c3d4e5f60718`.
    #[schemars(pattern(patterns::VPC_ID))]
    pub vpc_id: String,
    /// The availability zones members are spread over, each with the subnet static IPs come from.
    pub zones: Vec<ZoneSpec>,
    /// Private DNS for members.
    #[serde(default)]
    pub dns: DnsSpec,
    /// Kubernetes namespace of every service (default `firecamp`).
    #[serde(default = "default_namespace")]
    #[schemars(pattern(patterns::DNS_LABEL), length(max = 63))]
    pub namespace: String,
    /// Shipping member logs to CloudWatch Logs.
    #[serde(default)]
    pub logs: LogSpec,
    /// Values services take when they leave a field out.
    #[serde(default)]
    pub defaults: ServiceDefaults,
}

/// One availability zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ZoneSpec {
    /// Zone name, e.g. `us-east-1a`.
    pub name: String,
    /// Subnet of this zone static IPs are allocated from, e.g. `subnet-0a1b2c3d4e5f60718`.
    #[schemars(pattern(patterns::SUBNET_ID))]
    pub subnet_id: String,
}

/// The private Route53 zone members are published in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct DnsSpec {
    /// Domain of the private hosted zone (default `<cluster name>-firecamp.com`).
    #[schemars(pattern(patterns::DOMAIN), length(max = 253))]
    pub domain: Option<String>,
    /// TTL of member records in seconds (default 5, so moves are seen quickly).
    #[serde(default = "default_ttl")]
    pub ttl: u32,
}

/// CloudWatch Logs settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct LogSpec {
    /// Ship logs to CloudWatch Logs (default true).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Region of the log groups (default: the Cluster's region).
    #[schemars(pattern(patterns::REGION))]
    pub region: Option<String>,
    /// Days CloudWatch keeps the logs; one of the values CloudWatch accepts (default 120).
    #[serde(default = "default_retention")]
    pub retention_days: u32,
}

impl Default for LogSpec {
    fn default() -> Self {
        Self {
            enabled: true,
            region: None,
            retention_days: default_retention(),
        }
    }
}

/// Defaults for services.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ServiceDefaults {
    /// Default CPU and memory per member.
    pub resources: Option<Resources>,
    /// Default data volume.
    pub volume: Option<VolumeSpec>,
    /// Default journal volume.
    pub journal_volume: Option<VolumeSpec>,
    /// Default deletion policy.
    pub deletion_policy: Option<DeletionPolicy>,
}

/// Retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

impl ClusterSpec {
    /// The DNS domain of the cluster: `spec.dns.domain` without a final `.` (Route53 and the
    /// live model name records without it, so a domain written fully qualified must not render
    /// as a different name), else `<name>-firecamp.com`.
    #[must_use]
    pub fn domain(&self, cluster_name: &str) -> String {
        self.dns.domain.as_deref().map_or_else(
            || format!("{cluster_name}-firecamp.com"),
            |domain| domain.strip_suffix('.').unwrap_or(domain).to_owned(),
        )
    }

    /// Names of the zones, in order.
    #[must_use]
    pub fn zone_names(&self) -> Vec<&str> {
        self.zones.iter().map(|z| z.name.as_str()).collect()
    }
}

fn default_namespace() -> String {
    "firecamp".to_owned()
}

const fn default_ttl() -> u32 {
    5
}

const fn default_true() -> bool {
    true
}

const fn default_retention() -> u32 {
    120
}

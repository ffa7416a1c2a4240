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
    /// The network interfaces members' static IPs live on.
    #[serde(default)]
    pub static_ips: StaticIpSpec,
}

/// One availability zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ZoneSpec {
    /// Zone name, e.g. `us-east-1a`.
    pub name: String,
    /// Subnet of this zone static IPs are allocated from, e.g. `subnet-0a1b2c3d4e5f60718`: a
    /// subnet only firecamp uses, unless `reservedCidr` is given.
    #[schemars(pattern(patterns::SUBNET_ID))]
    pub subnet_id: String,
    /// An explicit subnet CIDR reservation in `subnetId` (e.g. `10.0.32.0/27`) static IPs are
    /// taken from, for a subnet the nodes share; EC2 never hands its addresses out by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(patterns::IPV4_CIDR))]
    pub reserved_cidr: Option<String>,
}

/// Most security groups AWS lets one network interface have.
pub const MAX_SECURITY_GROUPS: usize = 16;

/// The per-node network interfaces that carry members' static IPs (see `docs/static-ips.md`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct StaticIpSpec {
    /// Security groups of those interfaces, e.g. `sg-0a1b2c3d4e5f60719` (default: the VPC's
    /// default group).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(inner(pattern(patterns::SECURITY_GROUP_ID)), length(max = 16))]
    pub security_group_ids: Vec<String>,
    /// Who attaches the interfaces to the nodes (default `firecamp`).
    #[serde(default)]
    pub interfaces: InterfaceSource,
}

/// Who attaches the static-IP interface of each node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum InterfaceSource {
    /// firecamp creates, attaches and deletes one interface per node.
    #[default]
    Firecamp,
    /// The node group's launch template attaches it; firecamp only adopts interfaces carrying
    /// its owner tag and never creates or deletes one.
    LaunchTemplate,
}

/// The private Route53 zone members are published in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct DnsSpec {
    /// Domain of the private hosted zone (default `<cluster name>.firecamp.internal`).
    #[schemars(pattern(patterns::DOMAIN), length(max = 253))]
    pub domain: Option<String>,
    /// TTL of member records in seconds (default 5, so moves are seen quickly).
    #[serde(default = "default_ttl")]
    pub ttl: u32,
}

impl Default for DnsSpec {
    fn default() -> Self {
        Self {
            domain: None,
            ttl: default_ttl(),
        }
    }
}

/// What the default domain appends to the cluster name: `.internal` is reserved for private use
/// (ICANN Board resolution of 29 July 2024), so nobody can register the name on the internet.
pub const DEFAULT_DOMAIN_SUFFIX: &str = "firecamp.internal";

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
    /// as a different name), else `<name>.firecamp.internal`.
    #[must_use]
    pub fn domain(&self, cluster_name: &str) -> String {
        self.dns.domain.as_deref().map_or_else(
            || format!("{cluster_name}.{DEFAULT_DOMAIN_SUFFIX}"),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(dns: Option<serde_json::Value>) -> ClusterSpec {
        let mut value =
            serde_json::json!({"region": "us-east-1", "vpcId": "vpc-0a1b2c3d", "zones": []});
        if let Some(dns) = dns {
            value["dns"] = dns;
        }
        serde_json::from_value(value).expect("a Cluster spec")
    }

    #[test]
    fn the_ttl_is_five_seconds_whether_or_not_dns_is_written() {
        assert_eq!(spec(None).dns.ttl, 5, "no dns block");
        assert_eq!(spec(Some(serde_json::json!({}))).dns.ttl, 5, "an empty one");
        assert_eq!(spec(Some(serde_json::json!({"ttl": 60}))).dns.ttl, 60);
    }

    #[test]
    fn the_default_domain_is_under_the_reserved_internal_name() {
        assert_eq!(spec(None).domain("prod"), "prod.firecamp.internal");
        let written = spec(Some(serde_json::json!({"domain": "db.example.internal."})));
        assert_eq!(written.domain("prod"), "db.example.internal");
    }

    #[test]
    fn static_ip_interfaces_default_to_firecamp_with_no_groups() {
        let spec = spec(None);
        assert_eq!(spec.static_ips.interfaces, InterfaceSource::Firecamp);
        assert!(spec.static_ips.security_group_ids.is_empty());
        assert!(spec.zones.iter().all(|z| z.reserved_cidr.is_none()));
    }
}

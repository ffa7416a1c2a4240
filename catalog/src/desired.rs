//! The desired state of a service, as plain data: Kubernetes objects, members, and what AWS must
//! hold for them. The planner diffs this against live state; nothing here talks to an API.

use k8s_openapi::api::apps::v1::{DaemonSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use k8s_openapi::api::storage::v1::StorageClass;
use serde::Serialize;

use firecamp_schema::spec::ServiceKind;
use firecamp_schema::topology::Member;

/// Everything that must exist for one service.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DesiredService {
    /// The service's name.
    pub name: String,
    /// Its kind.
    pub kind: ServiceKind,
    /// The namespace of its objects.
    pub namespace: String,
    /// Its members, in index order.
    pub members: Vec<DesiredMember>,
    /// Its Kubernetes objects, in the order they can be created.
    pub objects: Vec<KubeObject>,
    /// What AWS must hold for it.
    pub aws: AwsNeeds,
    /// Services that must be ready before this one (references and `dependsOn`).
    pub depends_on: Vec<String>,
}

/// A member with its address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DesiredMember {
    /// Name, index, role, zone and StatefulSet.
    #[serde(flatten)]
    pub member: Member,
    /// `<member>.<domain>`.
    pub dns_name: String,
    /// True when the member has a static EC2 secondary IP.
    pub static_ip: bool,
}

/// AWS state a service needs, as requests for the AWS providers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsNeeds {
    /// One static IP per static-IP member.
    pub static_ips: Vec<StaticIpRequest>,
    /// One A record per member.
    pub dns_records: Vec<DnsRecord>,
    /// The CloudWatch log group of the service, when logs are shipped.
    pub log_group: Option<LogGroup>,
}

/// A static IP a member needs in its zone's subnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaticIpRequest {
    /// The member.
    pub member: String,
    /// Its zone.
    pub zone: String,
    /// The subnet the address comes from.
    pub subnet_id: String,
    /// The explicit CIDR reservation of that subnet the address comes from, if the zone has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserved_cidr: Option<String>,
}

/// An A record for a member in the cluster's private zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsRecord {
    /// Fully qualified name, without the final dot.
    pub name: String,
    /// The member it points at.
    pub member: String,
    /// What the record's value is.
    pub target: RecordTarget,
    /// TTL in seconds.
    pub ttl: u32,
}

/// The value of a member's A record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RecordTarget {
    /// The member's static IP.
    StaticIp,
    /// The private IP of the node the member runs on.
    NodeIp,
}

/// A CloudWatch Logs group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogGroup {
    /// `<cluster>-<namespace>-<service>`.
    pub name: String,
    /// Its region.
    pub region: String,
    /// Days logs are kept.
    pub retention_days: u32,
}

/// A Kubernetes object firecamp manages.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum KubeObject {
    /// A Namespace.
    Namespace(Namespace),
    /// A ServiceAccount.
    ServiceAccount(ServiceAccount),
    /// A ClusterRole.
    ClusterRole(ClusterRole),
    /// A ClusterRoleBinding.
    ClusterRoleBinding(ClusterRoleBinding),
    /// A StorageClass.
    StorageClass(StorageClass),
    /// A ConfigMap.
    ConfigMap(ConfigMap),
    /// A Service.
    Service(Box<Service>),
    /// A StatefulSet.
    StatefulSet(Box<StatefulSet>),
    /// A DaemonSet.
    DaemonSet(Box<DaemonSet>),
    /// A PodDisruptionBudget.
    PodDisruptionBudget(Box<PodDisruptionBudget>),
    /// A Job.
    Job(Box<Job>),
}

impl KubeObject {
    /// The object's kind, e.g. `StatefulSet`.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Namespace(_) => "Namespace",
            Self::ServiceAccount(_) => "ServiceAccount",
            Self::ClusterRole(_) => "ClusterRole",
            Self::ClusterRoleBinding(_) => "ClusterRoleBinding",
            Self::StorageClass(_) => "StorageClass",
            Self::ConfigMap(_) => "ConfigMap",
            Self::Service(_) => "Service",
            Self::StatefulSet(_) => "StatefulSet",
            Self::DaemonSet(_) => "DaemonSet",
            Self::PodDisruptionBudget(_) => "PodDisruptionBudget",
            Self::Job(_) => "Job",
        }
    }

    /// The object's metadata.
    #[must_use]
    pub fn metadata(&self) -> &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
        match self {
            Self::Namespace(o) => &o.metadata,
            Self::ServiceAccount(o) => &o.metadata,
            Self::ClusterRole(o) => &o.metadata,
            Self::ClusterRoleBinding(o) => &o.metadata,
            Self::StorageClass(o) => &o.metadata,
            Self::ConfigMap(o) => &o.metadata,
            Self::Service(o) => &o.metadata,
            Self::StatefulSet(o) => &o.metadata,
            Self::DaemonSet(o) => &o.metadata,
            Self::PodDisruptionBudget(o) => &o.metadata,
            Self::Job(o) => &o.metadata,
        }
    }

    /// The object's name.
    #[must_use]
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or_default()
    }
}

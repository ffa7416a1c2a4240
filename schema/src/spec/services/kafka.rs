//! Kafka brokers, coordinated by a ZooKeeper service.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::problem::Problems;
use crate::spec::common::{StorageSpec, WorkloadSpec};
use crate::spec::kind::ServiceKind;
use crate::spec::quantity::Quantity;
use crate::spec::rules::{check_memory_size, gib};
use crate::spec::secret::JmxSpec;
use crate::spec::service::{Context, Reference, RoleGroup, ServiceSpec, common_fields};
use crate::spec::text_rules::check_name;

/// `spec` of a `Kafka` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct KafkaSpec {
    /// Common fields.
    #[serde(flatten)]
    pub workload: WorkloadSpec,
    /// Volume fields.
    #[serde(flatten)]
    pub storage: StorageSpec,
    /// Name of the ZooKeeper service the brokers use.
    pub zookeeper: String,
    /// JVM heap (default 6Gi).
    #[serde(default = "default_heap")]
    pub heap_size: Quantity,
    /// Allow deleting topics (default false).
    #[serde(default)]
    pub allow_topic_delete: bool,
    /// Hours messages are kept (default 168), at most 2147483647 (Kafka reads it as a Java int).
    #[serde(default = "default_retention")]
    #[schemars(range(min = 1, max = 2_147_483_647))]
    pub retention_hours: u32,
    /// Default replication factor of topics (default: min(3, replicas)).
    pub replication_factor: Option<u32>,
    /// Minimum in-sync replicas (default: min(2, replicas)).
    pub min_insync_replicas: Option<u32>,
    /// Default partitions of new topics (default: min(8, replicas)), at most 2147483647.
    #[schemars(range(min = 1, max = 2_147_483_647))]
    pub num_partitions: Option<u32>,
    /// JMX credentials (JMX is off without them).
    pub jmx: Option<JmxSpec>,
}

impl KafkaSpec {
    /// The effective default replication factor for `replicas` brokers.
    #[must_use]
    pub fn replication_factor_for(&self, replicas: u32) -> u32 {
        self.replication_factor.unwrap_or_else(|| replicas.min(3))
    }
}

common_fields!(KafkaSpec, stateful);

impl ServiceSpec for KafkaSpec {
    const KIND: ServiceKind = ServiceKind::Kafka;

    fn references(&self) -> Vec<Reference> {
        vec![Reference::new(
            "spec.zookeeper",
            &self.zookeeper,
            &[ServiceKind::ZooKeeper],
        )]
    }

    fn roles(&self, replicas: u32) -> Vec<RoleGroup> {
        vec![RoleGroup::new("broker", replicas)]
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Problems) {
        if let Some(jmx) = &self.jmx {
            check_name(out, "spec.jmx.user", &jmx.user);
        }
        check_memory_size(ctx, out, "spec.heapSize", &self.heap_size, gib(31));
        check_java_int(
            out,
            "spec.retentionHours",
            self.retention_hours,
            "168 (a week)",
        );

        let factor = self.replication_factor_for(ctx.replicas);
        if self.replication_factor.is_some() && (factor == 0 || factor > ctx.replicas) {
            out.add(
                "spec.replicationFactor",
                format!(
                    "must be between 1 and the number of brokers ({})",
                    ctx.replicas
                ),
                "lower it or add brokers",
            );
        }
        if let Some(min) = self.min_insync_replicas
            && (min == 0 || min > factor)
        {
            out.add(
                "spec.minInsyncReplicas",
                format!("must be between 1 and the replication factor ({factor})"),
                "with more in-sync replicas than copies, every write fails",
            );
        }
        if let Some(partitions) = self.num_partitions {
            check_java_int(
                out,
                "spec.numPartitions",
                partitions,
                "the number of brokers",
            );
        }
    }
}

/// Largest value of a Kafka `INT` setting: `log.retention.hours` and `num.partitions` are both
/// `ConfigDef.Type.INT` (Kafka's `ServerLogConfigs`), so a broker refuses a larger one at start.
const MAX_JAVA_INT: u32 = 2_147_483_647;

/// Checks a positive setting Kafka reads as a Java `int`.
fn check_java_int(out: &mut Problems, path: &str, value: u32, usual: &str) {
    if value == 0 {
        out.add(path, "must be at least 1", format!("e.g. {usual}"));
    } else if value > MAX_JAVA_INT {
        out.add(
            path,
            format!("{value} is more than {MAX_JAVA_INT}, the largest value Kafka reads"),
            format!("e.g. {usual}"),
        );
    }
}

fn default_heap() -> Quantity {
    Quantity::new("6Gi")
}

const fn default_retention() -> u32 {
    168
}

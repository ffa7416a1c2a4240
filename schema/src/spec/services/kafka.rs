//! Kafka brokers in KRaft mode (their metadata kept by a quorum of KRaft controllers, combined
//! with the first brokers or as a role of their own), or, marked legacy, in ZooKeeper mode on
//! Kafka 3.9, the last release with ZooKeeper.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::problem::Problems;
use crate::spec::common::{StorageSpec, WorkloadSpec};
use crate::spec::kind::ServiceKind;
use crate::spec::quantity::Quantity;
use crate::spec::rules::{check_memory_size, check_odd, gib};
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
    /// Legacy: the ZooKeeper service whose ensemble keeps the metadata (Kafka 3.9, the last
    /// release with ZooKeeper). Without it the brokers run in KRaft mode.
    pub zookeeper: Option<String>,
    /// KRaft controllers: the voters of the metadata quorum (odd, 1 to 9; default 3, or 1 with
    /// fewer than 3 brokers). Fixed once the cluster is formed.
    #[schemars(range(min = 1, max = 9))]
    pub controllers: Option<u32>,
    /// Run the KRaft controllers as a role of their own (`controller` members, no partitions)
    /// instead of on the first brokers (default false: the first `controllers` brokers are
    /// controllers too).
    #[serde(default)]
    pub dedicated_controllers: bool,
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
    /// Largest number of KRaft controllers.
    pub const MAX_CONTROLLERS: u32 = 9;

    /// The KRaft controllers of a service with `replicas` brokers; `None` in ZooKeeper mode.
    #[must_use]
    pub fn controllers_for(&self, replicas: u32) -> Option<u32> {
        if self.zookeeper.is_some() {
            return None;
        }
        Some(
            self.controllers
                .unwrap_or(if replicas >= 3 || self.dedicated_controllers {
                    3
                } else {
                    1
                }),
        )
    }

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
        self.zookeeper
            .iter()
            .map(|zookeeper| Reference::new("spec.zookeeper", zookeeper, &[ServiceKind::ZooKeeper]))
            .collect()
    }

    /// Dedicated controllers come first, so that adding brokers never renumbers a controller.
    fn roles(&self, replicas: u32) -> Vec<RoleGroup> {
        let mut roles = Vec::new();
        if let (Some(controllers), true) =
            (self.controllers_for(replicas), self.dedicated_controllers)
        {
            roles.push(RoleGroup::new("controller", controllers));
        }
        roles.push(RoleGroup::new("broker", replicas));
        roles
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Problems) {
        if let Some(jmx) = &self.jmx {
            check_name(out, "spec.jmx.user", &jmx.user);
        }
        check_memory_size(ctx, out, "spec.heapSize", &self.heap_size, gib(31));
        self.check_controllers(ctx, out);
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

impl KafkaSpec {
    /// KRaft controllers: none in ZooKeeper mode; an odd quorum of at most 9; combined ones on
    /// brokers that exist.
    fn check_controllers(&self, ctx: &Context<'_>, out: &mut Problems) {
        if self.zookeeper.is_some() {
            for (set, field) in [
                (self.controllers.is_some(), "spec.controllers"),
                (self.dedicated_controllers, "spec.dedicatedControllers"),
            ] {
                if set {
                    out.add(
                        field,
                        "is a KRaft setting, and spec.zookeeper puts the brokers in ZooKeeper mode",
                        "remove spec.zookeeper for KRaft mode (a new cluster; firecamp does not migrate a ZooKeeper-mode one), or remove this field",
                    );
                }
            }
            return;
        }
        let Some(controllers) = self.controllers_for(ctx.replicas) else {
            return;
        };
        if controllers == 0 || controllers > Self::MAX_CONTROLLERS {
            out.add(
                "spec.controllers",
                format!(
                    "must be between 1 and {}, got {controllers}",
                    Self::MAX_CONTROLLERS
                ),
                "3 controllers survive the loss of one, 5 of two",
            );
            return;
        }
        check_odd(
            out,
            "spec.controllers",
            controllers,
            "the KRaft quorum needs a majority of its voters: an even count survives no more losses than the odd count below it",
        );
        if !self.dedicated_controllers && controllers > ctx.replicas {
            out.add(
                "spec.controllers",
                format!(
                    "{controllers} controllers on the brokers need at least {controllers} brokers, and spec.replicas is {}",
                    ctx.replicas
                ),
                "lower spec.controllers, add brokers, or set spec.dedicatedControllers: true",
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

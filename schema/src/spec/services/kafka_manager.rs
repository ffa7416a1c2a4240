//! Kafka Manager (CMAK): a web UI for Kafka clusters, one instance.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::problem::Problems;
use crate::spec::common::WorkloadSpec;
use crate::spec::kind::ServiceKind;
use crate::spec::patterns;
use crate::spec::quantity::Quantity;
use crate::spec::rules::{check_memory_size, gib};
use crate::spec::secret::SecretRef;
use crate::spec::service::{Context, Reference, RoleGroup, ServiceSpec, common_fields};
use crate::spec::text_rules::check_name;

/// `spec` of a `KafkaManager` document (stateless, always one member).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct KafkaManagerSpec {
    /// Common fields (`replicas` may only be 1).
    #[serde(flatten)]
    pub workload: WorkloadSpec,
    /// Name of the ZooKeeper service Kafka Manager keeps its state in.
    pub zookeeper: String,
    /// JVM heap (default 4Gi).
    #[serde(default = "default_heap")]
    pub heap_size: Quantity,
    /// User name for the web UI's basic authentication.
    #[schemars(pattern(patterns::NAME))]
    pub user: String,
    /// Password for the web UI's basic authentication.
    pub password: SecretRef,
}

common_fields!(KafkaManagerSpec);

impl ServiceSpec for KafkaManagerSpec {
    const KIND: ServiceKind = ServiceKind::KafkaManager;

    fn default_replicas(&self) -> u32 {
        1
    }

    fn fixed_replicas(&self) -> Option<u32> {
        Some(1)
    }

    fn references(&self) -> Vec<Reference> {
        vec![Reference::new(
            "spec.zookeeper",
            &self.zookeeper,
            &[ServiceKind::ZooKeeper],
        )]
    }

    fn roles(&self, replicas: u32) -> Vec<RoleGroup> {
        vec![RoleGroup::new("manager", replicas)]
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Problems) {
        check_name(out, "spec.user", &self.user);
        check_memory_size(ctx, out, "spec.heapSize", &self.heap_size, gib(31));
        if self.user.is_empty() {
            out.add(
                "spec.user",
                "must not be empty",
                "name the user of Kafka Manager's basic authentication, e.g. admin",
            );
        }
    }
}

fn default_heap() -> Quantity {
    Quantity::new("4Gi")
}

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
    /// The Kafka services the UI shows (at least one).
    #[schemars(length(min = 1))]
    pub kafka: Vec<String>,
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
        self.kafka
            .iter()
            .enumerate()
            .map(|(i, kafka)| {
                Reference::new(&format!("spec.kafka[{i}]"), kafka, &[ServiceKind::Kafka])
            })
            .collect()
    }

    fn roles(&self, replicas: u32) -> Vec<RoleGroup> {
        vec![RoleGroup::new("manager", replicas)]
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Problems) {
        check_name(out, "spec.user", &self.user);
        check_memory_size(ctx, out, "spec.heapSize", &self.heap_size, gib(31));
        if self.kafka.is_empty() {
            out.add(
                "spec.kafka",
                "must name at least one Kafka service",
                "e.g. kafka: [kafka]",
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, kafka) in self.kafka.iter().enumerate() {
            if !seen.insert(kafka) {
                out.add(
                    &format!("spec.kafka[{i}]"),
                    format!("names Kafka service \"{kafka}\" twice"),
                    "list each Kafka service once",
                );
            }
        }
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

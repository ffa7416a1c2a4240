//! Kafka Connect workers that sink a Kafka topic into Elasticsearch.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::problem::Problems;
use crate::spec::common::WorkloadSpec;
use crate::spec::kind::ServiceKind;
use crate::spec::patterns;
use crate::spec::quantity::Quantity;
use crate::spec::rules::{check_memory_size, check_odd, gib};
use crate::spec::service::{Context, Reference, RoleGroup, ServiceSpec, common_fields};
use crate::spec::text_rules::check_topic;

/// `spec` of a `KafkaSinkES` document (stateless: no volumes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct KafkaSinkEsSpec {
    /// Common fields.
    #[serde(flatten)]
    pub workload: WorkloadSpec,
    /// Name of the Kafka service to read from.
    pub kafka: String,
    /// Topic to sink.
    #[schemars(pattern(patterns::TOPIC), length(max = 249))]
    pub topic: String,
    /// Name of the ElasticSearch service to write to.
    pub elasticsearch: String,
    /// JVM heap (default 512Mi).
    #[serde(default = "default_heap")]
    pub heap_size: Quantity,
    /// Replication factor of Kafka Connect's own topics (default 3, odd, at most 7).
    #[serde(default = "three")]
    pub replication_factor: u32,
    /// Records buffered per task before blocking (default 20000).
    #[serde(default = "buffer")]
    pub buffer_records: u32,
    /// Records per bulk request (default 2000).
    #[serde(default = "batch")]
    pub batch_size: u32,
}

common_fields!(KafkaSinkEsSpec);

impl ServiceSpec for KafkaSinkEsSpec {
    const KIND: ServiceKind = ServiceKind::KafkaSinkEs;

    fn references(&self) -> Vec<Reference> {
        vec![
            Reference::new("spec.kafka", &self.kafka, &[ServiceKind::Kafka]),
            Reference::new(
                "spec.elasticsearch",
                &self.elasticsearch,
                &[ServiceKind::ElasticSearch],
            ),
        ]
    }

    fn roles(&self, replicas: u32) -> Vec<RoleGroup> {
        vec![RoleGroup::new("worker", replicas)]
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Problems) {
        if self.workload.image.is_none() {
            out.add(
                "spec.image",
                "is required: Kafka Connect's image has no Elasticsearch sink connector, and firecamp never downloads one when a worker starts",
                "build deploy/images/kafka-connect-elasticsearch (Kafka Connect with the connector installed), push it to your registry and name it here",
            );
        }
        check_topic(out, "spec.topic", &self.topic);
        check_memory_size(ctx, out, "spec.heapSize", &self.heap_size, gib(31));
        check_odd(
            out,
            "spec.replicationFactor",
            self.replication_factor,
            "Kafka Connect topics need a majority",
        );
        if self.replication_factor > 7 {
            out.add(
                "spec.replicationFactor",
                "must be at most 7",
                "3 copies are the usual choice for Kafka Connect's topics",
            );
        }
        if let Some(kafka) = ctx
            .services
            .get(&self.kafka)
            .filter(|s| s.body.kind() == ServiceKind::Kafka)
        {
            let brokers = kafka.body.replicas();
            if self.replication_factor > brokers {
                out.add(
                    "spec.replicationFactor",
                    format!(
                        "{} is more than the {brokers} brokers of Kafka service \"{}\"",
                        self.replication_factor, self.kafka
                    ),
                    "lower it to the number of brokers or fewer",
                );
            }
        }
        if self.topic.is_empty() {
            out.add(
                "spec.topic",
                "must not be empty",
                "name the Kafka topic to copy into Elasticsearch",
            );
        }
        if self.batch_size == 0 || self.batch_size > self.buffer_records {
            out.add(
                "spec.batchSize",
                "must be between 1 and spec.bufferRecords",
                "lower batchSize or raise bufferRecords",
            );
        }
    }
}

fn default_heap() -> Quantity {
    Quantity::new("512Mi")
}

const fn three() -> u32 {
    3
}

const fn buffer() -> u32 {
    20_000
}

const fn batch() -> u32 {
    2_000
}

//! Logstash running one pipeline.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::problem::Problems;
use crate::spec::common::{StorageSpec, WorkloadSpec};
use crate::spec::kind::ServiceKind;
use crate::spec::quantity::Quantity;
use crate::spec::rules::{check_memory_size, gib};
use crate::spec::service::{Context, RoleGroup, ServiceSpec, common_fields};

/// `spec` of a `Logstash` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct LogstashSpec {
    /// Common fields (default 1 replica).
    #[serde(flatten)]
    pub workload: WorkloadSpec,
    /// Volume fields (persisted queue and dead-letter queue live on the data volume).
    #[serde(flatten)]
    pub storage: StorageSpec,
    /// The pipeline configuration (`input {...} filter {...} output {...}`).
    pub pipeline: String,
    /// JVM heap (default 2Gi).
    #[serde(default = "default_heap")]
    pub heap_size: Quantity,
    /// Queue type (default memory).
    #[serde(default)]
    pub queue_type: QueueType,
    /// Keep events that fail to be delivered in a dead-letter queue (default true).
    #[serde(default = "yes")]
    pub dead_letter_queue: bool,
    /// Pipeline workers (default: the CPU count).
    pub workers: Option<u32>,
    /// Output workers, at most `workers`.
    pub output_workers: Option<u32>,
    /// Events per batch (default 125).
    #[serde(default = "batch")]
    pub batch_size: u32,
    /// Milliseconds to wait for a full batch (default 50).
    #[serde(default = "delay")]
    pub batch_delay_ms: u32,
}

/// Logstash queue type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum QueueType {
    /// In memory: lost on restart.
    #[default]
    Memory,
    /// On the data volume.
    Persisted,
}

const MAX_PIPELINE_BYTES: usize = 256 * 1024;

common_fields!(LogstashSpec, stateful);

impl ServiceSpec for LogstashSpec {
    const KIND: ServiceKind = ServiceKind::Logstash;

    fn default_replicas(&self) -> u32 {
        1
    }

    fn roles(&self, replicas: u32) -> Vec<RoleGroup> {
        vec![RoleGroup::new("node", replicas)]
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Problems) {
        check_memory_size(ctx, out, "spec.heapSize", &self.heap_size, gib(31));
        if self.pipeline.trim().is_empty() {
            out.add(
                "spec.pipeline",
                "must not be empty",
                "write the pipeline: input { ... } output { ... }",
            );
        } else if self.pipeline.len() > MAX_PIPELINE_BYTES {
            out.add(
                "spec.pipeline",
                "is larger than 256 KiB",
                "split the pipeline over several Logstash services",
            );
        }
        if self.workers == Some(0) {
            out.add(
                "spec.workers",
                "must be at least 1",
                "leave it out to use one worker per CPU",
            );
        }
        if let (Some(output), Some(workers)) = (self.output_workers, self.workers)
            && output > workers
        {
            out.add(
                "spec.outputWorkers",
                format!("{output} is more than spec.workers ({workers})"),
                "lower outputWorkers or raise workers",
            );
        }
        if self.batch_size == 0 {
            out.add(
                "spec.batchSize",
                "must be at least 1",
                "leave it out for Logstash's default of 125",
            );
        }
    }
}

fn default_heap() -> Quantity {
    Quantity::new("2Gi")
}

const fn yes() -> bool {
    true
}

const fn batch() -> u32 {
    125
}

const fn delay() -> u32 {
    50
}

//! Telegraf: collects one service's metrics into CloudWatch.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::problem::Problems;
use crate::spec::common::WorkloadSpec;
use crate::spec::kind::ServiceKind;
use crate::spec::service::{Context, Reference, RoleGroup, ServiceSpec, common_fields};

/// `spec` of a `Telegraf` document (stateless, always one member, no ports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct TelegrafSpec {
    /// Common fields (`replicas` may only be 1).
    #[serde(flatten)]
    pub workload: WorkloadSpec,
    /// Name of the service to monitor.
    pub monitor: String,
    /// Seconds between collections (default 60).
    #[serde(default = "sixty")]
    pub collect_interval_secs: u32,
    /// Extra Telegraf input configuration (TOML), at most 16 KiB.
    pub metrics: Option<String>,
}

/// Kinds Telegraf can monitor: every kind but Telegraf itself.
pub const MONITORABLE: &[ServiceKind] = &[
    ServiceKind::MongoDb,
    ServiceKind::PostgreSql,
    ServiceKind::Cassandra,
    ServiceKind::ZooKeeper,
    ServiceKind::Kafka,
    ServiceKind::KafkaSinkEs,
    ServiceKind::KafkaManager,
    ServiceKind::Redis,
    ServiceKind::CouchDb,
    ServiceKind::Consul,
    ServiceKind::ElasticSearch,
    ServiceKind::Kibana,
    ServiceKind::Logstash,
];

const MAX_METRICS_BYTES: usize = 16 * 1024;

common_fields!(TelegrafSpec);

impl ServiceSpec for TelegrafSpec {
    const KIND: ServiceKind = ServiceKind::Telegraf;

    fn default_replicas(&self) -> u32 {
        1
    }

    fn fixed_replicas(&self) -> Option<u32> {
        Some(1)
    }

    fn references(&self) -> Vec<Reference> {
        vec![Reference::new("spec.monitor", &self.monitor, MONITORABLE)]
    }

    fn roles(&self, replicas: u32) -> Vec<RoleGroup> {
        vec![RoleGroup::new("agent", replicas)]
    }

    fn check(&self, _ctx: &Context<'_>, out: &mut Problems) {
        if self.collect_interval_secs == 0 {
            out.add(
                "spec.collectIntervalSecs",
                "must be at least 1",
                "leave it out for the default of 60 seconds",
            );
        }
        if self
            .metrics
            .as_ref()
            .is_some_and(|m| m.len() > MAX_METRICS_BYTES)
        {
            out.add(
                "spec.metrics",
                "is larger than 16 KiB",
                "keep only the input plugins you need",
            );
        }
    }
}

const fn sixty() -> u32 {
    60
}

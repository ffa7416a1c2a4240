//! The table of catalog kinds: the one place that lists them. It generates [`ServiceKind`] and
//! [`Service`] and delegates [`ServiceSpec`] calls to each kind's spec type.

use std::fmt;

use schemars::{Schema, SchemaGenerator};
use serde::Serialize;

use super::common::{StorageSpec, WorkloadSpec};
use super::service::{CommonFields, Context, Reference, RoleGroup, ServiceSpec};
use super::services::{
    cassandra::CassandraSpec, consul::ConsulSpec, couchdb::CouchDbSpec,
    elasticsearch::ElasticSearchSpec, kafka::KafkaSpec, kafka_manager::KafkaManagerSpec,
    kafka_sink_es::KafkaSinkEsSpec, kibana::KibanaSpec, logstash::LogstashSpec,
    mongodb::MongoDbSpec, postgresql::PostgreSqlSpec, redis::RedisSpec, telegraf::TelegrafSpec,
    zookeeper::ZooKeeperSpec,
};
use crate::problem::Problems;

/// The error of deserializing a spec, with the path of the field at fault.
pub type SpecDeError = serde_path_to_error::Error<serde_json::Error>;

macro_rules! catalog_kinds {
    ($($variant:ident($spec:ty) = $name:literal;)*) => {
        /// A catalog service kind, as written in a document's `kind`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum ServiceKind {
            $(#[doc = concat!("`kind: ", $name, "`")] #[serde(rename = $name)] $variant,)*
        }

        impl ServiceKind {
            /// Every kind, in catalog order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)*];

            /// The name used in `kind`.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name,)* }
            }

            /// The kind named exactly `name`.
            #[must_use]
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|k| k.as_str() == name)
            }

            /// The JSON Schema of this kind's `spec`, registered in `generator`.
            pub(crate) fn spec_schema(self, generator: &mut SchemaGenerator) -> Schema {
                match self { $(Self::$variant => generator.subschema_for::<$spec>(),)* }
            }
        }

        /// The `spec` of a service document, by kind.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[serde(untagged)]
        pub enum Service {
            $(#[doc = concat!("A `", $name, "` spec.")] $variant($spec),)*
        }

        impl Service {
            /// Deserializes the `spec` of a document of `kind`.
            ///
            /// # Errors
            /// When the value does not have the shape of the kind's spec.
            pub fn from_json(kind: ServiceKind, spec: serde_json::Value) -> Result<Self, SpecDeError> {
                match kind { $(ServiceKind::$variant => serde_path_to_error::deserialize(spec).map(Self::$variant),)* }
            }

            /// The kind.
            #[must_use]
            pub const fn kind(&self) -> ServiceKind {
                match self { $(Self::$variant(_) => ServiceKind::$variant,)* }
            }

            /// Fields every service has.
            #[must_use]
            pub fn workload(&self) -> &WorkloadSpec {
                match self { $(Self::$variant(s) => s.workload(),)* }
            }

            /// Volume and static-IP fields; `None` for stateless kinds.
            #[must_use]
            pub fn storage(&self) -> Option<&StorageSpec> {
                match self { $(Self::$variant(s) => s.storage(),)* }
            }

            /// Members when `replicas` is not set.
            #[must_use]
            pub fn default_replicas(&self) -> u32 {
                match self { $(Self::$variant(s) => s.default_replicas(),)* }
            }

            /// The only allowed number of members, for kinds that run exactly one.
            #[must_use]
            pub fn fixed_replicas(&self) -> Option<u32> {
                match self { $(Self::$variant(s) => s.fixed_replicas(),)* }
            }

            /// True for kinds that need a journal volume.
            #[must_use]
            pub fn requires_journal(&self) -> bool {
                match self { $(Self::$variant(s) => s.requires_journal(),)* }
            }

            /// Whether members get static IPs when `staticIp` is not set.
            #[must_use]
            pub fn static_ip_default(&self) -> bool {
                match self { $(Self::$variant(s) => s.static_ip_default(),)* }
            }

            /// References to other services.
            #[must_use]
            pub fn references(&self) -> Vec<Reference> {
                match self { $(Self::$variant(s) => s.references(),)* }
            }

            /// Members by role for `replicas` members (per shard where the kind shards).
            #[must_use]
            pub fn roles(&self, replicas: u32) -> Vec<RoleGroup> {
                match self { $(Self::$variant(s) => s.roles(replicas),)* }
            }

            /// Kind-specific rules.
            pub fn check(&self, ctx: &Context<'_>, out: &mut Problems) {
                match self { $(Self::$variant(s) => s.check(ctx, out),)* }
            }
        }
    };
}

catalog_kinds! {
    MongoDb(MongoDbSpec) = "MongoDB";
    PostgreSql(PostgreSqlSpec) = "PostgreSQL";
    Cassandra(CassandraSpec) = "Cassandra";
    ZooKeeper(ZooKeeperSpec) = "ZooKeeper";
    Kafka(KafkaSpec) = "Kafka";
    KafkaSinkEs(KafkaSinkEsSpec) = "KafkaSinkES";
    KafkaManager(KafkaManagerSpec) = "KafkaManager";
    Redis(RedisSpec) = "Redis";
    CouchDb(CouchDbSpec) = "CouchDB";
    Consul(ConsulSpec) = "Consul";
    ElasticSearch(ElasticSearchSpec) = "ElasticSearch";
    Kibana(KibanaSpec) = "Kibana";
    Logstash(LogstashSpec) = "Logstash";
    Telegraf(TelegrafSpec) = "Telegraf";
}

impl Service {
    /// The effective number of members: the fixed count, else `replicas`, else the kind's default.
    #[must_use]
    pub fn replicas(&self) -> u32 {
        self.fixed_replicas()
            .or(self.workload().replicas)
            .unwrap_or_else(|| self.default_replicas())
    }

    /// True for kinds that keep data on volumes.
    #[must_use]
    pub fn is_stateful(&self) -> bool {
        self.storage().is_some()
    }
}

impl fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

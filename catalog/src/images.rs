//! The images the catalog runs, pinned by version. A spec's `image` overrides the main one.

use firecamp_schema::spec::{Service, ServiceKind};

/// The pinned main image of a kind.
#[must_use]
pub const fn default_image(kind: ServiceKind) -> &'static str {
    match kind {
        ServiceKind::MongoDb => "mongo:7.0.28",
        ServiceKind::PostgreSql => "postgres:16.4",
        ServiceKind::Cassandra => "cassandra:4.1.7",
        ServiceKind::ZooKeeper => "zookeeper:3.9.6",
        ServiceKind::Kafka => "apache/kafka:4.4.0",
        ServiceKind::KafkaSinkEs => "confluentinc/cp-kafka-connect:7.7.1",
        ServiceKind::KafkaManager => "ghcr.io/kafbat/kafka-ui:v1.0.0",
        ServiceKind::Redis => "redis:7.4.1",
        ServiceKind::CouchDb => "couchdb:3.4.2",
        ServiceKind::Consul => "hashicorp/consul:1.20.1",
        ServiceKind::ElasticSearch => "docker.elastic.co/elasticsearch/elasticsearch:8.15.3",
        ServiceKind::Kibana => "docker.elastic.co/kibana/kibana:8.15.3",
        ServiceKind::Logstash => "docker.elastic.co/logstash/logstash:8.15.3",
        ServiceKind::Telegraf => "telegraf:1.32.2",
    }
}

/// Kafka in legacy ZooKeeper mode: the last release line with ZooKeeper (Kafka 4.0 removed it).
pub const KAFKA_ZOOKEEPER_MODE: &str = "apache/kafka:3.9.2";

/// The pinned main image of a service: its kind's, or, for a Kafka service in ZooKeeper mode,
/// [`KAFKA_ZOOKEEPER_MODE`].
#[must_use]
pub fn pinned_image(service: &Service) -> &'static str {
    match service {
        Service::Kafka(kafka) if kafka.zookeeper.is_some() => KAFKA_ZOOKEEPER_MODE,
        other => default_image(other.kind()),
    }
}

/// The static-IP containers' image: Alpine with `sh`, iproute2's `ip`, `iptables-nft` and
/// `iptables-legacy`, `curl` and `awk` (the `apk add` list of nicolaka/netshoot's Dockerfile), all
/// the node-side script (`build/static_ip.sh`) runs.
pub const NETWORK_TOOLS: &str = "nicolaka/netshoot:v0.15";

/// Fluentd with the CloudWatch Logs output plugin.
pub const FLUENTD_CLOUDWATCH: &str =
    "fluent/fluentd-kubernetes-daemonset:v1.17.1-debian-cloudwatch-1.2";

mod contracts;

pub use contracts::contract;

/// What an image provides and expects, from its upstream Dockerfile and entrypoint (each
/// contract cites them): the rendered pods that run it are held to it by the catalog's tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageContract {
    /// The image reference, as pinned.
    pub image: &'static str,
    /// Where the contract was read: the upstream Dockerfile and entrypoint.
    pub source: &'static str,
    /// The user the image runs as (`USER`, or the one its entrypoint switches to).
    pub user: &'static str,
    /// That user's uid.
    pub uid: i64,
    /// Whether the image starts as root (no `USER`; its entrypoint steps down to `user`), so that
    /// a container without `runAsUser` runs as root.
    pub root_default: bool,
    /// Its `VOLUME`s.
    pub volumes: &'static [&'static str],
    /// Its `ENTRYPOINT` and `CMD`, as one command line.
    pub entrypoint: &'static [&'static str],
    /// Where the image's program reads its configuration.
    pub config: &'static str,
    /// The programs on its `PATH` (or at the paths given) that firecamp's commands, probes and
    /// scripts may call.
    pub programs: &'static [&'static str],
}

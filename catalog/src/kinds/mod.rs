//! One module per catalog kind: its config files, container and init tasks.

mod cassandra;
mod consul;
mod couchdb;
mod elasticsearch;
mod kafka;
mod kafka_manager;
mod kafka_sink_es;
mod kibana;
mod logstash;
mod mongodb;
mod postgresql;
mod redis;
mod telegraf;
mod zookeeper;

use firecamp_schema::spec::quantity::Quantity;
use firecamp_schema::spec::secret::JmxSpec;
use firecamp_schema::spec::{Service, ServiceKind};

use crate::blueprint::{Blueprint, PortPlan, RUNTIME_DIR, env, secret_env};
use crate::context::ServiceContext;
use crate::error::RenderError;
use crate::lifecycle::{IdentityRule, MemberNumbering, MemberRemoval};

/// The blueprint of the service in `ctx`.
///
/// # Errors
/// A missing reference.
pub(crate) fn blueprint(ctx: &ServiceContext<'_>) -> Result<Blueprint, RenderError> {
    Ok(match ctx.body() {
        Service::MongoDb(spec) => mongodb::blueprint(ctx, spec),
        Service::PostgreSql(spec) => postgresql::blueprint(ctx, spec)?,
        Service::Cassandra(spec) => cassandra::blueprint(ctx, spec)?,
        Service::ZooKeeper(spec) => zookeeper::blueprint(ctx, spec),
        Service::Kafka(spec) => kafka::blueprint(ctx, spec)?,
        Service::KafkaSinkEs(spec) => kafka_sink_es::blueprint(ctx, spec)?,
        Service::KafkaManager(spec) => kafka_manager::blueprint(ctx, spec)?,
        Service::Redis(spec) => redis::blueprint(ctx, spec),
        Service::CouchDb(spec) => couchdb::blueprint(ctx, spec)?,
        Service::Consul(spec) => consul::blueprint(ctx, spec),
        Service::ElasticSearch(spec) => elasticsearch::blueprint(ctx, spec),
        Service::Kibana(spec) => kibana::blueprint(ctx, spec)?,
        Service::Logstash(spec) => logstash::blueprint(ctx, spec),
        Service::Telegraf(spec) => telegraf::blueprint(ctx, spec)?,
    })
}

/// How a live member of `kind` may be removed: each kind's module says.
pub(crate) const fn member_removal(kind: ServiceKind) -> MemberRemoval {
    match kind {
        ServiceKind::MongoDb => mongodb::MEMBER_REMOVAL,
        ServiceKind::PostgreSql => postgresql::MEMBER_REMOVAL,
        ServiceKind::Cassandra => cassandra::MEMBER_REMOVAL,
        ServiceKind::ZooKeeper => zookeeper::MEMBER_REMOVAL,
        ServiceKind::Kafka => kafka::MEMBER_REMOVAL,
        ServiceKind::KafkaSinkEs => kafka_sink_es::MEMBER_REMOVAL,
        ServiceKind::KafkaManager => kafka_manager::MEMBER_REMOVAL,
        ServiceKind::Redis => redis::MEMBER_REMOVAL,
        ServiceKind::CouchDb => couchdb::MEMBER_REMOVAL,
        ServiceKind::Consul => consul::MEMBER_REMOVAL,
        ServiceKind::ElasticSearch => elasticsearch::MEMBER_REMOVAL,
        ServiceKind::Kibana => kibana::MEMBER_REMOVAL,
        ServiceKind::Logstash => logstash::MEMBER_REMOVAL,
        ServiceKind::Telegraf => telegraf::MEMBER_REMOVAL,
    }
}

/// What `kind` fixes when its cluster is first formed, when it fixes anything firecamp renders.
pub(crate) const fn identity_rule(kind: ServiceKind) -> Option<IdentityRule> {
    match kind {
        ServiceKind::Kafka => Some(kafka::IDENTITY),
        _ => None,
    }
}

/// How `kind` numbers its members, when its database knows them by number.
pub(crate) const fn member_numbering(kind: ServiceKind) -> Option<MemberNumbering> {
    match kind {
        ServiceKind::Kafka => Some(kafka::NUMBERING),
        ServiceKind::ZooKeeper => Some(zookeeper::NUMBERING),
        _ => None,
    }
}

/// A size in whole MiB (validation guarantees it parses).
pub(crate) fn mebibytes(size: &Quantity) -> i128 {
    size.units().map_or(0, |bytes| bytes >> 20)
}

/// `-Xms<n>m -Xmx<n>m` for a JVM heap.
pub(crate) fn jvm_heap(size: &Quantity) -> String {
    let mib = mebibytes(size);
    format!("-Xms{mib}m -Xmx{mib}m")
}

/// JMX with authentication on `port`: adds the port and the credentials' environment to `bp` and
/// returns the JVM flags and the start-script lines that write the password and access files.
pub(crate) fn jmx(bp: &mut Blueprint, jmx: &JmxSpec, port: u16) -> (String, String) {
    bp.ports.push(PortPlan::internal("jmx", port));
    bp.env.push(env("JMX_USER", jmx.user.clone()));
    bp.env.push(secret_env("JMX_PASSWORD", &jmx.password));
    let flags = format!(
        "-Dcom.sun.management.jmxremote.port={port} -Dcom.sun.management.jmxremote.rmi.port={port} \
         -Dcom.sun.management.jmxremote.ssl=false -Dcom.sun.management.jmxremote.authenticate=true \
         -Dcom.sun.management.jmxremote.password.file={RUNTIME_DIR}/jmxremote.password \
         -Dcom.sun.management.jmxremote.access.file={RUNTIME_DIR}/jmxremote.access"
    );
    let script = format!(
        "(umask 077\n printf '%s %s\\n' \"$JMX_USER\" \"$JMX_PASSWORD\" > {RUNTIME_DIR}/jmxremote.password\n \
         printf '%s readonly\\n' \"$JMX_USER\" > {RUNTIME_DIR}/jmxremote.access)\n"
    );
    (flags, script)
}

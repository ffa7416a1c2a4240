//! Kafka. In KRaft mode (the default, Kafka 4) a quorum of KRaft controllers keeps the metadata:
//! the first brokers, or `controller` members of their own. Each node's log directory is
//! formatted once with the service's cluster id, and `node.id` is the member's index. In legacy
//! ZooKeeper mode (Kafka 3.9), `broker.id` is the member's index. `broker.rack` is the zone.

use firecamp_schema::spec::ServiceKind;
use firecamp_schema::spec::services::kafka::KafkaSpec;
use firecamp_schema::topology::Member;

use super::zookeeper::connect_string;
use super::{jmx, jvm_heap};
use crate::blueprint::{
    Blueprint, CONFIG_DIR, DATA_DIR, PortPlan, RoleProbes, env, start_script_command,
};
use crate::build::probes;
use crate::context::ServiceContext;
use crate::error::RenderError;
use crate::lifecycle::{IdentityRule, MemberNumbering, MemberRemoval};

/// Removing a broker: its partition replicas reassigned to the others first
/// (`kafka-reassign-partitions`). Strimzi refuses a scale-down while a leaving broker holds any
/// (strimzi/strimzi-kafka-operator#9042), unless `strimzi.io/skip-broker-scaledown-check` says so:
/// firecamp's `--allow-member-removal`.
pub(crate) const MEMBER_REMOVAL: MemberRemoval = MemberRemoval::Refused {
    needs: "every partition replica on a leaving broker reassigned to the remaining brokers first (kafka-reassign-partitions)",
};

/// What a Kafka cluster fixes when it is first formed. A ZooKeeper-mode cluster reaches KRaft
/// only by Kafka's migration on 3.9 (KIP-866: controllers joined in migration mode, brokers
/// restarted twice, then finalized), not by new broker settings; a static quorum
/// (`controller.quorum.voters`) changes only with every node's log directory formatted again
/// (KIP-853's dynamic quorum is what can add and remove controllers); each log directory belongs
/// to one cluster id.
pub(crate) const IDENTITY: IdentityRule = IdentityRule {
    fixed: "Kafka fixes its metadata mode (ZooKeeper or KRaft), its ZooKeeper service and its KRaft controllers when the cluster is first formed: the brokers' log directories and metadata belong to them, and new settings would start the brokers on metadata that is not theirs",
    to_go_on: "put spec.zookeeper, spec.controllers and spec.dedicatedControllers back as they were; for a cluster of another mode or quorum, create a new Kafka service and move the topics to it (MirrorMaker 2)",
    unrecorded: "metadata=zookeeper",
};

/// A broker or controller is known by its `node.id` (`broker.id` in ZooKeeper mode), the member's
/// index: its log directories' `meta.properties`, the partition replica lists and the KRaft
/// voters record it.
pub(crate) const NUMBERING: MemberNumbering = MemberNumbering {
    number: "node.id",
    first: 0,
    kept: "Kafka knows a broker by its node.id (broker.id in ZooKeeper mode), which its log directories, the partitions' replica lists and the KRaft voters record; a broker given another number does not start on its own log directory, or takes another broker's place",
};

/// Client port.
pub(crate) const CLIENT_PORT: u16 = 9092;
const JMX_PORT: u16 = 9093;
/// The KRaft controllers' port.
pub(crate) const CONTROLLER_PORT: u16 = 9094;
/// The role of dedicated KRaft controllers.
const CONTROLLER_ROLE: &str = "controller";

/// `host:9092,...` of a Kafka service's brokers, for clients.
pub(crate) fn bootstrap_servers(kafka: &ServiceContext<'_>) -> String {
    kafka
        .member_dns_names(Some("broker"))
        .iter()
        .map(|host| format!("{host}:{CLIENT_PORT}"))
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn blueprint(
    ctx: &ServiceContext<'_>,
    spec: &KafkaSpec,
) -> Result<Blueprint, RenderError> {
    let mut bp = Blueprint {
        command: start_script_command(),
        ports: vec![PortPlan::published("client", CLIENT_PORT)],
        readiness: Some(probes::tcp(CLIENT_PORT, 10, 10)),
        liveness: Some(probes::tcp(CLIENT_PORT, 60, 20)),
        startup: Some(probes::startup_tcp(CLIENT_PORT, ctx.volume().as_ref())),
        user: Some(1000),
        ..Blueprint::default()
    };
    bp.env
        .push(env("KAFKA_HEAP_OPTS", jvm_heap(&spec.heap_size)));
    // JMX only for the broker's own JVM: kafka-run-class.sh applies KAFKA_JMX_OPTS and JMX_PORT to
    // every Kafka command, so in the container's env they would make each tool an operator runs
    // in the pod bind the JMX port too.
    let mut jmx_script = String::new();
    if let Some(spec_jmx) = &spec.jmx {
        let (flags, script) = jmx(&mut bp, spec_jmx, JMX_PORT);
        jmx_script = format!("{script}export KAFKA_JMX_OPTS='{flags}'\n");
    }
    match &spec.zookeeper {
        Some(zookeeper) => {
            let zookeeper = ctx.referenced(zookeeper, ServiceKind::ZooKeeper)?;
            zookeeper_mode(
                ctx,
                spec,
                &mut bp,
                &jmx_script,
                &format!("{}/{}", connect_string(&zookeeper), ctx.name()),
            );
            bp.identity = Some(format!("metadata=zookeeper;zookeeper={}", zookeeper.name()));
        }
        None => kraft_mode(ctx, spec, &mut bp, &jmx_script),
    }
    Ok(bp)
}

/// Legacy ZooKeeper mode. ZooKeeper keeps this service's data under the chroot `/<service>`, so
/// several Kafka services can share one ensemble.
fn zookeeper_mode(
    ctx: &ServiceContext<'_>,
    spec: &KafkaSpec,
    bp: &mut Blueprint,
    jmx_script: &str,
    zookeeper_connect: &str,
) {
    bp.file(
        "start.sh",
        format!(
            "#!/bin/sh\n# Generated by firecamp: starts this broker with its own server.properties.\nset -eu\n{jmx_script}\
             exec /opt/kafka/bin/kafka-server-start.sh \"{CONFIG_DIR}/$POD_NAME.server.properties\"\n"
        ),
    );
    let common = format!(
        "# Generated by firecamp for Kafka service {service} (ZooKeeper mode).\n\
         zookeeper.connect={zookeeper_connect}\n\
         zookeeper.connection.timeout.ms=18000\n{shared}",
        service = ctx.name(),
        shared = shared_settings(ctx, spec),
    );
    for member in &ctx.members {
        let own = format!(
            "broker.id={}\nbroker.rack={}\nlisteners=PLAINTEXT://0.0.0.0:{CLIENT_PORT}\nadvertised.listeners=PLAINTEXT://{}:{CLIENT_PORT}\n",
            NUMBERING.of(member.index),
            member.zone,
            ctx.dns_name(&member.name)
        );
        bp.member_file(&member.name, "server.properties", format!("{common}{own}"));
    }
}

/// KRaft mode: a static quorum of controllers (`controller.quorum.voters`), each node's log
/// directory formatted at its first start with the service's cluster id (`kafka-storage.sh
/// format --ignore-formatted`, a no-op on every later start), as the Kafka docs' KRaft
/// operations say ("Provisioning Nodes").
fn kraft_mode(ctx: &ServiceContext<'_>, spec: &KafkaSpec, bp: &mut Blueprint, jmx_script: &str) {
    bp.ports
        .push(PortPlan::internal("controller", CONTROLLER_PORT));
    bp.env.push(env("KAFKA_CLUSTER_ID", cluster_id(ctx)));
    if spec.dedicated_controllers {
        bp.role_probes.insert(
            CONTROLLER_ROLE.to_owned(),
            RoleProbes {
                readiness: Some(probes::tcp(CONTROLLER_PORT, 10, 10)),
                liveness: Some(probes::tcp(CONTROLLER_PORT, 60, 20)),
                startup: Some(probes::startup_tcp(CONTROLLER_PORT, ctx.volume().as_ref())),
            },
        );
    }
    bp.file(
        "start.sh",
        format!(
            "#!/bin/sh\n# Generated by firecamp: formats this node's log directory once, with the service's cluster id\n\
             # (a later start finds it formatted and leaves it), then starts the node with its own\n\
             # server.properties.\nset -eu\n\
             config=\"{CONFIG_DIR}/$POD_NAME.server.properties\"\n\
             KAFKA_HEAP_OPTS=-Xmx256M /opt/kafka/bin/kafka-storage.sh format --ignore-formatted --cluster-id \"$KAFKA_CLUSTER_ID\" --config \"$config\"\n\
             {jmx_script}exec /opt/kafka/bin/kafka-server-start.sh \"$config\"\n"
        ),
    );
    let voters = voters(ctx, spec);
    bp.identity = Some(format!(
        "metadata=kraft;cluster-id={};controllers={};voters={}",
        cluster_id(ctx),
        if spec.dedicated_controllers {
            "dedicated"
        } else {
            "combined"
        },
        voters
            .iter()
            .map(|m| NUMBERING.of(m.index).to_string())
            .collect::<Vec<_>>()
            .join(",")
    ));
    let quorum = voters
        .iter()
        .map(|m| {
            format!(
                "{}@{}:{CONTROLLER_PORT}",
                NUMBERING.of(m.index),
                ctx.dns_name(&m.name)
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    let common = format!(
        "# Generated by firecamp for Kafka service {service} (KRaft mode).\n\
         controller.quorum.voters={quorum}\n\
         controller.listener.names=CONTROLLER\n\
         listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n{shared}",
        service = ctx.name(),
        shared = shared_settings(ctx, spec),
    );
    for member in &ctx.members {
        let controller = voters.iter().any(|v| v.name == member.name);
        let own = if member.role == CONTROLLER_ROLE {
            format!(
                "node.id={}\nprocess.roles=controller\nlisteners=CONTROLLER://0.0.0.0:{CONTROLLER_PORT}\n",
                NUMBERING.of(member.index)
            )
        } else {
            let (roles, controller_listener) = if controller {
                (
                    "broker,controller",
                    format!(",CONTROLLER://0.0.0.0:{CONTROLLER_PORT}"),
                )
            } else {
                ("broker", String::new())
            };
            format!(
                "node.id={}\nprocess.roles={roles}\nbroker.rack={}\n\
                 listeners=PLAINTEXT://0.0.0.0:{CLIENT_PORT}{controller_listener}\n\
                 advertised.listeners=PLAINTEXT://{}:{CLIENT_PORT}\n\
                 inter.broker.listener.name=PLAINTEXT\n",
                NUMBERING.of(member.index),
                member.zone,
                ctx.dns_name(&member.name)
            )
        };
        bp.member_file(&member.name, "server.properties", format!("{common}{own}"));
    }
}

/// The voters of the KRaft quorum: the dedicated controllers, else the first brokers.
fn voters<'c>(ctx: &'c ServiceContext<'_>, spec: &KafkaSpec) -> Vec<&'c Member> {
    let brokers = ctx.members.iter().filter(|m| m.role == "broker").count();
    let count = spec
        .controllers_for(u32::try_from(brokers).unwrap_or(u32::MAX))
        .unwrap_or(0) as usize;
    let role = if spec.dedicated_controllers {
        CONTROLLER_ROLE
    } else {
        "broker"
    };
    ctx.members
        .iter()
        .filter(|m| m.role == role)
        .take(count)
        .collect()
}

/// The cluster id every node's log directory is formatted with: 16 bytes of the SHA-256 of the
/// cluster, namespace and service names, in Kafka's `Uuid` form (URL-safe base64, no padding, 22
/// characters). The same names give the same id, so a service recreated on its retained volumes
/// finds them formatted for it.
fn cluster_id(ctx: &ServiceContext<'_>) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(
        format!(
            "firecamp/{}/{}/{}",
            ctx.cluster_name(),
            ctx.namespace(),
            ctx.name()
        )
        .as_bytes(),
    );
    url_safe_base64(&digest[..16])
}

/// URL-safe base64 without padding (RFC 4648 §5), as Kafka's `Uuid.toString` writes.
fn url_safe_base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let word = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(word >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// The settings every node shares, in either mode (in KRaft mode the controllers apply the topic
/// defaults when they create a topic).
fn shared_settings(ctx: &ServiceContext<'_>, spec: &KafkaSpec) -> String {
    let brokers = ctx.members.iter().filter(|m| m.role == "broker").count() as u32;
    let replication = spec.replication_factor_for(brokers);
    let min_insync = spec
        .min_insync_replicas
        .unwrap_or_else(|| replication.min(2));
    let partitions = spec.num_partitions.unwrap_or_else(|| brokers.clamp(1, 8));
    format!(
        "log.dirs={DATA_DIR}/kafka\n\
         num.partitions={partitions}\n\
         default.replication.factor={replication}\n\
         min.insync.replicas={min_insync}\n\
         offsets.topic.replication.factor={replication}\n\
         transaction.state.log.replication.factor={replication}\n\
         transaction.state.log.min.isr={min_insync}\n\
         log.retention.hours={retention}\n\
         delete.topic.enable={delete}\n\
         unclean.leader.election.enable=false\n\
         auto.create.topics.enable=true\n\
         num.network.threads=3\n\
         num.io.threads=8\n\
         group.initial.rebalance.delay.ms=3000\n",
        retention = spec.retention_hours,
        delete = spec.allow_topic_delete,
    )
}

#[cfg(test)]
mod tests {
    use super::url_safe_base64;

    #[test]
    fn ids_are_written_as_kafka_writes_uuids() {
        // RFC 4648 §10's test vectors, without padding, and 16 bytes as 22 characters.
        assert_eq!(url_safe_base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(url_safe_base64(b"fooba"), "Zm9vYmE");
        assert_eq!(url_safe_base64(b"foob"), "Zm9vYg");
        assert_eq!(url_safe_base64(&[0xfb, 0xff]), "-_8");
        assert_eq!(url_safe_base64(&[0u8; 16]).len(), 22);
    }
}

//! The contract of each image the catalog pins, read from its upstream Dockerfile and entrypoint
//! (each entry's `source`). The programs are those firecamp's commands, probes and scripts call:
//! the image's own, and its base's (Debian's and Ubuntu's essential packages: coreutils, grep,
//! sed, dash; Alpine's busybox applets; UBI minimal's coreutils-single, grep and sed).

use super::{
    FLUENTD_CLOUDWATCH, ImageContract, KAFKA_ZOOKEEPER_MODE, NETWORK_TOOLS, default_image,
};
use firecamp_schema::spec::ServiceKind;

/// The contract of `image`, when the catalog pins it.
#[must_use]
pub fn contract(image: &str) -> Option<&'static ImageContract> {
    CONTRACTS.iter().find(|c| c.image == image)
}

/// The essential programs of a Debian or Ubuntu base (coreutils, grep, sed, the shell).
const DEBIAN_BASE: [&str; 13] = [
    "/bin/sh", "sh", "cat", "chmod", "cp", "grep", "ln", "ls", "mkdir", "rm", "sed", "sleep", "tr",
];

/// Joins a base's programs and an image's own at compile time.
macro_rules! programs {
    ($base:expr; $($own:literal),* $(,)?) => {{
        const BASE: &[&str] = &$base;
        const OWN: &[&str] = &[$($own),*];
        const ALL: [&str; BASE.len() + OWN.len()] = {
            let mut all = [""; BASE.len() + OWN.len()];
            let mut i = 0;
            while i < BASE.len() {
                all[i] = BASE[i];
                i += 1;
            }
            let mut j = 0;
            while j < OWN.len() {
                all[BASE.len() + j] = OWN[j];
                j += 1;
            }
            all
        };
        &ALL
    }};
}

/// The busybox applets firecamp calls on an Alpine base.
const ALPINE_BASE: [&str; 13] = [
    "/bin/sh", "sh", "awk", "cat", "cp", "grep", "ln", "mkdir", "rm", "sed", "sleep", "tr", "nc",
];

const CONTRACTS: &[ImageContract] = &[
    ImageContract {
        image: default_image(ServiceKind::MongoDb),
        source: "docker-library/mongo 7.0/Dockerfile at MONGO_VERSION 7.0.28 (ubuntu jammy; groupadd/useradd 999 mongodb; VOLUME /data/db /data/configdb; mongodb-org-server, -shell, -mongos) and its docker-entrypoint.sh",
        user: "mongodb",
        uid: 999,
        root_default: true,
        volumes: &["/data/db", "/data/configdb"],
        entrypoint: &["docker-entrypoint.sh", "mongod"],
        config: "the --config file given to mongod",
        programs: programs!(DEBIAN_BASE; "mongod", "mongos", "mongosh"),
    },
    ImageContract {
        image: default_image(ServiceKind::PostgreSql),
        source: "docker-library/postgres 16/bookworm/Dockerfile (groupadd/useradd 999 postgres; VOLUME /var/lib/postgresql/data; PATH has /usr/lib/postgresql/16/bin) and its docker-entrypoint.sh (initdb, /docker-entrypoint-initdb.d)",
        user: "postgres",
        uid: 999,
        root_default: true,
        volumes: &["/var/lib/postgresql/data"],
        entrypoint: &["docker-entrypoint.sh", "postgres"],
        config: "postgres -c config_file=<file>",
        programs: programs!(DEBIAN_BASE; "docker-entrypoint.sh", "postgres", "psql", "pg_basebackup", "pg_isready"),
    },
    ImageContract {
        image: default_image(ServiceKind::Cassandra),
        source: "docker-library/cassandra 4.1/Dockerfile (groupadd/useradd 999 cassandra; VOLUME /var/lib/cassandra; /etc/cassandra a+rwX; python3 for cqlsh; CASSANDRA_HOME/bin on PATH) and its docker-entrypoint.sh",
        user: "cassandra",
        uid: 999,
        root_default: true,
        volumes: &["/var/lib/cassandra"],
        entrypoint: &["docker-entrypoint.sh", "cassandra", "-f"],
        config: "CASSANDRA_CONF (default /etc/cassandra)",
        programs: programs!(DEBIAN_BASE; "cassandra", "cqlsh", "nodetool"),
    },
    ImageContract {
        image: default_image(ServiceKind::ZooKeeper),
        source: "31z4/zookeeper-docker 3.9.6/Dockerfile (eclipse-temurin:17-jre-jammy; groupadd/useradd 1000 zookeeper; apt-get install netcat gosu; VOLUME /data /datalog /logs; zkServer.sh on PATH) and its docker-entrypoint.sh",
        user: "zookeeper",
        uid: 1000,
        root_default: true,
        volumes: &["/data", "/datalog", "/logs"],
        entrypoint: &["/docker-entrypoint.sh", "zkServer.sh", "start-foreground"],
        config: "zkServer.sh --config <dir> (zoo.cfg in ZOOCFGDIR)",
        programs: programs!(DEBIAN_BASE; "zkServer.sh", "nc"),
    },
    ImageContract {
        image: default_image(ServiceKind::Kafka),
        source: "apache/kafka docker/jvm/Dockerfile (Alpine; adduser appuser 1000; /opt/kafka chown appuser; VOLUME /etc/kafka/secrets /var/lib/kafka/data /mnt/shared/config; CMD /etc/kafka/docker/run) and bin/kafka-run-class.sh",
        user: "appuser",
        uid: 1000,
        root_default: false,
        volumes: &[
            "/etc/kafka/secrets",
            "/var/lib/kafka/data",
            "/mnt/shared/config",
        ],
        entrypoint: &["/__cacert_entrypoint.sh", "/etc/kafka/docker/run"],
        config: "kafka-server-start.sh <server.properties>",
        programs: programs!(ALPINE_BASE; "bash", "/opt/kafka/bin/kafka-server-start.sh", "/opt/kafka/bin/kafka-storage.sh", "/opt/kafka/bin/kafka-topics.sh"),
    },
    ImageContract {
        image: KAFKA_ZOOKEEPER_MODE,
        source: "apache/kafka docker/jvm/Dockerfile at 3.9 (the same layout as 4.x)",
        user: "appuser",
        uid: 1000,
        root_default: false,
        volumes: &[
            "/etc/kafka/secrets",
            "/var/lib/kafka/data",
            "/mnt/shared/config",
        ],
        entrypoint: &["/__cacert_entrypoint.sh", "/etc/kafka/docker/run"],
        config: "kafka-server-start.sh <server.properties>",
        programs: programs!(ALPINE_BASE; "bash", "/opt/kafka/bin/kafka-server-start.sh", "/opt/kafka/bin/kafka-topics.sh"),
    },
    ImageContract {
        image: default_image(ServiceKind::KafkaSinkEs),
        source: "confluentinc/kafka-images kafka-connect-base/Dockerfile.ubi9 and common-docker base/Dockerfile.ubi9 (ubi-minimal; USER appuser 1000; curl installed; /etc/confluent/docker/run); deploy/images/kafka-connect-elasticsearch adds the connector and keeps this contract",
        user: "appuser",
        uid: 1000,
        root_default: false,
        volumes: &[],
        entrypoint: &["/etc/confluent/docker/run"],
        config: "connect-distributed <worker.properties>",
        programs: &[
            "/bin/sh",
            "sh",
            "cat",
            "cp",
            "grep",
            "ls",
            "mkdir",
            "rm",
            "sed",
            "sleep",
            "curl",
            "connect-distributed",
        ],
    },
    ImageContract {
        image: default_image(ServiceKind::KafkaManager),
        source: "kafbat/kafka-ui api/Dockerfile (Alpine JRE; addgroup -S kafkaui, adduser -S kafkaui: Alpine's first system user, uid 100; CMD java $JAVA_OPTS -jar api.jar; configuration from the environment)",
        user: "kafkaui",
        uid: 100,
        root_default: false,
        volumes: &[],
        entrypoint: &["/bin/sh", "-c", "java $JAVA_OPTS -jar api.jar"],
        config: "the environment (KAFKA_CLUSTERS_<i>_*, SERVER_PORT, SPRING_*)",
        programs: &["/bin/sh", "sh", "java"],
    },
    ImageContract {
        image: default_image(ServiceKind::Redis),
        source: "docker-library/redis 7.4/debian/Dockerfile (groupadd/useradd 999 redis; VOLUME /data; WORKDIR /data) and its docker-entrypoint.sh",
        user: "redis",
        uid: 999,
        root_default: true,
        volumes: &["/data"],
        entrypoint: &["docker-entrypoint.sh", "redis-server"],
        config: "redis-server <redis.conf>",
        programs: programs!(DEBIAN_BASE; "redis-server", "redis-cli"),
    },
    ImageContract {
        image: default_image(ServiceKind::CouchDb),
        source: "apache/couchdb-docker 3.4.2/Dockerfile (debian bookworm-slim; useradd 5984 couchdb; apt-get install curl; VOLUME /opt/couchdb/data; COPY vm.args) and apache/couchdb bin/couchdb (COUCHDB_ARGS_FILE, COUCHDB_INI_FILES)",
        user: "couchdb",
        uid: 5984,
        root_default: true,
        volumes: &["/opt/couchdb/data"],
        entrypoint: &[
            "tini",
            "--",
            "/docker-entrypoint.sh",
            "/opt/couchdb/bin/couchdb",
        ],
        config: "COUCHDB_INI_FILES and COUCHDB_ARGS_FILE",
        programs: programs!(DEBIAN_BASE; "/opt/couchdb/bin/couchdb", "curl"),
    },
    ImageContract {
        image: default_image(ServiceKind::Consul),
        source: "hashicorp/consul Dockerfile (Alpine; adduser -S consul, uid 100, group consul 1000; /bin/consul; VOLUME /consul/data) and .release/docker/docker-entrypoint.sh",
        user: "consul",
        uid: 100,
        root_default: true,
        volumes: &["/consul/data"],
        entrypoint: &[
            "docker-entrypoint.sh",
            "agent",
            "-dev",
            "-client",
            "0.0.0.0",
        ],
        config: "consul agent -config-dir <dir>",
        programs: programs!(ALPINE_BASE; "consul"),
    },
    ImageContract {
        image: default_image(ServiceKind::ElasticSearch),
        source: "elastic/elasticsearch distribution/docker/src/docker/Dockerfile at 8.15 (USER elasticsearch:root, uid 1000, gid 0, group elasticsearch 1000; no VOLUME; curl installed; ENTRYPOINT tini -- docker-entrypoint.sh, CMD eswrapper; ES_PATH_CONF)",
        user: "elasticsearch",
        uid: 1000,
        root_default: false,
        volumes: &[],
        entrypoint: &[
            "/bin/tini",
            "--",
            "/usr/local/bin/docker-entrypoint.sh",
            "eswrapper",
        ],
        config: "ES_PATH_CONF (default /usr/share/elasticsearch/config)",
        programs: programs!(DEBIAN_BASE; "/usr/share/elasticsearch/bin/elasticsearch", "curl"),
    },
    ImageContract {
        image: default_image(ServiceKind::Kibana),
        source: "elastic/kibana src/dev/build/tasks/os_packages/docker_generator/templates/base/Dockerfile at 8.15 (USER 1000 kibana; no VOLUME; ENTRYPOINT tini -- /usr/local/bin/kibana-docker) and bin/kibana (KBN_PATH_CONF)",
        user: "kibana",
        uid: 1000,
        root_default: false,
        volumes: &[],
        entrypoint: &["/bin/tini", "--", "/usr/local/bin/kibana-docker"],
        config: "KBN_PATH_CONF (default /usr/share/kibana/config)",
        programs: programs!(DEBIAN_BASE; "curl"),
    },
    ImageContract {
        image: default_image(ServiceKind::Logstash),
        source: "elastic/logstash docker/templates/Dockerfile.erb at 8.15 (USER 1000 logstash; no VOLUME; ENTRYPOINT /usr/local/bin/docker-entrypoint) and bin/logstash (--path.settings)",
        user: "logstash",
        uid: 1000,
        root_default: false,
        volumes: &[],
        entrypoint: &["/usr/local/bin/docker-entrypoint"],
        config: "logstash --path.settings <dir>",
        programs: programs!(DEBIAN_BASE; "/usr/share/logstash/bin/logstash", "curl"),
    },
    ImageContract {
        image: default_image(ServiceKind::Telegraf),
        source: "influxdata/influxdata-docker telegraf/1.32/Dockerfile (debian bookworm; useradd telegraf 999; no VOLUME; /entrypoint.sh drops to telegraf with setpriv when started as root)",
        user: "telegraf",
        uid: 999,
        root_default: true,
        volumes: &[],
        entrypoint: &["/entrypoint.sh", "telegraf"],
        config: "telegraf --config <file>",
        programs: programs!(DEBIAN_BASE; "telegraf"),
    },
    ImageContract {
        image: FLUENTD_CLOUDWATCH,
        source: "fluent/fluentd-kubernetes-daemonset docker-image/v1.17/debian-cloudwatch/Dockerfile (runs as root; no VOLUME; entrypoint.sh: fluentd -c /fluentd/etc/${FLUENTD_CONF})",
        user: "root",
        uid: 0,
        root_default: true,
        volumes: &[],
        entrypoint: &["tini", "--", "/fluentd/entrypoint.sh"],
        config: "/fluentd/etc/${FLUENTD_CONF}",
        programs: programs!(DEBIAN_BASE; "fluentd"),
    },
    ImageContract {
        image: NETWORK_TOOLS,
        source: "nicolaka/netshoot Dockerfile (Alpine; runs as root; apk add iproute2 iptables iptables-legacy curl ...; no VOLUME)",
        user: "root",
        uid: 0,
        root_default: true,
        volumes: &[],
        entrypoint: &["zsh"],
        config: "none",
        programs: programs!(ALPINE_BASE; "curl", "ip", "iptables-nft", "iptables-legacy"),
    },
];

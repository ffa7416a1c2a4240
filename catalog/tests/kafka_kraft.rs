//! A Kafka service in KRaft mode (3 brokers that are also the 3 KRaft controllers, JMX on) run as
//! rendered, with Kafka 4.4.0 from Maven Central (the pinned image's release) on loopback, one
//! address per member (`common::pods`): each member's `start.sh` (the log directory formatted
//! with the service's cluster id, then the broker) and the image's `kafka-storage.sh` and
//! `kafka-server-start.sh` (stand-ins written from upstream's contract,
//! tests/images/kafka/bin). The quorum must have the three voters and a leader; a topic with 3
//! copies must take a record through one broker and give it back through another; with a broker
//! stopped, the rendered `min.insync.replicas=2` must still take writes while a topic asking for
//! 3 in-sync copies must refuse them; and the broker, started again in the same pod, must find
//! its log directory formatted and serve the records.

mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use common::SpecSet;
use common::host::wait_for;
use common::pods::{Cluster, Image};

const JMX_PORT: u16 = 9093;

/// The example Cluster with a small Kafka service: 3 brokers, the default quorum (3 voters, on
/// the brokers), JMX on.
fn specs() -> SpecSet {
    let cluster = std::fs::read_to_string(common::repo().join("examples/cluster.yaml"))
        .expect("examples/cluster.yaml");
    SpecSet::from_yaml(&format!(
        "{cluster}\n---\napiVersion: firecamp.io/v1alpha1\nkind: Kafka\nmetadata: {{name: kafka}}\n\
         spec:\n  replicas: 3\n  heapSize: 512Mi\n  minInsyncReplicas: 2\n  staticIp: false\n  \
         jmx: {{password: {{secretName: kafka, key: jmx-password}}}}\n"
    ))
}

fn kafka_jars() -> PathBuf {
    let dir = common::maven_jars().join("kafka-4.4.0");
    assert!(
        dir.join("kafka_2.13-4.4.0.jar").is_file(),
        "no Kafka jars in {}: run `bash scripts/maven-jars.sh` (scripts/test.sh does)",
        dir.display()
    );
    dir
}

/// Every jar of the Kafka release, as a classpath.
fn classpath() -> String {
    let mut jars: Vec<String> = std::fs::read_dir(kafka_jars())
        .expect("the jar folder")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jar"))
        .map(|p| p.display().to_string())
        .collect();
    jars.sort();
    jars.join(":")
}

fn cluster() -> Cluster {
    Cluster::materialise(
        &specs(),
        "kafka",
        Image {
            image_folders: vec![(
                "/opt/kafka/bin",
                common::repo().join("catalog/tests/images/kafka/bin"),
            )],
            // JMX binds every address of the node; here each member binds its own.
            all_addresses: vec![(
                "-Dcom.sun.management.jmxremote.port=",
                "-Dcom.sun.management.jmxremote.host={address} -Dcom.sun.management.jmxremote.port=",
            )],
            env: vec![("STANDIN_CLASSPATH", classpath())],
            user: Some("appuser"),
            ..Image::default()
        },
    )
}

/// `tests/java/KafkaCheck.java`, compiled once against the release's kafka-clients.
fn check_classes() -> &'static Path {
    static CLASSES: OnceLock<tempfile::TempDir> = OnceLock::new();
    CLASSES
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let source = common::repo().join("catalog/tests/java/KafkaCheck.java");
            let status = Command::new("javac")
                .args(["-cp", &classpath(), "-d"])
                .arg(dir.path())
                .arg(source)
                .status()
                .expect("javac (the JDK is on every machine of this project's kind)");
            assert!(status.success(), "KafkaCheck.java compiles");
            dir
        })
        .path()
}

/// `KafkaCheck <command> <member's address>:9092 <args>`: its stdout.
fn check(cluster: &Cluster, member: usize, command: &str, args: &[&str]) -> String {
    let bootstrap = format!("{}:9092", cluster.members[member].address);
    let output = Command::new("java")
        .args(["-Xmx128m", "-cp"])
        .arg(format!("{}:{}", check_classes().display(), classpath()))
        .args(["KafkaCheck", command, &bootstrap])
        .args(args)
        .output()
        .expect("java runs");
    assert!(
        output.status.success(),
        "KafkaCheck {command} {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        cluster.logs()
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The in-sync replicas of each partition, from `KafkaCheck isr` ("<partition> <leader> [a, b]").
fn in_sync(output: &str) -> Vec<Vec<u32>> {
    output
        .lines()
        .filter_map(|line| {
            let list = line.split_once('[')?.1.strip_suffix(']')?;
            Some(
                list.split(", ")
                    .filter_map(|id| id.trim().parse().ok())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn the_rendered_kraft_cluster_forms_serves_honours_min_isr_and_takes_a_restarted_broker_back() {
    let mut cluster = cluster();
    assert_eq!(cluster.members.len(), 3);
    for member in &cluster.members {
        let env: Vec<&str> = member
            .container()
            .env
            .iter()
            .flatten()
            .map(|v| v.name.as_str())
            .collect();
        assert!(
            !env.contains(&"JMX_PORT") && !env.contains(&"KAFKA_JMX_OPTS"),
            "JMX is the broker's own, not every Kafka tool's in the pod: {env:?}"
        );
    }
    cluster.start_all_and_await_ready(Duration::from_secs(120));
    for member in &cluster.members {
        assert!(
            TcpStream::connect((member.address, JMX_PORT)).is_ok(),
            "{} has JMX on, as rendered",
            member.name
        );
    }

    let mut quorum = String::new();
    wait_for(
        "the KRaft quorum has a leader",
        Duration::from_secs(60),
        || {
            quorum = check(&cluster, 0, "quorum", &[]);
            quorum
                .lines()
                .any(|l| l.starts_with("leader ") && l != "leader -1")
        },
    );
    let voters: Vec<&str> = quorum.lines().filter(|l| l.starts_with("voter ")).collect();
    assert_eq!(voters, ["voter 0", "voter 1", "voter 2"], "{quorum}");

    assert!(check(&cluster, 0, "topic", &["orders", "3", "3"]).contains("created"));
    assert!(check(&cluster, 0, "topic", &["strict", "3", "3", "3"]).contains("created"));
    assert!(
        check(&cluster, 1, "config", &["orders", "min.insync.replicas"]).starts_with("2 "),
        "the rendered min.insync.replicas is the brokers' default"
    );
    assert_eq!(
        check(&cluster, 0, "produce", &["orders", "first"]).trim(),
        "sent"
    );
    assert_eq!(
        check(&cluster, 2, "consume", &["orders", "1"]).trim(),
        "first"
    );

    // One broker stopped (it hands its partitions over as it goes): two copies still take writes,
    // a topic asking for three in sync refuses them.
    cluster.stop_and_check_probes_fail(1);
    wait_for(
        "the stopped broker leaves every in-sync replica set",
        Duration::from_secs(60),
        || {
            in_sync(&check(&cluster, 0, "isr", &["strict"]))
                .iter()
                .all(|isr| !isr.contains(&1))
        },
    );
    assert_eq!(
        check(&cluster, 0, "produce", &["orders", "second"]).trim(),
        "sent"
    );
    assert_eq!(
        check(&cluster, 0, "produce", &["strict", "x"]).trim(),
        "refused NotEnoughReplicasException"
    );

    // Started again in the same pod: its log directory is formatted already, and it serves both.
    cluster.start(1);
    cluster.await_ready(1, Duration::from_secs(120));
    assert!(
        cluster.members[1].log().contains("already formatted"),
        "the second start leaves the log directory as it is:\n{}",
        cluster.members[1].log()
    );
    let records = check(&cluster, 1, "consume", &["orders", "2"]);
    let mut records: Vec<&str> = records.lines().collect();
    records.sort_unstable();
    assert_eq!(records, ["first", "second"]);
}

//! The example ZooKeeper ensemble (3 members, JMX on) run as rendered, with Debian's ZooKeeper
//! (3.8, standing in for the pinned image's 3.9) on loopback, one address per member
//! (`common::pods`): each member's `start.sh` (myid, the JMX password files) and the image's
//! `zkServer.sh --config` (a stand-in written from upstream's contract,
//! tests/images/zookeeper/zkServer.sh). The ensemble must elect one leader, serve a znode written
//! through one member and read through another, answer the rendered probes while up (the
//! readiness probe with JMX on: the audit's blocker) and fail them once stopped, and take back a
//! member started again in the same pod.

mod common;

use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use common::SpecSet;
use common::host::wait_for;
use common::pods::{Cluster, Image};

const JMX_PORT: u16 = 2191;

fn ensemble() -> Cluster {
    Cluster::materialise(
        &SpecSet::examples(),
        "zk",
        Image {
            path: vec![common::repo().join("catalog/tests/images/zookeeper")],
            // Each member binds its own address: the rendered zoo.cfg binds the client port and
            // the quorum ports on every address of the node, and JMX does too.
            all_addresses: vec![
                ("quorumListenOnAllIPs=true", "quorumListenOnAllIPs=false"),
                (
                    "clientPort=2181",
                    "clientPortAddress={address}\nclientPort=2181",
                ),
                (
                    "-Dcom.sun.management.jmxremote.port=",
                    "-Dcom.sun.management.jmxremote.host={address} -Dcom.sun.management.jmxremote.port=",
                ),
            ],
            // ZooKeeper 3.9's logging, as the image ships it, so the rendered logback.xml is read.
            env: vec![("STANDIN_CLASSPATH", logging_jars())],
            ..Image::default()
        },
    )
}

/// logback 1.3.15 and slf4j 2.0.13: what ZooKeeper 3.9.5 ships (its parent POM; 3.9.6's is not served here), from Maven Central.
fn logging_jars() -> String {
    let jars = common::maven_jars();
    [
        "logback-classic-1.3.15",
        "logback-core-1.3.15",
        "slf4j-api-2.0.13",
    ]
    .iter()
    .map(|jar| jars.join(format!("{jar}.jar")).display().to_string())
    .collect::<Vec<_>>()
    .join(":")
}

/// The member's answer to the four-letter word `word`.
fn four_letter_word(cluster: &Cluster, member: &str, word: &str) -> String {
    let address = cluster.addresses()[member].to_string();
    let output = Command::new("sh")
        .args(["-c", &format!("echo {word} | nc -w 5 {address} 2181")])
        .output()
        .expect("nc runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn mode(cluster: &Cluster, member: &str) -> Option<String> {
    four_letter_word(cluster, member, "srvr")
        .lines()
        .find_map(|l| l.strip_prefix("Mode: ").map(str::to_owned))
}

/// Debian's `zkCli.sh` against one member.
fn cli(cluster: &Cluster, member: &str, words: &[&str]) -> String {
    let server = format!("{}:2181", cluster.addresses()[member]);
    let output = Command::new("/usr/share/zookeeper/bin/zkCli.sh")
        .args(["-server", &server])
        .args(words)
        .output()
        .expect("zkCli.sh runs");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_rendered_ensemble_elects_a_leader_serves_and_takes_a_restarted_member_back() {
    let mut cluster = ensemble();
    let names: Vec<String> = cluster.members.iter().map(|m| m.name.clone()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    cluster.start_all_and_await_ready(Duration::from_secs(90));
    for member in &cluster.members {
        assert!(
            TcpStream::connect((member.address, JMX_PORT)).is_ok(),
            "{} has JMX on, as rendered",
            member.name
        );
    }
    // One leader and two followers, once the election has settled.
    let mut modes: Vec<Option<String>> = Vec::new();
    wait_for(
        "one leader and two followers",
        Duration::from_secs(60),
        || {
            modes = names.iter().map(|n| mode(&cluster, n)).collect();
            let count = |wanted: &str| {
                modes
                    .iter()
                    .filter(|m| m.as_deref() == Some(wanted))
                    .count()
            };
            (count("leader"), count("follower")) == (1, 2)
        },
    );
    let leader = modes
        .iter()
        .position(|m| m.as_deref() == Some("leader"))
        .expect("a leader");
    let log = cluster.members[leader].log();
    assert!(
        log.contains("INFO") && log.contains("LEADING") && !log.contains("DEBUG"),
        "the rendered logback.xml logs INFO to the console:\n{log}"
    );

    let written = cli(&cluster, &names[0], &["create", "/firecamp-test", "hello"]);
    assert!(written.contains("Created /firecamp-test"), "{written}");
    wait_for(
        "the znode reads back through another member",
        Duration::from_secs(30),
        || cli(&cluster, &names[2], &["get", "/firecamp-test"]).contains("hello"),
    );

    // A follower stopped fails both probes; the other two keep a quorum; started again in the
    // same pod it rejoins with its data.
    let stopped = modes
        .iter()
        .position(|m| m.as_deref() == Some("follower"))
        .expect("a follower");
    cluster.stop_and_check_probes_fail(stopped);
    // (A member that sees a peer go may take part in an election first: a few seconds.)
    wait_for(
        "the other two members serve as a quorum",
        Duration::from_secs(30),
        || {
            (0..names.len())
                .filter(|i| *i != stopped)
                .all(|i| cluster.ready(i))
        },
    );
    cluster.start(stopped);
    cluster.await_ready(stopped, Duration::from_secs(90));
    assert_eq!(mode(&cluster, &names[stopped]).as_deref(), Some("follower"));
    assert!(cli(&cluster, &names[stopped], &["get", "/firecamp-test"]).contains("hello"));
}

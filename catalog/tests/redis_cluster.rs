//! The example Redis Cluster (3 shards × 2 members) run as rendered, with Debian's Redis (7.0,
//! standing in for the pinned image's 7.4) on loopback, one address per member
//! (`common::pods`): each member's `start.sh` with its env and Secret, then the init Job's
//! script. The cluster must form (`cluster_state:ok`, each replica under its own shard's master),
//! serve a key written through one member and read through another, answer the rendered probes
//! while up and fail them once stopped, and take back a member started again in the same pod.

mod common;

use std::process::Command;
use std::time::Duration;

use common::SpecSet;
use common::host::wait_for;
use common::pods::{Cluster, Image, secret_value};

const SERVICE: &str = "sessions-redis";

fn cluster() -> Cluster {
    Cluster::materialise(
        &SpecSet::examples(),
        SERVICE,
        Image {
            // The readiness probe's `redis-cli -p 6379 ping` dials the pod's own localhost.
            localhost_clients: vec![("redis-cli", "-h")],
            ..Image::default()
        },
    )
}

/// `redis-cli` as a client of the cluster, with the service's password.
fn redis(cluster: &Cluster, member: &str, words: &[&str]) -> String {
    let address = cluster.addresses()[member].to_string();
    let output = Command::new("redis-cli")
        .args(["-c", "-h", &address, "-p", "6379"])
        .args(words)
        .env("REDISCLI_AUTH", secret_value(SERVICE, "password"))
        .output()
        .expect("redis-cli runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_rendered_cluster_forms_serves_and_takes_a_restarted_member_back() {
    let mut cluster = cluster();
    let names: Vec<String> = cluster.members.iter().map(|m| m.name.clone()).collect();
    assert_eq!(names.len(), 6, "{names:?}");
    cluster.start_all_and_await_ready(Duration::from_secs(30));
    let init = cluster.run_job("init", Duration::from_secs(180));
    assert!(init.succeeded, "{}", init.log);
    for name in &names {
        wait_for(
            &format!("{name} does not see cluster_state:ok and all 6 nodes"),
            Duration::from_secs(60),
            || {
                let info = redis(&cluster, name, &["cluster", "info"]);
                info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:6")
            },
        );
    }
    // Each shard: its member 0 the master, the other its replica (once the gossip has settled).
    let addresses = cluster.addresses();
    let mut nodes = String::new();
    let shards_as_rendered = |nodes: &str| {
        let line_of = |member: &str| {
            let address = format!(" {}:6379@", addresses[member]);
            nodes
                .lines()
                .find(|l| l.contains(&address) && l.split(' ').nth(7) == Some("connected"))
                .map(|l| l.split(' ').map(str::to_owned).collect::<Vec<_>>())
        };
        (0..3).all(|shard| {
            let members: Vec<&String> = names
                .iter()
                .filter(|n| n.starts_with(&format!("{SERVICE}-shard{shard}-")))
                .collect();
            let (Some(master), Some(replica)) = (line_of(members[0]), line_of(members[1])) else {
                return false;
            };
            master[2].contains("master") && replica[2].contains("slave") && replica[3] == master[0]
        })
    };
    wait_for(
        "each replica follows its own shard's master",
        Duration::from_secs(60),
        || {
            nodes = redis(&cluster, &names[0], &["cluster", "nodes"]);
            shards_as_rendered(&nodes)
        },
    );
    let id_of = |member: &str| {
        let address = format!(" {}:6379@", addresses[member]);
        nodes
            .lines()
            .find(|l| l.contains(&address))
            .and_then(|l| l.split(' ').next())
            .unwrap_or_else(|| panic!("{member} is not in the cluster:\n{nodes}"))
            .to_owned()
    };
    // A key written through one member is read through another (redirected to its shard).
    assert!(redis(&cluster, &names[0], &["set", "session:42", "alice"]).contains("OK"));
    wait_for("the key reads back", Duration::from_secs(10), || {
        redis(&cluster, &names[5], &["get", "session:42"]).trim() == "alice"
    });
    // The init Job runs again without harm.
    let again = cluster.run_job("init", Duration::from_secs(60));
    assert!(again.succeeded, "{}", again.log);

    // A stopped member fails both probes; started again in the same pod it rejoins as itself.
    let stopped = names
        .iter()
        .position(|n| n.ends_with("shard1-c-0"))
        .expect("shard1-c-0");
    let id = id_of(&names[stopped]);
    cluster.stop_and_check_probes_fail(stopped);
    cluster.start(stopped);
    cluster.await_ready(stopped, Duration::from_secs(30));
    wait_for(
        "the restarted member rejoins",
        Duration::from_secs(60),
        || {
            let info = redis(&cluster, &names[stopped], &["cluster", "info"]);
            let me = redis(&cluster, &names[stopped], &["cluster", "myid"]);
            info.contains("cluster_state:ok") && me.trim() == id
        },
    );
    assert_eq!(
        redis(&cluster, &names[stopped], &["get", "session:42"]).trim(),
        "alice"
    );
}

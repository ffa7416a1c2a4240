//! The example PostgreSQL service (a primary and 2 standbys) run as rendered, with Debian's
//! PostgreSQL (15, standing in for the pinned image's 16) on loopback, one address per member
//! (`common::pods`), as uid 999: the primary's `start.sh` through the image's entrypoint (a
//! stand-in written from its contract, tests/images/postgres/docker-entrypoint.sh) with the
//! rendered replication-user init script, each standby's `start.sh` cloning the primary with
//! `pg_basebackup` and streaming. A row written on the primary must be read on both standbys; the
//! rendered probes pass while up and fail once stopped; each standby streams through a physical
//! replication slot of its own, capped by `max_slot_wal_keep_size`; a standby and then the primary
//! started again in the same pod come back with their data, and the standby catches up; a clone
//! cut short is cloned again (its slot left on the primary dropped first), not run as a database.

mod common;

use std::process::Command;
use std::time::Duration;

use common::SpecSet;
use common::host::wait_for;
use common::pods::{Cluster, Image, secret_value};

const SERVICE: &str = "billing-pg";

fn service() -> Cluster {
    Cluster::materialise(
        &SpecSet::examples(),
        SERVICE,
        Image {
            path: vec![
                common::repo().join("catalog/tests/images/postgres"),
                "/usr/lib/postgresql/15/bin".into(),
            ],
            // Each member listens on its own address: the rendered file listens on every one.
            all_addresses: vec![("listen_addresses = '*'", "listen_addresses = '{address}'")],
            // docker-library/postgres: `useradd -r -g postgres --uid=999 ... postgres`.
            user: Some("postgres"),
            // Its Dockerfile: `mkdir -p /var/run/postgresql && chmod 3777 /var/run/postgresql`.
            folders: vec!["/var/run/postgresql"],
            ..Image::default()
        },
    )
}

/// `psql` as a client of member `index`, with the admin password over TCP (SCRAM).
fn sql(cluster: &Cluster, index: usize, query: &str) -> Result<String, String> {
    let output = Command::new("/usr/lib/postgresql/15/bin/psql")
        .args([
            "-h",
            &cluster.members[index].address.to_string(),
            "-p",
            "5432",
        ])
        .args(["-U", "postgres", "-d", "postgres", "-tAc", query])
        .env("PGPASSWORD", secret_value(SERVICE, "postgres-password"))
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
        .expect("psql runs");
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[test]
fn the_rendered_primary_and_standbys_replicate_and_take_restarted_members_back() {
    let mut cluster = service();
    let names: Vec<String> = cluster.members.iter().map(|m| m.name.clone()).collect();
    assert_eq!(
        names,
        [
            "billing-pg-primary-a-0",
            "billing-pg-standby-b-0",
            "billing-pg-standby-c-0"
        ]
    );
    cluster.start_all_and_await_ready(Duration::from_secs(120));
    wait_for(
        "both standbys stream from the primary",
        Duration::from_secs(30),
        || {
            sql(
                &cluster,
                0,
                "select count(*) from pg_stat_replication where state = 'streaming'",
            )
            .is_ok_and(|n| n == "2")
        },
    );
    let replication_user = sql(
        &cluster,
        0,
        "select usename from pg_stat_replication limit 1",
    );
    assert_eq!(
        replication_user.as_deref(),
        Ok("repluser"),
        "the rendered user replicates"
    );
    for standby in [1, 2] {
        assert_eq!(
            sql(&cluster, standby, "select pg_is_in_recovery()").as_deref(),
            Ok("t")
        );
    }
    // Each standby streams through its own slot; the slots keep at most half the WAL volume.
    let slots = "select string_agg(slot_name || ':' || active, ',' order by slot_name) \
                 from pg_replication_slots where slot_type = 'physical'";
    wait_for("both slots are active", Duration::from_secs(30), || {
        sql(&cluster, 0, slots).as_deref()
            == Ok("billing_pg_standby_b_0:true,billing_pg_standby_c_0:true")
    });
    assert_eq!(
        sql(&cluster, 0, "show max_slot_wal_keep_size").as_deref(),
        Ok("25GB"),
        "half of the 50Gi journal volume"
    );

    sql(
        &cluster,
        0,
        "create table invoices (id int primary key, total int)",
    )
    .expect("create");
    sql(&cluster, 0, "insert into invoices values (1, 100)").expect("insert");
    for standby in [1, 2] {
        wait_for(
            "the row reads on the standby",
            Duration::from_secs(30),
            || {
                sql(&cluster, standby, "select total from invoices where id = 1")
                    .is_ok_and(|t| t == "100")
            },
        );
    }

    // A standby stopped fails both probes; started again in the same pod it streams again and
    // catches up on what was written meanwhile.
    cluster.stop_and_check_probes_fail(2);
    sql(&cluster, 0, "insert into invoices values (2, 200)")
        .expect("insert while a standby is down");
    cluster.start(2);
    cluster.await_ready(2, Duration::from_secs(60));
    wait_for(
        "the restarted standby catches up",
        Duration::from_secs(30),
        || sql(&cluster, 2, "select total from invoices where id = 2").is_ok_and(|t| t == "200"),
    );
    // A clone cut short (the marker left, the copy partial) is cloned again at the next start,
    // through the slot it had: the start script drops it first, or `pg_basebackup -C` would fail.
    cluster.members[2].stop();
    let root = cluster.members[2].root.clone();
    let marker = root.join("data/pgdata.cloning");
    std::fs::write(&marker, "").expect("marker");
    // As the container's user left it (uid 999).
    let _ = std::os::unix::fs::chown(&marker, Some(999), Some(999));
    std::fs::remove_file(root.join("data/pgdata/global/pg_control")).expect("a partial copy");
    cluster.start(2);
    cluster.await_ready(2, Duration::from_secs(60));
    assert!(
        cluster.members[2].log().contains("no complete clone"),
        "{}",
        cluster.members[2].log()
    );
    assert!(
        !root.join("data/pgdata.cloning").exists(),
        "the clone completed"
    );
    wait_for("the slot is active again", Duration::from_secs(30), || {
        sql(&cluster, 0, slots).as_deref()
            == Ok("billing_pg_standby_b_0:true,billing_pg_standby_c_0:true")
    });
    assert_eq!(
        sql(&cluster, 2, "select sum(total) from invoices").as_deref(),
        Ok("300")
    );
    // The primary started again keeps its database (the entrypoint skips initdb).
    cluster.members[0].stop();
    cluster.start(0);
    cluster.await_ready(0, Duration::from_secs(60));
    assert_eq!(
        sql(&cluster, 0, "select sum(total) from invoices").as_deref(),
        Ok("300")
    );
    sql(&cluster, 0, "insert into invoices values (3, 300)").expect("insert after the restart");
    wait_for(
        "the standbys follow the restarted primary",
        Duration::from_secs(60),
        || {
            [1, 2].iter().all(|s| {
                sql(&cluster, *s, "select total from invoices where id = 3")
                    .is_ok_and(|t| t == "300")
            })
        },
    );
}

//! KafkaSinkES's rendered `start.sh`, run by `sh` with the image's paths mapped under a temporary
//! folder, `connect-distributed` replaced by a program that only reports its arguments, and a
//! `confluent-hub` on the `PATH` that records being called: a worker whose image has the
//! Elasticsearch sink starts, one whose image lacks it stops with what to do, and neither
//! downloads anything (the audit's blocker: the connector was fetched from Confluent Hub at every
//! start).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

/// Runs the example's `start.sh` under `root`, with the connector installed in the image or not.
fn run(root: &Path, installed: bool) -> Output {
    let r = root.display();
    let mapped = common::example_file("logs-sink", "start.sh")
        .replace("exec connect-distributed", "exec echo connect-distributed")
        .replace("/usr/share/", &format!("{r}/usr/share/"))
        .replace("/etc/firecamp", &format!("{r}/config"))
        .replace("/run/firecamp", &format!("{r}/run"));
    for dir in [
        "config",
        "run",
        "bin",
        "usr/share/java/kafka",
        "usr/share/confluent-hub-components",
    ] {
        std::fs::create_dir_all(root.join(dir)).expect("folder");
    }
    std::fs::write(
        root.join("config/worker.properties"),
        common::example_file("logs-sink", "worker.properties"),
    )
    .expect("worker.properties");
    if installed {
        let connector = root.join(
            "usr/share/confluent-hub-components/confluentinc-kafka-connect-elasticsearch/lib",
        );
        std::fs::create_dir_all(connector).expect("connector");
    }
    let hub = root.join("bin/confluent-hub");
    std::fs::write(&hub, format!("#!/bin/sh\ntouch {r}/downloaded\n")).expect("stand-in");
    std::fs::set_permissions(&hub, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    Command::new("sh")
        .args(["-c", &mapped])
        .env("PATH", format!("{r}/bin:/usr/bin:/bin"))
        .env("POD_NAME", "logs-sink-worker-a-0")
        .output()
        .expect("sh runs")
}

#[test]
fn a_worker_starts_with_the_images_connector_and_downloads_nothing() {
    let root = tempfile::tempdir().expect("temp dir");
    let out = run(root.path(), true);
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("connect-distributed"),
        "{out:?}"
    );
    assert!(
        !root.path().join("downloaded").exists(),
        "nothing downloaded"
    );
    let properties =
        std::fs::read_to_string(root.path().join("run/worker.properties")).expect("written");
    assert!(
        properties.contains("rest.advertised.host.name=logs-sink-worker-a-0."),
        "{properties}"
    );
}

#[test]
fn a_worker_whose_image_lacks_the_connector_stops_and_says_what_to_do() {
    let root = tempfile::tempdir().expect("temp dir");
    let out = run(root.path(), false);
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("deploy/images/kafka-connect-elasticsearch")
            && stderr.contains("spec.image"),
        "{stderr}"
    );
    assert!(
        !root.path().join("downloaded").exists(),
        "nothing downloaded"
    );
    assert!(String::from_utf8_lossy(&out.stdout).is_empty());
}

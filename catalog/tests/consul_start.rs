//! Consul's rendered `start.sh`, run by `sh` with the image's paths mapped under a temporary
//! folder and `consul` replaced by a program that only reports its arguments (the Consul agent
//! does not run here): the gossip key file is private from its first byte, also when the script
//! runs again in the same pod (a container restart keeps the runtime emptyDir), and the agent is
//! bound to the member's static IP.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const POD: &str = "consul-server-a-0";
const ADDRESS: &str = "10.0.16.9";

/// The rendered `start.sh` of the example Consul.
fn start_script() -> String {
    common::example_file("consul", "start.sh")
}

/// Runs the script under `root` with the gossip key `key`.
fn run(root: &Path, key: &str) -> Output {
    let r = root.display();
    let mapped = start_script()
        .replace("exec consul agent", "exec echo consul agent")
        .replace("/etc/firecamp-static-ip", &format!("{r}/static-ip"))
        .replace("/etc/firecamp", &format!("{r}/config"))
        .replace("/run/firecamp", &format!("{r}/run"))
        .replace("/data/", &format!("{r}/data/"));
    for dir in ["static-ip", "config", "run", "data"] {
        std::fs::create_dir_all(root.join(dir)).expect("folder");
    }
    std::fs::write(root.join("static-ip").join(POD), ADDRESS).expect("allocation");
    Command::new("sh")
        .args(["-c", &mapped])
        .env("POD_NAME", POD)
        .env("CONSUL_ENCRYPT", key)
        .output()
        .expect("sh runs")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_gossip_key_file_is_private_from_the_start_and_on_every_run() {
    let root = tempfile::tempdir().expect("temp dir");
    let key_file = root.path().join("run/encrypt.json");
    // What an earlier version left in the emptyDir: the key file readable by all.
    std::fs::create_dir_all(root.path().join("run")).expect("run");
    std::fs::write(&key_file, "{}").expect("old file");
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    for round in 0..2 {
        let out = run(root.path(), "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=");
        assert!(out.status.success(), "round {round}: {out:?}");
        assert_eq!(mode(&key_file), 0o600, "round {round}");
        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&key_file).expect("read")).expect("JSON");
        assert_eq!(
            written["encrypt"],
            "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s="
        );
        let args = String::from_utf8_lossy(&out.stdout);
        assert!(
            args.contains(&format!("-bind={ADDRESS} -advertise={ADDRESS} -node={POD}")),
            "{args}"
        );
    }
}

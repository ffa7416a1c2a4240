//! MongoDB's rendered `start.sh`, run by `sh` as the image's user (uid 999, through `setpriv`)
//! with the image's paths mapped under a temporary folder and `mongod` replaced by a program that
//! only reports its arguments (mongod does not run here): the key file copy is private and the script runs again in the same pod (a
//! container restart keeps the runtime emptyDir, where the first run left a 0400 file); the data
//! directory is on the member's volume, never under a `VOLUME` the image declares.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output};

/// The `VOLUME`s of the `mongo:7.0` image: docker-library/mongo `7.0/Dockerfile`,
/// `VOLUME /data/db /data/configdb`.
const IMAGE_VOLUMES: [&str; 2] = ["/data/db", "/data/configdb"];

/// Runs the example replica set's `start.sh` under `root`.
fn run(root: &Path) -> Output {
    let r = root.display();
    let mapped = common::example_file("catalog-mongo", "start.sh")
        .replace("exec mongod", "exec echo mongod")
        .replace("/etc/firecamp-secrets", &format!("{r}/secrets"))
        .replace("/etc/firecamp", &format!("{r}/config"))
        .replace("/run/firecamp", &format!("{r}/run"))
        .replace("/journal/", &format!("{r}/journal/"))
        .replace("/data/", &format!("{r}/data/"));
    let open = std::fs::Permissions::from_mode(0o777);
    std::fs::set_permissions(root, open.clone()).expect("chmod");
    for dir in ["secrets", "config", "run", "data", "journal"] {
        std::fs::create_dir_all(root.join(dir)).expect("folder");
        std::fs::set_permissions(root.join(dir), open.clone()).expect("chmod");
    }
    std::fs::write(root.join("secrets/keyfile"), "c2VjcmV0LWtleQ==\n").expect("key");
    // As the image's user (uid 999), not root: root writes over a 0400 file, mongodb cannot.
    let as_root = std::fs::metadata("/proc/self").expect("proc").uid() == 0;
    let mut command = if as_root {
        let mut setpriv = Command::new("setpriv");
        setpriv.args([
            "--reuid=999",
            "--regid=999",
            "--clear-groups",
            "sh",
            "-c",
            &mapped,
        ]);
        setpriv
    } else {
        let mut sh = Command::new("sh");
        sh.args(["-c", &mapped]);
        sh
    };
    command
        .env("FIRECAMP_ROLE", "replica")
        .output()
        .expect("setpriv runs")
}

#[test]
fn the_key_file_is_private_and_the_script_runs_again_in_the_same_pod() {
    let root = tempfile::tempdir().expect("temp dir");
    let copy = root.path().join("run/keyfile");
    for round in 0..2 {
        let out = run(root.path());
        assert!(out.status.success(), "round {round}: {out:?}");
        let mode = std::fs::metadata(&copy)
            .expect("copied")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o400, "round {round}");
        assert_eq!(
            std::fs::read_to_string(&copy).expect("read"),
            "c2VjcmV0LWtleQ==\n"
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("mongod --config"),
            "{out:?}"
        );
    }
    let journal = std::fs::read_link(root.path().join("data/mongodb/journal")).expect("a link");
    assert!(
        journal.ends_with("journal/mongodb-journal"),
        "{}",
        journal.display()
    );
}

#[test]
fn the_data_directory_is_on_the_volume_and_under_no_image_volume() {
    let conf = common::example_file("catalog-mongo", "mongod-replica.conf");
    let parsed = common::formats::yaml(&conf).expect("YAML");
    let db_path = parsed[0]["storage"]["dbPath"].as_str().expect("dbPath");
    assert!(
        db_path.starts_with(firecamp_catalog::blueprint::DATA_DIR),
        "{db_path}"
    );
    for volume in IMAGE_VOLUMES {
        assert!(
            db_path != volume && !db_path.starts_with(&format!("{volume}/")),
            "{db_path} is under the image's VOLUME {volume}: containerd mounts an anonymous volume there"
        );
    }
}

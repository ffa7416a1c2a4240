//! What the cluster harness ([`super::pods`]) needs of this machine: loopback subnets, users and
//! nss_wrapper, folders open to the containers' users, processes and conditions waited on with a timeout.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Expands Kubernetes' `$(VAR)` references to the variables defined before.
pub fn expand(value: &str, env: &[(String, String)]) -> String {
    let mut out = value.to_owned();
    for (name, v) in env {
        out = out.replace(&format!("$({name})"), v);
    }
    out
}

pub fn random_subnet() -> (u8, u8) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .subsec_nanos()
        ^ std::process::id().rotate_left(16);
    let bytes = nanos.to_le_bytes();
    (bytes[0].max(1), bytes[1])
}

/// Whether this machine's passwd database knows `uid`.
pub fn known_uid(uid: i64) -> bool {
    Command::new("getent")
        .args(["passwd", &uid.to_string()])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The environment that gives `uid` the name `name` through nss_wrapper, its files under `root`.
pub fn nss_wrapper(root: &Path, name: &str, uid: i64) -> Vec<(String, String)> {
    let library = [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib",
    ]
    .iter()
    .map(|dir| Path::new(dir).join("libnss_wrapper.so"))
    .find(|p| p.is_file())
    .expect("libnss_wrapper.so is installed (scripts/test.sh installs libnss-wrapper)");
    let passwd = root.join(".passwd");
    let group = root.join(".group");
    std::fs::write(
        &passwd,
        format!("{name}:x:{uid}:{uid}:{name}:{}:/bin/sh\n", root.display()),
    )
    .expect("passwd");
    std::fs::write(&group, format!("{name}:x:{uid}:\n")).expect("group");
    vec![
        ("LD_PRELOAD".to_owned(), library.display().to_string()),
        (
            "NSS_WRAPPER_PASSWD".to_owned(),
            passwd.display().to_string(),
        ),
        ("NSS_WRAPPER_GROUP".to_owned(), group.display().to_string()),
    ]
}

/// Whether the tests run as root (and can run containers as their users).
pub fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Makes `path` reachable by the containers' users.
pub fn open_to_all(path: &Path) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).expect("chmod");
}

pub fn log_file(root: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(root.join("container.log"))
        .expect("log file")
}

pub fn which(program: &str, first: &[PathBuf]) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    first
        .iter()
        .cloned()
        .chain(std::env::split_paths(&path))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("{program} is not installed: scripts/test.sh installs it"))
}

/// Waits for `child` at most `timeout`, then kills it and fails.
pub fn wait_with_timeout(mut child: Child, timeout: Duration, what: &str) -> Output {
    let deadline = Instant::now() + timeout;
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            if what == "probe" {
                return output;
            }
            panic!(
                "{what} did not end within {timeout:?}: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls `done` every 250 ms until it holds; fails with `what` after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "{what} after {timeout:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

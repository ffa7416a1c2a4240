//! One pod of the cluster harness ([`super::pods`]): a member, or a Job's pod.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Container, PodSpec};

/// One member (or one Job's pod).
pub struct Pod {
    /// The pod's name.
    pub name: String,
    /// Its member address.
    pub address: Ipv4Addr,
    /// The folder its paths are mapped under.
    pub root: PathBuf,
    pub(crate) spec: PodSpec,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) process: Option<Child>,
}

impl Pod {
    /// The pod's (first) container.
    pub fn container(&self) -> &Container {
        &self.spec.containers[0]
    }

    /// Stops the container as the kubelet does: SIGTERM, then SIGKILL after a grace period of
    /// 10 s. Its folders stay, as a container restart keeps them.
    pub fn stop(&mut self) {
        let Some(mut child) = self.process.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Every path its containers mount.
    pub fn spec_mounts(&self) -> Vec<String> {
        self.spec
            .containers
            .iter()
            .chain(self.spec.init_containers.iter().flatten())
            .flat_map(|c| c.volume_mounts.iter().flatten())
            .map(|m| m.mount_path.clone())
            .collect()
    }

    /// What it has written to its stdout and stderr.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("container.log")).unwrap_or_default()
    }
}

impl Drop for Pod {
    fn drop(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

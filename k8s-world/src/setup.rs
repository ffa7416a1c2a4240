//! The files a world starts from: the binaries (built by `scripts/k8s-build.sh`), its folder,
//! kwok's stage files and kubeconfigs.

use std::path::{Path, PathBuf};

use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::json;

use crate::WorldError;

/// The repository root (this crate's parent folder).
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The folder with the binaries: `FIRECAMP_K8S_BIN` when set, else what `scripts/k8s-build.sh`
/// prints (it builds once per version and then answers from its cache at once).
pub fn binaries() -> Result<PathBuf, WorldError> {
    if let Some(dir) = std::env::var_os("FIRECAMP_K8S_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let script = repo().join("scripts/k8s-build.sh");
    let output = std::process::Command::new("bash")
        .arg(&script)
        .output()
        .map_err(|e| WorldError::io(&script, e))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    match stdout.lines().last() {
        Some(dir) if output.status.success() => Ok(PathBuf::from(dir.trim())),
        _ => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let lines: Vec<&str> = stderr.lines().collect();
            Err(WorldError::Build {
                status: output.status.to_string(),
                stderr: lines[lines.len().saturating_sub(30)..].join("\n"),
            })
        }
    }
}

/// A client from a kubeconfig file.
pub(crate) async fn client_of(path: &Path) -> Result<kube::Client, WorldError> {
    let kubeconfig = Kubeconfig::read_from(path)
        .map_err(|e| WorldError::Kubernetes(format!("kubeconfig: {e}")))?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(|e| WorldError::Kubernetes(format!("kubeconfig: {e}")))?;
    kube::Client::try_from(config).map_err(WorldError::kube("client"))
}

/// A new folder for one world's files.
pub(crate) fn run_dir() -> Result<PathBuf, WorldError> {
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = base.join(format!("firecamp-k8s-world-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| WorldError::io(&dir, e))?;
    Ok(dir)
}

/// kwok's own stages (from its module, linked beside the binaries by the build script) and the
/// world's, as the comma-separated `--config` list.
pub(crate) fn stage_files(bin: &Path, dir: &Path) -> Result<String, WorldError> {
    let kwok = bin.join("../kwok-stages");
    let ours = dir.join("firecamp-stages.yaml");
    std::fs::write(&ours, include_str!("stages.yaml")).map_err(|e| WorldError::io(&ours, e))?;
    let files = [
        kwok.join("node/fast/node-initialize.yaml"),
        kwok.join("node/heartbeat-with-lease/node-heartbeat-with-lease.yaml"),
        kwok.join("pod/fast/pod-ready.yaml"),
        kwok.join("pod/fast/pod-complete.yaml"),
        kwok.join("pod/fast/pod-delete.yaml"),
        ours,
    ];
    for file in &files {
        if !file.is_file() {
            return Err(WorldError::io(
                file,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
    }
    Ok(files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(","))
}

/// A kubeconfig (JSON) for `server` with a bearer token.
pub(crate) fn kubeconfig_text(server: &str, ca_cert: &Path, token: &str) -> String {
    json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "firecamp-test-world",
                      "cluster": {"server": server, "certificate-authority": ca_cert}}],
        "users": [{"name": "user", "user": {"token": token}}],
        "contexts": [{"name": "firecamp-test-world",
                      "context": {"cluster": "firecamp-test-world", "user": "user"}}],
        "current-context": "firecamp-test-world"
    })
    .to_string()
}

//! A real Kubernetes control plane on loopback, for firecamp's tests and for trying firecamp
//! without EKS: etcd, kube-apiserver, kube-controller-manager and kube-scheduler built from Go
//! modules by `scripts/k8s-build.sh`, kwok for fake nodes and pod lifecycle, and the EBS CSI
//! driver's controller side for volumes ([`volumes`]). Every component listens on 127.0.0.1 on a
//! free port (or on none), TLS with a CA of its own, data in a temporary folder; the processes
//! stop when the [`ControlPlane`] is dropped, or when the process that started them exits.

mod error;
pub mod nodes;
mod pki;
mod process;
mod setup;
pub mod volumes;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::json;

pub use error::WorldError;
pub use nodes::{FakeNode, set_nodes};
use pki::Pki;
use process::{Component, free_port, start_watchdog, tail};
pub use setup::binaries;
use setup::{client_of, kubeconfig_text, run_dir, stage_files};

/// The components a test may pause (`SIGSTOP`) to hold the cluster still.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Controllers {
    /// kube-controller-manager (StatefulSets, Jobs, garbage collection, volume binding, ...).
    ControllerManager,
    /// kwok (pod and node status).
    Kwok,
}

/// A running control plane.
#[derive(Debug)]
pub struct ControlPlane {
    dir: PathBuf,
    ca_cert: PathBuf,
    kubeconfig: PathBuf,
    server: String,
    components: Vec<Component>,
}

impl ControlPlane {
    /// Starts a control plane and waits until it serves and its controllers run. Blocking; it
    /// runs its own Tokio runtime on a thread of its own, so it may be called from async code.
    pub fn start() -> Result<Self, WorldError> {
        std::thread::spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| WorldError::io(Path::new("tokio runtime"), e))?
                .block_on(Self::start_async())
        })
        .join()
        .unwrap_or_else(|_| Err(WorldError::Kubernetes("start-up panicked".to_owned())))
    }

    async fn start_async() -> Result<Self, WorldError> {
        let bin = binaries()?;
        let dir = run_dir()?;
        let pki = Pki::create(&dir.join("pki"))?;
        let (etcd_client, etcd_peer, api_port) = (free_port()?, free_port()?, free_port()?);
        let server = format!("https://127.0.0.1:{api_port}");
        let mut plane = Self {
            kubeconfig: dir.join("kubeconfig"),
            ca_cert: pki.ca_cert.clone(),
            dir: dir.clone(),
            server: server.clone(),
            components: Vec::new(),
        };
        std::fs::write(
            &plane.kubeconfig,
            kubeconfig_text(&server, &pki.ca_cert, &pki.admin_token),
        )
        .map_err(|e| WorldError::io(&plane.kubeconfig, e))?;
        let p = |path: &Path| path.display().to_string();
        let etcd_url = format!("http://127.0.0.1:{etcd_client}");
        let peer_url = format!("http://127.0.0.1:{etcd_peer}");
        plane.spawn(
            "etcd",
            &bin.join("etcd"),
            &[
                "--name=world".to_owned(),
                format!("--data-dir={}", p(&dir.join("etcd"))),
                "--unsafe-no-fsync=true".to_owned(),
                format!("--listen-client-urls={etcd_url}"),
                format!("--advertise-client-urls={etcd_url}"),
                format!("--listen-peer-urls={peer_url}"),
                format!("--initial-advertise-peer-urls={peer_url}"),
                format!("--initial-cluster=world={peer_url}"),
                "--auto-compaction-retention=1".to_owned(),
                "--log-level=warn".to_owned(),
            ],
        )?;
        plane.spawn(
            "kube-apiserver",
            &bin.join("kube-apiserver"),
            &[
                format!("--etcd-servers={etcd_url}"),
                "--bind-address=127.0.0.1".to_owned(),
                format!("--secure-port={api_port}"),
                format!("--cert-dir={}", p(&dir.join("apiserver-certs"))),
                format!("--tls-cert-file={}", p(&pki.server_cert)),
                format!("--tls-private-key-file={}", p(&pki.server_key)),
                format!("--client-ca-file={}", p(&pki.ca_cert)),
                format!("--token-auth-file={}", p(&pki.tokens)),
                "--authorization-mode=Node,RBAC".to_owned(),
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local".to_owned(),
                format!("--service-account-key-file={}", p(&pki.sa_pub)),
                format!("--service-account-signing-key-file={}", p(&pki.sa_key)),
                "--service-cluster-ip-range=10.96.0.0/16".to_owned(),
                "--allow-privileged=true".to_owned(),
                "--profiling=false".to_owned(),
                "--endpoint-reconciler-type=none".to_owned(),
            ],
        )?;
        let client = plane.client().await?;
        plane.wait_ready(&client, Duration::from_secs(120)).await?;
        let kubeconfig = p(&plane.kubeconfig);
        plane.spawn(
            "kube-controller-manager",
            &bin.join("kube-controller-manager"),
            &[
                format!("--kubeconfig={kubeconfig}"),
                "--leader-elect=false".to_owned(),
                "--bind-address=127.0.0.1".to_owned(),
                "--secure-port=0".to_owned(),
                format!("--root-ca-file={}", p(&pki.ca_cert)),
                format!("--service-account-private-key-file={}", p(&pki.sa_key)),
                format!("--cluster-signing-cert-file={}", p(&pki.ca_cert)),
                format!("--cluster-signing-key-file={}", p(&pki.ca_key)),
                "--controllers=*".to_owned(),
                "--node-monitor-period=1s".to_owned(),
                "--node-monitor-grace-period=2m".to_owned(),
                "--kube-api-qps=500".to_owned(),
                "--kube-api-burst=1000".to_owned(),
                "--concurrent-statefulset-syncs=20".to_owned(),
                "--profiling=false".to_owned(),
            ],
        )?;
        plane.spawn(
            "kube-scheduler",
            &bin.join("kube-scheduler"),
            &[
                format!("--kubeconfig={kubeconfig}"),
                "--leader-elect=false".to_owned(),
                "--bind-address=127.0.0.1".to_owned(),
                "--secure-port=0".to_owned(),
                "--kube-api-qps=500".to_owned(),
                "--kube-api-burst=1000".to_owned(),
                "--profiling=false".to_owned(),
            ],
        )?;
        let stages = stage_files(&bin, &dir)?;
        plane.spawn(
            "kwok",
            &bin.join("kwok"),
            &[
                format!("--kubeconfig={kubeconfig}"),
                format!("--config={stages}"),
                "--manage-all-nodes=false".to_owned(),
                "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake".to_owned(),
                "--node-lease-duration-seconds=40".to_owned(),
                "--cidr=10.244.0.0/16".to_owned(),
            ],
        )?;
        let pids: Vec<u32> = plane.components.iter().map(Component::pid).collect();
        // The watchdog is left to run on its own: it ends when this process does.
        drop(start_watchdog(&pids, &dir)?);
        plane.install_storage_driver(&client).await?;
        plane
            .wait_for_service_account(&client, "default", Duration::from_secs(60))
            .await?;
        // A client works only on the runtime that made it: the provisioner makes its own.
        let kubeconfig = plane.kubeconfig.clone();
        std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                runtime.block_on(async move {
                    match client_of(&kubeconfig).await {
                        Ok(client) => volumes::run(client).await,
                        Err(error) => eprintln!("test world volume provisioner: {error}"),
                    }
                });
            }
        });
        Ok(plane)
    }

    fn spawn(
        &mut self,
        name: &'static str,
        binary: &Path,
        args: &[String],
    ) -> Result<(), WorldError> {
        self.components
            .push(Component::start(name, binary, args, &self.dir)?);
        Ok(())
    }

    /// The kubeconfig file (administrator, `system:masters`).
    #[must_use]
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// The API server's URL.
    #[must_use]
    pub fn server(&self) -> &str {
        &self.server
    }

    /// A new administrator client (clients are bound to the Tokio runtime that makes them, so
    /// every test makes its own).
    pub async fn client(&self) -> Result<kube::Client, WorldError> {
        client_of(&self.kubeconfig).await
    }

    /// A client that authenticates with `token` (say, a ServiceAccount's, to be held to its RBAC).
    pub async fn client_with_token(&self, token: &str) -> Result<kube::Client, WorldError> {
        let kubeconfig =
            Kubeconfig::from_yaml(&kubeconfig_text(&self.server, &self.ca_cert, token))
                .map_err(|e| WorldError::Kubernetes(format!("kubeconfig: {e}")))?;
        let config =
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .map_err(|e| WorldError::Kubernetes(format!("kubeconfig: {e}")))?;
        kube::Client::try_from(config).map_err(WorldError::kube("client"))
    }

    /// Pauses (`true`, `SIGSTOP`) or resumes (`false`) some of the controllers.
    pub fn pause(&self, which: Controllers, paused: bool) -> Result<(), WorldError> {
        let name = match which {
            Controllers::ControllerManager => "kube-controller-manager",
            Controllers::Kwok => "kwok",
        };
        let signal = if paused { "STOP" } else { "CONT" };
        self.components
            .iter()
            .filter(|c| c.name == name)
            .try_for_each(|c| c.signal(signal))
    }

    /// The end of every component's log, for a failing test's message.
    #[must_use]
    pub fn log_tails(&self, lines: usize) -> String {
        self.components
            .iter()
            .map(|c| {
                format!(
                    "== {} ({})\n{}",
                    c.name,
                    c.log.display(),
                    tail(&c.log, lines)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    async fn wait_ready(
        &mut self,
        client: &kube::Client,
        timeout: Duration,
    ) -> Result<(), WorldError> {
        let deadline = Instant::now() + timeout;
        loop {
            for component in &mut self.components {
                component.check_running()?;
            }
            let request = http::Request::get("/readyz").body(Vec::new());
            if let Ok(request) = request
                && let Ok(text) = client.request_text(request).await
                && text.trim() == "ok"
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(WorldError::Timeout(format!(
                    "kube-apiserver not ready\n{}",
                    self.log_tails(30)
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Waits until the namespace's `default` ServiceAccount exists (pods need it).
    pub async fn wait_for_service_account(
        &self,
        client: &kube::Client,
        namespace: &str,
        timeout: Duration,
    ) -> Result<(), WorldError> {
        let api: kube::Api<k8s_openapi::api::core::v1::ServiceAccount> =
            kube::Api::namespaced(client.clone(), namespace);
        let deadline = Instant::now() + timeout;
        while api
            .get_opt("default")
            .await
            .map_err(WorldError::kube("get service account"))?
            .is_none()
        {
            if Instant::now() > deadline {
                return Err(WorldError::Timeout(format!(
                    "no default ServiceAccount in {namespace}\n{}",
                    self.log_tails(20)
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }

    /// The CSIDriver object of `ebs.csi.aws.com`, as the driver's Helm chart installs it, but
    /// without attachment (kwok runs no kubelet to attach to).
    async fn install_storage_driver(&self, client: &kube::Client) -> Result<(), WorldError> {
        let driver: k8s_openapi::api::storage::v1::CSIDriver = serde_json::from_value(json!({
            "apiVersion": "storage.k8s.io/v1",
            "kind": "CSIDriver",
            "metadata": {"name": volumes::DRIVER},
            "spec": {"attachRequired": false, "podInfoOnMount": false, "fsGroupPolicy": "File"}
        }))
        .map_err(|e| WorldError::Kubernetes(format!("CSIDriver: {e}")))?;
        kube::Api::<k8s_openapi::api::storage::v1::CSIDriver>::all(client.clone())
            .create(&kube::api::PostParams::default(), &driver)
            .await
            .map_err(WorldError::kube("create CSIDriver"))?;
        Ok(())
    }
}

/// The control plane shared by the tests of one test binary, started by the first that asks.
///
/// # Panics
/// When it cannot start: the message says why, with the components' logs.
pub fn shared() -> &'static ControlPlane {
    static WORLD: OnceLock<ControlPlane> = OnceLock::new();
    WORLD.get_or_init(|| match ControlPlane::start() {
        Ok(plane) => plane,
        Err(error) => panic!("the Kubernetes test world did not start: {error}"),
    })
}

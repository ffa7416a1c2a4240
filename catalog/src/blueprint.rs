//! What a kind's renderer decides: config files, the main container, probes and init jobs.
//! The builders in `build/` turn a blueprint into Kubernetes objects the same way for every kind.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, Probe, SecretKeySelector};

use firecamp_schema::spec::secret::{SecretRef, TlsSecretRef};

/// Where the service's ConfigMap is mounted in every container.
pub const CONFIG_DIR: &str = "/etc/firecamp";
/// Where Secret files are mounted.
pub const SECRETS_DIR: &str = "/etc/firecamp-secrets";
/// A per-pod scratch folder (memory-backed) for configs completed at start, e.g. with passwords.
pub const RUNTIME_DIR: &str = "/run/firecamp";
/// Where the data volume is mounted.
pub const DATA_DIR: &str = "/data";
/// Where the journal volume is mounted.
pub const JOURNAL_DIR: &str = "/journal";
/// Where the static-IP allocation is mounted: one file per member, holding its IP.
pub const STATIC_IP_DIR: &str = "/etc/firecamp-static-ip";

/// A container port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortPlan {
    /// Port name (at most 15 characters).
    pub name: &'static str,
    /// Port number (also the host port: members use the host network).
    pub port: u16,
    /// Published on the headless Service.
    pub published: bool,
    /// Also over UDP: a second port of the same number, named `<name>-udp`.
    pub udp: bool,
}

impl PortPlan {
    /// A port published on the Service.
    #[must_use]
    pub const fn published(name: &'static str, port: u16) -> Self {
        Self {
            name,
            port,
            published: true,
            udp: false,
        }
    }

    /// A port used between members only.
    #[must_use]
    pub const fn internal(name: &'static str, port: u16) -> Self {
        Self {
            name,
            port,
            published: false,
            udp: false,
        }
    }

    /// The same port over UDP as well as TCP.
    #[must_use]
    pub const fn and_udp(self) -> Self {
        Self { udp: true, ..self }
    }

    /// `(name, protocol)` of each protocol the port is used over: TCP, then UDP when asked.
    #[must_use]
    pub fn protocols(&self) -> Vec<(String, &'static str)> {
        let mut out = vec![(self.name.to_owned(), "TCP")];
        if self.udp {
            out.push((format!("{}-udp", self.name), "UDP"));
        }
        out
    }
}

/// A Secret key mounted as a file under [`SECRETS_DIR`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFile {
    /// The Secret and key.
    pub secret: SecretRef,
    /// File name under [`SECRETS_DIR`].
    pub file: String,
    /// File mode.
    pub mode: i32,
}

/// A one-shot initialisation task, run as a Job once the service is healthy.
#[derive(Debug, Clone, PartialEq)]
pub struct JobPlan {
    /// Suffix of the Job's name: `<service>-<suffix>`.
    pub suffix: &'static str,
    /// Image (usually the service's own, for its client tools).
    pub image: String,
    /// The idempotent shell script, stored in the ConfigMap as `job-<suffix>.sh`.
    pub script: String,
    /// Environment.
    pub env: Vec<EnvVar>,
    /// Mount the service's Secret files (see [`Blueprint::secret_files`]).
    pub secrets: bool,
}

/// The kind-specific part of a service.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Blueprint {
    /// Command of the main container (usually `sh /etc/firecamp/start.sh`).
    pub command: Vec<String>,
    /// Environment of the main container (`POD_NAME`, `POD_IP`, `NODE_NAME` are always set).
    pub env: Vec<EnvVar>,
    /// Ports.
    pub ports: Vec<PortPlan>,
    /// Readiness probe.
    pub readiness: Option<Probe>,
    /// Liveness probe.
    pub liveness: Option<Probe>,
    /// Startup probe, for kinds whose legitimate start can be long: liveness and readiness wait
    /// for it.
    pub startup: Option<Probe>,
    /// Service-level files of the ConfigMap.
    pub files: BTreeMap<String, String>,
    /// Per-member files, stored in the ConfigMap as `<member>.<file>`.
    pub member_files: BTreeMap<String, BTreeMap<String, String>>,
    /// Secret keys mounted as files.
    pub secret_files: Vec<SecretFile>,
    /// The image's non-root user (uid = gid): the main container runs as it and owns the volumes.
    pub user: Option<i64>,
    /// Init tasks.
    pub jobs: Vec<JobPlan>,
    /// Run on the pod network instead of the host's, with no DNS record: for kinds nothing
    /// connects to (Telegraf). Members use the host network by default, so their DNS records can
    /// point at their node (or static IP) and clients outside Kubernetes reach them.
    pub pod_network: bool,
    /// Service-level files also mounted at a fixed path: (file, path).
    pub file_mounts: Vec<(String, String)>,
    /// Probes of the roles that serve on other ports than the rest (Kafka's dedicated
    /// controllers), in place of `readiness`, `liveness` and `startup`.
    pub role_probes: BTreeMap<String, RoleProbes>,
    /// What the cluster fixes when it is first formed, as `key=value;...`
    /// ([`crate::lifecycle::IDENTITY_ANNOTATION`] on each StatefulSet).
    pub identity: Option<String>,
}

/// The probes of one role.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoleProbes {
    /// Readiness probe.
    pub readiness: Option<Probe>,
    /// Liveness probe.
    pub liveness: Option<Probe>,
    /// Startup probe.
    pub startup: Option<Probe>,
}

impl Blueprint {
    /// The probes of the members of `role`.
    #[must_use]
    pub fn probes(&self, role: &str) -> RoleProbes {
        self.role_probes
            .get(role)
            .cloned()
            .unwrap_or_else(|| RoleProbes {
                readiness: self.readiness.clone(),
                liveness: self.liveness.clone(),
                startup: self.startup.clone(),
            })
    }

    /// Adds a service-level file.
    pub fn file(&mut self, name: &str, content: String) {
        self.files.insert(name.to_owned(), content);
    }

    /// Adds a file for one member.
    pub fn member_file(&mut self, member: &str, name: &str, content: String) {
        self.member_files
            .entry(member.to_owned())
            .or_default()
            .insert(name.to_owned(), content);
    }
}

/// A plain environment variable.
#[must_use]
pub fn env(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: Some(value.into()),
        value_from: None,
    }
}

/// An environment variable read from a Secret key.
#[must_use]
pub fn secret_env(name: &str, secret: &SecretRef) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.secret_name.clone(),
                key: secret.key.clone(),
                optional: None,
            }),
            ..EnvVarSource::default()
        }),
    }
}

/// The files of a TLS Secret (`tls.crt`, `tls.key`) mounted as `<prefix>.crt` and `<prefix>.key`.
#[must_use]
pub fn tls_files(tls: &TlsSecretRef, prefix: &str) -> Vec<SecretFile> {
    ["crt", "key"]
        .into_iter()
        .map(|ext| SecretFile {
            secret: SecretRef {
                secret_name: tls.secret_name.clone(),
                key: format!("tls.{ext}"),
            },
            file: format!("{prefix}.{ext}"),
            mode: 0o400,
        })
        .collect()
}

/// `sh /etc/firecamp/start.sh`: the command of kinds that start through a script.
#[must_use]
pub fn start_script_command() -> Vec<String> {
    vec!["/bin/sh".to_owned(), format!("{CONFIG_DIR}/start.sh")]
}

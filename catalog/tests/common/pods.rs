//! Runs what the catalog renders, as a cluster on this machine: each member of a rendered service
//! becomes a "pod" made from its StatefulSet's pod template, with
//! - its volumes as folders under a temporary root: the ConfigMap's files where the template
//!   mounts them (whole, or one key at a `subPath`), the claims and emptyDirs as empty folders
//!   owned by the container's user, Secret files and the static-IP record filled in;
//! - an address of its own on loopback, 127.R.S.x, in a /24 picked at random per cluster, which
//!   stands for its node's (and static) address: the members' DNS names resolve to it;
//! - its container's real command, environment (fields and Secrets resolved, Kubernetes'
//!   `$(VAR)` references expanded) and user (`setpriv`, when the tests run as root).
//!
//! What a pod sees at an absolute path is mapped under its root ([`Mapping`]), and what it would
//! bind on all of its node's addresses is bound on its member address; nothing else of the
//! rendered files is changed. Init Jobs run the same way, as a pod of their own. The static-IP
//! init containers are not run here: catalog/tests/static_ip_node.rs runs them.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use firecamp_catalog::{DesiredService, KubeObject, render_service};
use k8s_openapi::api::core::v1::{Container, PodSpec, Probe};

use super::SpecSet;
use super::host::{
    expand, known_uid, log_file, nss_wrapper, open_to_all, random_subnet, running_as_root,
    wait_with_timeout, which,
};
use super::mapping::Mapping;
pub use super::pod::Pod;

/// What the image gives a container that this machine has elsewhere: folders put first on
/// `PATH` (the image's own programs), and client programs that dial the pod's own `localhost`
/// when given no host (the pod's `localhost` is its member address here).
#[derive(Default, Clone)]
pub struct Image {
    /// Folders put before the system's `PATH`.
    pub path: Vec<PathBuf>,
    /// `(program, host flag)`: each is wrapped to add `<flag> <member address>` first.
    pub localhost_clients: Vec<(&'static str, &'static str)>,
    /// Settings that bind every address of the node, with their form binding only the member's
    /// ([`Mapping::with_all_addresses`]).
    pub all_addresses: Vec<(&'static str, &'static str)>,
    /// The image's own environment (its `ENV` lines, and what a stand-in of its programs needs).
    pub env: Vec<(&'static str, String)>,
    /// Folders the image itself has (its Dockerfile makes them, writable by all), made under each
    /// pod's root.
    pub folders: Vec<&'static str>,
    /// Folders of the image whose programs are stand-ins here (`/opt/kafka/bin`), with the
    /// stand-ins' folder.
    pub image_folders: Vec<(&'static str, PathBuf)>,
    /// The name the image's `/etc/passwd` gives the container's uid. Where this machine has no
    /// such uid, the pod gets that entry through nss_wrapper (Debian's libnss-wrapper), so that
    /// what looks its user up (libpq, initdb) finds it as it would in the image.
    pub user: Option<&'static str>,
}

/// A rendered service run as processes on loopback.
pub struct Cluster {
    /// The rendered service.
    pub desired: DesiredService,
    /// Its members, in the order the catalog lists them.
    pub members: Vec<Pod>,
    mapping: Mapping,
    image: Image,
    root: tempfile::TempDir,
}

/// How a Job's run ended.
#[derive(Debug)]
pub struct JobRun {
    /// Whether its command exited 0.
    pub succeeded: bool,
    /// What it wrote to its stdout and stderr.
    pub log: String,
}

/// The value the harness gives Secret `name`'s key `key`.
pub fn secret_value(name: &str, key: &str) -> String {
    format!("test-{name}-{key}")
}

impl Cluster {
    /// Renders `service` of `set` and materialises each member under a new temporary root.
    pub fn materialise(set: &SpecSet, service: &str, image: Image) -> Self {
        let desired = render_service(set.inputs(), &set.services[service]).expect("renders");
        let root = tempfile::tempdir().expect("temp dir");
        open_to_all(root.path());
        let subnet = random_subnet();
        let addresses: BTreeMap<String, Ipv4Addr> = desired
            .members
            .iter()
            .zip(1u8..)
            .map(|(m, i)| {
                (
                    m.member.name.clone(),
                    Ipv4Addr::new(127, subnet.0, subnet.1, i),
                )
            })
            .collect();
        let names = desired
            .members
            .iter()
            .map(|m| (m.dns_name.clone(), addresses[&m.member.name]))
            .collect();
        let mapping = Mapping::new(names)
            .with_all_addresses(&image.all_addresses)
            .with_image_folders(&image.image_folders);
        let mut cluster = Self {
            members: Vec::new(),
            mapping,
            image,
            root,
            desired,
        };
        let templates: BTreeMap<String, PodSpec> = cluster
            .desired
            .objects
            .iter()
            .filter_map(|o| match o {
                KubeObject::StatefulSet(s) => Some((
                    s.metadata.name.clone().unwrap_or_default(),
                    s.spec.template.spec.clone()?,
                )),
                _ => None,
            })
            .collect();
        let members: Vec<(String, String)> = cluster
            .desired
            .members
            .iter()
            .map(|m| (m.member.name.clone(), m.member.statefulset.clone()))
            .collect();
        for (name, set) in members {
            let pod = cluster.pod(&name, addresses[&name], &templates[&set], &addresses);
            cluster.members.push(pod);
        }
        cluster
    }

    /// Starts every member.
    fn start_all(&mut self) {
        for index in 0..self.members.len() {
            self.start(index);
        }
    }

    /// Starts (or starts again, keeping its folders) member `index`.
    pub fn start(&mut self, index: usize) {
        let pod = &self.members[index];
        let container = pod.container().clone();
        let argv = self.argv(pod, &container);
        let child = self
            .command(pod, &container, &argv)
            .stdout(log_file(&pod.root))
            .stderr(log_file(&pod.root))
            .spawn()
            .expect("the container's command starts");
        self.members[index].process = Some(child);
    }

    /// Starts every member, then waits (up to `timeout` each) until each is ready, and checks
    /// that each ready member is live too.
    pub fn start_all_and_await_ready(&mut self, timeout: Duration) {
        self.start_all();
        for index in 0..self.members.len() {
            self.await_ready(index, timeout);
            assert!(
                self.live(index),
                "{} is ready but not live",
                self.members[index].name
            );
        }
    }

    /// Stops member `index` (as the kubelet does) and checks that both its probes fail.
    pub fn stop_and_check_probes_fail(&mut self, index: usize) {
        self.members[index].stop();
        let name = &self.members[index].name;
        assert!(
            !self.ready(index),
            "the readiness probe passes on stopped {name}"
        );
        assert!(
            !self.live(index),
            "the liveness probe passes on stopped {name}"
        );
    }

    /// Waits (up to `timeout`) until member `index`'s readiness probe passes.
    pub fn await_ready(&self, index: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let pod = &self.members[index];
        let probe = pod
            .container()
            .readiness_probe
            .clone()
            .expect("a readiness probe");
        while !self.probe(pod, &probe) {
            assert!(
                Instant::now() < deadline,
                "{} is not ready after {timeout:?}; the logs:\n{}",
                pod.name,
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Whether member `index`'s readiness probe passes now.
    pub fn ready(&self, index: usize) -> bool {
        let pod = &self.members[index];
        self.probe(
            pod,
            pod.container().readiness_probe.as_ref().expect("readiness"),
        )
    }

    /// Whether member `index`'s liveness probe passes now.
    pub fn live(&self, index: usize) -> bool {
        let pod = &self.members[index];
        self.probe(
            pod,
            pod.container().liveness_probe.as_ref().expect("liveness"),
        )
    }

    /// Runs the service's Job `<service>-<suffix>` to its end (at most `timeout`), as a pod of its
    /// own with the address after the members'.
    pub fn run_job(&mut self, suffix: &str, timeout: Duration) -> JobRun {
        let name = format!("{}-{suffix}", self.desired.name);
        let spec = self
            .desired
            .objects
            .iter()
            .find_map(|o| match o {
                KubeObject::Job(j) if j.metadata.name.as_deref() == Some(&name) => {
                    j.spec.as_ref()?.template.spec.clone()
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("no Job {name}"));
        let last = self
            .members
            .last()
            .map_or([127, 0, 0, 0], |m| m.address.octets());
        let address = Ipv4Addr::new(last[0], last[1], last[2], 200);
        let addresses = self.addresses();
        let pod = self.pod(&name, address, &spec, &addresses);
        let container = pod.container().clone();
        let argv = self.argv(&pod, &container);
        let child = self
            .command(&pod, &container, &argv)
            .stdout(log_file(&pod.root))
            .stderr(log_file(&pod.root))
            .spawn()
            .expect("the Job's command starts");
        let status = wait_with_timeout(child, timeout, &name).status;
        JobRun {
            succeeded: status.success(),
            log: pod.log(),
        }
    }

    /// Every member's log, the last 40 lines of each.
    pub fn logs(&self) -> String {
        self.members
            .iter()
            .map(|m| {
                let log = m.log();
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(40)..].join("\n");
                format!("== {}\n{tail}\n", m.name)
            })
            .collect()
    }

    /// Each member's address, by name.
    pub fn addresses(&self) -> BTreeMap<String, Ipv4Addr> {
        self.members
            .iter()
            .map(|m| (m.name.clone(), m.address))
            .collect()
    }

    fn pod(
        &self,
        name: &str,
        address: Ipv4Addr,
        spec: &PodSpec,
        addresses: &BTreeMap<String, Ipv4Addr>,
    ) -> Pod {
        let root = self.root.path().join(name);
        std::fs::create_dir_all(&root).expect("pod folder");
        open_to_all(&root);
        let mut pod = Pod {
            name: name.to_owned(),
            address,
            root,
            spec: spec.clone(),
            env: Vec::new(),
            process: None,
        };
        for folder in &self.image.folders {
            let path = pod.root.join(folder.trim_start_matches('/'));
            std::fs::create_dir_all(&path).expect("image folder");
            open_to_all(&path);
        }
        pod.env = self.environment(&pod);
        super::volumes::materialise(&pod.root, spec, &self.desired, addresses, &|text| {
            self.mapping.file(text, &pod)
        });
        self.wrap_clients(&pod);
        pod
    }

    fn environment(&self, pod: &Pod) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = Vec::new();
        for var in pod.container().env.iter().flatten() {
            let value = if let Some(value) = &var.value {
                expand(value, &env)
            } else {
                let from = var.value_from.as_ref().expect("a value or a source");
                if let Some(field) = &from.field_ref {
                    match field.field_path.as_str() {
                        "metadata.name" => pod.name.clone(),
                        "status.podIP" => pod.address.to_string(),
                        "spec.nodeName" => format!("node-{}", pod.address),
                        other => panic!("no stand-in for the field {other}"),
                    }
                } else if let Some(secret) = &from.secret_key_ref {
                    secret_value(&secret.name, &secret.key)
                } else {
                    panic!("no stand-in for the source of {}", var.name)
                }
            };
            env.push((var.name.clone(), self.mapping.file(&value, pod)));
        }
        env
    }

    fn argv(&self, pod: &Pod, container: &Container) -> Vec<String> {
        container
            .command
            .iter()
            .flatten()
            .chain(container.args.iter().flatten())
            .map(|word| self.mapping.file(&expand(word, &pod.env), pod))
            .collect()
    }

    /// The command of `argv` as the container runs it: its env, its user, the image's `PATH`,
    /// killed when the test's thread ends.
    fn command(&self, pod: &Pod, container: &Container, argv: &[String]) -> Command {
        let mut command = Command::new("setpriv");
        command.env_clear().arg("--pdeathsig=KILL");
        let user = container
            .security_context
            .as_ref()
            .and_then(|s| s.run_as_user);
        if let (Some(uid), true) = (user, running_as_root()) {
            command.args([
                format!("--reuid={uid}"),
                format!("--regid={uid}"),
                "--clear-groups".to_owned(),
            ]);
        }
        command.arg("--").args(argv);
        if let (Some(uid), Some(name), true) = (user, self.image.user, running_as_root())
            && !known_uid(uid)
        {
            command.envs(nss_wrapper(&pod.root, name, uid));
        }
        let mut path: Vec<PathBuf> = vec![pod.root.join(".bin")];
        path.extend(self.image.path.iter().cloned());
        path.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        command
            .env("PATH", std::env::join_paths(path).expect("PATH"))
            .env("HOME", &pod.root)
            .envs(self.image.env.iter().map(|(k, v)| (k, v)))
            .envs(pod.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&pod.root)
            .stdin(Stdio::null());
        command
    }

    fn wrap_clients(&self, pod: &Pod) {
        let bin = pod.root.join(".bin");
        std::fs::create_dir_all(&bin).expect("bin folder");
        open_to_all(&bin);
        for (program, flag) in &self.image.localhost_clients {
            let real = which(program, &self.image.path);
            let wrapper = bin.join(program);
            std::fs::write(
                &wrapper,
                format!(
                    "#!/bin/sh\nexec {} {flag} {} \"$@\"\n",
                    real.display(),
                    pod.address
                ),
            )
            .expect("wrapper");
            std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
        }
    }

    fn probe(&self, pod: &Pod, probe: &Probe) -> bool {
        let timeout =
            Duration::from_secs(probe.timeout_seconds.unwrap_or(1).try_into().unwrap_or(1));
        if let Some(exec) = &probe.exec {
            let argv: Vec<String> = exec
                .command
                .iter()
                .flatten()
                .map(|word| self.mapping.probe(word, pod))
                .collect();
            let container = pod.container().clone();
            let child = self
                .command(pod, &container, &argv)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("the probe starts");
            return wait_with_timeout(child, timeout, "probe").status.success();
        }
        let port = probe
            .tcp_socket
            .as_ref()
            .map(|t| &t.port)
            .or(probe.http_get.as_ref().map(|h| &h.port))
            .expect("an exec, TCP or HTTP probe");
        let k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(port) = port else {
            panic!("named probe ports are not used by the catalog")
        };
        let address = SocketAddr::from((pod.address, u16::try_from(*port).expect("a port")));
        TcpStream::connect_timeout(&address, timeout).is_ok()
    }
}

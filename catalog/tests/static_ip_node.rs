//! The node side of a static IP, run for real: the rendered init container's command and the
//! releasing sidecar's preStop command, with their rendered environment, run with the real `ip`
//! and `iptables-nft` in a network namespace of their own (`unshare --net --map-root-user`). The
//! node's firecamp interface is a veth with the MAC the instance metadata lists; the metadata
//! service is `tests/node/imds.py` (IMDSv2 as the EC2 user guide documents it) on the namespace's
//! loopback; the VPC CNI's SNAT jump is the rule the CNI appends to nat POSTROUTING
//! (`-m comment --comment "AWS SNAT CHAIN" -j AWS-SNAT-CHAIN-0`, pkg/networkutils/network.go in
//! aws/amazon-vpc-cni-k8s). The service's ConfigMap (which holds the script) and the allocation
//! are written to a temp directory in place of their mounts; the metadata address is mapped.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::SpecSet;
use firecamp_catalog::KubeObject;
use k8s_openapi::api::core::v1::{Container, PodSpec};

/// The MAC of the node's firecamp interface (device 1) and of its primary interface (device 0).
const FIRECAMP_MAC: &str = "02:aa:bb:cc:dd:01";
const PRIMARY_MAC: &str = "02:aa:bb:cc:dd:00";
/// The subnet of both interfaces in these tests, and its router.
const SUBNET: &str = "10.0.48.0/20";
const ROUTER: &str = "10.0.48.1";
/// A member of the Redis example.
const POD: &str = "sessions-redis-0";

/// The rendered static-IP containers of the example Redis's pods in `zone`, and the files of the
/// service's ConfigMap (mounted at `/etc/firecamp`).
fn rendered(zone: &str) -> (Container, Container, BTreeMap<String, String>) {
    let set = SpecSet::examples();
    let desired = set
        .render()
        .remove("sessions-redis")
        .expect("the Redis example")
        .expect("it renders");
    let files = desired
        .objects
        .iter()
        .find_map(|o| match o {
            KubeObject::ConfigMap(c)
                if c.metadata.name.as_deref() == Some("sessions-redis-config") =>
            {
                c.data.clone()
            }
            _ => None,
        })
        .expect("the service's ConfigMap");
    let spec: PodSpec = desired
        .objects
        .iter()
        .find_map(|o| match o {
            KubeObject::StatefulSet(s) => s
                .spec
                .template
                .spec
                .clone()
                .filter(|spec| zone_of(spec) == Some(zone)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("a StatefulSet in {zone}"));
    let init = spec.init_containers.expect("init containers");
    let find = |name: &str| {
        init.iter()
            .find(|c| c.name == name)
            .cloned()
            .unwrap_or_else(|| panic!("container {name}"))
    };
    (find("static-ip"), find("static-ip-release"), files)
}

/// The zone a pod runs in: its main container's `FIRECAMP_ZONE`.
fn zone_of(spec: &PodSpec) -> Option<&str> {
    spec.containers.first()?.env.iter().flatten().find_map(|e| {
        (e.name == "FIRECAMP_ZONE")
            .then_some(e.value.as_deref())
            .flatten()
    })
}

/// The container's environment as the kubelet gives it: `POD_NAME` from the pod, `$(VAR)`
/// references expanded, the allocation directory mapped to `alloc`.
fn environment(container: &Container, alloc: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for var in container.env.iter().flatten() {
        let value = match (&var.value, &var.value_from) {
            (Some(v), _) => {
                let mut v = v.clone();
                for (name, value) in &out {
                    v = v.replace(&format!("$({name})"), value);
                }
                v.replace(
                    "/etc/firecamp-static-ip",
                    alloc.to_str().expect("utf-8 path"),
                )
            }
            (None, Some(from)) => {
                let path = from.field_ref.as_ref().expect("a field").field_path.clone();
                assert_eq!(path, "metadata.name", "{}", var.name);
                POD.to_owned()
            }
            (None, None) => String::new(),
        };
        out.push((var.name.clone(), value));
    }
    out
}

fn sh_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// One interface the instance metadata lists.
struct Interface {
    mac: &'static str,
    device: u32,
    addresses: Vec<&'static str>,
}

/// What the namespace looks like, and what happens in it.
struct Node {
    zone: &'static str,
    allocation: &'static str,
    interfaces: Vec<Interface>,
    /// The MAC of the host's veth (the interface firecamp attached).
    host_mac: &'static str,
    /// Whether the VPC CNI's SNAT jump is there.
    cni_snat: bool,
    /// An address EC2 lists on the firecamp interface only after 3 seconds.
    listed_later: Option<&'static str>,
    /// The allocation's entry appears only after 3 seconds (firecamp records it once assigned).
    recorded_later: bool,
    /// Environment overrides.
    overrides: Vec<(&'static str, &'static str)>,
}

/// The outcome of one command.
#[derive(Debug)]
struct Step {
    ok: bool,
    stdout: String,
    stderr: String,
    /// `ip` and `iptables` state after the command.
    state: String,
}

impl Node {
    fn new(zone: &'static str, allocation: &'static str) -> Self {
        Self {
            zone,
            allocation,
            interfaces: vec![
                Interface {
                    mac: PRIMARY_MAC,
                    device: 0,
                    addresses: vec!["10.0.50.10", "10.0.50.11"],
                },
                Interface {
                    mac: FIRECAMP_MAC,
                    device: 1,
                    addresses: vec!["10.0.63.250", allocation],
                },
            ],
            host_mac: FIRECAMP_MAC,
            cni_snat: true,
            listed_later: None,
            recorded_later: false,
            overrides: Vec::new(),
        }
    }

    /// Runs the rendered commands named in `steps` (`up` or `down`) one after the other.
    fn run(&self, steps: &[&str]) -> Vec<Step> {
        let (init, release, files) = rendered(self.zone);
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("config");
        std::fs::create_dir(&config).expect("config dir");
        for (name, text) in &files {
            std::fs::write(config.join(name), text).expect("config file");
        }
        let alloc = dir.path().join("alloc");
        std::fs::create_dir(&alloc).expect("alloc dir");
        // No entry at all stands for a member firecamp never recorded.
        if !self.recorded_later && !self.allocation.is_empty() {
            std::fs::write(alloc.join(POD), self.allocation).expect("allocation");
        }
        let macs = dir.path().join("imds/network/interfaces/macs");
        for interface in &self.interfaces {
            let at = macs.join(interface.mac);
            std::fs::create_dir_all(&at).expect("mac dir");
            std::fs::write(at.join("device-number"), interface.device.to_string()).expect("dev");
            std::fs::write(at.join("subnet-ipv4-cidr-block"), SUBNET).expect("cidr");
            std::fs::write(at.join("local-ipv4s"), interface.addresses.join("\n")).expect("ips");
        }
        let imds = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/imds.py");
        let d = dir.path().display();
        let mut harness = format!(
            "set -u\nip link set lo up\nip link add eth1 type veth peer name eth1-peer\n\
             ip link set eth1 address {}\n\
             python3 {} {d}/imds {d}/port 120 &\nimds=$!\n\
             i=0; while [ ! -s {d}/port ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done\n\
             export IMDS_ENDPOINT=http://127.0.0.1:$(cat {d}/port)\n",
            self.host_mac,
            imds.display()
        );
        if self.cni_snat {
            harness.push_str(
                "iptables-nft -t nat -N AWS-SNAT-CHAIN-0\n\
                 iptables-nft -t nat -A POSTROUTING -m comment --comment 'AWS SNAT CHAIN' -j AWS-SNAT-CHAIN-0\n",
            );
        }
        if self.recorded_later {
            // The kubelet swaps a ConfigMap volume's files in atomically.
            harness.push_str(&format!(
                "(sleep 3; printf '%s' {} > {d}/entry && mv {d}/entry {}) &\n",
                self.allocation,
                alloc.join(POD).display()
            ));
        }
        if let Some(address) = self.listed_later {
            harness.push_str(&format!(
                "(sleep 3; printf '\\n%s' {address} >> {d}/imds/network/interfaces/macs/{FIRECAMP_MAC}/local-ipv4s) &\n"
            ));
        }
        for (n, step) in steps.iter().enumerate() {
            let (container, command) = match *step {
                "up" => (&init, init.command.clone().expect("a command")),
                "down" => (
                    &release,
                    release
                        .lifecycle
                        .as_ref()
                        .and_then(|l| l.pre_stop.as_ref())
                        .and_then(|h| h.exec.as_ref())
                        .and_then(|e| e.command.clone())
                        .expect("a preStop command"),
                ),
                other => panic!("unknown step {other}"),
            };
            let mut env = environment(container, &alloc);
            for (name, value) in &self.overrides {
                env.retain(|(n, _)| n != name);
                env.push(((*name).to_owned(), (*value).to_owned()));
            }
            let assignments: Vec<String> = env
                .iter()
                .map(|(k, v)| format!("{k}={}", sh_quote(v)))
                .collect();
            let config_dir = format!("{}/", config.display());
            let words: Vec<String> = command
                .iter()
                .map(|w| sh_quote(&w.replace("/etc/firecamp/", &config_dir)))
                .collect();
            harness.push_str(&format!(
                "env {} {} >{d}/out.{n} 2>{d}/err.{n}; echo $? >{d}/rc.{n}\n\
                 {{ ip -o addr show dev eth1; ip -o link show dev eth1; ip rule show; \
                 ip route show table all | grep 'table 1000'; iptables-nft-save -t nat | grep '^-A'; }} \
                 >{d}/state.{n} 2>&1\n",
                assignments.join(" "),
                words.join(" ")
            ));
        }
        harness.push_str("kill $imds\n");
        let status = Command::new("unshare")
            .args(["--net", "--map-root-user", "--", "sh", "-c", &harness])
            .status()
            .expect("unshare runs");
        assert!(status.success(), "the harness failed");
        let read =
            |name: String| std::fs::read_to_string(dir.path().join(name)).unwrap_or_default();
        (0..steps.len())
            .map(|n| Step {
                ok: read(format!("rc.{n}")).trim() == "0",
                stdout: read(format!("out.{n}")),
                stderr: read(format!("err.{n}")),
                state: read(format!("state.{n}")),
            })
            .collect()
    }
}

/// The address is on the interface, routed through its own table, and exempt from the SNAT.
fn assert_up(step: &Step, address: &str) {
    assert!(step.ok, "{step:#?}");
    let state = &step.state;
    assert!(
        state.contains(&format!("inet {address}/32")),
        "the /32 is on eth1: {state}"
    );
    assert!(state.contains(",UP"), "eth1 was brought up: {state}");
    assert!(
        state.contains(&format!("1600:\tfrom {address} lookup 10001")),
        "source rule to table 10000 + device: {state}"
    );
    assert!(
        state.contains(&format!("default via {ROUTER} dev eth1 table 10001")),
        "default route through the subnet router: {state}"
    );
    assert!(
        state.contains(&format!("{SUBNET} dev eth1 table 10001")),
        "subnet route: {state}"
    );
    let exemption = format!(
        "-A POSTROUTING -s {address}/32 -m comment --comment firecamp-static-ip -j RETURN\n\
         -A POSTROUTING -m comment --comment \"AWS SNAT CHAIN\" -j AWS-SNAT-CHAIN-0"
    );
    assert!(
        state.contains(&exemption),
        "exemption before the CNI's jump: {state}"
    );
}

/// The command failed with `message` on stderr and left nothing of `address` on the node.
fn assert_refused(step: &Step, message: &str, address: &str) {
    assert!(!step.ok, "{step:#?}");
    assert!(step.stderr.contains(message), "{step:#?}");
    assert_absent(step, address);
}

/// Nothing of the address is on the node.
fn assert_absent(step: &Step, address: &str) {
    let state = &step.state;
    assert!(!state.contains(&format!("{address}/32")), "{state}");
    assert!(!state.contains(&format!("from {address} ")), "{state}");
    assert!(!state.contains("firecamp-static-ip"), "{state}");
}

#[test]
fn up_is_rerunnable_and_down_removes_everything() {
    let (init, _, _) = rendered("us-east-1c");
    assert!(
        init.env
            .iter()
            .flatten()
            .any(|e| e.name == "STATIC_IP_RANGE" && e.value.as_deref() == Some("10.0.48.0/26")),
        "the zone's reservedCidr is the range: {:?}",
        init.env
    );
    let steps = Node::new("us-east-1c", "10.0.48.5").run(&["up", "up", "down"]);
    assert_up(&steps[0], "10.0.48.5");
    assert!(
        steps[0].stdout.contains("exempted from the VPC CNI's SNAT"),
        "{:#?}",
        steps[0]
    );
    assert_up(&steps[1], "10.0.48.5");
    assert_eq!(
        steps[0].state, steps[1].state,
        "a container restart adds nothing twice"
    );
    assert!(steps[2].ok, "{:#?}", steps[2]);
    assert_absent(&steps[2], "10.0.48.5");
    assert!(
        steps[2].state.contains("AWS-SNAT-CHAIN-0"),
        "the CNI's own rule stays: {}",
        steps[2].state
    );
}

#[test]
fn up_waits_until_ec2_lists_the_address() {
    let mut node = Node::new("us-east-1a", "10.0.48.7");
    node.interfaces[1].addresses = vec!["10.0.63.250"];
    node.listed_later = Some("10.0.48.7");
    let steps = node.run(&["up"]);
    assert_up(&steps[0], "10.0.48.7");
    assert!(
        steps[0]
            .stdout
            .contains("waiting for EC2 to list 10.0.48.7"),
        "{:#?}",
        steps[0]
    );
}

#[test]
fn up_waits_until_firecamp_records_the_address() {
    let mut node = Node::new("us-east-1a", "10.0.48.7");
    node.recorded_later = true;
    let steps = node.run(&["up"]);
    assert_up(&steps[0], "10.0.48.7");
    assert!(
        steps[0]
            .stdout
            .contains("waiting for firecamp to assign and record the static IP of"),
        "{:#?}",
        steps[0]
    );
}

#[test]
fn up_gives_up_without_a_record_and_down_has_nothing_to_take_off() {
    let mut node = Node::new("us-east-1a", "");
    node.overrides = vec![("STATIC_IP_WAIT_SECONDS", "4")];
    let steps = node.run(&["up", "down"]);
    assert!(!steps[0].ok, "{:#?}", steps[0]);
    assert!(
        steps[0]
            .stderr
            .contains("firecamp has not recorded a static IP for"),
        "{:#?}",
        steps[0]
    );
    assert!(steps[1].ok, "{:#?}", steps[1]);
    assert!(
        steps[1].stdout.contains("nothing to take off"),
        "{:#?}",
        steps[1]
    );
}

#[test]
fn up_gives_up_when_ec2_never_lists_the_address() {
    let mut node = Node::new("us-east-1a", "10.0.48.7");
    node.interfaces[1].addresses = vec!["10.0.63.250"];
    node.overrides = vec![("STATIC_IP_WAIT_SECONDS", "4")];
    let steps = node.run(&["up"]);
    assert_refused(
        &steps[0],
        "EC2 has not listed 10.0.48.7 on an interface of this node",
        "10.0.48.7",
    );
}

#[test]
fn up_refuses_the_primary_interface() {
    let mut node = Node::new("us-east-1a", "10.0.50.11");
    node.interfaces[1].addresses = vec!["10.0.63.250"];
    node.host_mac = PRIMARY_MAC;
    let steps = node.run(&["up"]);
    assert_refused(&steps[0], "primary interface (device 0)", "10.0.50.11");
}

#[test]
fn up_refuses_an_address_outside_the_range_or_the_subnet() {
    let steps = Node::new("us-east-1c", "10.0.49.9").run(&["up"]);
    assert_refused(
        &steps[0],
        "outside the zone's static range 10.0.48.0/26",
        "10.0.49.9",
    );

    let steps = Node::new("us-east-1a", "10.0.64.9").run(&["up"]);
    assert_refused(&steps[0], "outside the subnet of eth1", "10.0.64.9");
}

#[test]
fn up_refuses_an_allocation_that_is_not_an_address() {
    let steps = Node::new("us-east-1a", "10.0.48.5;reboot").run(&["up"]);
    assert!(!steps[0].ok, "{:#?}", steps[0]);
    assert!(
        steps[0].stderr.contains("is not an IPv4 address"),
        "{:#?}",
        steps[0]
    );
    assert!(
        !steps[0].state.contains("inet 10.0.48.5"),
        "{:#?}",
        steps[0]
    );
}

#[test]
fn without_the_cnis_snat_nothing_is_exempted() {
    let mut node = Node::new("us-east-1a", "10.0.48.8");
    node.cni_snat = false;
    let steps = node.run(&["up"]);
    assert!(steps[0].ok, "{:#?}", steps[0]);
    assert!(
        steps[0].stdout.contains("no SNAT exemption needed"),
        "{:#?}",
        steps[0]
    );
    assert!(
        !steps[0].state.contains("firecamp-static-ip"),
        "{:#?}",
        steps[0]
    );
    assert!(
        steps[0].state.contains("inet 10.0.48.8/32"),
        "{:#?}",
        steps[0]
    );
}

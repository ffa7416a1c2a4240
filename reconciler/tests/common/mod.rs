//! Shared by the plan tests: spec sets, a base live state (nodes and subnets, nothing owned yet),
//! and scheduling of members onto nodes.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of this module"
)]

pub mod cluster;
pub mod moto;
pub mod world;

use std::net::Ipv4Addr;
use std::path::Path;

use firecamp::live::{Eni, LiveState, MemberPlacement, Node, Subnet, simulate_apply};
use firecamp::plan::{Desired, Plan, PlanOptions, plan};
use firecamp_catalog::labels;
use firecamp_schema::validate::{SourceFile, validate_files, validate_path};
use firecamp_schema::{Limits, Validation};

/// The repository root.
pub fn repo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The examples' validation.
pub fn examples() -> Validation {
    validate_path(&repo().join("examples"), &Limits::default()).expect("readable")
}

/// Validation of in-memory spec files.
pub fn specs(files: &[(&str, &str)]) -> Validation {
    let sources = files
        .iter()
        .map(|(path, text)| SourceFile::in_memory(*path, *text))
        .collect();
    validate_files(Path::new("specs"), sources, &Limits::default())
}

/// The example files with `edit` applied to each file's text (given its path), validated.
pub fn edited_examples(edit: impl Fn(&str, String) -> String) -> Validation {
    let files: Vec<(String, String)> = example_files()
        .into_iter()
        .map(|(path, text)| {
            let text = edit(&path, text);
            (path, text)
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    specs(&refs)
}

/// The examples' Cluster document.
pub fn cluster_yaml() -> String {
    std::fs::read_to_string(repo().join("examples/cluster.yaml")).expect("cluster.yaml")
}

/// Three nodes per zone of the examples' cluster, and its subnets with foreign addresses in use.
pub fn base_live() -> LiveState {
    let zones = [
        ("us-east-1a", "subnet-0a1b2c3d4e5f60711", 16),
        ("us-east-1b", "subnet-0a1b2c3d4e5f60712", 32),
        ("us-east-1c", "subnet-0a1b2c3d4e5f60713", 48),
    ];
    let mut live = LiveState::default();
    for (z, (zone, subnet, third)) in zones.into_iter().enumerate() {
        let mut used = vec![
            Ipv4Addr::new(10, 0, third, 4),
            Ipv4Addr::new(10, 0, third, 5),
        ];
        for n in 0..3u8 {
            let host_ip = Ipv4Addr::new(10, 0, third, 10 + n);
            used.push(host_ip);
            live.nodes.push(Node {
                name: format!("ip-10-0-{third}-{}.ec2.internal", 10 + n),
                zone: zone.to_owned(),
                host_ip,
                instance_id: format!("i-0{z}{n}a1b2c3d4e5f6078"),
                eni: Some(Eni {
                    id: format!("eni-0{z}{n}a1b2c3d4e5f6078"),
                    secondary_ips: Vec::new(),
                }),
            });
        }
        live.subnets.push(Subnet {
            id: subnet.to_owned(),
            cidr: format!("10.0.{third}.0/20"),
            used_ips: used,
            prefixes: Vec::new(),
            // The examples' zone c takes its addresses from this explicit reservation.
            reservations: vec![format!("10.0.{third}.0/26")],
            unowned_interfaces: Vec::new(),
        });
    }
    live
}

/// Plans with default options, panicking on errors.
pub fn plan_of(validation: &Validation, live: &LiveState) -> Plan {
    let desired = Desired::from_validation(validation).expect("desired state");
    plan(&desired, live, PlanOptions::default()).expect("a plan")
}

/// As [`plan_of`], with the removal of live members acknowledged (`--allow-member-removal`): a
/// scale-down of a data-bearing kind is carried out as a StatefulSet edit.
pub fn plan_removing_members(validation: &Validation, live: &LiveState) -> Plan {
    let desired = Desired::from_validation(validation).expect("desired state");
    let options = PlanOptions {
        allow_member_removal: true,
        ..PlanOptions::default()
    };
    plan(&desired, live, options).expect("a plan")
}

/// Schedules every StatefulSet pod of `live` on a node of its zone, running the StatefulSet's
/// current template; members of one service take different nodes (as the anti-affinity requires).
pub fn schedule(live: &mut LiveState) {
    let mut placements = Vec::new();
    let mut next_node: std::collections::BTreeMap<(String, String), usize> =
        std::collections::BTreeMap::new();
    for object in live.objects.iter().filter(|o| o["kind"] == "StatefulSet") {
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        let service = object["metadata"]["labels"][labels::SERVICE]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let zone = object["metadata"]["labels"][labels::ZONE]
            .as_str()
            .unwrap_or_default();
        let hash = object["spec"]["template"]["metadata"]["annotations"][labels::CONFIG_HASH]
            .as_str()
            .map(str::to_owned);
        let nodes: Vec<&Node> = live.nodes.iter().filter(|n| n.zone == zone).collect();
        for ordinal in 0..object["spec"]["replicas"].as_u64().unwrap_or(0) {
            let slot = next_node
                .entry((service.clone(), zone.to_owned()))
                .or_insert(0);
            let node = nodes[*slot % nodes.len()];
            *slot += 1;
            placements.push(MemberPlacement {
                member: format!("{name}-{ordinal}"),
                node: Some(node.name.clone()),
                ready: true,
                config_hash: hash.clone(),
            });
        }
    }
    live.members = placements;
}

/// `live` after one round of `validation`'s plan: its objects made and their pods scheduled, so new
/// static-IP members have nodes (their addresses are chosen in the next plan).
pub fn after_first_round(validation: &Validation, live: &LiveState) -> LiveState {
    let mut next = simulate_apply(&plan_of(validation, live), live);
    schedule(&mut next);
    next
}

/// Plans, applies, schedules and plans again until nothing is left (at most 4 rounds).
pub fn converge(validation: &Validation, mut live: LiveState) -> LiveState {
    for _ in 0..4 {
        let plan = plan_of(validation, &live);
        if plan.is_empty() {
            return live;
        }
        live = simulate_apply(&plan, &live);
        schedule(&mut live);
    }
    let left = plan_of(validation, &live);
    panic!(
        "no convergence after 4 rounds: {:#?}",
        left.steps
            .iter()
            .map(|s| (&s.id, &s.reason, &s.changes))
            .collect::<Vec<_>>()
    );
}

/// Every example spec file: (path relative to examples/, text), in sorted order.
pub fn example_files() -> Vec<(String, String)> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, base, out);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                let relative = path
                    .strip_prefix(base)
                    .expect("relative")
                    .display()
                    .to_string();
                out.push((relative, std::fs::read_to_string(&path).expect("text")));
            }
        }
    }
    let base = repo().join("examples");
    let mut out = Vec::new();
    walk(&base, &base, &mut out);
    out
}

/// Runs git in `dir` as a fixed author; its trimmed output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Platform Team",
            "-c",
            "user.email=platform@example.com",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Commits everything in the folder `work` (made a repository) and pushes it to a new bare
/// repository `bare`, branch `main`.
pub fn publish(work: &Path, bare: &Path, subject: &str) {
    std::fs::create_dir_all(bare).expect("bare");
    git(bare, &["init", "--bare", "--quiet"]);
    git(work, &["init", "--quiet"]);
    git(work, &["add", "."]);
    git(work, &["commit", "--quiet", "-m", subject]);
    git(
        work,
        &[
            "push",
            "--quiet",
            bare.to_str().expect("utf-8"),
            "HEAD:main",
        ],
    );
}

//! `docs/security.md` lists every host port firecamp's workloads take, per kind: members run on
//! the node's network (as FireCamp's did), so two members that bind the same port cannot share a
//! node, and the nodes' security groups must allow these ports. This test renders the examples
//! (every kind) and holds the document's table to exactly the ports of the pods that use the
//! host network, and to none for the pods that do not.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{SpecSet, repo};
use firecamp_catalog::{KubeObject, render_platform};
use k8s_openapi::api::core::v1::PodSpec;

/// The pod specs of an object, if it runs pods.
fn pod_spec(object: &KubeObject) -> Option<&PodSpec> {
    match object {
        KubeObject::StatefulSet(s) => s.spec.template.spec.as_ref(),
        KubeObject::DaemonSet(d) => d.spec.template.spec.as_ref(),
        KubeObject::Job(j) => j.spec.as_ref()?.template.spec.as_ref(),
        _ => None,
    }
}

/// `port name` of every container port of a host-network pod; `None` for a pod-network pod.
fn host_ports(spec: &PodSpec) -> Option<BTreeSet<String>> {
    if spec.host_network != Some(true) {
        return None;
    }
    let containers = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten());
    Some(
        containers
            .flat_map(|c| c.ports.iter().flatten())
            .map(|p| {
                let protocol = p.protocol.as_deref().unwrap_or("TCP");
                let protocol = if protocol == "TCP" {
                    String::new()
                } else {
                    format!("/{protocol}")
                };
                format!(
                    "{}{protocol} {}",
                    p.host_port.unwrap_or(p.container_port),
                    p.name.as_deref().unwrap_or("-")
                )
            })
            .collect(),
    )
}

/// Kind → its host ports as rendered (`pod network` for kinds that do not use the host network).
fn rendered() -> BTreeMap<String, String> {
    let set = SpecSet::examples();
    let mut ports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut pod_network = BTreeSet::new();
    let mut note = |kind: String, spec: &PodSpec| match host_ports(spec) {
        Some(found) => ports.entry(kind).or_default().extend(found),
        None => {
            pod_network.insert(kind);
        }
    };
    for desired in set.render().into_values() {
        let desired = desired.expect("the examples render");
        for object in &desired.objects {
            let Some(spec) = pod_spec(object) else {
                continue;
            };
            let kind = desired.kind.as_str();
            match object {
                KubeObject::Job(_) => note(format!("{kind} init Job"), spec),
                _ => note(kind.to_owned(), spec),
            }
        }
    }
    for spec in render_platform(set.inputs()).iter().filter_map(pod_spec) {
        note("Fluentd (log shipping)".to_owned(), spec);
    }
    let mut table: BTreeMap<String, String> = ports
        .into_iter()
        .map(|(kind, found)| {
            let mut found: Vec<String> = found.into_iter().collect();
            found.sort_by_key(|p| {
                let port = p
                    .split([' ', '/'])
                    .next()
                    .and_then(|n| n.parse::<u32>().ok());
                (port, p.clone())
            });
            let text = if found.is_empty() {
                "none (host network)".to_owned()
            } else {
                found.join(", ")
            };
            (kind, text)
        })
        .collect();
    for kind in pod_network {
        assert!(
            !table.contains_key(&kind),
            "{kind} has pods on both networks"
        );
        table.insert(kind, "pod network".to_owned());
    }
    table
}

/// The table under `## Host ports` in docs/security.md.
fn documented() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo().join("docs/security.md")).expect("docs/security.md");
    let section = text
        .split("## Host ports")
        .nth(1)
        .expect("a Host ports section");
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            Some(((*cells.first()?).to_owned(), (*cells.get(1)?).to_owned()))
        })
        .collect()
}

#[test]
fn the_documented_host_ports_are_exactly_the_rendered_ones() {
    let rendered = rendered();
    assert!(
        rendered.len() >= 15,
        "every kind and Fluentd: {rendered:#?}"
    );
    let table: String = rendered
        .iter()
        .map(|(kind, ports)| format!("| {kind} | {ports} |\n"))
        .collect();
    assert_eq!(
        documented(),
        rendered,
        "docs/security.md's Host ports table should read:\n{table}"
    );
}

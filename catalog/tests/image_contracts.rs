//! Every rendered container is held to the contract of the image it runs
//! ([`firecamp_catalog::images::contract`], taken from the upstream Dockerfiles and entrypoints):
//! - each `VOLUME` of the image is mounted exactly, or no mount lies over it (containerd mounts an
//!   anonymous volume on an image `VOLUME` unless a mount has exactly its path, so data written
//!   under a mount that holds a `VOLUME` lands on the node's disk: audit C1);
//! - the container runs as the image's user (its files and folders are that user's), or as root
//!   where the contract allows it, and every claim it writes is writable to it (`fsGroup`);
//! - its command, its probes' commands and every program its scripts (the ConfigMap's `*.sh` it
//!   runs) call are in the image.
//!
//! The examples render every kind; the variants below add the kinds' other modes.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::SpecSet;
use common::shell::programs;
use firecamp_catalog::images::{
    FLUENTD_CLOUDWATCH, ImageContract, KAFKA_ZOOKEEPER_MODE, NETWORK_TOOLS, contract,
    default_image, pinned_image,
};
use firecamp_catalog::{KubeObject, render_platform};
use firecamp_schema::spec::ServiceKind;
use k8s_openapi::api::core::v1::{Container, PodSpec, Probe};

/// A pod template with the ConfigMaps of its service, by name.
struct Pod<'a> {
    owner: String,
    spec: &'a PodSpec,
    claims: BTreeSet<String>,
    config_maps: &'a BTreeMap<String, BTreeMap<String, String>>,
}

/// The pod templates of a set of objects, with their ConfigMaps.
fn pods<'a>(
    objects: &'a [KubeObject],
    config_maps: &'a BTreeMap<String, BTreeMap<String, String>>,
) -> Vec<Pod<'a>> {
    objects
        .iter()
        .filter_map(|object| {
            let (owner, spec, claims) = match object {
                KubeObject::StatefulSet(s) => (
                    format!("StatefulSet {}", s.metadata.name.as_deref()?),
                    s.spec.template.spec.as_ref()?,
                    s.spec
                        .volume_claim_templates
                        .iter()
                        .flatten()
                        .filter_map(|c| c.metadata.name.clone())
                        .collect(),
                ),
                KubeObject::DaemonSet(d) => (
                    format!("DaemonSet {}", d.metadata.name.as_deref()?),
                    d.spec.template.spec.as_ref()?,
                    BTreeSet::new(),
                ),
                KubeObject::Job(j) => (
                    format!("Job {}", j.metadata.name.as_deref()?),
                    j.spec.as_ref()?.template.spec.as_ref()?,
                    BTreeSet::new(),
                ),
                _ => return None,
            };
            Some(Pod {
                owner,
                spec,
                claims,
                config_maps,
            })
        })
        .collect()
}

/// ConfigMap name → its files.
fn config_maps(objects: &[KubeObject]) -> BTreeMap<String, BTreeMap<String, String>> {
    objects
        .iter()
        .filter_map(|o| match o {
            KubeObject::ConfigMap(c) => {
                Some((c.metadata.name.clone()?, c.data.clone().unwrap_or_default()))
            }
            _ => None,
        })
        .collect()
}

impl Pod<'_> {
    fn containers(&self) -> impl Iterator<Item = &Container> {
        self.spec
            .init_containers
            .iter()
            .flatten()
            .chain(&self.spec.containers)
    }

    /// The ConfigMap file a container path is, through the container's mounts.
    fn file_at(&self, container: &Container, path: &str) -> Option<&String> {
        container.volume_mounts.iter().flatten().find_map(|mount| {
            let volume = self
                .spec
                .volumes
                .iter()
                .flatten()
                .find(|v| v.name == mount.name)?;
            let config_map = volume.config_map.as_ref()?;
            let files = self.config_maps.get(&config_map.name)?;
            let key = match mount.sub_path.as_deref() {
                Some(sub) if path == mount.mount_path => sub,
                Some(_) => return None,
                None => path.strip_prefix(&format!("{}/", mount.mount_path))?,
            };
            let key = config_map
                .items
                .iter()
                .flatten()
                .find(|item| item.path == key)
                .map_or(key, |item| item.key.as_str());
            files.get(key)
        })
    }

    /// The programs a container runs: its command, its probes', and those its scripts call.
    fn programs(&self, container: &Container) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let probes = [
            &container.readiness_probe,
            &container.liveness_probe,
            &container.startup_probe,
        ];
        let probe_commands = probes
            .into_iter()
            .flatten()
            .filter_map(|p: &Probe| p.exec.as_ref()?.command.clone());
        let own = container.command.iter().map(|c| {
            c.iter()
                .chain(container.args.iter().flatten())
                .cloned()
                .collect::<Vec<_>>()
        });
        for argv in own.chain(probe_commands) {
            self.argv_programs(container, &argv, &mut found);
        }
        found
    }

    fn argv_programs(&self, container: &Container, argv: &[String], found: &mut BTreeSet<String>) {
        let Some(program) = argv.first() else {
            return;
        };
        found.insert(program.clone());
        let shell = ["/bin/sh", "sh", "/bin/bash", "bash"].contains(&program.as_str());
        if !shell {
            return;
        }
        match argv.get(1).map(String::as_str) {
            Some("-c") => {
                if let Some(script) = argv.get(2) {
                    found.extend(programs(script));
                }
            }
            Some(path) => {
                let script = self
                    .file_at(container, path)
                    .unwrap_or_else(|| panic!("{}: {path} is not a rendered file", self.owner));
                found.extend(programs(script));
            }
            None => {}
        }
    }
}

#[test]
fn the_first_word_of_each_command_outside_heredocs() {
    let script = "#!/bin/sh\nset -eu\nX=1 curl -s \"$(hostname -f)\" | grep -q ok && exec /opt/kafka/bin/kafka-server-start.sh x # then ls\ncat > f <<'EOF'\nrm -rf /\nEOF\nif [ -f x ]; then sed -i s/a/b/ x; fi\nwait_for() { nc -z a b; }\ncase \"$r\" in\n  primary|standby) wait_for ;;\n  *) touch x ;;\nesac\n";
    let found: Vec<String> = programs(script).into_iter().collect();
    let quoted = "mongosh --eval '\nrs.initiate()\n' 2>&1 | tr -d x\nfor p in a b; do command -v \"$p\" && \"$p\" -x; done\necho $((1 + 2)) \\\n  done_yet\n";
    let found_quoted: Vec<String> = programs(quoted).into_iter().collect();
    assert_eq!(found_quoted, ["a", "b", "mongosh", "tr"]);
    assert_eq!(
        found,
        [
            "/opt/kafka/bin/kafka-server-start.sh",
            "cat",
            "curl",
            "grep",
            "hostname",
            "nc",
            "sed",
            "touch"
        ]
    );
}

/// The container's uid: its own `runAsUser`, the pod's, or the image's default.
fn uid_of(pod: &Pod<'_>, container: &Container, contract: &ImageContract) -> i64 {
    container
        .security_context
        .as_ref()
        .and_then(|s| s.run_as_user)
        .or_else(|| pod.spec.security_context.as_ref()?.run_as_user)
        .unwrap_or(if contract.root_default {
            0
        } else {
            contract.uid
        })
}

/// The text a container runs on: its command, arguments, environment and probes, and each
/// ConfigMap file of its mounts that one of these names (by its path, or by its folder's),
/// transitively.
fn what_runs(pod: &Pod<'_>, container: &Container) -> Vec<String> {
    let mut texts: Vec<String> = container
        .command
        .iter()
        .flatten()
        .chain(container.args.iter().flatten())
        .cloned()
        .collect();
    texts.extend(
        container
            .env
            .iter()
            .flatten()
            .filter_map(|e| e.value.clone()),
    );
    let probes = [
        &container.readiness_probe,
        &container.liveness_probe,
        &container.startup_probe,
    ];
    texts.extend(
        probes
            .into_iter()
            .flatten()
            .filter_map(|p| p.exec.as_ref()?.command.clone())
            .flatten(),
    );
    let mut files: Vec<(String, String, String)> = Vec::new();
    for mount in container.volume_mounts.iter().flatten() {
        let Some(config_map) = pod
            .spec
            .volumes
            .iter()
            .flatten()
            .find(|v| v.name == mount.name)
            .and_then(|v| v.config_map.as_ref())
        else {
            continue;
        };
        for (key, text) in pod.config_maps.get(&config_map.name).into_iter().flatten() {
            let path = match mount.sub_path.as_deref() {
                Some(sub) if sub == key => mount.mount_path.clone(),
                Some(_) => continue,
                None => format!("{}/{key}", mount.mount_path),
            };
            files.push((path, mount.mount_path.clone(), text.clone()));
        }
    }
    loop {
        let before = files.len();
        let (reached, rest): (Vec<_>, Vec<_>) = files.into_iter().partition(|(path, folder, _)| {
            texts.iter().any(|t| names(t, path) || names(t, folder))
        });
        files = rest;
        if files.len() == before {
            return texts;
        }
        texts.extend(reached.into_iter().map(|(_, _, text)| text));
    }
}

/// Whether `text` names `path` itself (not a path below it).
fn names(text: &str, path: &str) -> bool {
    names_at(text, path, false)
}

/// Whether `text` names `path` or a path below it.
fn mentions(text: &str, path: &str) -> bool {
    names_at(text, path, true)
}

fn names_at(text: &str, path: &str, below: bool) -> bool {
    let part_of_name = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.');
    text.match_indices(path).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + path.len()..].chars().next();
        !before.is_some_and(|c| part_of_name(c) || c == '/')
            && !after.is_some_and(|c| part_of_name(c) || (!below && c == '/'))
    })
}

/// What of `contract` a container of `pod` breaks, one line each.
fn breaches(pod: &Pod<'_>, container: &Container, contract: &ImageContract) -> Vec<String> {
    let mut found = Vec::new();
    let mounts: Vec<&str> = container
        .volume_mounts
        .iter()
        .flatten()
        .map(|m| m.mount_path.as_str())
        .collect();
    let texts = what_runs(pod, container);
    for volume in contract.volumes {
        if mounts.contains(volume) {
            continue;
        }
        if let Some(text) = texts.iter().find(|t| mentions(t, volume)) {
            let line = text.lines().find(|l| mentions(l, volume)).unwrap_or(text);
            found.push(format!(
                "writes under the image's VOLUME {volume}, which no mount has exactly (an anonymous volume on the node's disk): {}",
                line.trim()
            ));
        }
    }
    let uid = uid_of(pod, container, contract);
    if uid != contract.uid && !(uid == 0 && contract.root_default) {
        found.push(format!(
            "runs as uid {uid}, not as the image's user {} ({})",
            contract.user, contract.uid
        ));
    }
    let writes_claims = container
        .volume_mounts
        .iter()
        .flatten()
        .any(|m| pod.claims.contains(&m.name) && m.read_only != Some(true));
    let fs_group = pod.spec.security_context.as_ref().and_then(|s| s.fs_group);
    if writes_claims && uid != 0 && fs_group.is_none() {
        found.push(format!("writes its claims as uid {uid} without an fsGroup"));
    }
    for program in pod.programs(container) {
        let known = contract.programs.iter().any(|p| {
            *p == program
                || (!program.contains('/') && p.rsplit('/').next() == Some(program.as_str()))
        });
        if !known {
            found.push(format!("calls {program}, which the image does not have"));
        }
    }
    found
}

/// Every breach of the image contracts in a spec set, as `owner/container: breach`.
fn contract_breaches(set: &SpecSet) -> Vec<String> {
    let mut found = Vec::new();
    let platform = render_platform(set.inputs());
    let mut rendered: Vec<(Option<&'static str>, Vec<KubeObject>)> = vec![(None, platform)];
    for (name, desired) in set.render() {
        let desired = desired.unwrap_or_else(|e| panic!("{name}: {e}"));
        rendered.push((
            Some(pinned_image(&set.services[&name].body)),
            desired.objects,
        ));
    }
    for (pinned, objects) in &rendered {
        let maps = config_maps(objects);
        for pod in pods(objects, &maps) {
            for container in pod.containers() {
                let image = container.image.as_deref().unwrap_or_default();
                // A spec's own image is built on the pinned one and keeps its contract.
                let Some(contract) = contract(image).or_else(|| contract((*pinned)?)) else {
                    found.push(format!(
                        "{}/{}: {image} has no contract",
                        pod.owner, container.name
                    ));
                    continue;
                };
                for breach in breaches(&pod, container, contract) {
                    found.push(format!("{}/{}: {breach}", pod.owner, container.name));
                }
            }
        }
    }
    found
}

#[test]
fn every_rendered_container_keeps_its_image_contract() {
    let breaches = contract_breaches(&SpecSet::examples());
    assert!(breaches.is_empty(), "{breaches:#?}");
}

/// Kafka's other modes (dedicated controllers; legacy ZooKeeper mode on 3.9) and a Redis of one
/// shard with replicas.
fn variants() -> SpecSet {
    let kind = |kind: &str, name: &str, spec: &str| {
        format!(
            "---\napiVersion: firecamp.io/v1alpha1\nkind: {kind}\nmetadata: {{name: {name}}}\nspec: {{{spec}}}\n"
        )
    };
    SpecSet::from_yaml(&format!(
        "apiVersion: firecamp.io/v1alpha1\nkind: Cluster\nmetadata: {{name: t}}\nspec: {{region: us-east-1, vpcId: vpc-0a1b2c3d, \
         zones: [{{name: us-east-1a, subnetId: subnet-0a1b2c3d}}, {{name: us-east-1b, subnetId: subnet-1a1b2c3d}}, {{name: us-east-1c, subnetId: subnet-2a1b2c3d}}], \
         defaults: {{volume: {{size: 10Gi}}, journalVolume: {{size: 5Gi}}}}}}\n{}{}{}{}",
        kind("ZooKeeper", "zk", "replicas: 3, heapSize: 1Gi"),
        kind(
            "Kafka",
            "legacy",
            "replicas: 3, heapSize: 1Gi, zookeeper: zk"
        ),
        kind(
            "Kafka",
            "split",
            "replicas: 3, heapSize: 1Gi, controllers: 3, dedicatedControllers: true"
        ),
        kind("Redis", "cache", "shards: 1, replicas: 2, memorySize: 1Gi"),
    ))
}

#[test]
fn the_kinds_other_modes_keep_their_image_contracts() {
    let breaches = contract_breaches(&variants());
    assert!(breaches.is_empty(), "{breaches:#?}");
}

/// The breaches of the examples after `edit` changes each rendered object.
fn breaches_after(edit: impl Fn(&mut serde_json::Value)) -> Vec<String> {
    let set = SpecSet::examples();
    let mut found = Vec::new();
    for (name, desired) in set.render() {
        let mut objects = desired.expect("renders").objects;
        for object in &mut objects {
            match object {
                KubeObject::ConfigMap(c) => edited(c, &edit),
                KubeObject::StatefulSet(s) => edited(s, &edit),
                KubeObject::Job(j) => edited(j, &edit),
                _ => {}
            }
        }
        let pinned = pinned_image(&set.services[&name].body);
        let maps = config_maps(&objects);
        for pod in pods(&objects, &maps) {
            for container in pod.containers() {
                let image = container.image.as_deref().unwrap_or_default();
                let contract = contract(image)
                    .or_else(|| contract(pinned))
                    .expect("a contract");
                found.extend(breaches(&pod, container, contract));
            }
        }
    }
    found
}

/// `object` changed by `edit` on its JSON form.
fn edited<T: serde::Serialize + serde::de::DeserializeOwned>(
    object: &mut T,
    edit: &impl Fn(&mut serde_json::Value),
) {
    let mut value = serde_json::to_value(&*object).expect("serializable");
    edit(&mut value);
    *object = serde_json::from_value(value).expect("still an object");
}

/// Replaces `from` with `to` in every string of `value`.
fn replace_strings(value: &mut serde_json::Value, from: &str, to: &str) {
    match value {
        serde_json::Value::String(s) => *s = s.replace(from, to),
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(|v| replace_strings(v, from, to))
        }
        serde_json::Value::Object(map) => {
            map.values_mut().for_each(|v| replace_strings(v, from, to))
        }
        _ => {}
    }
}

#[test]
fn a_render_that_breaks_a_contract_is_caught() {
    // MongoDB's data at the image's VOLUME /data/db, under the claim at /data (the audit's blocker).
    let found = breaches_after(|v| replace_strings(v, "/data/mongodb", "/data/db"));
    assert!(
        found.iter().any(|b| b.contains("VOLUME /data/db")),
        "{found:#?}"
    );
    // A probe that calls a program the image lacks.
    let found = breaches_after(|v| replace_strings(v, "| nc ", "| ncat "));
    assert!(found.iter().any(|b| b.contains("calls ncat")), "{found:#?}");
    // A container that runs as another uid than the image's user.
    let found = breaches_after(|v| {
        let uid = v.pointer_mut("/spec/template/spec/containers/0/securityContext/runAsUser");
        if let Some(uid) = uid.filter(|uid| **uid == 1000) {
            *uid = serde_json::json!(1001);
        }
    });
    assert!(
        found.iter().any(|b| b.contains("runs as uid 1001")),
        "{found:#?}"
    );
}

#[test]
fn every_pinned_image_has_a_contract() {
    for kind in ServiceKind::ALL {
        let image = default_image(*kind);
        assert!(contract(image).is_some(), "{image}");
    }
    for image in [KAFKA_ZOOKEEPER_MODE, NETWORK_TOOLS, FLUENTD_CLOUDWATCH] {
        assert!(contract(image).is_some(), "{image}");
    }
}

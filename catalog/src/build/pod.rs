//! The pod template of one StatefulSet (one role in one zone).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvVar,
    EnvVarSource, KeyToPath, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
    ObjectFieldSelector, PodAffinityTerm, PodAntiAffinity, PodSecurityContext, PodSpec,
    PodTemplateSpec, ProjectedVolumeSource, ResourceRequirements, SecretProjection,
    SecurityContext, Volume, VolumeMount, VolumeProjection,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};

use firecamp_schema::spec::resources::{ResourceList, Resources};

use super::{config_map_name, static_ip};
use crate::blueprint::{
    Blueprint, CONFIG_DIR, DATA_DIR, JOURNAL_DIR, RUNTIME_DIR, SECRETS_DIR, STATIC_IP_DIR, env,
};
use crate::context::ServiceContext;
use crate::labels;

/// Seconds a member gets to stop cleanly (flush, hand over leadership) before it is killed.
const TERMINATION_GRACE_SECONDS: i64 = 120;

/// The pod template for the members of `role` in `zone`.
pub(crate) fn pod_template(
    ctx: &ServiceContext<'_>,
    bp: &Blueprint,
    role: &str,
    zone: &str,
    hash: String,
) -> PodTemplateSpec {
    let mut pod_labels = labels::service_labels(
        ctx.cluster_name(),
        ctx.name(),
        ctx.body().kind().as_str(),
        &ctx.service.metadata.labels,
    );
    pod_labels.extend(labels::statefulset_selector(ctx.name(), role, zone));
    pod_labels.insert(labels::COMPONENT.to_owned(), role.to_owned());
    let mut spec = PodSpec {
        service_account_name: Some(ctx.name().to_owned()),
        automount_service_account_token: Some(false),
        host_network: (!bp.pod_network).then_some(true),
        dns_policy: (!bp.pod_network).then(|| "ClusterFirstWithHostNet".to_owned()),
        termination_grace_period_seconds: Some(TERMINATION_GRACE_SECONDS),
        affinity: Some(affinity(ctx.name(), zone)),
        security_context: bp.user.map(|group| PodSecurityContext {
            fs_group: Some(group),
            ..PodSecurityContext::default()
        }),
        containers: vec![main_container(ctx, bp, role, zone)],
        volumes: Some(volumes(ctx, bp)),
        ..PodSpec::default()
    };
    if ctx.static_ip() {
        static_ip::add_to(&mut spec, ctx.name(), ctx.reserved_cidr(zone));
    }
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(pod_labels),
            annotations: Some(BTreeMap::from([(labels::CONFIG_HASH.to_owned(), hash)])),
            ..ObjectMeta::default()
        }),
        spec: Some(spec),
    }
}

fn main_container(ctx: &ServiceContext<'_>, bp: &Blueprint, role: &str, zone: &str) -> Container {
    let mut all_env = vec![
        field_env("POD_NAME", "metadata.name"),
        field_env("POD_IP", "status.podIP"),
        field_env("NODE_NAME", "spec.nodeName"),
        env("FIRECAMP_SERVICE", ctx.name()),
        env("FIRECAMP_ROLE", role),
        env("FIRECAMP_ZONE", zone),
    ];
    all_env.extend(bp.env.iter().cloned());
    let ports = bp
        .ports
        .iter()
        .flat_map(|p| {
            p.protocols()
                .into_iter()
                .map(|(name, protocol)| ContainerPort {
                    name: Some(name),
                    container_port: i32::from(p.port),
                    host_port: Some(i32::from(p.port)),
                    protocol: Some(protocol.to_owned()),
                    ..ContainerPort::default()
                })
        })
        .collect::<Vec<_>>();
    let probes = bp.probes(role);
    Container {
        name: ctx.body().kind().as_str().to_lowercase(),
        image: Some(ctx.image()),
        command: (!bp.command.is_empty()).then(|| bp.command.clone()),
        env: Some(all_env),
        ports: (!ports.is_empty()).then_some(ports),
        resources: Some(resource_requirements(&ctx.resources())),
        volume_mounts: Some(volume_mounts(ctx, bp)),
        readiness_probe: probes.readiness,
        liveness_probe: probes.liveness,
        startup_probe: probes.startup,
        security_context: bp.user.map(|user| SecurityContext {
            run_as_user: Some(user),
            run_as_group: Some(user),
            run_as_non_root: Some(true),
            allow_privilege_escalation: Some(false),
            ..SecurityContext::default()
        }),
        ..Container::default()
    }
}

/// An environment variable from the pod's own fields.
pub(crate) fn field_env(name: &str, path: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: None,
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: path.to_owned(),
                api_version: None,
            }),
            ..EnvVarSource::default()
        }),
    }
}

fn affinity(service: &str, zone: &str) -> Affinity {
    Affinity {
        node_affinity: Some(NodeAffinity {
            required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                node_selector_terms: vec![NodeSelectorTerm {
                    match_expressions: Some(vec![NodeSelectorRequirement {
                        key: "topology.kubernetes.io/zone".to_owned(),
                        operator: "In".to_owned(),
                        values: Some(vec![zone.to_owned()]),
                    }]),
                    match_fields: None,
                }],
            }),
            preferred_during_scheduling_ignored_during_execution: None,
        }),
        // Members of a service never share a node; the selector takes members only (they have a
        // role), not the service's init Jobs: a Job pod matched by its members' required
        // anti-affinity could go on no node once every node holds a member (the real
        // scheduler left the Redis init Job Pending for that).
        pod_anti_affinity: Some(PodAntiAffinity {
            required_during_scheduling_ignored_during_execution: Some(vec![PodAffinityTerm {
                label_selector: Some(LabelSelector {
                    match_labels: Some(labels::service_selector(service)),
                    match_expressions: Some(vec![LabelSelectorRequirement {
                        key: labels::ROLE.to_owned(),
                        operator: "Exists".to_owned(),
                        values: None,
                    }]),
                }),
                topology_key: "kubernetes.io/hostname".to_owned(),
                ..PodAffinityTerm::default()
            }]),
            preferred_during_scheduling_ignored_during_execution: None,
        }),
        pod_affinity: None,
    }
}

fn volume_mounts(ctx: &ServiceContext<'_>, bp: &Blueprint) -> Vec<VolumeMount> {
    let mount = |name: &str, path: &str, read_only: bool| VolumeMount {
        name: name.to_owned(),
        mount_path: path.to_owned(),
        read_only: read_only.then_some(true),
        ..VolumeMount::default()
    };
    let mut mounts = vec![
        mount("config", CONFIG_DIR, true),
        mount("runtime", RUNTIME_DIR, false),
    ];
    if ctx.volume().is_some() {
        mounts.push(mount("data", DATA_DIR, false));
    }
    if ctx.journal_volume().is_some() {
        mounts.push(mount("journal", JOURNAL_DIR, false));
    }
    if !bp.secret_files.is_empty() {
        mounts.push(mount("secrets", SECRETS_DIR, true));
    }
    if ctx.static_ip() {
        mounts.push(mount("static-ip", STATIC_IP_DIR, true));
    }
    for (file, path) in &bp.file_mounts {
        mounts.push(VolumeMount {
            sub_path: Some(file.clone()),
            ..mount("config", path, true)
        });
    }
    mounts
}

/// The pod's volumes besides the volume claims: config, runtime scratch and secret files.
pub(crate) fn volumes(ctx: &ServiceContext<'_>, bp: &Blueprint) -> Vec<Volume> {
    let mut volumes = vec![
        Volume {
            name: "config".to_owned(),
            config_map: Some(ConfigMapVolumeSource {
                name: config_map_name(ctx.name()),
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        },
        Volume {
            name: "runtime".to_owned(),
            empty_dir: Some(EmptyDirVolumeSource {
                medium: Some("Memory".to_owned()),
                size_limit: Some(Quantity("16Mi".to_owned())),
                ..EmptyDirVolumeSource::default()
            }),
            ..Volume::default()
        },
    ];
    volumes.extend(secret_volume(bp));
    volumes
}

/// The projected volume of the blueprint's Secret files, when it has any.
pub(crate) fn secret_volume(bp: &Blueprint) -> Option<Volume> {
    if bp.secret_files.is_empty() {
        return None;
    }
    let sources = bp
        .secret_files
        .iter()
        .map(|f| VolumeProjection {
            secret: Some(SecretProjection {
                name: f.secret.secret_name.clone(),
                items: Some(vec![KeyToPath {
                    key: f.secret.key.clone(),
                    path: f.file.clone(),
                    mode: Some(f.mode),
                    ..KeyToPath::default()
                }]),
                optional: None,
            }),
            ..VolumeProjection::default()
        })
        .collect();
    Some(Volume {
        name: "secrets".to_owned(),
        projected: Some(ProjectedVolumeSource {
            sources: Some(sources),
            default_mode: Some(0o400),
            ..ProjectedVolumeSource::default()
        }),
        ..Volume::default()
    })
}

/// Kubernetes resource requirements from a spec's resources.
pub(crate) fn resource_requirements(resources: &Resources) -> ResourceRequirements {
    let list = |list: Option<&ResourceList>| {
        let list = list?;
        let mut map = BTreeMap::new();
        if let Some(cpu) = &list.cpu {
            map.insert("cpu".to_owned(), Quantity(cpu.as_str().to_owned()));
        }
        if let Some(memory) = &list.memory {
            map.insert("memory".to_owned(), Quantity(memory.as_str().to_owned()));
        }
        (!map.is_empty()).then_some(map)
    };
    ResourceRequirements {
        requests: list(resources.requests.as_ref()),
        limits: list(resources.limits.as_ref()),
        ..ResourceRequirements::default()
    }
}

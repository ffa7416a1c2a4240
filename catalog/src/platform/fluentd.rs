//! Fluentd ships every member's container logs to CloudWatch Logs: log group
//! `<cluster>-<namespace>-<service>` (from the pod's `firecamp.io/service` label), log stream
//! `<pod>/<container>/<node>/<container id, 12 characters>`. It reads the CRI log files of the
//! Cluster's namespace under /var/log/containers.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, HostPathVolumeSource, PodSpec, PodTemplateSpec,
    ServiceAccount, Toleration, Volume, VolumeMount,
};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use firecamp_schema::spec::ClusterDocument;

use crate::blueprint::env;
use crate::build::pod::resource_requirements;
use crate::desired::KubeObject;
use crate::images::FLUENTD_CLOUDWATCH;
use crate::labels;
use firecamp_schema::spec::quantity::Quantity;
use firecamp_schema::spec::resources::{ResourceList, Resources};

/// Name of Fluentd's objects.
pub const NAME: &str = "firecamp-fluentd";

/// The CloudWatch log group of a service.
#[must_use]
pub fn log_group_name(cluster: &str, namespace: &str, service: &str) -> String {
    format!("{cluster}-{namespace}-{service}")
}

/// ServiceAccount, ClusterRole (read pods and namespaces), binding, ConfigMap and DaemonSet.
pub(crate) fn objects(cluster: &ClusterDocument) -> Vec<KubeObject> {
    let namespace = cluster.spec.namespace.clone();
    let meta = |name: &str, namespaced: bool| ObjectMeta {
        name: Some(name.to_owned()),
        namespace: namespaced.then(|| namespace.clone()),
        labels: Some(labels::platform_labels(&cluster.metadata.name, "logs")),
        ..ObjectMeta::default()
    };
    let role = ClusterRole {
        metadata: meta(NAME, false),
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["pods".to_owned(), "namespaces".to_owned()]),
            verbs: vec!["get".to_owned(), "list".to_owned(), "watch".to_owned()],
            ..PolicyRule::default()
        }]),
        ..ClusterRole::default()
    };
    let binding = ClusterRoleBinding {
        metadata: meta(NAME, false),
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".to_owned()),
            kind: "ClusterRole".to_owned(),
            name: NAME.to_owned(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".to_owned(),
            name: NAME.to_owned(),
            namespace: Some(namespace.clone()),
            api_group: None,
        }]),
    };
    let config = ConfigMap {
        metadata: meta(NAME, true),
        data: Some(BTreeMap::from([(
            "fluent.conf".to_owned(),
            fluent_conf(cluster),
        )])),
        ..ConfigMap::default()
    };
    vec![
        KubeObject::ServiceAccount(ServiceAccount {
            metadata: meta(NAME, true),
            ..ServiceAccount::default()
        }),
        KubeObject::ClusterRole(role),
        KubeObject::ClusterRoleBinding(binding),
        KubeObject::ConfigMap(config),
        KubeObject::DaemonSet(Box::new(daemon_set(cluster, meta(NAME, true)))),
    ]
}

fn daemon_set(cluster: &ClusterDocument, metadata: ObjectMeta) -> DaemonSet {
    let selector = BTreeMap::from([
        (labels::COMPONENT.to_owned(), "logs".to_owned()),
        (labels::MANAGED_BY.to_owned(), labels::FIRECAMP.to_owned()),
    ]);
    let region = cluster
        .spec
        .logs
        .region
        .clone()
        .unwrap_or_else(|| cluster.spec.region.clone());
    let mount = |name: &str, path: &str, read_only: bool| VolumeMount {
        name: name.to_owned(),
        mount_path: path.to_owned(),
        read_only: read_only.then_some(true),
        ..VolumeMount::default()
    };
    let resources = Resources {
        requests: Some(ResourceList {
            cpu: Some(Quantity::new("100m")),
            memory: Some(Quantity::new("200Mi")),
        }),
        limits: Some(ResourceList {
            cpu: None,
            memory: Some(Quantity::new("400Mi")),
        }),
    };
    DaemonSet {
        metadata,
        spec: DaemonSetSpec {
            selector: LabelSelector {
                match_labels: Some(selector.clone()),
                match_expressions: None,
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(selector),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    service_account_name: Some(NAME.to_owned()),
                    priority_class_name: Some("system-node-critical".to_owned()),
                    tolerations: Some(vec![Toleration {
                        operator: Some("Exists".to_owned()),
                        ..Toleration::default()
                    }]),
                    termination_grace_period_seconds: Some(30),
                    containers: vec![Container {
                        name: "fluentd".to_owned(),
                        image: Some(FLUENTD_CLOUDWATCH.to_owned()),
                        env: Some(vec![
                            env("AWS_REGION", region),
                            env("FIRECAMP_CLUSTER", cluster.metadata.name.clone()),
                        ]),
                        resources: Some(resource_requirements(&resources)),
                        volume_mounts: Some(vec![
                            mount("varlog", "/var/log", false),
                            mount("config", "/fluentd/etc", true),
                        ]),
                        ..Container::default()
                    }],
                    volumes: Some(vec![
                        Volume {
                            name: "varlog".to_owned(),
                            host_path: Some(HostPathVolumeSource {
                                path: "/var/log".to_owned(),
                                type_: Some("Directory".to_owned()),
                            }),
                            ..Volume::default()
                        },
                        Volume {
                            name: "config".to_owned(),
                            config_map: Some(ConfigMapVolumeSource {
                                name: NAME.to_owned(),
                                ..ConfigMapVolumeSource::default()
                            }),
                            ..Volume::default()
                        },
                    ]),
                    ..PodSpec::default()
                }),
            },
            ..DaemonSetSpec::default()
        },
        status: None,
    }
}

/// fluent.conf in current (v1) syntax.
fn fluent_conf(cluster: &ClusterDocument) -> String {
    let namespace = &cluster.spec.namespace;
    let retention = cluster.spec.logs.retention_days;
    format!(
        r##"# Generated by firecamp: ships the logs of the members in namespace {namespace} to CloudWatch Logs.
<system>
  log_level info
</system>

<source>
  @type tail
  @id firecamp_containers
  path /var/log/containers/*_{namespace}_*.log
  pos_file /var/log/firecamp-fluentd-containers.pos
  tag kubernetes.*
  read_from_head true
  <parse>
    @type cri
  </parse>
</source>

<filter kubernetes.**>
  @type kubernetes_metadata
  @id firecamp_metadata
</filter>

# Only pods of firecamp services.
<filter kubernetes.**>
  @type grep
  <regexp>
    key $.kubernetes.labels.firecamp_io/service
    pattern /.+/
  </regexp>
</filter>

<filter kubernetes.**>
  @type record_transformer
  enable_ruby true
  <record>
    group_name ${{ENV["FIRECAMP_CLUSTER"]}}-${{record["kubernetes"]["namespace_name"]}}-${{record["kubernetes"]["labels"]["firecamp_io/service"]}}
    stream_name ${{record["kubernetes"]["pod_name"]}}/${{record["kubernetes"]["container_name"]}}/${{record["kubernetes"]["host"]}}/${{(record.dig("docker", "container_id") || "unknown")[0, 12]}}
  </record>
</filter>

<match kubernetes.**>
  @type cloudwatch_logs
  @id firecamp_cloudwatch
  region "#{{ENV['AWS_REGION']}}"
  log_group_name_key group_name
  log_stream_name_key stream_name
  remove_log_group_name_key true
  remove_log_stream_name_key true
  auto_create_stream true
  auto_create_group true
  retention_in_days {retention}
  put_log_events_retry_limit 20
  <buffer>
    flush_interval 5s
    chunk_limit_size 2m
    retry_max_interval 30s
  </buffer>
</match>
"##
    )
}

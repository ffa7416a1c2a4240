//! The per-service objects besides StatefulSets and Jobs.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Service, ServiceAccount, ServicePort, ServiceSpec};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::meta::service_meta;
use super::{config_map_name, member_file_key};
use crate::blueprint::Blueprint;
use crate::context::ServiceContext;
use crate::labels;

/// The service's ServiceAccount (no API token mounted: members do not call the API).
pub(crate) fn service_account(ctx: &ServiceContext<'_>) -> ServiceAccount {
    ServiceAccount {
        metadata: service_meta(ctx, ctx.name().to_owned(), BTreeMap::new()),
        automount_service_account_token: Some(false),
        ..ServiceAccount::default()
    }
}

/// The ConfigMap with the service's files, each member's files and the init jobs' scripts.
pub(crate) fn config_map(ctx: &ServiceContext<'_>, bp: &Blueprint) -> ConfigMap {
    let mut data = bp.files.clone();
    for (member, files) in &bp.member_files {
        for (file, content) in files {
            data.insert(member_file_key(member, file), content.clone());
        }
    }
    for job in &bp.jobs {
        data.insert(format!("job-{}.sh", job.suffix), job.script.clone());
    }
    ConfigMap {
        metadata: service_meta(ctx, config_map_name(ctx.name()), BTreeMap::new()),
        data: Some(data),
        ..ConfigMap::default()
    }
}

/// The headless Service of the published ports; `None` when the service publishes none.
pub(crate) fn headless_service(ctx: &ServiceContext<'_>, bp: &Blueprint) -> Option<Service> {
    let ports: Vec<ServicePort> = bp
        .ports
        .iter()
        .filter(|p| p.published)
        .flat_map(|p| {
            p.protocols()
                .into_iter()
                .map(|(name, protocol)| ServicePort {
                    name: Some(name),
                    port: i32::from(p.port),
                    target_port: Some(IntOrString::Int(i32::from(p.port))),
                    protocol: Some(protocol.to_owned()),
                    ..ServicePort::default()
                })
        })
        .collect();
    if ports.is_empty() {
        return None;
    }
    Some(Service {
        metadata: service_meta(ctx, ctx.name().to_owned(), BTreeMap::new()),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".to_owned()),
            publish_not_ready_addresses: Some(true),
            selector: Some(labels::service_selector(ctx.name())),
            ports: Some(ports),
            ..ServiceSpec::default()
        }),
        status: None,
    })
}

/// At most one member of the service down at a time for voluntary disruptions (node drains).
pub(crate) fn pod_disruption_budget(ctx: &ServiceContext<'_>) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata: service_meta(ctx, ctx.name().to_owned(), BTreeMap::new()),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector {
                match_labels: Some(labels::service_selector(ctx.name())),
                match_expressions: None,
            }),
            ..PodDisruptionBudgetSpec::default()
        }),
        status: None,
    }
}

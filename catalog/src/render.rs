//! Assembling one service: the blueprint of its kind through the common builders.

use std::collections::BTreeSet;

use firecamp_schema::spec::ServiceDocument;

use crate::build;
use crate::context::{Inputs, ServiceContext};
use crate::derived_names;
use crate::desired::{
    AwsNeeds, DesiredMember, DesiredService, DnsRecord, KubeObject, LogGroup, RecordTarget,
    StaticIpRequest,
};
use crate::error::RenderError;
use crate::kinds;
use crate::object_limits::{MAX_CONFIG_MAP_DATA, config_map_data_size};
use crate::platform::fluentd::log_group_name;

/// Renders `service`: objects in creation order (ServiceAccount, ConfigMap, Service,
/// StatefulSets, PodDisruptionBudget, Jobs), members and AWS needs.
///
/// # Errors
/// When a referenced service is missing or of the wrong kind, or a spec value (a name included)
/// cannot be written into a rendered file, or the ConfigMap would be larger than Kubernetes accepts.
pub fn render_service(
    inputs: Inputs<'_>,
    service: &ServiceDocument,
) -> Result<DesiredService, RenderError> {
    let ctx = ServiceContext::new(inputs, service);
    derived_names::check(&ctx)?;
    let mut bp = kinds::blueprint(&ctx)?;
    if ctx.static_ip() {
        build::add_static_ip_script(&mut bp);
    }
    let config_map = build::config_map(&ctx, &bp);
    let bytes = config_map_data_size(&config_map);
    if bytes > MAX_CONFIG_MAP_DATA {
        return Err(RenderError::ConfigMapTooLarge {
            service: ctx.name().to_owned(),
            config_map: config_map.metadata.name.clone().unwrap_or_default(),
            bytes,
            limit: MAX_CONFIG_MAP_DATA,
        });
    }
    let mut objects = vec![
        KubeObject::ServiceAccount(build::service_account(&ctx)),
        KubeObject::ConfigMap(config_map),
    ];
    objects.extend(build::headless_service(&ctx, &bp).map(|s| KubeObject::Service(Box::new(s))));
    objects.extend(
        build::statefulsets(&ctx, &bp)
            .into_iter()
            .map(|s| KubeObject::StatefulSet(Box::new(s))),
    );
    objects.push(KubeObject::PodDisruptionBudget(Box::new(
        build::pod_disruption_budget(&ctx),
    )));
    objects.extend(
        build::jobs(&ctx, &bp)
            .into_iter()
            .map(|j| KubeObject::Job(Box::new(j))),
    );
    let static_ip = ctx.static_ip();
    let members: Vec<DesiredMember> = ctx
        .members
        .iter()
        .map(|m| DesiredMember {
            member: m.clone(),
            dns_name: ctx.dns_name(&m.name),
            static_ip,
        })
        .collect();
    let depends_on: BTreeSet<String> = service
        .body
        .references()
        .into_iter()
        .map(|r| r.target)
        .chain(service.body.workload().depends_on.iter().cloned())
        .collect();
    Ok(DesiredService {
        name: ctx.name().to_owned(),
        kind: service.body.kind(),
        namespace: ctx.namespace().to_owned(),
        aws: aws_needs(&ctx, &members, !bp.pod_network),
        members,
        objects,
        depends_on: depends_on.into_iter().collect(),
    })
}

fn aws_needs(ctx: &ServiceContext<'_>, members: &[DesiredMember], publish_dns: bool) -> AwsNeeds {
    let cluster = &ctx.inputs.cluster.spec;
    let static_ips = members
        .iter()
        .filter(|m| m.static_ip)
        .filter_map(|m| {
            let zone = cluster.zones.iter().find(|z| z.name == m.member.zone)?;
            Some(StaticIpRequest {
                member: m.member.name.clone(),
                zone: zone.name.clone(),
                subnet_id: zone.subnet_id.clone(),
                reserved_cidr: zone.reserved_cidr.clone(),
            })
        })
        .collect();
    let dns_records = members
        .iter()
        .filter(|_| publish_dns)
        .map(|m| DnsRecord {
            name: m.dns_name.clone(),
            member: m.member.name.clone(),
            target: if m.static_ip {
                RecordTarget::StaticIp
            } else {
                RecordTarget::NodeIp
            },
            ttl: cluster.dns.ttl,
        })
        .collect();
    let log_group = cluster.logs.enabled.then(|| LogGroup {
        name: log_group_name(ctx.cluster_name(), ctx.namespace(), ctx.name()),
        region: cluster
            .logs
            .region
            .clone()
            .unwrap_or_else(|| cluster.region.clone()),
        retention_days: cluster.logs.retention_days,
    });
    AwsNeeds {
        static_ips,
        dns_records,
        log_group,
    }
}

//! Init tasks as Jobs. Their scripts are idempotent: a Job that runs twice changes nothing the
//! second time.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, Container, PodSpec, PodTemplateSpec, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::meta::service_meta;
use super::pod::secret_volume;
use super::{config_map_name, static_ip_config_map_name};
use crate::blueprint::{Blueprint, CONFIG_DIR, JobPlan, SECRETS_DIR};
use crate::context::ServiceContext;
use crate::labels;

/// Label naming the init task of a Job.
const JOB_LABEL: &str = "firecamp.io/job";

/// The service's init Jobs.
pub(crate) fn jobs(ctx: &ServiceContext<'_>, bp: &Blueprint) -> Vec<Job> {
    bp.jobs.iter().map(|plan| job(ctx, bp, plan)).collect()
}

fn job(ctx: &ServiceContext<'_>, bp: &Blueprint, plan: &JobPlan) -> Job {
    let extra = BTreeMap::from([(JOB_LABEL.to_owned(), plan.suffix.to_owned())]);
    let metadata = service_meta(
        ctx,
        format!("{}-{}", ctx.name(), plan.suffix),
        extra.clone(),
    );
    let mut pod_labels = labels::service_labels(
        ctx.cluster_name(),
        ctx.name(),
        ctx.body().kind().as_str(),
        &ctx.service.metadata.labels,
    );
    pod_labels.extend(extra);
    let mut mounts = vec![VolumeMount {
        name: "config".to_owned(),
        mount_path: CONFIG_DIR.to_owned(),
        read_only: Some(true),
        ..VolumeMount::default()
    }];
    let mut volumes = vec![config_volume("config", config_map_name(ctx.name()))];
    if ctx.static_ip() {
        mounts.push(VolumeMount {
            name: "static-ip".to_owned(),
            mount_path: "/etc/firecamp-static-ip".to_owned(),
            read_only: Some(true),
            ..VolumeMount::default()
        });
        volumes.push(config_volume(
            "static-ip",
            static_ip_config_map_name(ctx.name()),
        ));
    }
    if plan.secrets {
        mounts.push(VolumeMount {
            name: "secrets".to_owned(),
            mount_path: SECRETS_DIR.to_owned(),
            read_only: Some(true),
            ..VolumeMount::default()
        });
        volumes.extend(secret_volume(bp));
    }
    Job {
        metadata,
        spec: Some(JobSpec {
            backoff_limit: Some(10),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(pod_labels),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    restart_policy: Some("OnFailure".to_owned()),
                    service_account_name: Some(ctx.name().to_owned()),
                    automount_service_account_token: Some(false),
                    containers: vec![Container {
                        name: plan.suffix.to_owned(),
                        image: Some(plan.image.clone()),
                        command: Some(vec![
                            "/bin/sh".to_owned(),
                            format!("{CONFIG_DIR}/job-{}.sh", plan.suffix),
                        ]),
                        env: (!plan.env.is_empty()).then(|| plan.env.clone()),
                        volume_mounts: Some(mounts),
                        ..Container::default()
                    }],
                    volumes: Some(volumes),
                    ..PodSpec::default()
                }),
            },
            ..JobSpec::default()
        }),
        status: None,
    }
}

fn config_volume(name: &str, config_map: String) -> Volume {
    Volume {
        name: name.to_owned(),
        config_map: Some(ConfigMapVolumeSource {
            name: config_map,
            ..ConfigMapVolumeSource::default()
        }),
        ..Volume::default()
    }
}

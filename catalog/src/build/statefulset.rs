//! One StatefulSet per role and zone.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetSpec,
    StatefulSetUpdateStrategy,
};
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimSpec, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use firecamp_schema::spec::volume::VolumeSpec;
use firecamp_schema::topology::Member;

use super::hash::config_hash;
use super::member_file_key;
use super::meta::service_meta;
use super::pod::pod_template;
use crate::blueprint::Blueprint;
use crate::context::ServiceContext;
use crate::labels;
use crate::lifecycle::{IDENTITY_ANNOTATION, MEMBER_NUMBERS_ANNOTATION, member_numbering};
use crate::platform::storage::storage_class_name;

/// The StatefulSets of a service, by name.
pub(crate) fn statefulsets(ctx: &ServiceContext<'_>, bp: &Blueprint) -> Vec<StatefulSet> {
    let mut groups: BTreeMap<&str, Vec<&Member>> = BTreeMap::new();
    for member in &ctx.members {
        groups
            .entry(member.statefulset.as_str())
            .or_default()
            .push(member);
    }
    groups
        .into_iter()
        .map(|(name, members)| statefulset(ctx, bp, name, &members))
        .collect()
}

fn statefulset(
    ctx: &ServiceContext<'_>,
    bp: &Blueprint,
    name: &str,
    members: &[&Member],
) -> StatefulSet {
    let first = members[0];
    let (role, zone) = (first.role.as_str(), first.zone.as_str());
    let selector = labels::statefulset_selector(ctx.name(), role, zone);
    let mut extra = selector.clone();
    extra.insert(labels::COMPONENT.to_owned(), role.to_owned());
    let mut claims = Vec::new();
    if let Some(volume) = ctx.volume() {
        claims.push(claim(ctx, "data", &volume));
    }
    if let Some(volume) = ctx.journal_volume() {
        claims.push(claim(ctx, "journal", &volume));
    }
    let mut metadata = service_meta(ctx, name.to_owned(), extra);
    let mut annotations = BTreeMap::new();
    if let Some(identity) = &bp.identity {
        annotations.insert(IDENTITY_ANNOTATION.to_owned(), identity.clone());
    }
    if let Some(numbering) = member_numbering(ctx.service.body.kind()) {
        let numbers: Vec<String> = members
            .iter()
            .map(|m| numbering.of(m.index).to_string())
            .collect();
        annotations.insert(MEMBER_NUMBERS_ANNOTATION.to_owned(), numbers.join(","));
    }
    if !annotations.is_empty() {
        metadata.annotations = Some(annotations);
    }
    StatefulSet {
        metadata,
        spec: StatefulSetSpec {
            replicas: Some(i32::try_from(members.len()).unwrap_or(i32::MAX)),
            service_name: Some(ctx.name().to_owned()),
            selector: LabelSelector {
                match_labels: Some(selector),
                match_expressions: None,
            },
            pod_management_policy: Some("Parallel".to_owned()),
            update_strategy: Some(StatefulSetUpdateStrategy {
                type_: Some("OnDelete".to_owned()),
                rolling_update: None,
            }),
            persistent_volume_claim_retention_policy: Some(
                StatefulSetPersistentVolumeClaimRetentionPolicy {
                    when_deleted: Some("Retain".to_owned()),
                    when_scaled: Some("Retain".to_owned()),
                },
            ),
            revision_history_limit: Some(5),
            template: pod_template(ctx, bp, role, zone, hash(ctx, bp, members)),
            volume_claim_templates: (!claims.is_empty()).then_some(claims),
            ..StatefulSetSpec::default()
        },
        status: None,
    }
}

/// Hash of what these members read at start: image, command, environment, service files, their
/// own files and the Secret references (not values).
fn hash(ctx: &ServiceContext<'_>, bp: &Blueprint, members: &[&Member]) -> String {
    let image = ctx.image();
    let command = bp.command.join("\u{0}");
    let env = serde_json::to_string(&bp.env).unwrap_or_default();
    let secrets: Vec<String> = bp
        .secret_files
        .iter()
        .map(|f| format!("{}/{}/{}", f.secret.secret_name, f.secret.key, f.file))
        .collect();
    let mut parts: Vec<&str> = vec![&image, &command, &env];
    for (name, content) in &bp.files {
        parts.extend([name.as_str(), content.as_str()]);
    }
    let member_keys: Vec<(String, &String)> = members
        .iter()
        .filter_map(|m| bp.member_files.get(&m.name).map(|files| (m, files)))
        .flat_map(|(m, files)| {
            files
                .iter()
                .map(|(file, content)| (member_file_key(&m.name, file), content))
        })
        .collect();
    for (key, content) in &member_keys {
        parts.extend([key.as_str(), content.as_str()]);
    }
    parts.extend(secrets.iter().map(String::as_str));
    config_hash(parts)
}

/// A volume claim template; its labels mark the claims made from it as firecamp's, so they are
/// found (and kept, or deleted under deletionPolicy Delete) like every other owned object.
fn claim(ctx: &ServiceContext<'_>, name: &str, volume: &VolumeSpec) -> PersistentVolumeClaim {
    let size = volume
        .size
        .as_ref()
        .map_or_else(|| "1Gi".to_owned(), |q| q.as_str().to_owned());
    PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: Some(labels::service_labels(
                ctx.cluster_name(),
                ctx.name(),
                ctx.body().kind().as_str(),
                &BTreeMap::new(),
            )),
            ..ObjectMeta::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".to_owned()]),
            storage_class_name: Some(storage_class_name(volume)),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([("storage".to_owned(), Quantity(size))])),
                limits: None,
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        status: None,
    }
}

//! Kubernetes steps: create, update, replace (immutable fields), expand volumes, restart members
//! running an old pod template, and delete what firecamp owns but no longer wants.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use firecamp_catalog::{DesiredService, KubeObject, labels, static_ip_config_map_name};
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::desired::Desired;
use super::diff::diff;
use super::draft::{Drafts, Rank, StepSpec};
use super::immutable::{claims_of_class, immutable_changes};
use super::manifest::{DESIRED_HASH, manifest};
use super::memo::{Observed, PlanMemo};
use super::model::{Action, FieldChange, Provider};
use super::owned::{LiveKey, Owned};
use super::restarts::{Restarts, plan_restarts};
use super::static_ips::Allocation;
use super::volumes::plan_volume_growth;
use crate::live::LiveIndex;

/// `(kind, namespace, name)` of a manifest.
pub fn identity(object: &Value) -> (String, String, String) {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    (
        text(&object["kind"]),
        text(&object["metadata"]["namespace"]),
        text(&object["metadata"]["name"]),
    )
}

/// [`identity`] without copying: borrowed from the object.
pub(crate) fn live_identity(object: &Value) -> LiveKey<'_> {
    fn text(v: &Value) -> &str {
        v.as_str().unwrap_or_default()
    }
    (
        text(&object["kind"]),
        text(&object["metadata"]["namespace"]),
        text(&object["metadata"]["name"]),
    )
}

pub(super) fn step_id(kind: &str, namespace: &str, name: &str) -> String {
    format!(
        "kubernetes:{kind}/{}/{name}",
        if namespace.is_empty() { "-" } else { namespace }
    )
}

pub(super) fn resource(kind: &str, namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        format!("{kind} {name}")
    } else {
        format!("{kind} {namespace}/{name}")
    }
}

fn kind_rank(kind: &str) -> Rank {
    match kind {
        "Namespace" | "StorageClass" | "ClusterRole" => Rank::Foundation,
        "ServiceAccount" | "ConfigMap" | "ClusterRoleBinding" => Rank::Config,
        "Service" | "PodDisruptionBudget" | "PersistentVolumeClaim" => Rank::Network,
        "Job" => Rank::Jobs,
        _ => Rank::Workload,
    }
}

/// Groups (services, or `""` for the cluster-level objects) whose objects are all known in sync,
/// with what the last plan learnt about them: they are neither rendered nor compared again.
#[derive(Clone, Copy)]
pub(crate) struct Known<'m> {
    pub memo: &'m PlanMemo,
    pub fresh: &'m BTreeSet<String>,
}

/// Adds the Kubernetes steps.
pub(crate) fn plan_objects(
    desired: &Desired,
    index: &LiveIndex<'_>,
    mut owned: Owned<'_>,
    allocations: &BTreeMap<String, Allocation>,
    policies: &BTreeMap<String, String>,
    known: Option<Known<'_>>,
    out: &mut Drafts,
) {
    let is_fresh = |group: &str| known.is_some_and(|k| k.fresh.contains(group));
    if let (true, Some(known)) = (is_fresh(""), known) {
        still_in_sync("", None, known, index, out);
    } else {
        for object in &desired.platform {
            let value = manifest(object, None);
            plan_object(&value, None, &mut owned, index, true, None, out);
        }
    }
    for service in &desired.services {
        let policy = desired
            .deletion_policies
            .get(&service.name)
            .copied()
            .unwrap_or_default();
        let annotations = Some((service.name.as_str(), policy, service.depends_on.as_slice()));
        if let (true, Some(known)) = (is_fresh(&service.name), known) {
            let name = Some(service.name.as_str());
            still_in_sync(&service.name, name, known, index, out);
        } else {
            for object in &service.objects {
                let value = manifest(object, annotations);
                plan_object(
                    &value,
                    Some(&service.name),
                    &mut owned,
                    index,
                    true,
                    None,
                    out,
                );
            }
        }
        if let Some(record) = allocation_record(desired, service, allocations) {
            let mut value = manifest(&record, annotations);
            let (kind, namespace, name) = live_identity(&value);
            // Written with optimistic concurrency: the update carries the resourceVersion the
            // allocation was decided from, so a record that moved meanwhile is refused (409).
            if let Some(version) = owned
                .get(kind, namespace, name)
                .and_then(|live| live.resource_version())
            {
                value["metadata"]["resourceVersion"] = Value::String(version.to_owned());
            }
            // A record that adds new addresses is written after they are assigned, so a failed
            // assign leaves it as it was: no record names an address that was not assigned.
            let rank = adds_addresses(service, allocations).then_some(Rank::Records);
            plan_object(
                &value,
                Some(&service.name),
                &mut owned,
                index,
                false,
                rank,
                out,
            );
        }
    }
    plan_deletions(desired, &owned, policies, out);
}

/// A group known in sync (its live objects were claimed when it was found so): its objects are
/// counted in sync; only its members' pods are checked, since they move without the objects
/// moving.
fn still_in_sync(
    group: &str,
    service: Option<&str>,
    known: Known<'_>,
    index: &LiveIndex<'_>,
    out: &mut Drafts,
) {
    for restarts in known.memo.objects_of(group) {
        if let Some(restarts) = restarts {
            plan_restarts(restarts, service, index, out);
        }
        out.in_sync();
    }
}

/// True when a new address of one of `service`'s members is chosen in this plan.
fn adds_addresses(service: &DesiredService, allocations: &BTreeMap<String, Allocation>) -> bool {
    service.aws.static_ips.iter().any(|request| {
        allocations
            .get(&request.member)
            .is_some_and(|a| a.new && a.ip.is_some())
    })
}

/// The allocation record of a static-IP service: the `<service>-static-ips` ConfigMap, one key
/// per member holding its address, read by the members' static-IP containers.
fn allocation_record(
    desired: &Desired,
    service: &DesiredService,
    allocations: &BTreeMap<String, Allocation>,
) -> Option<KubeObject> {
    if service.aws.static_ips.is_empty() {
        return None;
    }
    let mut data: BTreeMap<String, String> = service
        .aws
        .static_ips
        .iter()
        .filter_map(|request| {
            allocations
                .get(&request.member)
                .and_then(|a| a.ip)
                .map(|ip| (request.member.clone(), ip.to_string()))
        })
        .collect();
    // Members removed by a scale-down keep their entries under Retain; member names start with
    // the service's name.
    let prefix = format!("{}-", service.name);
    let retained = allocations
        .range(prefix.clone()..)
        .take_while(|(member, _)| member.starts_with(&prefix))
        .filter(|(_, a)| a.retained && a.service == service.name);
    for (member, allocation) in retained {
        if let Some(ip) = allocation.ip {
            data.insert(member.clone(), ip.to_string());
        }
    }
    Some(KubeObject::ConfigMap(ConfigMap {
        metadata: ObjectMeta {
            name: Some(static_ip_config_map_name(&service.name)),
            namespace: Some(service.namespace.clone()),
            labels: Some(labels::service_labels(
                &desired.cluster.metadata.name,
                &service.name,
                service.kind.as_str(),
                &BTreeMap::new(),
            )),
            ..ObjectMeta::default()
        },
        data: Some(data),
        ..ConfigMap::default()
    }))
}

/// Plans one object: its create, update or in-sync check, at `rank` when given, else its kind's.
fn plan_object(
    value: &Value,
    service: Option<&str>,
    owned: &mut Owned<'_>,
    index: &LiveIndex<'_>,
    remember: bool,
    rank: Option<Rank>,
    out: &mut Drafts,
) {
    let (kind, namespace, name) = identity(value);
    let rank = rank.unwrap_or_else(|| kind_rank(&kind));
    let mut observed = remember.then(|| Observed {
        key: (kind.clone(), namespace.clone(), name.clone()),
        group: service.unwrap_or_default().to_owned(),
        in_sync_at: None,
        restarts: None,
    });
    let spec = |action, reason: String| StepSpec {
        provider: Provider::Kubernetes,
        action,
        id: step_id(&kind, &namespace, &name),
        resource: resource(&kind, &namespace, &name),
        service,
        rank,
        reason,
    };
    let Some(current) = owned.claim(&kind, &namespace, &name) else {
        let action = if kind == "Job" {
            Action::RunJob
        } else {
            Action::Create
        };
        out.push(
            spec(action, "not in the cluster yet".to_owned()),
            None,
            Some(value.clone()),
            Vec::new(),
            false,
        );
        out.observed.extend(observed);
        return;
    };
    let hash_path = format!("metadata.annotations.{DESIRED_HASH}");
    let changes: Vec<FieldChange> = diff(value, current)
        .into_iter()
        .filter(|c| c.path != hash_path)
        .collect();
    let restarts = (kind == "StatefulSet").then(|| Restarts::of(value));
    if let Some(restarts) = &restarts {
        plan_restarts(restarts, service, index, out);
    }
    if changes.is_empty() {
        out.in_sync();
        if let Some(seen) = &mut observed {
            seen.in_sync_at = current.resource_version().map(str::to_owned);
            seen.restarts = restarts;
        }
        out.observed.extend(observed);
        return;
    }
    out.observed.extend(observed);
    let drift = current["metadata"]["annotations"][DESIRED_HASH]
        == value["metadata"]["annotations"][DESIRED_HASH];
    let immutable = immutable_changes(&kind, &changes);
    let why = if drift {
        "changed outside git (drift)"
    } else {
        "the spec changed"
    };
    if immutable.is_empty() {
        out.push(
            spec(Action::Update, why.to_owned()),
            Some(current.value().clone()),
            Some(value.clone()),
            changes,
            drift,
        );
        return;
    }
    if kind == "StatefulSet" && !plan_volume_growth(value, current, service, index.live, out) {
        return;
    }
    if kind == "StorageClass" {
        let claims = claims_of_class(&name, index.live);
        if !claims.is_empty() {
            out.warnings.push(format!(
                "StorageClass {name}: {} cannot change in place and {} volume claim(s) use it ({}); left unchanged. To have it made as the spec says, delete StorageClass {name} by hand (volumes already made keep their settings); a new volume setting in a spec makes a class of its own",
                immutable.join(", "),
                claims.len(),
                claims.join(", ")
            ));
            return;
        }
    }
    let fields = immutable.join(", ");
    let reason = match kind.as_str() {
        "Job" => format!("{why}: a Job cannot change, it runs again (init scripts are idempotent)"),
        "StorageClass" => format!(
            "{why}: {fields} cannot change in place, forces replacement (no volume claim uses it)"
        ),
        _ => format!(
            "{why}: {fields} cannot change in place, forces replacement (pods and volumes are kept)"
        ),
    };
    out.push(
        spec(Action::Replace, reason),
        Some(current.value().clone()),
        Some(value.clone()),
        changes,
        drift,
    );
}

/// Deletes owned objects nobody wants, except: anything of a rejected or suspended service,
/// everything while a spec file is broken, namespaces (deleting one deletes its volumes), and
/// volume claims and the static-IP allocation record unless the removed service's deletion
/// policy is Delete.
fn plan_deletions(
    desired: &Desired,
    owned: &Owned<'_>,
    policies: &BTreeMap<String, String>,
    out: &mut Drafts,
) {
    let desired_services: BTreeSet<&str> =
        desired.services.iter().map(|s| s.name.as_str()).collect();
    let mut held_back = 0;
    let mut kept_records = BTreeSet::new();
    let mut deleting = BTreeSet::new();
    for ((kind, namespace, name), object) in owned.unclaimed() {
        let service = object.service();
        if service.is_some_and(|s| desired.is_untouchable(s)) {
            continue;
        }
        let removed_service = service.is_some_and(|s| !desired_services.contains(s));
        if removed_service && !desired.broken_files.is_empty() {
            held_back += 1;
            continue;
        }
        if kind == "Namespace" {
            out.warnings.push(format!("namespace {name} is no longer used by firecamp and is kept: deleting a namespace deletes every volume in it; delete it by hand once it is empty"));
            continue;
        }
        let policy = service.and_then(|s| policies.get(s)).map(String::as_str);
        if kind == "PersistentVolumeClaim" && !(removed_service && policy == Some("Delete")) {
            continue;
        }
        // The allocation record of a removed service outlives it unless it was deleted with
        // deletionPolicy Delete: its addresses stay assigned, and a returning service gets them.
        if kind == "ConfigMap"
            && removed_service
            && policy != Some("Delete")
            && service.is_some_and(|s| name == static_ip_config_map_name(s))
        {
            if let Some(service) = service {
                kept_records.insert(service);
            }
            continue;
        }
        if let Some(service) = service {
            deleting.insert(service);
        }
        let reason = if removed_service {
            "its service is no longer in git"
        } else {
            "no longer part of its service"
        };
        out.push(
            StepSpec {
                provider: Provider::Kubernetes,
                action: Action::Delete,
                id: step_id(kind, namespace, name),
                resource: resource(kind, namespace, name),
                service,
                rank: kind_rank(kind),
                reason: reason.to_owned(),
            },
            Some(object.value().clone()),
            None,
            Vec::new(),
            false,
        );
    }
    // Said on the plan that deletes the service, not on every plan after it.
    for service in kept_records.intersection(&deleting) {
        out.warnings.push(format!("service {service} is deleted with deletionPolicy Retain: its static IPs stay assigned and its record {} is kept, so it gets the same addresses if it returns; with deletionPolicy Delete they are released", static_ip_config_map_name(service)));
    }
    if held_back > 0 {
        let files: Vec<String> = desired
            .broken_files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        out.warnings.push(format!("{held_back} deletion(s) held back: {} could not be read, so a removed service may only look removed", files.join(", ")));
    }
}

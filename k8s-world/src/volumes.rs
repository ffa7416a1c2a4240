//! What the EBS CSI driver's controller side does, for the world's fake nodes: the external
//! provisioner, resizer and deleter for StorageClasses of the provisioner `ebs.csi.aws.com`.
//! Everything around it is real: the scheduler picks the node and writes it on the claim
//! (`WaitForFirstConsumer`), the PersistentVolume controller binds the claim to the volume made
//! here and releases it, the expand controller hands resizes to the resizer.
//!
//! - provision: a claim of such a class with `volume.kubernetes.io/selected-node` and no volume
//!   gets a PersistentVolume pre-bound to it (`claimRef` with its uid), a CSI source of that
//!   driver, capacity as requested, the class's reclaim policy, and node affinity to the selected
//!   node's zone (an EBS volume lives in one zone), as the external-provisioner does;
//! - resize: a bound claim asking for more than its volume has gets the volume grown and the
//!   claim's status capacity set, as the external-resizer does (no filesystem step: kwok runs no
//!   kubelet);
//! - delete: a Released volume of the driver with policy `Delete` is deleted.

use std::collections::BTreeMap;
use std::time::Duration;

use firecamp_schema::spec::quantity::Quantity as SpecQuantity;

use k8s_openapi::api::core::v1::{Node, PersistentVolume, PersistentVolumeClaim};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

/// The CSI driver the world provisions for.
pub const DRIVER: &str = "ebs.csi.aws.com";
/// The claim annotation the scheduler sets for `WaitForFirstConsumer`.
const SELECTED_NODE: &str = "volume.kubernetes.io/selected-node";

/// Runs the provisioner until the process ends, one pass every 200 ms; errors of a pass are
/// printed and the next pass tries again.
pub async fn run(client: kube::Client) {
    loop {
        if let Err(error) = pass(&client).await {
            eprintln!("test world volume provisioner: {error}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn pass(client: &kube::Client) -> kube::Result<()> {
    let classes: Vec<StorageClass> = Api::<StorageClass>::all(client.clone())
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|c| c.provisioner == DRIVER)
        .collect();
    let claims = Api::<PersistentVolumeClaim>::all(client.clone())
        .list(&ListParams::default())
        .await?
        .items;
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    let nodes: Api<Node> = Api::all(client.clone());
    for claim in &claims {
        let Some(class) = claim
            .spec
            .as_ref()
            .and_then(|s| s.storage_class_name.as_ref())
            .and_then(|name| {
                classes
                    .iter()
                    .find(|c| c.metadata.name.as_ref() == Some(name))
            })
        else {
            continue;
        };
        if claim.metadata.deletion_timestamp.is_some() {
            continue;
        }
        match claim.spec.as_ref().and_then(|s| s.volume_name.clone()) {
            None => provision(&volumes, &nodes, claim, class).await?,
            Some(volume) => resize(client, &volumes, claim, &volume).await?,
        }
    }
    for volume in volumes.list(&ListParams::default()).await?.items {
        let spec = volume.spec.clone().unwrap_or_default();
        let released = volume
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .is_some_and(|p| p == "Released");
        if released
            && spec.csi.as_ref().is_some_and(|c| c.driver == DRIVER)
            && spec.persistent_volume_reclaim_policy.as_deref() == Some("Delete")
        {
            volumes
                .delete(
                    volume.metadata.name.as_deref().unwrap_or_default(),
                    &DeleteParams::default(),
                )
                .await?;
        }
    }
    Ok(())
}

async fn provision(
    volumes: &Api<PersistentVolume>,
    nodes: &Api<Node>,
    claim: &PersistentVolumeClaim,
    class: &StorageClass,
) -> kube::Result<()> {
    let Some(node_name) = claim
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(SELECTED_NODE))
    else {
        return Ok(());
    };
    let uid = claim.metadata.uid.clone().unwrap_or_default();
    let name = format!("pvc-{uid}");
    if volumes.get_opt(&name).await?.is_some() {
        return Ok(());
    }
    let Some(node) = nodes.get_opt(node_name).await? else {
        return Ok(());
    };
    let zone = node
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get("topology.kubernetes.io/zone"))
        .cloned()
        .unwrap_or_default();
    let spec = claim.spec.clone().unwrap_or_default();
    let size = spec
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("storage"))
        .cloned()
        .unwrap_or_else(|| Quantity("1Gi".to_owned()));
    let handle: String = format!("vol-{}", uid.replace('-', ""))
        .chars()
        .take(21)
        .collect();
    let volume: PersistentVolume = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, "annotations": {"pv.kubernetes.io/provisioned-by": DRIVER}},
        "spec": {
            "accessModes": spec.access_modes.clone().unwrap_or_else(|| vec!["ReadWriteOnce".to_owned()]),
            "capacity": {"storage": size},
            "persistentVolumeReclaimPolicy": class.reclaim_policy.clone().unwrap_or_else(|| "Delete".to_owned()),
            "storageClassName": class.metadata.name,
            "volumeMode": spec.volume_mode.clone().unwrap_or_else(|| "Filesystem".to_owned()),
            "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                         "namespace": claim.metadata.namespace, "name": claim.metadata.name, "uid": uid},
            "csi": {"driver": DRIVER, "volumeHandle": handle,
                    "fsType": class.parameters.as_ref().and_then(|p| p.get("csi.storage.k8s.io/fstype")).cloned().unwrap_or_else(|| "ext4".to_owned())},
            "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                {"key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}]}]}}
        }
    }))
    .map_err(kube::Error::SerdeError)?;
    match volumes.create(&PostParams::default(), &volume).await {
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
        other => other.map(drop),
    }
}

async fn resize(
    client: &kube::Client,
    volumes: &Api<PersistentVolume>,
    claim: &PersistentVolumeClaim,
    volume_name: &str,
) -> kube::Result<()> {
    let requests = claim
        .spec
        .as_ref()
        .and_then(|s| s.resources.as_ref())
        .and_then(|r| r.requests.as_ref());
    let Some((wanted, wanted_bytes)) = storage(requests) else {
        return Ok(());
    };
    let Some(volume) = volumes.get_opt(volume_name).await? else {
        return Ok(());
    };
    let has = storage(volume.spec.as_ref().and_then(|s| s.capacity.as_ref()));
    if has.is_none_or(|(_, bytes)| wanted_bytes > bytes) {
        volumes
            .patch(
                volume_name,
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"capacity": {"storage": wanted}}})),
            )
            .await?;
    }
    let status = claim.status.as_ref();
    let bound = status
        .and_then(|s| s.phase.as_deref())
        .is_some_and(|p| p == "Bound");
    let claim_has = storage(status.and_then(|s| s.capacity.as_ref()));
    if bound && claim_has.is_some_and(|(_, bytes)| wanted_bytes > bytes) {
        Api::<PersistentVolumeClaim>::namespaced(
            client.clone(),
            claim.metadata.namespace.as_deref().unwrap_or_default(),
        )
        .patch_status(
            claim.metadata.name.as_deref().unwrap_or_default(),
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"capacity": {"storage": wanted},
                "allocatedResources": {"storage": wanted}, "conditions": null}})),
        )
        .await?;
    }
    Ok(())
}

/// The `storage` quantity of a resource list, and its value (as the spec schema reads
/// quantities: `100Gi`, `1.5Ti`, `500M`).
fn storage(resources: Option<&BTreeMap<String, Quantity>>) -> Option<(Quantity, i128)> {
    let quantity = resources?.get("storage")?.clone();
    let units = SpecQuantity::new(quantity.0.as_str()).units().ok()?;
    Some((quantity, units))
}

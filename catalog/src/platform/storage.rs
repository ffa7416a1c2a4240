//! StorageClasses: one per distinct volume configuration (type, IOPS, throughput, encryption),
//! EBS CSI, bound when the pod is scheduled (`WaitForFirstConsumer`, so in the member's zone),
//! expandable, and `Retain`: deleting a claim never deletes an EBS volume by accident.

use std::collections::BTreeMap;

use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use firecamp_schema::spec::ClusterDocument;
use firecamp_schema::spec::volume::{VolumeSpec, VolumeType};

use crate::labels;

/// `firecamp-<type>[-<iops>iops][-<throughput>mibs][-unencrypted]`, e.g. `firecamp-gp3`,
/// `firecamp-io2-10000iops`.
#[must_use]
pub fn storage_class_name(volume: &VolumeSpec) -> String {
    let volume_type = volume.volume_type.unwrap_or(VolumeType::Gp3);
    let mut name = format!("firecamp-{}", volume_type.as_str());
    if let Some(iops) = volume.iops {
        name.push_str(&format!("-{iops}iops"));
    }
    if let Some(throughput) = volume.throughput {
        name.push_str(&format!("-{throughput}mibs"));
    }
    if volume.encrypted == Some(false) {
        name.push_str("-unencrypted");
    }
    name
}

/// The StorageClass for `volume`.
#[must_use]
pub fn storage_class(cluster: &ClusterDocument, volume: &VolumeSpec) -> StorageClass {
    let volume_type = volume.volume_type.unwrap_or(VolumeType::Gp3);
    let mut parameters = BTreeMap::from([
        ("type".to_owned(), volume_type.as_str().to_owned()),
        (
            "encrypted".to_owned(),
            volume.encrypted.unwrap_or(true).to_string(),
        ),
        ("csi.storage.k8s.io/fstype".to_owned(), "xfs".to_owned()),
    ]);
    if let Some(iops) = volume.iops {
        parameters.insert("iops".to_owned(), iops.to_string());
    }
    if let Some(throughput) = volume.throughput {
        parameters.insert("throughput".to_owned(), throughput.to_string());
    }
    StorageClass {
        metadata: ObjectMeta {
            name: Some(storage_class_name(volume)),
            labels: Some(labels::platform_labels(&cluster.metadata.name, "storage")),
            ..ObjectMeta::default()
        },
        provisioner: "ebs.csi.aws.com".to_owned(),
        parameters: Some(parameters),
        reclaim_policy: Some("Retain".to_owned()),
        volume_binding_mode: Some("WaitForFirstConsumer".to_owned()),
        allow_volume_expansion: Some(true),
        ..StorageClass::default()
    }
}

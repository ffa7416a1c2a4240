//! Cluster-level objects every service relies on: the namespace, StorageClasses and Fluentd.

pub(crate) mod fluentd;
pub(crate) mod storage;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use firecamp_schema::spec::ClusterDocument;

use crate::context::{Inputs, ServiceContext};
use crate::desired::KubeObject;
use crate::labels;

/// The cluster-level objects for a set of services: the namespace, one StorageClass per distinct
/// volume configuration, and Fluentd when logs are shipped.
#[must_use]
pub fn render_platform(inputs: Inputs<'_>) -> Vec<KubeObject> {
    let cluster = inputs.cluster;
    let mut objects = vec![KubeObject::Namespace(namespace(cluster))];
    for service in inputs.services.values() {
        let ctx = ServiceContext::new(inputs, service);
        for volume in ctx.volume().into_iter().chain(ctx.journal_volume()) {
            let class = storage::storage_class(cluster, &volume);
            if !objects.iter().any(|o| matches!(o, KubeObject::StorageClass(s) if s.metadata.name == class.metadata.name)) {
                objects.push(KubeObject::StorageClass(class));
            }
        }
    }
    if cluster.spec.logs.enabled {
        objects.extend(fluentd::objects(cluster));
    }
    objects
}

fn namespace(cluster: &ClusterDocument) -> Namespace {
    Namespace {
        metadata: ObjectMeta {
            name: Some(cluster.spec.namespace.clone()),
            labels: Some(labels::platform_labels(&cluster.metadata.name, "namespace")),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    }
}

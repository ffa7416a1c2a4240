//! The kinds firecamp manages, with their API coordinates: what the bulk read lists and what a
//! step's manifest is written through.

use k8s_openapi::api::apps::v1::{DaemonSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolumeClaim, Service, ServiceAccount,
};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::Resource;
use kube::core::ApiResource;

/// A managed kind: where its API is and whether its objects live in a namespace.
#[derive(Debug, Clone)]
pub struct ManagedKind {
    /// Group, version, kind and plural.
    pub resource: ApiResource,
    /// True for namespaced kinds.
    pub namespaced: bool,
}

fn kind<K: Resource<DynamicType = ()>>(namespaced: bool) -> ManagedKind {
    ManagedKind {
        resource: ApiResource::erase::<K>(&()),
        namespaced,
    }
}

/// Every kind firecamp writes, cluster-scoped first (the order the bulk read lists them in).
#[must_use]
pub fn managed_kinds() -> Vec<ManagedKind> {
    vec![
        kind::<Namespace>(false),
        kind::<StorageClass>(false),
        kind::<ClusterRole>(false),
        kind::<ClusterRoleBinding>(false),
        kind::<ServiceAccount>(true),
        kind::<ConfigMap>(true),
        kind::<Service>(true),
        kind::<PodDisruptionBudget>(true),
        kind::<StatefulSet>(true),
        kind::<DaemonSet>(true),
        kind::<Job>(true),
        kind::<PersistentVolumeClaim>(true),
    ]
}

/// The managed kind called `name` (e.g. `StatefulSet`).
#[must_use]
pub fn managed_kind(name: &str) -> Option<ManagedKind> {
    managed_kinds()
        .into_iter()
        .find(|k| k.resource.kind == name)
}

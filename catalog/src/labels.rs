//! Labels and annotations on every object firecamp manages.

use std::collections::BTreeMap;

/// `app.kubernetes.io/managed-by: firecamp` marks every object firecamp owns.
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// Value of [`MANAGED_BY`].
pub const FIRECAMP: &str = "firecamp";
/// The service's kind, lower case (`cassandra`).
pub const NAME: &str = "app.kubernetes.io/name";
/// The service's name.
pub const INSTANCE: &str = "app.kubernetes.io/instance";
/// The member role (`broker`, `primary`, ...).
pub const COMPONENT: &str = "app.kubernetes.io/component";
/// The firecamp cluster.
pub const CLUSTER: &str = "firecamp.io/cluster";
/// The service (also read by Fluentd to pick the log group).
pub const SERVICE: &str = "firecamp.io/service";
/// The member role.
pub const ROLE: &str = "firecamp.io/role";
/// The zone a StatefulSet's members run in.
pub const ZONE: &str = "firecamp.io/zone";
/// Annotation on pod templates: hash of everything the members read at start.
pub const CONFIG_HASH: &str = "firecamp.io/config-hash";

/// Labels of a service's objects: ownership, cluster, service, kind, then the user's labels.
#[must_use]
pub fn service_labels(
    cluster: &str,
    service: &str,
    kind: &str,
    user: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut labels = user.clone();
    labels.insert(MANAGED_BY.to_owned(), FIRECAMP.to_owned());
    labels.insert(CLUSTER.to_owned(), cluster.to_owned());
    labels.insert(SERVICE.to_owned(), service.to_owned());
    labels.insert(INSTANCE.to_owned(), service.to_owned());
    labels.insert(NAME.to_owned(), kind.to_lowercase());
    labels
}

/// Labels of cluster-level objects (Fluentd, StorageClasses).
#[must_use]
pub fn platform_labels(cluster: &str, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED_BY.to_owned(), FIRECAMP.to_owned()),
        (CLUSTER.to_owned(), cluster.to_owned()),
        (COMPONENT.to_owned(), component.to_owned()),
    ])
}

/// The selector of one StatefulSet's pods: service, role and zone (immutable once created).
#[must_use]
pub fn statefulset_selector(service: &str, role: &str, zone: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (SERVICE.to_owned(), service.to_owned()),
        (ROLE.to_owned(), role.to_owned()),
        (ZONE.to_owned(), zone.to_owned()),
    ])
}

/// The selector of all of a service's members.
#[must_use]
pub fn service_selector(service: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(SERVICE.to_owned(), service.to_owned())])
}

//! Builders that turn a [`Blueprint`](crate::blueprint::Blueprint) into Kubernetes objects, the
//! same way for every kind.

mod hash;
mod job;
mod meta;
mod objects;
pub(crate) mod pod;
pub(crate) mod probes;
mod statefulset;
mod static_ip;

pub(crate) use job::jobs;
pub(crate) use objects::{config_map, headless_service, pod_disruption_budget, service_account};
pub(crate) use statefulset::statefulsets;
pub(crate) use static_ip::add_script as add_static_ip_script;

/// Name of a service's ConfigMap.
#[must_use]
pub fn config_map_name(service: &str) -> String {
    format!("{service}-config")
}

/// Name of the ConfigMap where the reconciler records each member's static IP (key: member).
#[must_use]
pub fn static_ip_config_map_name(service: &str) -> String {
    format!("{service}-static-ips")
}

/// ConfigMap key of a member's file.
#[must_use]
pub fn member_file_key(member: &str, file: &str) -> String {
    format!("{member}.{file}")
}

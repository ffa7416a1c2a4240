//! firecamp's catalog: a pure function from a validated service spec (plus the Cluster and the
//! services it references) to everything that must exist for it: Kubernetes objects, members with
//! their zones and DNS names, and what AWS must hold (static IPs, DNS records, the log group).
//! No I/O, no async: the planner diffs the result against live state.

pub mod blueprint;
mod build;
pub mod context;
mod derived_names;
pub mod desired;
pub mod error;
pub mod formats;
pub mod images;
mod kinds;
pub mod labels;
pub mod lifecycle;
pub mod object_limits;
mod platform;
mod render;

pub use build::{config_map_name, member_file_key, static_ip_config_map_name};
pub use context::Inputs;
pub use desired::{
    AwsNeeds, DesiredMember, DesiredService, DnsRecord, KubeObject, LogGroup, RecordTarget,
    StaticIpRequest,
};
pub use error::RenderError;
pub use platform::fluentd::log_group_name;
pub use platform::render_platform;
pub use platform::storage::storage_class_name;
pub use render::render_service;

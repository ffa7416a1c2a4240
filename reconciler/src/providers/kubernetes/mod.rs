//! The Kubernetes side: one client per run, the live state read in bulk (one paginated list per
//! kind, by firecamp's labels) or kept current by watches, and plan steps carried out with
//! server-side apply under the field manager `firecamp`, waiting for health where the plan's
//! order needs it.

mod error;
mod health;
mod kinds;
mod read;
mod watch;
mod write;

pub use error::{KubeError, Reason, StepProblem};
pub use kinds::{ManagedKind, managed_kind, managed_kinds};
pub use read::{PAGE_SIZE, read_live, resolve_static_ip_subnets};
pub use watch::{KubeCache, WATCH_TIMEOUT};
pub use write::{KubeWriter, WriteOptions};

/// The field manager of every write.
pub const FIELD_MANAGER: &str = "firecamp";

/// A client from the kubeconfig (its current context, or `context`), else the in-cluster
/// configuration.
///
/// # Errors
/// No usable configuration.
pub async fn connect(context: Option<&str>) -> Result<kube::Client, KubeError> {
    let config = match context {
        Some(context) => {
            let options = kube::config::KubeConfigOptions {
                context: Some(context.to_owned()),
                ..kube::config::KubeConfigOptions::default()
            };
            kube::Config::from_kubeconfig(&options)
                .await
                .map_err(|e| KubeError::Config(e.to_string()))?
        }
        None => kube::Config::infer()
            .await
            .map_err(|e| KubeError::Config(e.to_string()))?,
    };
    kube::Client::try_from(config).map_err(|e| KubeError::Config(e.to_string()))
}

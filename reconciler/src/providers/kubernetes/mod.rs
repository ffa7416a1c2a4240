//! The Kubernetes side: one client per run, the live state read in bulk (one paginated list per
//! kind, by firecamp's labels) or kept current by watches, and plan steps carried out with
//! server-side apply under the field manager `firecamp`, waiting for health where the plan's
//! order needs it.

mod credential_safe;
mod error;
mod health;
mod kinds;
mod read;
mod watch;
mod write;

use std::time::Duration;

pub use credential_safe::credential_safe;
pub use error::{KubeError, Reason, StepProblem};
pub use kinds::{ManagedKind, managed_kind, managed_kinds};
pub use read::{PAGE_SIZE, read_live, read_owner, resolve_static_ip_subnets};
pub use watch::{KubeCache, WATCH_TIMEOUT};
pub use write::{KubeWriter, WriteOptions};

/// The field manager of every write.
pub const FIELD_MANAGER: &str = "firecamp";

/// How long a response may send nothing before its connection is taken as dead. A watch asked
/// with bookmarks (kube-runtime's watcher asks) gets one about every minute even when nothing
/// changes (`defaultBookmarkFrequency`, k8s.io/apiserver v1.37.2 `pkg/storage/cacher/cacher.go`;
/// `nextBookmarkTime` in `cache_watcher.go`), so a watch silent for longer was dropped without a
/// word (by a load balancer, a NAT, a lost peer): the read fails and the watcher resumes, where
/// it would otherwise wait for its timeout. client-go gets this from 30 s TCP keepalives; kube's
/// connector sets none.
pub const SILENCE_LIMIT: Duration = Duration::from_secs(150);

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
                .map_err(|e| KubeError::config(&e))?
        }
        None => kube::Config::infer()
            .await
            .map_err(|e| KubeError::config(&e))?,
    };
    client_of(config, SILENCE_LIMIT)
}

/// A client on `config` whose responses fail after `silence` without a byte (see
/// [`SILENCE_LIMIT`]); the time a pooled connection sat idle does not count.
///
/// # Errors
/// A configuration kube cannot make a client of.
pub fn client_of(mut config: kube::Config, silence: Duration) -> Result<kube::Client, KubeError> {
    config.read_timeout = Some(silence);
    config.reset_reader_on_write = true;
    kube::Client::try_from(config).map_err(|e| KubeError::config(&e))
}

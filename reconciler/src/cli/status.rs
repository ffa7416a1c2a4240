//! `firecamp status`: print what `firecamp run` last recorded in the cluster.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;

use firecamp_schema::{Limits, validate_path};

use super::connect::{ConnectArgs, runtime};
use super::{CommandError, ExitStatus};
use crate::plan::Desired;
use crate::run::status::{STATUS_CONFIG_MAP, Status};

/// Arguments of `firecamp status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Folder of spec files (its Cluster document names the namespace).
    pub path: PathBuf,
    /// How to reach the cluster.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Runs `firecamp status`.
pub(super) fn run(args: &StatusArgs, out: &mut dyn Write) -> Result<ExitStatus, CommandError> {
    let desired = Desired::from_validation(&validate_path(&args.path, &Limits::default())?)?;
    let namespace = desired.cluster.spec.namespace.clone();
    let status = runtime()?.block_on(async {
        let client = crate::providers::kubernetes::connect(args.connect.context.as_deref()).await?;
        let found = Api::<ConfigMap>::namespaced(client, &namespace)
            .get_opt(STATUS_CONFIG_MAP)
            .await?;
        let data = found.and_then(|c| c.data).unwrap_or_default();
        Ok::<_, CommandError>(Status::from_config_map(&data)?)
    })?;
    write!(out, "{status}")?;
    Ok(ExitStatus::Success)
}

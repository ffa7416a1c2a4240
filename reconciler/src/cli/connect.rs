//! What the commands that talk to a cluster share: connection flags and the async runtime.

use clap::Args;

use firecamp_aws::{AwsSettings, CallCounter, sdk_config};
use firecamp_schema::spec::ClusterDocument;

use super::CommandError;
use crate::observe::kube_calls::counted;
use crate::providers::aws::AwsProviders;
use crate::providers::kubernetes::connect;

/// How to reach the cluster and AWS.
#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// kubeconfig context to use (default: the current context, else the in-cluster config).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// AWS endpoint to call instead of AWS's own (a local emulator, a private endpoint).
    #[arg(long, value_name = "URL", conflicts_with = "no_aws")]
    pub aws_endpoint_url: Option<String>,
    /// Do not call AWS: static IPs and DNS records are neither read nor changed.
    #[arg(long)]
    pub no_aws: bool,
}

/// A connected cluster: the Kubernetes client, the AWS providers (unless `--no-aws`), and the
/// counter of every call both make.
pub(super) struct Connection {
    /// The Kubernetes client (its calls counted).
    pub client: kube::Client,
    /// EC2 and Route53.
    pub aws: Option<AwsProviders>,
    /// Calls made, by provider and operation.
    pub calls: CallCounter,
}

impl ConnectArgs {
    /// The Kubernetes client and, unless `--no-aws`, the AWS providers for `cluster`'s region.
    pub(super) async fn connect(
        &self,
        cluster: &ClusterDocument,
    ) -> Result<Connection, CommandError> {
        let calls = CallCounter::default();
        let client = counted(connect(self.context.as_deref()).await?, calls.clone());
        let aws = if self.no_aws {
            None
        } else {
            let mut settings = AwsSettings::new(cluster.spec.region.clone());
            settings.endpoint_url.clone_from(&self.aws_endpoint_url);
            Some(AwsProviders::new(
                &sdk_config(&settings).await,
                &settings,
                calls.clone(),
            ))
        };
        Ok(Connection { client, aws, calls })
    }
}

/// The runtime the cluster commands run on.
pub(super) fn runtime() -> Result<tokio::runtime::Runtime, CommandError> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

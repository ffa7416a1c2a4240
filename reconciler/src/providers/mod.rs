//! The I/O side: providers read live state in bulk and carry out the steps they are given.

pub mod aws;
pub mod kubernetes;

use firecamp_aws::AwsError;
use firecamp_schema::spec::ClusterDocument;

use self::aws::AwsProviders;
use self::kubernetes::{KubeError, read_live, resolve_static_ip_subnets};
use crate::live::LiveState;

/// Why the live state could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Reading Kubernetes failed.
    #[error("reading the cluster")]
    Kubernetes(#[source] KubeError),
    /// Reading AWS failed.
    #[error("reading AWS (subnets, ENIs, DNS records)")]
    Aws(#[source] AwsError),
    /// The watches have not listed everything once yet.
    #[error("the watches of {} have not listed once yet; check the API server and firecamp's list and watch permissions", .0.join(", "))]
    NotSynced(Vec<String>),
}

/// Reads the whole live state: Kubernetes in bulk, then, with AWS, the subnets' used addresses,
/// the nodes' ENIs and the zone's records; recorded static IPs get their subnets.
///
/// # Errors
/// The first failed read.
pub async fn read_live_state(
    client: &::kube::Client,
    aws: Option<&AwsProviders>,
    cluster: &ClusterDocument,
) -> Result<LiveState, ReadError> {
    let mut live = read_live(client, &cluster.metadata.name)
        .await
        .map_err(ReadError::Kubernetes)?;
    if let Some(aws) = aws {
        aws.read_into(cluster, &mut live)
            .await
            .map_err(ReadError::Aws)?;
    }
    resolve_static_ip_subnets(&mut live);
    Ok(live)
}

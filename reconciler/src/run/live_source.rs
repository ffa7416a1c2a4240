//! Where a tick's live state comes from: the watch cache of the Cluster the specs name (started on
//! the first planning tick, restarted when the Cluster's name changes), or with watching off a
//! bulk read every planning tick. With the cache, AWS state (subnets, ENIs, records) is read again
//! only when members or nodes moved since it was read, or when the loop says it is stale (after
//! steps were carried out, at a resync); otherwise the last reading is used.

use std::collections::BTreeMap;
use std::time::Duration;

use firecamp_schema::spec::ClusterDocument;
use tokio::sync::watch;

use crate::live::{DnsRecord, Eni, LiveState, Subnet};
use crate::providers::aws::AwsProviders;
use crate::providers::kubernetes::{KubeCache, resolve_static_ip_subnets};
use crate::providers::{ReadError, read_live_state};

/// How long a new cache may take to list everything once before the tick fails.
const SYNC_LIMIT: Duration = Duration::from_secs(120);

/// The live state's source, with what the last plan was made from.
#[derive(Debug)]
pub(crate) struct LiveSource {
    watch: bool,
    cache: Option<(String, KubeCache)>,
    /// The cache's generation the last plan read.
    planned_at: u64,
    /// The last AWS reading, while it holds.
    aws: Option<AwsReading>,
}

/// What AWS said, and where members and nodes were when it said so.
#[derive(Debug)]
struct AwsReading {
    placement: Placement,
    subnets: Vec<Subnet>,
    enis: BTreeMap<String, Eni>,
    dns_records: Vec<DnsRecord>,
}

/// Each member's node, and each node's instance: what moves addresses and records.
type Placement = (Vec<(String, Option<String>)>, Vec<(String, String)>);

fn placement(live: &LiveState) -> Placement {
    (
        live.members
            .iter()
            .map(|m| (m.member.clone(), m.node.clone()))
            .collect(),
        live.nodes
            .iter()
            .map(|n| (n.name.clone(), n.instance_id.clone()))
            .collect(),
    )
}

impl LiveSource {
    pub(crate) const fn new(watch: bool) -> Self {
        Self {
            watch,
            cache: None,
            planned_at: 0,
            aws: None,
        }
    }

    /// The next read asks AWS again (steps were carried out, or a resync is due).
    pub(crate) fn forget_aws(&mut self) {
        self.aws = None;
    }

    /// True when the cache saw a change the last plan did not.
    pub(crate) fn moved(&self) -> bool {
        self.cache
            .as_ref()
            .is_some_and(|(_, cache)| cache.generation() != self.planned_at)
    }

    /// The cache's change signal, once the cache runs.
    pub(crate) fn changes(&self) -> Option<watch::Receiver<u64>> {
        self.cache.as_ref().map(|(_, cache)| cache.changes())
    }

    /// The live state of `cluster`: from the cache (waiting for its first lists) and AWS, or
    /// read in bulk.
    pub(crate) async fn read(
        &mut self,
        client: &kube::Client,
        aws: Option<&AwsProviders>,
        cluster: &ClusterDocument,
    ) -> Result<LiveState, ReadError> {
        if !self.watch {
            return read_live_state(client, aws, cluster).await;
        }
        let name = &cluster.metadata.name;
        if self.cache.as_ref().is_some_and(|(of, _)| of != name) {
            self.cache = None;
        }
        let (_, cache) = self
            .cache
            .get_or_insert_with(|| (name.clone(), KubeCache::start(client, name)));
        let unsynced = cache.wait_synced(SYNC_LIMIT).await;
        if !unsynced.is_empty() {
            return Err(ReadError::NotSynced(unsynced));
        }
        self.planned_at = cache.generation();
        let mut live = cache.snapshot();
        if let Some(aws) = aws {
            let now = placement(&live);
            match &self.aws {
                Some(reading) if reading.placement == now => {
                    live.subnets.clone_from(&reading.subnets);
                    live.dns_records.clone_from(&reading.dns_records);
                    for node in &mut live.nodes {
                        if let Some(eni) = reading.enis.get(&node.name) {
                            node.eni = eni.clone();
                        }
                    }
                }
                _ => {
                    aws.read_into(cluster, &mut live)
                        .await
                        .map_err(ReadError::Aws)?;
                    self.aws = Some(AwsReading {
                        placement: now,
                        subnets: live.subnets.clone(),
                        enis: live
                            .nodes
                            .iter()
                            .map(|n| (n.name.clone(), n.eni.clone()))
                            .collect(),
                        dns_records: live.dns_records.clone(),
                    });
                }
            }
        }
        resolve_static_ip_subnets(&mut live);
        Ok(live)
    }
}

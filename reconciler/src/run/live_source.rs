//! Where a tick's live state comes from: the watch cache of the Cluster the specs name (started on
//! the first planning tick, restarted when the Cluster's name changes), or with watching off a
//! bulk read every planning tick. AWS state is read on every planning tick either way.

use std::time::Duration;

use firecamp_schema::spec::ClusterDocument;
use tokio::sync::watch;

use crate::live::LiveState;
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
}

impl LiveSource {
    pub(crate) const fn new(watch: bool) -> Self {
        Self {
            watch,
            cache: None,
            planned_at: 0,
        }
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
            aws.read_into(cluster, &mut live)
                .await
                .map_err(ReadError::Aws)?;
        }
        resolve_static_ip_subnets(&mut live);
        Ok(live)
    }
}

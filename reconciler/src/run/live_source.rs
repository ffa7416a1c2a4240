//! Where a tick's live state comes from: the watch cache of the Cluster the specs name (started on
//! the first planning tick, restarted when the Cluster's name changes), or with watching off a
//! bulk read every planning tick. With the cache, AWS state (subnets, ENIs, records) is read again
//! only when the loop says it is stale (after steps were carried out, at a resync) or the nodes
//! changed; members that moved between known nodes have only their nodes' ENIs and their own
//! records read again; otherwise the last reading is used.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use firecamp_schema::spec::ClusterDocument;
use tokio::sync::watch;

use crate::live::{DnsRecord, Eni, LiveState, StrayInterface, Subnet};
use crate::providers::aws::AwsProviders;
use crate::providers::kubernetes::{KubeCache, read_owner, resolve_static_ip_subnets};
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
    /// The owner id, read once (a namespace's UID never changes).
    owner: Option<String>,
}

/// What AWS said, and where members and nodes were when it said so.
#[derive(Debug)]
struct AwsReading {
    placement: Placement,
    subnets: Vec<Subnet>,
    enis: BTreeMap<String, Option<Eni>>,
    stray_interfaces: Vec<StrayInterface>,
    dns_records: Vec<DnsRecord>,
}

/// Each member's node, and each node's instance: what moves addresses and records.
type Placement = (Vec<(String, Option<String>)>, Vec<(String, String)>);

impl AwsReading {
    /// What `live` says AWS has, with members and nodes placed as `placement` says.
    fn of(placement: Placement, live: &LiveState) -> Self {
        Self {
            placement,
            subnets: live.subnets.clone(),
            enis: live
                .nodes
                .iter()
                .map(|n| (n.name.clone(), n.eni.clone()))
                .collect(),
            stray_interfaces: live.stray_interfaces.clone(),
            dns_records: live.dns_records.clone(),
        }
    }

    /// Puts what AWS said into `live`.
    fn fill(self, live: &mut LiveState) {
        live.subnets = self.subnets;
        live.dns_records = self.dns_records;
        live.stray_interfaces = self.stray_interfaces;
        let mut enis = self.enis;
        for node in &mut live.nodes {
            if let Some(eni) = enis.remove(&node.name) {
                node.eni = eni;
            }
        }
    }
}

/// The members whose node differs between two placements (`before` and `now`, by member), and
/// the nodes they left or joined.
fn moves(
    before: &[(String, Option<String>)],
    now: &[(String, Option<String>)],
) -> (BTreeSet<String>, BTreeSet<String>) {
    let was: BTreeMap<&str, Option<&str>> = before
        .iter()
        .map(|(m, n)| (m.as_str(), n.as_deref()))
        .collect();
    let is: BTreeMap<&str, Option<&str>> = now
        .iter()
        .map(|(m, n)| (m.as_str(), n.as_deref()))
        .collect();
    let mut members = BTreeSet::new();
    let mut nodes = BTreeSet::new();
    for member in was.keys().chain(is.keys()) {
        let (from, to) = (
            was.get(member).copied().flatten(),
            is.get(member).copied().flatten(),
        );
        if from != to {
            members.insert((*member).to_owned());
            nodes.extend(from.into_iter().chain(to).map(str::to_owned));
        }
    }
    (members, nodes)
}

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
            owner: None,
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
        if self.owner.is_none() {
            self.owner = read_owner(client).await.map_err(ReadError::Kubernetes)?;
        }
        live.owner.clone_from(&self.owner);
        if let Some(aws) = aws {
            let now = placement(&live);
            match self.aws.take() {
                Some(reading) if reading.placement == now => reading.fill(&mut live),
                Some(reading) if reading.placement.1 == now.1 => {
                    let (members, nodes) = moves(&reading.placement.0, &now.0);
                    reading.fill(&mut live);
                    aws.refresh_moved(cluster, &mut live, &nodes, &members)
                        .await
                        .map_err(ReadError::Aws)?;
                }
                _ => aws
                    .read_into(cluster, &mut live)
                    .await
                    .map_err(ReadError::Aws)?,
            }
            self.aws = Some(AwsReading::of(now, &live));
        }
        resolve_static_ip_subnets(&mut live);
        Ok(live)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(members: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
        members
            .iter()
            .map(|(m, n)| ((*m).to_owned(), n.map(str::to_owned)))
            .collect()
    }

    fn names(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_move_names_the_member_and_both_nodes() {
        let before = placed(&[
            ("zk-0", Some("n1")),
            ("zk-1", Some("n2")),
            ("zk-2", Some("n3")),
        ]);
        let now = placed(&[("zk-0", Some("n4")), ("zk-1", Some("n2")), ("zk-2", None)]);
        let (members, nodes) = moves(&before, &now);
        assert_eq!(members, names(&["zk-0", "zk-2"]));
        assert_eq!(nodes, names(&["n1", "n3", "n4"]));
    }

    #[test]
    fn new_and_gone_members_are_moves_and_unchanged_ones_are_not() {
        let before = placed(&[("a", Some("n1")), ("b", Some("n1"))]);
        let now = placed(&[("b", Some("n1")), ("c", Some("n2"))]);
        let (members, nodes) = moves(&before, &now);
        assert_eq!(members, names(&["a", "c"]));
        assert_eq!(nodes, names(&["n1", "n2"]));
        assert_eq!(moves(&now, &now), (BTreeSet::new(), BTreeSet::new()));
    }
}

//! What one plan learns for the next plan of the same spec set: each group's desired objects (a
//! group is a service, or the cluster-level objects) and which of them it found in sync at which
//! live `resourceVersion`.
//!
//! The same spec files render the same objects, and the API server gives an object a new
//! `resourceVersion` on every write, so an object whose live `resourceVersion` is the one it was
//! found in sync at is still in sync: a group whose every object is in that case need not be
//! rendered or compared again. The memo is forgotten when the spec files change.

use std::collections::{BTreeSet, HashMap};

use super::owned::Owned;
use super::restarts::Restarts;

/// `(kind, namespace, name)` of a Kubernetes object.
pub type ObjectKey = (String, String, String);

/// A desired Kubernetes object as a plan saw it.
#[derive(Debug, Clone)]
pub(crate) struct Observed {
    /// The object.
    pub key: ObjectKey,
    /// Its service, or empty for a cluster-level object.
    pub group: String,
    /// The live `resourceVersion` it was found in sync at, if it was.
    pub in_sync_at: Option<String>,
    /// A StatefulSet in sync: what its members' restarts are decided from.
    pub restarts: Option<Restarts>,
}

/// What the last plan learnt (see the module documentation).
#[derive(Debug, Default, Clone)]
pub struct PlanMemo {
    /// Each group's desired objects, as last seen.
    groups: HashMap<String, Vec<Seen>>,
}

/// A desired object as last seen.
#[derive(Debug, Clone)]
struct Seen {
    key: ObjectKey,
    /// The live `resourceVersion` it was found in sync at, if it was.
    in_sync_at: Option<String>,
    /// A StatefulSet in sync: what its members' restarts are decided from.
    restarts: Option<Restarts>,
}

impl PlanMemo {
    /// Forgets everything, for a spec set that changed: every group is rendered and compared
    /// again once.
    pub fn forget(&mut self) {
        self.groups.clear();
    }

    /// Number of objects known in sync.
    #[must_use]
    pub fn known_in_sync(&self) -> usize {
        self.groups
            .values()
            .flatten()
            .filter(|seen| seen.in_sync_at.is_some())
            .count()
    }

    /// The groups whose every desired object is in sync with its live object as read now
    /// (`owned`: the objects firecamp owns in the cluster). Their objects are claimed.
    pub(crate) fn fresh_groups(&self, owned: &mut Owned<'_>) -> BTreeSet<String> {
        let mut fresh = BTreeSet::new();
        let mut positions = Vec::new();
        for (group, objects) in &self.groups {
            positions.clear();
            let in_sync = objects.iter().all(|seen| {
                let (kind, namespace, name) = &seen.key;
                let Some((position, live)) = owned.find(kind, namespace, name) else {
                    return false;
                };
                positions.push(position);
                seen.in_sync_at.is_some() && live.resource_version() == seen.in_sync_at.as_deref()
            });
            if in_sync {
                for &position in &positions {
                    owned.claim_at(position);
                }
                fresh.insert(group.clone());
            }
        }
        fresh
    }

    /// A group's desired objects, each as the restart facts of a StatefulSet or `None`.
    pub(crate) fn objects_of(&self, group: &str) -> impl Iterator<Item = Option<&Restarts>> {
        self.groups
            .get(group)
            .into_iter()
            .flatten()
            .map(|seen| seen.restarts.as_ref())
    }

    /// Learns what a plan saw: the fresh groups stay as they are, the groups the plan rendered
    /// and compared are replaced by what it observed, and groups it did not see are forgotten.
    pub(crate) fn learn(&mut self, fresh: &BTreeSet<String>, observed: Vec<Observed>) {
        self.groups.retain(|group, _| fresh.contains(group));
        for seen in observed {
            self.groups.entry(seen.group).or_default().push(Seen {
                key: seen.key,
                in_sync_at: seen.in_sync_at,
                restarts: seen.restarts,
            });
        }
    }
}

//! What one plan learns for the next plan of the same spec set: each group's desired objects (a
//! group is a service, or the cluster-level objects) and which of them it found in sync at which
//! live `resourceVersion`.
//!
//! The same spec files render the same objects, and the API server gives an object a new
//! `resourceVersion` on every write, so an object whose live `resourceVersion` is the one it was
//! found in sync at is still in sync: a group whose every object is in that case need not be
//! rendered or compared again. The memo is forgotten when the spec files change.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use firecamp_catalog::labels;

use super::kubernetes::{LiveKey, live_identity};
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
    /// (`versions`: the live `resourceVersion` of every object firecamp owns in the cluster).
    pub(crate) fn fresh_groups(&self, versions: &HashMap<LiveKey<'_>, &str>) -> BTreeSet<String> {
        self.groups
            .iter()
            .filter(|(_, objects)| {
                objects.iter().all(|seen| {
                    let (kind, namespace, name) = &seen.key;
                    let now = versions.get(&(kind.as_str(), namespace.as_str(), name.as_str()));
                    seen.in_sync_at
                        .as_deref()
                        .is_some_and(|at| now == Some(&at))
                })
            })
            .map(|(group, _)| group.clone())
            .collect()
    }

    /// A group's desired objects.
    pub(crate) fn objects_of(&self, group: &str) -> impl Iterator<Item = &ObjectKey> {
        self.groups
            .get(group)
            .into_iter()
            .flatten()
            .map(|seen| &seen.key)
    }

    /// Learns what a plan saw: the fresh groups stay as they are, the groups the plan rendered
    /// and compared are replaced by what it observed, and groups it did not see are forgotten.
    pub(crate) fn learn(&mut self, fresh: &BTreeSet<String>, observed: Vec<Observed>) {
        self.groups.retain(|group, _| fresh.contains(group));
        for seen in observed {
            self.groups.entry(seen.group).or_default().push(Seen {
                key: seen.key,
                in_sync_at: seen.in_sync_at,
            });
        }
    }
}

/// The live `resourceVersion` of every object firecamp owns in `cluster`.
pub(crate) fn live_versions<'l>(
    objects: &'l [Value],
    cluster: &str,
) -> HashMap<LiveKey<'l>, &'l str> {
    objects
        .iter()
        .filter(|o| o["metadata"]["labels"][labels::MANAGED_BY] == labels::FIRECAMP)
        .filter(|o| {
            o["metadata"]["labels"][labels::CLUSTER]
                .as_str()
                .is_none_or(|c| c == cluster)
        })
        .filter_map(|o| {
            o["metadata"]["resourceVersion"]
                .as_str()
                .map(|version| (live_identity(o), version))
        })
        .collect()
}

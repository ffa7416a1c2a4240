//! The live objects firecamp owns, indexed by identity without copying, and which of them the
//! desired objects claim (the others are deleted).

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use firecamp_catalog::labels;

use crate::live::LiveState;

/// `(kind, namespace, name)` borrowed from a live object.
pub(crate) type LiveKey<'l> = (&'l str, &'l str, &'l str);

/// [`super::kubernetes::identity`] without copying: borrowed from the object.
pub(crate) fn live_identity(object: &Value) -> LiveKey<'_> {
    fn text(v: &Value) -> &str {
        v.as_str().unwrap_or_default()
    }
    (
        text(&object["kind"]),
        text(&object["metadata"]["namespace"]),
        text(&object["metadata"]["name"]),
    )
}

/// The live objects firecamp owns in the cluster, by identity, and those some desired object
/// claimed: the others are deleted.
pub(crate) struct Owned<'l> {
    /// Each object with its position in the live state.
    pub objects: BTreeMap<LiveKey<'l>, (usize, &'l Value)>,
    /// Positions of the claimed objects.
    pub claimed: HashSet<usize>,
}

impl<'l> Owned<'l> {
    /// The objects of `live` firecamp owns in `cluster`, none claimed yet.
    pub fn of(live: &'l LiveState, cluster: &str) -> Self {
        let label = |o: &'l Value, key: &str| o["metadata"]["labels"][key].as_str();
        Self {
            objects: live
                .objects
                .iter()
                .enumerate()
                .filter(|(_, o)| label(o, labels::MANAGED_BY) == Some(labels::FIRECAMP))
                .filter(|(_, o)| label(o, labels::CLUSTER).is_none_or(|c| c == cluster))
                .map(|(position, o)| (live_identity(o), (position, o)))
                .collect(),
            claimed: HashSet::new(),
        }
    }

    /// The live object a desired object names, which is then claimed.
    pub fn claim(&mut self, kind: &str, namespace: &str, name: &str) -> Option<&'l Value> {
        let &(position, object) = self.objects.get(&(kind, namespace, name))?;
        self.claimed.insert(position);
        Some(object)
    }
}

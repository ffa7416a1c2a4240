//! The live objects firecamp owns in the cluster, by identity, and which of them some desired
//! object claimed: the others are deleted. Built once per plan from the facts each live object
//! keeps beside its JSON.

use std::collections::HashMap;

use crate::live::LiveObject;

/// `(kind, namespace, name)` borrowed from a live object.
pub(crate) type LiveKey<'l> = (&'l str, &'l str, &'l str);

/// The owned objects, by identity (see the module documentation).
pub(crate) struct Owned<'l> {
    /// Each object with its position in the live state.
    objects: HashMap<LiveKey<'l>, (usize, &'l LiveObject)>,
    /// Whether the object at each position of the live state is claimed.
    claimed: Vec<bool>,
}

impl<'l> Owned<'l> {
    /// Indexes the objects firecamp owns in `cluster`.
    pub(crate) fn new(live: &'l [LiveObject], cluster: &str) -> Self {
        Self {
            objects: live
                .iter()
                .enumerate()
                .filter(|(_, o)| o.owned_in(cluster))
                .map(|(position, o)| (o.key(), (position, o)))
                .collect(),
            claimed: vec![false; live.len()],
        }
    }

    /// The owned object named so, without claiming it.
    pub(crate) fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<&'l LiveObject> {
        self.objects
            .get(&(kind, namespace, name))
            .map(|&(_, object)| object)
    }

    /// The owned object a desired object names, which is then claimed.
    pub(crate) fn claim(
        &mut self,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Option<&'l LiveObject> {
        let &(position, object) = self.objects.get(&(kind, namespace, name))?;
        self.claimed[position] = true;
        Some(object)
    }

    /// The owned objects no desired object claimed, in identity order.
    pub(crate) fn unclaimed(&self) -> Vec<(LiveKey<'l>, &'l LiveObject)> {
        let mut unclaimed: Vec<_> = self
            .objects
            .iter()
            .filter(|(_, (position, _))| !self.claimed[*position])
            .map(|(key, (_, object))| (*key, *object))
            .collect();
        unclaimed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        unclaimed
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(kind: &str, name: &str, cluster: &str) -> LiveObject {
        LiveObject::new(json!({
            "kind": kind,
            "metadata": {"name": name, "namespace": "data", "labels": {
                "app.kubernetes.io/managed-by": "firecamp", "firecamp.io/cluster": cluster,
            }},
        }))
    }

    #[test]
    fn only_the_clusters_objects_are_owned_and_the_unclaimed_come_in_order() {
        let live = [
            object("Service", "b", "prod"),
            object("ConfigMap", "z", "prod"),
            object("Service", "a", "prod"),
            object("Service", "c", "staging"),
        ];
        let mut owned = Owned::new(&live, "prod");
        assert!(owned.get("Service", "data", "c").is_none());
        assert!(owned.get("Service", "data", "b").is_some());
        assert!(owned.claim("Service", "data", "b").is_some());
        assert!(owned.claim("Service", "data", "missing").is_none());
        let unclaimed: Vec<_> = owned.unclaimed().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            unclaimed,
            [("ConfigMap", "data", "z"), ("Service", "data", "a")]
        );
    }
}

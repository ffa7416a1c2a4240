//! The live objects firecamp owns in the cluster, by identity, and which of them some desired
//! object claimed: the others are deleted. Built once per plan from the facts each live object
//! keeps beside its JSON.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use crate::live::{LiveObject, key_hash};

/// `(kind, namespace, name)` borrowed from a live object.
pub(crate) type LiveKey<'l> = (&'l str, &'l str, &'l str);

/// An identity with its [`key_hash`], hashed as that hash alone: the live objects' hashes were
/// computed when they were read, so indexing them reads no string.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Hashed<'l> {
    hash: u64,
    key: LiveKey<'l>,
}

impl Hash for Hashed<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// A hasher that passes an already mixed `u64` through.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

/// The owned objects, by identity (see the module documentation).
pub(crate) struct Owned<'l> {
    /// Each object with its position in the live state.
    objects: HashMap<Hashed<'l>, (usize, &'l LiveObject), BuildHasherDefault<PassThrough>>,
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
                .map(|(position, o)| {
                    let key = Hashed {
                        hash: o.key_hash(),
                        key: o.key(),
                    };
                    (key, (position, o))
                })
                .collect(),
            claimed: vec![false; live.len()],
        }
    }

    /// The owned object named so, with its position, without claiming it.
    pub(crate) fn find(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Option<(usize, &'l LiveObject)> {
        let key = Hashed {
            hash: key_hash(kind, namespace, name),
            key: (kind, namespace, name),
        };
        self.objects.get(&key).copied()
    }

    /// The owned object named so, without claiming it.
    pub(crate) fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<&'l LiveObject> {
        self.find(kind, namespace, name).map(|(_, object)| object)
    }

    /// The owned object a desired object names, which is then claimed.
    pub(crate) fn claim(
        &mut self,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Option<&'l LiveObject> {
        let (position, object) = self.find(kind, namespace, name)?;
        self.claimed[position] = true;
        Some(object)
    }

    /// Claims the object at `position` (found with [`Owned::find`]).
    pub(crate) fn claim_at(&mut self, position: usize) {
        if let Some(claimed) = self.claimed.get_mut(position) {
            *claimed = true;
        }
    }

    /// The owned objects no desired object claimed, in identity order.
    pub(crate) fn unclaimed(&self) -> Vec<(LiveKey<'l>, &'l LiveObject)> {
        let mut unclaimed: Vec<_> = self
            .objects
            .iter()
            .filter(|(_, (position, _))| !self.claimed[*position])
            .map(|(key, (_, object))| (key.key, *object))
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
        let (position, _) = owned.find("ConfigMap", "data", "z").expect("owned");
        assert_eq!(position, 1);
        let unclaimed: Vec<_> = owned.unclaimed().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            unclaimed,
            [("ConfigMap", "data", "z"), ("Service", "data", "a")]
        );
    }
}

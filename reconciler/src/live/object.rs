//! A live Kubernetes object with the facts every plan looks up on every object (identity,
//! `resourceVersion`, firecamp's ownership labels and annotations) read once, when the object is
//! read, and kept beside it: a plan that finds everything in sync never walks the JSON tree.
//!
//! An object kept for long (the watch cache's) is made compact ([`Dictionaries::compact`]): its
//! JSON is kept as compressed text (see [`super::packed`]), decompressed and parsed again only
//! when something reads it. A JSON tree in memory is several times the size of its text, the text
//! several times the size of its compressed form, and a plan that finds a service in sync by its
//! `resourceVersion` reads none of its objects.

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use firecamp_catalog::labels;

use super::packed::{Dictionaries, Packed};
use crate::plan::manifest::{DELETION_POLICY, DEPENDS_ON, Fingerprint};

/// A Kubernetes object as the API returned it. Reads go through [`Deref`] to the JSON (parsed from
/// the kept text on the first read of a compact object); writes go through [`LiveObject::edit`],
/// which reads the facts again. Serialized as the bare object. Clones share the text and facts.
#[derive(Debug, Clone)]
pub struct LiveObject {
    facts: Arc<Facts>,
    /// The object's JSON text, compressed, when it was made compact (and not edited since).
    packed: Option<Packed>,
    /// The object as a JSON tree: set from the start unless the object is compact, then on the
    /// first read.
    value: OnceLock<Value>,
}

/// What [`LiveObject`] keeps beside the JSON.
#[derive(Debug, Clone)]
struct Facts {
    /// [`key_hash`] of the identity.
    key_hash: u64,
    kind: String,
    namespace: String,
    name: String,
    resource_version: Option<String>,
    /// Labelled `app.kubernetes.io/managed-by: firecamp`.
    managed: bool,
    cluster: Option<String>,
    service: Option<String>,
    deletion_policy: Option<String>,
    depends_on: Option<String>,
}

impl Facts {
    fn of(value: &Value) -> Self {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let metadata = &value["metadata"];
        let labels_of = &metadata["labels"];
        let annotations = &metadata["annotations"];
        let kind = text(&value["kind"]).unwrap_or_default();
        let namespace = text(&metadata["namespace"]).unwrap_or_default();
        let name = text(&metadata["name"]).unwrap_or_default();
        Self {
            key_hash: key_hash(&kind, &namespace, &name),
            kind,
            namespace,
            name,
            resource_version: text(&metadata["resourceVersion"]),
            managed: labels_of[labels::MANAGED_BY] == labels::FIRECAMP,
            cluster: text(&labels_of[labels::CLUSTER]),
            service: text(&labels_of[labels::SERVICE]),
            deletion_policy: text(&annotations[DELETION_POLICY]),
            depends_on: text(&annotations[DEPENDS_ON]),
        }
    }
}

impl LiveObject {
    /// Reads the facts of `value`.
    #[must_use]
    pub fn new(value: Value) -> Self {
        Self {
            facts: Arc::new(Facts::of(&value)),
            packed: None,
            value: OnceLock::from(value),
        }
    }

    /// The same object kept as compressed JSON text only (compressed on its own), to be parsed
    /// again when read. [`Dictionaries::compact`] keeps alike objects in less.
    #[must_use]
    pub fn compact(self) -> Self {
        self.packed_by(|value| Packed::alone(value.to_string().as_bytes()))
    }

    fn packed_by(self, pack: impl FnOnce(&Value) -> Packed) -> Self {
        let packed = match (self.packed, self.value.into_inner()) {
            (Some(packed), _) => packed,
            (None, value) => pack(value.as_ref().unwrap_or(&Value::Null)),
        };
        Self {
            facts: self.facts,
            packed: Some(packed),
            value: OnceLock::new(),
        }
    }

    /// The object as the API returned it.
    #[must_use]
    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| unpack(self.packed.as_ref()))
    }

    /// Changes the object (tests, simulations); its facts are read again.
    pub fn edit<R>(&mut self, change: impl FnOnce(&mut Value) -> R) -> R {
        let mut value = self
            .value
            .take()
            .unwrap_or_else(|| unpack(self.packed.as_ref()));
        let result = change(&mut value);
        *self = Self::new(value);
        result
    }

    /// `(kind, namespace, name)`; the namespace is empty for a cluster-level object.
    #[must_use]
    pub fn key(&self) -> (&str, &str, &str) {
        (&self.facts.kind, &self.facts.namespace, &self.facts.name)
    }

    /// [`key_hash`] of [`LiveObject::key`], computed when the object was read.
    #[must_use]
    pub fn key_hash(&self) -> u64 {
        self.facts.key_hash
    }

    /// `metadata.resourceVersion`.
    #[must_use]
    pub fn resource_version(&self) -> Option<&str> {
        self.facts.resource_version.as_deref()
    }

    /// True when firecamp manages the object for `cluster` (labelled as managed by firecamp, with
    /// no cluster label or this cluster's).
    #[must_use]
    pub fn owned_in(&self, cluster: &str) -> bool {
        self.facts.managed && self.facts.cluster.as_deref().is_none_or(|c| c == cluster)
    }

    /// The service label.
    #[must_use]
    pub fn service(&self) -> Option<&str> {
        self.facts.service.as_deref()
    }

    /// The deletion policy firecamp recorded on the object.
    #[must_use]
    pub fn deletion_policy(&self) -> Option<&str> {
        self.facts.deletion_policy.as_deref()
    }

    /// The services firecamp recorded the object's service depends on.
    pub fn depends_on(&self) -> Option<impl Iterator<Item = &str>> {
        self.facts
            .depends_on
            .as_deref()
            .map(|deps| deps.split(',').filter(|d| !d.is_empty()))
    }
}

/// The JSON of a compact object (null when there is none, or it does not decompress or parse: it
/// was written by [`LiveObject::compact`], so it does).
fn unpack(packed: Option<&Packed>) -> Value {
    packed
        .and_then(Packed::text)
        .and_then(|text| serde_json::from_slice(&text).ok())
        .unwrap_or(Value::Null)
}

impl Dictionaries {
    /// `object` kept as compressed JSON text only, against the dictionary of its sort (see
    /// [`super::packed`]), to be parsed again when read.
    #[must_use]
    pub fn compact(&mut self, object: LiveObject) -> LiveObject {
        object.packed_by(|value| self.pack(value))
    }
}

/// A well-mixed 64-bit hash of an object's `(kind, namespace, name)`, for indexes by identity
/// that should not read the strings again (FNV-1a, then the SplitMix64 finalizer).
#[must_use]
pub fn key_hash(kind: &str, namespace: &str, name: &str) -> u64 {
    let mut fingerprint = Fingerprint::new();
    for part in [kind, namespace, name] {
        fingerprint.add(part.as_bytes());
        fingerprint.add(&[0xff]);
    }
    let mut hash = fingerprint.value();
    hash = (hash ^ (hash >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash = (hash ^ (hash >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

impl Deref for LiveObject {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.value()
    }
}

impl From<Value> for LiveObject {
    fn from(value: Value) -> Self {
        Self::new(value)
    }
}

impl PartialEq for LiveObject {
    /// Compact objects compare by their text (the same object as served again is the same text),
    /// others as JSON.
    fn eq(&self, other: &Self) -> bool {
        match (&self.packed, &other.packed) {
            (Some(a), Some(b)) => a == b,
            _ => self.value() == other.value(),
        }
    }
}

impl Serialize for LiveObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for LiveObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Self::new)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn statefulset() -> Value {
        json!({
            "kind": "StatefulSet",
            "metadata": {
                "name": "zk-a", "namespace": "data", "resourceVersion": "41",
                "labels": {
                    "app.kubernetes.io/managed-by": "firecamp",
                    "firecamp.io/cluster": "prod",
                    "firecamp.io/service": "zk",
                },
                "annotations": {
                    "firecamp.io/deletion-policy": "Delete",
                    "firecamp.io/depends-on": "a,,b",
                },
            },
        })
    }

    #[test]
    fn the_facts_are_read_from_the_object() {
        let object = LiveObject::new(statefulset());
        assert_eq!(object.key(), ("StatefulSet", "data", "zk-a"));
        assert_eq!(object.key_hash(), key_hash("StatefulSet", "data", "zk-a"));
        assert_ne!(object.key_hash(), key_hash("StatefulSet", "dat", "azk-a"));
        assert_eq!(object.resource_version(), Some("41"));
        assert!(object.owned_in("prod"));
        assert!(!object.owned_in("staging"));
        assert_eq!(object.service(), Some("zk"));
        assert_eq!(object.deletion_policy(), Some("Delete"));
        let deps: Vec<&str> = object.depends_on().into_iter().flatten().collect();
        assert_eq!(deps, ["a", "b"]);
    }

    #[test]
    fn an_edit_reads_the_facts_again() {
        let mut object = LiveObject::new(statefulset());
        object.edit(|o| {
            o["metadata"]["resourceVersion"] = json!("42");
            o["metadata"]["labels"]["app.kubernetes.io/managed-by"] = json!("helm");
        });
        assert_eq!(object.resource_version(), Some("42"));
        assert!(!object.owned_in("prod"));
    }

    #[test]
    fn an_object_without_a_cluster_label_belongs_to_any_cluster() {
        let mut value = statefulset();
        value["metadata"]["labels"]
            .as_object_mut()
            .map(|l| l.remove("firecamp.io/cluster"));
        assert!(LiveObject::new(value).owned_in("prod"));
    }

    #[test]
    fn a_compact_object_reads_as_the_object_and_keeps_its_facts() {
        let compact = LiveObject::new(statefulset()).compact();
        assert_eq!(compact.key(), ("StatefulSet", "data", "zk-a"));
        assert_eq!(compact.service(), Some("zk"));
        assert!(compact.value.get().is_none(), "not parsed until read");
        assert_eq!(compact["metadata"]["resourceVersion"], "41");
        assert_eq!(compact, LiveObject::new(statefulset()));
        assert_eq!(compact.clone().compact(), compact);
        let mut other = statefulset();
        other["metadata"]["resourceVersion"] = json!("42");
        assert_ne!(compact, LiveObject::new(other).compact());
    }

    #[test]
    fn a_compact_object_keeps_less_than_its_text() {
        let mut value = statefulset();
        let config = "tickTime=2000\ninitLimit=10\nsyncLimit=5\n".repeat(40);
        value["data"] = json!({ "zoo.cfg": config });
        let text = value.to_string();
        let compact = LiveObject::new(value.clone()).compact();
        let packed = compact.packed.as_ref().expect("packed");
        assert!(
            packed.len() * 4 < text.len(),
            "{} of {}",
            packed.len(),
            text.len()
        );
        assert_eq!(*compact, value);
    }

    #[test]
    fn an_edit_of_a_compact_object_changes_what_it_reads() {
        let mut object = LiveObject::new(statefulset()).compact();
        object.edit(|o| o["metadata"]["resourceVersion"] = json!("43"));
        assert_eq!(object.resource_version(), Some("43"));
        assert_eq!(object["metadata"]["resourceVersion"], "43");
    }

    #[test]
    fn it_is_serialized_as_the_bare_object() {
        let object = LiveObject::new(statefulset());
        let text = serde_json::to_string(&object).expect("serialize");
        assert_eq!(text, serde_json::to_string(&statefulset()).expect("json"));
        let back: LiveObject = serde_json::from_str(&text).expect("deserialize");
        assert_eq!(back, object);
        assert_eq!(back.key(), object.key());
    }
}

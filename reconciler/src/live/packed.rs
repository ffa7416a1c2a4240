//! JSON text kept compressed: LZ4 against a dictionary. The objects firecamp owns are alike (500
//! ZooKeeper StatefulSets differ in little but their names), so each sort of object (its kind and
//! the service kind it belongs to) is compressed against the text of the first object of that
//! sort: a StatefulSet then keeps about an eighth of its text, where LZ4 alone keeps half.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use serde_json::Value;

use firecamp_catalog::labels;

/// LZ4 reads at most this much of a dictionary: the match window.
const WINDOW: usize = 64 * 1024;

/// The empty dictionary, for text compressed on its own.
static NO_DICTIONARY: LazyLock<Arc<[u8]>> = LazyLock::new(|| Arc::from(&[][..]));

/// Compressed text and the dictionary it was compressed against.
#[derive(Debug, Clone)]
pub(super) struct Packed {
    dictionary: Arc<[u8]>,
    /// LZ4 block, the text's length first.
    bytes: Arc<[u8]>,
}

impl Packed {
    /// `text` compressed against `dictionary`.
    fn new(text: &[u8], dictionary: Arc<[u8]>) -> Self {
        let bytes = lz4_flex::block::compress_prepend_size_with_dict(text, &dictionary);
        Self {
            dictionary,
            bytes: Arc::from(bytes),
        }
    }

    /// `text` compressed on its own.
    pub(super) fn alone(text: &[u8]) -> Self {
        Self::new(text, Arc::clone(&NO_DICTIONARY))
    }

    /// The text (`None` only for bytes that are not what [`Packed::new`] made).
    pub(super) fn text(&self) -> Option<Vec<u8>> {
        lz4_flex::block::decompress_size_prepended_with_dict(&self.bytes, &self.dictionary).ok()
    }

    /// Bytes kept for this text, the shared dictionary not counted.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.bytes.len()
    }
}

impl PartialEq for Packed {
    /// The same text against the same dictionary compresses to the same bytes; against different
    /// dictionaries, the texts are compared.
    fn eq(&self, other: &Self) -> bool {
        if Arc::ptr_eq(&self.dictionary, &other.dictionary) {
            self.bytes == other.bytes
        } else {
            self.text() == other.text()
        }
    }
}

/// The dictionaries of one cache, by sort of object; a sort's dictionary is the text of the first
/// object of that sort packed (its last 64 KiB), and never changes after.
#[derive(Debug, Default)]
pub struct Dictionaries {
    by_sort: HashMap<(String, String), Arc<[u8]>>,
}

impl Dictionaries {
    /// No dictionary yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// `value`'s text packed against its sort's dictionary.
    pub(super) fn pack(&mut self, value: &Value) -> Packed {
        let text = value.to_string().into_bytes();
        let text_of = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let sort = (
            text_of(&value["kind"]),
            text_of(&value["metadata"]["labels"][labels::NAME]),
        );
        let dictionary = self
            .by_sort
            .entry(sort)
            .or_insert_with(|| Arc::from(&text[text.len().saturating_sub(WINDOW)..]));
        Packed::new(&text, Arc::clone(dictionary))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn statefulset(service: &str) -> Value {
        json!({
            "kind": "StatefulSet",
            "metadata": {
                "name": format!("{service}-server-a"),
                "labels": {"app.kubernetes.io/name": "zookeeper", "firecamp.io/service": service},
            },
            "spec": {"template": {"spec": {"containers": [{
                "name": "zookeeper",
                "image": "zookeeper:3.9.3",
                "command": ["/bin/sh", "/etc/firecamp/start.sh"],
                "env": (0..20).map(|i| json!({"name": format!("VAR_{i}"), "value": format!("{service}-{i}")})).collect::<Vec<_>>(),
            }]}}},
        })
    }

    #[test]
    fn an_object_like_the_first_of_its_sort_keeps_a_fraction_of_its_text() {
        let mut dictionaries = Dictionaries::new();
        let first = dictionaries.pack(&statefulset("zk-0"));
        let text = statefulset("zk-1").to_string();
        let alike = dictionaries.pack(&statefulset("zk-1"));
        let alone = Packed::alone(text.as_bytes());
        assert_eq!(alike.text().as_deref(), Some(text.as_bytes()));
        assert_eq!(alone.text().as_deref(), Some(text.as_bytes()));
        assert!(
            alike.len() * 2 < alone.len(),
            "{} against the dictionary, {} alone, of {}",
            alike.len(),
            alone.len(),
            text.len()
        );
        assert!(
            first.len() < 64,
            "the first is its own dictionary: {}",
            first.len()
        );
    }

    #[test]
    fn packs_compare_by_their_texts() {
        let mut dictionaries = Dictionaries::new();
        dictionaries.pack(&statefulset("zk-0"));
        let text = statefulset("zk-1").to_string();
        let packed = dictionaries.pack(&statefulset("zk-1"));
        assert_eq!(packed, dictionaries.pack(&statefulset("zk-1")));
        assert_eq!(
            packed,
            Packed::alone(text.as_bytes()),
            "other dictionary, same text"
        );
        assert_ne!(packed, dictionaries.pack(&statefulset("zk-2")));
    }
}

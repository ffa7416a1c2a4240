//! The node types of a loaded YAML document.

use crate::diagnostic::Pos;
use crate::path::{FieldPath, Segment};

/// A YAML node with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where the node starts.
    pub pos: Pos,
}

/// One `key: value` pair of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key, as text.
    pub key: String,
    /// Where the key starts.
    pub key_pos: Pos,
    /// The value.
    pub value: Node,
}

/// The value of a YAML node, with scalars resolved by the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or an empty value.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A floating-point number.
    Float(f64),
    /// A string.
    String(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order, without duplicate keys.
    Map(Vec<Entry>),
}

impl Value {
    /// A short name of the value's type, for messages ("a string", "a mapping", ...).
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Int(_) => "an integer",
            Self::Float(_) => "a number",
            Self::String(_) => "a string",
            Self::Seq(_) => "a sequence",
            Self::Map(_) => "a mapping",
        }
    }
}

impl Node {
    /// The entry for `key` when this node is a mapping.
    #[must_use]
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The value for `key` when this node is a mapping.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The string value of this node, if it is a string.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The position of the deepest node along `path`: the key of a mapping entry for the last
    /// key segment when `at_key` is true, its value otherwise; the nearest existing ancestor when
    /// the path does not exist.
    #[must_use]
    pub fn locate(&self, path: &FieldPath, at_key: bool) -> Pos {
        let mut node = self;
        let mut pos = self.pos;
        let segments = path.segments();
        for (i, segment) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            match (segment, &node.value) {
                (Segment::Key(key), Value::Map(entries)) => {
                    let Some(entry) = entries.iter().find(|e| &e.key == key) else {
                        return pos;
                    };
                    pos = if last && at_key {
                        entry.key_pos
                    } else {
                        entry.value.pos
                    };
                    node = &entry.value;
                }
                (Segment::Index(index), Value::Seq(items)) => {
                    let Some(item) = items.get(*index) else {
                        return pos;
                    };
                    pos = item.pos;
                    node = item;
                }
                _ => return pos,
            }
        }
        pos
    }

    /// Converts this node into JSON for typed deserialization. Integers that JSON cannot hold
    /// become floats; callers validate ranges before relying on them.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => {
                if let Ok(v) = i64::try_from(*i) {
                    J::from(v)
                } else if let Ok(v) = u64::try_from(*i) {
                    J::from(v)
                } else {
                    #[expect(
                        clippy::cast_precision_loss,
                        reason = "out-of-range integers are rejected by validation"
                    )]
                    let f = *i as f64;
                    J::from(f)
                }
            }
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::String(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Number of nodes in this subtree and its depth (a scalar has depth 0).
    pub(crate) fn size_and_depth(&self) -> (usize, usize) {
        match &self.value {
            Value::Seq(items) => items.iter().fold((1, 1), |(size, depth), item| {
                let (s, d) = item.size_and_depth();
                (size + s, depth.max(d + 1))
            }),
            Value::Map(entries) => entries.iter().fold((1, 1), |(size, depth), entry| {
                let (s, d) = entry.value.size_and_depth();
                (size + s + 1, depth.max(d + 1))
            }),
            _ => (1, 0),
        }
    }
}

//! The manifest firecamp applies for a desired object: the catalog's object plus firecamp's own
//! annotations (the desired-hash that tells drift from change, the service's deletion policy and
//! references, so they are known after its spec is removed).

use serde_json::{Value, json};

use firecamp_catalog::KubeObject;
use firecamp_schema::spec::DeletionPolicy;

/// Annotation: hash of the desired object last applied; equal to the current one means a live
/// difference is drift, not a change asked for in git.
pub const DESIRED_HASH: &str = "firecamp.io/desired-hash";
/// Annotation: the service's deletion policy, so it is known after its spec is removed.
pub const DELETION_POLICY: &str = "firecamp.io/deletion-policy";
/// Annotation: the services this one depends on, so deletions can run in reverse order.
pub const DEPENDS_ON: &str = "firecamp.io/depends-on";

/// FNV-1a (64-bit) over everything written: a stable, fast fingerprint for change detection.
pub(crate) struct Fingerprint(u64);

impl Fingerprint {
    /// The fingerprint of nothing yet.
    pub(crate) const fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    /// Adds `bytes`.
    pub(crate) fn add(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// The fingerprint of everything added.
    pub(crate) const fn value(&self) -> u64 {
        self.0
    }
}

impl std::io::Write for Fingerprint {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.add(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The desired-hash of an object: its serialized form's fingerprint, as 16 hex digits.
pub(super) fn desired_hash(value: &Value) -> String {
    let mut fingerprint = Fingerprint::new();
    let _ = serde_json::to_writer(&mut fingerprint, value);
    format!("{:016x}", fingerprint.value())
}

/// The manifest firecamp applies: the catalog's object plus its own annotations.
pub(super) fn manifest(
    object: &KubeObject,
    service: Option<(&str, DeletionPolicy, &[String])>,
) -> Value {
    let mut value = serde_json::to_value(object).unwrap_or(Value::Null);
    let hash = desired_hash(&value);
    let annotations = value["metadata"]
        .as_object_mut()
        .map(|m| m.entry("annotations").or_insert_with(|| json!({})));
    if let Some(Value::Object(annotations)) = annotations {
        annotations.insert(DESIRED_HASH.to_owned(), Value::String(hash));
        if let Some((_, policy, depends_on)) = service {
            let policy = match policy {
                DeletionPolicy::Retain => "Retain",
                DeletionPolicy::Delete => "Delete",
            };
            annotations.insert(DELETION_POLICY.to_owned(), Value::String(policy.to_owned()));
            if !depends_on.is_empty() {
                annotations.insert(DEPENDS_ON.to_owned(), Value::String(depends_on.join(",")));
            }
        }
    }
    value
}

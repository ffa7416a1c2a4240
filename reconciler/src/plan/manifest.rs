//! The manifest firecamp applies for a catalog object: the object plus firecamp's annotations
//! (its desired-hash, and for a service's objects the deletion policy and references).

use serde_json::{Value, json};

use firecamp_catalog::KubeObject;
use firecamp_schema::spec::DeletionPolicy;

use super::kubernetes::{DELETION_POLICY, DEPENDS_ON, DESIRED_HASH};

/// FNV-1a (64-bit) over everything written: a stable, fast fingerprint for change detection.
struct Fingerprint(u64);

impl std::io::Write for Fingerprint {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The desired-hash of an object: its serialized form's fingerprint, as 16 hex digits.
fn desired_hash(value: &Value) -> String {
    let mut fingerprint = Fingerprint(0xcbf2_9ce4_8422_2325);
    let _ = serde_json::to_writer(&mut fingerprint, value);
    format!("{:016x}", fingerprint.0)
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

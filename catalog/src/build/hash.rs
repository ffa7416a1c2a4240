//! The config hash put on pod templates, so a change of anything members read at start shows in
//! the plan and drives a restart.

use sha2::{Digest, Sha256};

/// First 16 hex digits of the SHA-256 of `parts`, each length-prefixed.
pub(crate) fn config_hash<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::config_hash;

    #[test]
    fn hash_depends_on_boundaries_and_content() {
        assert_eq!(config_hash(["ab", "c"]).len(), 16);
        assert_ne!(config_hash(["ab", "c"]), config_hash(["a", "bc"]));
        assert_eq!(config_hash(["x"]), config_hash(["x"]));
    }
}

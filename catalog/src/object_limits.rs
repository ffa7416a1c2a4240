//! What the API server refuses however valid each field: a ConfigMap whose values add up to more
//! than 1 MiB. Kubernetes 1.37's `ValidateConfigMap` (pkg/apis/core/validation/validation.go)
//! adds up the length of every `data` and `binaryData` value, keys not counted, and refuses a
//! total above `MaxSecretSize` (pkg/apis/core/types.go: `1 * 1024 * 1024`). The count is tested
//! against the real API server (reconciler/tests/server_accepts.rs).

use k8s_openapi::api::core::v1::ConfigMap;

/// The most a ConfigMap's values may add up to, in bytes.
pub const MAX_CONFIG_MAP_DATA: usize = 1024 * 1024;

/// The size the API server holds a ConfigMap to: the bytes of its values.
#[must_use]
pub fn config_map_data_size(config_map: &ConfigMap) -> usize {
    let text: usize = config_map
        .data
        .iter()
        .flatten()
        .map(|(_, value)| value.len())
        .sum();
    let binary: usize = config_map
        .binary_data
        .iter()
        .flatten()
        .map(|(_, value)| value.0.len())
        .sum();
    text + binary
}

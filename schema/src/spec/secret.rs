//! References to Kubernetes Secrets: the only way a spec names a credential.

use crate::spec::patterns;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A key of a Kubernetes Secret in the Cluster's namespace. Credentials are never written in a
/// spec: firecamp mounts the Secret and never prints its value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields, extend("x-firecamp-secret" = true))]
pub struct SecretRef {
    /// Name of the Secret.
    pub secret_name: String,
    /// Key inside the Secret.
    pub key: String,
}

/// A Kubernetes Secret of type `kubernetes.io/tls` (keys `tls.crt`, `tls.key`, optionally
/// `ca.crt`) that enables TLS for a service.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields, extend("x-firecamp-secret" = true))]
pub struct TlsSecretRef {
    /// Name of the TLS Secret.
    pub secret_name: String,
}

/// A JMX endpoint's credentials (Cassandra, ZooKeeper, Kafka).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct JmxSpec {
    /// JMX user name.
    #[serde(default = "default_jmx_user")]
    #[schemars(pattern(patterns::NAME))]
    pub user: String,
    /// JMX password.
    pub password: SecretRef,
}

fn default_jmx_user() -> String {
    "jmxuser".to_owned()
}

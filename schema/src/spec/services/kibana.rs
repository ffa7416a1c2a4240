//! Kibana in front of an Elasticsearch service.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::problem::Problems;
use crate::spec::common::WorkloadSpec;
use crate::spec::kind::ServiceKind;
use crate::spec::patterns;
use crate::spec::secret::TlsSecretRef;
use crate::spec::service::{Context, Reference, RoleGroup, ServiceSpec, common_fields};
use crate::spec::text_rules::check_path;

/// `spec` of a `Kibana` document (stateless: Kibana keeps its state in Elasticsearch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct KibanaSpec {
    /// Common fields (default 1 replica).
    #[serde(flatten)]
    pub workload: WorkloadSpec,
    /// Name of the ElasticSearch service.
    pub elasticsearch: String,
    /// Base path when served behind a proxy, e.g. `/kibana` (no trailing `/`).
    #[schemars(pattern(patterns::URL_PATH))]
    pub proxy_base_path: Option<String>,
    /// Serve HTTPS with this certificate.
    pub tls: Option<TlsSecretRef>,
}

common_fields!(KibanaSpec);

impl ServiceSpec for KibanaSpec {
    const KIND: ServiceKind = ServiceKind::Kibana;

    fn default_replicas(&self) -> u32 {
        1
    }

    fn references(&self) -> Vec<Reference> {
        vec![Reference::new(
            "spec.elasticsearch",
            &self.elasticsearch,
            &[ServiceKind::ElasticSearch],
        )]
    }

    fn roles(&self, replicas: u32) -> Vec<RoleGroup> {
        vec![RoleGroup::new("node", replicas)]
    }

    fn check(&self, _ctx: &Context<'_>, out: &mut Problems) {
        if let Some(path) = &self.proxy_base_path {
            check_path(out, "spec.proxyBasePath", path);
        }
    }
}

//! Consul servers with static IPs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::problem::Problems;
use crate::spec::common::{StorageSpec, WorkloadSpec};
use crate::spec::kind::ServiceKind;
use crate::spec::patterns;
use crate::spec::rules::check_odd;
use crate::spec::secret::{SecretRef, TlsSecretRef};
use crate::spec::service::{Context, RoleGroup, ServiceSpec, common_fields};
use crate::spec::text_rules::check_dns_name;

/// `spec` of a `Consul` document. Members get static IPs unless `staticIp: false`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ConsulSpec {
    /// Common fields.
    #[serde(flatten)]
    pub workload: WorkloadSpec,
    /// Volume fields.
    #[serde(flatten)]
    pub storage: StorageSpec,
    /// Datacenter name (default: the Cluster's region).
    #[schemars(pattern(patterns::DNS_SUBDOMAIN), length(max = 253))]
    pub datacenter: Option<String>,
    /// Consul DNS domain (default `consul`).
    #[serde(default = "consul")]
    #[schemars(pattern(patterns::DNS_SUBDOMAIN), length(max = 253))]
    pub domain: String,
    /// Gossip encryption key (32 bytes, base64).
    pub encrypt_key: Option<SecretRef>,
    /// Serve HTTPS with this certificate.
    pub tls: Option<TlsSecretRef>,
    /// HTTPS port when `tls` is set (default 8080).
    #[serde(default = "https_port")]
    pub https_port: u16,
}

common_fields!(ConsulSpec, stateful);

impl ServiceSpec for ConsulSpec {
    const KIND: ServiceKind = ServiceKind::Consul;

    fn static_ip_default(&self) -> bool {
        true
    }

    fn roles(&self, replicas: u32) -> Vec<RoleGroup> {
        vec![RoleGroup::new("server", replicas)]
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Problems) {
        if let Some(datacenter) = &self.datacenter {
            check_dns_name(out, "spec.datacenter", datacenter);
        }
        check_dns_name(out, "spec.domain", &self.domain);
        check_odd(
            out,
            "spec.replicas",
            ctx.replicas,
            "Consul servers elect a leader by majority",
        );
        if [8300, 8301, 8302, 8500, 8600].contains(&self.https_port) || self.https_port < 1024 {
            out.add(
                "spec.httpsPort",
                format!(
                    "{} is reserved; use a free port of 1024 or more",
                    self.https_port
                ),
                "Consul itself uses 8300-8302, 8500 and 8600; leave it out for 8080",
            );
        }
        if self.domain.is_empty() {
            out.add(
                "spec.domain",
                "must not be empty",
                "leave it out for the default \"consul\"",
            );
        }
    }
}

fn consul() -> String {
    "consul".to_owned()
}

const fn https_port() -> u16 {
    8080
}

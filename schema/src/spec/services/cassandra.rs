//! Cassandra: one ring, rack = zone, data centre = region.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::problem::Problems;
use crate::spec::common::{StorageSpec, WorkloadSpec};
use crate::spec::kind::ServiceKind;
use crate::spec::patterns;
use crate::spec::quantity::Quantity;
use crate::spec::rules::{check_memory_size, gib};
use crate::spec::secret::{JmxSpec, SecretRef};
use crate::spec::service::{Context, RoleGroup, ServiceSpec, common_fields};
use crate::spec::text_rules::{check_name, check_names};

/// `spec` of a `Cassandra` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct CassandraSpec {
    /// Common fields.
    #[serde(flatten)]
    pub workload: WorkloadSpec,
    /// Volume fields (a journal volume, for the commit log, is required).
    #[serde(flatten)]
    pub storage: StorageSpec,
    /// JVM heap (default 8Gi, at most 14Gi).
    #[serde(default = "default_heap")]
    pub heap_size: Quantity,
    /// New password of the `cassandra` superuser, set at initialisation.
    pub superuser_password: Option<SecretRef>,
    /// JMX credentials (JMX is off without them).
    pub jmx: Option<JmxSpec>,
    /// Audit logging.
    pub audit_logging: Option<AuditLogSpec>,
}

/// Cassandra audit logging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct AuditLogSpec {
    /// Turn audit logging on (default true when the section is present).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Keyspaces to audit (default: all).
    #[serde(default)]
    #[schemars(inner(pattern(patterns::NAME)))]
    pub included_keyspaces: Vec<String>,
    /// Keyspaces not to audit (default: the system keyspaces).
    #[serde(default = "system_keyspaces")]
    #[schemars(inner(pattern(patterns::NAME)))]
    pub excluded_keyspaces: Vec<String>,
    /// Categories to audit, e.g. DDL, DCL, AUTH (default: all).
    #[serde(default)]
    #[schemars(inner(pattern(patterns::NAME)))]
    pub included_categories: Vec<String>,
    /// Users to audit (default: all).
    #[serde(default)]
    #[schemars(inner(pattern(patterns::NAME)))]
    pub included_users: Vec<String>,
}

common_fields!(CassandraSpec, stateful);

impl ServiceSpec for CassandraSpec {
    const KIND: ServiceKind = ServiceKind::Cassandra;

    fn requires_journal(&self) -> bool {
        true
    }

    fn roles(&self, replicas: u32) -> Vec<RoleGroup> {
        vec![RoleGroup::new("node", replicas)]
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Problems) {
        if let Some(jmx) = &self.jmx {
            check_name(out, "spec.jmx.user", &jmx.user);
        }
        if let Some(audit) = &self.audit_logging {
            check_names(
                out,
                "spec.auditLogging.includedKeyspaces",
                &audit.included_keyspaces,
            );
            check_names(
                out,
                "spec.auditLogging.excludedKeyspaces",
                &audit.excluded_keyspaces,
            );
            check_names(
                out,
                "spec.auditLogging.includedCategories",
                &audit.included_categories,
            );
            check_names(
                out,
                "spec.auditLogging.includedUsers",
                &audit.included_users,
            );
        }
        if ctx.replicas == 2 {
            out.add(
                "spec.replicas",
                "2 members is not allowed",
                "use 1 for development or 3 or more: system_auth is replicated 3 times",
            );
        }
        check_memory_size(ctx, out, "spec.heapSize", &self.heap_size, gib(14));
    }
}

fn default_heap() -> Quantity {
    Quantity::new("8Gi")
}

const fn yes() -> bool {
    true
}

fn system_keyspaces() -> Vec<String> {
    ["system", "system_schema", "system_virtual_schema"]
        .map(String::from)
        .to_vec()
}

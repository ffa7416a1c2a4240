//! PostgreSQL: one primary and streaming-replication standbys.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::problem::Problems;
use crate::spec::common::{StorageSpec, WorkloadSpec};
use crate::spec::kind::ServiceKind;
use crate::spec::patterns;
use crate::spec::secret::SecretRef;
use crate::spec::service::{Context, RoleGroup, ServiceSpec, common_fields};
use crate::spec::text_rules::check_name;

/// `spec` of a `PostgreSQL` document. Member 0 is the primary, in the first zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct PostgreSqlSpec {
    /// Common fields.
    #[serde(flatten)]
    pub workload: WorkloadSpec,
    /// Volume fields (a journal volume, for the WAL, is required).
    #[serde(flatten)]
    pub storage: StorageSpec,
    /// Password of the `postgres` superuser.
    pub admin_password: SecretRef,
    /// Replication user (default `repluser`).
    #[serde(default = "repluser")]
    #[schemars(pattern(patterns::NAME))]
    pub replication_user: String,
    /// Password of the replication user.
    pub replication_password: SecretRef,
}

common_fields!(PostgreSqlSpec, stateful);

impl ServiceSpec for PostgreSqlSpec {
    const KIND: ServiceKind = ServiceKind::PostgreSql;

    fn requires_journal(&self) -> bool {
        true
    }

    fn roles(&self, replicas: u32) -> Vec<RoleGroup> {
        let mut roles = vec![RoleGroup::new("primary", 1)];
        if replicas > 1 {
            roles.push(RoleGroup::new("standby", replicas - 1).zone_offset(1));
        }
        roles
    }

    fn check(&self, _ctx: &Context<'_>, out: &mut Problems) {
        check_name(out, "spec.replicationUser", &self.replication_user);
    }
}

fn repluser() -> String {
    "repluser".to_owned()
}

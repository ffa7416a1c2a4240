//! MongoDB: a replica set, or a sharded cluster with a config-server replica set.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::problem::Problems;
use crate::spec::common::{StorageSpec, WorkloadSpec};
use crate::spec::kind::ServiceKind;
use crate::spec::patterns;
use crate::spec::rules::check_odd;
use crate::spec::secret::SecretRef;
use crate::spec::service::{Context, RoleGroup, ServiceSpec, common_fields};
use crate::spec::text_rules::check_name;

/// `spec` of a `MongoDB` document. `replicas` is the number of members of each replica set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct MongoDbSpec {
    /// Common fields.
    #[serde(flatten)]
    pub workload: WorkloadSpec,
    /// Volume fields (a journal volume is required).
    #[serde(flatten)]
    pub storage: StorageSpec,
    /// Number of shards (default 1).
    #[serde(default = "one")]
    pub shards: u32,
    /// One plain replica set; only with `shards: 1` (default: true for 1 shard, else false).
    pub replica_set_only: Option<bool>,
    /// Members of the config-server replica set of a sharded cluster (default 3, odd).
    #[serde(default = "three")]
    pub config_servers: u32,
    /// Name of the root user created at initialisation (default `admin`).
    #[serde(default = "admin")]
    #[schemars(pattern(patterns::NAME))]
    pub admin_user: String,
    /// Password of the root user.
    pub admin_password: SecretRef,
    /// Key file for internal authentication between members.
    pub key_file: SecretRef,
}

const MAX_MEMBERS: u32 = 50;

impl MongoDbSpec {
    /// True when the service is a sharded cluster.
    #[must_use]
    pub fn sharded(&self) -> bool {
        !self.replica_set_only.unwrap_or(self.shards == 1)
    }
}

common_fields!(MongoDbSpec, stateful);

impl ServiceSpec for MongoDbSpec {
    const KIND: ServiceKind = ServiceKind::MongoDb;

    fn requires_journal(&self) -> bool {
        true
    }

    fn roles(&self, replicas: u32) -> Vec<RoleGroup> {
        if !self.sharded() {
            return vec![RoleGroup::new("replica", replicas)];
        }
        let mut roles = vec![RoleGroup::new("config", self.config_servers)];
        roles.extend(
            (0..self.shards).map(|s| RoleGroup::new(format!("shard{s}"), replicas).zone_offset(s)),
        );
        roles
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Problems) {
        check_name(out, "spec.adminUser", &self.admin_user);
        let why =
            "a replica set elects a primary by majority; an even count adds no fault tolerance";
        check_odd(out, "spec.replicas", ctx.replicas, why);
        if ctx.replicas > MAX_MEMBERS {
            out.add(
                "spec.replicas",
                format!("a replica set has at most {MAX_MEMBERS} members"),
                "MongoDB allows 50 members but only 7 voting ones; use shards to grow further",
            );
        }
        if self.shards == 0 {
            out.add(
                "spec.shards",
                "must be at least 1",
                "use 1 for a replica set",
            );
        }
        if self.replica_set_only == Some(true) && self.shards > 1 {
            out.add(
                "spec.replicaSetOnly",
                format!("a plain replica set cannot have {} shards", self.shards),
                "set shards: 1, or replicaSetOnly: false for a sharded cluster",
            );
        }
        if self.sharded() {
            check_odd(out, "spec.configServers", self.config_servers, why);
            if self.config_servers == 0 || self.config_servers > MAX_MEMBERS {
                out.add(
                    "spec.configServers",
                    format!("must be between 1 and {MAX_MEMBERS}"),
                    "3 config servers are the usual choice",
                );
            }
        }
    }
}

const fn one() -> u32 {
    1
}

const fn three() -> u32 {
    3
}

fn admin() -> String {
    "admin".to_owned()
}

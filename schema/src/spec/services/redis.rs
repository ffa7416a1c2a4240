//! Redis: one master with replicas, or a Redis Cluster of 3 or more shards.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::problem::Problems;
use crate::spec::common::{StorageSpec, WorkloadSpec};
use crate::spec::kind::ServiceKind;
use crate::spec::quantity::Quantity;
use crate::spec::rules::{check_memory_size, gib};
use crate::spec::secret::SecretRef;
use crate::spec::service::{Context, RoleGroup, ServiceSpec, common_fields};

/// `spec` of a `Redis` document. `replicas` is the number of members of each shard; member 0 of a
/// shard is its master. Members get static IPs unless `staticIp: false` (single shard only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct RedisSpec {
    /// Common fields.
    #[serde(flatten)]
    pub workload: WorkloadSpec,
    /// Volume fields.
    #[serde(flatten)]
    pub storage: StorageSpec,
    /// Shards: 1 for master and replicas, 3 or more for Redis Cluster (default 1; 2 is not allowed).
    #[serde(default = "one")]
    pub shards: u32,
    /// Memory for the cache (`maxmemory`), below the member's memory.
    pub memory_size: Quantity,
    /// Turn the append-only file off (default false).
    #[serde(default)]
    pub disable_aof: bool,
    /// Password clients authenticate with (AUTH).
    pub auth_password: Option<SecretRef>,
    /// Replication timeout in seconds (default 60, at least 60).
    #[serde(default = "sixty")]
    pub repl_timeout_secs: u32,
    /// Eviction policy when memory is full (default allkeys-lru).
    #[serde(default)]
    pub max_memory_policy: MaxMemoryPolicy,
    /// New name of the CONFIG command; CONFIG is disabled when unset.
    pub config_command_name: Option<String>,
}

/// Redis `maxmemory-policy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MaxMemoryPolicy {
    /// Evict least recently used keys with an expiry.
    VolatileLru,
    /// Evict least recently used keys.
    #[default]
    AllkeysLru,
    /// Evict least frequently used keys with an expiry.
    VolatileLfu,
    /// Evict least frequently used keys.
    AllkeysLfu,
    /// Evict random keys with an expiry.
    VolatileRandom,
    /// Evict random keys.
    AllkeysRandom,
    /// Evict keys with the nearest expiry.
    VolatileTtl,
    /// Refuse writes when memory is full.
    Noeviction,
}

const MAX_SHARDS: u32 = 1000;

impl RedisSpec {
    /// True in Redis Cluster mode (3 or more shards).
    #[must_use]
    pub fn cluster_mode(&self) -> bool {
        self.shards >= 3
    }
}

common_fields!(RedisSpec, stateful);

impl ServiceSpec for RedisSpec {
    const KIND: ServiceKind = ServiceKind::Redis;

    fn static_ip_default(&self) -> bool {
        true
    }

    fn roles(&self, replicas: u32) -> Vec<RoleGroup> {
        (0..self.shards)
            .map(|s| RoleGroup::new(format!("shard{s}"), replicas).zone_offset(s))
            .collect()
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Problems) {
        match self.shards {
            0 => out.add(
                "spec.shards",
                "must be at least 1",
                "use 1 (master and replicas) or 3 or more (Redis Cluster)",
            ),
            2 => out.add(
                "spec.shards",
                "2 shards is not allowed",
                "use 1 (master and replicas) or 3 or more (Redis Cluster)",
            ),
            n if n > MAX_SHARDS => out.add(
                "spec.shards",
                format!("must be at most {MAX_SHARDS}"),
                "give each shard more memory instead",
            ),
            _ => {}
        }
        check_memory_size(ctx, out, "spec.memorySize", &self.memory_size, gib(1024));
        if self.repl_timeout_secs < 60 {
            out.add(
                "spec.replTimeoutSecs",
                format!("must be at least 60, got {}", self.repl_timeout_secs),
                "Redis' own default is 60; a shorter timeout drops replicas during normal pauses",
            );
        }
        if self.cluster_mode() && self.storage.static_ip == Some(false) {
            out.add(
                "spec.staticIp",
                "Redis Cluster needs static IPs",
                "cluster members announce their IPs to each other; remove staticIp: false",
            );
        }
        if let Some(name) = &self.config_command_name
            && (name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        {
            out.add(
                "spec.configCommandName",
                "must be a non-empty word of letters, digits, _ and -",
                "pick a hard-to-guess word such as config-7f3a, or leave it out",
            );
        }
    }
}

const fn one() -> u32 {
    1
}

const fn sixty() -> u32 {
    60
}

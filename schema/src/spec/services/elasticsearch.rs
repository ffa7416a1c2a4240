//! Elasticsearch: data nodes, with dedicated master nodes when the cluster is larger than one.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::problem::Problems;
use crate::spec::common::{StorageSpec, WorkloadSpec};
use crate::spec::kind::ServiceKind;
use crate::spec::quantity::Quantity;
use crate::spec::rules::{check_memory_size, check_odd, gib};
use crate::spec::service::{Context, RoleGroup, ServiceSpec, common_fields};

/// `spec` of an `ElasticSearch` document. `replicas` is the number of data nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ElasticSearchSpec {
    /// Common fields.
    #[serde(flatten)]
    pub workload: WorkloadSpec,
    /// Volume fields.
    #[serde(flatten)]
    pub storage: StorageSpec,
    /// JVM heap (default 2Gi, at most 26Gi).
    #[serde(default = "default_heap")]
    pub heap_size: Quantity,
    /// Dedicated master nodes, used when there is more than one data node (default 3, odd).
    #[serde(default = "three")]
    pub dedicated_masters: u32,
    /// Let data nodes be master-eligible instead (not allowed with 2 or more than 10 data nodes).
    #[serde(default)]
    pub disable_dedicated_masters: bool,
    /// Do not force shard copies across zones (default false).
    #[serde(default)]
    pub disable_force_awareness: bool,
}

const MAX_DATA_WITHOUT_MASTERS: u32 = 10;

impl ElasticSearchSpec {
    /// The number of dedicated masters for `replicas` data nodes (0 when none).
    #[must_use]
    pub fn masters_for(&self, replicas: u32) -> u32 {
        if replicas == 1 || self.disable_dedicated_masters {
            0
        } else {
            self.dedicated_masters
        }
    }
}

common_fields!(ElasticSearchSpec, stateful);

impl ServiceSpec for ElasticSearchSpec {
    const KIND: ServiceKind = ServiceKind::ElasticSearch;

    fn roles(&self, replicas: u32) -> Vec<RoleGroup> {
        let masters = self.masters_for(replicas);
        let mut roles = Vec::new();
        if masters > 0 {
            roles.push(RoleGroup::new("master", masters));
        }
        roles.push(RoleGroup::new("data", replicas));
        roles
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Problems) {
        check_memory_size(ctx, out, "spec.heapSize", &self.heap_size, gib(26));
        if self.masters_for(ctx.replicas) > 0 {
            check_odd(
                out,
                "spec.dedicatedMasters",
                self.dedicated_masters,
                "masters elect by majority",
            );
            if self.dedicated_masters < 3 {
                out.add(
                    "spec.dedicatedMasters",
                    "must be at least 3",
                    "masters need a majority: use 3 or 5, or disableDedicatedMasters: true",
                );
            }
        }
        if self.disable_dedicated_masters && ctx.replicas == 2 {
            out.add(
                "spec.disableDedicatedMasters",
                "2 data nodes without dedicated masters cannot elect a master when one fails",
                "use dedicated masters, or 1 or 3 or more data nodes",
            );
        }
        if self.disable_dedicated_masters && ctx.replicas > MAX_DATA_WITHOUT_MASTERS {
            out.add(
                "spec.disableDedicatedMasters",
                format!("more than {MAX_DATA_WITHOUT_MASTERS} data nodes need dedicated masters"),
                "remove disableDedicatedMasters",
            );
        }
    }
}

fn default_heap() -> Quantity {
    Quantity::new("2Gi")
}

const fn three() -> u32 {
    3
}

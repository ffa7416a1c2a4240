//! ZooKeeper: one ensemble.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::problem::Problems;
use crate::spec::common::{StorageSpec, WorkloadSpec};
use crate::spec::kind::ServiceKind;
use crate::spec::quantity::Quantity;
use crate::spec::rules::{check_memory_size, check_odd, gib};
use crate::spec::secret::JmxSpec;
use crate::spec::service::{Context, RoleGroup, ServiceSpec, common_fields};
use crate::spec::text_rules::check_name;

/// `spec` of a `ZooKeeper` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ZooKeeperSpec {
    /// Common fields.
    #[serde(flatten)]
    pub workload: WorkloadSpec,
    /// Volume fields.
    #[serde(flatten)]
    pub storage: StorageSpec,
    /// JVM heap (default 4Gi).
    #[serde(default = "default_heap")]
    pub heap_size: Quantity,
    /// JMX credentials (JMX is off without them).
    pub jmx: Option<JmxSpec>,
}

const MAX_SERVERS: u32 = 255;

common_fields!(ZooKeeperSpec, stateful);

impl ServiceSpec for ZooKeeperSpec {
    const KIND: ServiceKind = ServiceKind::ZooKeeper;

    fn roles(&self, replicas: u32) -> Vec<RoleGroup> {
        vec![RoleGroup::new("server", replicas)]
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Problems) {
        if let Some(jmx) = &self.jmx {
            check_name(out, "spec.jmx.user", &jmx.user);
        }
        check_odd(
            out,
            "spec.replicas",
            ctx.replicas,
            "an even ensemble tolerates no more failures than one server fewer",
        );
        if ctx.replicas > MAX_SERVERS {
            out.add(
                "spec.replicas",
                format!("an ensemble has at most {MAX_SERVERS} servers"),
                "more servers slow every write; 3 or 5 is the usual choice",
            );
        }
        check_memory_size(ctx, out, "spec.heapSize", &self.heap_size, gib(31));
    }
}

fn default_heap() -> Quantity {
    Quantity::new("4Gi")
}

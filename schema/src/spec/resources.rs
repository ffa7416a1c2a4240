//! CPU and memory requests and limits, as in Kubernetes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::quantity::Quantity;

/// CPU and memory for one member's main container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Resources {
    /// What the scheduler reserves.
    pub requests: Option<ResourceList>,
    /// The most the container may use.
    pub limits: Option<ResourceList>,
}

/// Amounts of CPU and memory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct ResourceList {
    /// CPU, e.g. `500m` or `2`.
    pub cpu: Option<Quantity>,
    /// Memory, e.g. `4Gi`.
    pub memory: Option<Quantity>,
}

impl Resources {
    /// These resources with unset parts taken from `defaults`.
    #[must_use]
    pub fn or(&self, defaults: Option<&Self>) -> Self {
        let Some(d) = defaults else {
            return self.clone();
        };
        Self {
            requests: merge(self.requests.as_ref(), d.requests.as_ref()),
            limits: merge(self.limits.as_ref(), d.limits.as_ref()),
        }
    }

    /// The memory limit, else the memory request.
    #[must_use]
    pub fn memory_ceiling(&self) -> Option<&Quantity> {
        let limit = self.limits.as_ref().and_then(|l| l.memory.as_ref());
        limit.or_else(|| self.requests.as_ref().and_then(|r| r.memory.as_ref()))
    }
}

fn merge(own: Option<&ResourceList>, defaults: Option<&ResourceList>) -> Option<ResourceList> {
    match (own, defaults) {
        (None, None) => None,
        (Some(o), None) => Some(o.clone()),
        (None, Some(d)) => Some(d.clone()),
        (Some(o), Some(d)) => Some(ResourceList {
            cpu: o.cpu.clone().or_else(|| d.cpu.clone()),
            memory: o.memory.clone().or_else(|| d.memory.clone()),
        }),
    }
}

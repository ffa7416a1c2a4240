//! Fake nodes: real Node objects that kwok keeps Ready (its `kwok.x-k8s.io/node: fake`
//! annotation), shaped like EKS nodes (zone and region labels, an EC2 `providerID`, the
//! instance's private address), so the real scheduler places pods by zone and anti-affinity.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use serde_json::json;

use crate::WorldError;

/// The label every node of the world carries.
pub const NODE_LABEL: &str = "firecamp.io/test-world-node";

/// A node to have in the world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeNode {
    /// The EC2 instance id (`i-...`); the node is named `node-<instance id>`.
    pub instance_id: String,
    /// Its availability zone, e.g. `us-east-1a`.
    pub zone: String,
    /// Its private address.
    pub ip: String,
}

impl FakeNode {
    /// The node's name.
    #[must_use]
    pub fn name(&self) -> String {
        format!("node-{}", self.instance_id)
    }

    fn object(&self) -> Result<Node, WorldError> {
        let region = self.zone.trim_end_matches(|c: char| c.is_ascii_lowercase());
        let resources =
            json!({"cpu": "32", "memory": "256Gi", "pods": "110", "ephemeral-storage": "500Gi"});
        serde_json::from_value(json!({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.name(),
                "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                "labels": {
                    NODE_LABEL: "true",
                    "kubernetes.io/hostname": self.name(),
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "node.kubernetes.io/instance-type": "m5.4xlarge",
                    "topology.kubernetes.io/zone": self.zone,
                    "topology.kubernetes.io/region": region,
                    "type": "kwok"
                }
            },
            "spec": {"providerID": format!("aws:///{}/{}", self.zone, self.instance_id)},
            "status": {
                "addresses": [{"type": "InternalIP", "address": self.ip},
                              {"type": "Hostname", "address": self.name()}],
                "allocatable": resources,
                "capacity": resources
            }
        }))
        .map_err(|e| WorldError::Kubernetes(format!("node object: {e}")))
    }
}

/// Makes the world's nodes exactly `nodes`: others it made before are deleted, missing ones
/// created; returns when every one is Ready and schedulable (kwok made it Ready and the
/// node-lifecycle controller took its `not-ready` taint off).
pub async fn set_nodes(
    client: &kube::Client,
    nodes: &[FakeNode],
    timeout: Duration,
) -> Result<(), WorldError> {
    let api: Api<Node> = Api::all(client.clone());
    let wanted: BTreeSet<String> = nodes.iter().map(FakeNode::name).collect();
    let existing = api
        .list(&ListParams::default().labels(NODE_LABEL))
        .await
        .map_err(WorldError::kube("list nodes"))?;
    for node in &existing.items {
        let name = node.metadata.name.clone().unwrap_or_default();
        if !wanted.contains(&name) {
            api.delete(&name, &DeleteParams::default())
                .await
                .map_err(WorldError::kube("delete node"))?;
        }
    }
    let have: BTreeSet<String> = existing
        .items
        .iter()
        .filter_map(|n| n.metadata.name.clone())
        .collect();
    for node in nodes.iter().filter(|n| !have.contains(&n.name())) {
        match api.create(&PostParams::default(), &node.object()?).await {
            // Made meanwhile by another test of the same world.
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            other => drop(other.map_err(WorldError::kube("create node"))?),
        }
    }
    let deadline = Instant::now() + timeout;
    loop {
        let mut waiting = Vec::new();
        for name in &wanted {
            let node = api.get(name).await.map_err(WorldError::kube("get node"))?;
            if !schedulable(&node) {
                waiting.push(name.clone());
            }
        }
        if waiting.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(WorldError::Timeout(format!(
                "nodes not Ready and schedulable: {}",
                waiting.join(", ")
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn schedulable(node: &Node) -> bool {
    let ready = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let tainted = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .is_some_and(|t| t.iter().any(|t| t.key.starts_with("node.kubernetes.io/")));
    ready && !tainted
}

//! firecamp's own static-IP interface of each node (`docs/static-ips.md`): made in the zone's
//! static subnet with the members' security groups, tagged so the VPC CNI leaves it alone
//! (`node.k8s.amazonaws.com/no_manage`, the CNI README's "No Manage tag") and so it is known as
//! this cluster's (`firecamp.io/owner`), attached at the lowest free device index from 1 (device
//! index 0 is the CNI's, always), deleted with its instance (`DeleteOnTermination`), and
//! detached and deleted when its node is gone. Only interfaces carrying the owner tag are ever
//! deleted.

use std::time::Duration;

use aws_sdk_ec2::types::{NetworkInterfaceAttachmentChanges, ResourceType, Tag, TagSpecification};

use super::{Ec2Provider, Lookup, NetworkInterface, PROVIDER};
use crate::error::AwsError;

/// The tag that makes the VPC CNI leave an interface alone.
pub const NO_MANAGE_TAG: &str = "node.k8s.amazonaws.com/no_manage";
/// The tag holding the owner id (the Kubernetes cluster's `kube-system` namespace UID).
pub const OWNER_TAG: &str = "firecamp.io/owner";
/// The tag holding the Cluster document's name.
pub const CLUSTER_TAG: &str = "firecamp.io/cluster";
/// The tag holding the node's name.
pub const NODE_TAG: &str = "firecamp.io/node";

/// How often, and how long apart, a detach is checked before the delete.
const DETACH_CHECKS: (u32, Duration) = (60, Duration::from_millis(500));

/// The node a static-IP interface is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceFor<'a> {
    /// The owner id.
    pub owner: &'a str,
    /// The Cluster document's name.
    pub cluster: &'a str,
    /// The node's name.
    pub node: &'a str,
    /// The node's EC2 instance.
    pub instance_id: &'a str,
    /// The zone's static subnet.
    pub subnet_id: &'a str,
    /// The interface's own (primary) address; none: EC2 picks a free one of the subnet.
    pub primary_ip: Option<std::net::Ipv4Addr>,
    /// The interface's security groups (none: the VPC's default group).
    pub security_groups: &'a [String],
}

/// The lowest device index from 1 that no interface in `used` has.
#[must_use]
pub fn free_device_index(used: &[i32]) -> i32 {
    (1..i32::MAX).find(|i| !used.contains(i)).unwrap_or(1)
}

impl Ec2Provider {
    /// Makes the static-IP interface of `node` and attaches it; an interface that cannot be
    /// attached is deleted again. Returns its id.
    ///
    /// # Errors
    /// A failed call; [`AwsError::LeftBehind`] when neither the attach nor the clean-up worked.
    pub async fn create_interface(&self, node: &InterfaceFor<'_>) -> Result<String, AwsError> {
        let tag = |key: &str, value: &str| Tag::builder().key(key).value(value).build();
        let tags = TagSpecification::builder()
            .resource_type(ResourceType::NetworkInterface)
            .tags(tag(NO_MANAGE_TAG, "true"))
            .tags(tag(OWNER_TAG, node.owner))
            .tags(tag(CLUSTER_TAG, node.cluster))
            .tags(tag(NODE_TAG, node.node))
            .build();
        self.writes.acquire().await;
        self.counter.count(PROVIDER, "CreateNetworkInterface");
        let created = self
            .client
            .create_network_interface()
            .subnet_id(node.subnet_id)
            .set_private_ip_address(node.primary_ip.map(|ip| ip.to_string()))
            .set_groups((!node.security_groups.is_empty()).then(|| node.security_groups.to_vec()))
            .description(format!("firecamp static IPs of {}", node.node))
            .tag_specifications(tags)
            .send()
            .await
            .map_err(|e| {
                AwsError::call("CreateNetworkInterface", format!("node {}", node.node), &e)
            })?;
        let eni = created
            .network_interface()
            .and_then(|e| e.network_interface_id())
            .ok_or(AwsError::Missing {
                operation: "CreateNetworkInterface",
                what: "network interface id",
            })?
            .to_owned();
        if let Err(attach) = self.attach(node, &eni).await {
            return match self.delete_call(&eni).await {
                Ok(()) => Err(attach),
                Err(delete) => Err(AwsError::LeftBehind {
                    eni,
                    node: node.node.to_owned(),
                    attach: attach.to_string(),
                    delete: delete.to_string(),
                }),
            };
        }
        Ok(eni)
    }

    /// Attaches `eni` to the node's instance at the lowest free device index from 1, then marks
    /// the attachment `DeleteOnTermination` (an interface made after launch is not).
    async fn attach(&self, node: &InterfaceFor<'_>, eni: &str) -> Result<(), AwsError> {
        let used: Vec<i32> = self
            .describe(Lookup::Instance(node.instance_id))
            .await?
            .iter()
            .filter_map(|e| e.device_index)
            .collect();
        let index = free_device_index(&used);
        let subject = || format!("interface {eni}, instance {}", node.instance_id);
        self.writes.acquire().await;
        self.counter.count(PROVIDER, "AttachNetworkInterface");
        let attached = self
            .client
            .attach_network_interface()
            .network_interface_id(eni)
            .instance_id(node.instance_id)
            .device_index(index)
            .send()
            .await
            .map_err(|e| AwsError::call("AttachNetworkInterface", subject(), &e))?;
        let attachment = attached.attachment_id().ok_or(AwsError::Missing {
            operation: "AttachNetworkInterface",
            what: "attachment id",
        })?;
        self.writes.acquire().await;
        self.counter
            .count(PROVIDER, "ModifyNetworkInterfaceAttribute");
        self.client
            .modify_network_interface_attribute()
            .network_interface_id(eni)
            .attachment(
                NetworkInterfaceAttachmentChanges::builder()
                    .attachment_id(attachment)
                    .delete_on_termination(true)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| AwsError::call("ModifyNetworkInterfaceAttribute", subject(), &e))?;
        Ok(())
    }

    /// Every interface that carries `owner`'s tag, attached or not, sorted by id.
    ///
    /// # Errors
    /// A failed call.
    pub async fn owned_interfaces(&self, owner: &str) -> Result<Vec<NetworkInterface>, AwsError> {
        let mut found = self.describe(Lookup::Owner(owner)).await?;
        found.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(found)
    }

    /// Detaches `eni` when it is attached, waits until EC2 reports it detached, and deletes it.
    /// An interface without firecamp's owner tag is refused; one that is already gone is fine.
    ///
    /// # Errors
    /// A failed call, [`AwsError::NotOwned`], or [`AwsError::StillAttached`].
    pub async fn delete_interface(&self, eni: &NetworkInterface) -> Result<(), AwsError> {
        if eni.owner.is_none() {
            return Err(AwsError::NotOwned(eni.id.clone()));
        }
        if let Some(attachment) = &eni.attachment_id {
            self.writes.acquire().await;
            self.counter.count(PROVIDER, "DetachNetworkInterface");
            self.client
                .detach_network_interface()
                .attachment_id(attachment)
                .send()
                .await
                .map_err(|e| {
                    AwsError::call(
                        "DetachNetworkInterface",
                        format!("interface {}", eni.id),
                        &e,
                    )
                })?;
            self.wait_detached(&eni.id).await?;
        }
        self.delete_call(&eni.id).await
    }

    async fn wait_detached(&self, eni: &str) -> Result<(), AwsError> {
        let ids = [eni.to_owned()];
        let (checks, pause) = DETACH_CHECKS;
        for _ in 0..checks {
            match self.describe(Lookup::Ids(&ids)).await {
                Ok(found) if found.iter().all(|e| e.attachment_id.is_none()) => return Ok(()),
                Ok(_) => tokio::time::sleep(pause).await,
                Err(e) if e.code() == Some("InvalidNetworkInterfaceID.NotFound") => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Err(AwsError::StillAttached(eni.to_owned()))
    }

    async fn delete_call(&self, eni: &str) -> Result<(), AwsError> {
        self.writes.acquire().await;
        self.counter.count(PROVIDER, "DeleteNetworkInterface");
        match self
            .client
            .delete_network_interface()
            .network_interface_id(eni)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let error =
                    AwsError::call("DeleteNetworkInterface", format!("interface {eni}"), &e);
                if error.code() == Some("InvalidNetworkInterfaceID.NotFound") {
                    Ok(())
                } else {
                    Err(error)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::free_device_index;

    #[test]
    fn the_device_index_is_the_lowest_free_one_from_one() {
        assert_eq!(
            free_device_index(&[0]),
            1,
            "0 is the CNI's primary interface"
        );
        assert_eq!(
            free_device_index(&[]),
            1,
            "never 0, even when nothing is listed"
        );
        assert_eq!(free_device_index(&[0, 1, 3]), 2);
        assert_eq!(free_device_index(&[0, 2, 1]), 3);
    }
}

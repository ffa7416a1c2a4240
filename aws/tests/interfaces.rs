//! firecamp's static-IP interface of each node, against moto: made in the static subnet with the
//! members' security group and the tags that keep the VPC CNI off it and mark it as this owner's,
//! attached at the lowest free device index from 1 with `DeleteOnTermination`, carrying assigned
//! and moved addresses, and detached and deleted when its node is gone; an interface without the
//! owner tag is never deleted. moto accepts the attachment's `DeleteOnTermination` without
//! keeping it, so the request itself is checked (EC2 ModifyNetworkInterfaceAttribute:
//! "Attachment — Information about the interface attachment. If modifying the delete on
//! termination attribute, you must specify the ID of the interface attachment").

mod common;

use std::net::Ipv4Addr;
use std::sync::Arc;

use common::Recorder;
use firecamp_aws::ec2::interfaces::{InterfaceFor, NO_MANAGE_TAG, OWNER_TAG};
use firecamp_aws::testing::{Moto, TestNetwork, test_network};
use firecamp_aws::{AwsError, AwsSettings, CallCounter, Ec2Provider};

fn fast() -> AwsSettings {
    AwsSettings {
        route53_per_second: 1_000.0,
        ec2_per_second: 1_000.0,
        ..AwsSettings::new("us-east-1")
    }
}

/// A provider recording its requests' bodies, counting into `counter`.
fn recorded(
    moto: &Moto,
    counter: &CallCounter,
) -> (Ec2Provider, Arc<std::sync::Mutex<Vec<String>>>) {
    let recorder = Recorder::default();
    let bodies = recorder.bodies.clone();
    let config = aws_sdk_ec2::config::Builder::from(&moto.sdk())
        .interceptor(recorder)
        .build();
    let ec2 = Ec2Provider::with_client(
        aws_sdk_ec2::Client::from_conf(config),
        &fast(),
        counter.clone(),
    );
    (ec2, bodies)
}

async fn security_group(ec2: &Ec2Provider, network: &TestNetwork) -> String {
    ec2.client()
        .create_security_group()
        .group_name("firecamp-members")
        .description("members")
        .vpc_id(&network.vpc_id)
        .send()
        .await
        .expect("security group")
        .group_id()
        .expect("group id")
        .to_owned()
}

fn for_node<'a>(
    network: &'a TestNetwork,
    node: usize,
    owner: &'a str,
    groups: &'a [String],
) -> InterfaceFor<'a> {
    InterfaceFor {
        owner,
        cluster: "prod",
        node: &network.nodes[node].instance_id,
        instance_id: &network.nodes[node].instance_id,
        subnet_id: &network.subnets[0].0,
        primary_ip: None,
        security_groups: groups,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nodes_interface_lives_from_create_to_delete_and_carries_its_members_addresses() {
    let moto = Moto::start();
    let counter = CallCounter::default();
    let (ec2, bodies) = recorded(&moto, &counter);
    let network = test_network(ec2.client()).await;
    let groups = vec![security_group(&ec2, &network).await];
    let owner = "5e1f-kube-system-uid";
    let first = ec2
        .create_interface(&for_node(&network, 0, owner, &groups))
        .await
        .expect("created and attached");
    let chosen = Ipv4Addr::new(10, 0, 31, 254);
    let second = ec2
        .create_interface(&InterfaceFor {
            primary_ip: Some(chosen),
            ..for_node(&network, 1, owner, &groups)
        })
        .await
        .expect("created and attached");

    let owned = ec2.owned_interfaces(owner).await.expect("listed");
    let ids: Vec<&str> = owned.iter().map(|e| e.id.as_str()).collect();
    let mut expected = vec![first.as_str(), second.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected, "the owner's interfaces, and only them");
    let eni = owned.iter().find(|e| e.id == first).expect("first");
    assert_eq!(
        eni.instance_id.as_deref(),
        Some(network.nodes[0].instance_id.as_str())
    );
    assert_eq!(
        eni.device_index,
        Some(1),
        "device index 0 is the CNI's primary interface"
    );
    assert_eq!(eni.subnet_id, network.subnets[0].0);
    assert_eq!(eni.owner.as_deref(), Some(owner));
    let other = owned.iter().find(|e| e.id == second).expect("second");
    assert_eq!(
        other.primary_ip,
        Some(chosen),
        "the interface's own address is the one the plan chose"
    );
    let described = ec2
        .client()
        .describe_network_interfaces()
        .network_interface_ids(&first)
        .send()
        .await
        .expect("described");
    let raw = &described.network_interfaces()[0];
    let tags: Vec<(&str, &str)> = raw
        .tag_set()
        .iter()
        .filter_map(|t| Some((t.key()?, t.value()?)))
        .collect();
    assert!(tags.contains(&(NO_MANAGE_TAG, "true")), "{tags:?}");
    assert!(tags.contains(&(OWNER_TAG, owner)), "{tags:?}");
    assert!(tags.contains(&("firecamp.io/cluster", "prod")), "{tags:?}");
    let group_ids: Vec<&str> = raw.groups().iter().filter_map(|g| g.group_id()).collect();
    assert_eq!(group_ids, [groups[0].as_str()]);
    let modify: Vec<String> = bodies
        .lock()
        .expect("bodies")
        .iter()
        .filter(|b| b.contains("Action=ModifyNetworkInterfaceAttribute"))
        .cloned()
        .collect();
    assert_eq!(modify.len(), 2, "one per attached interface");
    assert!(
        modify
            .iter()
            .all(|b| b.contains("Attachment.DeleteOnTermination=true")
                && b.contains("Attachment.AttachmentId=")),
        "{modify:?}"
    );

    // A second interface on the same instance takes the next free index.
    let extra = ec2
        .create_interface(&for_node(&network, 0, owner, &groups))
        .await
        .expect("created");
    let owned = ec2.owned_interfaces(owner).await.expect("listed");
    let extra = owned.iter().find(|e| e.id == extra).expect("extra");
    assert_eq!(extra.device_index, Some(2));
    ec2.delete_interface(extra).await.expect("deleted");

    // Members' addresses go on these interfaces and move between them.
    let ip = Ipv4Addr::new(10, 0, 16, 20);
    ec2.assign("consul-server-a-0", &first, ip)
        .await
        .expect("assigned");
    ec2.move_ip("consul-server-a-0", Some(&first), &second, ip)
        .await
        .expect("moved");
    let owned = ec2.owned_interfaces(owner).await.expect("listed");
    let on_second = owned.iter().find(|e| e.id == second).expect("second");
    assert_eq!(on_second.secondary_ips, [ip]);
    ec2.unassign("consul-server-a-0", &second, ip)
        .await
        .expect("released");

    // The node is gone: its interface is detached and deleted.
    let gone = owned.iter().find(|e| e.id == first).expect("first").clone();
    ec2.delete_interface(&gone)
        .await
        .expect("detached and deleted");
    let left: Vec<String> = ec2
        .owned_interfaces(owner)
        .await
        .expect("listed")
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(left, [second]);
    assert_eq!(counter.get("ec2", "DetachNetworkInterface"), 2);
    assert_eq!(counter.get("ec2", "DeleteNetworkInterface"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interfaces_without_the_owner_tag_are_never_deleted_or_listed_as_ours() {
    let moto = Moto::start();
    let ec2 = Ec2Provider::new(&moto.sdk(), &fast(), CallCounter::default());
    let network = test_network(ec2.client()).await;
    let theirs = ec2
        .create_interface(&for_node(&network, 0, "9d41-other-cluster", &[]))
        .await
        .expect("another cluster's interface");
    assert!(
        ec2.owned_interfaces("5e1f-kube-system-uid")
            .await
            .expect("listed")
            .is_empty(),
        "another owner's interface is not ours"
    );
    let (_, interfaces) = ec2
        .read(&[network.subnets[0].0.clone()], &[])
        .await
        .expect("read");
    let primary = interfaces
        .iter()
        .find(|e| e.device_index == Some(0))
        .expect("a node's primary interface")
        .clone();
    let error = ec2
        .delete_interface(&primary)
        .await
        .expect_err("no owner tag: refused");
    assert!(matches!(error, AwsError::NotOwned(_)), "{error}");
    let (_, after) = ec2
        .read(&[network.subnets[0].0.clone()], &[])
        .await
        .expect("read");
    assert!(after.iter().any(|e| e.id == primary.id));
    assert!(after.iter().any(|e| e.id == theirs));
}

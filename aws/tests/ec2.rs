//! The EC2 provider against moto: bulk reads, assign, move, tolerant unassign, and convergence
//! through injected throttling and server errors. moto keeps a reassigned address on both ENIs
//! and ignores AllowReassignment, so ownership is checked by reading the ENIs themselves (the
//! allocation and move rules are tested on the pure side, in the plan engine).

mod common;

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use common::{Flaky, Refused};
use firecamp_aws::testing::{Moto, reserve_explicit, test_network};
use firecamp_aws::{AwsSettings, CallCounter, Ec2Provider, NetworkInterface};

fn fast() -> AwsSettings {
    AwsSettings {
        route53_per_second: 1_000.0,
        ec2_per_second: 1_000.0,
        ..AwsSettings::new("us-east-1")
    }
}

/// The test network's subnet ids and instance ids (two instances per zone, zone a first).
struct Fixture {
    subnets: Vec<String>,
    instances: Vec<String>,
}

async fn fixture(ec2: &Ec2Provider) -> Fixture {
    let network = test_network(ec2.client()).await;
    Fixture {
        subnets: network.subnets.into_iter().map(|(id, _)| id).collect(),
        instances: network.nodes.into_iter().map(|n| n.instance_id).collect(),
    }
}

/// The ENI of the fixture's instance `node` that static IPs go on.
async fn node_eni(ec2: &Ec2Provider, fx: &Fixture, node: usize) -> String {
    let (_, interfaces) = ec2.read(&fx.subnets, &[]).await.expect("read");
    eni_of(&interfaces, &fx.instances[node])
        .expect("the node's ENI")
        .id
        .clone()
}

/// The instance's interface at device index 0: the calls tested here work on any ENI (the
/// reconciler puts static IPs only on firecamp's own interfaces, never on this one).
fn eni_of<'a>(interfaces: &'a [NetworkInterface], instance: &str) -> Option<&'a NetworkInterface> {
    interfaces
        .iter()
        .find(|e| e.instance_id.as_deref() == Some(instance) && e.device_index == Some(0))
}

fn secondaries(interfaces: &[NetworkInterface], id: &str) -> Vec<Ipv4Addr> {
    interfaces
        .iter()
        .find(|e| e.id == id)
        .map(|e| e.secondary_ips.clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_read_reports_every_used_address_and_the_nodes_enis() {
    let moto = Moto::start();
    let counter = CallCounter::default();
    let ec2 = Ec2Provider::new(&moto.sdk(), &fast(), counter.clone());
    let fx = fixture(&ec2).await;
    let (subnets, interfaces) = ec2.read(&fx.subnets, &[]).await.expect("read");
    assert_eq!(counter.get("ec2", "DescribeSubnets"), 1);
    assert_eq!(
        counter.get("ec2", "DescribeNetworkInterfaces"),
        1,
        "one call per page, not per node"
    );
    let first = &subnets[0];
    assert_eq!(
        (first.cidr.as_str(), first.zone.as_str()),
        ("10.0.16.0/20", "us-east-1a")
    );
    for foreign in [Ipv4Addr::new(10, 0, 16, 4), Ipv4Addr::new(10, 0, 16, 5)] {
        assert!(first.used_ips.contains(&foreign), "{:?}", first.used_ips);
    }
    assert_eq!(
        first.used_ips.len(),
        4,
        "two foreign addresses and two instances' primaries"
    );
    let mut unowned: Vec<String> = interfaces
        .iter()
        .filter(|e| e.subnet_id == first.id)
        .map(|e| e.id.clone())
        .collect();
    unowned.sort();
    assert_eq!(
        (first.unowned_interfaces.len(), &first.unowned_interfaces),
        (3, &unowned),
        "the foreign ENI and the two instances' primaries carry no owner tag"
    );
    for instance in &fx.instances {
        assert!(
            eni_of(&interfaces, instance).is_some(),
            "device-0 ENI of {instance}"
        );
    }
    ec2.read(&fx.subnets, &[]).await.expect("read again");
    assert_eq!(
        counter.get("ec2", "DescribeSubnets"),
        1,
        "subnets are read once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chosen_enis_are_read_again_in_one_call() {
    let moto = Moto::start();
    let counter = CallCounter::default();
    let ec2 = Ec2Provider::new(&moto.sdk(), &fast(), counter.clone());
    let fx = fixture(&ec2).await;
    let (_, interfaces) = ec2.read(&fx.subnets, &[]).await.expect("read");
    let eni = |instance: &str| eni_of(&interfaces, instance).expect("eni").id.clone();
    let chosen = [eni(&fx.instances[0]), eni(&fx.instances[3])];
    ec2.assign("m-0", &chosen[1], Ipv4Addr::new(10, 0, 32, 40))
        .await
        .expect("assign");
    let before = counter.get("ec2", "DescribeNetworkInterfaces");
    let again = ec2.read_interfaces(&chosen).await.expect("read again");
    assert_eq!(counter.get("ec2", "DescribeNetworkInterfaces") - before, 1);
    let ids: Vec<&str> = again.iter().map(|e| e.id.as_str()).collect();
    let mut expected: Vec<&str> = chosen.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected);
    assert_eq!(
        secondaries(&again, &chosen[1]),
        [Ipv4Addr::new(10, 0, 32, 40)]
    );
    assert!(ec2.read_interfaces(&[]).await.expect("nothing").is_empty());
    assert_eq!(
        counter.get("ec2", "DescribeNetworkInterfaces") - before,
        1,
        "none asked, none read"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_is_assigned_then_moved_with_its_member() {
    let moto = Moto::start();
    let ec2 = Ec2Provider::new(&moto.sdk(), &fast(), CallCounter::default());
    let fx = fixture(&ec2).await;
    let node_a = node_eni(&ec2, &fx, 0).await;
    let node_b = node_eni(&ec2, &fx, 1).await;
    let ip = Ipv4Addr::new(10, 0, 16, 6);
    ec2.assign("redis-shard0-a-0", &node_a, ip)
        .await
        .expect("assigned");
    let (_, interfaces) = ec2.read(&fx.subnets, &[]).await.expect("read");
    assert_eq!(secondaries(&interfaces, &node_a), [ip]);
    let counter = CallCounter::default();
    let mover = Ec2Provider::new(&moto.sdk(), &fast(), counter.clone());
    mover
        .move_ip("redis-shard0-a-0", Some(&node_a), &node_b, ip)
        .await
        .expect("moved");
    // One AssignPrivateIpAddresses with AllowReassignment=true takes the address over (EC2 API
    // reference, AssignPrivateIpAddresses: "AllowReassignment — Indicates whether to allow an IP
    // address that is already assigned to another network interface or instance to be
    // reassigned"), so it is never free in between; no unassign is sent. moto leaves the
    // address on the old ENI too, so only the target is checked, as the provider itself does.
    assert_eq!(counter.get("ec2", "AssignPrivateIpAddresses"), 1);
    assert_eq!(counter.get("ec2", "UnassignPrivateIpAddresses"), 0);
    assert_eq!(
        counter.get("ec2", "DescribeNetworkInterfaces"),
        1,
        "the target is read again to check the move"
    );
    let (subnets, interfaces) = ec2.read(&fx.subnets, &[]).await.expect("read");
    assert_eq!(secondaries(&interfaces, &node_b), [ip]);
    assert!(subnets[0].used_ips.contains(&ip));
}

/// A provider whose first call EC2 refuses with `InvalidParameterValue` (HTTP 400) without
/// effect, the code EC2 gives both an unassign of an address the ENI does not hold and other bad
/// parameters. The request reaches moto with `ip` replaced by an address nobody holds.
fn invalid_parameter_first(moto: &Moto, ip: Ipv4Addr) -> Ec2Provider {
    let config = aws_sdk_ec2::config::Builder::from(&moto.sdk())
        .interceptor(Refused {
            attempts: Arc::new(AtomicU32::new(0)),
            rewrite: (ip.to_string(), "10.0.16.99".to_owned()),
            error: (400, "<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>injected</Message></Error></Errors><RequestID>r</RequestID></Response>".to_owned()),
        })
        .build();
    Ec2Provider::with_client(
        aws_sdk_ec2::Client::from_conf(config),
        &fast(),
        CallCounter::default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unassign_refused_while_the_eni_still_holds_the_address_is_reported() {
    let moto = Moto::start();
    let ec2 = Ec2Provider::new(&moto.sdk(), &fast(), CallCounter::default());
    let fx = fixture(&ec2).await;
    let eni = node_eni(&ec2, &fx, 0).await;
    let held = Ipv4Addr::new(10, 0, 16, 88);
    ec2.assign("m", &eni, held).await.expect("assigned");
    let error = invalid_parameter_first(&moto, held)
        .unassign("m", &eni, held)
        .await
        .expect_err("the address is still there: not swallowed");
    assert_eq!(error.code(), Some("InvalidParameterValue"), "{error}");
    let absent = Ipv4Addr::new(10, 0, 16, 77);
    invalid_parameter_first(&moto, absent)
        .unassign("m", &eni, absent)
        .await
        .expect("the ENI does not hold it: the release is done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unassigning_from_a_vanished_eni_or_an_absent_address_is_not_an_error() {
    let moto = Moto::start();
    let ec2 = Ec2Provider::new(&moto.sdk(), &fast(), CallCounter::default());
    let fx = fixture(&ec2).await;
    let eni = node_eni(&ec2, &fx, 0).await;
    ec2.unassign("m", "eni-0123456789abcdef0", Ipv4Addr::new(10, 0, 16, 9))
        .await
        .expect("vanished ENI tolerated");
    ec2.unassign("m", &eni, Ipv4Addr::new(10, 0, 16, 9))
        .await
        .expect("absent address tolerated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_throttling_and_server_errors_are_retried_until_the_steps_converge() {
    let moto = Moto::start();
    let plain = Ec2Provider::new(&moto.sdk(), &fast(), CallCounter::default());
    let fx = fixture(&plain).await;
    let attempts = Arc::new(AtomicU32::new(0));
    let config = aws_sdk_ec2::config::Builder::from(&moto.sdk())
        .interceptor(Flaky {
            attempts: attempts.clone(),
            errors: (0..4)
                .map(|attempt| {
                    let (status, code) = if attempt % 2 == 0 {
                        (503, "RequestLimitExceeded")
                    } else {
                        (500, "InternalError")
                    };
                    (status, format!("<Response><Errors><Error><Code>{code}</Code><Message>injected</Message></Error></Errors><RequestID>r</RequestID></Response>"))
                })
                .collect(),
        })
        .retry_config(
            aws_sdk_ec2::config::retry::RetryConfig::standard()
                .with_max_attempts(8)
                .with_initial_backoff(std::time::Duration::from_millis(10)),
        )
        .build();
    let counter = CallCounter::default();
    let flaky = Ec2Provider::with_client(
        aws_sdk_ec2::Client::from_conf(config),
        &fast(),
        counter.clone(),
    );
    let (_, interfaces) = flaky
        .read(&fx.subnets, &[])
        .await
        .expect("read through failures");
    let eni = eni_of(&interfaces, &fx.instances[2])
        .expect("eni")
        .id
        .clone();
    flaky
        .assign("consul-server-b-0", &eni, Ipv4Addr::new(10, 0, 32, 6))
        .await
        .expect("assigned through failures");
    assert!(
        attempts.load(Ordering::SeqCst) >= 6,
        "four failed attempts, then successes"
    );
    assert_eq!(
        counter.get("ec2", "AssignPrivateIpAddresses"),
        1,
        "retries are attempts of one counted call"
    );
    assert_eq!(
        counter.throttles().values().sum::<u64>(),
        2,
        "the two RequestLimitExceeded answers are counted as throttles, the 500s are not: {:?}",
        counter.throttles()
    );
    let (_, interfaces) = plain.read(&fx.subnets, &[]).await.expect("read");
    assert_eq!(
        secondaries(&interfaces, &eni),
        [Ipv4Addr::new(10, 0, 32, 6)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_reservations_are_read_for_the_subnets_that_use_one() {
    let moto = Moto::start();
    let counter = CallCounter::default();
    let ec2 = Ec2Provider::new(&moto.sdk(), &fast(), counter.clone());
    let fx = fixture(&ec2).await;
    let reserved = &fx.subnets[1];
    reserve_explicit(ec2.client(), reserved, "10.0.40.0/26").await;
    // A `prefix` reservation is for delegated prefixes: EC2 hands its addresses out itself.
    ec2.client()
        .create_subnet_cidr_reservation()
        .subnet_id(reserved)
        .cidr("10.0.41.0/28")
        .reservation_type(aws_sdk_ec2::types::SubnetCidrReservationType::Prefix)
        .send()
        .await
        .expect("prefix reservation");
    let (subnets, _) = ec2
        .read(&fx.subnets, std::slice::from_ref(reserved))
        .await
        .expect("read");
    assert!(
        subnets[0].reservations.is_empty(),
        "zone a was not asked for"
    );
    assert_eq!(subnets[1].reservations, ["10.0.40.0/26"]);
    assert_eq!(counter.get("ec2", "GetSubnetCidrReservations"), 1);
    ec2.read(&fx.subnets, &[]).await.expect("read");
    assert_eq!(
        counter.get("ec2", "GetSubnetCidrReservations"),
        1,
        "no zone with reservedCidr, no call"
    );
}

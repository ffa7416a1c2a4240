//! The moto server for tests: started on 127.0.0.1 with a random port from the repository's
//! virtualenv (installed by scripts/test.sh), stopped when dropped.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of this module"
)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ec2::config::{Credentials, SharedCredentialsProvider};

/// A running moto server.
pub struct Moto {
    child: Child,
    /// Its endpoint URL.
    pub url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server_path() -> PathBuf {
    std::env::var_os("FIRECAMP_MOTO_SERVER").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/moto_server"),
        PathBuf::from,
    )
}

fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

impl Moto {
    /// Starts a moto server and waits until it answers.
    ///
    /// # Panics
    /// When moto is not installed or does not start within 60 s.
    #[must_use]
    pub fn start() -> Self {
        let path = server_path();
        assert!(
            path.exists(),
            "{} is missing: run `bash scripts/test.sh` once to install the test tools",
            path.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new(path)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while get(port, "/moto-api/")
            .is_none_or(|a| !a.starts_with("HTTP/1.0 200") && !a.starts_with("HTTP/1.1 200"))
        {
            assert!(Instant::now() < deadline, "moto did not start within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// SDK configuration for this server (static test credentials, us-east-1).
    #[must_use]
    pub fn sdk(&self) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "test", "test", None, None, "tests",
            )))
            .endpoint_url(&self.url)
            .build()
    }
}

/// A node of the test network: an EC2 instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestNode {
    /// Instance id.
    pub instance_id: String,
    /// Availability zone.
    pub zone: String,
    /// Primary private address.
    pub ip: String,
}

/// The test network: a VPC, one subnet in us-east-1a (10.0.16.0/20) and one in us-east-1b
/// (10.0.32.0/20), a foreign ENI holding 10.0.16.4 and 10.0.16.5, and two instances per subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestNetwork {
    /// VPC id.
    pub vpc_id: String,
    /// `(subnet id, zone)` of the zones' static-IP subnets, zone a first.
    pub subnets: Vec<(String, String)>,
    /// `(subnet id, zone)` of the subnets the instances run in, zone a first: the static-IP subnet
    /// itself in a zone whose nodes share it.
    pub node_subnets: Vec<(String, String)>,
    /// Instances, zone a's first.
    pub nodes: Vec<TestNode>,
}

/// One zone of a test network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestZone<'a> {
    /// Availability zone.
    pub zone: &'a str,
    /// CIDR of the zone's static-IP subnet (the Cluster's `subnetId`).
    pub cidr: &'a str,
    /// CIDR of a subnet of the zone's own for its instances, which leaves the static-IP subnet
    /// dedicated; `None`: the instances share the static-IP subnet (a zone with `reservedCidr`).
    pub nodes_cidr: Option<&'a str>,
}

/// The owner id on the foreign ENI of a dedicated zone a: another Kubernetes cluster's firecamp.
pub const ANOTHER_OWNER: &str = "another-cluster";

/// Creates the test network on `client`.
///
/// # Panics
/// When moto refuses a call.
pub async fn test_network(client: &aws_sdk_ec2::Client) -> TestNetwork {
    test_network_in(
        client,
        &[
            ("10.0.16.0/20", "us-east-1a"),
            ("10.0.32.0/20", "us-east-1b"),
        ],
    )
    .await
}

/// Creates a test network with one subnet per `(cidr, zone)` (zone `us-east-1a` first, with the
/// foreign ENI) and two instances per subnet.
///
/// # Panics
/// When moto refuses a call.
pub async fn test_network_in(
    client: &aws_sdk_ec2::Client,
    subnets: &[(&str, &str)],
) -> TestNetwork {
    test_network_sized(client, subnets, 2).await
}

/// [`test_network_in`] with `instances` instances per subnet.
///
/// # Panics
/// When moto refuses a call.
pub async fn test_network_sized(
    client: &aws_sdk_ec2::Client,
    subnets: &[(&str, &str)],
    instances: usize,
) -> TestNetwork {
    let zones: Vec<TestZone<'_>> = subnets
        .iter()
        .map(|&(cidr, zone)| TestZone {
            zone,
            cidr,
            nodes_cidr: None,
        })
        .collect();
    test_network_zones(client, &zones, instances).await
}

/// A test network of `zones` (zone `us-east-1a` first) with `instances` instances per zone. Zone
/// a's static-IP subnet holds a foreign ENI with 10.0.16.4 and 10.0.16.5 (in the first address
/// block of the zone's CIDR): untagged where the instances share the subnet, else another
/// cluster's firecamp interface (owner [`ANOTHER_OWNER`]), the only kind of foreign ENI a
/// dedicated subnet may hold.
///
/// # Panics
/// When moto refuses a call.
pub async fn test_network_zones(
    client: &aws_sdk_ec2::Client,
    zones: &[TestZone<'_>],
    instances: usize,
) -> TestNetwork {
    let vpc = client
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .expect("vpc");
    let vpc_id = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_owned();
    let image = any_image(client).await;
    let mut network = TestNetwork {
        vpc_id: vpc_id.clone(),
        subnets: Vec::new(),
        node_subnets: Vec::new(),
        nodes: Vec::new(),
    };
    for zone in zones {
        let subnet_id = create_subnet(client, &vpc_id, zone.cidr, zone.zone).await;
        if zone.zone == "us-east-1a" {
            foreign_interface(client, &subnet_id, zone.nodes_cidr.is_some()).await;
        }
        let nodes_subnet = match zone.nodes_cidr {
            Some(cidr) => create_subnet(client, &vpc_id, cidr, zone.zone).await,
            None => subnet_id.clone(),
        };
        for _ in 0..instances {
            network
                .nodes
                .push(run_instance(client, &image, &nodes_subnet, zone.zone).await);
        }
        network.subnets.push((subnet_id, zone.zone.to_owned()));
        network
            .node_subnets
            .push((nodes_subnet, zone.zone.to_owned()));
    }
    network
}

async fn create_subnet(
    client: &aws_sdk_ec2::Client,
    vpc_id: &str,
    cidr: &str,
    zone: &str,
) -> String {
    let subnet = client
        .create_subnet()
        .vpc_id(vpc_id)
        .cidr_block(cidr)
        .availability_zone(zone)
        .send()
        .await
        .expect("subnet");
    subnet
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("subnet id")
        .to_owned()
}

/// An ENI with 10.0.16.4 and 10.0.16.5 in `subnet_id`, tagged as [`ANOTHER_OWNER`]'s when
/// `firecamps` is set.
async fn foreign_interface(client: &aws_sdk_ec2::Client, subnet_id: &str, firecamps: bool) {
    let owner = firecamps.then_some(ANOTHER_OWNER);
    let id = network_interface(client, subnet_id, Some("10.0.16.4"), owner).await;
    client
        .assign_private_ip_addresses()
        .network_interface_id(id)
        .private_ip_addresses("10.0.16.5")
        .send()
        .await
        .expect("foreign address");
}

/// Creates, in `subnet_id` with primary address `ip`, an interface of another Kubernetes
/// cluster's firecamp (owner [`ANOTHER_OWNER`]); returns its id.
///
/// # Panics
/// When moto refuses the call.
pub async fn another_owners_interface(
    client: &aws_sdk_ec2::Client,
    subnet_id: &str,
    ip: &str,
) -> String {
    network_interface(client, subnet_id, Some(ip), Some(ANOTHER_OWNER)).await
}

/// Creates an interface in `subnet_id` (primary address `ip`, or one EC2 picks), carrying the
/// `firecamp.io/owner` tag `owner` when given; returns its id.
///
/// # Panics
/// When moto refuses the call.
pub async fn network_interface(
    client: &aws_sdk_ec2::Client,
    subnet_id: &str,
    ip: Option<&str>,
    owner: Option<&str>,
) -> String {
    let tags = owner.map(|owner| {
        aws_sdk_ec2::types::TagSpecification::builder()
            .resource_type(aws_sdk_ec2::types::ResourceType::NetworkInterface)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key(crate::ec2::interfaces::OWNER_TAG)
                    .value(owner)
                    .build(),
            )
            .build()
    });
    client
        .create_network_interface()
        .subnet_id(subnet_id)
        .set_private_ip_address(ip.map(str::to_owned))
        .set_tag_specifications(tags.map(|t| vec![t]))
        .send()
        .await
        .expect("network interface")
        .network_interface()
        .and_then(|e| e.network_interface_id())
        .expect("ENI id")
        .to_owned()
}

/// Starts one instance of `image` in `subnet_id` (in `zone`).
///
/// # Panics
/// When moto refuses the call.
pub async fn run_instance(
    client: &aws_sdk_ec2::Client,
    image: &str,
    subnet_id: &str,
    zone: &str,
) -> TestNode {
    let run = client
        .run_instances()
        .image_id(image)
        .instance_type(aws_sdk_ec2::types::InstanceType::M5Large)
        .min_count(1)
        .max_count(1)
        .subnet_id(subnet_id)
        .send()
        .await
        .expect("instance");
    let instance = &run.instances()[0];
    TestNode {
        instance_id: instance.instance_id().expect("instance id").to_owned(),
        zone: zone.to_owned(),
        ip: instance.private_ip_address().expect("address").to_owned(),
    }
}

/// The id of an image moto offers.
///
/// # Panics
/// When moto refuses the call.
pub async fn any_image(client: &aws_sdk_ec2::Client) -> String {
    client
        .describe_images()
        .send()
        .await
        .expect("images")
        .images()[0]
        .image_id()
        .expect("image")
        .to_owned()
}

/// Creates an explicit CIDR reservation of `cidr` in `subnet_id` (a zone's `reservedCidr`).
///
/// # Panics
/// When moto refuses the call.
pub async fn reserve_explicit(client: &aws_sdk_ec2::Client, subnet_id: &str, cidr: &str) {
    client
        .create_subnet_cidr_reservation()
        .subnet_id(subnet_id)
        .cidr(cidr)
        .reservation_type(aws_sdk_ec2::types::SubnetCidrReservationType::Explicit)
        .send()
        .await
        .expect("reservation");
}

//! EC2: the addresses used in the Cluster's subnets and the ENIs holding them, read in bulk; and
//! the static-IP changes a plan asks for (assign, move, release).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::Mutex;

use aws_config::SdkConfig;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, SubnetCidrReservationType};

use crate::calls::{CallCounter, RateLimiter};
use crate::error::AwsError;
use crate::settings::AwsSettings;
use crate::throttles::ThrottleCounter;

mod addresses;
pub mod interfaces;

const PROVIDER: &str = "ec2";

/// A subnet and every address in use in it (by any ENI, whoever owns it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetUsage {
    /// Subnet id.
    pub id: String,
    /// CIDR block.
    pub cidr: String,
    /// Availability zone.
    pub zone: String,
    /// Addresses in use, sorted.
    pub used_ips: Vec<Ipv4Addr>,
    /// IPv4 prefixes delegated to ENIs in the subnet, sorted.
    pub prefixes: Vec<String>,
    /// CIDRs of the subnet's explicit CIDR reservations, when they were asked for.
    pub reservations: Vec<String>,
    /// The ENIs in the subnet that are no firecamp static-IP interface (no `firecamp.io/owner`
    /// tag, whoever's): nodes', the VPC CNI's, anyone's. Sorted.
    pub unowned_interfaces: Vec<String>,
}

/// A network interface in one of the subnets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkInterface {
    /// ENI id.
    pub id: String,
    /// Subnet.
    pub subnet_id: String,
    /// Instance it is attached to.
    pub instance_id: Option<String>,
    /// Its device index on that instance.
    pub device_index: Option<i32>,
    /// Primary private address.
    pub primary_ip: Option<Ipv4Addr>,
    /// Secondary private addresses.
    pub secondary_ips: Vec<Ipv4Addr>,
    /// IPv4 prefixes delegated to it (the CNI's prefix mode).
    pub prefixes: Vec<String>,
    /// Its attachment's id, while attached.
    pub attachment_id: Option<String>,
    /// The value of its `firecamp.io/owner` tag: set on firecamp's static-IP interfaces only.
    pub owner: Option<String>,
}

/// Which ENIs a DescribeNetworkInterfaces call asks for.
#[derive(Debug, Clone, Copy)]
enum Lookup<'a> {
    /// Every ENI in these subnets.
    Subnets(&'a [String]),
    /// These ENIs.
    Ids(&'a [String]),
    /// The ENIs attached to this instance.
    Instance(&'a str),
    /// The ENIs carrying this owner id's tag.
    Owner(&'a str),
}

impl Lookup<'_> {
    /// What was asked for, for errors.
    fn describe(&self) -> String {
        match self {
            Self::Subnets(ids) => format!("subnets {}", ids.join(", ")),
            Self::Ids(ids) => format!("network interfaces {}", ids.join(", ")),
            Self::Instance(id) => format!("the network interfaces of instance {id}"),
            Self::Owner(owner) => format!("the network interfaces of owner {owner}"),
        }
    }
}

/// An ENI as EC2 describes it.
fn interface(eni: &aws_sdk_ec2::types::NetworkInterface) -> NetworkInterface {
    let ips: Vec<(Ipv4Addr, bool)> = eni
        .private_ip_addresses()
        .iter()
        .filter_map(|a| {
            Some((
                a.private_ip_address()?.parse().ok()?,
                a.primary().unwrap_or(false),
            ))
        })
        .collect();
    NetworkInterface {
        id: eni.network_interface_id().unwrap_or_default().to_owned(),
        subnet_id: eni.subnet_id().unwrap_or_default().to_owned(),
        instance_id: eni
            .attachment()
            .and_then(|a| a.instance_id())
            .map(str::to_owned),
        device_index: eni.attachment().and_then(|a| a.device_index()),
        primary_ip: ips.iter().find(|(_, primary)| *primary).map(|(ip, _)| *ip),
        secondary_ips: ips
            .iter()
            .filter(|(_, primary)| !primary)
            .map(|(ip, _)| *ip)
            .collect(),
        prefixes: eni
            .ipv4_prefixes()
            .iter()
            .filter_map(|p| p.ipv4_prefix().map(str::to_owned))
            .collect(),
        attachment_id: eni
            .attachment()
            .and_then(|a| a.attachment_id())
            .map(str::to_owned),
        owner: eni
            .tag_set()
            .iter()
            .find(|t| t.key() == Some(interfaces::OWNER_TAG))
            .and_then(|t| t.value())
            .map(str::to_owned),
    }
}

/// The EC2 provider.
#[derive(Debug)]
pub struct Ec2Provider {
    client: Client,
    writes: RateLimiter,
    counter: CallCounter,
    subnets: Mutex<BTreeMap<String, (String, String)>>,
}

impl Ec2Provider {
    /// A provider on `config`, counting into `counter`.
    #[must_use]
    pub fn new(config: &SdkConfig, settings: &AwsSettings, counter: CallCounter) -> Self {
        Self::with_client(Client::new(config), settings, counter)
    }

    /// A provider on a prepared client (e.g. one with extra interceptors).
    #[must_use]
    pub fn with_client(client: Client, settings: &AwsSettings, counter: CallCounter) -> Self {
        let client = Client::from_conf(
            client
                .config()
                .to_builder()
                .interceptor(ThrottleCounter::new(PROVIDER, counter.clone()))
                .build(),
        );
        Self {
            client,
            writes: RateLimiter::new(settings.ec2_per_second, settings.ec2_per_second.max(1.0)),
            counter,
            subnets: Mutex::new(BTreeMap::new()),
        }
    }

    /// The SDK client (for tests and setup).
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Reads the subnets' usage and every ENI in them: one DescribeSubnets the first time (CIDRs
    /// and zones do not change), then one DescribeNetworkInterfaces call per page, and one
    /// GetSubnetCidrReservations per subnet of `reserved` (zones with a `reservedCidr`).
    ///
    /// # Errors
    /// A failed call, or a subnet that does not exist.
    pub async fn read(
        &self,
        subnet_ids: &[String],
        reserved: &[String],
    ) -> Result<(Vec<SubnetUsage>, Vec<NetworkInterface>), AwsError> {
        self.load_subnets(subnet_ids).await?;
        let mut reservations = BTreeMap::new();
        for subnet in reserved.iter().filter(|s| subnet_ids.contains(s)) {
            reservations.insert(subnet.clone(), self.explicit_reservations(subnet).await?);
        }
        let mut interfaces = self.describe(Lookup::Subnets(subnet_ids)).await?;
        interfaces.sort_by(|a, b| a.id.cmp(&b.id));
        let known = self.subnets.lock().map(|s| s.clone()).unwrap_or_default();
        let usage = subnet_ids
            .iter()
            .filter_map(|id| known.get(id).map(|(cidr, zone)| (id, cidr, zone)))
            .map(|(id, cidr, zone)| {
                let mut used: Vec<Ipv4Addr> = interfaces
                    .iter()
                    .filter(|e| &e.subnet_id == id)
                    .flat_map(|e| {
                        e.primary_ip
                            .into_iter()
                            .chain(e.secondary_ips.iter().copied())
                    })
                    .collect();
                used.sort();
                let mut prefixes: Vec<String> = interfaces
                    .iter()
                    .filter(|e| &e.subnet_id == id)
                    .flat_map(|e| e.prefixes.iter().cloned())
                    .collect();
                prefixes.sort();
                let unowned_interfaces: Vec<String> = interfaces
                    .iter()
                    .filter(|e| &e.subnet_id == id && e.owner.is_none())
                    .map(|e| e.id.clone())
                    .collect();
                SubnetUsage {
                    id: id.clone(),
                    cidr: cidr.clone(),
                    zone: zone.clone(),
                    used_ips: used,
                    prefixes,
                    reservations: reservations.get(id).cloned().unwrap_or_default(),
                    unowned_interfaces,
                }
            })
            .collect();
        Ok((usage, interfaces))
    }

    /// Reads the ENIs `ids` again (say, of the nodes members moved between): one call. An id
    /// that no longer exists fails the call.
    ///
    /// # Errors
    /// A failed call.
    pub async fn read_interfaces(&self, ids: &[String]) -> Result<Vec<NetworkInterface>, AwsError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut interfaces = self.describe(Lookup::Ids(ids)).await?;
        interfaces.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(interfaces)
    }

    /// The CIDRs of the subnet's IPv4 reservations of type `explicit`, page by page: only those
    /// are never handed out by EC2's own assignment (EC2 CreateSubnetCidrReservation: "explicit
    /// — You assign the reserved IP addresses to network interfaces").
    async fn explicit_reservations(&self, subnet: &str) -> Result<Vec<String>, AwsError> {
        let mut cidrs = Vec::new();
        let mut token: Option<String> = None;
        loop {
            self.counter.count(PROVIDER, "GetSubnetCidrReservations");
            let page = self
                .client
                .get_subnet_cidr_reservations()
                .subnet_id(subnet)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| {
                    AwsError::call("GetSubnetCidrReservations", format!("subnet {subnet}"), &e)
                })?;
            cidrs.extend(
                page.subnet_ipv4_cidr_reservations()
                    .iter()
                    .filter(|r| r.reservation_type() == Some(&SubnetCidrReservationType::Explicit))
                    .filter_map(|r| r.cidr().map(str::to_owned)),
            );
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                cidrs.sort();
                return Ok(cidrs);
            }
        }
    }

    /// DescribeNetworkInterfaces, page by page.
    async fn describe(&self, lookup: Lookup<'_>) -> Result<Vec<NetworkInterface>, AwsError> {
        let mut interfaces = Vec::new();
        let mut token: Option<String> = None;
        loop {
            self.counter.count(PROVIDER, "DescribeNetworkInterfaces");
            let request = self.client.describe_network_interfaces();
            // AWS refuses MaxResults beside NetworkInterfaceIds (those are answered at once).
            let request = match lookup {
                Lookup::Subnets(ids) => request
                    .filters(
                        Filter::builder()
                            .name("subnet-id")
                            .set_values(Some(ids.to_vec()))
                            .build(),
                    )
                    .max_results(1000),
                Lookup::Ids(ids) => request.set_network_interface_ids(Some(ids.to_vec())),
                Lookup::Instance(id) => request.filters(
                    Filter::builder()
                        .name("attachment.instance-id")
                        .values(id)
                        .build(),
                ),
                Lookup::Owner(owner) => request
                    .filters(
                        Filter::builder()
                            .name(format!("tag:{}", interfaces::OWNER_TAG))
                            .values(owner)
                            .build(),
                    )
                    .max_results(1000),
            };
            let page = request
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| AwsError::call("DescribeNetworkInterfaces", lookup.describe(), &e))?;
            interfaces.extend(page.network_interfaces().iter().map(interface));
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                return Ok(interfaces);
            }
        }
    }

    async fn load_subnets(&self, subnet_ids: &[String]) -> Result<(), AwsError> {
        let missing: Vec<String> = {
            let known = self.subnets.lock().map(|s| s.clone()).unwrap_or_default();
            subnet_ids
                .iter()
                .filter(|id| !known.contains_key(*id))
                .cloned()
                .collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        self.counter.count(PROVIDER, "DescribeSubnets");
        let output = self
            .client
            .describe_subnets()
            .set_subnet_ids(Some(missing.clone()))
            .send()
            .await
            .map_err(|e| {
                AwsError::call(
                    "DescribeSubnets",
                    format!("subnets {}", missing.join(", ")),
                    &e,
                )
            })?;
        let mut known = self.subnets.lock().map_err(|_| AwsError::Missing {
            operation: "DescribeSubnets",
            what: "lock",
        })?;
        for subnet in output.subnets() {
            if let (Some(id), Some(cidr), Some(zone)) = (
                subnet.subnet_id(),
                subnet.cidr_block(),
                subnet.availability_zone(),
            ) {
                known.insert(id.to_owned(), (cidr.to_owned(), zone.to_owned()));
            }
        }
        Ok(())
    }
}

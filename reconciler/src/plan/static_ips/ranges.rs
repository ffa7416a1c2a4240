//! A zone's static range: the subnet's usable addresses, narrowed to the zone's explicit
//! reservation when it has one, and refused for a subnet that is not dedicated; CIDR arithmetic.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use crate::live::Subnet;

/// Why a zone gives out no new address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneProblem {
    /// The subnet's CIDR does not parse or is not a /16 to /28.
    #[error("subnet {subnet} has an invalid CIDR {cidr}")]
    BadCidr {
        /// The subnet.
        subnet: String,
        /// Its CIDR.
        cidr: String,
    },
    /// `reservedCidr` is not covered by an explicit reservation of the subnet.
    #[error(
        "subnet {subnet} has no explicit CIDR reservation covering reservedCidr {cidr}; create it with `aws ec2 create-subnet-cidr-reservation --subnet-id {subnet} --cidr {cidr} --reservation-type explicit`"
    )]
    NoReservation {
        /// The subnet.
        subnet: String,
        /// The zone's `reservedCidr`.
        cidr: String,
    },
    /// `reservedCidr` holds no usable address of the subnet.
    #[error("reservedCidr {cidr} holds no usable address of subnet {subnet} ({subnet_cidr})")]
    OutsideSubnet {
        /// The subnet.
        subnet: String,
        /// The zone's `reservedCidr`.
        cidr: String,
        /// The subnet's CIDR.
        subnet_cidr: String,
    },
    /// A zone without `reservedCidr` whose subnet holds an ENI that is no firecamp interface: EC2's
    /// automatic assignment (the VPC CNI's, a node's) can hand out any address of the subnet.
    #[error(
        "subnet {subnet} is not dedicated to static IPs: {interfaces} in it {verb} not firecamp's, and EC2 hands out this subnet's addresses to such interfaces by itself; move them out, give the zone a subnet only firecamp uses, or give it a reservedCidr with an explicit CIDR reservation (docs/static-ips.md)"
    )]
    NotDedicated {
        /// The subnet.
        subnet: String,
        /// The interfaces in the way, for people: a few ids and how many more.
        interfaces: String,
        /// "is" or "are".
        verb: &'static str,
    },
    /// Every address of the range is taken.
    #[error("{range} of subnet {subnet} has no free address left")]
    Full {
        /// The subnet.
        subnet: String,
        /// The range, for people: the reservation or the subnet's CIDR.
        range: String,
    },
}

/// The first and last address of a CIDR block of any prefix length, e.g. an EC2 reservation or
/// delegated prefix.
pub fn cidr_block(cidr: &str) -> Option<(u32, u32)> {
    let (address, prefix) = cidr.split_once('/')?;
    let address: Ipv4Addr = address.parse().ok()?;
    let prefix: u32 = prefix.parse().ok().filter(|p| *p <= 32)?;
    let size = 1u64 << (32 - prefix);
    let first = u32::from(address) & !u32::try_from(size - 1).ok()?;
    let last = u32::try_from(u64::from(first) + size - 1).ok()?;
    Some((first, last))
}

/// The blocks of every IPv4 prefix delegated to an ENI in `subnets` (the CNI's prefix mode).
pub(crate) fn prefix_blocks(subnets: &[Subnet]) -> Vec<(u32, u32)> {
    subnets
        .iter()
        .flat_map(|s| s.prefixes.iter().filter_map(|p| cidr_block(p)))
        .collect()
}

/// True when `address` lies in one of `blocks` (first and last address, inclusive).
pub(crate) fn in_blocks(blocks: &[(u32, u32)], address: u32) -> bool {
    blocks
        .iter()
        .any(|(first, last)| (*first..=*last).contains(&address))
}

/// The usable addresses of a subnet's CIDR block: all but the first four and the last.
pub fn usable_range(cidr: &str) -> Option<(u32, u32)> {
    let prefix: u32 = cidr.split_once('/')?.1.parse().ok()?;
    if !(16..=28).contains(&prefix) {
        return None;
    }
    let (first, last) = cidr_block(cidr)?;
    Some((first + 4, last - 1))
}

/// The lowest usable address of `cidr` not in `taken`.
pub fn lowest_free(cidr: &str, taken: &BTreeSet<Ipv4Addr>) -> Option<Ipv4Addr> {
    let (first, last) = usable_range(cidr)?;
    (first..=last)
        .map(Ipv4Addr::from)
        .find(|ip| !taken.contains(ip))
}

/// The addresses a zone may give out: the subnet's usable range, narrowed to `reserved` (which
/// an explicit reservation of the subnet must cover).
///
/// # Errors
/// A malformed subnet, a missing reservation, a reservation outside the subnet.
pub fn zone_range(subnet: &Subnet, reserved: Option<&str>) -> Result<(u32, u32), ZoneProblem> {
    let (first, last) = usable_range(&subnet.cidr).ok_or_else(|| ZoneProblem::BadCidr {
        subnet: subnet.id.clone(),
        cidr: subnet.cidr.clone(),
    })?;
    let Some(reserved) = reserved else {
        return dedicated(subnet).map(|()| (first, last));
    };
    let no_reservation = || ZoneProblem::NoReservation {
        subnet: subnet.id.clone(),
        cidr: reserved.to_owned(),
    };
    let (low, high) = cidr_block(reserved).ok_or_else(no_reservation)?;
    let covered = subnet
        .reservations
        .iter()
        .filter_map(|r| cidr_block(r))
        .any(|(start, end)| start <= low && high <= end);
    if !covered {
        return Err(no_reservation());
    }
    let (low, high) = (low.max(first), high.min(last));
    if low > high {
        return Err(ZoneProblem::OutsideSubnet {
            subnet: subnet.id.clone(),
            cidr: reserved.to_owned(),
            subnet_cidr: subnet.cidr.clone(),
        });
    }
    Ok((low, high))
}

/// Fails unless every ENI in `subnet` is a firecamp interface.
fn dedicated(subnet: &Subnet) -> Result<(), ZoneProblem> {
    /// How many ids the message names.
    const NAMED: usize = 3;
    let unowned = &subnet.unowned_interfaces;
    if unowned.is_empty() {
        return Ok(());
    }
    let mut interfaces = unowned[..unowned.len().min(NAMED)].join(", ");
    if unowned.len() > NAMED {
        interfaces.push_str(&format!(" and {} more", unowned.len() - NAMED));
    }
    Err(ZoneProblem::NotDedicated {
        subnet: subnet.id.clone(),
        interfaces,
        verb: if unowned.len() == 1 { "is" } else { "are" },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_addresses_are_skipped() {
        let range = usable_range("10.0.16.0/20").expect("valid");
        assert_eq!(Ipv4Addr::from(range.0), Ipv4Addr::new(10, 0, 16, 4));
        assert_eq!(Ipv4Addr::from(range.1), Ipv4Addr::new(10, 0, 31, 254));
        assert_eq!(
            usable_range("10.0.16.7/20"),
            usable_range("10.0.16.0/20"),
            "host bits are ignored"
        );
        assert!(
            usable_range("10.0.0.0/8").is_none(),
            "AWS subnets are /16 to /28"
        );
    }

    #[test]
    fn lowest_free_skips_every_taken_address() {
        let taken: BTreeSet<Ipv4Addr> = [
            Ipv4Addr::new(10, 0, 0, 4),
            Ipv4Addr::new(10, 0, 0, 5),
            Ipv4Addr::new(10, 0, 0, 7),
        ]
        .into();
        assert_eq!(
            lowest_free("10.0.0.0/28", &taken),
            Some(Ipv4Addr::new(10, 0, 0, 6))
        );
        let full: BTreeSet<Ipv4Addr> = (4..=14).map(|i| Ipv4Addr::new(10, 0, 0, i)).collect();
        assert_eq!(
            lowest_free("10.0.0.0/28", &full),
            None,
            ".15 is the broadcast address"
        );
    }
}

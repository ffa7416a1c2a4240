//! Where members run and what they are called. Shared by validation (name lengths) and the
//! catalog (objects), so both use the same names.
//!
//! A service has one StatefulSet per role and zone, named `<service>-<role>-<zone>` where
//! `<zone>` is the zone's suffix after the region (`us-east-1a` → `a`). A member is a pod of that
//! StatefulSet: `<service>-<role>-<zone>-<ordinal>`, e.g. `kafka-broker-b-0`. Within a role,
//! member `i` runs in `zones[(offset + i) mod n]`, where the offset is the shard number for
//! Redis and sharded MongoDB and 1 for PostgreSQL standbys (the primary has the first zone).

use crate::spec::Service;

/// Longest StatefulSet name: its pods carry a `controller-revision-hash` label of
/// `<name>-<10 characters>`, which must fit in 63 characters.
pub const MAX_STATEFULSET_NAME: usize = 52;

/// Longest member (pod) name: a DNS label.
pub const MAX_MEMBER_NAME: usize = 63;

/// One member of a service.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// The member's name, which is its pod's name.
    pub name: String,
    /// Position among all the service's members (roles in order), from 0.
    pub index: u32,
    /// Role, e.g. `broker`, `primary`, `shard1`.
    pub role: String,
    /// Position among the members of its role, from 0 (the `i` of the zone rule).
    pub role_index: u32,
    /// Availability zone.
    pub zone: String,
    /// The StatefulSet the member belongs to.
    pub statefulset: String,
    /// The member's ordinal in its StatefulSet.
    pub ordinal: u32,
}

/// The short form of a zone used in names: the part after the region (`us-east-1a` → `a`,
/// `us-east-1-bos-1a` → `bos-1a`); the whole zone name when it does not start with the region.
#[must_use]
pub fn zone_suffix(region: &str, zone: &str) -> String {
    zone.strip_prefix(region)
        .map(|s| s.trim_start_matches('-'))
        .filter(|s| !s.is_empty())
        .unwrap_or(zone)
        .to_owned()
}

/// The StatefulSet name for a role in a zone.
#[must_use]
pub fn statefulset_name(service: &str, role: &str, region: &str, zone: &str) -> String {
    format!("{service}-{role}-{}", zone_suffix(region, zone))
}

/// Every member of `service` named `name`, placed over `zones` (the service's own zones, else the
/// Cluster's) of `region`, in role order then role index.
#[must_use]
pub fn members(name: &str, service: &Service, region: &str, zones: &[&str]) -> Vec<Member> {
    let mut members = Vec::new();
    if zones.is_empty() {
        return members;
    }
    let zone_count = zones.len() as u64;
    let mut index = 0;
    for group in service.roles(service.replicas()) {
        let mut per_zone = vec![0u32; zones.len()];
        for role_index in 0..group.members {
            let slot = usize::try_from(
                (u64::from(group.zone_offset) + u64::from(role_index)) % zone_count,
            )
            .unwrap_or(0);
            let zone = zones[slot];
            let statefulset = statefulset_name(name, &group.role, region, zone);
            let ordinal = per_zone[slot];
            per_zone[slot] += 1;
            members.push(Member {
                name: format!("{statefulset}-{ordinal}"),
                index,
                role: group.role.clone(),
                role_index,
                zone: zone.to_owned(),
                statefulset,
                ordinal,
            });
            index += 1;
        }
    }
    members
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::services::zookeeper::ZooKeeperSpec;

    fn zookeeper(replicas: u32) -> Service {
        let spec = serde_json::json!({ "replicas": replicas });
        Service::ZooKeeper(serde_json::from_value::<ZooKeeperSpec>(spec).expect("valid spec"))
    }

    #[test]
    fn suffixes() {
        assert_eq!(zone_suffix("us-east-1", "us-east-1a"), "a");
        assert_eq!(zone_suffix("us-east-1", "us-east-1-bos-1a"), "bos-1a");
        assert_eq!(zone_suffix("us-east-1", "eu-west-1a"), "eu-west-1a");
    }

    #[test]
    fn members_round_robin_over_zones_with_per_zone_ordinals() {
        let zones = ["us-east-1a", "us-east-1b", "us-east-1c"];
        let members = members("zk", &zookeeper(5), "us-east-1", &zones);
        let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "zk-server-a-0",
                "zk-server-b-0",
                "zk-server-c-0",
                "zk-server-a-1",
                "zk-server-b-1"
            ]
        );
        assert_eq!(members[3].statefulset, "zk-server-a");
        assert_eq!(members[4].index, 4);
    }
}

//! Rules for the `Cluster` document.

use std::collections::BTreeMap;

use super::names::{
    domain_hint, domain_problem, ipv4_cidr, is_aws_id, is_region, label_hint, label_problem,
};
use super::resource_rules::{check_resources, check_volume};
use crate::problem::Problems;
use crate::spec::cluster::{LOG_RETENTION_DAYS, MAX_SECURITY_GROUPS, ZoneSpec};
use crate::spec::{ClusterSpec, Metadata};

/// Largest TTL Route53 accepts.
const MAX_TTL: u32 = 2_147_483_647;

/// Checks a Cluster's name and spec.
pub(crate) fn check_cluster(metadata: &Metadata, spec: &ClusterSpec, out: &mut Problems) {
    if let Some(problem) = label_problem(&metadata.name) {
        out.add("metadata.name", problem, label_hint(&metadata.name));
    }
    if !is_region(&spec.region) {
        out.add(
            "spec.region",
            format!("\"{}\" is not an AWS region", spec.region),
            "e.g. us-east-1",
        );
    }
    if !is_aws_id(&spec.vpc_id, "vpc") {
        out.add(
            "spec.vpcId",
            format!("\"{}\" is not a VPC id", spec.vpc_id),
            "e.g. vpc-0a1b2c3d4e5f60718",
        );
    }
    check_zones(spec, out);
    check_security_groups(&spec.static_ips.security_group_ids, out);
    if let Some(domain) = &spec.dns.domain
        && let Some(problem) = domain_problem(domain)
    {
        out.add("spec.dns.domain", problem, domain_hint(domain));
    }
    if spec.dns.ttl > MAX_TTL {
        out.add(
            "spec.dns.ttl",
            format!("must be at most {MAX_TTL}"),
            "Route53's largest TTL; a few minutes is usual for members, e.g. 60",
        );
    }
    if let Some(problem) = label_problem(&spec.namespace) {
        out.add("spec.namespace", problem, label_hint(&spec.namespace));
    }
    if !LOG_RETENTION_DAYS.contains(&spec.logs.retention_days) {
        let allowed: Vec<String> = LOG_RETENTION_DAYS.iter().map(u32::to_string).collect();
        out.add(
            "spec.logs.retentionDays",
            format!(
                "CloudWatch Logs does not accept {} days",
                spec.logs.retention_days
            ),
            format!("one of: {}", allowed.join(", ")),
        );
    }
    if let Some(region) = &spec.logs.region
        && !is_region(region)
    {
        out.add(
            "spec.logs.region",
            format!("\"{region}\" is not an AWS region"),
            "e.g. us-east-1",
        );
    }
    let defaults = &spec.defaults;
    if let Some(volume) = &defaults.volume {
        check_volume(out, "spec.defaults.volume", volume, false);
    }
    if let Some(volume) = &defaults.journal_volume {
        check_volume(out, "spec.defaults.journalVolume", volume, false);
    }
    if let Some(resources) = &defaults.resources {
        check_resources(out, "spec.defaults.resources", resources);
    }
}

fn check_zones(spec: &ClusterSpec, out: &mut Problems) {
    if spec.zones.is_empty() {
        out.add(
            "spec.zones",
            "needs at least one zone",
            "list the zones with their subnets; 3 zones survive the loss of one",
        );
    }
    let mut names = BTreeMap::new();
    let mut subnets = BTreeMap::new();
    for (i, zone) in spec.zones.iter().enumerate() {
        let path = format!("spec.zones[{i}]");
        let zone_suffix = zone.name.strip_prefix(spec.region.as_str());
        if !zone_suffix.is_some_and(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        }) {
            out.add(
                &format!("{path}.name"),
                format!("\"{}\" is not a zone of region {}", zone.name, spec.region),
                format!("zone names start with the region, e.g. {}a", spec.region),
            );
        }
        if let Some(first) = names.insert(zone.name.as_str(), i) {
            out.add(
                &format!("{path}.name"),
                format!(
                    "zone \"{}\" is listed twice (also spec.zones[{first}])",
                    zone.name
                ),
                "list each zone once",
            );
        }
        if !is_aws_id(&zone.subnet_id, "subnet") {
            out.add(
                &format!("{path}.subnetId"),
                format!("\"{}\" is not a subnet id", zone.subnet_id),
                "e.g. subnet-0a1b2c3d4e5f60718",
            );
        }
        if let Some(first) = subnets.insert(zone.subnet_id.as_str(), i) {
            out.add(
                &format!("{path}.subnetId"),
                format!(
                    "subnet \"{}\" is also used by spec.zones[{first}]",
                    zone.subnet_id
                ),
                "a subnet lives in one zone; give each zone its own subnet",
            );
        }
        check_reserved_cidr(&path, zone, out);
    }
}

/// A reservation is a CIDR block: its address is the block's first one (EC2 refuses host bits).
fn check_reserved_cidr(path: &str, zone: &ZoneSpec, out: &mut Problems) {
    let Some(cidr) = &zone.reserved_cidr else {
        return;
    };
    let field = format!("{path}.reservedCidr");
    let Some((address, prefix)) = ipv4_cidr(cidr) else {
        out.add(
            &field,
            format!(
                "\"{}\" is not an IPv4 CIDR block of /16 to /32",
                cidr.escape_debug()
            ),
            "the CIDR of an explicit subnet CIDR reservation, e.g. 10.0.32.0/27",
        );
        return;
    };
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    let network = std::net::Ipv4Addr::from(u32::from(address) & mask);
    if network != address {
        out.add(
            &field,
            format!("\"{cidr}\" has host bits set"),
            format!("write the block's first address: {network}/{prefix}"),
        );
    }
}

/// Security group ids of the static-IP interfaces: well formed, each once, at most 16.
fn check_security_groups(ids: &[String], out: &mut Problems) {
    let field = "spec.staticIps.securityGroupIds";
    if ids.len() > MAX_SECURITY_GROUPS {
        out.add(
            field,
            format!(
                "lists {} groups; a network interface takes at most {MAX_SECURITY_GROUPS}",
                ids.len()
            ),
            "merge the rules into fewer groups",
        );
    }
    let mut seen = BTreeMap::new();
    for (i, id) in ids.iter().enumerate() {
        if !is_aws_id(id, "sg") {
            out.add(
                &format!("{field}[{i}]"),
                format!("\"{}\" is not a security group id", id.escape_debug()),
                "e.g. sg-0a1b2c3d4e5f60719",
            );
        }
        if let Some(first) = seen.insert(id.as_str(), i) {
            out.add(
                &format!("{field}[{i}]"),
                format!("\"{id}\" is listed twice (also {field}[{first}])"),
                "list each group once",
            );
        }
    }
}

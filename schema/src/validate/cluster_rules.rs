//! Rules for the `Cluster` document.

use std::collections::BTreeMap;

use super::names::{domain_hint, domain_problem, is_aws_id, is_region, label_hint, label_problem};
use super::resource_rules::{check_resources, check_volume};
use crate::problem::Problems;
use crate::spec::cluster::LOG_RETENTION_DAYS;
use crate::spec::{ClusterSpec, Metadata};

/// Longest cluster name whose default domain label `<name>-firecamp` fits in 63 characters.
const MAX_NAME_WITH_DEFAULT_DOMAIN: usize = 54;

/// Largest TTL Route53 accepts.
const MAX_TTL: u32 = 2_147_483_647;

/// Checks a Cluster's name and spec.
pub(crate) fn check_cluster(metadata: &Metadata, spec: &ClusterSpec, out: &mut Problems) {
    if let Some(problem) = label_problem(&metadata.name) {
        out.add("metadata.name", problem, label_hint(&metadata.name));
    } else if spec.dns.domain.is_none() && metadata.name.len() > MAX_NAME_WITH_DEFAULT_DOMAIN {
        out.add(
            "metadata.name",
            format!("is longer than {MAX_NAME_WITH_DEFAULT_DOMAIN} characters, too long for the default domain <name>-firecamp.com"),
            "shorten the name or set spec.dns.domain",
        );
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
    }
}

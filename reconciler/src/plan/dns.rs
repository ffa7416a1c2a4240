//! Route53 steps: one A record per member (its static IP, or its node's IP once it runs) and an
//! ownership TXT record per name. Only names whose TXT record says firecamp and this cluster own
//! them are ever changed or deleted.

use std::collections::BTreeMap;

use serde_json::json;

use firecamp_catalog::RecordTarget;

use super::desired::Desired;
use super::draft::{Drafts, Rank, StepSpec};
use super::model::{Action, FieldChange, Provider};
use super::static_ips::Allocation;
use crate::live::{DnsRecord, LiveIndex};

/// The ownership TXT value of a name (format version 1).
#[must_use]
pub fn ownership(cluster: &str, service: &str) -> String {
    format!("\"heritage=firecamp,cluster={cluster},service={service},v=1\"")
}

/// The service a TXT value says owns the name, when it is this cluster's.
fn owner<'a>(value: &'a str, cluster: &str) -> Option<&'a str> {
    let fields = value.trim_matches('"');
    let mut parts = fields.split(',');
    (parts.next() == Some("heritage=firecamp")
        && parts.next() == Some(&format!("cluster={cluster}")))
    .then(|| parts.next().and_then(|s| s.strip_prefix("service=")))
    .flatten()
}

/// The desired A records: name → (service, address, ttl).
fn desired_records(
    desired: &Desired,
    index: &LiveIndex<'_>,
    allocations: &BTreeMap<String, Allocation>,
) -> BTreeMap<String, (String, String, u32)> {
    let mut records = BTreeMap::new();
    for service in &desired.services {
        for record in &service.aws.dns_records {
            let address = match record.target {
                RecordTarget::StaticIp => allocations
                    .get(&record.member)
                    .and_then(|a| a.ip)
                    .map(|ip| ip.to_string()),
                RecordTarget::NodeIp => {
                    index.node_of(&record.member).map(|n| n.host_ip.to_string())
                }
            };
            if let Some(address) = address {
                records.insert(
                    record.name.clone(),
                    (service.name.clone(), address, record.ttl),
                );
            }
        }
    }
    records
}

/// Adds the record steps.
pub(crate) fn plan_records(
    desired: &Desired,
    index: &LiveIndex<'_>,
    allocations: &BTreeMap<String, Allocation>,
    policies: &BTreeMap<String, String>,
    out: &mut Drafts,
) {
    let cluster = &desired.cluster.metadata.name;
    let live = index.live;
    let live_a: BTreeMap<&str, &DnsRecord> = live
        .dns_records
        .iter()
        .filter(|r| r.record_type == "A")
        .map(|r| (r.name.as_str(), r))
        .collect();
    let owners: BTreeMap<&str, &str> = live
        .dns_records
        .iter()
        .filter(|r| r.record_type == "TXT")
        .filter_map(|r| {
            r.values
                .iter()
                .find_map(|v| owner(v, cluster))
                .map(|s| (r.name.as_str(), s))
        })
        .collect();
    let wanted = desired_records(desired, index, allocations);
    for (name, (service, address, ttl)) in &wanted {
        let after = || json!({"name": name, "type": "A", "ttl": ttl, "values": [address], "owner": ownership(cluster, service)});
        let spec = |action, reason: String| StepSpec {
            provider: Provider::Route53,
            action,
            id: format!("route53:{name}"),
            resource: format!("A {name}"),
            service: Some(service.as_str()),
            rank: Rank::Dns,
            reason,
        };
        match live_a.get(name.as_str()) {
            None => out.push(
                spec(Action::Create, format!("points {name} at {address}")),
                None,
                Some(after()),
                Vec::new(),
                false,
            ),
            Some(current) if !owners.contains_key(name.as_str()) => {
                out.warnings.push(format!("DNS record {name} exists but firecamp does not own it (no ownership TXT record); left unchanged"));
                let _ = current;
            }
            Some(current) => {
                let mut values = current.values.clone();
                values.sort();
                let mut changes = Vec::new();
                if values != [address.clone()] {
                    changes.push(FieldChange {
                        path: "values".to_owned(),
                        before: Some(json!(current.values)),
                        after: Some(json!([address])),
                    });
                }
                if current.ttl != *ttl {
                    changes.push(FieldChange {
                        path: "ttl".to_owned(),
                        before: Some(json!(current.ttl)),
                        after: Some(json!(ttl)),
                    });
                }
                if changes.is_empty() {
                    out.in_sync();
                } else {
                    let before = json!({"name": name, "type": "A", "ttl": current.ttl, "values": current.values});
                    out.push(
                        spec(Action::Update, format!("{name} must point at {address}")),
                        Some(before),
                        Some(after()),
                        changes,
                        false,
                    );
                }
            }
        }
    }
    for (name, service) in &owners {
        if wanted.contains_key(*name) || !desired.may_release(service, policies) {
            continue;
        }
        let before = live_a
            .get(name)
            .map(|r| json!({"name": name, "type": "A", "ttl": r.ttl, "values": r.values}));
        out.push(
            StepSpec {
                provider: Provider::Route53,
                action: Action::Delete,
                id: format!("route53:{name}"),
                resource: format!("A {name}"),
                service: Some(service),
                rank: Rank::Dns,
                reason: "its service was deleted with deletionPolicy Delete".to_owned(),
            },
            before,
            None,
            Vec::new(),
            false,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{owner, ownership};

    #[test]
    fn ownership_round_trips_and_other_clusters_do_not_own() {
        let value = ownership("prod", "kafka");
        assert_eq!(owner(&value, "prod"), Some("kafka"));
        assert_eq!(owner(&value, "staging"), None);
        assert_eq!(owner("\"v=spf1 -all\"", "prod"), None);
    }
}

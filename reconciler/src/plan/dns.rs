//! Route53 steps: one A record per member (its static IP, or its node's IP once it runs) and an
//! ownership TXT record per name. Only names whose TXT record says firecamp and this cluster own
//! them are ever changed or deleted; a TXT record naming another owner id (another Kubernetes
//! cluster's firecamp) is left alone, and one written before owner ids gets this owner's id.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use firecamp_catalog::RecordTarget;
use firecamp_schema::spec::DeletionPolicy;

use super::desired::Desired;
use super::draft::{Drafts, Rank, StepSpec};
use super::model::{Action, FieldChange, Provider};
use super::static_ips::Allocation;
use crate::live::{DnsRecord, LiveIndex};

/// The ownership TXT value of a name (format version 1), with the owner id of the Kubernetes
/// cluster when it is known.
#[must_use]
pub fn ownership(cluster: &str, service: &str, owner: Option<&str>) -> String {
    match owner {
        Some(owner) => {
            format!("\"heritage=firecamp,cluster={cluster},service={service},owner={owner},v=1\"")
        }
        None => format!("\"heritage=firecamp,cluster={cluster},service={service},v=1\""),
    }
}

/// Who a TXT value says owns a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Claim<'a> {
    service: &'a str,
    /// The owner id; `None` in records written before owner ids.
    owner: Option<&'a str>,
}

/// The claim of a TXT value of firecamp and this cluster name.
fn claim<'a>(value: &'a str, cluster: &str) -> Option<Claim<'a>> {
    let fields: BTreeMap<&str, &str> = value
        .trim_matches('"')
        .split(',')
        .filter_map(|f| f.split_once('='))
        .collect();
    (fields.get("heritage") == Some(&"firecamp") && fields.get("cluster") == Some(&cluster))
        .then(|| {
            Some(Claim {
                service: fields.get("service")?,
                owner: fields.get("owner").copied(),
            })
        })
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
    let ours = live.owner.as_deref();
    let live_a: BTreeMap<&str, &DnsRecord> = live
        .dns_records
        .iter()
        .filter(|r| r.record_type == "A")
        .map(|r| (r.name.as_str(), r))
        .collect();
    let claims: BTreeMap<&str, Claim<'_>> = live
        .dns_records
        .iter()
        .filter(|r| r.record_type == "TXT")
        .filter_map(|r| {
            r.values
                .iter()
                .find_map(|v| claim(v, cluster))
                .map(|c| (r.name.as_str(), c))
        })
        .collect();
    // Another Kubernetes cluster's firecamp, with a Cluster of the same name, owns these.
    let theirs = |c: &Claim<'_>| matches!((c.owner, ours), (Some(a), Some(b)) if a != b);
    let owners: BTreeMap<&str, &str> = claims
        .iter()
        .filter(|(_, c)| !theirs(c))
        .map(|(name, c)| (*name, c.service))
        .collect();
    // Records written before owner ids: taken over by writing the owner id into them.
    let unclaimed: std::collections::BTreeSet<&str> = claims
        .iter()
        .filter(|(_, c)| c.owner.is_none() && ours.is_some())
        .map(|(name, _)| *name)
        .collect();
    let wanted = desired_records(desired, index, allocations);
    for (name, (service, address, ttl)) in &wanted {
        let after = || json!({"name": name, "type": "A", "ttl": ttl, "values": [address], "owner": ownership(cluster, service, ours)});
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
            Some(_) if claims.get(name.as_str()).is_some_and(theirs) => {
                out.warnings.push(format!("DNS record {name} belongs to the firecamp of another Kubernetes cluster (its ownership record names another owner id); left unchanged"));
            }
            Some(_) if !owners.contains_key(name.as_str()) => {
                out.warnings.push(format!("DNS record {name} exists but firecamp does not own it (no ownership TXT record); left unchanged"));
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
                if unclaimed.contains(name.as_str()) {
                    changes.push(FieldChange {
                        path: "owner".to_owned(),
                        before: None,
                        after: ours.map(|o| json!(o)),
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
    // Every name a desired member has, whether or not it has an address yet.
    let member_names: BTreeSet<&str> = desired
        .services
        .iter()
        .flat_map(|s| s.aws.dns_records.iter().map(|r| r.name.as_str()))
        .collect();
    let desired_services: BTreeSet<&str> =
        desired.services.iter().map(|s| s.name.as_str()).collect();
    for (name, service) in &owners {
        if wanted.contains_key(*name) || member_names.contains(name) {
            continue;
        }
        let reason = if desired_services.contains(service) {
            // A member removed by a scale-down: its record goes with its address, under Delete.
            let policy = desired.deletion_policies.get(*service).copied();
            if !desired.broken_files.is_empty() || policy != Some(DeletionPolicy::Delete) {
                continue;
            }
            "its member was removed by a scale-down, with deletionPolicy Delete"
        } else if desired.may_release(service, policies) {
            "its service was deleted with deletionPolicy Delete"
        } else {
            continue;
        };
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
                reason: reason.to_owned(),
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
    use super::{Claim, claim, ownership};

    #[test]
    fn ownership_round_trips_and_other_clusters_do_not_own() {
        let value = ownership("prod", "kafka", Some("0b9c-uid"));
        assert_eq!(
            claim(&value, "prod"),
            Some(Claim {
                service: "kafka",
                owner: Some("0b9c-uid")
            })
        );
        assert_eq!(claim(&value, "staging"), None);
        assert_eq!(claim("\"v=spf1 -all\"", "prod"), None);
        let before_owner_ids = "\"heritage=firecamp,cluster=prod,service=kafka,v=1\"";
        assert_eq!(
            claim(before_owner_ids, "prod"),
            Some(Claim {
                service: "kafka",
                owner: None
            })
        );
        assert_eq!(ownership("prod", "kafka", None), before_owner_ids);
    }
}

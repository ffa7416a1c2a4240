//! The live state after a plan is applied in full, as the APIs would leave it: Kubernetes objects
//! gain the fields the API server adds (uid, resourceVersion, defaults, status), static IPs are
//! recorded and assigned, DNS records and their ownership records exist. Used to check that a plan
//! converges (planning again finds nothing) and to build the example live snapshot.

use std::net::Ipv4Addr;

use serde_json::{Value, json};

use super::{DnsRecord, Eni, LiveObject, LiveState, StaticIp};
use crate::plan::kubernetes::identity;
use crate::plan::{Action, Plan, Provider, Step};

/// `live` after every step of `plan`.
#[must_use]
pub fn simulate_apply(plan: &Plan, live: &LiveState) -> LiveState {
    let mut next = live.clone();
    // Every write gives a resourceVersion never given before, as the API server does.
    let written = live
        .objects
        .iter()
        .filter_map(|o| o.resource_version()?.parse::<usize>().ok())
        .max()
        .map_or(0, |newest| newest.saturating_sub(999));
    for (i, step) in plan.steps.iter().enumerate() {
        match step.provider {
            Provider::Kubernetes => kubernetes(step, written + i, &mut next),
            Provider::Ec2 => ec2(step, &mut next),
            Provider::Route53 => route53(step, &mut next),
        }
    }
    next
}

/// A manifest as the API server returns it.
#[must_use]
pub fn as_served(manifest: &Value, serial: usize) -> Value {
    let mut object = manifest.clone();
    if let Some(metadata) = object["metadata"].as_object_mut() {
        metadata.insert(
            "uid".to_owned(),
            json!(format!("00000000-0000-4000-8000-{serial:012}")),
        );
        metadata.insert(
            "resourceVersion".to_owned(),
            json!((1000 + serial).to_string()),
        );
        metadata.insert(
            "creationTimestamp".to_owned(),
            json!("2026-11-01T09:00:00Z"),
        );
        metadata.insert("generation".to_owned(), json!(1));
    }
    if object["kind"] == "StatefulSet" {
        object["spec"]["template"]["spec"]["schedulerName"] = json!("default-scheduler");
        object["spec"]["template"]["spec"]["restartPolicy"] = json!("Always");
        object["status"] = json!({"replicas": object["spec"]["replicas"], "readyReplicas": object["spec"]["replicas"]});
    }
    if object["kind"] == "Service" {
        object["spec"]["type"] = json!("ClusterIP");
        object["spec"]["sessionAffinity"] = json!("None");
    }
    object
}

fn kubernetes(step: &Step, serial: usize, live: &mut LiveState) {
    match step.action {
        Action::Create | Action::Update | Action::Replace | Action::RunJob => {
            let Some(after) = &step.after else { return };
            let key = identity(after);
            live.objects.retain(|o| !is(o, &key));
            live.objects.push(as_served(after, serial).into());
        }
        Action::Delete => {
            if let Some(before) = &step.before {
                let key = identity(before);
                live.objects.retain(|o| !is(o, &key));
            }
        }
        Action::ExpandVolume => {
            let Some(before) = &step.before else { return };
            let key = identity(before);
            let size = step
                .after
                .as_ref()
                .map(|a| a["spec"]["resources"]["requests"]["storage"].clone());
            for object in live.objects.iter_mut().filter(|o| is(o, &key)) {
                if let Some(size) = &size {
                    object.edit(|o| {
                        o["spec"]["resources"]["requests"]["storage"] = size.clone();
                        o["metadata"]["resourceVersion"] = json!((1000 + serial).to_string());
                    });
                }
            }
        }
        Action::RestartMember => {
            let member = step.resource.rsplit('/').next().unwrap_or_default();
            let hash = step
                .after
                .as_ref()
                .and_then(|a| a["configHash"].as_str())
                .map(str::to_owned);
            for placement in live.members.iter_mut().filter(|p| p.member == member) {
                placement.config_hash.clone_from(&hash);
            }
        }
        _ => {}
    }
}

/// True when `object` is the object `key` names.
fn is(object: &LiveObject, key: &(String, String, String)) -> bool {
    object.key() == (key.0.as_str(), key.1.as_str(), key.2.as_str())
}

fn ip_of(value: Option<&Value>) -> Option<Ipv4Addr> {
    value
        .and_then(|v| v["ip"].as_str())
        .and_then(|ip| ip.parse().ok())
}

fn ec2(step: &Step, live: &mut LiveState) {
    match step.action {
        Action::AllocateIp => {
            let (Some(after), Some(service)) = (&step.after, &step.service) else {
                return;
            };
            let (Some(ip), Some(member), Some(subnet)) = (
                ip_of(Some(after)),
                after["member"].as_str(),
                after["subnetId"].as_str(),
            ) else {
                return;
            };
            live.static_ips.insert(
                member.to_owned(),
                StaticIp {
                    ip,
                    service: service.clone(),
                    subnet_id: subnet.to_owned(),
                },
            );
        }
        Action::AssignIp | Action::MoveIp => {
            let Some(ip) = ip_of(step.after.as_ref()) else {
                return;
            };
            let node = step
                .after
                .as_ref()
                .and_then(|a| a["node"].as_str())
                .unwrap_or_default()
                .to_owned();
            forget_ip(live, ip);
            if let Some(eni) = live
                .nodes
                .iter_mut()
                .find(|n| n.name == node)
                .and_then(|n| n.eni.as_mut())
            {
                eni.secondary_ips.push(ip);
            }
        }
        Action::ReleaseIp => {
            let Some(before) = &step.before else { return };
            if let Some(member) = before["member"].as_str() {
                live.static_ips.remove(member);
            }
            if let Some(ip) = ip_of(Some(before)) {
                forget_ip(live, ip);
            }
        }
        Action::Create => {
            let node = step.after.as_ref().and_then(|a| a["node"].as_str());
            if let Some(node) = live
                .nodes
                .iter_mut()
                .find(|n| Some(n.name.as_str()) == node)
            {
                node.eni.get_or_insert_with(|| Eni {
                    id: format!("eni-of-{}", node.name),
                    secondary_ips: Vec::new(),
                });
            }
        }
        Action::Delete => {
            let eni = step.before.as_ref().and_then(|b| b["eni"].as_str());
            live.stray_interfaces
                .retain(|s| Some(s.eni.id.as_str()) != eni);
            for node in &mut live.nodes {
                if node.eni.as_ref().map(|e| e.id.as_str()) == eni {
                    node.eni = None;
                }
            }
        }
        _ => {}
    }
}

/// Takes `ip` off every interface that holds it.
fn forget_ip(live: &mut LiveState, ip: Ipv4Addr) {
    let enis = live
        .nodes
        .iter_mut()
        .filter_map(|n| n.eni.as_mut())
        .chain(live.stray_interfaces.iter_mut().map(|s| &mut s.eni));
    for eni in enis {
        eni.secondary_ips.retain(|held| *held != ip);
    }
}

fn route53(step: &Step, live: &mut LiveState) {
    let name = step.resource.trim_start_matches("A ").to_owned();
    live.dns_records.retain(|r| r.name != name);
    let Some(after) = &step.after else { return };
    let values = after["values"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let ttl = u32::try_from(after["ttl"].as_u64().unwrap_or(0)).unwrap_or(u32::MAX);
    live.dns_records.push(DnsRecord {
        name: name.clone(),
        record_type: "A".to_owned(),
        ttl,
        values,
    });
    let owner = after["owner"].as_str().unwrap_or_default().to_owned();
    live.dns_records.push(DnsRecord {
        name,
        record_type: "TXT".to_owned(),
        ttl,
        values: vec![owner],
    });
}

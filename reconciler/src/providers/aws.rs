//! The AWS side of the live model and of a plan: subnets' used addresses, delegated prefixes and
//! explicit reservations, the nodes' ENIs and the zone's records read through firecamp-aws; EC2 and Route53 steps carried out in plan order.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use aws_config::SdkConfig;
use firecamp_aws::ec2::interfaces::InterfaceFor;
use firecamp_aws::route53::{RecordChange, RecordSet};
use firecamp_aws::{
    AwsError, AwsSettings, CallCounter, Ec2Provider, NetworkInterface, Route53Provider,
};
use firecamp_schema::spec::ClusterDocument;
use serde_json::Value;

use crate::live::{DnsRecord, Eni, LiveState, StrayInterface, Subnet};
use crate::plan::{Action, Plan, Provider, Step};

/// The AWS providers of one cluster, sharing one call counter.
#[derive(Debug)]
pub struct AwsProviders {
    /// EC2 (static IPs).
    pub ec2: Ec2Provider,
    /// Route53 (member records).
    pub route53: Route53Provider,
    /// Every call made.
    pub counter: CallCounter,
}

impl AwsProviders {
    /// Providers on an SDK configuration, counting their calls into `counter`.
    #[must_use]
    pub fn new(config: &SdkConfig, settings: &AwsSettings, counter: CallCounter) -> Self {
        Self {
            ec2: Ec2Provider::new(config, settings, counter.clone()),
            route53: Route53Provider::new(config, settings, counter.clone()),
            counter,
        }
    }

    /// The cluster's private zone id (created when missing).
    ///
    /// # Errors
    /// A failed call.
    pub async fn zone(&self, cluster: &ClusterDocument) -> Result<String, AwsError> {
        let spec = &cluster.spec;
        self.route53
            .zone(
                &spec.domain(&cluster.metadata.name),
                &spec.vpc_id,
                &spec.region,
            )
            .await
    }

    /// Fills `live.subnets`, each node's static-IP interface (this owner's, by its instance id),
    /// the stray ones and `live.dns_records`.
    ///
    /// # Errors
    /// A failed call.
    pub async fn read_into(
        &self,
        cluster: &ClusterDocument,
        live: &mut LiveState,
    ) -> Result<(), AwsError> {
        let subnet_ids: Vec<String> = cluster
            .spec
            .zones
            .iter()
            .map(|z| z.subnet_id.clone())
            .collect();
        let reserved: Vec<String> = cluster
            .spec
            .zones
            .iter()
            .filter(|z| z.reserved_cidr.is_some())
            .map(|z| z.subnet_id.clone())
            .collect();
        let (usage, interfaces) = self.ec2.read(&subnet_ids, &reserved).await?;
        live.subnets = usage
            .into_iter()
            .map(|s| Subnet {
                id: s.id,
                cidr: s.cidr,
                used_ips: s.used_ips,
                prefixes: s.prefixes,
                reservations: s.reservations,
                unowned_interfaces: s.unowned_interfaces,
            })
            .collect();
        let (on_nodes, stray) = owned_interfaces(&interfaces, live);
        for node in &mut live.nodes {
            node.eni = on_nodes.get(node.instance_id.as_str()).cloned();
        }
        live.stray_interfaces = stray;
        let zone = self.zone(cluster).await?;
        live.dns_records = self
            .route53
            .read(&zone)
            .await?
            .into_iter()
            .map(dns_record)
            .collect();
        Ok(())
    }

    /// Reads again what members moving between nodes AWS was read for can change: the ENIs of
    /// `nodes` (the nodes they left and joined) and the records of `members`. `live` holds the
    /// last full reading; subnets' usage is kept (a move assigns no new address).
    ///
    /// # Errors
    /// A failed call.
    pub async fn refresh_moved(
        &self,
        cluster: &ClusterDocument,
        live: &mut LiveState,
        nodes: &BTreeSet<String>,
        members: &BTreeSet<String>,
    ) -> Result<(), AwsError> {
        let eni_ids: Vec<String> = live
            .nodes
            .iter()
            .filter(|n| nodes.contains(&n.name))
            .filter_map(|n| n.eni.as_ref().map(|e| e.id.clone()))
            .collect();
        for eni in self.ec2.read_interfaces(&eni_ids).await? {
            if let Some(held) = live
                .nodes
                .iter_mut()
                .filter_map(|n| n.eni.as_mut())
                .find(|e| e.id == eni.id)
            {
                held.secondary_ips = eni.secondary_ips;
            }
        }
        if members.is_empty() {
            return Ok(());
        }
        let domain = cluster.spec.domain(&cluster.metadata.name);
        let names: Vec<String> = members.iter().map(|m| format!("{m}.{domain}")).collect();
        let zone = self.zone(cluster).await?;
        let records = self.route53.read_names(&zone, &names).await?;
        live.dns_records
            .retain(|r| !names.iter().any(|n| n.eq_ignore_ascii_case(&r.name)));
        live.dns_records.extend(records.into_iter().map(dns_record));
        Ok(())
    }

    /// Carries out the plan's EC2 and Route53 steps in plan order; record changes go in as few
    /// batches as AWS allows. `live` is the state the plan was made from (for the values of
    /// records to delete and the ENIs that hold released addresses).
    ///
    /// # Errors
    /// The first failed EC2 step, or the record names that could not be changed.
    pub async fn apply(
        &self,
        cluster: &ClusterDocument,
        plan: &Plan,
        live: &LiveState,
    ) -> Result<(), AwsError> {
        for step in plan.steps.iter().filter(|s| s.provider == Provider::Ec2) {
            self.run_ec2_step(step, live).await?;
        }
        let records: Vec<&Step> = plan
            .steps
            .iter()
            .filter(|s| s.provider == Provider::Route53)
            .collect();
        self.change_records(cluster, &records, live).await
    }

    /// Carries out Route53 steps in as few change batches as AWS allows.
    ///
    /// # Errors
    /// [`AwsError::Records`] with the names that could not be changed (the others are), or the
    /// zone lookup's failure.
    pub async fn change_records(
        &self,
        cluster: &ClusterDocument,
        steps: &[&Step],
        live: &LiveState,
    ) -> Result<(), AwsError> {
        let changes: Vec<RecordChange> =
            steps.iter().flat_map(|s| record_changes(s, live)).collect();
        if changes.is_empty() {
            return Ok(());
        }
        let zone = self.zone(cluster).await?;
        self.route53.change(&zone, &changes).await
    }

    /// Carries out one EC2 step (allocations are records in Kubernetes: nothing to do here).
    ///
    /// # Errors
    /// The failed call, naming the member, ENI and IP.
    pub async fn run_ec2_step(&self, step: &Step, live: &LiveState) -> Result<(), AwsError> {
        let member = step.id.rsplit('/').next().unwrap_or_default();
        let ip = |value: Option<&Value>| {
            value
                .and_then(|v| v["ip"].as_str())
                .and_then(|ip| ip.parse::<Ipv4Addr>().ok())
        };
        let eni = |value: Option<&Value>| value.and_then(|v| v["eni"].as_str()).map(str::to_owned);
        match step.action {
            Action::AssignIp => {
                if let Some(address) = ip(step.after.as_ref()) {
                    let to = self.target_interface(step, live).await?;
                    self.ec2.assign(member, &to, address).await?;
                }
            }
            Action::MoveIp => {
                if let Some(address) = ip(step.after.as_ref()) {
                    let to = self.target_interface(step, live).await?;
                    self.ec2
                        .move_ip(member, eni(step.before.as_ref()).as_deref(), &to, address)
                        .await?;
                }
            }
            Action::ReleaseIp => {
                if let Some(address) = ip(step.before.as_ref())
                    && let Some(holder) = live
                        .interfaces()
                        .find(|e| e.secondary_ips.contains(&address))
                {
                    self.ec2.unassign(member, &holder.id, address).await?;
                }
            }
            Action::Create => {
                if let Some(after) = &step.after {
                    self.create_interface(after).await?;
                }
            }
            Action::Delete => {
                if let Some(before) = &step.before {
                    self.delete_interface(before).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The interface an assign or move goes to: the step's, or, when the plan made it, the one
    /// of this owner now attached to the step's instance (read again).
    async fn target_interface(&self, step: &Step, live: &LiveState) -> Result<String, AwsError> {
        let after = step.after.as_ref();
        if let Some(id) = after.and_then(|a| a["eni"].as_str()) {
            return Ok(id.to_owned());
        }
        let instance = after
            .and_then(|a| a["instanceId"].as_str())
            .unwrap_or_default();
        let owner = live.owner.as_deref().unwrap_or_default();
        self.ec2
            .owned_interfaces(owner)
            .await?
            .into_iter()
            .find(|e| e.instance_id.as_deref() == Some(instance))
            .map(|e| e.id)
            .ok_or_else(|| AwsError::NoInterface(instance.to_owned()))
    }

    /// Makes and attaches the interface a Create step describes.
    async fn create_interface(&self, after: &Value) -> Result<(), AwsError> {
        let text = |key: &str| after[key].as_str().unwrap_or_default();
        let groups: Vec<String> = after["securityGroupIds"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| g.as_str().map(str::to_owned))
            .collect();
        self.ec2
            .create_interface(&InterfaceFor {
                owner: text("owner"),
                cluster: text("cluster"),
                node: text("node"),
                instance_id: text("instanceId"),
                subnet_id: text("subnetId"),
                primary_ip: text("primaryIp").parse().ok(),
                security_groups: &groups,
            })
            .await
            .map(drop)
    }

    /// Deletes the interface a Delete step names, as EC2 describes it now (it may have been
    /// detached or deleted since the plan was made); refused unless it still carries this
    /// owner's tag and holds no secondary address (the plan moved them all off first).
    async fn delete_interface(&self, before: &Value) -> Result<(), AwsError> {
        let id = before["eni"].as_str().unwrap_or_default();
        let owner = before["owner"].as_str();
        let found = match self.ec2.read_interfaces(&[id.to_owned()]).await {
            Ok(found) => found,
            Err(e) if e.code() == Some("InvalidNetworkInterfaceID.NotFound") => return Ok(()),
            Err(e) => return Err(e),
        };
        for eni in &found {
            if eni.owner.as_deref() != owner {
                return Err(AwsError::NotOwned(eni.id.clone()));
            }
            if !eni.secondary_ips.is_empty() {
                return Err(AwsError::StillHolds {
                    id: eni.id.clone(),
                    ips: eni.secondary_ips.clone(),
                });
            }
            self.ec2.delete_interface(eni).await?;
        }
        Ok(())
    }
}

/// This owner's static-IP interfaces among `interfaces`: those on a node of `live` (by instance
/// id, never at device index 0), and the stray ones.
fn owned_interfaces(
    interfaces: &[NetworkInterface],
    live: &LiveState,
) -> (BTreeMap<String, Eni>, Vec<StrayInterface>) {
    let Some(owner) = live.owner.as_deref() else {
        return (BTreeMap::new(), Vec::new());
    };
    let instances: BTreeSet<&str> = live.nodes.iter().map(|n| n.instance_id.as_str()).collect();
    let mut on_nodes = BTreeMap::new();
    let mut stray = Vec::new();
    for found in interfaces
        .iter()
        .filter(|e| e.owner.as_deref() == Some(owner))
    {
        let eni = Eni {
            id: found.id.clone(),
            secondary_ips: found.secondary_ips.clone(),
        };
        match found.instance_id.as_deref() {
            Some(instance)
                if instances.contains(instance) && found.device_index.unwrap_or(0) >= 1 =>
            {
                on_nodes.entry(instance.to_owned()).or_insert(eni);
            }
            instance => stray.push(StrayInterface {
                eni,
                instance_id: instance.map(str::to_owned),
            }),
        }
    }
    (on_nodes, stray)
}

/// The record changes of a Route53 step: the A record and its ownership TXT record.
fn record_changes(step: &Step, live: &LiveState) -> Vec<RecordChange> {
    let set = |value: &Value, record_type: &str, values: Vec<String>| RecordSet {
        name: value["name"].as_str().unwrap_or_default().to_owned(),
        record_type: record_type.to_owned(),
        ttl: u32::try_from(value["ttl"].as_u64().unwrap_or(0)).unwrap_or(0),
        values,
    };
    let strings = |value: &Value| {
        value
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    match (step.action, &step.before, &step.after) {
        (Action::Create, _, Some(after)) => vec![
            RecordChange::Create(set(after, "A", strings(&after["values"]))),
            RecordChange::Create(set(
                after,
                "TXT",
                vec![after["owner"].as_str().unwrap_or_default().to_owned()],
            )),
        ],
        (Action::Update, _, Some(after)) => vec![
            RecordChange::Upsert(set(after, "A", strings(&after["values"]))),
            RecordChange::Upsert(set(
                after,
                "TXT",
                vec![after["owner"].as_str().unwrap_or_default().to_owned()],
            )),
        ],
        (Action::Delete, Some(before), _) => {
            let name = before["name"].as_str().unwrap_or_default();
            let mut changes = vec![RecordChange::Delete(set(
                before,
                "A",
                strings(&before["values"]),
            ))];
            if let Some(txt) = live
                .dns_records
                .iter()
                .find(|r| r.record_type == "TXT" && r.name == name)
            {
                changes.push(RecordChange::Delete(RecordSet {
                    name: txt.name.clone(),
                    record_type: "TXT".to_owned(),
                    ttl: txt.ttl,
                    values: txt.values.clone(),
                }));
            }
            changes
        }
        _ => Vec::new(),
    }
}

/// A record set as the live model keeps it.
fn dns_record(set: RecordSet) -> DnsRecord {
    DnsRecord {
        name: set.name,
        record_type: set.record_type,
        ttl: set.ttl,
        values: set.values,
    }
}

//! The AWS side of the live model and of a plan: subnets' used addresses, delegated prefixes and
//! explicit reservations, the nodes' ENIs and the zone's records read through firecamp-aws; EC2 and Route53 steps carried out in plan order.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use aws_config::SdkConfig;
use firecamp_aws::route53::{RecordChange, RecordSet};
use firecamp_aws::{AwsError, AwsSettings, CallCounter, Ec2Provider, Route53Provider};
use firecamp_schema::spec::ClusterDocument;
use serde_json::Value;

use crate::live::{DnsRecord, Eni, LiveState, Subnet};
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

    /// Fills `live.subnets`, each node's ENI (by its instance id) and `live.dns_records`.
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
            })
            .collect();
        for node in &mut live.nodes {
            if let Some(eni) = self.ec2.eni_of(&interfaces, &node.instance_id) {
                node.eni = Eni {
                    id: eni.id.clone(),
                    secondary_ips: eni.secondary_ips.clone(),
                };
            }
        }
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
            .filter(|n| nodes.contains(&n.name) && !n.eni.id.is_empty())
            .map(|n| n.eni.id.clone())
            .collect();
        for eni in self.ec2.read_interfaces(&eni_ids).await? {
            if let Some(node) = live.nodes.iter_mut().find(|n| n.eni.id == eni.id) {
                node.eni.secondary_ips = eni.secondary_ips;
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
                if let (Some(address), Some(to)) =
                    (ip(step.after.as_ref()), eni(step.after.as_ref()))
                {
                    self.ec2.assign(member, &to, address).await?;
                }
            }
            Action::MoveIp => {
                if let (Some(address), Some(to)) =
                    (ip(step.after.as_ref()), eni(step.after.as_ref()))
                {
                    self.ec2
                        .move_ip(member, eni(step.before.as_ref()).as_deref(), &to, address)
                        .await?;
                }
            }
            Action::ReleaseIp => {
                if let Some(address) = ip(step.before.as_ref())
                    && let Some(holder) = live
                        .nodes
                        .iter()
                        .find(|n| n.eni.secondary_ips.contains(&address))
                {
                    self.ec2.unassign(member, &holder.eni.id, address).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }
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

//! Route53: the cluster's private hosted zone (found by name and VPC, else created), its record
//! sets read 300 at a time, and changes sent in as few batches as AWS allows: at most 1,000
//! resource records and 32,000 value characters a request, an UPSERT counting twice. A name's
//! changes always travel together; when a batch is rejected, it is split by name and retried, and
//! the names that still fail are reported without holding back the others.

use std::sync::Mutex;

use aws_config::SdkConfig;
use aws_sdk_route53::Client;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, HostedZoneConfig, ResourceRecord, ResourceRecordSet, RrType,
    Vpc, VpcRegion,
};

use crate::calls::{CallCounter, RateLimiter};
use crate::error::AwsError;
use crate::settings::AwsSettings;

const PROVIDER: &str = "route53";
/// Resource records a ChangeResourceRecordSets request may carry.
pub const MAX_RECORDS: usize = 1_000;
/// Value characters a request may carry.
pub const MAX_CHARACTERS: usize = 32_000;

/// A record set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSet {
    /// Name, without the final dot.
    pub name: String,
    /// `A` or `TXT`.
    pub record_type: String,
    /// TTL in seconds.
    pub ttl: u32,
    /// Values (TXT values quoted).
    pub values: Vec<String>,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordChange {
    /// A new record set (fails if it exists).
    Create(RecordSet),
    /// Create or replace.
    Upsert(RecordSet),
    /// Delete (the set must match what exists).
    Delete(RecordSet),
}

impl RecordChange {
    fn set(&self) -> &RecordSet {
        match self {
            Self::Create(s) | Self::Upsert(s) | Self::Delete(s) => s,
        }
    }

    /// Resource records and value characters it counts for, an UPSERT twice.
    #[must_use]
    pub fn weight(&self) -> (usize, usize) {
        let set = self.set();
        let records = set.values.len();
        let characters: usize = set.values.iter().map(String::len).sum();
        match self {
            Self::Upsert(_) => (2 * records, 2 * characters),
            _ => (records, characters),
        }
    }
}

/// Groups changes by name (in first-seen order) and packs whole names into batches within the
/// limits. A single name too large for a batch gets one of its own (AWS will refuse it).
#[must_use]
pub fn batches(changes: &[RecordChange]) -> Vec<Vec<RecordChange>> {
    let mut names: Vec<(&str, Vec<&RecordChange>)> = Vec::new();
    for change in changes {
        match names
            .iter_mut()
            .find(|(name, _)| *name == change.set().name)
        {
            Some((_, group)) => group.push(change),
            None => names.push((&change.set().name, vec![change])),
        }
    }
    let mut result: Vec<Vec<RecordChange>> = Vec::new();
    let (mut records, mut characters) = (0, 0);
    for (_, group) in names {
        let (r, c) = group
            .iter()
            .map(|g| g.weight())
            .fold((0, 0), |(a, b), (x, y)| (a + x, b + y));
        if result.is_empty() || records + r > MAX_RECORDS || characters + c > MAX_CHARACTERS {
            result.push(Vec::new());
            (records, characters) = (0, 0);
        }
        if let Some(batch) = result.last_mut() {
            batch.extend(group.into_iter().cloned());
        }
        records += r;
        characters += c;
    }
    result
}

/// The Route53 provider.
#[derive(Debug)]
pub struct Route53Provider {
    client: Client,
    limiter: RateLimiter,
    counter: CallCounter,
    zone: Mutex<Option<String>>,
}

fn fqdn(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

impl Route53Provider {
    /// A provider on `config`, counting into `counter`.
    #[must_use]
    pub fn new(config: &SdkConfig, settings: &AwsSettings, counter: CallCounter) -> Self {
        Self {
            client: Client::new(config),
            limiter: RateLimiter::new(
                settings.route53_per_second,
                settings.route53_per_second.max(1.0),
            ),
            counter,
            zone: Mutex::new(None),
        }
    }

    async fn call(&self, operation: &str) {
        self.limiter.acquire().await;
        self.counter.count(PROVIDER, operation);
    }

    /// The id of the private zone `domain` associated with `vpc_id`, created when missing; found
    /// once, then remembered.
    ///
    /// # Errors
    /// A failed call.
    pub async fn zone(&self, domain: &str, vpc_id: &str, region: &str) -> Result<String, AwsError> {
        if let Some(id) = self.zone.lock().ok().and_then(|z| z.clone()) {
            return Ok(id);
        }
        let wanted = fqdn(domain);
        self.call("ListHostedZonesByName").await;
        let listed = self
            .client
            .list_hosted_zones_by_name()
            .dns_name(&wanted)
            .send()
            .await
            .map_err(|e| AwsError::call("ListHostedZonesByName", format!("zone {domain}"), &e))?;
        for zone in listed
            .hosted_zones()
            .iter()
            .filter(|z| z.name() == wanted && z.config().is_some_and(|c| c.private_zone()))
        {
            self.call("GetHostedZone").await;
            let details = self
                .client
                .get_hosted_zone()
                .id(zone.id())
                .send()
                .await
                .map_err(|e| AwsError::call("GetHostedZone", format!("zone {domain}"), &e))?;
            if details.vpcs().iter().any(|v| v.vpc_id() == Some(vpc_id)) {
                return Ok(self.remember(zone.id()));
            }
        }
        self.call("CreateHostedZone").await;
        let created = self
            .client
            .create_hosted_zone()
            .name(&wanted)
            .caller_reference(format!("firecamp-{domain}-{vpc_id}"))
            .hosted_zone_config(
                HostedZoneConfig::builder()
                    .private_zone(true)
                    .comment("firecamp members")
                    .build(),
            )
            .vpc(
                Vpc::builder()
                    .vpc_id(vpc_id)
                    .vpc_region(VpcRegion::from(region))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| {
                AwsError::call(
                    "CreateHostedZone",
                    format!("zone {domain}, VPC {vpc_id}"),
                    &e,
                )
            })?;
        let id = created
            .hosted_zone()
            .map(|z| z.id().to_owned())
            .ok_or(AwsError::Missing {
                operation: "CreateHostedZone",
                what: "hosted zone",
            })?;
        Ok(self.remember(&id))
    }

    fn remember(&self, id: &str) -> String {
        if let Ok(mut zone) = self.zone.lock() {
            *zone = Some(id.to_owned());
        }
        id.to_owned()
    }

    /// Every A and TXT record set of the zone, 300 per call.
    ///
    /// # Errors
    /// A failed call.
    pub async fn read(&self, zone_id: &str) -> Result<Vec<RecordSet>, AwsError> {
        let mut records = Vec::new();
        let mut start: Option<(String, RrType, Option<String>)> = None;
        loop {
            self.call("ListResourceRecordSets").await;
            let mut request = self
                .client
                .list_resource_record_sets()
                .hosted_zone_id(zone_id)
                .max_items(300);
            if let Some((name, kind, identifier)) = start.take() {
                request = request
                    .start_record_name(name)
                    .start_record_type(kind)
                    .set_start_record_identifier(identifier);
            }
            let page = request.send().await.map_err(|e| {
                AwsError::call("ListResourceRecordSets", format!("zone {zone_id}"), &e)
            })?;
            for set in page.resource_record_sets() {
                if !matches!(set.r#type(), RrType::A | RrType::Txt) {
                    continue;
                }
                records.push(RecordSet {
                    name: set.name().trim_end_matches('.').to_owned(),
                    record_type: set.r#type().as_str().to_owned(),
                    ttl: u32::try_from(set.ttl().unwrap_or(0)).unwrap_or(0),
                    values: set
                        .resource_records()
                        .iter()
                        .map(|r| r.value().to_owned())
                        .collect(),
                });
            }
            if !page.is_truncated() {
                break;
            }
            let name = page
                .next_record_name()
                .map(str::to_owned)
                .ok_or(AwsError::Missing {
                    operation: "ListResourceRecordSets",
                    what: "next record name",
                })?;
            let kind = page.next_record_type().cloned().ok_or(AwsError::Missing {
                operation: "ListResourceRecordSets",
                what: "next record type",
            })?;
            start = Some((name, kind, page.next_record_identifier().map(str::to_owned)));
        }
        Ok(records)
    }

    /// Applies `changes` in as few batches as the limits allow; a rejected batch is split by name.
    ///
    /// # Errors
    /// [`AwsError::Records`] with the names that still failed (the others are applied).
    pub async fn change(&self, zone_id: &str, changes: &[RecordChange]) -> Result<(), AwsError> {
        let mut failed = Vec::new();
        for batch in batches(changes) {
            if self.send(zone_id, &batch).await.is_ok() {
                continue;
            }
            for single in batches_by_name(&batch) {
                if let Err(error) = self.send(zone_id, &single).await {
                    failed.push((single[0].set().name.clone(), error.to_string()));
                }
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(AwsError::Records(failed))
        }
    }

    async fn send(&self, zone_id: &str, batch: &[RecordChange]) -> Result<(), AwsError> {
        let changes = batch
            .iter()
            .map(|change| {
                let action = match change {
                    RecordChange::Create(_) => ChangeAction::Create,
                    RecordChange::Upsert(_) => ChangeAction::Upsert,
                    RecordChange::Delete(_) => ChangeAction::Delete,
                };
                let set = change.set();
                let records: Vec<ResourceRecord> = set
                    .values
                    .iter()
                    .filter_map(|v| ResourceRecord::builder().value(v).build().ok())
                    .collect();
                let record_set = ResourceRecordSet::builder()
                    .name(fqdn(&set.name))
                    .r#type(RrType::from(set.record_type.as_str()))
                    .ttl(i64::from(set.ttl))
                    .set_resource_records(Some(records))
                    .build()
                    .map_err(|e| invalid_input(&set.name, &e))?;
                Change::builder()
                    .action(action)
                    .resource_record_set(record_set)
                    .build()
                    .map_err(|e| invalid_input(&set.name, &e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let batch_input = ChangeBatch::builder()
            .set_changes(Some(changes))
            .build()
            .map_err(|e| invalid_input(&format!("zone {zone_id}"), &e))?;
        self.call("ChangeResourceRecordSets").await;
        self.client
            .change_resource_record_sets()
            .hosted_zone_id(zone_id)
            .change_batch(batch_input)
            .send()
            .await
            .map_err(|e| {
                AwsError::call(
                    "ChangeResourceRecordSets",
                    format!("zone {zone_id}, {} change(s)", batch.len()),
                    &e,
                )
            })?;
        Ok(())
    }
}

/// A change the SDK refused to build (an invalid name, type or value).
fn invalid_input(subject: &str, error: &impl std::fmt::Display) -> AwsError {
    AwsError::Call {
        operation: "ChangeResourceRecordSets",
        subject: subject.to_owned(),
        code: "InvalidInput".to_owned(),
        message: error.to_string(),
    }
}

/// One batch per name.
fn batches_by_name(changes: &[RecordChange]) -> Vec<Vec<RecordChange>> {
    let mut result: Vec<Vec<RecordChange>> = Vec::new();
    for change in changes {
        match result
            .iter_mut()
            .find(|b| b[0].set().name == change.set().name)
        {
            Some(batch) => batch.push(change.clone()),
            None => result.push(vec![change.clone()]),
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(name: &str) -> RecordSet {
        RecordSet {
            name: name.to_owned(),
            record_type: "A".to_owned(),
            ttl: 5,
            values: vec!["10.0.0.1".to_owned()],
        }
    }

    #[test]
    fn creations_pack_a_thousand_records_a_batch_and_upserts_count_twice() {
        let creates: Vec<RecordChange> = (0..2_500)
            .map(|i| RecordChange::Create(a(&format!("m{i}.x"))))
            .collect();
        assert_eq!(
            batches(&creates).iter().map(Vec::len).collect::<Vec<_>>(),
            [1_000, 1_000, 500]
        );
        let upserts: Vec<RecordChange> = (0..1_000)
            .map(|i| RecordChange::Upsert(a(&format!("m{i}.x"))))
            .collect();
        assert_eq!(batches(&upserts).len(), 2);
    }

    #[test]
    fn a_names_changes_stay_together_and_characters_are_limited() {
        let mut changes = Vec::new();
        for i in 0..600 {
            changes.push(RecordChange::Create(a(&format!("m{i}.x"))));
            changes.push(RecordChange::Create(RecordSet {
                record_type: "TXT".to_owned(),
                values: vec!["\"heritage=firecamp\"".to_owned()],
                ..a(&format!("m{i}.x"))
            }));
        }
        let packed = batches(&changes);
        assert!(
            packed.iter().all(|b| b.len() % 2 == 0),
            "A and TXT of a name in the same batch"
        );
        let long = RecordSet {
            record_type: "TXT".to_owned(),
            values: vec!["x".repeat(250)],
            ..a("long")
        };
        let many: Vec<RecordChange> = (0..300)
            .map(|i| {
                RecordChange::Create(RecordSet {
                    name: format!("l{i}"),
                    ..long.clone()
                })
            })
            .collect();
        assert!(
            batches(&many)
                .iter()
                .all(|b| b.iter().map(|c| c.weight().1).sum::<usize>() <= MAX_CHARACTERS)
        );
    }
}

//! Route53: the cluster's private hosted zone (found among the VPC's, else created), its record
//! sets read 300 at a time, and changes sent in as few batches as AWS allows: at most 1,000
//! resource records and 32,000 value characters a request, an UPSERT counting twice. A name's
//! changes always travel together; when a batch is refused for its content, it is split by name
//! and retried, and the names that still fail are reported without holding back the others; a
//! batch refused for anything else (throttling, access) is reported as it is. A name whose records
//! are already as wanted (a request that was applied but whose answer was lost) is done.

use std::sync::Mutex;

use aws_config::SdkConfig;
use aws_sdk_route53::Client;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};

mod batch;
mod zone;

pub use batch::{MAX_CHARACTERS, MAX_RECORDS, RecordChange, RecordSet, batches};

use crate::calls::{CallCounter, RateLimiter};
use crate::error::AwsError;
use crate::settings::AwsSettings;
use crate::throttles::ThrottleCounter;
use batch::batches_by_name;

const PROVIDER: &str = "route53";

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
        Self::with_client(Client::new(config), settings, counter)
    }

    /// A provider on a prepared client (e.g. one with extra interceptors).
    #[must_use]
    pub fn with_client(client: Client, settings: &AwsSettings, counter: CallCounter) -> Self {
        let client = Client::from_conf(
            client
                .config()
                .to_builder()
                .interceptor(ThrottleCounter::new(PROVIDER, counter.clone()))
                .build(),
        );
        Self {
            client,
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
                records.push(record_set(set));
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

    /// The A and TXT record sets named `names` (each without the trailing dot), read again: one
    /// call per name, starting the zone's listing at it.
    ///
    /// # Errors
    /// A failed call.
    pub async fn read_names(
        &self,
        zone_id: &str,
        names: &[String],
    ) -> Result<Vec<RecordSet>, AwsError> {
        let mut records = Vec::new();
        for name in names {
            self.call("ListResourceRecordSets").await;
            // Sets are listed by name, then type: a name's A and TXT sets come first from it.
            let page = self
                .client
                .list_resource_record_sets()
                .hosted_zone_id(zone_id)
                .start_record_name(format!("{name}."))
                .max_items(4)
                .send()
                .await
                .map_err(|e| {
                    AwsError::call(
                        "ListResourceRecordSets",
                        format!("zone {zone_id}, {name}"),
                        &e,
                    )
                })?;
            records.extend(
                page.resource_record_sets()
                    .iter()
                    .filter(|set| matches!(set.r#type(), RrType::A | RrType::Txt))
                    .map(record_set)
                    .filter(|set| set.name.eq_ignore_ascii_case(name)),
            );
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
            match self.send(zone_id, &batch).await {
                Ok(()) => continue,
                // AWS refuses a whole batch for one bad change: sent name by name, the others
                // go in.
                Err(error) if splits(&error) => {}
                // Throttling, access or server errors are not about one name: splitting would
                // only multiply the calls. The next plan sees what was applied.
                Err(error) => {
                    let names: std::collections::BTreeSet<&str> =
                        batch.iter().map(|c| c.set().name.as_str()).collect();
                    failed.extend(names.into_iter().map(|n| (n.to_owned(), error.to_string())));
                    continue;
                }
            }
            for single in batches_by_name(&batch) {
                if let Err(error) = self.send(zone_id, &single).await
                    && !self.already_applied(zone_id, &single).await
                {
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

    /// True when one name's record sets are already as `changes` want them. A request AWS
    /// carried out but whose answer was lost (throttled or failed on the way back) is retried by
    /// the SDK as a CREATE of what now exists or a DELETE of what is gone, and refused: it is
    /// done, not failed.
    async fn already_applied(&self, zone_id: &str, changes: &[RecordChange]) -> bool {
        let Some(name) = changes.first().map(|c| c.set().name.clone()) else {
            return true;
        };
        self.call("ListResourceRecordSets").await;
        let Ok(page) = self
            .client
            .list_resource_record_sets()
            .hosted_zone_id(zone_id)
            .start_record_name(fqdn(&name))
            .max_items(10)
            .send()
            .await
        else {
            return false;
        };
        let live: Vec<RecordSet> = page
            .resource_record_sets()
            .iter()
            .map(record_set)
            .filter(|set| set.name == name)
            .collect();
        changes.iter().all(|change| match change {
            RecordChange::Create(wanted) | RecordChange::Upsert(wanted) => {
                live.iter().any(|set| set == wanted)
            }
            RecordChange::Delete(gone) => {
                !live.iter().any(|set| set.record_type == gone.record_type)
            }
        })
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

/// True for the refusals that are about the batch's content, worth retrying name by name:
/// `InvalidChangeBatch` from Route53 ("This exception contains a list of messages that might
/// contain one or more error messages", ChangeResourceRecordSets), `InvalidInput` from the SDK.
fn splits(error: &AwsError) -> bool {
    matches!(error.code(), Some("InvalidChangeBatch" | "InvalidInput"))
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

/// A record set as the provider describes it.
fn record_set(set: &ResourceRecordSet) -> RecordSet {
    RecordSet {
        name: set.name().trim_end_matches('.').to_owned(),
        record_type: set.r#type().as_str().to_owned(),
        ttl: u32::try_from(set.ttl().unwrap_or(0)).unwrap_or(0),
        values: set
            .resource_records()
            .iter()
            .map(|r| r.value().to_owned())
            .collect(),
    }
}

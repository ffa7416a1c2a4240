//! The cluster's private hosted zone: found among the VPC's private zones, else created.

use aws_sdk_route53::types::{HostedZoneConfig, Vpc, VpcRegion};

use super::{Route53Provider, fqdn};
use crate::error::AwsError;

impl Route53Provider {
    /// The id of the private zone `domain` associated with `vpc_id`, created when missing; found
    /// once (ListHostedZonesByVPC: a VPC has at most one private zone of a name), then
    /// remembered.
    ///
    /// # Errors
    /// A failed call.
    pub async fn zone(&self, domain: &str, vpc_id: &str, region: &str) -> Result<String, AwsError> {
        if let Some(id) = self.zone.lock().ok().and_then(|z| z.clone()) {
            return Ok(id);
        }
        let wanted = fqdn(domain);
        if let Some(id) = self.zone_of_vpc(&wanted, vpc_id, region).await? {
            return Ok(self.remember(&id));
        }
        self.call("CreateHostedZone").await;
        let created = self
            .client
            .create_hosted_zone()
            .name(&wanted)
            .caller_reference(caller_reference())
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

    /// The private zone named `wanted` (fully qualified) among those associated with the VPC.
    async fn zone_of_vpc(
        &self,
        wanted: &str,
        vpc_id: &str,
        region: &str,
    ) -> Result<Option<String>, AwsError> {
        let mut token: Option<String> = None;
        loop {
            self.call("ListHostedZonesByVPC").await;
            let page = self
                .client
                .list_hosted_zones_by_vpc()
                .vpc_id(vpc_id)
                .vpc_region(VpcRegion::from(region))
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| {
                    AwsError::call(
                        "ListHostedZonesByVPC",
                        format!("zone {wanted}, VPC {vpc_id}"),
                        &e,
                    )
                })?;
            if let Some(zone) = page
                .hosted_zone_summaries()
                .iter()
                .find(|z| z.name().eq_ignore_ascii_case(wanted))
            {
                return Ok(Some(zone.hosted_zone_id().to_owned()));
            }
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                return Ok(None);
            }
        }
    }

    /// Remembers the zone id, in the `/hostedzone/<id>` form CreateHostedZone answers with.
    fn remember(&self, id: &str) -> String {
        let id = format!("/hostedzone/{}", id.trim_start_matches("/hostedzone/"));
        if let Ok(mut zone) = self.zone.lock() {
            *zone = Some(id.clone());
        }
        id
    }
}

/// A CallerReference no other CreateHostedZone request has used: Route53 refuses a reused one
/// (`HostedZoneAlreadyExists`) even after that zone was deleted, and one request keeps it across
/// the SDK's retries.
fn caller_reference() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("firecamp-{nanos}-{}", std::process::id())
}

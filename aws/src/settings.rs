//! Settings and SDK configuration: the standard credential chain (environment, profile, IRSA web
//! identity), an optional endpoint for emulators, adaptive retries.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// How the AWS providers behave.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsSettings {
    /// AWS region.
    pub region: String,
    /// Endpoint of an emulator or private endpoint (`--aws-endpoint-url`).
    pub endpoint_url: Option<String>,
    /// Route53 requests per second (the account's 5/s budget is shared by every tool).
    pub route53_per_second: f64,
    /// EC2 Assign/UnassignPrivateIpAddresses requests per second.
    pub ec2_per_second: f64,
    /// Attempts per call, the first included, with adaptive backoff on throttling and 5xx.
    pub max_attempts: u32,
}

impl AwsSettings {
    /// Defaults for `region`.
    #[must_use]
    pub fn new(region: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            endpoint_url: None,
            route53_per_second: 5.0,
            ec2_per_second: 5.0,
            max_attempts: 8,
        }
    }
}

/// The SDK configuration: the standard credential chain, the region, the endpoint override and
/// adaptive retries with jitter.
pub async fn sdk_config(settings: &AwsSettings) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .retry_config(RetryConfig::adaptive().with_max_attempts(settings.max_attempts));
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

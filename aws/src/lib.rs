//! firecamp's AWS providers: EC2 static IPs and Route53 records. They read in bulk (one paginated
//! call per kind, cached where nothing changes), do exactly the changes they are given, stay within
//! client-side rate limits, retry throttling and server errors, and count every call.

pub mod calls;
pub mod ec2;
pub mod error;
pub mod route53;
pub mod settings;
#[cfg(feature = "testing")]
pub mod testing;
pub mod throttles;

pub use calls::{CallCounter, RateLimiter};
pub use ec2::{Ec2Provider, NetworkInterface, SubnetUsage};
pub use error::AwsError;
pub use route53::{RecordChange, RecordSet, Route53Provider};
pub use settings::{AwsSettings, sdk_config};
pub use throttles::ThrottleCounter;

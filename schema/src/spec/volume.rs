//! EBS volumes for data and journals.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::quantity::Quantity;

/// An EBS volume type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VolumeType {
    /// General purpose SSD, IOPS and throughput set independently of size (the default).
    Gp3,
    /// General purpose SSD, IOPS grow with size.
    Gp2,
    /// Provisioned IOPS SSD.
    Io1,
    /// Provisioned IOPS SSD, higher durability.
    Io2,
    /// Throughput-optimised HDD (at least 125 GiB).
    St1,
    /// Cold HDD (at least 125 GiB).
    Sc1,
}

impl VolumeType {
    /// The name used by EBS and in specs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Gp3 => "gp3",
            Self::Gp2 => "gp2",
            Self::Io1 => "io1",
            Self::Io2 => "io2",
            Self::St1 => "st1",
            Self::Sc1 => "sc1",
        }
    }
}

/// A volume; every field may be left out to take the Cluster's `spec.defaults`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct VolumeSpec {
    /// Size, e.g. `100Gi`.
    pub size: Option<Quantity>,
    /// EBS volume type (default gp3).
    #[serde(rename = "type")]
    pub volume_type: Option<VolumeType>,
    /// Provisioned IOPS (gp3: 3000-16000, io1: up to 50 per GiB, io2: up to 500 per GiB).
    pub iops: Option<u32>,
    /// Provisioned throughput in MiB/s (gp3 only: 125-1000).
    pub throughput: Option<u32>,
    /// Encrypt the volume (default true).
    pub encrypted: Option<bool>,
}

impl VolumeSpec {
    /// This volume with every unset field taken from `defaults`.
    #[must_use]
    pub fn or(&self, defaults: Option<&Self>) -> Self {
        let Some(d) = defaults else {
            return self.clone();
        };
        Self {
            size: self.size.clone().or_else(|| d.size.clone()),
            volume_type: self.volume_type.or(d.volume_type),
            iops: self.iops.or(d.iops),
            throughput: self.throughput.or(d.throughput),
            encrypted: self.encrypted.or(d.encrypted),
        }
    }
}

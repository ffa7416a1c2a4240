//! The spec format: documents of `apiVersion: firecamp.io/v1alpha1`, one `Cluster` and any number
//! of service documents, one kind per catalog service.

pub mod cluster;
pub mod common;
pub mod kind;
pub mod patterns;
pub mod quantity;
pub mod resources;
pub(crate) mod rules;
pub mod secret;
pub mod service;
pub mod services;
pub(crate) mod text_rules;
pub mod volume;

use std::path::PathBuf;

use serde::Serialize;

pub use cluster::{ClusterSpec, InterfaceSource, StaticIpSpec, ZoneSpec};
pub use common::{API_VERSION, DeletionPolicy, Metadata};
pub use kind::{Service, ServiceKind};

use crate::diagnostic::Pos;

/// Where a document came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Source {
    /// The file.
    pub file: PathBuf,
    /// The position of the document's first line in the file.
    pub pos: Pos,
}

/// A valid `Cluster` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterDocument {
    /// Its metadata.
    pub metadata: Metadata,
    /// Its spec.
    pub spec: ClusterSpec,
    /// Where it is.
    pub source: Source,
}

/// A valid service document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceDocument {
    /// Its metadata (the service's name is `metadata.name`).
    pub metadata: Metadata,
    /// Its kind and spec.
    pub body: Service,
    /// Where it is.
    pub source: Source,
}

impl ServiceDocument {
    /// The service's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.metadata.name
    }
}

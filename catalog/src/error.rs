//! Why a service cannot be rendered. Validation rules out all of these for a valid spec set; the
//! catalog still checks, because it may be called on any input.

use firecamp_schema::spec::ServiceKind;

/// A render failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// A referenced service is missing or of the wrong kind.
    #[error(
        "service {service} references {kind} service \"{reference}\", which is not in the spec set"
    )]
    MissingReference {
        /// The referring service.
        service: String,
        /// The name it references.
        reference: String,
        /// The kind it needs.
        kind: ServiceKind,
    },
    /// The kind is not rendered by this version of the catalog.
    #[error("the catalog cannot render {kind} services yet")]
    Unsupported {
        /// The kind.
        kind: ServiceKind,
    },
}

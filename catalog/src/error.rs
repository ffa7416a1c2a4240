//! Why a service cannot be rendered. Validation rules these out for a valid spec set; the catalog
//! still checks, because it may be called on any input.

/// A render failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// A referenced service is missing or not of the kind the reference needs.
    #[error(
        "service {service} references \"{reference}\", which is not a service of the kind it needs"
    )]
    MissingReference {
        /// The referring service.
        service: String,
        /// The name it references.
        reference: String,
    },
}

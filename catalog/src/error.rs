//! Why a service cannot be rendered. Validation rules these out for a valid spec set; the catalog
//! still checks, because it may be called on any input.

use crate::formats::Unrepresentable;

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
    /// A spec value that a rendered file's format cannot hold as one value.
    #[error("{0}")]
    Unrepresentable(Box<UnwritableField>),
    /// A rendered ConfigMap larger than the API server accepts.
    #[error(
        "service {service}: its ConfigMap {config_map} would hold {bytes} bytes of files, more \
         than the {limit} bytes Kubernetes accepts; make the files or the number of members smaller"
    )]
    ConfigMapTooLarge {
        /// The service.
        service: String,
        /// The ConfigMap.
        config_map: String,
        /// The size of its values.
        bytes: usize,
        /// [`crate::object_limits::MAX_CONFIG_MAP_DATA`].
        limit: usize,
    },
}

/// A spec field whose value a rendered file's format cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("service {}: {field} cannot be written to {file}: {problem}", .service.escape_debug())]
pub struct UnwritableField {
    /// The service (shown escaped: it may be the value refused).
    pub service: String,
    /// The spec field.
    pub field: String,
    /// The rendered file.
    pub file: String,
    /// What the format cannot hold.
    pub problem: Unrepresentable,
}

impl RenderError {
    /// Makes an [`Unrepresentable`] of `service`'s `field` in `file` a render error.
    pub(crate) fn unrepresentable(
        service: &str,
        field: &str,
        file: &str,
    ) -> impl FnOnce(Unrepresentable) -> Self {
        move |problem| {
            Self::Unrepresentable(Box::new(UnwritableField {
                service: service.to_owned(),
                field: field.to_owned(),
                file: file.to_owned(),
                problem,
            }))
        }
    }
}

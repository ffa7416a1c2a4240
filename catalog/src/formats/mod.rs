//! Writers for the formats of the rendered files. A value from a spec reaches a config file or a
//! script only through one of these: each either writes the value so that the format's own parser
//! reads back exactly that value, or refuses a value the format cannot hold (the render then
//! fails with [`Unrepresentable`]). Validation refuses such values first, with the spec's line;
//! these make an injection impossible even where a rule is missing.

pub mod ini;
pub mod json;
pub mod pg_hba;
pub mod properties;
pub mod redis_conf;
pub mod shell;
pub mod toml;
pub mod yaml;

/// A value that a format cannot hold as one value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{format} cannot hold {reason}")]
pub struct Unrepresentable {
    /// The format.
    pub format: &'static str,
    /// What in the value it cannot hold.
    pub reason: &'static str,
}

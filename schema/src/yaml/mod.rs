//! A spanned YAML tree: every node and every mapping key keeps its line and column, so validation
//! can point at the exact place of a problem. Loading is bounded by [`crate::Limits`].

mod loader;
mod node;
mod scalar;

pub use loader::{LoadError, load_counted, load_documents};
pub use node::{Entry, Node, Value};

//! firecamp's spec format: the document types users write, their JSON Schema, and validation that
//! reports every problem with file, line, column and field.
//!
//! ```
//! use firecamp_schema::{Limits, validate::{SourceFile, validate_files}};
//! let text = "apiVersion: firecamp.io/v1alpha1\nkind: Cluster\nmetadata: {name: dev}\nspec:\n  region: us-east-1\n  vpcId: vpc-0a1b2c3d\n  zones: [{name: us-east-1a, subnetId: subnet-0a1b2c3d}]\n";
//! let validation = validate_files("specs".as_ref(), vec![SourceFile::in_memory("specs/cluster.yaml", text)], &Limits::default());
//! assert!(validation.is_valid(), "{:?}", validation.diagnostics);
//! ```

pub mod diagnostic;
pub mod json_schema;
pub mod limits;
pub mod path;
pub mod problem;
pub mod spec;
pub mod suggest;
pub mod topology;
pub mod validate;
pub mod yaml;

pub use diagnostic::{Diagnostic, Pos};
pub use limits::Limits;
pub use validate::{Validation, validate_path};

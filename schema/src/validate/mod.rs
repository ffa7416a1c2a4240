//! Validation of a spec set: every problem in every file, in one run.
//!
//! Order: read files (bounded) → load YAML (bounded) → per document: kind, structure against the
//! JSON Schema, typed value → the Cluster's rules → each service's rules → references, unique
//! names and cycles across documents. A document with any problem is left out of the result and
//! listed in [`Validation::rejected`], so later stages never act on it.

mod cluster_rules;
mod cross;
mod document;
mod keywords;
pub(crate) mod names;
mod reference_rules;
mod resource_rules;
mod service_rules;
mod set_rules;
mod source;
mod structural;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use source::{SourceError, SourceFile, read_specs};

use self::document::Typed;
use crate::diagnostic::Diagnostic;
use crate::limits::Limits;
use crate::spec::{ClusterDocument, ServiceDocument, Source};
use crate::yaml::load_counted;

/// A document left out of the valid set because it has problems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// Where it is.
    pub source: Source,
    /// Its `kind`, when readable.
    pub kind: Option<String>,
    /// Its `metadata.name`, when readable.
    pub name: Option<String>,
}

/// The result of validating a spec set.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Validation {
    /// The Cluster, when there is exactly one and it is valid.
    pub cluster: Option<ClusterDocument>,
    /// Valid services, by name.
    pub services: Vec<ServiceDocument>,
    /// Documents with problems: nothing may be done to the services they describe.
    pub rejected: Vec<Rejected>,
    /// Files that could not be read or parsed: any service may be described in them.
    pub broken_files: Vec<PathBuf>,
    /// Every problem, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Number of spec files read.
    pub files: usize,
    /// Number of non-empty documents.
    pub documents: usize,
}

impl Validation {
    /// True when no problem was found.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.diagnostics.is_empty()
    }
}

/// Reads and validates every spec file under `path` (a folder or one file).
///
/// # Errors
/// When `path` itself cannot be read; problems inside files are diagnostics.
pub fn validate_path(path: &Path, limits: &Limits) -> Result<Validation, SourceError> {
    let files = read_specs(path, limits)?;
    Ok(validate_files(path, files, limits))
}

/// Validates spec files already read; `root` names the spec set in set-wide diagnostics.
#[must_use]
pub fn validate_files(root: &Path, files: Vec<SourceFile>, limits: &Limits) -> Validation {
    let mut validation = Validation {
        files: files.len(),
        ..Validation::default()
    };
    let mut outcomes = Vec::new();
    // Nodes loaded so far: each file may use what the spec set's budget has left.
    let mut loaded = 0usize;
    for file in files {
        let text = match file.content {
            Ok(text) => text,
            Err(diagnostic) => {
                validation.diagnostics.push(diagnostic);
                validation.broken_files.push(file.path);
                continue;
            }
        };
        let left = limits.max_nodes_per_set.saturating_sub(loaded);
        let file_limits = Limits {
            max_nodes_per_file: limits.max_nodes_per_file.min(left),
            ..*limits
        };
        match load_counted(&text, &file_limits) {
            Ok((nodes, count)) => {
                loaded += count;
                let nodes = nodes
                    .into_iter()
                    .filter(|n| n.value != crate::yaml::Value::Null);
                outcomes.extend(nodes.map(|node| document::parse(&file.path, node)));
            }
            Err(e) => {
                let mut diagnostic = Diagnostic::new(&file.path, e.message)
                    .at(e.pos)
                    .hint(e.hint);
                diagnostic.field = e.field.map(|f| f.to_string());
                validation.diagnostics.push(diagnostic);
                validation.broken_files.push(file.path);
            }
        }
    }
    validation.documents = outcomes.len();
    set_rules::check_set(root, &mut outcomes, &mut validation);
    for outcome in outcomes {
        let valid = outcome.diagnostics.is_empty();
        validation.diagnostics.extend(outcome.diagnostics);
        match (valid, outcome.typed) {
            (true, Some(Typed::Cluster(metadata, spec))) => {
                validation.cluster = Some(ClusterDocument {
                    metadata,
                    spec,
                    source: outcome.source,
                });
            }
            (true, Some(Typed::Service(metadata, body))) => {
                validation.services.push(ServiceDocument {
                    metadata,
                    body,
                    source: outcome.source,
                });
            }
            _ => validation.rejected.push(Rejected {
                source: outcome.source,
                kind: outcome.kind,
                name: outcome.name,
            }),
        }
    }
    validation
        .services
        .sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    validation.diagnostics.sort();
    validation.diagnostics.dedup();
    validation
}

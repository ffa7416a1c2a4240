//! Validation of a spec set: every problem in every file, in one run.
//!
//! Order: read files (bounded) → load YAML (bounded) → per document: kind, structure against the
//! JSON Schema, typed value → the Cluster's rules → each service's rules → references, unique
//! names and cycles across documents. A document with any problem is left out of the result and
//! listed in [`Validation::rejected`], so later stages never act on it.

mod cluster_rules;
mod cross;
mod document;
mod names;
mod resource_rules;
mod service_rules;
mod source;
mod structural;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use source::{SourceError, SourceFile, read_specs};

use self::cross::{CrossProblem, Edge};
use self::document::{Outcome, Typed, diagnostic};
use crate::diagnostic::Diagnostic;
use crate::limits::Limits;
use crate::path::FieldPath;
use crate::problem::{Problem, Problems};
use crate::spec::resources::Resources;
use crate::spec::service::Context;
use crate::spec::{ClusterDocument, ServiceDocument, ServiceKind, Source};
use crate::yaml::load_documents;

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
    for file in files {
        let text = match file.content {
            Ok(text) => text,
            Err(diagnostic) => {
                validation.diagnostics.push(diagnostic);
                validation.broken_files.push(file.path);
                continue;
            }
        };
        match load_documents(&text, limits) {
            Ok(nodes) => {
                let nodes = nodes
                    .into_iter()
                    .filter(|n| n.value != crate::yaml::Value::Null);
                outcomes.extend(nodes.map(|node| document::parse(&file.path, node)));
            }
            Err(e) => {
                validation.diagnostics.push(
                    Diagnostic::new(&file.path, e.message)
                        .at(e.pos)
                        .hint(e.hint),
                );
                validation.broken_files.push(file.path);
            }
        }
    }
    validation.documents = outcomes.len();
    check_set(root, &mut outcomes, &mut validation);
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

/// Runs the Cluster's, each service's and the cross-document rules, adding problems to the
/// documents they concern.
fn check_set(root: &Path, outcomes: &mut [Outcome], validation: &mut Validation) {
    let clusters: Vec<usize> = (0..outcomes.len())
        .filter(|&i| outcomes[i].kind.as_deref() == Some("Cluster"))
        .collect();
    check_cluster_count(root, outcomes, &clusters, validation);
    let cluster = match clusters.as_slice() {
        [only] => match &outcomes[*only].typed {
            Some(Typed::Cluster(metadata, spec)) => Some((metadata.clone(), spec.clone())),
            _ => None,
        },
        _ => None,
    };
    if let (Some((metadata, spec)), [only]) = (&cluster, clusters.as_slice()) {
        let mut problems = Problems::default();
        cluster_rules::check_cluster(metadata, spec, &mut problems);
        attach(&mut outcomes[*only], problems.into_vec());
    }
    let duplicates = check_duplicate_names(outcomes);
    let services: BTreeMap<String, ServiceDocument> = outcomes
        .iter()
        .filter_map(|o| match &o.typed {
            Some(Typed::Service(metadata, body)) if !duplicates.contains_key(&metadata.name) => {
                Some((
                    metadata.name.clone(),
                    ServiceDocument {
                        metadata: metadata.clone(),
                        body: body.clone(),
                        source: o.source.clone(),
                    },
                ))
            }
            _ => None,
        })
        .collect();
    let spec = cluster.as_ref().map(|(_, spec)| spec);
    let domain = cluster
        .as_ref()
        .map(|(metadata, spec)| spec.domain(&metadata.name));
    let no_resources = Resources::default();
    let mut edges = Vec::new();
    for outcome in outcomes.iter_mut() {
        let Some(Typed::Service(metadata, service)) = &outcome.typed else {
            continue;
        };
        let defaults = spec.and_then(|s| s.defaults.resources.as_ref());
        let resources = service
            .workload()
            .resources
            .as_ref()
            .map_or_else(|| defaults.cloned().unwrap_or_default(), |r| r.or(defaults));
        let ctx = Context {
            cluster: spec,
            domain: domain.as_deref(),
            replicas: service.replicas(),
            resources: if resources == no_resources {
                &no_resources
            } else {
                &resources
            },
            services: &services,
        };
        let mut problems = Problems::default();
        service_rules::check_service(metadata, service, &ctx, &mut problems);
        let name = metadata.name.clone();
        edges.extend(service.references().into_iter().map(|r| Edge {
            from: name.clone(),
            field: r.field,
            to: r.target,
            kinds: r.kinds,
        }));
        edges.extend(
            service
                .workload()
                .depends_on
                .iter()
                .enumerate()
                .map(|(i, to)| Edge {
                    from: name.clone(),
                    field: format!("spec.dependsOn[{i}]"),
                    to: to.clone(),
                    kinds: &[],
                }),
        );
        attach(outcome, problems.into_vec());
    }
    let kinds: BTreeMap<String, ServiceKind> = outcomes
        .iter()
        .filter_map(|o| match &o.typed {
            Some(Typed::Service(metadata, body)) => Some((metadata.name.clone(), body.kind())),
            _ => None,
        })
        .collect();
    let mut cross = cross::check_references(&edges, &kinds);
    cross.extend(cross::find_cycles(&edges));
    attach_cross(outcomes, cross);
}

fn check_cluster_count(
    root: &Path,
    outcomes: &mut [Outcome],
    clusters: &[usize],
    validation: &mut Validation,
) {
    if clusters.is_empty() && validation.broken_files.is_empty() {
        let hint =
            Some("add one document with kind: Cluster (see examples/cluster.yaml)".to_owned());
        validation
            .diagnostics
            .push(Diagnostic::new(root, "no Cluster document").hint(hint));
    }
    if let [first, rest @ ..] = clusters {
        let first_at = location(&outcomes[*first].source);
        for &i in rest {
            let outcome = &mut outcomes[i];
            let message = format!("a second Cluster document (the first is at {first_at})");
            let hint = Some("a spec set describes exactly one Cluster; remove one".to_owned());
            outcome.diagnostics.push(diagnostic(
                &outcome.source.file,
                outcome.source.pos,
                &FieldPath::parse("kind"),
                message,
                hint,
            ));
        }
    }
}

/// Marks every service whose name is used more than once; returns name → occurrences.
fn check_duplicate_names(outcomes: &mut [Outcome]) -> BTreeMap<String, Vec<usize>> {
    let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, outcome) in outcomes.iter().enumerate() {
        if let Some(Typed::Service(metadata, _)) = &outcome.typed {
            by_name.entry(metadata.name.clone()).or_default().push(i);
        }
    }
    by_name.retain(|_, indices| indices.len() > 1);
    for (name, indices) in &by_name {
        for &i in indices {
            let others: Vec<String> = indices
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| location(&outcomes[j].source))
                .collect();
            let problem = Problem {
                path: FieldPath::parse("metadata.name"),
                message: format!("service name \"{name}\" is also used at {}", others.join(", ")),
                hint: Some("service names are unique across kinds: they become DNS names; rename or remove one".to_owned()),
            };
            attach(&mut outcomes[i], vec![problem]);
        }
    }
    by_name
}

fn attach(outcome: &mut Outcome, problems: Vec<Problem>) {
    for problem in problems {
        let pos = outcome.node.locate(&problem.path, false);
        outcome.diagnostics.push(diagnostic(
            &outcome.source.file,
            pos,
            &problem.path,
            problem.message,
            problem.hint,
        ));
    }
}

fn attach_cross(outcomes: &mut [Outcome], problems: Vec<CrossProblem>) {
    for problem in problems {
        let owner = outcomes
            .iter_mut()
            .find(|o| matches!(&o.typed, Some(Typed::Service(m, _)) if m.name == problem.service));
        if let Some(outcome) = owner {
            let path = FieldPath::parse(&problem.field);
            attach(
                outcome,
                vec![Problem {
                    path,
                    message: problem.message,
                    hint: problem.hint,
                }],
            );
        }
    }
}

fn location(source: &Source) -> String {
    format!("{}:{}", source.file.display(), source.pos.line)
}

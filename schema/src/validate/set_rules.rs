//! Rules over the whole spec set: the Cluster, each service with the Cluster as context, unique
//! names, references and cycles. Problems are attached to the documents they concern.

use std::collections::BTreeMap;
use std::path::Path;

use super::cross::{self, CrossProblem, Edge};
use super::document::{Outcome, Typed, diagnostic};
use super::{Validation, cluster_rules, service_rules};
use crate::diagnostic::Diagnostic;
use crate::json_schema::CLUSTER_KIND;
use crate::path::FieldPath;
use crate::problem::{Problem, Problems};
use crate::spec::service::Context;
use crate::spec::{ClusterSpec, Metadata, ServiceDocument, ServiceKind, Source};

/// Fields so central that no rule is run when they are structurally wrong.
const CENTRAL_FIELDS: [&str; 2] = ["spec.replicas", "spec.shards"];

/// Runs every set-level rule.
pub(super) fn check_set(root: &Path, outcomes: &mut [Outcome], validation: &mut Validation) {
    let clusters: Vec<usize> = (0..outcomes.len())
        .filter(|&i| outcomes[i].kind.as_deref() == Some(CLUSTER_KIND))
        .collect();
    check_cluster_count(root, outcomes, &clusters, validation);
    let cluster = match clusters.as_slice() {
        [only] => match &outcomes[*only].typed {
            Some(Typed::Cluster(metadata, spec)) => Some((*only, metadata.clone(), spec.clone())),
            _ => None,
        },
        _ => None,
    };
    if let Some((index, metadata, spec)) = &cluster {
        let mut problems = Problems::default();
        cluster_rules::check_cluster(metadata, spec, &mut problems);
        attach(&mut outcomes[*index], problems.into_vec());
    }
    let named = named_services(outcomes);
    let duplicates = check_duplicate_names(outcomes, &named);
    let services: BTreeMap<String, ServiceDocument> = outcomes
        .iter()
        .filter(|o| o.diagnostics.is_empty())
        .filter_map(|o| match &o.typed {
            Some(Typed::Service(metadata, body)) if !duplicates.contains(&metadata.name) => Some((
                metadata.name.clone(),
                ServiceDocument {
                    metadata: metadata.clone(),
                    body: body.clone(),
                    source: o.source.clone(),
                },
            )),
            _ => None,
        })
        .collect();
    let cluster = cluster.as_ref().map(|(_, metadata, spec)| (metadata, spec));
    let mut edges = Vec::new();
    for outcome in outcomes.iter_mut() {
        edges.extend(check_one_service(outcome, cluster, &services));
    }
    let kinds: BTreeMap<String, ServiceKind> = named
        .into_iter()
        .map(|(_, name, kind)| (name, kind))
        .collect();
    let mut problems = cross::check_references(&edges, &kinds);
    problems.extend(cross::find_cycles(&edges));
    attach_cross(outcomes, problems);
}

/// Runs one service's rules; returns its references as edges.
fn check_one_service(
    outcome: &mut Outcome,
    cluster: Option<(&Metadata, &ClusterSpec)>,
    services: &BTreeMap<String, ServiceDocument>,
) -> Vec<Edge> {
    let Some(Typed::Service(metadata, service)) = &outcome.typed else {
        return Vec::new();
    };
    let spec = cluster.map(|(_, spec)| spec);
    let defaults = spec.and_then(|s| s.defaults.resources.as_ref());
    let resources = service
        .workload()
        .resources
        .as_ref()
        .map_or_else(|| defaults.cloned().unwrap_or_default(), |r| r.or(defaults));
    let domain = cluster.map(|(metadata, spec)| spec.domain(&metadata.name));
    let ctx = Context {
        cluster: spec,
        domain: domain.as_deref(),
        replicas: service.replicas(),
        resources: &resources,
        services,
    };
    let name = metadata.name.clone();
    let mut edges: Vec<Edge> = service
        .references()
        .into_iter()
        .map(|r| Edge {
            from: name.clone(),
            field: r.field,
            to: r.target,
            kinds: r.kinds,
        })
        .collect();
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
    let central_pruned = outcome
        .pruned
        .iter()
        .any(|p| CENTRAL_FIELDS.contains(&p.to_string().as_str()));
    if !central_pruned {
        let mut problems = Problems::default();
        service_rules::check_service(metadata, service, &ctx, &mut problems);
        let relevant = problems
            .into_vec()
            .into_iter()
            .filter(|p| !near_pruned(&p.path, &outcome.pruned))
            .collect();
        attach(outcome, relevant);
    }
    edges
}

/// True when `path` is at or below a pruned field, or next to one deeper than `spec.<field>`
/// (e.g. `spec.volume.size` when `spec.volume.type` was wrong): such rules would judge a default.
fn near_pruned(path: &FieldPath, pruned: &[FieldPath]) -> bool {
    pruned.iter().any(|p| {
        let under = path.segments().starts_with(p.segments());
        let segments = p.segments();
        let sibling =
            segments.len() > 2 && path.segments().starts_with(&segments[..segments.len() - 1]);
        under || sibling
    })
}

/// (outcome index, name, kind) of every service document whose name and kind can be read,
/// valid or not, so that references to a document with problems do not read as missing.
fn named_services(outcomes: &[Outcome]) -> Vec<(usize, String, ServiceKind)> {
    outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            Some((
                i,
                o.name.clone()?,
                ServiceKind::from_name(o.kind.as_deref()?)?,
            ))
        })
        .collect()
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
            let path = FieldPath::parse("kind");
            let pos = outcome.node.locate(&path, false);
            let message = format!("a second Cluster document (the first is at {first_at})");
            let hint = "a spec set describes exactly one Cluster; remove one".to_owned();
            outcome
                .diagnostics
                .push(diagnostic(&outcome.source.file, pos, &path, message, hint));
        }
    }
}

/// Reports every service whose name is used more than once; returns those names.
fn check_duplicate_names(
    outcomes: &mut [Outcome],
    named: &[(usize, String, ServiceKind)],
) -> Vec<String> {
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, name, _) in named {
        by_name.entry(name.as_str()).or_default().push(*i);
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
                hint: "service names are unique across kinds: they become DNS names; rename or remove one".to_owned(),
            };
            attach(&mut outcomes[i], vec![problem]);
        }
    }
    by_name.into_keys().map(str::to_owned).collect()
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

//! The plan engine: `plan(desired, live, options) -> Plan`, pure (no client, no async).

pub mod desired;
pub mod diff;
mod dns;
mod draft;
mod identity;
mod immutable;
mod incremental;
pub mod kubernetes;
pub mod manifest;
mod member_numbers;
mod membership;
mod memo;
pub mod model;
mod order;
mod owned;
mod restarts;
pub mod static_ips;
mod volumes;

use std::collections::{BTreeMap, HashMap};

use firecamp_catalog::RenderError;

pub use desired::Desired;
pub use incremental::Planner;
pub use memo::{ObjectKey, PlanMemo};
pub use model::{
    Action, FieldChange, PLAN_FORMAT_VERSION, Plan, PlannedMember, Provider, Step, Summary,
    Untouched,
};
pub use static_ips::{Allocation, Allocations, Awaiting, ZoneProblem};

use self::draft::Drafts;
use self::kubernetes::Known;
use self::memo::Observed;
use self::owned::Owned;
use crate::live::{LiveIndex, LiveObject, LiveState};

/// Choices that change what a plan may do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Allow a plan that deletes every service (the desired set is empty, the live one is not).
    pub allow_empty: bool,
    /// Carry out a spec that removes live members of a data-bearing kind as a plain StatefulSet
    /// edit, without the database's own removal (what only they hold is lost; their volumes stay).
    pub allow_member_removal: bool,
}

/// Why no plan can be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The spec set has no valid Cluster.
    #[error("the spec set has no valid Cluster document")]
    NoCluster,
    /// A service cannot be rendered.
    #[error("cannot render service {0}")]
    Render(String, #[source] RenderError),
    /// The desired set is empty and the live one is not.
    #[error(
        "the specs describe no service but firecamp manages {0} service(s); refusing to delete them all (use --allow-empty if that is meant)"
    )]
    EmptyDesired(usize),
    /// A desired service has no document to render it from (a bug in firecamp).
    #[error("service {0} is desired but has no document to render it from")]
    MissingDocument(String),
    /// The steps depend on each other in a cycle.
    #[error("the plan's steps depend on each other in a cycle: {}", .0.join(" → "))]
    Cycle(Vec<String>),
}

/// Namespaces that others use too, with what a service there would share: accepted (the
/// Cluster may mean it), but said in every plan.
const SHARED_NAMESPACES: [(&str, &str); 5] = [
    (
        "default",
        "every object made without a namespace lands there",
    ),
    (
        "kube-system",
        "it holds Kubernetes' own components and their credentials",
    ),
    ("kube-public", "every client may read it, signed in or not"),
    ("kube-node-lease", "it holds the nodes' heartbeats"),
    (
        "firecamp-system",
        "firecamp itself runs there, with its credentials (deploy/)",
    ),
];

/// The warning for a Cluster namespace in [`SHARED_NAMESPACES`].
fn shared_namespace_warning(namespace: &str) -> Option<String> {
    let (_, why) = SHARED_NAMESPACES.iter().find(|(n, _)| *n == namespace)?;
    Some(format!(
        "namespace {namespace} is shared: {why}; the services and their volumes are safer in a namespace of their own (Cluster spec.namespace, `firecamp` by default)"
    ))
}

/// Plans the changes that make `live` match `desired`.
///
/// # Errors
/// See [`PlanError`].
pub fn plan(desired: &Desired, live: &LiveState, options: PlanOptions) -> Result<Plan, PlanError> {
    let owned = Owned::new(&live.objects, &desired.cluster.metadata.name);
    plan_with(desired, live, options, owned, None).map(|(plan, _)| plan)
}

/// [`plan`] with the objects firecamp owns in `live` indexed, skipping the groups `known` says are
/// in sync (their objects need not be rendered), and returning the desired objects it saw for the
/// next plan.
fn plan_with(
    desired: &Desired,
    live: &LiveState,
    options: PlanOptions,
    owned: Owned<'_>,
    known: Option<Known<'_>>,
) -> Result<(Plan, Vec<Observed>), PlanError> {
    let live_services = live_services(live, &desired.cluster.metadata.name);
    let desired_count = desired.services.len() + desired.rejected.len() + desired.suspended.len();
    if desired_count == 0 && !live_services.is_empty() && !options.allow_empty {
        return Err(PlanError::EmptyDesired(live_services.len()));
    }
    let policies: BTreeMap<String, String> = live_services
        .iter()
        .filter_map(|(s, (policy, _))| policy.clone().map(|p| (s.clone(), p)))
        .collect();
    let index = LiveIndex::new(live);
    // A spec that changes what its database fixes when the cluster is first formed holds back
    // that service (and what depends on it), with the reason; nothing acknowledges it.
    let mut held = identity::identity_changes(desired, live);
    // A spec that gives a live member another number its database knows it by holds it back too.
    for (service, reason) in member_numbers::renumberings(desired, live) {
        held.entry(service).or_insert(reason);
    }
    // A spec that would remove live members its kind cannot lose by a StatefulSet edit holds back
    // that service too, unless the loss is acknowledged.
    let removals = membership::removals(desired, live);
    let removal_warnings: Vec<String> = if options.allow_member_removal {
        removals
            .iter()
            .filter(|(s, _)| !held.contains_key(*s))
            .map(|(s, r)| r.acknowledged(s))
            .collect()
    } else {
        for (service, removal) in &removals {
            held.entry(service.clone())
                .or_insert_with(|| removal.refusal());
        }
        Vec::new()
    };
    let guarded;
    let desired = if held.is_empty() {
        desired
    } else {
        guarded = desired.holding_back(&held);
        &guarded
    };
    let mut allocations = static_ips::allocate(desired, &index);
    // A zone that cannot give a service its new addresses holds back only that service (and
    // what depends on it); the others are planned as usual, their addresses chosen again
    // without it.
    let reduced;
    let desired = if allocations.held_back.is_empty() {
        desired
    } else {
        reduced = desired.holding_back(&allocations.held_back);
        allocations = static_ips::allocate(&reduced, &index);
        &reduced
    };
    let allocations = allocations.members;
    let mut drafts = Drafts::default();
    kubernetes::plan_objects(
        desired,
        &index,
        owned,
        &allocations,
        &policies,
        known,
        &mut drafts,
    );
    static_ips::plan_static_ips(desired, &index, &allocations, &policies, &mut drafts);
    dns::plan_records(desired, &index, &allocations, &policies, &mut drafts);
    let mut references: BTreeMap<String, Vec<String>> = live_services
        .iter()
        .map(|(s, (_, deps))| (s.clone(), deps.clone()))
        .collect();
    references.extend(
        desired
            .services
            .iter()
            .map(|s| (s.name.clone(), s.depends_on.clone())),
    );
    let Drafts {
        drafts,
        summary,
        mut warnings,
        observed,
    } = drafts;
    warnings.extend(removal_warnings);
    warnings.extend(shared_namespace_warning(&desired.cluster.spec.namespace));
    let steps = order::order(drafts, &references)?;
    let untouched = desired
        .rejected
        .iter()
        .map(|(service, reason)| Untouched {
            service: service.clone(),
            reason: reason.clone(),
        })
        .chain(desired.suspended.iter().map(|s| Untouched {
            service: s.clone(),
            reason: "suspended".to_owned(),
        }))
        .collect();
    let plan = Plan {
        format_version: PLAN_FORMAT_VERSION,
        steps,
        members: members(desired, &index, &allocations),
        untouched,
        warnings,
        summary,
    };
    Ok((plan, observed))
}

/// Services with live objects: deletion policy and references recorded on them.
fn live_services(
    live: &LiveState,
    cluster: &str,
) -> BTreeMap<String, (Option<String>, Vec<String>)> {
    // The policy and the references last recorded on each service's objects.
    let mut services: HashMap<&str, (Option<&str>, Option<&LiveObject>)> = HashMap::new();
    for object in live.objects.iter().filter(|o| o.owned_in(cluster)) {
        let Some(service) = object.service() else {
            continue;
        };
        let entry = services.entry(service).or_default();
        if let Some(policy) = object.deletion_policy() {
            entry.0 = Some(policy);
        }
        if object.depends_on().is_some() {
            entry.1 = Some(object);
        }
    }
    services
        .into_iter()
        .map(|(service, (policy, references))| {
            let references = references
                .and_then(LiveObject::depends_on)
                .map(|deps| deps.map(str::to_owned).collect())
                .unwrap_or_default();
            (service.to_owned(), (policy.map(str::to_owned), references))
        })
        .collect()
}

fn members(
    desired: &Desired,
    index: &LiveIndex<'_>,
    allocations: &BTreeMap<String, Allocation>,
) -> Vec<PlannedMember> {
    desired
        .services
        .iter()
        .flat_map(|service| service.members.iter().map(move |m| (service, m)))
        .map(|(service, m)| {
            let node = index.placement(&m.member.name).and_then(|p| p.node.clone());
            let ip = allocations
                .get(&m.member.name)
                .and_then(|a| a.ip)
                .map(|ip| ip.to_string())
                .or_else(|| index.node_of(&m.member.name).map(|n| n.host_ip.to_string()));
            PlannedMember {
                name: m.member.name.clone(),
                service: service.name.clone(),
                zone: m.member.zone.clone(),
                node,
                ip,
                dns_name: m.dns_name.clone(),
            }
        })
        .collect()
}

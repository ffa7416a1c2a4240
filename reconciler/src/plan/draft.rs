//! Steps while a plan is being built: each carries what ordering needs (its service and rank).

use super::memo::Observed;
use super::model::{Action, FieldChange, Provider, Step, Summary};

/// Where a step falls in a service's order. Creations and updates run by ascending rank, deletions
/// by ascending delete rank (the reverse of creation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rank {
    /// Namespace, StorageClasses, cluster roles.
    Foundation = 0,
    /// ServiceAccounts, ConfigMaps.
    Config = 1,
    /// Services, PodDisruptionBudgets, volume expansions.
    Network = 2,
    /// StatefulSets, DaemonSets.
    Workload = 3,
    /// Member restarts and IP assignments (members running).
    Members = 4,
    /// New static IPs recorded (after they are assigned), and allocation records that add them.
    Records = 5,
    /// DNS records.
    Dns = 6,
    /// Init jobs (after the service is healthy).
    Jobs = 7,
}

/// A step and its ordering facts.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub step: Step,
    /// Service, or empty for cluster-level steps.
    pub group: String,
    pub rank: Rank,
    /// Deletions are ordered in reverse.
    pub delete: bool,
    /// Member restarts only: where the member falls in its service's restart sequence.
    pub restart_order: Option<RestartOrder>,
}

/// The order of a service's member restarts, which run one at a time: members already down first
/// (restarting them can only help), then the other members zone by zone, and the members whose
/// role leads (a PostgreSQL primary, Elasticsearch masters) last.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RestartOrder {
    /// False for a member that is not ready (stuck at the old template): it goes first.
    pub ready: bool,
    /// True for a leading role.
    pub leads: bool,
    /// The member's zone.
    pub zone: String,
    /// The member's StatefulSet.
    pub statefulset: String,
    /// The member's ordinal.
    pub ordinal: u64,
}

/// The steps of a plan being built, with counts and warnings.
#[derive(Debug, Default)]
pub(crate) struct Drafts {
    pub drafts: Vec<Draft>,
    pub summary: Summary,
    pub warnings: Vec<String>,
    /// The desired Kubernetes objects seen, for the next plan (see `PlanMemo`).
    pub observed: Vec<Observed>,
}

/// What a new step is about.
pub(crate) struct StepSpec<'a> {
    pub provider: Provider,
    pub action: Action,
    pub id: String,
    pub resource: String,
    pub service: Option<&'a str>,
    pub rank: Rank,
    pub reason: String,
}

impl Drafts {
    /// Adds a step.
    pub fn push(
        &mut self,
        spec: StepSpec<'_>,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
        changes: Vec<FieldChange>,
        drift: bool,
    ) {
        let summary = &mut self.summary;
        match spec.action {
            Action::Create | Action::AllocateIp | Action::RunJob => summary.add += 1,
            Action::Update
            | Action::ExpandVolume
            | Action::AssignIp
            | Action::MoveIp
            | Action::RestartMember => summary.change += 1,
            Action::Replace => summary.replace += 1,
            Action::Delete | Action::ReleaseIp => summary.destroy += 1,
        }
        let delete = matches!(spec.action, Action::Delete | Action::ReleaseIp);
        self.drafts.push(Draft {
            group: spec.service.unwrap_or_default().to_owned(),
            rank: spec.rank,
            delete,
            restart_order: None,
            step: Step {
                id: spec.id,
                provider: spec.provider,
                action: spec.action,
                resource: spec.resource,
                service: spec.service.map(str::to_owned),
                before,
                after,
                changes,
                reason: spec.reason,
                drift,
                depends_on: Vec::new(),
            },
        });
    }

    /// Counts a resource that is already as desired.
    pub fn in_sync(&mut self) {
        self.summary.in_sync += 1;
    }
}

//! Member restarts: StatefulSets update OnDelete, so members running an older pod template are
//! restarted by firecamp, one at a time, in the order [`RestartOrder`] gives.

use serde_json::{Value, json};

use firecamp_catalog::labels;

use super::draft::{Drafts, Rank, RestartOrder, StepSpec};
use super::kubernetes::identity;
use super::model::{Action, Provider};
use crate::live::LiveIndex;

/// Roles whose members are restarted after the others of their service.
const LEADING_ROLES: [&str; 2] = ["primary", "master"];

/// What a StatefulSet's member restarts are decided from: its pod template's config hash, its
/// members and where they fall in the restart order. Taken from the desired StatefulSet, which the
/// live one matches once in sync, so a StatefulSet known in sync is not read again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Restarts {
    namespace: String,
    statefulset: String,
    /// The template's config hash.
    hash: Option<String>,
    /// The members' pod names, by ordinal.
    members: Vec<String>,
    /// True when the members' role leads (restarted last).
    leads: bool,
    zone: String,
}

impl Restarts {
    /// The restart facts of `statefulset`.
    pub(crate) fn of(statefulset: &Value) -> Self {
        let (_, namespace, name) = identity(statefulset);
        let replicas = statefulset["spec"]["replicas"].as_u64().unwrap_or(0);
        let labels_of = &statefulset["metadata"]["labels"];
        Self {
            hash: statefulset["spec"]["template"]["metadata"]["annotations"][labels::CONFIG_HASH]
                .as_str()
                .map(str::to_owned),
            members: (0..replicas).map(|o| format!("{name}-{o}")).collect(),
            leads: labels_of[labels::ROLE]
                .as_str()
                .is_some_and(|r| LEADING_ROLES.contains(&r)),
            zone: labels_of[labels::ZONE]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            namespace,
            statefulset: name,
        }
    }
}

/// Members whose pod runs an older template than the StatefulSet's (updates are OnDelete).
pub(super) fn plan_restarts(
    restarts: &Restarts,
    service: Option<&str>,
    index: &LiveIndex<'_>,
    out: &mut Drafts,
) {
    let Restarts {
        namespace,
        statefulset,
        hash,
        members,
        leads,
        zone,
    } = restarts;
    for (ordinal, member) in (0..).zip(members) {
        let Some(placement) = index.placement(member) else {
            continue;
        };
        if placement.config_hash == *hash {
            continue;
        }
        let reason = if placement.ready {
            "runs an older pod template (config hash differs); restarted one at a time".to_owned()
        } else {
            format!(
                "is not ready and runs an older pod template: delete pod {member} to proceed (done first)"
            )
        };
        out.push(
            StepSpec {
                provider: Provider::Kubernetes,
                action: Action::RestartMember,
                id: format!("kubernetes:Pod/{namespace}/{member}"),
                resource: format!("Pod {namespace}/{member}"),
                service,
                rank: Rank::Members,
                reason,
            },
            placement
                .config_hash
                .as_ref()
                .map(|h| json!({"configHash": h})),
            hash.as_ref().map(|h| json!({"configHash": h})),
            Vec::new(),
            false,
        );
        if let Some(draft) = out.drafts.last_mut() {
            draft.restart_order = Some(RestartOrder {
                ready: placement.ready,
                leads: *leads,
                zone: zone.clone(),
                statefulset: statefulset.clone(),
                ordinal,
            });
        }
    }
}

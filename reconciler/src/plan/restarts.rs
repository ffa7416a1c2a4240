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

/// Members whose pod runs an older template than the StatefulSet's (updates are OnDelete).
pub(super) fn plan_restarts(
    statefulset: &Value,
    service: Option<&str>,
    index: &LiveIndex<'_>,
    out: &mut Drafts,
) {
    let (_, namespace, name) = identity(statefulset);
    let hash =
        statefulset["spec"]["template"]["metadata"]["annotations"][labels::CONFIG_HASH].as_str();
    let replicas = statefulset["spec"]["replicas"].as_u64().unwrap_or(0);
    let labels_of = &statefulset["metadata"]["labels"];
    let leads = labels_of[labels::ROLE]
        .as_str()
        .is_some_and(|r| LEADING_ROLES.contains(&r));
    let zone = labels_of[labels::ZONE].as_str().unwrap_or_default();
    for ordinal in 0..replicas {
        let member = format!("{name}-{ordinal}");
        let Some(placement) = index.placement(&member) else {
            continue;
        };
        if placement.config_hash.as_deref() == hash {
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
            hash.map(|h| json!({"configHash": h})),
            Vec::new(),
            false,
        );
        if let Some(draft) = out.drafts.last_mut() {
            draft.restart_order = Some(RestartOrder {
                ready: placement.ready,
                leads,
                zone: zone.to_owned(),
                statefulset: name.clone(),
                ordinal,
            });
        }
    }
}

//! Volume growth: a larger volume in a StatefulSet's claim templates expands every existing claim
//! in place; a smaller one is refused with a warning (EBS volumes cannot shrink).

use serde_json::{Value, json};

use firecamp_schema::spec::quantity::Quantity;

use super::draft::{Drafts, Rank, StepSpec};
use super::kubernetes::{identity, resource, step_id};
use super::model::{Action, FieldChange, Provider};
use crate::live::LiveState;

/// Volume claim sizes: a larger one expands every existing claim; a smaller one is refused with a
/// warning (EBS volumes cannot shrink). Returns false when the StatefulSet must be left alone.
pub(super) fn plan_volume_growth(
    desired: &Value,
    current: &Value,
    service: Option<&str>,
    live: &LiveState,
    out: &mut Drafts,
) -> bool {
    let (_, namespace, name) = identity(desired);
    let size = |template: &Value| {
        template["spec"]["resources"]["requests"]["storage"]
            .as_str()
            .map(str::to_owned)
    };
    let live_templates = current["spec"]["volumeClaimTemplates"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for template in desired["spec"]["volumeClaimTemplates"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let claim = template["metadata"]["name"].as_str().unwrap_or_default();
        let Some(old) = live_templates
            .iter()
            .find(|t| t["metadata"]["name"] == template["metadata"]["name"])
        else {
            continue;
        };
        let (Some(new_size), Some(old_size)) = (size(template), size(old)) else {
            continue;
        };
        let (Ok(new_bytes), Ok(old_bytes)) = (
            Quantity::new(new_size.as_str()).milli(),
            Quantity::new(old_size.as_str()).milli(),
        ) else {
            continue;
        };
        if new_bytes < old_bytes {
            out.warnings.push(format!("StatefulSet {namespace}/{name}: volume {claim} cannot shrink from {old_size} to {new_size}; left unchanged"));
            return false;
        }
        if new_bytes == old_bytes {
            continue;
        }
        let prefix = format!("{claim}-{name}-");
        for pvc in live.objects.iter().filter(|o| {
            let (kind, of, _) = o.key();
            kind == "PersistentVolumeClaim" && of == namespace
        }) {
            let (_, _, pvc_name) = identity(pvc);
            if pvc_name
                .strip_prefix(&prefix)
                .is_none_or(|ordinal| ordinal.parse::<u32>().is_err())
            {
                continue;
            }
            let after = json!({"spec": {"resources": {"requests": {"storage": new_size}}}});
            let change = FieldChange {
                path: "spec.resources.requests.storage".to_owned(),
                before: Some(Value::String(old_size.clone())),
                after: Some(Value::String(new_size.clone())),
            };
            out.push(
                StepSpec {
                    provider: Provider::Kubernetes,
                    action: Action::ExpandVolume,
                    id: step_id("PersistentVolumeClaim", &namespace, &pvc_name),
                    resource: resource("PersistentVolumeClaim", &namespace, &pvc_name),
                    service,
                    rank: Rank::Network,
                    reason: format!("volume {claim} grows from {old_size} to {new_size}"),
                },
                Some(pvc.value().clone()),
                Some(after),
                vec![change],
                false,
            );
        }
    }
    true
}

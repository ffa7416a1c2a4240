//! Rendering plans for people (text, Markdown) and programs (JSON). Rendering never changes a
//! plan and apply never reads a rendering.

pub mod json;
pub mod markdown;
pub mod text;

use serde_json::Value;

use crate::plan::{Plan, Step};

/// A value as shown to people: compact JSON, cut at `max` characters; Secret data never shown.
#[must_use]
pub fn shown(step: &Step, path: &str, value: Option<&Value>, max: usize) -> String {
    let Some(value) = value else {
        return "(none)".to_owned();
    };
    if step.resource.starts_with("Secret ")
        && (path.starts_with("data") || path.starts_with("stringData"))
    {
        return "(sensitive)".to_owned();
    }
    let text = value.to_string();
    if text.chars().count() > max {
        format!("{}…", text.chars().take(max).collect::<String>())
    } else {
        text
    }
}

/// Services in the order their first step appears, with cluster-level steps (no service) first.
#[must_use]
pub fn groups(plan: &Plan) -> Vec<(Option<String>, Vec<&Step>)> {
    let mut groups: Vec<(Option<String>, Vec<&Step>)> = Vec::new();
    for step in plan.steps.iter().filter(|s| s.service.is_none()) {
        match groups.first_mut() {
            Some((None, steps)) => steps.push(step),
            _ => groups.insert(0, (None, vec![step])),
        }
    }
    for step in plan.steps.iter().filter(|s| s.service.is_some()) {
        match groups
            .iter_mut()
            .find(|(service, _)| service == &step.service)
        {
            Some((_, steps)) => steps.push(step),
            None => groups.push((step.service.clone(), vec![step])),
        }
    }
    groups
}

/// `Plan: N to add, N to change, N to replace, N to destroy.`
#[must_use]
pub fn summary_line(plan: &Plan) -> String {
    let s = plan.summary;
    format!(
        "Plan: {} to add, {} to change, {} to replace, {} to destroy.",
        s.add, s.change, s.replace, s.destroy
    )
}

/// The opening line of a plan with no steps: what is in sync, and how many services are left as
/// they are (which the line must not hide behind "matches the specs"). `None` when it has steps.
#[must_use]
pub fn nothing_to_apply(plan: &Plan) -> Option<String> {
    if !plan.is_empty() {
        return None;
    }
    Some(if plan.untouched.is_empty() {
        format!(
            "No changes: the live state matches the specs ({} resources in sync).",
            plan.summary.in_sync
        )
    } else {
        format!(
            "Nothing to apply: {} service(s) are left as they are (below); the rest matches the specs ({} resources in sync).",
            plan.untouched.len(),
            plan.summary.in_sync
        )
    })
}

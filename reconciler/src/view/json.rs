//! The JSON plan (format described in docs/plan-json.md).

use crate::plan::Plan;

/// The plan as pretty JSON with a final newline.
#[must_use]
pub fn render(plan: &Plan) -> String {
    // Written straight from the plan: a `serde_json::Value` copy of a 46 MB plan doubled the peak.
    let mut text = serde_json::to_string_pretty(plan).unwrap_or_default();
    text.push('\n');
    text
}

//! The JSON plan (format described in docs/plan-json.md).

use crate::plan::Plan;

/// The plan as pretty JSON with a final newline.
#[must_use]
pub fn render(plan: &Plan) -> String {
    format!("{:#}\n", serde_json::to_value(plan).unwrap_or_default())
}

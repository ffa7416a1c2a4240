//! The plan as a pull-request comment: a summary table first, then one collapsible section per
//! service with a unified diff per step. The comment never exceeds 65,536 characters (GitHub's
//! limit): long diffs lose their middle lines first, with a note saying how many were cut.

use std::fmt::Write as _;

use similar::TextDiff;

use super::{groups, summary_line};
use crate::plan::diff::project;
use crate::plan::{Plan, Step};

/// GitHub's limit for a comment.
pub const MAX_COMMENT: usize = 65_536;

/// The Markdown plan, at most [`MAX_COMMENT`] characters.
#[must_use]
pub fn render(plan: &Plan, title: &str) -> String {
    for lines_per_diff in [400, 120, 40, 12, 0] {
        let text = render_with(plan, title, lines_per_diff);
        if text.len() <= MAX_COMMENT {
            return text;
        }
    }
    let mut text = render_with(plan, title, 0);
    let note = "\n\n_The plan is too long for one comment; run `firecamp plan` for all of it._\n";
    let close = "</details>\n";
    let mut cut = MAX_COMMENT - note.len() - close.len();
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    // Whole sections only: cut after the last section closed in time, else at a line's end.
    let end = text[..cut]
        .rfind(close)
        .map(|at| at + close.len())
        .or_else(|| text[..cut].rfind('\n').map(|at| at + 1))
        .unwrap_or(0);
    text.truncate(end);
    if text.matches("<details>").count() > text.matches(close).count() {
        text.push_str(close);
    }
    text.push_str(note);
    text
}

fn render_with(plan: &Plan, title: &str, lines_per_diff: usize) -> String {
    let mut out = format!("### {title}\n\n**{}**\n\n", summary_line(plan));
    if let Some(line) = super::nothing_to_apply(plan) {
        let _ = writeln!(out, "{line}");
    }
    let groups = groups(plan);
    if !groups.is_empty() {
        out.push_str(
            "| service | add | change | replace | destroy |\n| --- | ---: | ---: | ---: | ---: |\n",
        );
        for (service, steps) in &groups {
            let count = |symbol: &str| steps.iter().filter(|s| s.action.symbol() == symbol).count();
            let name = service.as_deref().unwrap_or("(cluster)");
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} | {} |",
                count("+"),
                count("~"),
                count("-/+"),
                count("-")
            );
        }
    }
    for note in plan
        .untouched
        .iter()
        .map(|u| format!("{}: {}", u.service, u.reason))
        .chain(plan.warnings.iter().cloned())
    {
        let _ = writeln!(out, "\n> :warning: {note}");
    }
    for (service, steps) in &groups {
        let name = service.as_deref().unwrap_or("cluster-level objects");
        let _ = write!(
            out,
            "\n<details><summary><b>{name}</b>: {} step(s)</summary>\n\n",
            steps.len()
        );
        for step in steps {
            let drift = if step.drift { " **drift**" } else { "" };
            let _ = write!(
                out,
                "`{}` {}: {}{drift}\n\n",
                step.action.symbol(),
                step.resource,
                step.reason
            );
            let diff = step_diff(step, lines_per_diff);
            if !diff.is_empty() {
                let _ = write!(out, "```diff\n{diff}```\n\n");
            }
        }
        out.push_str("</details>\n");
    }
    out
}

/// A unified diff of a step's before and after (pretty JSON), at most `max_lines` lines: longer
/// ones keep their head and tail.
fn step_diff(step: &Step, max_lines: usize) -> String {
    if max_lines == 0 {
        return String::new();
    }
    if step.resource.starts_with("Secret ") {
        return "  (sensitive)\n".to_owned();
    }
    let pretty =
        |value: Option<&serde_json::Value>| value.map(|v| format!("{v:#}\n")).unwrap_or_default();
    let compared = match (&step.before, &step.after) {
        (Some(before), Some(after)) => Some(project(before, after)),
        (before, _) => before.clone(),
    };
    let (before, after) = (pretty(compared.as_ref()), pretty(step.after.as_ref()));
    let diff = TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(3)
        .to_string();
    let lines: Vec<&str> = diff.lines().collect();
    if lines.len() <= max_lines {
        return diff;
    }
    let keep = max_lines / 2;
    let cut = lines.len() - 2 * keep;
    let mut text = lines[..keep].join("\n");
    let _ = write!(
        text,
        "\n… {cut} lines cut …\n{}\n",
        lines[lines.len() - keep..].join("\n")
    );
    text
}
